-- Rules off the stop path (issue #16, item 5): with a queue (--queue, the
-- default) the traced program runs on while the rules, chisels and outputs
-- are busy; the events they see carry the state as it was at each event;
-- a queue that drops counts what it lost, and one that waits loses
-- nothing; prevention still decides before the call goes on.
local core = require "lanner.core"
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

local C = core.C
local cpus = require "lanner.cli.cpus"
local LAG = trace.root .. "/spec/fixtures/chisels/lag.lua"

local dir
setup(function() dir = trace.mkdtemp() end)
teardown(function() trace.rmrf(dir) end)

-- lanner --stats with the lag chisel (waits for done at its first event,
-- then busy_us per event) on argv; the chisel's report and --stats'.
local function lagged(largs, busy_us, argv, done)
	os.remove(done)
	local a = { "--stats" }
	for _, x in ipairs(largs) do a[#a + 1] = x end
	for _, x in ipairs { "-c", LAG, done .. " " .. busy_us } do a[#a + 1] = x end
	local r = cmp.run((function()
		local v = { cmp.lanner_bin }
		for _, x in ipairs(a) do v[#v + 1] = x end
		v[#v + 1] = "--"
		for _, x in ipairs(argv) do v[#v + 1] = x end
		return v
	end)(), { timeout = 60 })
	r.seen = tonumber(r.stdout:match("seen (%d+)"))
	r.waited = r.stdout:match("program done while the chisel waited: (%a+)")
	r.reads = r.stdout:match("reads: ([^\n]*)") or ""
	r.events = tonumber(r.stderr:match("\nevents: (%d+)") or r.stderr:match("^events: (%d+)"))
	r.dropped = tonumber(r.stderr:match("dropped (%d+)"))
	r.qwaits = tonumber(r.stderr:match("waited for room (%d+) times"))
	return r
end

describe("the queue: stops do not wait for the rules' side", function()
	local done

	setup(function() done = dir .. "/done" end)

	it("the program runs to its end while a chisel is stuck on its first event", function()
		local r = lagged({ "--queue", "1M" }, 0, { trace.prog("burst"), "2", "200", done }, done)
		assert.equal(0, r.status, r.stderr)
		assert.equal("true", r.waited, r.stdout)
		-- nothing lost on the way: every event the tracer made reached it
		assert.equal(r.events, r.seen)
		assert.equal(0, r.dropped)
	end)

	it("--queue 0 (rules between stops): the program waits for the chisel (the control)", function()
		local r = lagged({ "--queue", "0" }, 0, { trace.prog("burst"), "2", "200", done }, done)
		assert.equal(0, r.status, r.stderr)
		assert.equal("false", r.waited, r.stdout)
		assert.matches("queue: none", r.stderr)
	end)

	it("a queue that drops: lost events are counted, and seen + dropped = made", function()
		local r = lagged({ "--queue", "64K", "--queue-full", "drop" }, 50,
			{ trace.prog("burst"), "2", "5000", done }, done)
		assert.equal(0, r.status, r.stderr)
		assert.equal("true", r.waited, r.stdout)
		assert.is_true(r.dropped > 0, r.stderr)
		assert.equal(r.events, r.seen + r.dropped)
		assert.is_true(r.events >= 10000)
	end)

	it("a queue that waits loses nothing: the tracer waited for room instead", function()
		local r = lagged({ "--queue", "64K" }, 50, { trace.prog("burst"), "2", "2000", done }, done)
		assert.equal(0, r.status, r.stderr)
		assert.equal(0, r.dropped)
		assert.equal(r.events, r.seen)
		assert.is_true(r.qwaits > 0, r.stderr)
	end)

	it("bad sizes and policies are refused with what is wrong", function()
		for _, bad in ipairs { { "--queue", "12" }, { "--queue", "lots" }, { "--queue-full", "maybe" } } do
			local r = cmp.run({ cmp.lanner_bin, bad[1], bad[2], "--", "true" })
			assert.equal(2, r.status)
			assert.matches(bad[1], r.stderr, 1, true)
		end
	end)
end)

describe("the queue: each event sees the state as it was", function()
	-- fd 0 is three files in turn; the chisel reads the events only
	-- after the program ended, every fd closed and its process gone
	it("an fd reused for three files names each at its reads, read after the program ended", function()
		local done = dir .. "/done2"
		local sh = "exec 3</etc/hostname; read x <&3; exec 3</etc/passwd; read x <&3; " ..
			"exec 3</etc/group; read x <&3; : > " .. done
		for _, q in ipairs { "1M", "0" } do
			local r = lagged({ "--queue", q }, 0, { "sh", "-c", sh }, done)
			assert.equal(0, r.status, r.stderr)
			local order = {}
			for name in r.reads:gmatch("%S+") do
				if order[#order] ~= name then order[#order + 1] = name end
			end
			assert.same({ "/etc/hostname", "/etc/passwd", "/etc/group" }, order, "--queue " .. q)
		end
	end)
end)

-- A program with a large environment (60 KB, kept to its first 8 KB) run
-- without and with the queue: the events of each, and the MB the queue
-- carried.
local function without_and_with_queue(fmt, argv)
	local function run(queue)
		local args = { "--stats", "--queue", queue }
		for _, a in ipairs(fmt) do args[#args + 1] = a end
		local full = { "env", "BIG=" .. string.rep("x", 60000) }
		for _, a in ipairs(argv) do full[#full + 1] = a end
		local r = cmp.lanner(args, full)
		assert.equal(0, r.status, r.stderr)
		return r
	end
	local direct, queued = run("0"), run("1M")
	assert.same(direct.events, queued.events)
	local sent = tonumber(queued.stderr:match("queue: %d+ KB, ([%d.]+) MB sent"))
	assert.is_truthy(sent, queued.stderr)
	return direct.events, sent, queued.stderr
end

describe("the queue: forks and chdirs", function()
	it("send a child as a copy of its creator and a chdir as its cwd: the events of --queue 0, a few bytes each", function()
		-- the shell changes directory and forks a subshell which opens a
		-- file without an exec: each chdir sent the whole record and each
		-- fork the record and every fd, 7.7 MB for these 300 rounds
		local events, sent, err = without_and_with_queue(
			{ "-p", "%proc.cwd %proc.name %proc.pname %fd.name",
				"evt.type=openat and fd.name=/etc/hostname and proc.env contains " .. string.rep("x", 40) },
			{ "sh", "-c", "for i in $(seq 300); do cd /tmp; ( : </etc/hostname ); cd /; done" })
		assert.equal(300, #events)
		assert.equal("/tmp/ sh sh /etc/hostname", events[1])
		assert.is_true(sent < 1.5, err)
	end)
end)

describe("the queue: a process's name for itself", function()
	it("a prctl(PR_SET_NAME) goes as the name alone: the events of --queue 0, a few bytes each", function()
		-- 300 renames: each sent the whole record before
		local events, sent, err = without_and_with_queue(
			{ "-p", "%evt.num %proc.name %proc.comm", "evt.type=close and evt.rawres < 0" },
			{ trace.prog("procstate"), "renames", "300" })
		assert.equal(5, #events)
		assert.truthy(events[5]:match(" procstate worker%-300$"), events[5])
		assert.is_true(sent < 0.5, err)
	end)
end)

describe("the queue: prevention", function()
	local function held_run(answer, lag)
		return require("spec.helpers.held").held_run(dir, answer, { queue = "1M", lag = lag })
	end

	it("a held thread waits for the verdict given on the other side; denied at entry, the file stays", function()
		local after = {}
		local seen, st, rc, exists = held_run(function(s, ev)
			local name = core.type_name[ev.type]
			assert(s:verdict(ev, name:match("^unlink") and "deny" or "allow"))
			-- the verdict's outcome is on the event, as without a queue
			if name:match("^unlink") then after[#after + 1] = tonumber(ev.flags) end
		end)
		assert.is_true(exists)
		assert.are.equal(0, rc)
		assert.is_true(#seen >= 2)
		assert.is_true(st.denied >= 1)
		assert.are.equal(0, st.no_verdict)
		assert.is_true(#after >= 1)
		for _, fl in ipairs(after) do
			assert.are.equal(0, bit.band(fl, tonumber(C.LN_EV_HELD)))
			assert.are_not.equal(0, bit.band(fl, tonumber(C.LN_EV_DENIED)))
		end
	end)

	it("a reader far behind still gives its verdicts: their time starts when it takes the event", function()
		local seen, st, rc, exists = held_run(function(s, ev)
			local name = core.type_name[ev.type]
			assert(s:verdict(ev, name:match("^unlink") and "deny" or "allow"))
		end, 3)	-- more than the 2 s a verdict may take
		assert.is_true(exists)
		assert.are.equal(0, rc)
		assert.is_true(#seen >= 2)
		assert.are.equal(0, st.no_verdict)
	end)

	it("no verdict: denied when ln_next comes again, and counted", function()
		local seen, st, rc, exists = held_run(function() end)
		assert.is_true(exists)
		assert.is_true(st.no_verdict >= 2, "held " .. #seen)
		assert.are.equal(st.no_verdict, st.denied)
		assert.are_not.equal(0, rc)
	end)

	it("the packaged prevention rules refuse the same calls with and without a queue", function()
		local out = {}
		for _, q in ipairs { "1M", "0" } do
			local r = cmp.lanner({ "--queue", q, "--enforce", "--stats", "-R", trace.root .. "/rules/prevent/" },
				{ trace.prog("prevent_attacks"), "module" })
			out[q] = { denied = tonumber(r.stderr:match("denied (%d+)")), status = r.status }
		end
		assert.is_true(out["1M"].denied > 0)
		assert.same(out["0"], out["1M"])
	end)
end)

describe("the queue's default: by the CPUs lanner can use", function()
	local function files(t) return function(path) return t[path] end end

	it("counts the affinity list, capped by a cgroup's CPU quota (v2, then v1)", function()
		local st = "Name:\tlanner\nCpus_allowed_list:\t0-3,8,10-11\n"
		assert.equal(7, cpus.usable(files { ["/proc/self/status"] = st }))
		assert.equal(2, cpus.usable(files { ["/proc/self/status"] = st, ["/sys/fs/cgroup/cpu.max"] = "150000 100000\n" }))
		assert.equal(7, cpus.usable(files { ["/proc/self/status"] = st, ["/sys/fs/cgroup/cpu.max"] = "max 100000\n" }))
		assert.equal(1, cpus.usable(files { ["/proc/self/status"] = st,
			["/sys/fs/cgroup/cpu/cpu.cfs_quota_us"] = "25000\n", ["/sys/fs/cgroup/cpu/cpu.cfs_period_us"] = "100000\n" }))
		assert.equal(7, cpus.usable(files { ["/proc/self/status"] = st,
			["/sys/fs/cgroup/cpu/cpu.cfs_quota_us"] = "-1\n", ["/sys/fs/cgroup/cpu/cpu.cfs_period_us"] = "100000\n" }))
		assert.equal(1, cpus.usable(files {}))
		-- a limit on a parent of lanner's cgroup (an ECS task around its
		-- container), v2 and v1
		assert.equal(1, cpus.usable(files { ["/proc/self/status"] = st, ["/proc/self/cgroup"] = "0::/ecs/task/ctr\n",
			["/sys/fs/cgroup/ecs/task/cpu.max"] = "100000 100000\n", ["/sys/fs/cgroup/ecs/task/ctr/cpu.max"] = "max 100000\n" }))
		assert.equal(2, cpus.usable(files { ["/proc/self/status"] = st, ["/proc/self/cgroup"] = "4:cpu,cpuacct:/docker/abc\n0::/\n",
			["/sys/fs/cgroup/cpu/docker/abc/cpu.cfs_quota_us"] = "200000\n",
			["/sys/fs/cgroup/cpu/docker/abc/cpu.cfs_period_us"] = "100000\n" }))
	end)

	it("on one CPU rules run between stops; --queue-full alone asks for a queue", function()
		local one = cmp.run({ "env", "-u", "LANNER_QUEUE", "taskset", "-c", "0", cmp.lanner_bin, "--stats", "-q", "--", "true" })
		assert.matches("queue: none", one.stderr)
		local drop = cmp.run({ "env", "-u", "LANNER_QUEUE", "taskset", "-c", "0", cmp.lanner_bin, "--stats", "-q",
			"--queue-full", "drop", "--", "true" })
		assert.matches("queue: %d+ KB", drop.stderr)
	end)
end)

describe("the queue: a session's life", function()
	local session = require "lanner.session"

	it("a queue that drops keeps giving time-outs while the program pauses, and its next events", function()
		local B = trace.prog("burst")
		local s = assert(session.new())
		s:trace({ close = "exit" })
		assert(s:set_queue("64K", "drop"))
		local pid = assert(s:spawn({ "sh", "-c", B .. " 2 20000; sleep 2; exec " .. B .. " 1 1" }))
		local first, timeouts, last_seen = true, 0, false
		while true do
			local ev = s:next(500)
			if ev == nil then break end
			if ev == false then
				timeouts = timeouts + 1
			else
				if first then os.execute("sleep 1"); first = false end
				local p = ev.thread ~= nil and ev.thread.proc or nil
				if p ~= nil and p.pid == pid and tonumber(ev.res) == -9 then last_seen = true end
			end
		end
		local st = s:stats()
		assert.is_true(st.dropped > 0, "dropped " .. st.dropped)
		assert.is_true(timeouts >= 1, "timeouts " .. timeouts)
		assert.is_true(last_seen, "the call after the pause")
	end)

	it("freed mid-run: its program is killed, other children of the host are left alone", function()
		local other = cmp.spawn({ "sh", "-c", "sleep 2; exit 7" })
		local s = assert(session.new())
		s:trace({ openat = "exit", close = "exit" })
		assert(s:set_queue("1M"))
		local pid = assert(s:spawn({ "sh", "-c", "cat /etc/hostname >/dev/null; sleep 30" }))
		for _ = 1, 3 do assert(s:next(5000) ~= nil) end
		s = nil
		collectgarbage()
		collectgarbage()
		local w = cmp.wait(other, 10)
		assert.is_table(w, "the host's own child was reaped by someone else")
		assert.equal(7, w.status)
		assert.is_nil(cmp.proc_status(pid), "the launched program outlived its session")
	end)

	it("a queue smaller than 64 KB is refused", function()
		local s = assert(session.new())
		local ok, err = s:set_queue("65535")
		assert.is_nil(ok)
		assert.matches("64K", err)
		assert.are_not.equal(0, C.ln_set_queue(s.s, 4096, 0))
	end)
end)
