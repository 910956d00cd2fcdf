-- file_output: alerts appended to a file, one a line.
--
-- keep_alive false (Falco's default) opens and closes the file per alert.
-- keep_alive true keeps it open, and follows log rotation without a signal:
-- lanner cannot take SIGHUP for itself (as a container entrypoint it
-- forwards SIGHUP to the program it runs), so before each write it compares
-- the file at `filename` with the one it holds (device and inode, one stat)
-- and reopens when the file was moved away, removed or replaced.  logrotate
-- works with `create` and with `copytruncate` (the file is opened O_APPEND,
-- so writes after a truncation go to its new end).
--
-- A line is written whole or not at all: a JSON consumer must never read a
-- cut line with the next alert glued to it.  Lines go out in one write(2)
-- per batch; when the disk fills part way, the file is truncated back to
-- the end of the last whole line (it was at the end before the write, as
-- O_APPEND keeps it), and the unwritten lines wait, in order, for the next
-- try (at most one a second, on the next alert or tick) until space is
-- back.  Lines waiting are bounded by outputs_queue.capacity; past it, new
-- ones are dropped and counted, and what still waits at exit is counted as
-- failed.  On a file that cannot be truncated (a pipe, a terminal), the
-- rest of a cut line is written first on the next try instead.
local ffi = require "ffi"
local bit = require "bit"
local sys = require "lanner.outputs.sys"

local C = ffi.C

local File = {}
File.__index = File

local M = {}

local FLAGS = bit.bor(sys.O_WRONLY, sys.O_CREAT, sys.O_APPEND, sys.O_CLOEXEC)
M.BATCH_MAX = 64 * 1024 -- bytes per write(2); also when buffered lines go out
M.RETRY_EVERY = 1 -- seconds between two tries after a failed write
M.CAPACITY = 10000 -- lines waiting, when the outputs give no capacity

-- cfg: { filename, keep_alive }; common: { buffered, warn, capacity, now }
function M.new(cfg, common)
	assert(type(cfg.filename) == "string" and cfg.filename ~= "", "file_output needs a filename")
	return setmetatable({
		name = "file",
		filename = cfg.filename,
		keep_alive = cfg.keep_alive == true,
		buffered = common.buffered == true,
		warn = common.warn,
		now = common.now or sys.now,
		capacity = common.capacity or M.CAPACITY,
		fd = -1,
		q = {}, qbytes = 0, -- lines not yet written, each with its "\n"
		partial = false, -- q[1] is the rest of a line begun on self.fd
		retry_at = nil,
		counts = { sent = 0, failed = 0, dropped = 0, reopened = 0 },
	}, File)
end

function File:open()
	local fd = C.open(self.filename, FLAGS, ffi.cast("int", 420)) -- 0644
	if fd < 0 then
		local e = ffi.errno()
		self.warn("file", ("file_output: cannot open %s: %s"):format(self.filename, sys.strerror(e)))
		return nil
	end
	self.fd = fd
	self.dev, self.ino = sys.fd_id(fd)
	return fd
end

function File:close_fd()
	if self.fd >= 0 then C.close(self.fd) end
	self.fd = -1
end

-- The file we hold is still the one at `filename`?
function File:rotated()
	local dev, ino = sys.path_id(self.filename)
	return dev == nil or dev ~= self.dev or ino ~= self.ino
end

-- Drops the first n lines of the queue (written, or given up).
function File:shift(n)
	local q = self.q
	for i = 1, n do self.qbytes = self.qbytes - #q[i] end
	table.move(q, n + 1, #q + n, 1)
end

-- After a write cut short at byte n of text (the first k lines of the
-- queue): keeps the whole lines written, takes the cut one back.
function File:cut(text, k, n, start)
	local whole, bytes = 0, 0
	for i = 1, k do
		local l = #self.q[i]
		if bytes + l > n then break end
		whole, bytes = whole + 1, bytes + l
	end
	self.counts.sent = self.counts.sent + whole
	if n > bytes then
		if start >= 0 and C.ftruncate(self.fd, start + bytes) == 0 then
			self.partial = false
		else
			-- no way back: the rest of the cut line must follow on this fd
			local i = whole + 1
			local rest = self.q[i]:sub(n - bytes + 1)
			self.qbytes = self.qbytes - (#self.q[i] - #rest)
			self.q[i] = rest
			self.partial = true
		end
	end
	self:shift(whole)
end

-- Writes the waiting lines; on failure they wait for the next try.
function File:write_out()
	if not self.partial then
		if self.keep_alive and self.fd >= 0 and self:rotated() then
			self:close_fd()
			self.counts.reopened = self.counts.reopened + 1
		end
		if self.fd < 0 and not self:open() then
			self.retry_at = self.now() + M.RETRY_EVERY
			return
		end
	end
	local q = self.q
	while #q > 0 do
		local k, bytes = 0, 0
		repeat
			k = k + 1
			bytes = bytes + #q[k]
		until k == #q or bytes + #q[k + 1] > M.BATCH_MAX
		local text = table.concat(q, "", 1, k)
		local start = tonumber(C.lseek(self.fd, 0, sys.SEEK_END))
		local n, e = sys.write_some(self.fd, text)
		if not e then
			self.counts.sent = self.counts.sent + k
			self.partial = false
			self:shift(k)
		else
			self:cut(text, k, n, start)
			self.retry_at = self.now() + M.RETRY_EVERY
			self.warn("file", ("file_output: write to %s: %s (%d alert lines wait for a retry)")
				:format(self.filename, sys.strerror(e), #q))
			if not self.partial then self:close_fd() end -- reopen on the next try (file system gone)
			return
		end
	end
	self.retry_at = nil
	if not self.keep_alive then self:close_fd() end
end

-- Writes now unless a failed write asked to wait; force: try anyway.
function File:flush(force)
	if #self.q == 0 then return end
	if not force and self.retry_at and self.now() < self.retry_at then return end
	self:write_out()
end

function File:send(line)
	if #self.q >= self.capacity then
		self.counts.dropped = self.counts.dropped + 1
		self.warn("file-full", ("file_output: %d alert lines wait to be written to %s; new ones are dropped")
			:format(#self.q, self.filename))
		return
	end
	self.q[#self.q + 1] = line .. "\n"
	self.qbytes = self.qbytes + #line + 1
	-- unbuffered: each alert at once, in one write(): lines from two
	-- writers never interleave
	if not self.buffered or self.qbytes >= M.BATCH_MAX then self:flush() end
end

-- buffered_outputs: what is buffered goes out at least once a tick; and
-- lines held by a failed write are retried from here.
function File:tick() self:flush() end

-- No pending(): the drain at exit (outputs.lua) waits for receivers that
-- answer late, not for a full disk; close() tries once more.

function File:close()
	self:flush(true)
	self.counts.failed = self.counts.failed + #self.q
	self.q, self.qbytes = {}, 0
	self:close_fd()
end

function File:stats()
	local c = self.counts
	return { sent = c.sent, failed = c.failed, reopened = c.reopened, pending = #self.q, dropped = c.dropped }
end

return M
