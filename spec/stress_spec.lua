-- lanner under load: thousands of short-lived processes and threads with
-- bounded state (memory, fds), and hundreds of processes and threads with
-- signals flying (spec/progs/inv_stress) with no event lost, no process
-- left stopped, the exit status preserved and no zombie behind.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

-- the scratch files of cmp.run and cmp.lanner go when the file is done
teardown(cmp.cleanup)

local MARK = "%evt.type %evt.rawarg.fd"

local function stats_of(stderr)
	return {
		processes = tonumber(stderr:match("\nprocesses: (%d+)")),
		threads = tonumber(stderr:match("\nthreads: (%d+)")),
		rss_kb = tonumber(stderr:match("\npeak rss: (%d+) kB")),
		events = tonumber(stderr:match("^events: (%d+)") or stderr:match("\nevents: (%d+)")),
	}
end

local function close_markers(events)
	return cmp.count(events, function(l) return l == "close -1" end)
end

describe("stress: 1,000 short-lived processes and 1,000 threads (spec/progs/inv_many)", function()
	local r, st, fds, lp

	setup(function()
		r = cmp.lanner({ "--stats", "-p", MARK, "evt.type in (close, connect)" },
			{ trace.prog("inv_many"), "1000", "1000" }, { timeout = 50 })
		st = stats_of(r.stderr)
		-- a longer run, watching lanner's fds while it goes
		local evfile = cmp.tmpname("events")
		lp = cmp.spawn(cmp.lanner_argv({ "-p", "%evt.type %fd.name", "evt.type in (close, connect)" },
			{ trace.prog("inv_many"), "3000", "1500" }, evfile))
		fds = {}
		while not cmp.wait(lp, 0) do
			local list = trace.sh("ls /proc/" .. lp .. "/fd 2>/dev/null")
			local n = 0
			for _ in list:gmatch("%d+") do n = n + 1 end
			if n > 0 then fds[#fds + 1] = n end
			cmp.sleep(0.1)
			if #fds > 600 then
				cmp.kill_wait(lp)
				break
			end
		end
	end)
	teardown(cmp.cleanup)

	it("the program runs as without lanner: exit 0, every child exited 0", function()
		assert.is_false(r.timed_out)
		assert.equal(0, r.status)
		assert.equal("processes 1000 threads 1000 failed 0\n", r.stdout)
	end)

	it("no event lost: 2,000 close(-1), 1,000 connect", function()
		assert.equal(2000, close_markers(r.events))
		assert.equal(1000, cmp.count(r.events, function(l) return l == "connect" or l:match("^connect ") end))
	end)

	it("--stats counts 1,001 processes and 2,001 threads", function()
		assert.equal(1001, st.processes)
		assert.equal(2001, st.threads)
	end)

	it("lanner's peak RSS stays under 40 MB", function()
		assert.is_number(st.rss_kb)
		assert.is_true(st.rss_kb < 40 * 1024, st.rss_kb .. " kB")
	end)

	it("lanner's fd count does not grow over 4,500 processes and threads", function()
		assert.is_true(#fds >= 5, "too few samples: " .. #fds)
		local early, late = 0, 0
		local half = math.floor(#fds / 2)
		for i = 1, half do early = math.max(early, fds[i]) end
		for i = half + 1, #fds do late = math.max(late, fds[i]) end
		-- A process lanner reads sockets of holds a pidfd while it lives:
		-- how many are alive at a sample depends on scheduling (a loaded
		-- machine had 17 late against 8 early), so the bound is absolute.
		-- A leak would be one per process or thread: thousands here.
		assert.is_true(early < 32, "early max " .. early)
		assert.is_true(late < 32, "late max " .. late)
	end)

	it("leaves no zombie and nothing traced", function()
		assert.same({}, cmp.zombie_children())
		assert.same({}, trace.leftovers())
	end)
end)

describe("stress: 200 workers x 6 threads, signals flying (spec/progs/inv_stress)", function()
	local N, T, K = 200, 5, 20
	local expected = N * (T + 1) * K
	local argv = { trace.prog("inv_stress"), tostring(N), tostring(T), tostring(K), "3" }
	local base, runs

	setup(function()
		base = cmp.run(argv, { timeout = 30 })
		runs = {}
		runs[1] = cmp.lanner({ "--stats", "-p", MARK, "evt.type=close" }, argv, { timeout = 40 })
		runs[2] = cmp.lanner({ "--stats", "-p", MARK, "evt.type in (close, tgkill, kill, clone, clone3, wait4)" },
			argv, { timeout = 40 })
		runs[3] = cmp.lanner({ "--stats", "-p", MARK }, argv, { timeout = 40 })
	end)
	teardown(cmp.cleanup)

	it("untraced: every worker ended as planned, exit 3", function()
		assert.equal(3, base.status)
		assert.equal(string.format("markers %d expected %d bad statuses 0\n", expected, expected), base.stdout)
	end)

	for i, what in ipairs { "close only", "close and the signal syscalls", "every syscall" } do
		it("traced (" .. what .. "): same exit status and output, no timeout", function()
			local r = runs[i]
			assert.is_false(r.timed_out, "timed out: something was left stopped")
			assert.equal(base.status, r.status)
			assert.equal(base.stdout, r.stdout)
		end)

		it("traced (" .. what .. "): every marker reported, as many as the program counted", function()
			local r = runs[i]
			assert.equal(expected, close_markers(r.events))
			local st = stats_of(r.stderr)
				assert.equal(N + 1, st.processes)
			assert.equal(N * (T + 1) + 1, st.threads)
		end)
	end

	it("leaves no zombie and nothing traced or stopped", function()
		assert.same({}, cmp.zombie_children())
		assert.same({}, trace.leftovers())
	end)
end)
