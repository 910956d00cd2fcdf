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
		-- kill, tgkill, dup, setuid, setgid, lseek, getppid: calls that never
		-- wait; ftruncate, fcntl, shutdown, unshare and setns may, and stop
		assert.equal(7, notifications(a.stderr), a.stderr)
		assert.truthy(a.stderr:match("entry 5,"), a.stderr)
		assert.equal(0, notifications(p.stderr), p.stderr)
		assert.truthy(stat(a.stderr, "notification engine: on %(seccomp user notification, synchronous wake%-up%)"), a.stderr)
		assert.truthy(stat(p.stderr, "notification engine: off %(%-%-engine ptrace%)"), p.stderr)
		assert.truthy(a.events[1]:match("^notify_calls kill pid=%-999999 sig=0"), a.events[1])
	end)

	it("keeps each thread's events in call order across both engines (threads and a fork)", function()
		local r = cmp.lanner({ "--stats", "-p", "%thread.tid %evt.type %evt.args", "evt.type in (openat, lseek)" },
			{ trace.prog("notify_calls"), "order", "4", "300" })
		assert.equal(0, r.status, r.stderr)
		assert.equal(1500, notifications(r.stderr), r.stderr)
		local seq = {}
		for _, l in ipairs(r.events) do
			local tid, ty, rest = l:match("^(%d+) (%S+) (.*)$")
			local i = ty == "openat" and rest:match("lanner%-notify/(%d+)") or ty == "lseek" and rest:match("offset=(%d+)")
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
				local want = (k % 2 == 1 and "o" or "l") .. math.floor((k - 1) / 2)
				assert.equal(want, v, "thread " .. tid .. ", event " .. k)
			end
		end
		assert.equal(5, threads)
	end)

	-- A signal that comes before lanner has received the notification takes
	-- the call back with -ERESTARTSYS: without the fix-up at the signal's
	-- delivery stop, thousands of these kill()s failed with EINTR.
	it("lets no call fail with EINTR when a signal comes while it waits for lanner", function()
		-- 30,000 calls: each alarm is a signal stop too, and with 100,000
		-- the run could pass a minute on a loaded machine (the unkept build
		-- failed 18% of them with EINTR: thousands here)
		local r = cmp.lanner({ "--stats", "-p", "%evt.type", "evt.type=kill" },
			{ trace.prog("notify_calls"), "signals", "30000" }, { timeout = 240 })
		assert.equal(0, r.status, r.stderr)
		local calls, eintr, other, alarms = r.stdout:match("calls (%d+) eintr (%d+) other (%d+) alarms (%d+)")
		assert.equal("30000", calls, r.stdout)
		assert.equal("0", eintr, r.stdout)
		assert.equal("0", other, r.stdout)
		assert.is_true(tonumber(alarms) > 100, r.stdout)	-- the timer did fire meanwhile
		assert.equal(30000, #r.events)	-- one event per call: none twice
		assert.equal(30000, notifications(r.stderr), r.stderr)
	end)

	-- A call lanner has answered and that then blocks (a lock) must fail
	-- with EINTR when a handler without SA_RESTART interrupts it, as
	-- untraced: only calls that never wait go to the listener.
	it("leaves an alarm() able to cut a blocking call short (fcntl F_SETLKW)", function()
		local base = cmp.run({ trace.prog("notify_calls"), "lockwait" }, { timeout = 20 })
		assert.equal("setlkw -1 Interrupted system call\n", base.stdout)
		local r = cmp.lanner({ "--stats", "-p", "%evt.type %evt.arg.cmd", "evt.type in (fcntl, kill)" },
			{ trace.prog("notify_calls"), "lockwait" }, { timeout = 20 })
		assert.equal(base.stdout, r.stdout, r.stderr)
		assert.equal(1, cmp.count(r.events, function(l) return l:match("^fcntl F_SETLKW") end))
		assert.equal(1, notifications(r.stderr), r.stderr)	-- the kill(kid, SIGKILL)
	end)

	-- int 0x80 from 64-bit code runs with the native cs: the restart
	-- fix-up must not take i386's wait4 (114) for x86_64's setregid.
	it("leaves an i386 call made from 64-bit code to EINTR as untraced", function()
		local base = cmp.run({ trace.prog("notify_calls"), "int80" }, { timeout = 20 })
		if base.stdout ~= "int80 wait4 -4\n" then
			pending("this kernel runs no int 0x80 from 64-bit code: " .. base.stdout)
			return
		end
		local r = cmp.lanner({ "--stats", "-p", "%evt.type", "evt.type=setregid" },
			{ trace.prog("notify_calls"), "int80" }, { timeout = 20 })
		assert.equal(base.stdout, r.stdout, r.stderr)
		assert.truthy(stat(r.stderr, "notification engine: on"), r.stderr)
	end)

	it("serves only a session's first launch; a second one stops by ptrace and both run", function()
		local script = cmp.tmpname("two") .. ".lua"
		local f = assert(io.open(script, "w"))
		f:write(([[
package.path = "lua/?.lua;build/lua/?.lua;" .. package.path
local session = require "lanner.session"
local s = session.new()
s:trace({ kill = "entry", dup = "entry" })
assert(s:spawn({ %q, "calls" }))
assert(s:spawn({ %q, "calls" }))
local n = 0
while true do
	local ev = s:next(10000)
	if ev == nil then break end
	assert(ev ~= false, "timed out after " .. n .. " events")
	n = n + 1
end
local st = s:stats()
print("events " .. n .. " notifications " .. st.stops_notif)
]]):format(trace.prog("notify_calls"), trace.prog("notify_calls")))
		f:close()
		local r = cmp.run({ "luajit", script }, { timeout = 30 })
		assert.equal(0, r.status, r.stdout .. r.stderr)
		-- the first program's kill and dup by notification, the second's by ptrace
		assert.equal("events 4 notifications 2\n", r.stdout:match("events.*$"), r.stdout .. r.stderr)
	end)

	it("runs by ptrace, and says why, when lanner has no fd left for the hand-off", function()
		local r = cmp.run({ "prlimit", "--nofile=8", cmp.lanner_bin, "-q", "--stats", "-p", "%evt.type", FILTER,
			"--", trace.prog("notify_calls"), "calls" }, { timeout = 20 })
		assert.equal(3, r.status, r.stderr)
		assert.truthy(stat(r.stderr, "notification engine: off %(no fd left"), r.stderr)
		assert.truthy(r.stderr:match("entry 12,"), r.stderr)
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
		assert.equal(6, notifications(r.stderr), r.stderr)	-- the seven that never wait, but kill
		assert.truthy(r.stderr:match("entry 6,"), r.stderr)
	end)
end)
