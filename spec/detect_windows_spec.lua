-- The bounded helpers (d.window, d.counter, d.rate, d.map) and the clock
-- behind them and d.every, on a clock the spec moves by hand.
local windows = require "lanner.detect.windows"
local timers = require "lanner.detect.timers"

local S = 1e9

describe("d.window", function()
	it("keeps the entries of the last span, oldest first", function()
		local clock = { now = 100 * S }
		local w = windows.window(clock, 10, 100)
		assert.are.equal(1, w:add("a"))
		clock.now = 105 * S
		assert.are.equal(2, w:add("b"))
		assert.are.equal(100 * S, w:first())
		clock.now = 110 * S -- "a" is exactly span old: out
		assert.are.equal(1, w:count())
		assert.are.same({ "b" }, w:values())
		clock.now = 200 * S
		assert.are.equal(0, w:count())
		assert.is_nil(w:first())
	end)

	it("holds at most max entries, dropping the oldest", function()
		local clock = { now = 0 }
		local w = windows.window(clock, 1000, 3)
		for i = 1, 10 do
			clock.now = i * S
			assert.are.equal(math.min(i, 3), w:add(i))
		end
		assert.are.same({ 8, 9, 10 }, w:values())
		w:clear()
		assert.are.equal(0, w:count())
	end)

	it("refuses a bad span at the caller's line", function()
		local ok, err = pcall(function()
			local w = windows.window({ now = 0 }, -1, 3)
			return w
		end)
		assert.is_false(ok)
		assert.matches("detect_windows_spec.lua:%d+: window: the span", err)
	end)
end)

describe("d.counter", function()
	it("counts per key and evicts the smallest when full", function()
		local c = windows.counter(3)
		c:add("a", 5)
		c:add("b", 2)
		c:add("c", 7)
		assert.are.equal(8, c:add("c"))
		assert.are.equal(1, c:add("d")) -- evicts b (2)
		assert.are.equal(3, c:len())
		assert.are.equal(0, c:get("b"))
		assert.are.same({ { key = "c", count = 8 }, { key = "a", count = 5 } }, c:top(2))
		c:del("a")
		assert.are.equal(2, c:len())
		for i = 1, 1000 do c:add(i) end
		assert.are.equal(3, c:len())
	end)
end)

describe("d.rate", function()
	it("is true on the hit that completes n within the span, then starts over", function()
		local clock = { now = 0 }
		local r = windows.rate(clock, 3, 10)
		local got = {}
		for i = 1, 7 do
			clock.now = i * S
			got[i] = r:hit("k")
		end
		assert.are.same({ false, false, true, false, false, true, false }, got)
		-- spread out: never three within 10 s
		r = windows.rate(clock, 3, 10)
		for i = 1, 10 do
			clock.now = 1000 * S + i * 6 * S
			assert.is_false((r:hit()))
		end
		assert.are.equal(2, r:count())
	end)

	it("keeps at most max_keys keys, expired ones going first", function()
		local clock = { now = 0 }
		local r = windows.rate(clock, 5, 10, 4)
		for i = 1, 4 do r:hit("old" .. i) end
		clock.now = 100 * S
		r:hit("a")
		assert.are.equal(1, r.n)
		for i = 1, 100 do
			clock.now = clock.now + 0.01 * S
			r:hit("k" .. i)
		end
		assert.are.equal(4, r.n)
		assert.are.equal(1, r:count("k100"))
		assert.are.equal(0, r:count("k1"))
	end)
end)

describe("d.map", function()
	it("forgets entries after the span and holds at most max", function()
		local clock = { now = 0 }
		local m = windows.map(clock, 3, 10)
		m:set("a", 1)
		clock.now = 5 * S
		m:set("b", 2)
		assert.are.equal(1, m:get("a"))
		clock.now = 11 * S
		assert.is_nil(m:get("a"))
		assert.are.equal(2, m:get("b"))
		m:set("c", 3)
		m:set("d", 4)
		m:set("e", 5) -- full: b, the oldest set, goes
		assert.are.equal(3, m:len())
		assert.is_nil(m:get("b"))
		assert.are.equal(5, m:get("e"))
		m:set("c", 33) -- set again: now the newest
		m:set("f", 6) -- evicts d
		assert.is_nil(m:get("d"))
		assert.are.equal(33, m:get("c"))
	end)

	it("stays bounded under endless new keys and re-sets", function()
		local clock = { now = 0 }
		local m = windows.map(clock, 100)
		for i = 1, 20000 do
			m:set(i % 150, i)
			m:set("k" .. i, i)
		end
		assert.are.equal(100, m:len())
		assert.is_true(m.qe - m.qh < 2 * 100 + 20)
		local n = 0
		for _ in pairs(m.e) do n = n + 1 end
		assert.are.equal(100, n)
	end)
end)

describe("d.counter against a plain count", function()
	it("keeps every count, and a new key in a full counter evicts one of the smallest", function()
		math.randomseed(7)
		local c, ref = windows.counter(50), {}
		for _ = 1, 20000 do
			local key = math.random(120)
			local n = math.random(-2, 5)
			if ref[key] == nil and c:len() == 50 then
				local min = math.huge
				for _, v in pairs(ref) do min = math.min(min, v) end
				local before = {}
				for k in pairs(ref) do before[k] = true end
				c:add(key, n)
				local gone = 0
				for k in pairs(before) do
					if c:get(k) == 0 and ref[k] ~= 0 then
						assert.are.equal(min, ref[k])
						ref[k] = nil
						gone = gone + 1
					end
				end
				-- a key whose count was 0 may have gone without a trace
				if gone == 0 then
					for k in pairs(before) do
						if ref[k] == 0 and c:get(k) == 0 and not c.e[k] then ref[k] = nil; gone = 1; break end
					end
				end
				assert.are.equal(1, gone)
				ref[key] = n
			else
				c:add(key, n)
				ref[key] = (ref[key] or 0) + n
			end
			if math.random(20) == 1 then
				local k = math.random(120)
				c:del(k)
				ref[k] = nil
			end
			local count = 0
			for k, v in pairs(ref) do
				count = count + 1
				assert.are.equal(v, c:get(k))
			end
			assert.are.equal(count, c:len())
		end
	end)
end)

describe("the detection clock", function()
	it("fires timers on event time, once per due time, catching up without replays", function()
		local c = timers.new()
		local fired = {}
		c:every(1, function(now) fired[#fired + 1] = now end)
		c:event(10 * S) -- timers start at the first event
		assert.are.equal(11 * S, c.next_due)
		c:event(10.5 * S)
		assert.is_false(c.now >= c.next_due)
		c:event(11 * S)
		c:run(function(t, now) t.fn(now) end)
		assert.are.same({ 11 * S }, fired)
		c:event(15.5 * S) -- four periods late: one call, at the first missed due time
		c:run(function(t, now) t.fn(now) end)
		assert.are.same({ 11 * S, 12 * S }, fired)
		assert.are.equal(16.5 * S, c.next_due)
	end)

	it("runs on from the last event by wall time when idle", function()
		local c = timers.new()
		local t = c:every(0.05, function() end)
		c:event(1000 * S) -- an old (capture) time
		c:handled()
		local w0 = timers.wall()
		repeat until timers.wall() - w0 > 0.06 * S
		c:idle()
		assert.is_true(c.now >= 1000.06 * S and c.now < 1005 * S)
		assert.is_true(c.now >= c.next_due)
		t:cancel()
		assert.are.equal(math.huge, c.next_due)
		assert.are.equal(nil, c:interval_ms())
	end)
end)
