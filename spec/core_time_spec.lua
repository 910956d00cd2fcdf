-- The core's timestamps: an event with a result carries the time its
-- syscall returned (sysdig's "<" is "returned at"), an entry-only event
-- the time it entered, so that events come out in time order, a blocking
-- call stamped after the time it blocked.
local trace = require "spec.helpers.trace"

local function secs(a, b) return tonumber(a - b) / 1e9 end

describe("core: timestamps", function()
	it("stamps clock_nanosleep when it returns: 0.2 s after the event before it", function()
		local r = trace.run({ "sleep", "0.2" }, { types = { clock_nanosleep = true, openat = true, close = true } })
		assert.equal(0, r.status)
		local at
		for i, e in ipairs(r.events) do
			if e.type == "clock_nanosleep" then at = i end
		end
		assert.is_truthy(at, "no clock_nanosleep event")
		assert.is_true(at > 1)
		local sleep, before = r.events[at], r.events[at - 1]
		assert.is_true(sleep.ts >= before.ts)
		assert.is_true(secs(sleep.ts, before.ts) >= 0.2, "only " .. secs(sleep.ts, before.ts) .. " s")
		-- the entry is ts - latency, and the latency is the sleep
		assert.is_true(sleep.latency >= 0.2e9)
		assert.is_true(secs(sleep.ts - sleep.latency, before.ts) < 0.1)
	end)

	it("hands events out in time order across a fork and the wait for the child", function()
		local r = trace.run({ "sh", "-c", "/bin/true; sleep 0.05; cat /etc/hostname >/dev/null" })
		assert.equal(0, r.status)
		local waits = 0
		for i = 2, #r.events do
			local a, b = r.events[i - 1], r.events[i]
			assert.is_true(b.ts >= a.ts, ("event %d (%s) at %s before event %d (%s) at %s"):format(
				b.num, b.type, tostring(b.ts), a.num, a.type, tostring(a.ts)))
			if b.type == "wait4" and b.res and b.res > 0 then waits = waits + 1 end
		end
		assert.is_true(waits >= 2, "the shell waited for its children")
	end)
end)
