-- Test helper: trace a command with the C core and hand back its events as
-- plain Lua tables, so that specs can look at them after the session ended
-- (an event's cdata is valid only until the next ln_next()).
--
--   local trace = require "spec.helpers.trace"
--   local r = trace.run({ "sh", "-c", "exit 3" }, { types = { openat = true } })
--   r.status, r.events[i].type, r.events[i].params.name, r.events[i].raw.fd ...
--
-- Each event: num, ts (uint64 cdata, ns), type, tid, pid, ppid, comm, exe, exepath, args (table of
-- argv[1..]), cwd, cmdline, container_id, proc_flags, nthreads, uid, gid, ruid, rgid,
-- has_res, res (nil when the exit was not seen), latency, cpu, fdnum,
-- params = { name = text rendered by ln_param_format }, raw = { name = number, or the bytes read for
-- string and buffer kinds }, pflags = { name = ln_param flags },
-- pnames = { names in order }, fd = { num, name, type, typechar, is_server,
-- connected, flags, ino, dev, tuple = {...} } or nil.
local core = require "lanner.core"
local session = require "lanner.session"
local ffi, C = core.ffi, core.C
local bit = require "bit"

local M = {}

M.PF_READ, M.PF_TRUNCATED, M.PF_FAULT, M.PF_NULL = 1, 2, 4, 8
M.PROC_EXE_FROM_MEMFD = 1

-- Kinds whose value is bytes read from the tracee (or the tuple).
local K = {}
for _, n in ipairs { "PATH", "STR", "BUF_IN", "BUF_OUT", "IOV_IN", "IOV_OUT", "MSG_IN",
	"MSG_OUT", "SOCKADDR_IN", "SOCKADDR_OUT", "TUPLE", "ARGV", "FDPAIR", "OPEN_HOW",
	"CLONE_ARGS", "RES", "RES_FD", "PID" } do
	K[n] = tonumber(C["LN_K_" .. n])
end
local BYTES = {
	[K.PATH] = true, [K.STR] = true, [K.BUF_IN] = true, [K.BUF_OUT] = true,
	[K.IOV_IN] = true, [K.IOV_OUT] = true, [K.MSG_IN] = true, [K.MSG_OUT] = true,
	[K.SOCKADDR_IN] = true, [K.SOCKADDR_OUT] = true, [K.TUPLE] = true,
	[K.ARGV] = true, [K.FDPAIR] = true,
}
-- Kinds the kernel fills in: meaningless without the exit stop.
local OUT = {
	[K.BUF_OUT] = true, [K.IOV_OUT] = true, [K.MSG_OUT] = true,
	[K.SOCKADDR_OUT] = true, [K.FDPAIR] = true, [K.TUPLE] = true,
}

local fmtlen = 8192
local fmtbuf = ffi.new("char[?]", fmtlen)

local function cstr(p)
	if p == nil then return nil end
	return ffi.string(p)
end

-- "a\0b\0c" -> { "a", "b", "c" }
local function split_nul(p, len)
	local out = {}
	if p == nil or len == 0 then return out end
	local s = ffi.string(p, len)
	for part in (s .. "\0"):gmatch("([^%z]*)%z") do out[#out + 1] = part end
	return out
end

local function ip_text(family, ip)
	local n = C.ln_ip_format(family, ip, fmtbuf, fmtlen)
	if n < 0 then return nil end
	return ffi.string(fmtbuf, n)
end

function M.fd_table(f)
	if f == nil then return nil end
	local t = f.tuple
	return {
		num = tonumber(f.num),
		name = cstr(f.name) or "",
		type = ffi.string(C.ln_fd_type_name(f.type)),
		typechar = string.char(C.ln_fd_typechar(f.type)),
		is_server = tonumber(f.is_server),
		connected = tonumber(f.connected),
		flags = tonumber(f.flags),
		ino = tonumber(f.ino),
		dev = tonumber(f.dev),
		tuple = {
			family = tonumber(t.family), lport = tonumber(t.lport), rport = tonumber(t.rport),
			l4proto = tonumber(t.l4proto),
			lip = ip_text(t.family, t.lip), rip = ip_text(t.family, t.rip),
		},
	}
end

-- One event as a plain table; call before the next sess:next().
function M.convert(ev)
	local info = core.type_info[ev.type]
	local th = ev.thread
	local p = th ~= nil and th.proc or nil
	local e = {
		num = tonumber(ev.num),
		ts = ev.ts, -- a copy: uint64 cdata, exact
		type = info.name,
		tid = tonumber(ev.tid),
		cpu = tonumber(ev.cpu),
		has_res = tonumber(ev.has_res),
		res = ev.has_res ~= 0 and tonumber(ev.res) or nil,
		latency = tonumber(ev.latency),
		fdnum = tonumber(ev.fdnum),
		params = {}, raw = {}, pflags = {}, pnames = {},
	}
	if th ~= nil then
		e.uid, e.gid = tonumber(th.uid), tonumber(th.gid)
		e.ruid, e.rgid = tonumber(th.ruid), tonumber(th.rgid)
	end
	if p ~= nil then
		e.pid, e.ppid = tonumber(p.pid), tonumber(p.ppid)
		e.comm = ffi.string(p.comm)
		e.live_comm = ffi.string(p.live_comm)
		e.exe = cstr(p.exe)
		e.exepath = cstr(p.exepath)
		e.args = split_nul(p.args, p.args_len)
		e.cwd = cstr(p.cwd)
		e.cmdline = cstr(p.cmdline)
		e.container_id = cstr(p.container_id)
		e.proc_flags = tonumber(p.flags)
		e.nthreads = tonumber(p.nthreads)
	end
	for i = 0, ev.nparams - 1 do
		local name = info.pnames[i + 1]
		local prm = ev.params[i]
		local kind = info.kinds[i]
		e.pnames[i + 1] = name
		e.pflags[name] = tonumber(prm.flags)
		local valid = not (ev.has_res == 0 and (info.srcs[i] == core.SRC_RES or OUT[kind]))
		if valid then
			if BYTES[kind] then
				if prm.str ~= nil and bit.band(prm.flags, M.PF_READ) ~= 0 then
					e.raw[name] = ffi.string(prm.str, prm.len)
				end
			else
				e.raw[name] = tonumber(prm.val)
			end
			local n = C.ln_param_format(ev, i, fmtbuf, fmtlen)
			if n >= 0 then e.params[name] = ffi.string(fmtbuf, math.min(n, fmtlen - 1)) end
		end
		-- the pointer itself, for faults and NULLs
		if BYTES[kind] and kind ~= K.TUPLE then e.raw[name .. "@ptr"] = tonumber(prm.val) end
	end
	e.fd = M.fd_table(ev.fd)
	return e
end

local function all_types(mode)
	local t = {}
	for _, n in ipairs(core.type_names()) do
		if n ~= "procexit" then t[n] = mode end
	end
	return t
end

-- Trace argv to its end.  opts: types (set of names; default every
-- syscall), mode ("exit" default, or "entry"), procexit (default true),
-- snaplen, timeout (seconds, default 60: then every tracee is killed and
-- r.timed_out is set), cwd (run from there), on_event(ev, sess) called
-- with the live cdata first.  Returns { pid, events, status, stats,
-- timed_out, procs_left = pids still in the core's process table }.
function M.run(argv, opts)
	opts = opts or {}
	local mode = opts.mode or "exit"
	local sess = assert(session.new())
	local modes
	if opts.types then
		modes = {}
		for n in pairs(opts.types) do modes[n] = mode end
	else
		modes = all_types(mode)
	end
	if opts.procexit ~= false then modes.procexit = "exit" end
	sess:trace(modes)
	if opts.snaplen then sess:set_snaplen(opts.snaplen) end
	local pid, err
	if opts.cwd then
		-- ln_spawn forks from us: change our cwd around it.
		local old = M.getcwd()
		assert(M.chdir(opts.cwd))
		pid, err = sess:spawn(argv)
		assert(M.chdir(old))
	else
		pid, err = sess:spawn(argv)
	end
	if not pid then error("spawn " .. tostring(argv[1]) .. ": " .. tostring(err), 2) end
	local events = {}
	local deadline = os.time() + (opts.timeout or 60)
	local timed_out = false
	while true do
		local ev = sess:next(500)
		if ev == nil then break end
		if ev == false then
			if os.time() > deadline and not timed_out then
				timed_out = true
				sess:stop_all()
			end
		else
			if opts.on_event then opts.on_event(ev, sess) end
			events[#events + 1] = M.convert(ev)
		end
	end
	-- ln_next may leave its ITIMER_REAL armed (see core_exit_spec): a
	-- SIGALRM later would interrupt whatever the spec does next with EINTR
	M.disarm_alarm()
	-- process records still in the state tables: none once all exited,
	-- but for lanner's own ancestors, kept for proc.aname (untraced)
	local left = {}
	for p in sess:procs() do
		if bit.band(p.flags, C.LN_PROC_UNTRACED) == 0 then left[#left + 1] = tonumber(p.pid) end
	end
	local r = {
		pid = pid,
		procs_left = left,
		events = events,
		status = sess:exit_status(),
		stats = sess:stats(),
		timed_out = timed_out,
	}
	-- free now, not at some later GC: nothing of it must outlive the test
	local s = sess.s
	ffi.gc(s, nil)
	C.ln_session_free(s)
	sess.s = nil
	return r
end

-- --- small things specs need ---------------------------------------------

pcall(ffi.cdef, [[
	int chdir(const char *path);
	char *getcwd(char *buf, size_t size);
]])
local libc = ffi.C
function M.chdir(d) return libc.chdir(d) == 0 end
function M.getcwd()
	local b = ffi.new("char[4096]")
	return ffi.string(libc.getcwd(b, 4096))
end

pcall(ffi.cdef, [[
	int setitimer(int which, const void *new_value, void *old_value);
	int getitimer(int which, void *curr_value);
]])
pcall(ffi.cdef, "int clock_gettime(int clockid, void *tp);")
-- CLOCK_MONOTONIC in seconds.
function M.now()
	local ts = ffi.new("long[2]")
	libc.clock_gettime(1, ts)
	return tonumber(ts[0]) + tonumber(ts[1]) / 1e9
end

-- ITIMER_REAL as { interval_s, interval_us, value_s, value_us }, or nil.
function M.get_alarm()
	local v = ffi.new("long[4]")
	local ok, r = pcall(function() return libc.getitimer(0, v) end)
	if not ok or r ~= 0 then return nil end
	return { tonumber(v[0]), tonumber(v[1]), tonumber(v[2]), tonumber(v[3]) }
end
function M.disarm_alarm()
	local v = ffi.new("long[4]")
	pcall(function() return libc.setitimer(0, v, nil) end)
end

-- Repository root (spec/helpers/trace.lua -> ../..), absolute.
local function repo_root()
	local src = debug.getinfo(1, "S").source:sub(2)
	local dir = src:match("^(.*)/spec/helpers/trace%.lua$") or "."
	if dir:sub(1, 1) ~= "/" then dir = M.getcwd() .. (dir == "." and "" or "/" .. dir) end
	return dir
end
M.root = repo_root()

-- Absolute path of a test program built by `make progs`.
function M.prog(name)
	local p = M.root .. "/build/progs/" .. name
	local f = io.open(p, "rb")
	if not f then error("missing " .. p .. ": run `make progs`", 2) end
	f:close()
	return p
end

function M.shell_quote(s)
	return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- Output of a shell command (trailing newline dropped), and its exit
-- status (LuaJIT's popen close does not give it: the command echoes it).
function M.sh(cmd)
	local f = assert(io.popen("{ " .. cmd .. "\n}; echo \"__rc=$?\"", "r"))
	local out = f:read("*a") or ""
	f:close()
	local body, code = out:match("^(.-)\n?__rc=(%d+)\n?$")
	if not body then return out, -1 end
	return body, tonumber(code)
end

-- A fresh directory under /tmp, with symlinks resolved (the kernel names
-- fds by their real path).
function M.mkdtemp()
	local d = M.sh("mktemp -d /tmp/lanner-spec.XXXXXX")
	assert(d:match("^/tmp/lanner%-spec%.%w+$"), "mktemp failed: " .. d)
	return (M.sh("readlink -f " .. M.shell_quote(d)))
end

function M.rmrf(d)
	assert(d:match("^/tmp/lanner%-spec%.%w+$"), "refusing to remove " .. tostring(d))
	os.execute("rm -rf " .. M.shell_quote(d))
end

M.read_file = require("lanner.base").read_file

-- Our own pid (busted's), from /proc/self.
function M.self_pid()
	local s = M.read_file("/proc/self/stat")
	return tonumber(s:match("^(%d+)"))
end

-- Processes still traced by us, or stopped, or zombies among our children:
-- { {pid=, state=, tracer=, ppid=}, ... }.  Should be empty after a run.
function M.leftovers()
	local me = M.self_pid()
	local out = {}
	local f = io.popen("ls /proc")
	local list = f:read("*a")
	f:close()
	for pid in list:gmatch("(%d+)") do
		local st = M.read_file("/proc/" .. pid .. "/status")
		if st then
			local state = st:match("\nState:%s+(%a)")
			local tracer = tonumber(st:match("\nTracerPid:%s+(%d+)"))
			local ppid = tonumber(st:match("\nPPid:%s+(%d+)"))
			if tracer == me or (ppid == me and (state == "Z" or state == "T" or state == "t")) then
				out[#out + 1] = { pid = tonumber(pid), state = state, tracer = tracer, ppid = ppid }
			end
		end
	end
	return out
end

-- --- looking at events ---------------------------------------------------

-- Events for which pred(e) holds; pred may be a type name.
function M.select(events, pred)
	if type(pred) == "string" then
		local name = pred
		pred = function(e) return e.type == name end
	end
	local out = {}
	for _, e in ipairs(events) do
		if pred(e) then out[#out + 1] = e end
	end
	return out
end

-- First event matching pred, after index `from` (default 0): e, index.
function M.find(events, pred, from)
	if type(pred) == "string" then
		local name = pred
		pred = function(e) return e.type == name end
	end
	for i = (from or 0) + 1, #events do
		if pred(events[i]) then return events[i], i end
	end
	return nil
end

-- { [tid] = { events in order } }
function M.by_tid(events)
	local out = {}
	for _, e in ipairs(events) do
		out[e.tid] = out[e.tid] or {}
		table.insert(out[e.tid], e)
	end
	return out
end

-- Count of events of each type: { openat = 3, ... }
function M.counts(events)
	local out = {}
	for _, e in ipairs(events) do out[e.type] = (out[e.type] or 0) + 1 end
	return out
end

-- Sorted list of the keys of a set-like table.
function M.keys(t)
	local out = {}
	for k in pairs(t) do out[#out + 1] = k end
	table.sort(out, function(a, b) return tostring(a) < tostring(b) end)
	return out
end

function M.errno_name(n)
	local p = C.ln_errno_name(n)
	return p ~= nil and ffi.string(p) or nil
end

return M
