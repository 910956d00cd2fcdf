-- Threads and processes under lanner: exec from a thread that is not the
-- leader (while others exit), vfork, clone3 with and without CLONE_THREAD,
-- raw clone, CLONE_UNTRACED (which must not be a way out of tracing), the
-- wait statuses a parent sees of children ending every way (zombies,
-- orphans, SIGCHLD ignored), and a tracee that tries ptrace itself.  Each
-- program prints what it saw; traced and untraced must print the same, and
-- the events must show every child's marker syscall.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

-- the scratch files of cmp.run and cmp.lanner go when the file is done
teardown(cmp.cleanup)

-- "*" prints events with fields that do not apply (<NA>) too.
local FMT = "*%proc.pid %thread.tid %evt.type %evt.rawarg.fd %evt.rawres"

local function parse(lines)
	local out = {}
	for _, l in ipairs(lines) do
		local pid, tid, ty, fd, res = l:match("^(%d+) (%d+) (%S+) (%S+) (%S+)$")
		if pid then
			out[#out + 1] = { pid = tonumber(pid), tid = tonumber(tid), type = ty, fd = tonumber(fd),
				res = tonumber(res), line = l }
		end
	end
	return out
end

local function select(evs, pred)
	local out = {}
	for _, e in ipairs(evs) do
		if pred(e) then out[#out + 1] = e end
	end
	return out
end

local function markers(evs, fd)
	return select(evs, function(e) return e.type == "close" and e.fd == fd end)
end

local function traced(argv, filter, opts)
	local r = cmp.lanner({ "-p", FMT, filter }, argv, opts or { timeout = 30 })
	r.evs = parse(r.events)
	return r
end

describe("invisible: execve from a thread that is not the leader (spec/progs/inv_exec_mt)", function()
	teardown(cmp.cleanup)
	local FILTER = "evt.type in (close, execve, exit, exit_group, procexit)"

	for _, mode in ipairs { "leader waits", "leader exits first" } do
		local argv = { trace.prog("inv_exec_mt") }
		if mode == "leader exits first" then argv[2] = "leader-exits" end

		describe(mode, function()
			local a, runs

			setup(function()
				a = cmp.run(argv, { timeout = 30 })
				runs = {}
				for i = 1, 3 do runs[i] = traced(argv, FILTER) end
			end)

			it("untraced: the new image has the old pid, one thread, tid = pid", function()
				assert.equal(0, a.status)
				assert.truthy(a.stdout:match("after exec: same pid yes, tid is pid yes, threads 1\n"), a.stdout)
			end)

			it("traced (3 runs): same status and output", function()
				for _, r in ipairs(runs) do
					assert.is_false(r.timed_out)
					assert.equal(a.status, r.status)
					assert.equal(a.stdout, r.stdout)
				end
			end)

			it("the exec'ing thread's marker is on its own tid, the execve and all after on the pid", function()
				for _, r in ipairs(runs) do
					local pid = r.evs[1] and r.evs[1].pid
					local m3 = markers(r.evs, -3)[1]
					assert.is_table(m3)
					assert.equal(pid, m3.pid)
					assert.is_true(m3.tid ~= pid)
					local ex = select(r.evs, function(e) return e.type == "execve" and e.res == 0 end)
					-- the first execve is lanner's launch, the second the thread's
					assert.equal(2, #ex)
					assert.equal(pid, ex[2].tid)
					local m7 = markers(r.evs, -7)[1]
					assert.is_table(m7)
					assert.same({ pid, pid }, { m7.pid, m7.tid })
				end
			end)

			it("one procexit, for the pid, and nothing left behind", function()
				for _, r in ipairs(runs) do
					local pe = select(r.evs, function(e) return e.type == "procexit" end)
					assert.equal(1, #pe)
					assert.equal(r.evs[1].pid, pe[1].pid)
				end
				assert.same({}, cmp.zombie_children())
				assert.same({}, trace.leftovers())
			end)
		end)
	end
end)

describe("invisible: vfork, clone3, clone, pthreads (spec/progs/inv_clones)", function()
	local a, r

	setup(function()
		a = cmp.run({ trace.prog("inv_clones") })
		r = traced({ trace.prog("inv_clones") }, "evt.type in (close, execve, procexit)")
	end)
	teardown(cmp.cleanup)

	it("prints the same traced and untraced, exits 0", function()
		assert.equal(0, a.status)
		assert.equal(0, r.status)
		assert.equal(a.stdout, r.stdout)
		assert.truthy(a.stdout:match("clone3 thread: EBADF EBADF EBADF\n"))
	end)

	it("every child's marker is reported, once, on the right process or thread", function()
		local root = r.evs[1].pid
		-- processes: vfork (-11), clone3 (-12), clone (-14), PARENT_SETTID (-15)
		for _, fd in ipairs { -11, -12, -14, -15 } do
			local m = markers(r.evs, fd)
			assert.equal(1, #m, "close(" .. fd .. ")")
			assert.is_true(m[1].pid ~= root, "close(" .. fd .. ") in the parent")
			assert.equal(m[1].pid, m[1].tid)
			assert.equal(-9, m[1].res)
		end
		-- threads: clone3 CLONE_THREAD (-13 x3), pthread (-16 x2, then main)
		local m13 = markers(r.evs, -13)
		assert.equal(3, #m13)
		for _, e in ipairs(m13) do
			assert.equal(root, e.pid)
			assert.is_true(e.tid ~= root)
		end
		local m16 = markers(r.evs, -16)
		assert.equal(3, #m16)
		assert.is_true(m16[1].tid ~= root)
		assert.equal(root, m16[3].tid)
	end)

	it("vfork+exec'd /bin/true is seen exec'ing, one procexit per process", function()
		local ex = select(r.evs, function(e) return e.type == "execve" and e.res == 0 end)
		assert.equal(2, #ex)
		local pe = select(r.evs, function(e) return e.type == "procexit" end)
		assert.equal(6, #pe)
	end)
end)

describe("invisible: CLONE_UNTRACED cannot be used to escape (spec/progs/inv_untraced)", function()
	local r, lines

	setup(function()
		r = traced({ trace.prog("inv_untraced") }, "evt.type in (close, clone, clone3, procexit)")
		lines = r.stdout
	end)
	teardown(cmp.cleanup)

	it("exits 0 (untraced too)", function()
		assert.equal(0, cmp.run({ trace.prog("inv_untraced") }).status)
		assert.equal(0, r.status)
	end)

	for _, how in ipairs { "clone", "clone3" } do
		it(how .. " with CLONE_UNTRACED either fails with EPERM or its child stays traced", function()
			local refused = lines:match("\n?" .. how .. ": clone failed: EPERM\n")
			if not refused then
				local child = lines:match(how .. " child %(pid (%d+)%): tracer traced, close%(%-77%) EBADF\n")
				assert.is_truthy(child, "the " .. how .. " child escaped:\n" .. lines)
				local m = select(markers(r.evs, -77), function(e) return e.pid == tonumber(child) end)
				assert.equal(1, #m)
			end
		end)
	end

	-- lanner refused clone3 by reading clone_args.flags at the seccomp
	-- stop; the kernel reads them again after, so a thread that flips the
	-- bit in between got an untraced child (seized only at clone3's exit,
	-- after it ran).  Now lanner reads clone_args once and runs the call as
	-- clone with those values in registers (src/trace/clone3.c): nothing is
	-- read from memory after the check.  3000 clone3, three times.
	it("clone3 while another thread flips CLONE_UNTRACED: no child escapes", function()
		local results = {}
		for _ = 1, 3 do
			local rr = cmp.lanner({ "evt.type=close" }, { trace.prog("inv_untraced"), "race", "3000" }, { timeout = 40 })
			assert.equal(0, rr.status)
			local esc = rr.stdout:match("race: %d+ clones, %d+ refused, (%d+) escaped")
			assert.is_truthy(esc, rr.stdout)
			results[#results + 1] = tonumber(esc)
		end
		assert.same({ 0, 0, 0 }, results)
	end)

	-- In a program with a filter of its own lanner keeps clone3 as it is
	-- (clone3.c), so the race can win: the child then starts untraced and
	-- must be seized at clone3's exit.  clone3 returns the child's pid in
	-- the program's pid namespace; under `unshare --pid` that is not the
	-- pid lanner knows, and lanner seized nobody (children waited 2 s for a
	-- tracer and gave up: "escaped").  The race is won a few times in a
	-- thousand, unevenly: the program clones until 5 children came late
	-- (or 3 never did, or 30 s went by).  With CLONE_PARENT (race-parent)
	-- the child is its creator's parent's: lanner looks for it there too.
	for _, case in ipairs {
		{ "flat", {}, "race-own" },
		{ "in a pid namespace", { "unshare", "--pid", "--fork" }, "race-own" },
		{ "with CLONE_PARENT, flat", {}, "race-parent" },
		{ "with CLONE_PARENT, in a pid namespace", { "unshare", "--pid", "--fork" }, "race-parent" },
	} do
		it("clone3 that gets past the check, " .. case[1] .. ": the child is seized at the call's exit", function()
			local argv = {}
			for _, a in ipairs(case[2]) do argv[#argv + 1] = a end
			for _, a in ipairs { trace.prog("inv_untraced"), case[3], "100000" } do argv[#argv + 1] = a end
			local rr = cmp.lanner({ "evt.type=close and evt.num < 0" }, argv, { timeout = 120 })
			assert.equal(0, rr.status, rr.stderr)
			local adopted, esc = rr.stdout:match(case[3]:gsub("%-", "%%-")
				.. ": %d+ clones, %d+ refused, (%d+) adopted, (%d+) escaped")
			assert.is_truthy(adopted, rr.stdout)
			assert.equal(0, tonumber(esc))
			assert.is_true(tonumber(adopted) > 0, "the race never won: nothing tested\n" .. rr.stdout)
		end)
	end
end)

-- lanner runs a clone3 as clone, with other values in the argument
-- registers, which the program expects back (the syscall ABI keeps them):
-- put back at the clone's event stop (no exit stop then, whether only the
-- CLONE_UNTRACED guard wanted the call or its event was asked for), at the
-- exit stop when the call failed, and in the child at its first stop.
describe("invisible: the registers around a clone3 (spec/progs/clone3_regs)", function()
	teardown(cmp.cleanup)

	local function stops(err)
		local e, x = err:match("\nstops: %d+ %(entry (%d+), exit (%d+)")
		return tonumber(e), tonumber(x)
	end

	for _, case in ipairs {
		{ "the guard alone (-R rules/)", { "-R", "rules/" } },
		{ "clone3 events asked for", { "-p", "%evt.type %evt.rawres", "evt.type=clone3" } },
	} do
		describe(case[1], function()
			local a, r, af, rf
			setup(function()
				a = cmp.run({ trace.prog("clone3_regs") })
				af = cmp.run({ trace.prog("clone3_regs"), "fail" })
				local largs = { "--stats" }
				for _, x in ipairs(case[2]) do largs[#largs + 1] = x end
				r = cmp.lanner(largs, { trace.prog("clone3_regs") })
				rf = cmp.lanner(largs, { trace.prog("clone3_regs"), "fail" })
			end)

			it("parent and child find their registers as they left them", function()
				assert.equal(0, a.status, a.stdout)
				assert.equal(0, r.status, r.stdout .. r.stderr)
				assert.truthy(r.stdout:match("parent ok\n"), r.stdout)
				assert.truthy(r.stdout:match("child ok\n"), r.stdout)
			end)

			it("so does the parent when the kernel refuses the clone lanner made of it", function()
				assert.equal(0, af.status, af.stdout)
				assert.equal(af.stdout, rf.stdout)
				assert.equal(0, rf.status, rf.stdout .. rf.stderr)
			end)

			-- the clone event's stop ends the call's event too: its result
			-- is the child the ptrace event names (stops.c ends_at_event)
			it("the clone3 has an exit stop only if it failed", function()
				local e, x = stops(r.stderr)
				local ef, xf = stops(rf.stderr)
				assert.is_number(x, r.stderr)
				assert.equal(e, ef)
				assert.equal(xf - 1, x)
				if case[2][1] == "-p" then
					-- only clone3 is traced: its events are there, each with
					-- the pid the program got (clone3_regs prints it)
					assert.equal(0, x)
					local got = {}
					for _, l in ipairs(r.events) do got[#got + 1] = l:match("^clone3 (%d+)$") end
					local want = {}
					for pid in r.stdout:gmatch("child pid (%d+)\n") do want[#want + 1] = pid end
					assert.is_true(#want > 0, r.stdout)
					table.sort(got)
					table.sort(want)
					assert.same(want, got)
				end
			end)
		end)
	end
end)

-- The clone3 rewrite is only for a process whose seccomp filters are all
-- lanner's: a filter of the program's own might treat clone otherwise.
-- Which processes may have one lanner knows without a /proc read per
-- clone3 (trace/clone3.c): every filter install stops, in every
-- configuration (filter.c), and marks the process and those it makes.
-- clone3_sandbox's filter refuses clone: a rewrite would refuse its
-- threads.
describe("invisible: clone3 in a program with a seccomp filter of its own (spec/progs/clone3_sandbox)", function()
	teardown(cmp.cleanup)
	for _, how in ipairs { "prctl", "seccomp", "tsync", "child" } do
		it(how .. ": its threads start, as untraced", function()
			local a = cmp.run({ trace.prog("clone3_sandbox"), how })
			assert.equal(0, a.status, a.stdout)
			for _, largs in ipairs {
				{ "-R", "rules/" },
				{ "evt.type=execve" },	-- neither install is an event
				{ "--allow-seccomp-listener", "evt.type=execve" },	-- seccomp is not refusable
			} do
				local r = cmp.lanner(largs, { trace.prog("clone3_sandbox"), how })
				assert.equal(0, r.status, table.concat(largs, " ") .. "\n" .. r.stdout .. r.stderr)
				assert.truthy(r.stdout:match("threads ok\n"), r.stdout)
			end
		end)
	end
end)

describe("invisible: what wait says of children (spec/progs/inv_wait)", function()
	local a
	setup(function() a = cmp.run({ trace.prog("inv_wait") }, { timeout = 30 }) end)
	teardown(cmp.cleanup)

	it("untraced: exits 0, reaps a zombie, an orphan, five at once", function()
		assert.equal(0, a.status)
		assert.truthy(a.stdout:match("zombie before reap: Z\n"))
		assert.truthy(a.stdout:match("collected 5: 10 11 12 13 14\n"))
		assert.truthy(a.stdout:match("orphaned grandchild: exited 21\n"))
		assert.truthy(a.stdout:match("SIGCHLD ignored: wait %-1 ECHILD, child %-\n"))
	end)

	for _, f in ipairs {
		{ "wait and clone syscalls", "evt.type in (wait4, waitid, clone, clone3, vfork, exit_group, kill, procexit, prctl)" },
		{ "openat only", "evt.type=openat" },
		{ "every syscall", nil },
	} do
		it("traced (" .. f[1] .. "): same status and the same lines", function()
			local r = cmp.lanner(f[2] and { f[2] } or {}, { trace.prog("inv_wait") }, { timeout = 30 })
			assert.is_false(r.timed_out)
			assert.equal(a.status, r.status)
			assert.equal(a.stdout, r.stdout)
		end)
	end

	it("leaves no zombie among the spec's children", function()
		assert.same({}, cmp.zombie_children())
	end)
end)

describe("invisible: a tracee that tries ptrace (spec/progs/inv_ptrace)", function()
	local a, r, evs

	setup(function()
		a = cmp.run({ trace.prog("inv_ptrace") })
		r = cmp.lanner({ "-p", "%proc.pid %evt.type %evt.arg.request %evt.res", "evt.type=ptrace" },
			{ trace.prog("inv_ptrace") })
		evs = r.events
	end)
	teardown(cmp.cleanup)

	it("untraced: PTRACE_TRACEME, PTRACE_ATTACH, PTRACE_SEIZE all work", function()
		assert.equal("traceme: ok\ntraceme child: exit 0\nattach: ok\nseize: ok\n", a.stdout)
	end)

	it("traced: each fails with EPERM (documented), the program goes on and exits 0", function()
		assert.equal(0, r.status)
		assert.equal("traceme: EPERM\ntraceme child: exit 0\nattach: EPERM\nseize: EPERM\n", r.stdout)
	end)

	it("each attempt is an event with its request and result", function()
		assert.equal(3, #evs)
		assert.truthy(evs[1]:match("ptrace PTRACE_TRACEME EPERM$"), evs[1])
		assert.truthy(evs[2]:match("ptrace PTRACE_ATTACH EPERM$"), evs[2])
		assert.truthy(evs[3]:match("ptrace PTRACE_SEIZE EPERM$"), evs[3])
	end)
end)

-- A shell that leaves a background job and exits: the job's first stop can
-- come after the shell's exit, and lanner must wait for it instead of
-- ending (and taking it down with PTRACE_O_EXITKILL).  Under load this
-- lost the job about one run in three before stops.c counted such children.
describe("invisible: a background job outlives the shell that started it", function()
	it("lanner waits for it and traces it (8 runs)", function()
		for _ = 1, 8 do
			local r = cmp.lanner({ "-p", "%proc.name %fd.name", "evt.type=openat and fd.name=/dev/null" },
				{ "sh", "-c", "(sleep 0.3; cat /dev/null; echo bg done) & echo started" }, { timeout = 20 })
			assert.equal(0, r.status)
			assert.equal("started\nbg done\n", r.stdout)
			assert.equal(1, cmp.count(r.events, function(l) return l == "cat /dev/null" end))
		end
	end)
end)
