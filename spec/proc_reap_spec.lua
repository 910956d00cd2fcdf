-- An ended process's record is freed once no event can point at it: at
-- the next event asked for, and also while lanner waits for one, so that
-- a program that forks and exits with no traced call between (a shell
-- loop, a pre-forking server's churn) does not make lanner keep every
-- process it ever had (src/trace/stops.c wait_next; the queue's replica,
-- src/capture/read.c).  spec/progs/forkmany makes N children one after
-- another; each copies a 64 KB environment lanner keeps per process.
local cmp = require "spec.helpers.compare"
local trace = require "spec.helpers.trace"

local function peak_kb(r)
	return tonumber(r.stderr:match("peak rss: (%d+) kB"))
end

describe("ended processes with no event between them", function()
	teardown(cmp.cleanup)
	local big = ("x"):rep(65536)

	local function run(queue, n)
		local r = cmp.lanner({ "--stats", "--queue", queue, "-p", "%evt.num", "evt.type=openat" },
			{ "env", "BIG=" .. big, trace.prog("forkmany"), tostring(n) })
		assert.equal(0, r.status, r.stderr)
		assert.truthy(r.stdout:match("ok\n$"), r.stdout)
		return assert(peak_kb(r), r.stderr)
	end

	for _, queue in ipairs({ "0", "1M" }) do
		it("are freed as they end (--queue " .. queue .. ")", function()
			local few, many = run(queue, 300), run(queue, 3000)
			-- kept, the 2,700 more would take 30 MB or more
			assert.is_true(many - few < 8 * 1024,
				("peak rss %d kB after 3000 forks against %d kB after 300"):format(many, few))
		end)
	end
end)
