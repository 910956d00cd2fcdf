-- on_interval: the timing rules on made-up times, then real programs that
-- run ~2.5 s, busy (event time) and quiet (wall-clock time).
local ffi = require "ffi"
local interval = require "lanner.chisel.interval"
local H = require "spec.fixtures.chisels.support.helper"

local S = 1000000000ULL
local function at(sec, ms) return ffi.cast("uint64_t", sec) * S + ffi.cast("uint64_t", ms) * 1000000ULL end

local function recorder()
	local calls = {}
	return calls, function(s, ns, delta)
		calls[#calls + 1] = { s = s, ns = ns, delta = delta }
	end
end

describe("aligned intervals (set_interval_s)", function()
	it("fire when event time enters a new multiple of the interval", function()
		local iv = interval.new(1e9, false)
		local calls, fire = recorder()
		iv:start(at(1000, 300))
		iv:due(at(1000, 900), fire)
		assert.equal(0, #calls)
		iv:due(at(1001, 100), fire)
		assert.equal(1, #calls)
		assert.same({ s = 1001, ns = 100000000, delta = 800000000 }, calls[1])
		iv:due(at(1001, 500), fire)
		assert.equal(1, #calls)
		iv:due(at(1003, 200), fire) -- a gap: one call, with the whole delta
		assert.equal(2, #calls)
		assert.equal(2100000000, calls[2].delta)
		iv:due(at(1003, 100), fire) -- time stepping back does not fire
		assert.equal(2, #calls)
		assert.equal(1000, iv:ms())
	end)

	it("start on the first time seen when not started", function()
		local iv = interval.new(1e9, false)
		local calls, fire = recorder()
		iv:due(at(50, 999), fire)
		iv:due(at(51, 0), fire)
		assert.equal(1, #calls)
	end)

	it("stop when on_interval returns false", function()
		local iv = interval.new(1e9, true)
		iv:start(at(10, 0))
		local n = 0
		local r = iv:due(at(15, 0), function() n = n + 1; return false end)
		assert.is_false(r)
		assert.equal(1, n)
	end)
end)

describe("precise intervals (set_precise_interval_ns)", function()
	it("fire once per elapsed interval, with each interval's start", function()
		local iv = interval.new(1e9, true)
		local calls, fire = recorder()
		iv:start(at(10, 300))
		iv:due(at(12, 500), fire)
		assert.equal(2, #calls)
		assert.same({ s = 10, ns = 300000000, delta = 1e9 }, calls[1])
		assert.same({ s = 11, ns = 300000000, delta = 1e9 }, calls[2])
		iv:due(at(12, 600), fire)
		assert.equal(2, #calls)
		iv:due(at(13, 400), fire)
		assert.equal(3, #calls)
		assert.equal(12, calls[3].s)
	end)

	it("refuse a zero interval", function()
		assert.is_nil(interval.new(0, false))
	end)
end)

describe("on_interval over a real program", function()
	local FX = H.FIXTURES

	it("runs at least twice over 2.5 s of activity", function()
		local r = H.lanner({ "-c", "interval_count", "--", "sh", "-c",
			"i=0; while [ $i -lt 25 ]; do cat /etc/hostname >/dev/null; sleep 0.1; i=$((i+1)); done" },
			{ path = FX })
		assert.equal(0, r.status, r.err)
		local n = tonumber(r.out:match("intervals (%d+)"))
		-- tracing slows the loop down, the more on a loaded machine
		assert.is_true(n ~= nil and n >= 2 and n <= 12, r.out)
		-- the first one comes at the first second boundary after the start,
		-- the others about a second apart
		local k = 0
		for d in r.out:match("deltas ([%d,]*)"):gmatch("%d+") do
			k = k + 1
			if k > 1 then assert.is_true(tonumber(d) > 0.5e9 and tonumber(d) < 2e9, r.out) end
		end
	end)

	it("runs on the wall clock when the program makes no traced calls", function()
		local r = H.lanner({ "-c", "interval_count", "--", "sleep", "2.5" }, { path = FX })
		assert.equal(0, r.status, r.err)
		local n = tonumber(r.out:match("intervals (%d+)"))
		assert.is_true(n ~= nil and n >= 2 and n <= 4, r.out)
	end)

	it("catches up interval by interval in precise mode", function()
		local r = H.lanner({ "-c", "interval_count", "500", "--", "sleep", "2.2" }, { path = FX })
		assert.equal(0, r.status, r.err)
		local n = tonumber(r.out:match("intervals (%d+)"))
		assert.is_true(n ~= nil and n >= 4 and n <= 6, r.out)
		for d in r.out:match("deltas ([%d,]*)"):gmatch("%d+") do assert.equal("500000000", d) end
	end)

	it("prints a top table per interval when asked", function()
		local r = H.lanner({ "-c", "topfiles_bytes", "5 1", "--", "sh", "-c",
			"cat /etc/hostname >/dev/null; sleep 1.3; cat /etc/passwd >/dev/null; sleep 1" })
		assert.equal(0, r.status, r.err)
		local n = 0
		for _ in r.out:gmatch("%-%-%- %d+%-%d+%-%d+ %d+:%d+:%d+ %-%-%-") do n = n + 1 end
		assert.is_true(n >= 2, r.out)
		-- the two files fall in different intervals
		local first = r.out:find("/etc/hostname", 1, true)
		local second = r.out:find("/etc/passwd", 1, true)
		assert.is_true(first ~= nil and second ~= nil and first < second, r.out)
	end)
end)
