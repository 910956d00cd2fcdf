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
local ffi = require "ffi"
local bit = require "bit"
local sys = require "lanner.outputs.sys"

local C = ffi.C

local File = {}
File.__index = File

local M = {}

local FLAGS = bit.bor(sys.O_WRONLY, sys.O_CREAT, sys.O_APPEND, sys.O_CLOEXEC)
local BUFFER_MAX = 64 * 1024

-- cfg: { filename, keep_alive }; common: { buffered, warn }
function M.new(cfg, common)
	assert(type(cfg.filename) == "string" and cfg.filename ~= "", "file_output needs a filename")
	return setmetatable({
		name = "file",
		filename = cfg.filename,
		keep_alive = cfg.keep_alive == true,
		buffered = common.buffered == true,
		warn = common.warn,
		fd = -1,
		buf = {}, buflen = 0,
		counts = { sent = 0, failed = 0, reopened = 0 },
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

-- Writes `text` (n lines) to the file; counts the lines sent or failed.
function File:write(text, n)
	if self.keep_alive and self.fd >= 0 and self:rotated() then
		self:close_fd()
		self.counts.reopened = self.counts.reopened + 1
	end
	if self.fd < 0 and not self:open() then
		self.counts.failed = self.counts.failed + n
		return
	end
	local ok, e = sys.write_all(self.fd, text)
	if ok then
		self.counts.sent = self.counts.sent + n
	else
		self.counts.failed = self.counts.failed + n
		self.warn("file", ("file_output: write to %s: %s"):format(self.filename, sys.strerror(e)))
		self:close_fd() -- reopen on the next alert (disk full, file system gone)
	end
	if not self.keep_alive then self:close_fd() end
end

function File:flush()
	if self.buflen == 0 then return end
	local text, n = table.concat(self.buf), #self.buf
	self.buf, self.buflen = {}, 0
	self:write(text, n)
end

function File:send(line)
	if self.buffered then
		self.buf[#self.buf + 1] = line .. "\n"
		self.buflen = self.buflen + #line + 1
		if self.buflen >= BUFFER_MAX then self:flush() end
	else
		self:write(line .. "\n", 1) -- one write(): lines from two writers never interleave
	end
end

-- buffered_outputs: what is buffered goes out at least once a tick.
function File:tick() self:flush() end

function File:pending() return #self.buf end

function File:close()
	self:flush()
	self:close_fd()
end

function File:stats()
	local c = self.counts
	return { sent = c.sent, failed = c.failed, reopened = c.reopened, pending = #self.buf, dropped = 0 }
end

return M
