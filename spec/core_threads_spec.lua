-- The core on threads: 100 pthreads at once (no event lost, each on its own
-- tid), a raw clone3 thread, and execve from a thread that is not the
-- leader (the tid becomes the pid).
local trace = require "spec.helpers.trace"

describe("core: 100 threads, 10 close(-1) each (spec/progs/threads)", function()
	local r, calls, tids

	setup(function()
		r = trace.run({ trace.prog("threads") },
			{ types = { close = true, clone = true, clone3 = true, exit = true, exit_group = true } })
		calls = trace.select(r.events, function(e) return e.type == "close" and e.raw.fd == -1 end)
		tids = {}
		for _, e in ipairs(calls) do tids[e.tid] = (tids[e.tid] or 0) + 1 end
	end)

	it("exits 0", function()
		assert.equal(0, r.status)
		assert.is_false(r.timed_out)
	end)

	it("sees exactly 100 x 10 close(-1), each failing with EBADF", function()
		assert.equal(1000, #calls)
		for _, e in ipairs(calls) do
			assert.equal(-9, e.res)
			assert.equal("-9(EBADF)", e.params.res)
		end
	end)

	it("on 100 distinct threads, 10 each, none of them the leader", function()
		local n = 0
		for tid, k in pairs(tids) do
			n = n + 1
			assert.equal(10, k, "thread " .. tid)
			assert.is_true(tid ~= r.pid)
		end
		assert.equal(100, n)
	end)

	it("every thread belongs to the one process", function()
		for _, e in ipairs(calls) do
			assert.equal(r.pid, e.pid)
			assert.equal("threads", e.comm)
		end
	end)

	it("each thread was made by a clone/clone3 of the process, returning its tid", function()
		local made = {}
		for _, e in ipairs(r.events) do
			if (e.type == "clone3" or e.type == "clone") and e.res and e.res > 0 then
				assert.equal(r.pid, e.tid)
				made[e.res] = true
			end
		end
		for tid in pairs(tids) do assert.is_true(made[tid], "no clone made " .. tid) end
	end)

	it("each thread's events run close x10 then exit, in that order", function()
		local per = trace.by_tid(r.events)
		for tid in pairs(tids) do
			local seq = {}
			for i, e in ipairs(per[tid]) do seq[i] = e.type end
			assert.same({ "close", "close", "close", "close", "close", "close", "close",
				"close", "close", "close", "exit" }, seq)
		end
	end)

	it("the process ends with one procexit, 101 threads and 1 process seen", function()
		local ex = trace.select(r.events, "procexit")
		assert.equal(1, #ex)
		assert.equal(r.pid, ex[1].pid)
		assert.equal(101, r.stats.threads_seen)
		assert.equal(1, r.stats.procs_seen)
		assert.same({}, r.procs_left)
	end)
end)

describe("core: a thread made by raw clone3 (spec/progs/clone3)", function()
	local r, th, tev

	setup(function()
		r = trace.run({ trace.prog("clone3") }, { types = { clone3 = true, close = true, exit = true } })
		th = trace.find(r.events, function(e) return e.type == "clone3" and e.raw.flags ~= 0 end)
		tev = th and trace.select(r.events, function(e) return e.tid == th.res end) or {}
	end)

	it("exits 0", function()
		assert.equal(0, r.status)
	end)

	it("clone3 with CLONE_THREAD shows its flags and returns the new tid", function()
		assert.is_table(th)
		assert.is_true(th.res > 0)
		assert.equal("2428672(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_CHILD_CLEARTID)",
			th.params.flags)
	end)

	it("the thread's three close(-2) and its exit are on its tid, in the parent's process", function()
		local seq = {}
		for i, e in ipairs(tev) do seq[i] = e.type .. ":" .. tostring(e.raw.fd or e.raw.status) end
		assert.same({ "close:-2", "close:-2", "close:-2", "exit:0" }, seq)
		for _, e in ipairs(tev) do
			assert.equal(r.pid, e.pid)
			assert.equal("clone3", e.comm)
		end
	end)
end)

describe("core: execve from a thread that is not the leader (spec/progs/exec_thread)", function()
	local r, marker, thread_marker, ex

	setup(function()
		r = trace.run({ trace.prog("exec_thread") },
			{ types = { close = true, execve = true, clone3 = true, clone = true, exit_group = true } })
		marker = trace.find(r.events, function(e) return e.type == "close" and e.raw.fd == -4 end)
		thread_marker = trace.find(r.events, function(e) return e.type == "close" and e.raw.fd == -3 end)
		ex = trace.find(r.events, function(e) return e.type == "execve" and e.raw.filename == "/bin/true" end)
	end)

	it("exits 0 (the exec'd /bin/true)", function()
		assert.equal(0, r.status)
	end)

	it("the leader's marker is on the pid, the thread's on another tid", function()
		assert.equal(r.pid, marker.tid)
		assert.is_true(thread_marker.tid ~= r.pid)
		assert.equal(r.pid, thread_marker.pid)
	end)

	it("the execve event has the leader's tid (the pid) and the new image's state", function()
		assert.is_table(ex)
		assert.equal(0, ex.res)
		assert.equal(r.pid, ex.tid)
		assert.equal(r.pid, ex.pid)
		assert.equal("true", ex.comm)
		assert.same({ "from-thread" }, ex.args)
		assert.equal(1, ex.nthreads)
	end)

	it("everything after the exec is on the pid, and there is one procexit", function()
		local _, i = trace.find(r.events, function(e) return e == ex end)
		for k = i, #r.events do
			assert.equal(r.pid, r.events[k].tid, r.events[k].type)
		end
		local pe = trace.select(r.events, "procexit")
		assert.equal(1, #pe)
		assert.equal(0, pe[1].raw.ret)
	end)

	it("leaves no thread or process record behind", function()
		assert.same({}, r.procs_left)
		assert.same({}, trace.leftovers())
	end)
end)
