-- Signals under lanner must reach the program as they do without it: the
-- program's own signals (handlers, merging of standard signals, queued
-- real-time signals with their values, SIGCHLD with si_status, a signal to
-- its process group), the exit status of a program a signal kills,
-- signals a process manager sends to lanner (forwarded once each), stop and
-- continue from another process, and job control from a terminal.  Each
-- case runs the same program untraced and traced and compares.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

-- the scratch files of cmp.run and cmp.lanner go when the file is done
teardown(cmp.cleanup)

local SIG = cmp.SIG

-- Filters that make different syscalls stop: the signal-related ones, a
-- single unrelated one, and every syscall.
local FILTERS = {
	{ "signal syscalls", { "-p", "%evt.type %proc.pid %evt.res",
		"evt.type in (kill, tgkill, rt_sigqueueinfo, rt_sigprocmask, rt_sigaction, rt_sigtimedwait, wait4, waitid, clone, clone3, pipe2, read, write, exit_group, procexit)" } },
	{ "openat only", { "evt.type=openat" } },
	{ "every syscall", {} },
}

describe("invisible: signals a program sends itself (spec/progs/inv_signals)", function()
	local base

	setup(function()
		base = cmp.run({ trace.prog("inv_signals"), "group" }, { pgrp = true, timeout = 30 })
	end)
	teardown(cmp.cleanup)

	it("untraced: exits 0 and prints what it saw", function()
		assert.equal(0, base.status)
		assert.truthy(base.stdout:match("rt SIGRTMIN%+1 value 100 SI_QUEUE\n"))
		assert.truthy(base.stdout:match("SIGCHLD 2: CLD_KILLED status 15\n"))
		assert.truthy(base.stdout:match("kill%(0, SIGINT%): parent got 1, child got 1\n"), base.stdout)
	end)

	-- the kill(0, SIGINT) line is checked on its own below
	local function but_group(out)
		return (out:gsub("kill%(0, SIGINT%)[^\n]*\n", ""))
	end

	local group_lines = {}
	for _, f in ipairs(FILTERS) do
		it("traced (" .. f[1] .. "): same exit status and the same lines", function()
			-- lanner leads the process group, as under a shell: kill(0, SIGINT)
			-- from the program reaches lanner too
			local r = cmp.lanner(f[2], { trace.prog("inv_signals"), "group" }, { pgrp = true, timeout = 30 })
			assert.is_false(r.timed_out)
			assert.equal(base.status, r.status)
			assert.equal(but_group(base.stdout), but_group(r.stdout))
			assert.equal("", r.stderr)
			group_lines[#group_lines + 1] = r.stdout:match("kill%(0, SIGINT%)[^\n]*")
		end)
	end

	-- lanner gets the program's kill(0, SIGINT) too and forwards it: a
	-- race whether the program sees one or two
	it("traced: the program's kill(0, SIGINT) reaches it once, as untraced", function()
		local want = base.stdout:match("kill%(0, SIGINT%)[^\n]*")
		for _ = 1, 2 do
			local r = cmp.lanner(FILTERS[2][2], { trace.prog("inv_signals"), "group" }, { pgrp = true, timeout = 30 })
			group_lines[#group_lines + 1] = r.stdout:match("kill%(0, SIGINT%)[^\n]*")
		end
		assert.same({ want, want, want, want, want }, group_lines)
	end)
end)

describe("invisible: exit status of a program, as a shell reports it", function()
	teardown(cmp.cleanup)
	local cases = {
		{ "exit", 0 }, { "exit", 1 }, { "exit", 42 }, { "exit", 255 },
		{ "signal", SIG.HUP }, { "signal", SIG.INT }, { "signal", SIG.QUIT }, { "signal", SIG.ABRT },
		{ "signal", SIG.KILL }, { "signal", SIG.USR1 }, { "signal", SIG.SEGV }, { "signal", SIG.TERM },
		{ "signal", SIG.SYS }, { "signal", SIG.RTMIN + 2 },
	}
	for _, c in ipairs(cases) do
		it(string.format("inv_die %s %d", c[1], c[2]), function()
			local argv = { trace.prog("inv_die"), c[1], tostring(c[2]) }
			local a, b = cmp.compare(argv, nil, { timeout = 20 })
			if c[1] == "exit" then
				assert.is_true(a.exited)
				assert.equal(c[2], a.status)
			else
				assert.is_true(a.signaled)
				assert.equal(c[2], a.sig)
			end
			-- lanner exits with the program's status, 128+N for signal N
			assert.is_true(b.exited)
			assert.equal(a.status, b.code)
		end)
	end
end)

-- lanner -- inv_catch READY in a process group of its own; send sig to
-- lanner (target "lanner"), to its process group ("group"), or to the
-- program itself ("program").  Untraced, the same sig goes to the program
-- (or its group).  Returns the untraced and traced results.
local function signal_run(sig, target, times)
	local function one(traced)
		local ready = cmp.tmpname("ready")
		local out = cmp.tmpname("out")
		local argv = { trace.prog("inv_catch"), ready }
		local pid = cmp.spawn(traced and cmp.lanner_argv({ "evt.type in (openat, clock_nanosleep, nanosleep)" }, argv,
			cmp.tmpname("events")) or argv, { pgrp = true, stdout = out, stderr = "stdout" })
		local prog = cmp.read_number(ready, 10)
		assert(prog, "inv_catch did not start")
		cmp.sleep(0.1)
		for i = 1, times or 1 do
			local to = target == "group" and -pid or (target == "program" and prog or pid)
			cmp.kill(to, sig)
			if i < (times or 1) then cmp.sleep(0.1) end
		end
		local w = cmp.wait(pid, 20)
		if not w then
			cmp.kill(-pid, 9)
			w = cmp.wait(pid, 10) or {}
			w.timed_out = true
		end
		w.stdout = trace.read_file(out) or ""
		return w
	end
	return one(false), one(true)
end

describe("invisible: signals sent to lanner reach the program once (spec/progs/inv_catch)", function()
	teardown(cmp.cleanup)

	for _, sig in ipairs { "TERM", "HUP", "INT", "QUIT", "USR1", "USR2" } do
		it("kill -" .. sig .. " to lanner: the program catches it once, prints, exits 0, and so does lanner",
			function()
				local a, b = signal_run(sig, "lanner")
				assert.equal(sig .. " 1\n", a.stdout)
				assert.equal(0, a.status)
				assert.equal(a.stdout, b.stdout)
				assert.equal(0, b.status)
			end)
	end

	-- a process manager that sends SIGHUP (reload) or SIGUSR1 (reopen
	-- logs) twice: the program must get both, not a SIGKILL
	for _, sig in ipairs { "HUP", "USR1", "TERM" } do
		it("kill -" .. sig .. " twice to lanner: the program catches both and exits 0", function()
			local a, b = signal_run(sig, "lanner", 2)
			assert.equal(0, a.status)
			assert.truthy(a.stdout:match("^" .. sig .. " [12]\n$"), a.stdout)
			assert.equal(0, b.status)
			assert.truthy(b.stdout:match("^" .. sig .. " [12]\n$"), b.stdout)
		end)
	end

	-- kill -INT -PGID reaches lanner and the program; lanner must not add
	-- a second copy.  Whether the copy is merged into the first is a race:
	-- several signals, several tries each.
	it("kill -SIG to lanner's process group: the program gets it once (INT, QUIT, TERM, HUP)", function()
		local seen, want = {}, {}
		for _, sig in ipairs { "INT", "QUIT", "TERM", "HUP" } do
			for _ = 1, 2 do
				local a, b = signal_run(sig, "group")
				assert.equal(sig .. " 1\n", a.stdout)
				assert.equal(0, b.status)
				seen[#seen + 1] = (b.stdout:gsub("\n", ""))
				want[#want + 1] = sig .. " 1"
			end
		end
		assert.same(want, seen)
	end)

	it("kill -USR1 straight to the traced program: caught once, lanner exits 0", function()
		local a, b = signal_run("USR1", "program")
		assert.equal("USR1 1\n", a.stdout)
		assert.equal(a.stdout, b.stdout)
		assert.equal(0, b.status)
	end)
end)

describe("invisible: SIGSTOP and SIGCONT from another process (spec/progs/inv_loop)", function()
	local D, lp, prog, stopped_states, frozen, resumed, w, nev_stop, nev_end

	local function count()
		local n = 0
		for c in (trace.read_file(D .. "/out") or ""):gmatch("count (%d+)") do n = tonumber(c) end
		return n
	end
	local function loop_events()
		return cmp.count(cmp.lines(trace.read_file(D .. "/events")), function(l) return l:match("loop%.txt") end)
	end
	local function all_stopped()
		local st = cmp.thread_states(prog)
		for _, s in pairs(st) do
			if s ~= "T" and s ~= "t" then return nil end
		end
		return next(st) and st
	end

	setup(function()
		D = trace.mkdtemp()
		lp = cmp.spawn(cmp.lanner_argv({ "-p", "%proc.pid %evt.type %fd.name", "evt.type=openat" },
			{ trace.prog("inv_loop"), D, "0", "2" }, D .. "/events"), { pgrp = true, stdout = D .. "/out", cwd = D })
		prog = cmp.read_number(D .. "/ready", 10)
		cmp.wait_until(function() return count() >= 3 end, 10)
		cmp.kill(prog, "STOP")
		stopped_states = cmp.wait_until(all_stopped, 10)
		local c0, e0 = count(), loop_events()
		cmp.sleep(0.5)
		frozen = count() == c0 and loop_events() == e0
		nev_stop = loop_events()
		cmp.kill(prog, "CONT")
		resumed = cmp.wait_until(function() return count() >= c0 + 5 end, 10)
		nev_end = cmp.wait_until(function() return loop_events() >= nev_stop + 5 and loop_events() end, 10)
		cmp.kill(prog, "TERM")
		w = cmp.wait(lp, 10)
		if not w then cmp.kill_wait(-lp) end
	end)

	teardown(function()
		if lp then cmp.kill(-lp, 9); cmp.wait(lp, 1) end
		if D then trace.rmrf(D) end
	end)

	it("the program and its threads stop (state T, or t: stopped under ptrace)", function()
		assert.is_table(stopped_states)
		assert.equal(3, #trace.keys(stopped_states))
	end)

	it("nothing runs while stopped", function()
		assert.is_true(frozen)
	end)

	it("after SIGCONT it runs on and lanner keeps tracing it", function()
		assert.is_truthy(resumed)
		assert.is_number(nev_end)
	end)

	it("killed by SIGTERM afterwards: lanner exits 143", function()
		assert.is_table(w)
		assert.equal(143, w.status)
	end)
end)

-- A terminal: bash -i on a pty runs COMMAND, which is stopped with Ctrl-Z,
-- resumed with fg and ended with Ctrl-C.  Prints the states of the job's
-- processes at each step, what bash said, and $? at the end.
local PTY_JOB = [=[
import os, pty, sys, time, select, re
cmd, pidfile = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ['PS1'] = 'PROMPT> '
    os.environ['TERM'] = 'dumb'
    os.execvp('bash', ['bash', '--norc', '--noprofile', '-i'])
buf = b''
def read_until(pat, timeout=10):
    global buf
    end = time.time() + timeout
    rx = re.compile(pat)
    while True:
        m = rx.search(buf)
        if m:
            buf = buf[m.end():]
            return m
        left = end - time.time()
        if left <= 0: return None
        r, _, _ = select.select([fd], [], [], left)
        if not r: continue
        try: data = os.read(fd, 4096)
        except OSError: return None
        if not data: return None
        buf += data
def state(p):
    try:
        with open('/proc/%d/status' % p) as f:
            for l in f:
                if l.startswith('State:'): return l.split()[1]
    except OSError: return 'gone'
def kids(p):
    out = []
    try:
        for t in os.listdir('/proc/%d/task' % p):
            with open('/proc/%d/task/%s/children' % (p, t)) as f: out += [int(x) for x in f.read().split()]
    except OSError: pass
    return out
def snap(tag, procs):
    print('%s %s' % (tag, ' '.join('%s=%s' % (n, state(p)) for n, p in procs)), flush=True)
def finish(code):
    try: os.kill(pid, 9)
    except OSError: pass
    os.waitpid(pid, 0)
    sys.exit(code)
if not read_until(rb'PROMPT> '): print('error no prompt'); finish(1)
os.write(fd, cmd.encode() + b'\n')
sh = None
end = time.time() + 10
while time.time() < end:
    try:
        sh = int(open(pidfile).read().split()[0])
        if kids(sh): break
    except (OSError, ValueError, IndexError): pass
    time.sleep(0.05)
if sh is None or not kids(sh) or not kids(pid): print('error no job'); finish(1)
procs = [('job', kids(pid)[0]), ('sh', sh), ('sleep', kids(sh)[0])]
time.sleep(0.3)
snap('running', procs)
os.write(fd, b'\x1a')
m = read_until(rb'(Stopped|Suspended)', 10)
print('msg %s' % (m.group(1).decode() if m else 'none'), flush=True)
read_until(rb'PROMPT> ', 10)
time.sleep(0.5)
snap('stopped', procs)
os.write(fd, b'fg\n')
time.sleep(1.0)
snap('resumed', procs)
os.write(fd, b'\x03')
time.sleep(0.5)
read_until(rb'PROMPT> ', 10)
os.write(fd, b'echo rc=$?\n')
m = read_until(rb'rc=(\d+)', 10)
print('rc %s' % (m.group(1).decode() if m else 'none'), flush=True)
time.sleep(0.2)
snap('after', procs)
os.write(fd, b'exit\n')
time.sleep(0.2)
finish(0)
]=]

describe("invisible: job control from a terminal (Ctrl-Z, fg, Ctrl-C)", function()
	local D, plain, traced

	local function parse(out)
		local r = {}
		for l in out:gmatch("[^\n]+") do
			local k, rest = l:match("^(%S+) ?(.*)$")
			r[k] = rest
		end
		return r
	end

	setup(function()
		D = trace.mkdtemp()
		local py = D .. "/pty_job.py"
		local f = assert(io.open(py, "w"))
		f:write(PTY_JOB)
		f:close()
		local job = "sh -c 'echo $$ > " .. D .. "/pid; sleep 100; echo after'"
		local a = cmp.run({ "python3", py, job, D .. "/pid" }, { timeout = 50 })
		os.remove(D .. "/pid")
		local b = cmp.run({ "python3", py, cmp.lanner_bin .. " -q --output-file " .. D .. "/events " ..
			"'evt.type in (openat, wait4, clock_nanosleep, nanosleep)' -- " .. job, D .. "/pid" }, { timeout = 50 })
		plain, traced = parse(a.stdout), parse(b.stdout)
		plain.raw, traced.raw = a.stdout .. a.stderr, b.stdout .. b.stderr
	end)

	teardown(function()
		if D then trace.rmrf(D) end
	end)

	it("untraced: the job stops, resumes and ends with 130", function()
		assert.equal("job=S sh=S sleep=S", plain.running, plain.raw)
		assert.equal("Stopped", plain.msg)
		assert.equal("job=T sh=T sleep=T", plain.stopped)
		assert.equal("job=S sh=S sleep=S", plain.resumed)
		assert.equal("130", plain.rc)
	end)

	it("traced: bash says Stopped, and every process of the job is stopped (T, or t under ptrace)", function()
		assert.equal("job=S sh=S sleep=S", traced.running, traced.raw)
		assert.equal("Stopped", traced.msg)
		assert.truthy(traced.stopped and traced.stopped:match("^job=T sh=[Tt] sleep=[Tt]$"), traced.stopped)
	end)

	it("traced: fg resumes all of it", function()
		assert.equal("job=S sh=S sleep=S", traced.resumed, traced.raw)
	end)

	it("traced: Ctrl-C ends the job with 130, nothing left", function()
		assert.equal("130", traced.rc, traced.raw)
		assert.equal("job=gone sh=gone sleep=gone", traced.after)
	end)

	it("traced: lanner saw the job's syscalls", function()
		assert.truthy((trace.read_file(D .. "/events") or ""):match("wait4"))
	end)
end)
