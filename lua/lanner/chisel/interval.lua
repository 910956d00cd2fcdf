-- on_interval timing, as sysdig's sinsp_chisel::do_timeout: time comes
-- from the events (ns since the epoch), and from the wall clock when no
-- event arrives, so that a quiet program still gets its callbacks.
--
-- Two kinds:
--   aligned (set_interval_s / set_interval_ns): fires when the event time
--     enters a new multiple of the interval; called with that event's time
--     and the time since the previous callback;
--   precise (set_precise_interval_ns): one callback per elapsed interval,
--     with the start time of each, catching up after a gap.
local ffi = require "ffi"

local M = {}

local u64 = ffi.typeof("uint64_t")
local NS = 1000000000ULL

-- void * and long[2] (struct timespec), the declaration other modules in
-- the process use too: a different one would make theirs or ours fail.
require("lanner.base").declare("int clock_gettime(int clockid, void *tp);")
local tsbuf = ffi.new("long[2]")

-- Wall clock, ns since the epoch (CLOCK_REALTIME, the clock of ev.ts).
function M.now()
	ffi.C.clock_gettime(0, tsbuf)
	return u64(tsbuf[0]) * NS + u64(tsbuf[1])
end

-- ts (uint64) -> seconds, nanoseconds as Lua numbers.
function M.split(ts)
	return tonumber(ts / NS), tonumber(ts % NS)
end

local Interval = {}
Interval.__index = Interval

-- ns: interval length (number or uint64); precise: sysdig's precise kind.
function M.new(ns, precise)
	local n = u64(ns)
	if n == 0 then return nil end
	return setmetatable({ ns = n, precise = precise and true or false,
		last_sample = nil, last_ts = nil }, Interval)
end

function Interval:ms()
	local ms = tonumber(self.ns / 1000000ULL)
	return ms < 1 and 1 or ms
end

-- Starts the clock at ts (the first event, or the capture start).
function Interval:start(ts)
	ts = u64(ts)
	if self.precise then
		self.last_sample = ts
	else
		self.last_sample = ts - ts % self.ns
	end
	self.last_ts = ts
end

-- Calls fire(ts_s, ts_ns, delta_ns) for each callback due at time ts.
-- Stops early when fire returns false (and returns false then).
function Interval:due(ts, fire)
	ts = u64(ts)
	if self.last_sample == nil then
		self:start(ts)
		return true
	end
	local iv = self.ns
	if self.precise then
		if ts < self.last_sample + iv then return true end
		local t = self.last_sample
		while t + iv <= ts do
			local s, n = M.split(t)
			self.last_sample = t + iv
			if fire(s, n, tonumber(iv)) == false then return false end
			t = t + iv
		end
		return true
	end
	local sample = ts - ts % iv
	-- time can step back a little: a wall-clock tick may run ahead of an
	-- event stamped just before it
	if sample <= self.last_sample then return true end
	local delta = ts - self.last_ts
	if delta == 0 then return true end
	self.last_sample, self.last_ts = sample, ts
	local s, n = M.split(ts)
	return fire(s, n, tonumber(delta)) ~= false
end

return M
