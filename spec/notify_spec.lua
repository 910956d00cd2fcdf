-- The user-notification engine (src/trace/notify.c): entry-only events
-- whose arguments are all registers reach lanner as seccomp user
-- notifications, not ptrace stops.  What users must not see is any
-- difference: the same events with the same fields as under
-- `--engine ptrace`, each thread's events in the order it made its calls
-- whichever engine served them, no call failing where it would not
-- untraced, and a clear word in --stats when the engine is off.
-- --stats' notification count is what makes each case fail without the
-- engine.  spec/progs/notify_calls makes the calls.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

local FILTER = "evt.type in (kill, tgkill, ftruncate, dup, setuid, setgid, fcntl, lseek, shutdown, unshare, setns, getppid)"

local function stat(stderr, what)
	return stderr:match(what)
end

local function notifications(stderr)
	return tonumber(stderr:match("notifications (%d+)%)")) or -1
end

describe("the user-notification engine (--engine auto)", function()
	teardown(cmp.cleanup)

	it("gives the same events, fields and exit status as ptrace stops, and the program no extra fd", function()
		local runs = {}
		for _, engine in ipairs { "auto", "ptrace" } do
			local r = cmp.lanner({ "--stats", "--engine", engine, "-p", "%proc.name %evt.type %evt.args", FILTER },
				{ trace.prog("notify_calls"), "calls" })
			assert.equal(3, r.status, r.stderr)
			runs[engine] = r
		end
		local a, p = runs.auto, runs.ptrace
		assert.equal(12, #a.events, table.concat(a.events, "\n"))
		assert.same(p.events, a.events)
		assert.equal(p.stdout, a.stdout)	-- "fds N": the listener is not the program's
		assert.equal(12, notifications(a.stderr), a.stderr)
		assert.equal(0, notifications(p.stderr), p.stderr)
		assert.truthy(stat(a.stderr, "notification engine: on %(seccomp user notification, synchronous wake%-up%)"), a.stderr)
		assert.truthy(stat(p.stderr, "notification engine: off %(%-%-engine ptrace%)"), p.stderr)
		assert.truthy(a.events[1]:match("^notify_calls kill pid=%-999999 sig=0"), a.events[1])
	end)

	it("keeps each thread's events in call order across both engines (threads and a fork)", function()
		local r = cmp.lanner({ "--stats", "-p", "%thread.tid %evt.type %evt.args", "evt.type in (openat, ftruncate)" },
			{ trace.prog("notify_calls"), "order", "4", "300" })
		assert.equal(0, r.status, r.stderr)
		assert.equal(1500, notifications(r.stderr), r.stderr)
		local seq = {}
		for _, l in ipairs(r.events) do
			local tid, ty, rest = l:match("^(%d+) (%S+) (.*)$")
			local i = ty == "openat" and rest:match("lanner%-notify/(%d+)") or ty == "ftruncate" and rest:match("length=(%d+)")
			if i then
				seq[tid] = seq[tid] or {}
				table.insert(seq[tid], ty:sub(1, 1) .. i)
			end
		end
		local threads = 0
		for tid, s in pairs(seq) do
			threads = threads + 1
			assert.equal(600, #s, "thread " .. tid)
			for k, v in ipairs(s) do
				local want = (k % 2 == 1 and "o" or "f") .. math.floor((k - 1) / 2)
				assert.equal(want, v, "thread " .. tid .. ", event " .. k)
			end
		end
		assert.equal(5, threads)
	end)

	-- A signal that comes before lanner has received the notification takes
	-- the call back with -ERESTARTSYS: without the fix-up at the signal's
	-- delivery stop, thousands of these kill()s failed with EINTR.
	it("lets no call fail with EINTR when a signal comes while it waits for lanner", function()
		local r = cmp.lanner({ "--stats", "-p", "%evt.type", "evt.type=kill" },
			{ trace.prog("notify_calls"), "signals", "100000" })
		assert.equal(0, r.status, r.stderr)
		local calls, eintr, other, alarms = r.stdout:match("calls (%d+) eintr (%d+) other (%d+) alarms (%d+)")
		assert.equal("100000", calls, r.stdout)
		assert.equal("0", eintr, r.stdout)
		assert.equal("0", other, r.stdout)
		assert.is_true(tonumber(alarms) > 100, r.stdout)	-- the timer did fire meanwhile
		assert.equal(100000, #r.events)	-- one event per call: none twice
		assert.equal(100000, notifications(r.stderr), r.stderr)
	end)

	it("stays off, and says why, under a filter whose listener another process holds", function()
		local r = cmp.run({ trace.prog("notify_calls"), "listener",
			table.unpack(cmp.lanner_argv({ "--stats", "-p", "%proc.name %evt.type %evt.args", FILTER },
				{ trace.prog("notify_calls"), "calls" }, cmp.tmpname("events"))) })
		assert.equal(3, r.status, r.stderr)
		assert.truthy(stat(r.stderr, "notification engine: off %(a filter lanner runs under has a listener%)"), r.stderr)
		assert.equal(0, notifications(r.stderr), r.stderr)
		assert.truthy(r.stderr:match("entry 12,"), r.stderr)	-- the events came by ptrace
	end)

	it("stays off with --allow-seccomp-listener (the program may need the one listener)", function()
		local r = cmp.lanner({ "--stats", "--allow-seccomp-listener", "-p", "%evt.type", FILTER },
			{ trace.prog("notify_calls"), "calls" })
		assert.equal(3, r.status, r.stderr)
		assert.equal(12, #r.events)
		assert.equal(0, notifications(r.stderr), r.stderr)
		assert.truthy(stat(r.stderr, "off %(%-%-allow%-seccomp%-listener"), r.stderr)
	end)

	it("leaves calls whose event needs the result on ptrace", function()
		local r = cmp.lanner({ "--stats", "-p", "%evt.type %evt.res", FILTER }, { trace.prog("notify_calls"), "calls" })
		assert.equal(3, r.status, r.stderr)
		assert.equal(12, #r.events)
		assert.truthy(r.events[1]:match("^kill ESRCH"), r.events[1])
		assert.equal(0, notifications(r.stderr), r.stderr)
		assert.truthy(stat(r.stderr, "off %(no traced call fits"), r.stderr)
	end)

	it("leaves a call a prevention rule may refuse on ptrace", function()
		local rules = cmp.tmpname("rules") .. ".yaml"
		local f = assert(io.open(rules, "w"))
		f:write([[
- rule: no signals to init
  desc: test
  condition: evt.type=kill and evt.arg.pid=1
  output: "kill of init by %proc.name"
  priority: WARNING
  tags: [lanner.deny]
]])
		f:close()
		local r = cmp.lanner({ "--stats", "--enforce", "-R", rules, "-p", "%evt.type", FILTER },
			{ trace.prog("notify_calls"), "calls" })
		assert.equal(3, r.status, r.stderr)
		assert.equal(11, notifications(r.stderr), r.stderr)	-- all but kill
		assert.truthy(r.stderr:match("entry 1,"), r.stderr)
	end)
end)
