-- A thread's argument area (its event's strings and buffers) grows to its
-- largest event and was kept for the thread's next call: under -s 65536,
-- 300 threads that each read 64 KB and then wait kept 300 areas of 64 KB
-- (peak RSS 25 MB against 5 MB for the same threads making close(-1)).
-- Past 16 KB an area now goes once its event is consumed (src/trace/
-- stops.c), with or without the queue; the events are unchanged.
local cmp = require "spec.helpers.compare"
local trace = require "spec.helpers.trace"

describe("argument areas of threads that wait", function()
	teardown(cmp.cleanup)

	local FILTER = { reads = "evt.type=read and evt.buflen=65536", threads = "evt.type=close and evt.rawres < 0" }

	local function run(queue, mode)
		local r = cmp.lanner({ "--stats", "--queue", queue, "-s", "65536", "-p", "%evt.type", FILTER[mode] },
			{ trace.prog("manypeers"), mode, "300" })
		assert.equal(0, r.status, r.stderr)
		assert.truthy(r.stdout:match("ok\n$"), r.stdout)
		assert.equal(300, #r.events, r.stderr)
		return assert(tonumber(r.stderr:match("peak rss: (%d+) kB")), r.stderr), r
	end

	for _, queue in ipairs({ "0", "1M" }) do
		it("300 threads' 64 KB reads cost about what their closes do (--queue " .. queue .. ")", function()
			local reads, r = run(queue, "reads")
			local closes = run(queue, "threads")
			assert.equal(300, cmp.count(r.events, function(l) return l == "read" end))
			-- the areas kept were 300 x 64 KB = 19.2 MB
			assert.is_true(reads - closes < 8192, ("%d kB with the reads, %d kB with the closes"):format(reads, closes))
		end)
	end
end)
