-- A tracing session: the Lua face of ln_session (create, say what to trace,
-- spawn, pull events, stats).  One wrapper per C object, freed by ffi.gc.
local core = require "lanner.core"
local ffi, C = core.ffi, core.C

local Session = {}
Session.__index = Session

local M = {}

-- A session that replays a capture file instead of tracing.
-- opts.progress: show progress on stderr when it is a terminal.
function M.open_capture(path, opts)
	local self, err = M.new()
	if not self then return nil, err end
	if C.ln_capture_read(self.s, path) < 0 then return nil, self:errmsg() end
	self.progress = opts and opts.progress and ffi.C.isatty(2) == 1
	return self
end

-- A closure, not C.ln_session_free itself: a function pointer does not keep
-- the library's namespace alive, and LuaJIT dlcloses a collected one (the
-- modules dropped and reloaded), after which the finaliser would jump into
-- unmapped code.  The closure holds C until the last session is freed.
local function session_free(s) C.ln_session_free(s) end

-- Every session not yet freed, for free_all.
local live = setmetatable({}, { __mode = "k" })

function M.new()
	local s = C.ln_session_new()
	if s == nil then return nil, "out of memory" end
	local self = setmetatable({
		s = ffi.gc(s, session_free),
		evp = ffi.new("ln_event*[1]"),
		traced = {},		-- type name -> mode
	}, Session)
	live[self] = true
	return self
end

function Session:errmsg()
	return ffi.string(C.ln_errmsg(self.s))
end

-- Free every session now, as their finalisers would: lanner's main calls
-- this and then exits without closing Lua, since freeing a heap of rules
-- object by object took 3 ms of a 28 ms run (the session's own freeing
-- matters: it ends or detaches what is still traced and restores signals).
function M.free_all()
	for self in pairs(live) do
		live[self] = nil
		if self.s ~= nil then
			C.ln_session_free(ffi.gc(self.s, nil))
			self.s = nil
		end
	end
end

-- modes: { [type name] = "entry" | "exit" }
function Session:trace(modes)
	for name, mode in pairs(modes) do
		local id = core.type_id[name]
		if not id then error("unknown event type '" .. tostring(name) .. "'", 2) end
		local m = mode == "entry" and C.LN_TRACE_ENTRY or C.LN_TRACE_EXIT
		C.ln_trace_type(self.s, id, m)
		self.traced[name] = mode
	end
end

-- Stop on a syscall only when (arg & mask) == value.
function Session:trace_arg(name, arg, mask, value, mode)
	local id = core.type_id[name]
	if not id then error("unknown event type '" .. tostring(name) .. "'", 2) end
	local m = mode == "entry" and C.LN_TRACE_ENTRY or C.LN_TRACE_EXIT
	if C.ln_trace_arg(self.s, id, arg, mask, value, m) < 0 then
		return nil, self:errmsg()
	end
	return true
end

-- Prevention (doc/writing-a-rule.md).  hold(name): calls of this type
-- are handed out held (ev.flags has LN_EV_HELD) until verdict(ev, ...).
function Session:hold(name)
	local id = core.type_id[name]
	if not id then error("unknown event type '" .. tostring(name) .. "'", 2) end
	if C.ln_hold_type(self.s, id) < 0 then return nil, self:errmsg() end
	return true
end

local ACTIONS = { allow = 0, deny = 1, kill = 2, kill_tree = 3 }
M.ACTIONS = ACTIONS

-- action: "allow", "deny", "kill", "kill_tree"; err: errno of a denial.
function Session:verdict(ev, action, err)
	local a = ACTIONS[action] or error("unknown verdict '" .. tostring(action) .. "'", 2)
	if C.ln_verdict(self.s, ev, a, err or 0) < 0 then return nil, self:errmsg() end
	return true
end

-- A verdict the seccomp filter gives: calls of type name whose registers
-- meet every cmp ({arg=, mask=, value=}) are refused; alert: they still
-- stop once, for their event.
function Session:deny_call(name, cmps, action, err, alert)
	local id = core.type_id[name]
	if not id then error("unknown event type '" .. tostring(name) .. "'", 2) end
	local a = ACTIONS[action]
	if not a or a == 0 then error("unknown filter verdict '" .. tostring(action) .. "'", 2) end
	local n = #cmps
	local arr = ffi.new("ln_argcmp[?]", math.max(n, 1))
	for i, c in ipairs(cmps) do
		arr[i - 1].arg, arr[i - 1].mask, arr[i - 1].value = c.arg, c.mask, c.value
	end
	if C.ln_deny_call(self.s, id, n, arr, a, err or 0, alert and 1 or 0) < 0 then return nil, self:errmsg() end
	return true
end

-- full: the fd table is kept exact by tracing every fd-making and closing
-- syscall; otherwise fds are read from the kernel when an event uses one.
function Session:set_upper_layer_check(on)
	C.ln_set_upper_layer_check(self.s, on and 1 or 0)
end

function Session:set_fd_tracking(full)
	C.ln_set_fd_tracking(self.s, full and 1 or 0)
end

-- "free" (default), "tracer" or "shared": see enum ln_cpu_policy.
function Session:set_cpu_policy(name)
	local p = ({ free = C.LN_CPU_FREE, tracer = C.LN_CPU_TRACER, shared = C.LN_CPU_SHARED })[name]
	if not p then return nil, "unknown CPU policy '" .. tostring(name) .. "' (free, tracer, shared)" end
	C.ln_set_cpu_policy(self.s, p)
	return true
end

-- Events carry the program's CPU (evt.cpu) only when asked: a read each.
function Session:set_want_cpu(on)
	C.ln_set_want_cpu(self.s, on and 1 or 0)
end

function Session:set_want_vm(on)
	self.want_vm = on and true or false
	C.ln_set_want_vm(self.s, on and 1 or 0)
end

-- The user-notification engine (lanner.h ln_set_notify): "auto" (the
-- default) or "ptrace" (every event from a ptrace stop).
function Session:set_engine(name)
	if name ~= "auto" and name ~= "ptrace" then
		return nil, "--engine takes auto or ptrace: '" .. tostring(name) .. "'"
	end
	C.ln_set_notify(self.s, name == "auto" and 1 or 0)
	return true
end

-- "on (...)" or "off (why)".
function Session:engine_state()
	return ffi.string(C.ln_notify_state(self.s))
end

-- Microseconds the tracer polls for the next stop before it sleeps (0: never).
function Session:set_poll(us)
	local n = tonumber(us)
	if not n or n < 0 or n > 1000000 or n % 1 ~= 0 then
		return nil, "--poll takes microseconds, 0 to 1000000: '" .. tostring(us) .. "'"
	end
	C.ln_set_poll(self.s, n)
	return true
end

-- Rules off the stop path (lanner.h ln_set_queue): size like "1M", "512K"
-- or bytes, "0" for none; full "wait" (default) or "drop".
function Session:set_queue(size, full)
	local n, unit = tostring(size):match("^(%d+)([KkMm]?)$")
	n = tonumber(n)
	if not n then return nil, "--queue takes a size such as 1M, 512K or 0: '" .. tostring(size) .. "'" end
	n = n * (({ k = 1024, m = 1024 * 1024 })[unit:lower()] or 1)
	if n ~= 0 and (n < 65536 or n > 1024 * 1024 * 1024) then
		return nil, "--queue: 0, or 64K to 1024M: '" .. tostring(size) .. "'"
	end
	if full ~= nil and full ~= "wait" and full ~= "drop" then
		return nil, "--queue-full: wait or drop, not '" .. tostring(full) .. "'"
	end
	if C.ln_set_queue(self.s, n, full == "drop" and 1 or 0) < 0 then return nil, self:errmsg() end
	return true
end

function Session:set_snaplen(n)
	C.ln_set_snaplen(self.s, n)
end

-- Writes libseccomp's PFC dump of the filter to the file descriptor.
function Session:debug_filter(fd)
	return C.ln_debug_filter(self.s, fd or 1)
end

function Session:spawn(argv)
	local cargv = ffi.new("const char*[?]", #argv + 1)
	for i, a in ipairs(argv) do cargv[i - 1] = a end
	local pid = C.ln_spawn(self.s, cargv)
	if pid < 0 then return nil, self:errmsg() end
	self.argv_keep = argv
	return pid
end

-- mode: "syscall" (default: detachable) or "seccomp" (the filter is
-- injected: fast, never detachable)
function Session:attach(pid, mode)
	local m = ({ syscall = C.LN_ATTACH_SYSCALL, seccomp = C.LN_ATTACH_SECCOMP })[mode or "syscall"]
	if not m then return nil, "unknown attach mode '" .. tostring(mode) .. "' (syscall, seccomp)" end
	if C.ln_attach(self.s, pid, m) < 0 then return nil, self:errmsg() end
	return true
end

-- Returns the next event (cdata ln_event*), false on timeout, nil when no
-- tracee is left (or the capture ended: self.read_error says if damaged).
function Session:next(timeout_ms)
	local r = C.ln_next(self.s, self.evp, timeout_ms or -1)
	if r == 1 then
		if self.progress then self:show_progress() end
		return self.evp[0]
	end
	if r == 0 then return false end
	if r == C.LN_NEXT_ERROR then self.read_error = self:errmsg() end
	if self.progress then self:show_progress(true) end
	return nil
end

local COMPRESS = { zlib = C.LN_COMPRESS_ZLIB, zstd = C.LN_COMPRESS_ZSTD }
local FORMAT = { lcap = C.LN_CAPFMT_LCAP, scap = C.LN_CAPFMT_SCAP }

-- Capture files.  opts: rotate_mb, rotate_secs, rotate_files, compress
-- (nil, "zlib" or "zstd"), format (nil: by the extension, "lcap", "scap").
function Session:capture_open(path, opts)
	opts = opts or {}
	local o = ffi.new("ln_capture_opts")
	o.rotate_bytes = (opts.rotate_mb or 0) * 1024 * 1024
	o.rotate_secs = opts.rotate_secs or 0
	o.rotate_files = opts.rotate_files or 0
	if opts.compress then
		o.compress = COMPRESS[opts.compress] or error("unknown compression '" .. tostring(opts.compress) .. "'", 2)
	end
	if opts.format then
		o.format = FORMAT[opts.format] or error("unknown capture format '" .. tostring(opts.format) .. "'", 2)
	end
	if C.ln_capture_open(self.s, path, o) < 0 then return nil, self:errmsg() end
	return true
end

function Session:capture_event(ev)
	return C.ln_capture_event(self.s, ev)
end

-- An event left out of the capture by its filter, for the state it changes.
function Session:capture_state(ev)
	return C.ln_capture_state(self.s, ev)
end

function Session:capture_close()
	if C.ln_capture_close(self.s) < 0 then return nil, self:errmsg() end
	return true
end

function Session:capture_notes()
	local n = ffi.string(C.ln_capture_notes(self.s))
	return n ~= "" and n or nil
end

require("lanner.base").declare("int isatty(int fd);")
local clock = os.clock

-- Replay progress on stderr: events, percent of the file, rate.
function Session:show_progress(final)
	self.nread = (self.nread or 0) + (final and 0 or 1)
	if not final and self.nread % 4096 ~= 0 then return end
	local now = clock()
	if not final and now - (self.last_progress or 0) < 0.5 then return end
	self.last_progress = now
	local rate = now > 0 and self.nread / now or 0
	io.stderr:write(string.format("\r%d events, %.0f%%, %.0f events/s%s", self.nread,
		C.ln_capture_progress(self.s) * 100, rate, final and "\n" or ""))
end

-- What lanner refuses at entry (lanner.h enum ln_refuse): { listener =
-- bool (default true), io_uring = bool }.
function Session:set_refusals(r)
	local m = 0
	if r.listener ~= false then m = m + tonumber(C.LN_REFUSE_LISTENER) end
	if r.io_uring then m = m + tonumber(C.LN_REFUSE_IO_URING) end
	C.ln_set_refusals(self.s, m)
end

-- --keep: stop_all serves launched programs until they exit, never kills.
function Session:set_keep(on)
	C.ln_set_keep(self.s, on and 1 or 0)
end

function Session:stop_all()
	C.ln_stop_all(self.s)
end

function Session:exit_status()
	return tonumber(C.ln_exit_status(self.s))
end

function Session:stats()
	local st = C.ln_get_stats(self.s)
	local out = {}
	for _, k in ipairs { "events", "stops_entry", "stops_exit", "stops_ptrace", "stops_signal", "stops_polled",
		"tracer_ns", "threads_seen", "procs_seen", "read_faults", "held", "denied", "killed", "no_verdict",
		"dropped", "queue_waits", "queue_bytes", "stops_notif", "polls_missed", "queue_sent" } do
		out[k] = tonumber(st[k])
	end
	local counts = C.ln_type_counts(self.s)
	out.per_type = {}
	for id = 0, core.ntypes - 1 do
		local n = tonumber(counts[id])
		if n > 0 then out.per_type[core.type_name[id]] = n end
	end
	out.engine = ffi.string(C.ln_notify_state(self.s))
	return out
end

function Session:proc(pid)
	local p = C.ln_proc_get(self.s, pid)
	if p == nil then return nil end
	return p
end

-- Iterate processes (ln_proc*), then a process's fds (ln_fd*).
function Session:procs()
	local s, prev = self.s, nil
	return function()
		prev = C.ln_proc_next(s, prev)
		if prev == nil then return nil end
		return prev
	end
end

function Session:fds(p)
	local s, prev = self.s, nil
	return function()
		prev = C.ln_fd_next(s, p, prev)
		if prev == nil then return nil end
		return prev
	end
end

return M
