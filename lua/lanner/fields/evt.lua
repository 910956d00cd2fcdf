-- evt.* and syscall.type: the event itself (libsinsp's "evt" classes).
-- Meanings follow falcosecurity/libs filterchecks; where lanner differs the
-- description says so.
local bit = require "bit"
local cm = require "lanner.fields.common"
local scope = require "lanner.fields.scope"

local ffi, C, core = cm.ffi, cm.C, cm.core
local FDT = function(n) return tonumber(C["LN_FD_" .. n]) end
local band = bit.band
local TF, K = cm.TF, cm.K
local type_info, type_name = core.type_info, core.type_name
local state = cm.state

state.time_mode = "h"   -- sysdig -t: h, a, r, d, D
state.first_ts = nil     -- capture start for evt.reltime, set by the first event seen

local NS = 1000000000ULL

-- Exact decimal digits of a uint64 cdata ("123ULL" -> "123"): times in ns
-- exceed 2^53, so their Lua numbers are rounded; output uses these.
local function digits(u)
	return (tostring(ffi.cast("uint64_t", u)):gsub("U?LL$", ""))
end

local function first_ts(ev)
	if state.first_ts == nil then state.first_ts = ev.ts end
	return state.first_ts
end

local function since_start(ev)
	local f = first_ts(ev)
	if ev.ts < f then return 0ULL end
	return ev.ts - f
end

local function clock(ts, date, ns)
	local sec = tonumber(ts / NS)
	local s = os.date(date and "%Y-%m-%d %H:%M:%S" or "%H:%M:%S", sec)
	if ns then s = s .. string.format(".%09d", tonumber(ts % NS)) end
	return s
end

local function iso8601(ts)
	local sec = tonumber(ts / NS)
	return os.date("!%Y-%m-%dT%H:%M:%S", sec) .. string.format(".%09d+0000", tonumber(ts % NS))
end

-- evt.deltatime: time since the previous event the getter saw.  Kept per
-- event number so that several fields (or a filter and a format) reading it
-- for one event agree.
local d_num, d_prev, d_cur = nil, nil, 0ULL
local function delta(ev)
	local n = tonumber(ev.num)
	if n ~= d_num then
		local ts = ev.ts
		if d_prev == nil or ts < d_prev then d_cur = 0ULL else d_cur = ts - d_prev end
		d_prev, d_num = ts, n
	end
	return d_cur
end

local function secfrac(u, frac)
	if frac then return tonumber(u % NS) end
	return tonumber(u / NS)
end

local function dotted(u) -- "S.nnnnnnnnn"
	return digits(u / NS) .. string.format(".%09d", tonumber(u % NS))
end

local function outputtime(ev)
	local m = state.time_mode
	-- sinsp's 'a' prints the nanoseconds unpadded ("5" for 5 ns): kept
	if m == "a" then return digits(ev.ts / NS) .. "." .. tostring(tonumber(ev.ts % NS)) end
	if m == "r" then return dotted(since_start(ev)) end
	if m == "d" then return dotted(ev.latency) end
	if m == "D" then return dotted(delta(ev)) end
	return clock(ev.ts, false, true)
end

local function ts_json(ev) return digits(ev.ts) end

---------------------------------------------------------------------------
-- Results and parameters.

local function has_res_param(ev)
	return type_info[ev.type].res ~= nil
end

local function res_str(ev)
	if ev.has_res == 0 or not has_res_param(ev) then return nil end
	local res = tonumber(ev.res)
	if res >= 0 then return "SUCCESS" end
	local name = cm.errno_name(-res)
	if name then return name end
	local info = type_info[ev.type]
	local txt = cm.param_text(ev, info, info.res)
	return cm.resolved_text(K.RES, txt) or tostring(res)
end

local function args_text(ev)
	local c = cm.evcache(ev)
	local s = c.args
	if s == nil then
		local info = type_info[ev.type]
		local parts = {}
		for i = 0, info.nparams - 1 do
			local t = cm.param_text(ev, info, i)
			-- sinsp ends every "name=value" with a space, the last one too
			if t then parts[#parts + 1] = info.pnames[i + 1] .. "=" .. t .. " " end
		end
		s = table.concat(parts)
		c.args = s
	end
	return s
end

-- open/openat flags and mode; openat2 carries them in struct open_how
-- (u64 flags, u64 mode, u64 resolve) when the core read it.
-- Where each open type keeps its flags and mode, worked out once per type:
-- evt.is_open_read/write are in many rules and run on every open.
local OPEN_AT = {}
for id = 0, core.ntypes - 1 do
	local info = type_info[id]
	if band(info.flags, TF.OPEN) ~= 0 then
		OPEN_AT[id] = { creat = info.name == "creat", fi = info.pindex.flags, mi = info.pindex.mode,
			how = info.pindex.flags ~= nil and info.kinds[info.pindex.flags] == K.OPEN_HOW }
	end
end

local function read_flags_mode(ev)
	local o = OPEN_AT[ev.type]
	if o == nil then return nil end
	local info = type_info[ev.type]
	if o.creat then
		return cm.O.WRONLY + cm.O.CREAT + cm.O.TRUNC, o.mi and cm.param_raw(ev, info, o.mi) or 0
	end
	local fi = o.fi
	if fi == nil or not cm.param_ok(ev, info, fi) then return nil end
	if o.how then
		local prm = ev.params[fi]
		if prm.str ~= nil and prm.len >= 16 then
			local how = ffi.cast("const uint64_t *", prm.str)
			return tonumber(how[0]), tonumber(how[1])
		end
		return nil -- not read: val is the struct's address
	end
	local mi = o.mi
	return tonumber(ev.params[fi].val), mi and cm.param_ok(ev, info, mi) and tonumber(ev.params[mi].val) or 0
end

-- The same, kept for the rules engine's event (fields/scope.lua): an
-- open's rules ask evt.is_open_read/write about 20 times.
local om_gen, om_flags, om_mode = 0, nil, nil
local function open_flags_mode(ev)
	local g = scope.of(ev)
	if g ~= 0 and g == om_gen then return om_flags, om_mode end
	local flags, mode = read_flags_mode(ev)
	om_gen, om_flags, om_mode = g, flags, mode
	return flags, mode
end

local function is_open(ev, what)
	local flags, mode = open_flags_mode(ev)
	if flags == nil then return false end -- not an open, or its flags unknown
	local O = cm.O
	local acc = band(flags, O.ACCMODE)
	if what == "read" then return acc == O.RDONLY or acc == O.RDWR end
	if what == "write" then return acc == O.WRONLY or acc == O.RDWR end
	local tmp = band(flags, O.TMPFILE) == O.TMPFILE
	local creat = band(flags, O.CREAT) ~= 0
	if what == "create" then
		if creat then return true end
		return tmp and ev.has_res ~= 0 and ev.res >= 0
	end
	-- exec: created with any execute bit
	return (creat or tmp) and band(mode or 0, 73) ~= 0 -- 0111
end

-- Which I/O subcategory sinsp gives an I/O event, from its fd's type.
local IO_SUB = {
	[FDT "FILE"] = "file", [FDT "DIRECTORY"] = "file", [FDT "IPV4"] = "net", [FDT "IPV6"] = "net",
	[FDT "UNIX"] = "ipc", [FDT "PIPE"] = "ipc", [FDT "EVENT"] = "ipc", [FDT "SIGNALFD"] = "ipc",
	[FDT "INOTIFY"] = "ipc",
}

-- Falco's EC_IO_OTHER events: fd events that neither read nor write,
-- whose category is their fd's too (a pipe's close is "ipc").
local IO_OTHER = { close = true, dup = true, dup2 = true, dup3 = true, fcntl = true, ioctl = true,
	splice = true }

local function category(ev)
	local info = type_info[ev.type]
	if band(info.flags, TF.IO_READ + TF.IO_WRITE) ~= 0 or IO_OTHER[info.name] then
		local fd = ev.fd
		if fd == nil then return "unknown" end
		return IO_SUB[fd.type] or "unknown"
	end
	return cm.category_name(info.category)
end

-- evt.abspath: (dirfd param, path param) per type and suffix, as sinsp.
local ABSPATH = {
	renameat = { src = { "olddirfd", "oldpath" }, dst = { "newdirfd", "newpath" } },
	renameat2 = { src = { "olddirfd", "oldpath" }, dst = { "newdirfd", "newpath" } },
	linkat = { src = { "olddir", "oldpath" }, dst = { "newdir", "newpath" } },
	symlinkat = { src = { "linkdirfd", "linkpath" } },
	openat = { src = { "dirfd", "name" } }, openat2 = { src = { "dirfd", "name" } },
	unlinkat = { src = { "dirfd", "name" } }, mkdirat = { src = { "dirfd", "path" } },
	fchmodat = { src = { "dirfd", "filename" } }, fchownat = { src = { "dirfd", "pathname" } },
}
local function abspath(ev, which)
	local info = type_info[ev.type]
	local row = ABSPATH[info.name]
	if row == nil then return nil end
	local pair = row[which]
	if pair == nil then
		if which == "dst" then return nil end
		pair = row.src
	end
	local pi = info.pindex[pair[2]]
	local path = pi and cm.param_raw(ev, info, pi)
	return cm.resolve_path(ev, info, path, pair[1])
end
local function abspath_types()
	local set = {}
	for n in pairs(ABSPATH) do set[n] = true end
	return set
end

local hostname_cache
local function hostname()
	if hostname_cache == nil then
		local h = os.getenv("LANNER_HOSTNAME") or os.getenv("FALCO_HOSTNAME")
		if h == nil or h == "" then
			h = (cm.read_file("/proc/sys/kernel/hostname") or cm.read_file("/etc/hostname") or "")
				:gsub("%s+$", "")
		end
		hostname_cache = h
	end
	return hostname_cache
end

---------------------------------------------------------------------------
-- Argument binding for evt.arg / evt.rawarg: which types carry the param,
-- whether it needs the exit stop, and (rawarg) its value type.

local function arg_index(ev, arg)
	local info = type_info[ev.type]
	if type(arg) == "number" then return info, arg end
	return info, info.pindex[arg]
end

local function param_sites(arg)
	local sites = {}
	for id = 0, core.ntypes - 1 do
		local info = type_info[id]
		local i = type(arg) == "number" and (arg < info.nparams and arg or nil) or info.pindex[arg]
		if i then sites[#sites + 1] = { info = info, i = i } end
	end
	return sites
end

local function bind_param(arg, raw)
	local sites = param_sites(arg)
	if #sites == 0 then
		if type(arg) == "number" then return nil, "no event has an argument number " .. arg end
		return nil, "unknown event argument " .. arg
	end
	local types, exit, nbytes = {}, {}, 0
	for _, s in ipairs(sites) do
		types[s.info.name] = true
		if s.info.srcs[s.i] == core.SRC_RES or cm.OUT_KIND[s.info.kinds[s.i]] then
			exit[s.info.name] = true
		end
		if cm.BYTES_KIND[s.info.kinds[s.i]] then nbytes = nbytes + 1 end
	end
	local o = { types = types, needs_exit = next(exit) and exit or nil }
	if raw then
		o.type = nbytes == 0 and "number" or "string"
		if nbytes > 0 and nbytes < #sites then
			-- a name that is bytes in some events and a number in others
			-- (addr: sockaddr in connect, pointer in mmap) is a string
			o.get = function(ev)
				local info, i = arg_index(ev, arg)
				local v = i and cm.param_raw(ev, info, i)
				if type(v) == "number" then return tostring(v) end
				return v
			end
		end
	end
	return o
end

local all_io = TF.IO_READ + TF.IO_WRITE

local function open_types() return core.types_with_flags(TF.OPEN) end

local function flagged(mask) return core.types_with_flags(mask) end

---------------------------------------------------------------------------

local fields = {
	{ name = "evt.num", type = "number", ftype = "UINT64", desc = "event number.",
		get = function(ev) return tonumber(ev.num) end,
		json = function(ev) return digits(ev.num) end },
	{ name = "evt.time", type = "string", desc = "event timestamp as a time string that includes the nanosecond part.",
		get = function(ev) return clock(ev.ts, false, true) end, json = ts_json },
	{ name = "evt.time.s", type = "string", desc = "event timestamp as a time string with no nanoseconds.",
		get = function(ev) return clock(ev.ts, false, false) end, json = ts_json },
	{ name = "evt.time.iso8601", type = "string", desc = "event timestamp in ISO 8601 format, including nanoseconds and time zone offset (in UTC).",
		get = function(ev) return iso8601(ev.ts) end, json = ts_json },
	{ name = "evt.datetime", type = "string", desc = "event timestamp as a time string that includes the date.",
		get = function(ev) return clock(ev.ts, true, true) end, json = ts_json },
	{ name = "evt.datetime.s", type = "string", desc = "event timestamp as a datetime string with no nanoseconds.",
		get = function(ev) return clock(ev.ts, true, false) end, json = ts_json },
	{ name = "evt.rawtime", type = "abstime", desc = "absolute event timestamp, i.e. nanoseconds from epoch.",
		get = function(ev) return tonumber(ev.ts) end,
		exact = function(ev) return digits(ev.ts) end },
	{ name = "evt.rawtime.s", type = "abstime", desc = "integer part of the event timestamp (e.g. seconds since epoch).",
		get = function(ev) return secfrac(ev.ts, false) end },
	{ name = "evt.rawtime.ns", type = "abstime", fmt = "%09d", desc = "fractional part of the absolute event timestamp.",
		get = function(ev) return secfrac(ev.ts, true) end },
	{ name = "evt.reltime", type = "reltime", fmt = "%09d", desc = "number of nanoseconds from the beginning of the capture.",
		get = function(ev) return tonumber(since_start(ev)) end,
		exact = function(ev)
			local d = digits(since_start(ev))
			return #d < 9 and string.rep("0", 9 - #d) .. d or d
		end },
	{ name = "evt.reltime.s", type = "reltime", desc = "number of seconds from the beginning of the capture.",
		get = function(ev) return secfrac(since_start(ev), false) end },
	{ name = "evt.reltime.ns", type = "reltime", fmt = "%09d", desc = "fractional part (in ns) of the time from the beginning of the capture.",
		get = function(ev) return secfrac(since_start(ev), true) end },
	{ name = "evt.outputtime", type = "string", desc = "this depends on -t param, default is %evt.time ('h').",
		get = outputtime, json = ts_json },
	{ name = "evt.latency", type = "reltime", needs_exit = true,
		desc = "delta between an exit event and the correspondent enter event, in nanoseconds.",
		get = function(ev) return tonumber(ev.latency) end },
	{ name = "evt.latency.s", type = "reltime", needs_exit = true, desc = "integer part of the event latency delta.",
		get = function(ev) return secfrac(ev.latency, false) end },
	{ name = "evt.latency.ns", type = "reltime", fmt = "%09d", needs_exit = true, desc = "fractional part of the event latency delta.",
		get = function(ev) return secfrac(ev.latency, true) end },
	{ name = "evt.latency.human", type = "string", needs_exit = true,
		desc = "delta between an exit event and the correspondent enter event, as a human readable string (e.g. 10.3ms).",
		get = function(ev)
			local ns = tonumber(ev.latency)
			if ns >= 1e9 then return string.format("%.2fs", ns / 1e9) end
			if ns >= 1e6 then return string.format("%.2fms", ns / 1e6) end
			if ns >= 1e3 then return string.format("%.2fus", ns / 1e3) end
			return string.format("%dns", ns)
		end },
	{ name = "evt.deltatime", type = "reltime", desc = "delta between this event and the previous event, in nanoseconds.",
		get = function(ev) return tonumber(delta(ev)) end },
	{ name = "evt.deltatime.s", type = "reltime", desc = "integer part of the delta between this event and the previous event.",
		get = function(ev) return secfrac(delta(ev), false) end },
	{ name = "evt.deltatime.ns", type = "reltime", fmt = "%09d", desc = "fractional part of the delta between this event and the previous event.",
		get = function(ev) return secfrac(delta(ev), true) end },
	{ name = "evt.dir", type = "string", needs_exit = true,
		desc = "event direction: '<' when lanner saw the syscall return (the event has a result), '>' for an entry-only event.",
		get = function(ev) return ev.has_res ~= 0 and "<" or ">" end },
	{ name = "evt.type", type = "string", desc = "The name of the event (e.g. 'open').",
		get = function(ev) return type_name[ev.type] end },
	{ name = "evt.type.is", type = "number", ftype = "UINT32", arg = { kind = "name", dotted = true, required = true },
		desc = "1 for events of the type given as argument (evt.type.is.open), 0 for others.",
		bind = function(arg)
			if core.type_id[arg] == nil then return nil, "unknown event type " .. arg end
			return { types = { [arg] = true } }
		end,
		get = function(ev, arg) return type_name[ev.type] == arg and 1 or 0 end },
	{ name = "syscall.type", type = "string",
		desc = "For system call events, the name of the system call (e.g. 'open'). Unset for other events (e.g. procexit).",
		types = (function()
			local s = {}
			for id = 0, core.ntypes - 1 do
				if band(type_info[id].flags, TF.PSEUDO) == 0 then s[type_name[id]] = true end
			end
			return s
		end)(),
		get = function(ev)
			local info = type_info[ev.type]
			if band(info.flags, TF.PSEUDO) ~= 0 then return nil end
			return info.name
		end },
	{ name = "evt.category", type = "string",
		desc = "The event category ('file', 'net', 'memory', 'process', ...). I/O events take their fd's: 'file', 'net', 'ipc' or 'unknown'.",
		get = category },
	{ name = "evt.cpu", type = "number", ftype = "INT16", desc = "number of the CPU where this event happened (where the program made the call).",
		get = function(ev) local c = ev.cpu; if c < 0 then return nil end; return c end },
	{ name = "evt.args", type = "string", desc = "all the event arguments, aggregated into a single string.",
		get = args_text },
	{ name = "evt.arg", type = "string", arg = { kind = "param", dotted = true, bracket = true, required = true },
		desc = "one of the event arguments specified by name or by number, rendered as text (fds and errors resolved). E.g. 'evt.arg.fd' or 'evt.arg[0]'.",
		bind = function(arg) return bind_param(arg, false) end,
		get = function(ev, arg)
			local info, i = arg_index(ev, arg)
			if i == nil then return nil end
			return cm.resolved_text(info.kinds[i], cm.param_text(ev, info, i))
		end,
		cview = function(ev, arg)
			local info, i = arg_index(ev, arg)
			if i == nil then return nil end
			return cm.param_view(ev, info, i)
		end },
	{ name = "evt.rawarg", type = "number", ftype = "DYNAMIC", arg = { kind = "param", dotted = true, required = true, names_only = true },
		desc = "one of the event arguments specified by name, as a number or, for strings and buffers, the bytes. E.g. 'evt.rawarg.fd'.",
		bind = function(arg) return bind_param(arg, true) end,
		get = function(ev, arg)
			local info, i = arg_index(ev, arg)
			if i == nil then return nil end
			return cm.param_raw(ev, info, i)
		end },
	{ name = "evt.info", type = "string",
		desc = "for most events, this field returns the same value as evt.args.",
		get = args_text },
	{ name = "evt.buffer", type = "bytes", types = core.types_with_param("data"),
		needs_exit = (function()
			local s = {}
			for id = 0, core.ntypes - 1 do
				local info = type_info[id]
				local i = info.pindex.data
				if i and cm.OUT_KIND[info.kinds[i]] then s[info.name] = true end
			end
			return s
		end)(),
		desc = "the binary data buffer for events that have one, like read(), recvfrom(), etc. (up to the snaplen).",
		get = function(ev)
			local info = type_info[ev.type]
			local i = info.pindex.data
			if i == nil then return nil end
			return cm.param_raw(ev, info, i)
		end },
	{ name = "evt.buflen", type = "number", ftype = "UINT64", needs_exit = true, types = flagged(all_io),
		desc = "the length of the binary data buffer for events that have one, like read(), recvfrom(), etc.",
		get = function(ev)
			if band(type_info[ev.type].flags, all_io) == 0 or ev.fd == nil then return nil end
			if ev.has_res == 0 or ev.res < 0 then return nil end
			return tonumber(ev.res)
		end },
	{ name = "evt.res", type = "string", needs_exit = true,
		desc = "event return value, as a string. If the event failed, the result is an error code string (e.g. 'ENOENT'), otherwise the result is the string 'SUCCESS'.",
		get = res_str },
	{ name = "evt.rawres", type = "number", ftype = "INT64", needs_exit = true,
		desc = "event return value, as a number (e.g. -2). Useful for range comparisons.",
		get = function(ev)
			if ev.has_res == 0 or not has_res_param(ev) then return nil end
			return tonumber(ev.res)
		end },
	{ name = "evt.failed", type = "bool", needs_exit = true,
		desc = "'true' for events that returned an error status.",
		get = function(ev)
			if not has_res_param(ev) then return false end
			if ev.has_res == 0 then return nil end
			return ev.res < 0
		end },
	{ name = "evt.is_io", type = "bool", types = flagged(all_io),
		desc = "'true' for events that read or write to FDs, like read(), send, recvfrom(), etc.",
		get = function(ev) return band(type_info[ev.type].flags, all_io) ~= 0 end },
	{ name = "evt.is_io_read", type = "bool", types = flagged(TF.IO_READ),
		desc = "'true' for events that read from FDs, like read(), recv(), recvfrom(), etc.",
		get = function(ev) return band(type_info[ev.type].flags, TF.IO_READ) ~= 0 end },
	{ name = "evt.is_io_write", type = "bool", types = flagged(TF.IO_WRITE),
		desc = "'true' for events that write to FDs, like write(), send(), etc.",
		get = function(ev) return band(type_info[ev.type].flags, TF.IO_WRITE) ~= 0 end },
	{ name = "evt.io_dir", type = "string", types = flagged(all_io),
		desc = "'read' for events that read from FDs, like read(); 'write' for events that write to FDs, like write() (libsinsp's values).",
		get = function(ev)
			local f = type_info[ev.type].flags
			if band(f, TF.IO_WRITE) ~= 0 then return "write" end
			if band(f, TF.IO_READ) ~= 0 then return "read" end
			return nil
		end },
	{ name = "evt.is_syslog", type = "bool", types = flagged(TF.IO_WRITE),
		desc = "'true' for events that are writes to /dev/log.",
		get = function(ev)
			if band(type_info[ev.type].flags, TF.IO_WRITE) == 0 then return false end
			local fd = ev.fd
			return fd ~= nil and fd.name ~= nil and ffi.string(fd.name):find("/dev/log", 1, true) ~= nil
		end },
	{ name = "evt.count", type = "number", ftype = "UINT32",
		desc = "This filter field always returns 1 and can be used to count events from inside chisels.",
		get = function() return 1 end },
	{ name = "evt.count.error", type = "number", ftype = "UINT32", needs_exit = true,
		desc = "This filter field returns 1 for events that returned with an error, and can be used to count event failures from inside chisels.",
		get = function(ev)
			if ev.has_res ~= 0 and has_res_param(ev) and ev.res < 0 then return 1 end
			return nil
		end },
	{ name = "evt.count.exit", type = "number", ftype = "UINT32", needs_exit = true,
		desc = "This filter field returns 1 for exit events (events with a result), and can be used to count single events from inside chisels.",
		get = function(ev) if ev.has_res ~= 0 then return 1 end return nil end },
	{ name = "evt.is_open_read", type = "bool", types = open_types(),
		desc = "'true' for open/openat/openat2/creat events where the path was opened for reading",
		get = function(ev) return is_open(ev, "read") end },
	{ name = "evt.is_open_write", type = "bool", types = open_types(),
		desc = "'true' for open/openat/openat2/creat events where the path was opened for writing",
		get = function(ev) return is_open(ev, "write") end },
	{ name = "evt.is_open_exec", type = "bool", types = open_types(),
		desc = "'true' for open/openat/openat2 or creat events where a file is created with execute permissions",
		get = function(ev) return is_open(ev, "exec") end },
	{ name = "evt.is_open_create", type = "bool", types = open_types(),
		desc = "'true' for open/openat/openat2/creat events that may create the file (O_CREAT, or a successful O_TMPFILE); lanner cannot tell whether the file already existed.",
		get = function(ev) return is_open(ev, "create") end },
	{ name = "evt.abspath", type = "string", types = abspath_types(),
		desc = "Absolute path calculated from dirfd and name during syscalls like renameat and symlinkat. Use 'evt.abspath.src' or 'evt.abspath.dst' for syscalls that support multiple paths.",
		get = function(ev) return abspath(ev, "src") end },
	{ name = "evt.abspath.src", type = "string", types = abspath_types(),
		desc = "Source path of evt.abspath for syscalls with two paths (renameat, linkat).",
		get = function(ev) return abspath(ev, "src") end },
	{ name = "evt.abspath.dst", type = "string", types = { renameat = true, renameat2 = true, linkat = true },
		desc = "Destination path of evt.abspath for syscalls with two paths (renameat, linkat).",
		get = function(ev) return abspath(ev, "dst") end },
	{ name = "evt.hostname", type = "string",
		desc = "The hostname of the underlying host; LANNER_HOSTNAME or FALCO_HOSTNAME override it.",
		get = hostname },
	{ name = "evt.source", type = "string", desc = "the name of the source that produced the event ('syscall').",
		get = function() return "syscall" end },
	{ name = "evt.is_async", type = "bool", desc = "'true' for asynchronous events, 'false' otherwise (lanner has none).",
		get = function() return false end },
	{ name = "evt.around", type = "number", ftype = "UINT64", arg = { kind = "index", bracket = true, required = true },
		desc = "Accepts the event if it's around the specified time interval.",
		unsupported = "filter-only time window; compare evt.rawtime instead" },
	{ name = "evt.pluginname", type = "string", desc = "the name of the plugin that generated the event.",
		unsupported = "lanner has no plugin event sources" },
	{ name = "evt.plugininfo", type = "string", desc = "a summary of a plugin event as formatted by the plugin.",
		unsupported = "lanner has no plugin event sources" },
	{ name = "evt.asynctype", type = "string", desc = "If the event is asynchronous, the type of the event.",
		unsupported = "lanner has no asynchronous events" },
}

return fields
