-- lanner --pid --attach-mode=seccomp: lanner's filter injected into a
-- running process (src/trace/inject.c).  The program (spec/progs/inv_attach_busy)
-- waits for DIR/go, which the spec writes once the filter is in; then it
-- makes ITERS rounds of 1000 getppid (never traced) and one openat, in the
-- main thread and in NTHREADS threads, forks a child that opens
-- newchild.txt, prints and exits 7.  The events and the program's output
-- and status must be what syscall mode and an untraced run give, with a
-- small fraction of the stops.  And --keep for launched programs.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

teardown(cmp.cleanup)

local FMT = "%proc.pid %thread.tid %evt.type %fd.name"

local function status_of(pid)
	return trace.read_file("/proc/" .. pid .. "/status") or ""
end

-- The program, started by the spec, waiting for DIR/go; filter:
-- "own-filter" or "thread-filter" (a seccomp filter of its own).
local function start_busy(dir, iters, nthreads, filter)
	local pid = cmp.spawn({ trace.prog("inv_attach_busy"), dir, tostring(iters), tostring(nthreads), filter },
		{ stdout = dir .. "/out", stderr = dir .. "/err", pgrp = true })
	assert(cmp.read_number(dir .. "/ready", 10) == pid, "inv_attach_busy did not get ready")
	return pid
end

-- lanner --pid in the given mode; returns its pid once it holds the
-- process (and, in seccomp mode, once the filter is in).
local function attach(dir, pid, mode, extra)
	local args = { cmp.lanner_bin, "--stats", "--attach-mode", mode, "--output-file", dir .. "/events",
		"--pid", tostring(pid) }
	for _, a in ipairs(extra or {}) do args[#args + 1] = a end
	args[#args + 1] = "-p"
	args[#args + 1] = FMT
	args[#args + 1] = "evt.type=openat"
	local lp = cmp.spawn(args, { stdout = dir .. "/lanner.out", stderr = dir .. "/lanner.err" })
	local ok = cmp.wait_until(function()
		local st = status_of(pid)
		return cmp.tgid_of(tonumber(st:match("TracerPid:%s+(%d+)"))) == lp and
			(mode ~= "seccomp" or st:match("Seccomp:%s+2") ~= nil)
	end, 15)
	assert(ok, "lanner did not attach (" .. mode .. "): " .. (trace.read_file(dir .. "/lanner.err") or ""))
	return lp
end

-- lanner --attach-mode=seccomp on a process it must leave in syscall
-- mode; returns once it said so.
local function attach_refused(dir, pid)
	local lp = cmp.spawn({ cmp.lanner_bin, "--attach-mode=seccomp", "--output-file", dir .. "/events", "--pid",
		tostring(pid), "-p", FMT, "evt.type=openat" }, { stderr = dir .. "/lanner.err" })
	cmp.wait_until(function() return (trace.read_file(dir .. "/lanner.err") or ""):match("syscall mode") end, 10)
	return lp
end

-- A describe's teardown: lanner (lp, its wait result lw), the program
-- (pid, its wait result prog) and the directory, whatever got made.
local function clean_up(lp, lw, pid, prog, dir)
	if lp and not lw then cmp.kill_wait(lp) end
	if pid and not prog then cmp.kill(-pid, 9); cmp.wait(pid, 10) end
	if dir then trace.rmrf(dir) end
end

local function events(dir)
	local out = {}
	for _, l in ipairs(cmp.lines(trace.read_file(dir .. "/events"))) do
		local pid, tid, ty, name = l:match("^(%d+) (%d+) (%S+) (.*)$")
		if pid then out[#out + 1] = { pid = tonumber(pid), tid = tonumber(tid), type = ty, name = name } end
	end
	return out
end

local function opens_of(evs, file)
	local n, pids, tids = 0, {}, {}
	for _, e in ipairs(evs) do
		if e.type == "openat" and e.name:match("/" .. file:gsub("%.", "%%.") .. "$") then
			n = n + 1
			pids[e.pid] = true
			tids[e.tid] = true
		end
	end
	return n, trace.keys(pids), trace.keys(tids)
end

local function stops(err)
	return tonumber((err or ""):match("\nstops: (%d+)") or (err or ""):match("^stops: (%d+)"))
end

-- One full run: attach in mode, go, the program to its end, lanner to its.
local function run_busy(mode, iters, nthreads)
	local r = { dir = trace.mkdtemp() }
	local ok, err = pcall(function()
		r.pid = start_busy(r.dir, iters, nthreads)
		r.lanner = attach(r.dir, r.pid, mode)
		r.threads_filtered = true
		io.open(r.dir .. "/go", "w"):close()
		r.prog = cmp.wait(r.pid, 60)
		r.lw = cmp.wait(r.lanner, 20)
	end)
	if r.pid and not r.prog then cmp.kill(-r.pid, 9); cmp.wait(r.pid, 10) end
	if r.lanner and not r.lw then cmp.kill_wait(r.lanner) end
	assert(ok, err)
	r.out = trace.read_file(r.dir .. "/out") or ""
	r.lerr = trace.read_file(r.dir .. "/lanner.err") or ""
	r.evs = events(r.dir)
	r.stops = stops(r.lerr)
	trace.rmrf(r.dir)
	return r
end

local function run_untraced(iters, nthreads)
	local dir = trace.mkdtemp()
	local pid = start_busy(dir, iters, nthreads)
	io.open(dir .. "/go", "w"):close()
	local w = cmp.wait(pid, 60)
	if not w then cmp.kill_wait(pid) end
	local out = trace.read_file(dir .. "/out") or ""
	trace.rmrf(dir)
	return { status = w and w.status, out = out }
end

describe("attach seccomp: a single-threaded program", function()
	local ITERS = 50
	local base, sc, sy

	setup(function()
		base = run_untraced(ITERS, 0)
		sc = run_busy("seccomp", ITERS, 0)
		sy = run_busy("syscall", ITERS, 0)
	end)

	it("the program's output and exit status are those of an untraced run", function()
		assert.equal(7, base.status)
		assert.equal(base.out, sc.out)
		assert.equal(7, sc.prog.status)
		assert.equal("getppid 50000, opens 50, threads 0, child exit 5\n", sc.out)
	end)

	it("lanner follows the program out and exits 0, quietly", function()
		assert.equal(0, sc.lw.status)
		assert.is_nil(sc.lerr:match("cannot"), sc.lerr)
	end)

	it("sees every openat, as syscall mode does", function()
		local n, pids = opens_of(sc.evs, "busy.txt")
		assert.equal(ITERS, n)
		assert.same({ sc.pid }, pids)
		assert.equal(ITERS, (opens_of(sy.evs, "busy.txt")))
	end)

	it("traces a child forked after the attach (it inherits the filter)", function()
		local n, pids = opens_of(sc.evs, "newchild.txt")
		assert.equal(1, n)
		assert.is_true(pids[1] ~= sc.pid)
		assert.equal(1, (opens_of(sy.evs, "newchild.txt")))
	end)

	it("the untraced getppid calls do not stop: a small fraction of syscall mode's stops", function()
		assert.is_number(sc.stops, sc.lerr)
		assert.is_number(sy.stops, sy.lerr)
		-- 50,000 getppid: syscall mode stops twice on each
		assert.is_true(sy.stops > 100000, "syscall mode: " .. sy.stops)
		assert.is_true(sc.stops < 4 * ITERS + 100, "seccomp mode: " .. sc.stops .. " stops")
	end)
end)

describe("attach seccomp: a program with threads", function()
	local ITERS, NT = 40, 3
	local base, sc

	setup(function()
		base = run_untraced(ITERS, NT)
		sc = run_busy("seccomp", ITERS, NT)
	end)

	it("same output and status as untraced", function()
		assert.equal(7, sc.prog.status)
		assert.equal(base.out, sc.out)
		assert.equal(0, sc.lw.status)
	end)

	it("every thread's openat is seen, each on its own tid", function()
		local n, pids, tids = opens_of(sc.evs, "thread.txt")
		assert.equal(ITERS * NT, n)
		assert.same({ sc.pid }, pids)
		assert.equal(NT, #tids)
		assert.equal(ITERS, (opens_of(sc.evs, "busy.txt")))
		assert.is_true(sc.stops < 4 * ITERS * (NT + 1) + 100, sc.stops .. " stops")
	end)
end)

-- Threads that exist before the attach get the filter through TSYNC;
-- a thread and a child made after are traced (spec/progs/inv_loop).
describe("attach seccomp: threads that ran before the attach", function()
	local D, tgt, lp, evs, filtered, w

	setup(function()
		D = trace.mkdtemp()
		tgt = cmp.spawn({ trace.prog("inv_loop"), D, "0", "2", "0" },
			{ stdout = D .. "/out", stderr = D .. "/err", pgrp = true, cwd = D })
		local ready = cmp.wait_until(function()
			local s = trace.read_file(D .. "/ready")
			return s and tonumber(s:match("^(%d+)"))
		end, 10)
		assert(ready == tgt)
		lp = attach(D, tgt, "seccomp")
		filtered = {}
		for tid in pairs(cmp.thread_states(tgt)) do
			filtered[#filtered + 1] = cmp.proc_status(tgt .. "/task/" .. tid).seccomp
		end
		io.open(D .. "/spawn", "w"):close()
		cmp.wait_until(function()
			local ev = events(D)
			return opens_of(ev, "newchild.txt") > 0 and opens_of(ev, "newthread.txt") > 0
		end, 15)
		cmp.kill(tgt, "TERM")
		w = cmp.wait(lp, 15)
		evs = events(D)
	end)

	teardown(function() clean_up(lp, w, tgt, nil, D) end)

	it("every thread carries the filter (TSYNC)", function()
		assert.same({ 2, 2, 2 }, filtered)
	end)

	it("the threads' openat are seen on both tids, and the new thread's and child's", function()
		local _, _, tids = opens_of(evs, "thread.txt")
		assert.equal(2, #tids)
		assert.is_true(opens_of(evs, "newthread.txt") > 0)
		local _, kids = opens_of(evs, "newchild.txt")
		assert.equal(1, #kids)
		assert.is_true(kids[1] ~= tgt)
	end)

	it("lanner exits 0 once the program is gone", function()
		assert.is_table(w, "lanner still running 15 s after the program was killed")
		assert.equal(0, w.status)
	end)
end)

describe("attach seccomp: Ctrl-C (SIGINT to lanner)", function()
	local D, pid, lp, after_int, after_second, states, tracer, prog, lw, out, lerr, evs

	setup(function()
		D = trace.mkdtemp()
		pid = start_busy(D, 30, 1)
		lp = attach(D, pid, "seccomp")
		cmp.kill(lp, "INT")
		cmp.sleep(0.5)
		after_int = cmp.wait(lp, 0)
		states = cmp.thread_states(pid)
		tracer = cmp.proc_status(pid).tracer
		cmp.kill(lp, "INT")
		cmp.sleep(0.3)
		after_second = cmp.wait(lp, 0)
		io.open(D .. "/go", "w"):close()
		prog = cmp.wait(pid, 30)
		lw = cmp.wait(lp, 15)
		out = trace.read_file(D .. "/out") or ""
		lerr = trace.read_file(D .. "/lanner.err") or ""
		evs = events(D)
	end)

	teardown(function() clean_up(lp, lw, pid, prog, D) end)

	it("lanner does not leave: it says why, and what to do at the second", function()
		assert.is_nil(after_int)
		assert.is_nil(after_second)
		assert.truthy(lerr:match("cannot detach from process " .. pid .. ": it carries lanner's seccomp filter"), lerr)
		assert.truthy(lerr:match("still serving " .. pid .. " %(cannot detach%); end it %(kill " .. pid .. "%)"), lerr)
	end)

	it("meanwhile the program is not stopped and still traced by lanner", function()
		for tid, st in pairs(states) do
			assert.truthy(st ~= "t" and st ~= "T", tid .. " " .. st)
		end
		assert.equal(lp, tracer)
	end)

	it("the program then runs to its end unharmed, every openat still seen", function()
		assert.is_table(prog)
		assert.equal(7, prog.status)
		assert.equal("getppid 60000, opens 60, threads 1, child exit 5\n", out)
		assert.equal(30, (opens_of(evs, "busy.txt")))
		assert.equal(30, (opens_of(evs, "thread.txt")))
	end)

	it("and lanner exits 0 after it", function()
		assert.is_table(lw)
		assert.equal(0, lw.status)
	end)
end)


-- A Ctrl-C that lands while lanner is leaving (the program just ended)
-- must not turn lanner's status into 130: lanner's handlers are gone by
-- then, and the default action would kill it.  SIGINT is sent without a
-- pause from before the program ends until lanner has left; in seccomp
-- mode each one while the program runs only repeats why lanner stays.
describe("attach seccomp: Ctrl-C again and again while the program ends", function()
	local D, pid, lp, lw, prog, sent

	setup(function()
		D = trace.mkdtemp()
		pid = start_busy(D, 3, 0)
		lp = attach(D, pid, "seccomp")
		io.open(D .. "/go", "w"):close()
		sent = 0
		local deadline = cmp.now() + 30
		while not lw and cmp.now() < deadline do
			cmp.kill(lp, "INT")
			sent = sent + 1
			lw = cmp.wait(lp, 0)
		end
		prog = cmp.wait(pid, 10)
	end)

	teardown(function() clean_up(lp, lw, pid, prog, D) end)

	it("lanner exits 0 after the program, not 130", function()
		assert.is_table(prog)
		assert.equal(7, prog.status)
		assert.is_table(lw)
		assert.equal(0, lw.status, "after " .. sent .. " SIGINTs")
	end)
end)
-- Its own filter might kill the injected calls: lanner leaves it alone.
describe("attach seccomp: a process with a seccomp filter of its own", function()
	local D, pid, lp, lw, prog, lerr, evs, tracer_after

	setup(function()
		D = trace.mkdtemp()
		pid = start_busy(D, 10, 0, "own-filter")
		lp = attach_refused(D, pid)
		io.open(D .. "/go", "w"):close()
		cmp.wait_until(function() return opens_of(events(D), "busy.txt") >= 10 end, 20)
		cmp.kill(lp, "INT")
		lw = cmp.wait(lp, 10)
		cmp.sleep(0.2)
		tracer_after = cmp.proc_status(pid) and cmp.proc_status(pid).tracer
		prog = cmp.wait(pid, 20)
		lerr = trace.read_file(D .. "/lanner.err") or ""
		evs = events(D)
	end)

	teardown(function() clean_up(lp, lw, pid, prog, D) end)

	it("lanner says it stays in syscall mode, and traces it so", function()
		assert.truthy(lerr:match("pid " .. pid .. ": thread " .. pid .. " has a seccomp filter of its own.-pid " .. pid ..
			" stays in syscall mode"), lerr)
		assert.equal(10, (opens_of(evs, "busy.txt")))
	end)

	it("SIGINT detaches as usual; the program ends well", function()
		assert.is_table(lw)
		assert.equal(0, lw.status)
		assert.is_true(tracer_after == nil or tracer_after == 0)
		assert.is_table(prog)
		assert.equal(7, prog.status)
	end)
end)

-- One thread with a filter of its own, the others without: injected
-- through that thread, TSYNC would give its filter to the others; through
-- another, TSYNC fails.  lanner says which thread and stays in syscall mode
-- (and the main thread must not end up with the sandbox's filter).
describe("attach seccomp: one thread has a filter of its own", function()
	local D, pid, lp, lw, prog, lerr, evs, sandbox_tid, main_filter

	setup(function()
		D = trace.mkdtemp()
		pid = start_busy(D, 10, 0, "thread-filter")
		for tid in pairs(cmp.thread_states(pid)) do
			if tid ~= pid then sandbox_tid = tid end
		end
		lp = attach_refused(D, pid)
		io.open(D .. "/go", "w"):close()
		cmp.wait_until(function()
			local ev = events(D)
			return opens_of(ev, "busy.txt") >= 10 and opens_of(ev, "sandbox.txt") >= 10
		end, 20)
		main_filter = cmp.proc_status(pid).seccomp
		cmp.kill(lp, "INT")
		lw = cmp.wait(lp, 10)
		prog = cmp.wait(pid, 20)
		lerr = trace.read_file(D .. "/lanner.err") or ""
		evs = events(D)
	end)

	teardown(function() clean_up(lp, lw, pid, prog, D) end)

	it("lanner names the thread and keeps the process in syscall mode, traced", function()
		assert.truthy(lerr:match("pid " .. pid .. ": thread " .. tostring(sandbox_tid) .. " has a seccomp filter of its own.-" ..
			"pid " .. pid .. " stays in syscall mode"), lerr)
		assert.equal(10, (opens_of(evs, "busy.txt")))
		assert.equal(10, (opens_of(evs, "sandbox.txt")))
		assert.equal(0, main_filter)
	end)

	it("SIGINT detaches; the program ends well", function()
		assert.is_table(lw)
		assert.equal(0, lw.status)
		assert.is_table(prog)
		assert.equal(7, prog.status)
	end)
end)

describe("--keep: a launched program", function()
	it("with -M 1: not killed; lanner says why it stays and serves it to its end", function()
		local t0 = cmp.now()
		local r = cmp.lanner({ "--keep", "-M", "1", "evt.type=openat" }, { "sh", "-c", "sleep 2; echo done" },
			{ timeout = 30 })
		assert.equal(0, r.status)
		assert.equal("done\n", r.stdout)
		assert.truthy(r.stderr:match("%-%-keep: the launched program %(pid %d+.-%) carries lanner's seccomp filter"),
			r.stderr)
		assert.is_true(cmp.now() - t0 >= 1.8)
	end)

	it("without --keep, -M 1 kills it", function()
		local r = cmp.lanner({ "-M", "1", "evt.type=openat" }, { "sh", "-c", "sleep 2; echo done" }, { timeout = 30 })
		assert.equal("", r.stdout)
	end)

	for _, keep in ipairs { true, false } do
		it((keep and "with" or "without") .. " --keep, SIGINT to lanner once the program left a child behind: " ..
			(keep and "the child runs to its end, traced" or "the child is killed"), function()
			local D = trace.mkdtemp()
			local args = { cmp.lanner_bin, "-q", "--output-file", D .. "/events", "-p", FMT, "evt.type=openat" }
			if keep then table.insert(args, 2, "--keep") end
			for _, a in ipairs { "--", "sh", "-c", "(sleep 1.5; cat /dev/null; echo bg done) & echo started" } do
				args[#args + 1] = a
			end
			local lp = cmp.spawn(args, { stdout = D .. "/out", stderr = D .. "/err" })
			cmp.wait_until(function() return (trace.read_file(D .. "/out") or ""):match("started") end, 10)
			-- the shell gone (reaped by lanner; the job reparented): only
			-- now is the job the sole thing left, and SIGINT not forwarded
			cmp.wait_until(function() return #cmp.children(lp) == 0 end, 10)
			cmp.kill(lp, "INT")
			local w = cmp.wait(lp, 15)
			if not w then cmp.kill_wait(lp) end
			local out, err = trace.read_file(D .. "/out") or "", trace.read_file(D .. "/err") or ""
			local evs = events(D)
			trace.rmrf(D)
			assert.is_table(w)
			assert.equal(0, w.status)
			if keep then
				assert.equal("started\nbg done\n", out)
				assert.truthy(err:match("%-%-keep"), err)
				assert.is_true(opens_of(evs, "null") >= 1)
			else
				assert.equal("started\n", out)
			end
			assert.same({}, cmp.zombie_children())
		end)
	end
end)
