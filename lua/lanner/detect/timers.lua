-- The detection clock and d.every timers.
--
-- Time is event time (ns since the epoch, as a Lua number), so windows and
-- timers give the same answers over a capture as they did live.  When no
-- event comes (the loop's wait timed out: tick(false)), the clock runs on
-- from the last event by the wall time passed since it was handled, so a
-- quiet program still gets its timers, and a capture (where event time is
-- in the past) is not pushed to today's date.
local ffi = require "ffi"

local M = {}

-- The declaration lanner.chisel.interval makes too: one of them wins.
require("lanner.base").declare("int clock_gettime(int clockid, void *tp);")
local tsbuf = ffi.new("long[2]")

-- CLOCK_REALTIME in ns, the clock of ev.ts.
function M.wall()
	ffi.C.clock_gettime(0, tsbuf)
	return tonumber(tsbuf[0]) * 1e9 + tonumber(tsbuf[1])
end

local Clock = {}
Clock.__index = Clock

-- now: the time windows and timers read.  next_due: the earliest timer
-- (math.huge when none), checked on every event without a call.
function M.new()
	return setmetatable({ now = 0, last_ev = nil, wall_at = nil, timers = {}, next_due = math.huge,
		started = false }, Clock)
end

-- An event of time ts (number) was seen.
function Clock:event(ts)
	if ts > self.now then self.now = ts end
	self.last_ev = self.now
	if not self.started then self:start() end
end

-- After an event was handled: remember the wall time, for idle() (only
-- when timers exist: it is a clock read per event).
function Clock:handled()
	if self.timers[1] then self.wall_at = M.wall() end
end

-- The wait timed out: advance by the wall time since the last event.
function Clock:idle()
	local w = M.wall()
	if self.last_ev == nil or self.wall_at == nil then
		-- nothing seen yet: the wall clock is all there is
		if w > self.now then self.now = w end
	else
		local t = self.last_ev + (w - self.wall_at)
		if t > self.now then self.now = t end
	end
	if not self.started then self:start() end
end

-- Timers count from the first time the clock knows (the first event).
function Clock:start()
	self.started = true
	for _, t in ipairs(self.timers) do
		if not t.next then t.next = self.now + t.period end
	end
	self:reschedule()
end

function Clock:reschedule()
	local d = math.huge
	for _, t in ipairs(self.timers) do
		if t.next and t.next < d then d = t.next end
	end
	self.next_due = d
end

-- every(secs, fn, owner, where) -> timer (timer:cancel() removes it).
local Timer = {}
Timer.__index = Timer

function Clock:every(secs, fn, owner, where)
	local t = setmetatable({ period = secs * 1e9, fn = fn, owner = owner, where = where, clock = self }, Timer)
	if self.started then t.next = self.now + t.period end
	self.timers[#self.timers + 1] = t
	self:reschedule()
	return t
end

function Timer:cancel()
	local list = self.clock.timers
	for i = #list, 1, -1 do
		if list[i] == self then table.remove(list, i) end
	end
	self.clock:reschedule()
end

-- Runs the timers that are due, each once however many periods passed
-- (replaying missed periods would repeat the same report).
-- call(timer, now) runs one, protected by the caller.
function Clock:run(call)
	local now = self.now
	-- a copy: a timer may cancel itself or add another
	local due = {}
	for _, t in ipairs(self.timers) do
		if t.next and t.next <= now then due[#due + 1] = t end
	end
	for _, t in ipairs(due) do
		-- a timer reports at its due time, not when lanner noticed: live
		-- (woken by the wall clock) and replayed (woken by a later
		-- event) runs then see the same time
		local at = t.next
		t.next = t.next + t.period
		if t.next <= now then t.next = now + t.period end
		call(t, at)
	end
	self:reschedule()
end

function Clock:interval_ms()
	local ms
	for _, t in ipairs(self.timers) do
		local p = math.max(1, math.floor(t.period / 1e6))
		if not ms or p < ms then ms = p end
	end
	return ms
end

return M
