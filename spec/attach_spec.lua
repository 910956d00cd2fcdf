-- lanner --pid: attaching to a program that is already running (spec/progs/
-- inv_loop: a loop of known syscalls, threads, a child, fds and a TCP
-- connection opened before the attach).  lanner must see it from the first
-- event with its real state, follow what it makes afterwards, and leave it
-- running untraced and not stopped when lanner is told to go (SIGINT,
-- SIGTERM) or killed (SIGKILL).  A process that another tracer holds cannot
-- be attached: a clear message and exit 2.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

-- the scratch files of cmp.run and cmp.lanner go when the file is done
teardown(cmp.cleanup)

local SEP = "|"
local FMT = table.concat({ "%proc.pid", "%thread.tid", "%proc.name", "%evt.type", "%fd.name",
	"%proc.exe", "%proc.args", "%proc.cwd", "%proc.exepath" }, SEP)
local FILTER = "evt.type in (openat, pwrite64, write, read)"

local function parse(line)
	local f = {}
	for part in (line .. SEP):gmatch("([^" .. SEP .. "]*)" .. SEP) do f[#f + 1] = part end
	-- lanner's output is block-buffered: the last line may be cut short
	if #f < 9 then return nil end
	return { pid = tonumber(f[1]), tid = tonumber(f[2]), name = f[3], type = f[4], fd = f[5],
		exe = f[6], args = f[7], cwd = f[8], exepath = f[9], line = line }
end

-- A running inv_loop in its own process group, its output in dir/out.
local function start_target(dir, nthreads, kids)
	local pid = cmp.spawn({ trace.prog("inv_loop"), dir, "0", tostring(nthreads or 0), tostring(kids or 0) },
		{ stdout = dir .. "/out", stderr = dir .. "/err", pgrp = true, cwd = dir })
	local ready = cmp.wait_until(function()
		local s = trace.read_file(dir .. "/ready")
		if not s then return nil end
		local p, sport, cport = s:match("(%d+) (%d+) (%d+)")
		return p and { pid = tonumber(p), sport = tonumber(sport), cport = tonumber(cport) }
	end, 10)
	assert(ready and ready.pid == pid, "inv_loop did not get ready")
	return ready
end

local function last_count(dir)
	local s = trace.read_file(dir .. "/out") or ""
	local n
	for c in s:gmatch("count (%d+)") do n = tonumber(c) end
	return n or 0
end

-- Does the count in dir/out go up (within a few seconds)?
local function counting(dir)
	local c0 = last_count(dir)
	return cmp.wait_until(function() return last_count(dir) >= c0 + 3 end, 10) and true or false
end

-- Every thread of pid: not stopped and not traced.  Returns a list of
-- problems (empty when all is well).
local function untraced_and_running(pid)
	local bad = {}
	for tid, state in pairs(cmp.thread_states(pid)) do
		local st = cmp.proc_status(tid)
		if state == "t" or state == "T" then bad[#bad + 1] = "thread " .. tid .. " state " .. state end
		if st and st.tracer ~= 0 then bad[#bad + 1] = "thread " .. tid .. " TracerPid " .. st.tracer end
	end
	return bad
end

local function attach(dir, pid, extra, fmt)
	local evfile = dir .. "/events"
	local args = { cmp.lanner_bin, "--output-file", evfile, "--pid", tostring(pid) }
	for _, a in ipairs(extra or {}) do args[#args + 1] = a end
	args[#args + 1] = "-p"
	args[#args + 1] = fmt or FMT
	args[#args + 1] = FILTER
	local lp = cmp.spawn(args, { stdout = dir .. "/lanner.out", stderr = dir .. "/lanner.err" })
	return lp, evfile
end

local function events(evfile)
	local out = {}
	for _, l in ipairs(cmp.lines(trace.read_file(evfile))) do out[#out + 1] = parse(l) end	-- nil: skipped
	return out
end

local function has(evs, pred)
	for _, e in ipairs(evs) do
		if pred(e) then return e end
	end
end

-- Tell lanner to go with sig; its wait status, or nil if it did not end
-- within 10 s (then it is killed, so that the next test starts clean).
local function stop_lanner(lp, sig)
	cmp.kill(lp, sig)
	local w = cmp.wait(lp, 10)
	if not w then cmp.kill_wait(lp) end
	return w
end

describe("attach: lanner --pid on a running program with threads and a child", function()
	local D, tgt, lp, evfile, evs, w, kid

	setup(function()
		D = trace.mkdtemp()
		tgt = start_target(D, 2, 1)
		assert.is_true(counting(D))
		kid = cmp.children(tgt.pid)[1]
		lp, evfile = attach(D, tgt.pid)
		-- wait for the loop's events, then ask for a new thread and child
		cmp.wait_until(function() return has(events(evfile), function(e) return e.fd:match("loop%.txt$") end) end, 15)
		io.open(D .. "/spawn", "w"):close()
		cmp.wait_until(function()
			local ev = events(evfile)
			return has(ev, function(e) return e.fd:match("newchild%.txt$") end)
				and has(ev, function(e) return e.fd:match("newthread%.txt$") end)
		end, 15)
		cmp.sleep(0.2)
		w = stop_lanner(lp, "INT")
		evs = events(evfile)
	end)

	teardown(function()
		if lp then cmp.kill_wait(lp) end
		if tgt then cmp.kill(-tgt.pid, 9); cmp.wait(tgt.pid, 10) end
		if D then trace.rmrf(D) end
	end)

	it("sees the program's syscalls, the first event already from it", function()
		assert.is_true(#evs > 0, "no events")
		assert.equal(tgt.pid, evs[1].pid)
	end)

	it("has the program's own name, exe, args, cwd and exepath from the first event", function()
		local e = evs[1]
		assert.equal("inv_loop", e.name)
		assert.equal(trace.prog("inv_loop"), e.exe)
		assert.equal(D .. " 0 2 1", e.args)
		assert.equal(D .. "/", e.cwd)
		assert.equal(trace.prog("inv_loop"), e.exepath)
	end)

	it("names the fds opened before the attach: the file and both ends of the TCP connection", function()
		local pw = has(evs, function(e) return e.type == "pwrite64" end)
		assert.is_table(pw)
		assert.equal(D .. "/before.txt", pw.fd)
		local wr = has(evs, function(e) return e.type == "write" and e.fd:match("^127") end)
		assert.is_table(wr)
		assert.equal(string.format("127.0.0.1:%d->127.0.0.1:%d", tgt.cport, tgt.sport), wr.fd)
		local rd = has(evs, function(e) return e.type == "read" and e.fd:match("^127") end)
		assert.is_table(rd)
		assert.equal(string.format("127.0.0.1:%d->127.0.0.1:%d", tgt.sport, tgt.cport), rd.fd)
	end)

	it("sees every thread that ran before the attach, each on its own tid", function()
		local tids = {}
		for _, e in ipairs(evs) do
			if e.fd == D .. "/thread.txt" then
				assert.equal(tgt.pid, e.pid)
				tids[e.tid] = true
			end
		end
		assert.equal(2, #trace.keys(tids))
		assert.is_nil(tids[tgt.pid])
	end)

	it("follows a thread and a child made after the attach", function()
		local nt = has(evs, function(e) return e.fd == D .. "/newthread.txt" end)
		assert.is_table(nt)
		assert.equal(tgt.pid, nt.pid)
		assert.is_true(nt.tid ~= tgt.pid)
		local nc = has(evs, function(e) return e.fd == D .. "/newchild.txt" end)
		assert.is_table(nc)
		assert.is_true(nc.pid ~= tgt.pid)
	end)

	it("the child made after the attach has the program's state too", function()
		local nc = has(evs, function(e) return e.fd == D .. "/newchild.txt" end)
		assert.is_table(nc)
		assert.same({ "inv_loop", trace.prog("inv_loop"), D .. " 0 2 1", D .. "/" },
			{ nc.name, nc.exe, nc.args, nc.cwd })
	end)

	it("without --children, leaves the child that existed before alone", function()
		assert.is_number(kid)
		assert.is_nil(has(evs, function(e) return e.pid == kid end))
	end)

	it("SIGINT (kill -INT) makes lanner detach and exit 0 within 10 s", function()
		assert.is_table(w, "lanner was still running 10 s after SIGINT")
		assert.equal(0, w.status)
	end)

	it("after lanner is gone the program runs on, untraced, no thread stopped", function()
		cmp.sleep(0.3)
		assert.same({}, untraced_and_running(tgt.pid))
		assert.is_true(counting(D), "the count stopped going up")
		local st = cmp.proc_status(kid)
		assert.equal(0, st.tracer)
	end)
end)

-- %proc.fdopencount needs the exact fd table (every fd syscall traced), so
-- the names of fds opened before the attach come from the scan at attach.
describe("attach: with the exact fd table, and SIGTERM", function()
	local D, tgt, lp, evfile, w, nbefore, evs

	setup(function()
		D = trace.mkdtemp()
		tgt = start_target(D, 1, 0)
		lp, evfile = attach(D, tgt.pid, nil, FMT .. SEP .. "%proc.fdopencount")
		cmp.wait_until(function() return #events(evfile) > 10 end, 15)
		nbefore = #events(evfile)
		w = stop_lanner(lp, "TERM")
		evs = events(evfile)
	end)

	teardown(function()
		if lp then cmp.kill_wait(lp) end
		if tgt then cmp.kill(-tgt.pid, 9); cmp.wait(tgt.pid, 10) end
		if D then trace.rmrf(D) end
	end)

	it("saw events before", function()
		assert.is_true(nbefore > 10)
	end)

	it("names the fds opened before the attach", function()
		local pw = has(evs, function(e) return e.type == "pwrite64" end)
		assert.is_table(pw)
		assert.equal(D .. "/before.txt", pw.fd)
		local wr = has(evs, function(e) return e.type == "write" and e.pid == tgt.pid and e.fd ~= D .. "/out" end)
		assert.is_table(wr)
		assert.equal(string.format("127.0.0.1:%d->127.0.0.1:%d", tgt.cport, tgt.sport), wr.fd)
	end)

	it("kill -TERM makes lanner detach and exit 0 within 10 s", function()
		assert.is_table(w, "lanner was still running 10 s after SIGTERM")
		assert.equal(0, w.status)
	end)

	it("leaves the program running, untraced, not stopped", function()
		cmp.sleep(0.3)
		assert.same({}, untraced_and_running(tgt.pid))
		assert.is_true(counting(D))
	end)
end)

describe("attach: --children", function()
	local D, tgt, lp, evfile, evs, kids

	setup(function()
		D = trace.mkdtemp()
		tgt = start_target(D, 0, 2)
		kids = cmp.wait_until(function()
			local k = cmp.children(tgt.pid)
			return #k == 2 and k
		end, 10)
		lp, evfile = attach(D, tgt.pid, { "--children" })
		cmp.wait_until(function()
			local ev = events(evfile)
			local n = 0
			for _, k in ipairs(kids) do
				if has(ev, function(e) return e.pid == k end) then n = n + 1 end
			end
			return n == 2
		end, 15)
		cmp.sleep(0.2)
		stop_lanner(lp, "KILL")
		evs = events(evfile)
	end)

	teardown(function()
		if lp then cmp.kill_wait(lp) end
		if tgt then cmp.kill(-tgt.pid, 9); cmp.wait(tgt.pid, 10) end
		if D then trace.rmrf(D) end
	end)

	it("also traces the descendants that existed before", function()
		for _, k in ipairs(kids) do
			local e = has(evs, function(x) return x.pid == k end)
			assert.is_table(e, "no event from child " .. k)
			assert.equal(D .. "/kid.txt", e.fd)
		end
		assert.is_table(has(evs, function(x) return x.pid == tgt.pid end))
	end)

	it("with each process's own state (name, exe, args, cwd)", function()
		for _, k in ipairs(kids) do
			local e = has(evs, function(x) return x.pid == k end)
			assert.is_table(e, "no event from child " .. k)
			assert.same({ "inv_loop", trace.prog("inv_loop"), D .. " 0 0 2", D .. "/" },
				{ e.name, e.exe, e.args, e.cwd })
		end
	end)

	it("killing lanner (SIGKILL) leaves the program and its children running untraced", function()
		for _, p in ipairs({ tgt.pid, kids[1], kids[2] }) do
			local bad = cmp.wait_until(function()
				local b = untraced_and_running(p)
				return #b == 0 and b
			end, 5) or untraced_and_running(p)
			assert.same({}, bad, "pid " .. p)
		end
		assert.is_true(counting(D))
	end)
end)

describe("attach: -M (lanner stops by itself after SECS)", function()
	local D, tgt, w, nev

	setup(function()
		D = trace.mkdtemp()
		tgt = start_target(D, 1, 0)
		w = cmp.run({ cmp.lanner_bin, "-M", "2", "--output-file", D .. "/events", "--pid", tostring(tgt.pid),
			"-p", FMT, FILTER }, { timeout = 20 })
		nev = #events(D .. "/events")
	end)

	teardown(function()
		if tgt then cmp.kill(-tgt.pid, 9); cmp.wait(tgt.pid, 10) end
		if D then trace.rmrf(D) end
	end)

	it("exits 0 after about 2 s, having traced the program", function()
		assert.is_false(w.timed_out)
		assert.equal(0, w.status)
		assert.is_true(nev > 10, nev .. " events")
	end)

	it("the program runs on, untraced, no thread stopped", function()
		assert.same({}, untraced_and_running(tgt.pid))
		assert.is_true(counting(D))
	end)
end)

-- Real-time signals queue (none merge), so each one sent must arrive: 300
-- of them while lanner attaches, traces and detaches (-M 1), three times.
describe("attach: no signal lost across attach and detach", function()
	local D, p, lanner_status, out

	setup(function()
		D = trace.mkdtemp()
		p = cmp.spawn({ trace.prog("inv_catch"), D .. "/ready", "rt" }, { stdout = D .. "/out", pgrp = true })
		assert(cmp.read_number(D .. "/ready", 10))
		lanner_status = {}
		for round = 1, 3 do
			local lp = cmp.spawn({ cmp.lanner_bin, "-M", "1", "--output-file", D .. "/events", "--pid", tostring(p),
				"evt.type in (rt_sigreturn, clock_nanosleep, nanosleep)" }, { stderr = D .. "/lanner.err" })
			for _ = 1, 100 do
				cmp.kill(p, cmp.SIG.RTMIN + 1)
				cmp.sleep(0.01)
			end
			local w = cmp.wait(lp, 20)
			if not w then cmp.kill_wait(lp) end
			lanner_status[round] = w and w.status
		end
		cmp.sleep(0.2)
		cmp.kill(p, "USR2")
		local w = cmp.wait(p, 10)
		out = trace.read_file(D .. "/out") or ""
		if not w then cmp.kill_wait(p) end
	end)

	teardown(function()
		if p then cmp.kill(-p, 9); cmp.wait(p, 1) end
		if D then trace.rmrf(D) end
	end)

	it("lanner attached and detached three times, exit 0 each", function()
		assert.same({ 0, 0, 0 }, lanner_status)
	end)

	it("the program got all 300 signals", function()
		assert.equal("RT 300\n", out)
	end)
end)

describe("attach: a process stopped by SIGSTOP", function()
	local D, tgt, during, after, w

	setup(function()
		D = trace.mkdtemp()
		tgt = start_target(D, 1, 0)
		cmp.kill(tgt.pid, "STOP")
		cmp.wait_until(function() return cmp.proc_status(tgt.pid).state == "T" end, 5)
		local lp = cmp.spawn({ cmp.lanner_bin, "-M", "2", "--output-file", D .. "/events", "--pid",
			tostring(tgt.pid), FILTER }, { stderr = D .. "/lanner.err" })
		cmp.sleep(1)
		during = cmp.thread_states(tgt.pid)
		w = cmp.wait(lp, 20)
		if not w then cmp.kill_wait(lp) end
		cmp.sleep(0.2)
		after = cmp.thread_states(tgt.pid)
	end)

	teardown(function()
		if tgt then cmp.kill(-tgt.pid, 9); cmp.wait(tgt.pid, 10) end
		if D then trace.rmrf(D) end
	end)

	it("stays stopped while lanner is attached", function()
		for tid, st in pairs(during) do
			assert.truthy(st == "T" or st == "t", tid .. " " .. st)
		end
	end)

	it("is still stopped (T, untraced) after lanner left, and SIGCONT resumes it", function()
		assert.is_table(w)
		assert.equal(0, w.status)
		for tid, st in pairs(after) do
			assert.equal("T", st, "thread " .. tid)
		end
		local c0 = last_count(D)
		cmp.kill(tgt.pid, "CONT")
		assert.is_true(cmp.wait_until(function() return last_count(D) >= c0 + 3 end, 10) and true or false)
		assert.same({}, untraced_and_running(tgt.pid))
	end)
end)

-- CLONE_UNTRACED from an attached process: the children are made by
-- clone(CLONE_UNTRACED|SIGCHLD) every 100 ms (spec/progs/inv_untraced
-- loop).  Attached tracees have no seccomp filter to refuse the flag, so
-- lanner, which sees each syscall's entry in syscall mode, must refuse it
-- or trace the child.
describe("attach: CLONE_UNTRACED children of an attached process", function()
	local D, p, w, out

	setup(function()
		D = trace.mkdtemp()
		p = cmp.spawn({ trace.prog("inv_untraced"), "loop", D }, { stdout = D .. "/out", pgrp = true })
		cmp.read_number(D .. "/ready", 10)
		cmp.wait_until(function() return (trace.read_file(D .. "/out") or ""):match("\n2 ") end, 10)
		w = cmp.run({ cmp.lanner_bin, "-M", "2", "--output-file", D .. "/events", "--pid", tostring(p),
			"-p", "*%proc.pid %evt.type %evt.rawres %fd.name", "evt.type in (openat, clone)" }, { timeout = 20 })
		cmp.sleep(0.3)
		out = trace.read_file(D .. "/out") or ""
	end)

	teardown(function()
		if p then cmp.kill(-p, 9); cmp.wait(p, 10) end
		if D then trace.rmrf(D) end
	end)

	it("lanner ran and detached", function()
		assert.equal(0, w.status)
	end)

	it("while attached, each such clone is refused (EPERM) or its child traced", function()
		local lines = cmp.lines(trace.read_file(D .. "/events") or "")
		local clones, escaped = 0, {}
		for _, l in ipairs(lines) do
			local res = tonumber(l:match("^%d+ clone (%-?%d+) "))
			if res then
				clones = clones + 1
				if res > 0 then
					local seen = cmp.count(lines, function(x)
						return x:match("^" .. res .. " openat %d+ .*/untraced%.txt$")
					end)
					if seen == 0 then escaped[#escaped + 1] = res end
				end
			end
		end
		assert.is_true(clones >= 5, clones .. " clone events")
		assert.same({}, escaped, "untraced children; the program said:\n" .. out:sub(-300))
	end)
end)

-- A terminal: lanner --pid in the foreground of bash -i on a pty; one
-- Ctrl-C (SIGINT from the tty driver, not kill) should detach.
local PTY_CTRLC = [=[
import os, pty, sys, time, select, re
cmd = sys.argv[1]
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
def finish(code):
    try: os.kill(pid, 9)
    except OSError: pass
    os.waitpid(pid, 0)
    sys.exit(code)
if not read_until(rb'PROMPT> '): print('error no prompt'); finish(1)
os.write(fd, cmd.encode() + b'\n')
time.sleep(2.0)
os.write(fd, b'\x03')
one = read_until(rb'PROMPT> ', 5)
print('one ctrl-c: %s' % ('back at the prompt' if one else 'still running'), flush=True)
if not one:
    os.write(fd, b'\x03')
    two = read_until(rb'PROMPT> ', 5)
    print('two ctrl-c: %s' % ('back at the prompt' if two else 'still running'), flush=True)
os.write(fd, b'echo rc=$?\n')
m = read_until(rb'rc=(\d+)', 5)
print('rc %s' % (m.group(1).decode() if m else 'none'), flush=True)
os.write(fd, b'exit\n')
time.sleep(0.2)
finish(0)
]=]

describe("attach: Ctrl-C from a terminal", function()
	local D, tgt, out

	setup(function()
		D = trace.mkdtemp()
		tgt = start_target(D, 1, 0)
		local py = D .. "/pty_ctrlc.py"
		local f = assert(io.open(py, "w"))
		f:write(PTY_CTRLC)
		f:close()
		local r = cmp.run({ "python3", py, cmp.lanner_bin .. " -q --output-file " .. D .. "/events --pid " ..
			tgt.pid .. " 'evt.type=openat'" }, { timeout = 40 })
		out = r.stdout .. r.stderr
		cmp.sleep(0.3)
	end)

	teardown(function()
		if tgt then cmp.kill(-tgt.pid, 9); cmp.wait(tgt.pid, 10) end
		if D then trace.rmrf(D) end
	end)

	it("one Ctrl-C detaches: lanner ends, exit 0", function()
		assert.truthy(out:match("one ctrl%-c: back at the prompt\n"), out)
		assert.truthy(out:match("rc 0\n"), out)
	end)

	it("after lanner ended (one Ctrl-C or two), the program runs on untraced", function()
		assert.truthy(out:match("back at the prompt"), out)
		assert.same({}, untraced_and_running(tgt.pid))
		assert.is_true(counting(D))
	end)
end)

describe("attach: refused", function()
	local D

	setup(function() D = trace.mkdtemp() end)
	teardown(function() if D then trace.rmrf(D) end end)

	local function try_attach(pid)
		return cmp.run({ cmp.lanner_bin, "--pid", tostring(pid), "evt.type=openat" }, { timeout = 20 })
	end

	it("a process that strace holds: exit 2 and a message that says so", function()
		local out = D .. "/st"
		local sp = cmp.spawn({ "strace", "-f", "-o", "/dev/null", trace.prog("inv_loop"), D, "0", "0", "0" },
			{ stdout = out, stderr = D .. "/st.err", pgrp = true })
		local tgt = cmp.read_number(D .. "/ready", 10)
		assert.is_number(tgt)
		local r = try_attach(tgt)
		cmp.kill(-sp, 9)
		cmp.wait(sp, 10)
		os.remove(D .. "/ready")
		assert.equal(2, r.status)
		assert.truthy(r.stderr:match("already traced"), r.stderr)
		assert.truthy(r.stderr:match(tostring(tgt)), r.stderr)
	end)

	it("a process that did PTRACE_TRACEME: exit 2 and a message that says so", function()
		local pf = D .. "/traceme.pid"
		local p = cmp.spawn({ trace.prog("inv_ptrace"), "hold", pf }, { pgrp = true })
		local tgt = cmp.read_number(pf, 10)
		assert.is_number(tgt)
		assert.is_true(cmp.proc_status(tgt).tracer == p)
		local r = try_attach(tgt)
		cmp.kill(-p, 9)
		cmp.wait(p, 10)
		assert.equal(2, r.status)
		assert.truthy(r.stderr:match("already traced"), r.stderr)
	end)

	it("a pid that does not exist: exit 2 and a message naming it", function()
		local r = try_attach(4194000)
		assert.equal(2, r.status)
		assert.truthy(r.stderr:match("4194000"), r.stderr)
	end)

	it("leaves no zombie child behind", function()
		assert.same({}, cmp.zombie_children())
	end)
end)
