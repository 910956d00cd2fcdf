-- fd.*: the file descriptor an event acts on or creates (libsinsp's "fd").
--
-- Socket roles: sinsp keeps a tuple as client -> server; lanner keeps local
-- and remote ends plus is_server.  A socket is a listening one when it is a
-- server not connected (sinsp's *_SERVSOCK: only sip/sport), a connection
-- when connected or when its remote port is known, and has no role
-- otherwise (cip/sip/lip/rip missing, as sinsp's is_role_none()).
local bit = require "bit"
local cm = require "lanner.fields.common"

local ffi, C, core = cm.ffi, cm.C, cm.core
local band = bit.band
local type_info = core.type_info

local FD = {}
for _, n in ipairs { "FILE", "DIRECTORY", "IPV4", "IPV6", "UNIX", "PIPE", "EVENT",
	"SIGNALFD", "EVENTPOLL", "INOTIFY", "TIMERFD", "MEMFD" } do
	FD[n] = tonumber(C["LN_FD_" .. n])
end
local L4 = { [tonumber(C.LN_L4_TCP)] = "tcp", [tonumber(C.LN_L4_UDP)] = "udp",
	[tonumber(C.LN_L4_ICMP)] = "icmp", [tonumber(C.LN_L4_RAW)] = "raw" }

local RELATED = core.types_with_flags(cm.FD_RELATED)
-- fd fields known only at the exit: fds a syscall makes, and sockets whose
-- ends the syscall sets (a connect's peer, a bind's local address).
local CREATES = core.types_with_flags(cm.TF.FD_CREATE)
for _, n in ipairs { "connect", "bind", "listen", "sendto", "sendmsg", "recvfrom", "recvmsg" } do
	CREATES[n] = true
end

-- The event's fd, or false when the event type has nothing to do with fds
-- (every fd field is then missing, as sinsp's extract_fd() failing).
local TYPE_FLAGS, FD_RELATED = cm.TYPE_FLAGS, cm.FD_RELATED
local function related(ev)
	return band(TYPE_FLAGS[ev.type], FD_RELATED) ~= 0
end

local function the_fd(ev)
	if not related(ev) then return nil end
	local fd = ev.fd
	if fd == nil then return nil end
	return fd
end

local function fd_name(fd)
	if fd.name == nil then return "" end
	return ffi.string(fd.name)
end

local function is_ip(fd) return fd.type == FD.IPV4 or fd.type == FD.IPV6 end
local function is_file(fd) return fd.type == FD.FILE or fd.type == FD.MEMFD end

-- "listen", "server", "client" or nil (no role).
local function role(fd)
	if not is_ip(fd) then return nil end
	if fd.is_server ~= 0 then return fd.connected ~= 0 and "server" or "listen" end
	if fd.connected ~= 0 or fd.tuple.rport ~= 0 then return "client" end
	return nil
end

-- An IPv6 socket talking IPv4 (both ends ::ffff:a.b.c.d, what a program
-- gets when it connects an AF_INET6 socket to an IPv4 peer) shows IPv4
-- addresses, as sinsp turns such a tuple into an IPv4 one (sinsp also calls
-- the fd ipv4; here fd.type stays the socket's family): the packets are
-- IPv4, and a rule that names 169.254.169.254 or 127.0.0.0/8 must match
-- either form.  An end not known yet (all zeros) does not stop it.
local function v4_mapped(b, or_zero)
	for i = 0, 9 do if b[i] ~= 0 then return false end end
	if b[10] == 0xff and b[11] == 0xff then return true end
	if not or_zero then return false end
	for i = 10, 15 do if b[i] ~= 0 then return false end end
	return true
end

local function ip_of(ev, fd, which)
	local c = cm.evcache(ev)
	local v = c[which]
	if v == nil then
		local t = fd.tuple
		local family, b, other = t.family, t.rip, t.lip
		if which == "lip" then b, other = other, b end
		if family == cm.AF_INET6 and v4_mapped(b) and v4_mapped(other, true) then
			family, b = cm.AF_INET, b + 12
		end
		v = cm.ip_text(family, b) or false
		c[which] = v
	end
	return v or nil
end

-- Which end (lip/rip or lport/rport) a role-relative field reads.
local ENDS = {
	-- field: { listen, server, client }
	c = { nil, "r", "l" },
	s = { "l", "l", "r" },
	l = { nil, "l", "l" },
	r = { nil, "r", "r" },
}
local ROLE_IX = { listen = 1, server = 2, client = 3 }

local function end_of(fd, which)
	local r = role(fd)
	if r == nil then return nil end
	return ENDS[which][ROLE_IX[r]]
end

local function ip_field(name, which, ftype, desc)
	return { name = name, type = ftype, desc = desc, needs_exit = CREATES, types = RELATED,
		get = function(ev)
			local fd = the_fd(ev)
			if fd == nil then return nil end
			local e = end_of(fd, which)
			return e and ip_of(ev, fd, e .. "ip")
		end }
end

local function port_field(name, which, desc, as_text)
	return { name = name, type = as_text and "string" or "number", ftype = as_text and "CHARBUF" or "PORT",
		desc = desc, needs_exit = CREATES, types = RELATED,
		get = function(ev)
			local fd = the_fd(ev)
			if fd == nil then return nil end
			local e = end_of(fd, which)
			if e == nil then return nil end
			local port = e == "l" and fd.tuple.lport or fd.tuple.rport
			return as_text and tostring(port) or port
		end }
end

-- fd.ip / fd.port / fd.net: either end (both ends of a connection, the bound
-- end of a listening socket).
local function both(ev, what)
	local fd = the_fd(ev)
	if fd == nil then return {} end
	local r = role(fd)
	if r == nil then return {} end
	if what == "ip" then
		if r == "listen" then return { ip_of(ev, fd, "lip") } end
		return { ip_of(ev, fd, "lip"), ip_of(ev, fd, "rip") }
	end
	if r == "listen" then return { fd.tuple.lport } end
	return { fd.tuple.lport, fd.tuple.rport }
end

local function either_field(name, what, ftype, desc)
	return { name = name, type = ftype, multi = true, desc = desc, needs_exit = CREATES, types = RELATED,
		values = function(ev) return both(ev, what) end }
end

-- Name of a fd an event tried to create but did not (sinsp's
-- extract_fdname_from_creator): the path an open tried, the address a
-- connect tried, "" for the rest.
local OPEN_DIRFD = { openat = "dirfd", openat2 = "dirfd" }
-- (a memo: gsub does not compile, and would cut the trace of every rule
-- testing fd.nameraw)
local squeeze_slashes = cm.memo(function(path) return (path:gsub("//+", "/")) end)
local function creator_name(ev, raw)
	local info = type_info[ev.type]
	if band(info.flags, cm.TF.OPEN) ~= 0 then
		local pi = info.pindex.name
		local path = pi and cm.param_raw(ev, info, pi)
		if path == nil then return nil end
		if raw then return squeeze_slashes(path) end
		return cm.resolve_path(ev, info, path, OPEN_DIRFD[info.name])
	end
	-- connect: the address it tried; accept: the tuple of what it got
	local pi = (info.name == "connect" and info.pindex.addr)
		or ((info.name == "accept" or info.name == "accept4") and info.pindex.tuple)
	if pi then return cm.param_text(ev, info, pi) or "" end
	return ""
end

-- A failed connect leaves the socket's old name: fd.name reports the
-- target.  One in progress (EINPROGRESS, -115) already has its tuple.
local CONNECT = core.type_id.connect
local function failed_connect(ev)
	return ev.type == CONNECT and ev.has_res ~= 0 and ev.res < 0 and ev.res ~= -115
end

local function name_of(ev)
	if not related(ev) then return nil end
	local fd = ev.fd
	if fd == nil or failed_connect(ev) then return creator_name(ev, false) end
	return fd_name(fd)
end

local CREATOR_CHAR = {
	open = "f", openat = "f", openat2 = "f", creat = "f", socket = "4", accept = "4", accept4 = "4",
	pipe = "p", pipe2 = "p", eventfd2 = "e", signalfd4 = "s", timerfd_create = "t",
	inotify_init1 = "i", memfd_create = "m",
}

local dirname = cm.memo(function(name)
	local pos = name:match("^.*()/")
	if pos == nil or pos == 1 then return "/" end
	if pos < #name then return name:sub(1, pos - 1) end
	return name
end)

local basename = cm.memo(function(name)
	local pos = name:match("^.*()/")
	if pos == nil then return "/" end
	if pos < #name then return name:sub(pos + 1) end
	return name
end)

local function directory(ev)
	if not related(ev) then return nil end
	local fd = ev.fd
	if fd == nil then
		local n = creator_name(ev, false)
		return n and dirname(n)
	end
	if fd.type == FD.DIRECTORY then return fd_name(fd) end
	if not is_file(fd) then return nil end
	return dirname(fd_name(fd))
end

-- The same two in place, for the filter (a spec's cview/cstr): the name's
-- bytes up to its last '/', or after it.  nil (get() decides) for what is
-- not a plain file path: no fd yet, no '/', a name ending in '/'.
require("lanner.base").declare("char *strrchr(const char *s, int c);")
local strrchr = ffi.C.strrchr
-- The name and its last '/', for a file path with a name after that slash.
local function split_c(ev)
	if not related(ev) then return nil end
	local fd = ev.fd
	if fd == nil or fd.name == nil or not is_file(fd) then return nil end
	local p = fd.name
	local q = strrchr(p, 47)
	if q == nil or q[1] == 0 then return nil end
	return p, q
end

local function directory_view(ev)
	local p, q = split_c(ev)
	if p == nil then return nil end
	if q == p then return p, 1 end		-- "/x": the root
	return p, tonumber(q - p)
end

local function filename_c(ev)
	local p, q = split_c(ev)
	return p and q + 1
end

local function types_of(ev)
	local p = cm.proc(ev)
	local iter = cm.state.fd_iter
	if p == nil or iter == nil then return {} end
	local seen, out = {}, {}
	for fd in iter(p) do
		local t = cm.fd_type_name(fd.type)
		if not seen[t] then seen[t] = true; out[#out + 1] = t end
	end
	return out
end

local function unsupported(name, ftype, why, desc)
	return { name = name, type = ftype, desc = desc, unsupported = why }
end

local function fd_getter(f)
	return function(ev)
		local fd = the_fd(ev)
		if fd == nil then return nil end
		return f(fd, ev)
	end
end

local function fdf(name, ftype, desc, f, extra)
	local d = { name = name, type = ftype, desc = desc, needs_exit = CREATES, types = RELATED, get = fd_getter(f) }
	for k, v in pairs(extra or {}) do d[k] = v end
	return d
end

return {
	{ name = "fd.num", type = "number", ftype = "INT64", needs_exit = CREATES, types = RELATED,
		desc = "the unique number identifying the file descriptor (-1 when a creating call failed).",
		get = function(ev) if not related(ev) then return nil end; return ev.fdnum end },
	fdf("fd.type", "string", "type of FD. Can be 'file', 'directory', 'ipv4', 'ipv6', 'unix', 'pipe', 'event', 'signalfd', 'eventpoll', 'inotify', 'timerfd', 'netlink', 'memfd', ...",
		function(fd) return cm.fd_type_name(fd.type) end),
	{ name = "fd.typechar", type = "string", needs_exit = CREATES, types = RELATED,
		desc = "type of FD as a single character: 'f' file, 4 IPv4 socket, 6 IPv6 socket, 'u' unix socket, p pipe, 'e' eventfd, 's' signalfd, 'l' eventpoll, 'i' inotify, 'o' unknown, ...",
		get = function(ev)
			if not related(ev) then return nil end
			local fd = ev.fd
			if fd == nil then return CREATOR_CHAR[type_info[ev.type].name] or "o" end
			return cm.fd_typechar(fd.type)
		end },
	{ name = "fd.name", type = "string", needs_exit = CREATES, types = RELATED,
		desc = "FD full name. If the fd is a file, this field contains the full path. If the FD is a socket, this field contain the connection tuple. For a failed open, the path it tried.",
		get = name_of,
		cstr = function(ev)
			if not related(ev) then return nil end
			local fd = ev.fd
			if fd == nil or fd.name == nil or failed_connect(ev) then return nil end
			return fd.name
		end },
	{ name = "fd.nameraw", type = "string", needs_exit = CREATES, types = RELATED,
		desc = "FD name as the syscall gave it, for files opened by this event; otherwise fd.name (lanner keeps resolved names only).",
		get = function(ev)
			if not related(ev) then return nil end
			local info = type_info[ev.type]
			if band(info.flags, cm.TF.OPEN) ~= 0 then return creator_name(ev, true) end
			local fd = ev.fd
			return fd and fd_name(fd) or ""
		end },
	{ name = "fd.directory", type = "string", needs_exit = CREATES, types = RELATED,
		desc = "If the fd is a file, the directory that contains it.", get = directory, cview = directory_view },
	{ name = "fd.filename", type = "string", needs_exit = CREATES, types = RELATED,
		desc = "If the fd is a file, the filename without the path.",
		get = function(ev)
			if not related(ev) then return nil end
			local fd = ev.fd
			if fd == nil then
				if band(type_info[ev.type].flags, cm.TF.OPEN) == 0 then return nil end
				local n = creator_name(ev, false)
				return n and basename(n)
			end
			if not is_file(fd) then return nil end
			return basename(fd_name(fd))
		end,
		cstr = filename_c },
	either_field("fd.ip", "ip", "ipaddr", "matches the ip address (client or server) of the fd."),
	ip_field("fd.cip", "c", "ipaddr", "client IP address."),
	ip_field("fd.sip", "s", "ipaddr", "server IP address."),
	ip_field("fd.lip", "l", "ipaddr", "local IP address."),
	ip_field("fd.rip", "r", "ipaddr", "remote IP address."),
	either_field("fd.port", "port", "number", "matches the port (either client or server) of the fd."),
	port_field("fd.cport", "c", "for TCP/UDP FDs, the client port."),
	port_field("fd.sport", "s", "for TCP/UDP FDs, server port."),
	port_field("fd.lport", "l", "for TCP/UDP FDs, the local port."),
	port_field("fd.rport", "r", "for TCP/UDP FDs, the remote port."),
	either_field("fd.proto", "port", "number", "matches the protocol (either client or server) of the fd (port number: no service names)."),
	port_field("fd.cproto", "c", "for TCP/UDP FDs, the client protocol (port number: no service names).", true),
	port_field("fd.sproto", "s", "for TCP/UDP FDs, server protocol (port number: no service names).", true),
	port_field("fd.lproto", "l", "for TCP/UDP FDs, the local protocol (port number: no service names).", true),
	port_field("fd.rproto", "r", "for TCP/UDP FDs, the remote protocol (port number: no service names).", true),
	either_field("fd.net", "ip", "ipnet", "matches the IP network (client or server) of the fd."),
	ip_field("fd.cnet", "c", "ipnet", "matches the client IP network of the fd."),
	ip_field("fd.snet", "s", "ipnet", "matches the server IP network of the fd."),
	ip_field("fd.lnet", "l", "ipnet", "matches the local IP network of the fd."),
	ip_field("fd.rnet", "r", "ipnet", "matches the remote IP network of the fd."),
	fdf("fd.l4proto", "string", "the IP protocol of a socket. Can be 'tcp', 'udp', 'icmp' or 'raw' ('<NA>' for other fds, as sinsp).",
		function(fd) return L4[fd.tuple.l4proto] or "<NA>" end),
	fdf("fd.sockfamily", "string", "the socket family for socket events. Can be 'ip' or 'unix'.",
		function(fd)
			if is_ip(fd) then return "ip" end
			if fd.type == FD.UNIX then return "unix" end
			return nil
		end),
	fdf("fd.is_server", "bool", "'true' if the process owning this FD is the server endpoint in the connection.",
		function(fd) return is_ip(fd) and fd.is_server ~= 0 end),
	fdf("fd.connected", "bool", "for TCP/UDP FDs, 'true' if the socket is connected.",
		function(fd) return fd.connected ~= 0 end),
	{ name = "fd.uid", type = "string", needs_exit = CREATES, types = RELATED,
		desc = "a unique identifier for the FD, created by chaining the thread ID and the FD number.",
		get = function(ev) if not related(ev) then return nil end; return tostring(ev.tid) .. tostring(ev.fdnum) end },
	{ name = "fd.containername", type = "string", needs_exit = CREATES, types = RELATED,
		desc = "chaining of the container ID and the FD name.",
		get = function(ev)
			local n, p = name_of(ev), cm.proc(ev)
			if n == nil or p == nil or p.container_id == nil then return nil end
			return ffi.string(p.container_id) .. ":" .. n
		end },
	{ name = "fd.containerdirectory", type = "string", needs_exit = CREATES, types = RELATED,
		desc = "chaining of the container ID and the directory name.",
		get = function(ev)
			local d, p = directory(ev), cm.proc(ev)
			if d == nil or p == nil or p.container_id == nil then return nil end
			return ffi.string(p.container_id) .. ":" .. d
		end },
	fdf("fd.dev", "number", "device number (major/minor) containing the referenced file",
		function(fd) return tonumber(fd.dev) end, { ftype = "INT32", fmt = "%X" }),
	fdf("fd.dev.major", "number", "major device number containing the referenced file",
		function(fd) return tonumber(band(bit.rshift(fd.dev, 8), 0xfff)) end, { ftype = "INT32" }),
	fdf("fd.dev.minor", "number", "minor device number containing the referenced file",
		function(fd) return tonumber(bit.bor(band(fd.dev, 0xff), band(bit.rshift(fd.dev, 12), 0xfff00))) end,
		{ ftype = "INT32" }),
	fdf("fd.ino", "number", "inode number of the referenced file", function(fd) return tonumber(fd.ino) end,
		{ ftype = "INT64" }),
	-- The name is the kernel's, so /proc/self, /proc/thread-self, a dirfd
	-- on /proc/PID and a chdir into it all come out as /proc/PID/...: a
	-- rule compares this with proc.vpid (the pid as that /proc shows it).
	fdf("fd.procpid", "number", "For a file below /proc/PID/ (or /proc/PID/task/TID/), the PID: the process the file describes (lanner only).",
		function(fd)
			if not is_file(fd) or fd.name == nil then return nil end
			return tonumber(ffi.string(fd.name):match("^/proc/(%d+)/"))
		end, { ftype = "INT64" }),
	{ name = "fd.types", type = "string", multi = true, list = true, arg = { kind = "index", bracket = true },
		desc = "List of FD types in use by the process; fd.types[N] is the type of fd N.",
		bind = function() return { multi = false, list = false } end,
		values = types_of,
		get = function(ev, n, i)
			if n == nil then return types_of(ev)[i or 1] end
			local fd = cm.fd_of(cm.proc(ev), n)
			return fd and cm.fd_type_name(fd.type)
		end },
	unsupported("fd.cip.name", "string", "lanner does no DNS tracking", "Domain name associated with the client IP address."),
	unsupported("fd.sip.name", "string", "lanner does no DNS tracking", "Domain name associated with the server IP address."),
	unsupported("fd.lip.name", "string", "lanner does no DNS tracking", "Domain name associated with the local IP address."),
	unsupported("fd.rip.name", "string", "lanner does no DNS tracking", "Domain name associated with the remote IP address."),
	unsupported("fd.name_changed", "bool", "fd renames are not reported per event", "True when an event changes the name of an fd used by this event."),
}
