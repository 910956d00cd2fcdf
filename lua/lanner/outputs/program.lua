-- program_output: alert lines written to the stdin of `sh -c program`.
--
-- keep_alive true: one program runs for the whole session and gets every
-- line; when it exits (or crashes), the next alert starts it again, at most
-- once a second so that a program that fails at once does not fork in a
-- loop.  keep_alive false (Falco's default): one program per alert, which
-- reads that line and then EOF.
--
-- Sends never block: lines wait in a bounded queue while the program is
-- slow to read, and past the bound they are dropped and counted.
local ffi = require "ffi"
local sys = require "lanner.outputs.sys"
local queue = require "lanner.outputs.queue"

local C = ffi.C

local M = {}

M.RESTART_DELAY = 1.0 -- seconds between two starts of a keep_alive program
M.SPAWNS_PER_PUMP = 8 -- keep_alive false: programs started per call

local Program = {}
Program.__index = Program

-- cfg: { program, keep_alive }; common: { capacity, warn, now }
function M.new(cfg, common)
	assert(type(cfg.program) == "string" and cfg.program ~= "", "program_output needs a program")
	return setmetatable({
		name = "program",
		cmd = cfg.program,
		keep_alive = cfg.keep_alive == true,
		warn = common.warn,
		now = common.now or sys.now,
		q = queue.queue(common.capacity or 10000),
		pid = nil, fd = -1,
		cur = nil, off = 0,
		next_start = 0,
		children = {}, -- keep_alive false: programs not yet seen to exit
		counts = { sent = 0, failed = 0, starts = 0 },
	}, Program)
end

function Program:start(now)
	self.next_start = now + M.RESTART_DELAY
	local pid, fd = sys.spawn_sh(self.cmd)
	if not pid then
		self.warn("program", ("program_output: cannot start `%s`: %s"):format(self.cmd, sys.strerror(fd)))
		return false
	end
	self.counts.starts = self.counts.starts + 1
	self.pid, self.fd = pid, fd
	return true
end

-- The program went away: forget it (the line being sent is sent again,
-- whole, to the next one).
function Program:lost()
	C.close(self.fd)
	self.fd, self.off = -1, 0
	if self.pid then sys.alive(self.pid) end -- reap it if nobody did
	self.pid = nil
end

function Program:pump_keep_alive(now)
	while true do
		if not self.cur then
			self.cur, self.off = self.q:pop(), 0
			if not self.cur then return end
		end
		if self.fd < 0 and (now < self.next_start or not self:start(now)) then return end
		local n, e = sys.send(self.fd, self.cur, self.off)
		if n then
			self.off = self.off + n
			if self.off >= #self.cur then
				self.counts.sent = self.counts.sent + 1
				self.cur = nil
			end
		elseif e == sys.EAGAIN then
			return -- the program is behind; try again on the next tick
		elseif e ~= sys.EINTR then
			self:lost()
		end
	end
end

-- One program per line.  A fresh socket's buffer takes any alert line
-- whole, so the line is sent and our end closed (the program's EOF) at once.
function Program:pump_per_alert()
	for _ = 1, M.SPAWNS_PER_PUMP do
		local line = self.q:peek()
		if not line then break end
		local pid, fd = sys.spawn_sh(self.cmd)
		if not pid then
			self.warn("program", ("program_output: cannot start `%s`: %s"):format(self.cmd, sys.strerror(fd)))
			return
		end
		self.q:pop()
		self.counts.starts = self.counts.starts + 1
		local n = sys.send(fd, line)
		if n == #line then
			self.counts.sent = self.counts.sent + 1
		else
			self.counts.failed = self.counts.failed + 1
		end
		C.close(fd)
		self.children[#self.children + 1] = pid
	end
end

function Program:pump(now)
	if self.keep_alive then self:pump_keep_alive(now) else self:pump_per_alert() end
end

function Program:send(line)
	if not self.q:push(line .. "\n") then
		self.warn("program-full", "program_output: the program does not keep up, alerts dropped")
		return
	end
	self:pump(self.now())
end

-- Reaps the programs that ended; returns how many still run.
function Program:reap()
	local live = {}
	for _, pid in ipairs(self.children) do
		if sys.alive(pid) then live[#live + 1] = pid end
	end
	self.children = live
	if self.pid and self.fd < 0 and not sys.alive(self.pid) then self.pid = nil end
	return #live
end

function Program:tick(now)
	self:pump(now)
	if #self.children > 0 then self:reap() end
end

function Program:pending()
	return self.q:len() + (self.cur and 1 or 0)
end

-- After the drain: EOF to the program, then wait (until deadline) for it
-- to finish, so that what it does with the last lines is done when lanner
-- exits.
function Program:close(deadline)
	local lost = self:pending()
	self.counts.failed = self.counts.failed + lost
	queue.clear(self.q)
	self.cur = nil
	if self.fd >= 0 then
		C.shutdown(self.fd, sys.SHUT_WR)
		C.close(self.fd)
		self.fd = -1
		if self.pid then self.children[#self.children + 1] = self.pid end
		self.pid = nil
	end
	while self:reap() > 0 and sys.now() < (deadline or 0) do sys.sleep_ms(10) end
end

function Program:stats()
	local c = self.counts
	return { sent = c.sent, failed = c.failed, dropped = self.q.dropped,
		pending = self:pending(), starts = c.starts }
end

return M
