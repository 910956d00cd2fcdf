-- syslog_output: alerts as datagrams on the local syslog socket.
--
-- lanner writes to the socket itself rather than calling libc's syslog():
-- the socket path can then be set (syslog_output.socket, for a sidecar's
-- socket or a test's), sends never block (MSG_DONTWAIT: a full receiver
-- costs a dropped, counted alert, not a stalled tracer), and the framing
-- can be RFC 3164 (what glibc's syslog() sends, the default) or RFC 5424.
-- Facility LOG_USER, as Falco; severity from the alert's priority.
local ffi = require "ffi"
local sys = require "lanner.outputs.sys"
local alert_format = require "lanner.alert_format"
local priority = require "lanner.priority"

local C = ffi.C

local M = {}

M.DEFAULT_SOCKET = "/dev/log"
local LOG_USER = 1

-- Falco's priorities are syslog's severities, in the same order.
M.SEVERITY = {}
for i, name in ipairs(priority.NAMES) do M.SEVERITY[name] = i - 1 end

local function severity(p)
	local s = M.SEVERITY[p] or priority.parse(p)
	if s then return s end
	return 5 -- an unknown priority is still worth a look: Notice
end

local Syslog = {}
Syslog.__index = Syslog

-- cfg: { socket, format = "rfc3164" | "rfc5424", ident }; common: { warn }
function M.new(cfg, common)
	return setmetatable({
		name = "syslog",
		path = cfg.socket or M.DEFAULT_SOCKET,
		format = cfg.format or "rfc3164",
		ident = cfg.ident or "lanner",
		pid = C.getpid(),
		warn = common.warn,
		fd = -1,
		counts = { sent = 0, failed = 0, dropped = 0 },
	}, Syslog)
end

-- The datagram for one alert.  RFC 3164 as glibc frames it for the local
-- socket (no hostname: the daemon adds its own); RFC 5424 with the
-- alert's own time, to the microsecond the RFC allows.
function M.frame(fmt, pri, line, a, ident, pid)
	if fmt == "rfc5424" then
		local ts = a and a.time and alert_format.iso8601(a.time) or os.date("!%Y-%m-%dT%H:%M:%S.000000000Z")
		ts = ts:gsub("(%.%d%d%d%d%d%d)%d*Z$", "%1Z")
		return ("<%d>1 %s %s %s %d - - %s"):format(pri, ts, alert_format.hostname(), ident, pid, line)
	end
	return ("<%d>%s %s[%d]: %s"):format(pri, os.date("%b %e %H:%M:%S"), ident, pid, line)
end

function Syslog:connect()
	local fd, e = sys.unix_connect(self.path, sys.SOCK_DGRAM)
	if not fd then
		self.warn("syslog", ("syslog_output: cannot connect to %s: %s"):format(self.path, sys.strerror(e)))
		return nil
	end
	self.fd = fd
	return fd
end

function Syslog:drop_fd()
	if self.fd >= 0 then C.close(self.fd) end
	self.fd = -1
end

function Syslog:send(line, a)
	local pri = LOG_USER * 8 + severity(a and a.priority)
	local msg = M.frame(self.format, pri, line, a, self.ident, self.pid)
	-- Two tries: a syslog daemon that restarted has a new socket, and the
	-- old connection answers ECONNREFUSED once.
	for _ = 1, 2 do
		if self.fd < 0 and not self:connect() then break end
		local n, e = sys.send(self.fd, msg)
		if n then
			self.counts.sent = self.counts.sent + 1
			return
		end
		if e == sys.EAGAIN or e == sys.ENOBUFS then
			-- the receiver is behind: drop rather than wait
			self.counts.dropped = self.counts.dropped + 1
			self.warn("syslog-full", "syslog_output: receiver is full, alerts dropped")
			return
		end
		self:drop_fd()
		if e ~= sys.ECONNREFUSED and e ~= sys.ENOTCONN and e ~= sys.ENOENT then
			self.warn("syslog", ("syslog_output: send to %s: %s"):format(self.path, sys.strerror(e)))
			break
		end
	end
	self.counts.failed = self.counts.failed + 1
end

function Syslog:tick() end
function Syslog:pending() return 0 end
function Syslog:close() self:drop_fd() end

function Syslog:stats()
	local c = self.counts
	return { sent = c.sent, failed = c.failed, dropped = c.dropped, pending = 0 }
end

return M
