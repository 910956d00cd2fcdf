-- A fork's copy of its creator's fd table shares the names (counted
-- strings, src/state/fdname.c; the queue's replica shares them too,
-- src/capture/read.c), where each child had a copy of every name.
-- spec/progs/forkfds opens one directory with a path of ~3,800 bytes
-- 1,000 times, then keeps M children alive at once, each fchdir-ing to
-- one of those fds.  Copied, the names cost 3.8 MB a child (8 MB with the
-- queue, tracer and replica).
local cmp = require "spec.helpers.compare"
local trace = require "spec.helpers.trace"

local FILTER = "evt.type=fchdir or (evt.type=openat and evt.num < 0)"

describe("fd names across forks (spec/progs/forkfds)", function()
	local dir
	setup(function() dir = trace.mkdtemp() end)
	teardown(function()
		trace.rmrf(dir)
		cmp.cleanup()
	end)

	local function run(queue, m)
		local r = cmp.lanner({ "--stats", "--queue", queue, "-p", "%proc.pid|%fd.name", FILTER },
			{ trace.prog("forkfds"), dir, "1000", tostring(m) })
		assert.equal(0, r.status, r.stderr)
		assert.truthy(r.stdout:match("ok\n$"), r.stdout)
		-- each child's fchdir names the long path
		assert.equal(m, #r.events)
		for _, l in ipairs(r.events) do
			local name = l:match("|(.*)$")
			assert.truthy(name and #name > 3700 and name:sub(1, #dir) == dir and name:match("/d+$"), l:sub(1, 200))
		end
		return assert(tonumber(r.stderr:match("peak rss: (%d+) kB")), r.stderr)
	end

	it("a fork goes through the queue as a copy of its creator, not its record and every fd again", function()
		-- 40 children of a process with 1,000 fds of 3.8 KB names: 159 MB
		-- through the queue when each child's fds went one by one
		local r = cmp.lanner({ "--stats", "--queue", "1M", "-p", "%proc.pid|%fd.name", FILTER },
			{ trace.prog("forkfds"), dir, "1000", "40" })
		assert.equal(0, r.status, r.stderr)
		assert.equal(40, #r.events)
		local sent = tonumber(r.stderr:match("queue: %d+ KB, ([%d.]+) MB sent"))
		assert.is_true(sent ~= nil and sent < 40, r.stderr)
	end)

	for _, queue in ipairs({ "0", "1M" }) do
		it("cost little memory per child (--queue " .. queue .. ")", function()
			local few, many = run(queue, 4), run(queue, 40)
			local per_child = (many - few) / 36
			assert.is_true(per_child < 1536, ("%.0f kB a child (%d kB with 40, %d kB with 4)")
				:format(per_child, many, few))
		end)
	end
end)
