-- Test helper: run a program untraced and under build/lanner and compare
-- what the program itself shows (exit status, stdout, what it printed about
-- the signals and wait statuses it saw).  Processes are started with fork
-- and exec through the FFI, so that the spec is their parent: it gets their
-- real wait status, can put them in a process group of their own, and can
-- tell whether any of its children was left a zombie.
--
--   local cmp = require "spec.helpers.compare"
--   local a = cmp.run({ prog, "x" })                     -- untraced
--   local b = cmp.lanner({ "evt.type=close" }, { prog, "x" })  -- traced
--   a.status, a.stdout, a.stderr, b.events (lines lanner wrote), b.pid ...
--
-- Statuses are shell-style: the exit code, or 128+N for a signal N.
local trace = require "spec.helpers.trace"
local ffi = require "ffi"
local bit = require "bit"

local M = {}

for _, decl in ipairs {
	"int fork(void);",
	"int execvp(const char *file, char *const argv[]);",
	"void _exit(int status);",
	"int open(const char *path, int flags, ...);",
	"int dup2(int oldfd, int newfd);",
	"int close(int fd);",
	"int setsid(void);",
	"int setpgid(int pid, int pgid);",
	"int waitpid(int pid, int *status, int options);",
	"int kill(int pid, int sig);",
	"int poll(void *fds, unsigned long nfds, int timeout);",
	"int chdir(const char *path);",
	"int getpid(void);",
	"int sigprocmask(int how, const void *set, void *old);",
	"int sigemptyset(void *set);",
	"int setenv(const char *name, const char *value, int overwrite);",
	"int unsetenv(const char *name);",
} do
	pcall(ffi.cdef, decl)
end
local C = ffi.C

local O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC, O_APPEND = 0, 1, 64, 512, 1024
local WNOHANG = 1

M.SIG = {
	HUP = 1, INT = 2, QUIT = 3, ILL = 4, TRAP = 5, ABRT = 6, BUS = 7, FPE = 8, KILL = 9,
	USR1 = 10, SEGV = 11, USR2 = 12, PIPE = 13, ALRM = 14, TERM = 15, CHLD = 17,
	CONT = 18, STOP = 19, TSTP = 20, TTIN = 21, TTOU = 22, SYS = 31, RTMIN = 34,
}

M.root = trace.root

-- A tree checked out under a temporary directory (/tmp/lanner): the
-- packaged rules rightly alert on its own test programs as run from
-- there.  The specs are about other things, so those alerts are left out
-- of what they see; never an alert on a program outside the tree, which
-- the temp-dir rule's own specs run.
local tree_in_tmp = M.root:match("^/tmp/") or M.root:match("^/var/tmp/") or M.root:match("^/dev/shm/")
function M.tree_alert(rule, exepath)
	return tree_in_tmp ~= nil and rule == "Program run from temp dir" and type(exepath) == "string"
		and exepath:sub(1, #M.root + 1) == M.root .. "/"
end

local function tree_alert_line(l)
	if not tree_in_tmp then return false end
	local exe = l:match('"proc%.exepath":"([^"]*)"')
	return l:find('"rule":"Program run from temp dir"', 1, true) ~= nil and M.tree_alert("Program run from temp dir", exe)
end
M.lanner_bin = trace.root .. "/build/lanner"

function M.sleep(s)
	C.poll(nil, 0, math.floor(s * 1000))
end

M.now = trace.now

-- Wait until pred() returns a true value or timeout seconds pass; returns
-- pred's last value.
function M.wait_until(pred, timeout, step)
	local deadline = trace.now() + (timeout or 10)
	while true do
		local v = pred()
		if v then return v end
		if trace.now() > deadline then return v end
		M.sleep(step or 0.02)
	end
end

-- Start argv with the spec as its parent.  opts: stdout, stderr (paths,
-- truncated; stderr may be "stdout"), stdin (path, default /dev/null),
-- append (open stdout/stderr for append), pgrp (own process group),
-- setsid, cwd, env ({ NAME = value or false }).  Returns the pid.
function M.spawn(argv, opts)
	opts = opts or {}
	local n = #argv
	local cargv = ffi.new("char *[?]", n + 1)
	local keep = {}
	for i, a in ipairs(argv) do
		keep[i] = ffi.new("char[?]", #a + 1, a)
		cargv[i - 1] = keep[i]
	end
	cargv[n] = nil
	local wflags = O_WRONLY + O_CREAT + (opts.append and O_APPEND or O_TRUNC)
	local out, err, inp = opts.stdout or "/dev/null", opts.stderr or "/dev/null", opts.stdin or "/dev/null"
	-- the environment is changed in the child only, by setenv before exec
	local env = {}
	for k, v in pairs(opts.env or {}) do env[#env + 1] = { k, v } end
	local empty = ffi.new("char[128]")
	C.sigemptyset(empty)
	io.stdout:flush()
	io.stderr:flush()
	local pid = C.fork()
	if pid < 0 then error("fork failed", 2) end
	if pid == 0 then
		-- the child: nothing here may return to busted
		C.sigprocmask(2, empty, nil)	-- SIG_SETMASK: nothing blocked
		if opts.setsid then C.setsid() elseif opts.pgrp then C.setpgid(0, 0) end
		if opts.cwd and C.chdir(opts.cwd) ~= 0 then C._exit(126) end
		for _, kv in ipairs(env) do
			if kv[2] then C.setenv(kv[1], kv[2], 1) else C.unsetenv(kv[1]) end
		end
		local fi = C.open(inp, O_RDONLY)
		local fo = C.open(out, wflags, 420)
		local fe = err == "stdout" and fo or C.open(err, wflags, 420)
		if fi < 0 or fo < 0 or fe < 0 then C._exit(126) end
		C.dup2(fi, 0)
		C.dup2(fo, 1)
		C.dup2(fe, 2)
		for fd = 3, 255 do C.close(fd) end
		C.execvp(cargv[0], cargv)
		C._exit(127)
	end
	return pid
end

local function decode(raw)
	local sig = bit.band(raw, 0x7f)
	if sig == 0 then
		local code = bit.band(bit.rshift(raw, 8), 0xff)
		return { raw = raw, exited = true, code = code, status = code }
	elseif sig ~= 0x7f then
		return { raw = raw, signaled = true, sig = sig, status = 128 + sig,
			core = bit.band(raw, 0x80) ~= 0 }
	end
	return { raw = raw, stopped = true, sig = bit.band(bit.rshift(raw, 8), 0xff) }
end

-- Reap pid; nil (still running) after timeout seconds, else a table
-- { status (shell-style), exited, code, signaled, sig, raw }.
-- timeout 0 polls once.
function M.wait(pid, timeout)
	local st = ffi.new("int[1]")
	local deadline = trace.now() + (timeout or 60)
	while true do
		local r = C.waitpid(pid, st, WNOHANG)
		if r == pid then return decode(st[0]) end
		if r < 0 then return nil, "waitpid failed (not our child?)" end
		if trace.now() >= deadline then return nil end
		M.sleep(0.01)
	end
end

function M.kill(pid, sig)
	return C.kill(pid, M.SIG[sig] or sig) == 0
end

-- Kill the process (or group, pid < 0) and reap it if it is our child.
function M.kill_wait(pid, timeout)
	C.kill(pid, 9)
	if pid > 0 then return M.wait(pid, timeout or 10) end
end

-- /proc/PID/status as { state = "S", tracer = 0, ppid = .., tgid = .., threads = .. }
-- or nil when the process is gone.
-- The process a thread belongs to (its Tgid): lanner traces from a
-- thread of its own (--queue), and TracerPid names that thread.
function M.tgid_of(tid)
	if not tid or tid == 0 then return tid end
	local s = trace.read_file("/proc/" .. tid .. "/status")
	return s and tonumber(s:match("\nTgid:%s+(%d+)")) or tid
end

-- tracer: the process tracing it (the Tgid of its TracerPid), 0 none.
function M.proc_status(pid)
	local s = trace.read_file("/proc/" .. pid .. "/status")
	if not s then return nil end
	return {
		state = s:match("\nState:%s+(%a)"),
		tracer = M.tgid_of(tonumber(s:match("\nTracerPid:%s+(%d+)"))),
		ppid = tonumber(s:match("\nPPid:%s+(%d+)")),
		tgid = tonumber(s:match("\nTgid:%s+(%d+)")),
		threads = tonumber(s:match("\nThreads:%s+(%d+)")),
		seccomp = tonumber(s:match("\nSeccomp:%s+(%d+)")),
		name = s:match("^Name:%s+([^\n]*)"),
	}
end

-- The state letter of every thread of pid: { [tid] = "S", ... }
function M.thread_states(pid)
	local out = {}
	local list = trace.sh("ls /proc/" .. pid .. "/task 2>/dev/null")
	for tid in list:gmatch("%d+") do
		local s = trace.read_file("/proc/" .. pid .. "/task/" .. tid .. "/status")
		if s then out[tonumber(tid)] = s:match("\nState:%s+(%a)") end
	end
	return out
end

-- Children of pid: { pid, ... } from /proc/PID/task/*/children.
function M.children(pid)
	local out = {}
	local body = trace.sh("cat /proc/" .. pid .. "/task/*/children 2>/dev/null")
	for c in body:gmatch("%d+") do out[#out + 1] = tonumber(c) end
	return out
end

-- Our children in state Z (zombies nobody reaped).
function M.zombie_children()
	local out = {}
	for _, c in ipairs(M.children(C.getpid())) do
		local st = M.proc_status(c)
		if st and st.state == "Z" then out[#out + 1] = c end
	end
	return out
end

-- Processes traced by tracer_pid (TracerPid), among all of /proc.
function M.traced_by(tracer_pid)
	local out = {}
	local list = trace.sh("ls /proc")
	for pid in list:gmatch("(%d+)") do
		local st = M.proc_status(pid)
		if st and st.tracer == tracer_pid then out[#out + 1] = tonumber(pid) end
	end
	return out
end

-- A number written by a program into a file (its pid, a port), once there.
function M.read_number(path, timeout)
	return M.wait_until(function()
		local s = trace.read_file(path)
		return s and tonumber(s:match("(%d+)"))
	end, timeout or 10)
end

local function lines(s)
	local out = {}
	for l in (s or ""):gmatch("[^\n]+") do out[#out + 1] = l end
	return out
end
M.lines = lines

local tmpdir
local function scratch()
	if not tmpdir then tmpdir = trace.mkdtemp() end
	return tmpdir
end
M.scratch = scratch
local seq = 0
function M.tmpname(tag)
	seq = seq + 1
	return string.format("%s/%s.%d", scratch(), tag or "f", seq)
end

-- Run argv to its end (untraced).  opts as spawn's, plus timeout (s,
-- default 60: then it is killed and r.timed_out is set).  Returns
-- { status, exited, signaled, sig, stdout, stderr, pid, timed_out }.
function M.run(argv, opts)
	opts = opts or {}
	local o = {}
	for k, v in pairs(opts) do o[k] = v end
	o.stdout = opts.stdout or M.tmpname("out")
	o.stderr = opts.stderr or M.tmpname("err")
	local pid = M.spawn(argv, o)
	local w = M.wait(pid, opts.timeout or 60)
	local timed_out = false
	if not w then
		timed_out = true
		C.kill(opts.pgrp and -pid or pid, 9)
		C.kill(pid, 9)
		w = M.wait(pid, 10) or {}
	end
	w.pid = pid
	w.timed_out = timed_out
	w.stdout = trace.read_file(o.stdout) or ""
	w.stderr = o.stderr ~= "stdout" and trace.read_file(o.stderr) or ""
	return w
end

-- lanner's argv for tracing argv: the events go to a file, so that stdout
-- is the program's alone.  largs: lanner options and filter.
function M.lanner_argv(largs, argv, evfile)
	local a = { M.lanner_bin, "-q", "--output-file", evfile }
	for _, x in ipairs(largs) do a[#a + 1] = x end
	if argv then
		a[#a + 1] = "--"
		for _, x in ipairs(argv) do a[#a + 1] = x end
	end
	return a
end

-- Run argv under lanner (largs: its options and filter) to the end.
-- Returns run's table plus events (lines lanner printed) and evfile.
function M.lanner(largs, argv, opts)
	local evfile = M.tmpname("events")
	local r = M.run(M.lanner_argv(largs, argv, evfile), opts)
	r.evfile = evfile
	r.events = {}
	for _, l in ipairs(lines(trace.read_file(evfile))) do
		if not tree_alert_line(l) then r.events[#r.events + 1] = l end
	end
	return r
end

-- The same program untraced and traced: a, b.
-- largs default: a filter that makes the common syscalls stop.
M.default_filter = { "-p", "%evt.type %proc.pid %thread.tid %evt.res",
	"evt.type in (openat, close, read, write, clone, clone3, fork, vfork, execve, wait4, waitid, kill, tgkill, rt_sigqueueinfo, rt_sigreturn, exit, exit_group, procexit)" }
function M.compare(argv, largs, opts)
	local a = M.run(argv, opts)
	local b = M.lanner(largs or M.default_filter, argv, opts)
	return a, b
end

function M.count(list, pred)
	local n = 0
	for _, l in ipairs(list) do
		if pred(l) then n = n + 1 end
	end
	return n
end

-- Remove the scratch directory (call from a spec's teardown).
function M.cleanup()
	if tmpdir then
		trace.rmrf(tmpdir)
		tmpdir = nil
	end
end

return M
