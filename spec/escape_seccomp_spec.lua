-- Escapes through a seccomp filter of the program's own (issue #17):
--  - spec/progs/esc_listener: one thread installs a filter with a listener
--    (SECCOMP_FILTER_FLAG_NEW_LISTENER) that sends its openat calls there,
--    the other answers with FLAG_CONTINUE, and the first opens /etc/shadow
--    five times through a symlink.  USER_NOTIF outranks lanner's TRACE:
--    allowed, the opens run unseen.  lanner refuses the install (EPERM),
--    reports it, and sees every open; --allow-seccomp-listener lets it in.
--    Attached (syscall mode) after the filter went in, lanner's entry stop
--    comes before any filter: the opens are seen.
--  - spec/progs/esc_forge: a filter that returns SECCOMP_RET_TRACE with
--    lanner's own RET_DATA tag and mode bits of its choosing for openat.
--    The newest filter wins among equal actions, so the stop carries the
--    forged mode; lanner must still give openat the stop it asked for.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

teardown(cmp.cleanup)

local SHADOW = "/etc/shadow"
local FMT = "*%thread.tid %evt.type %evt.res %fd.name %seccomp.listener %seccomp.notify"
local FILTER = "evt.type = seccomp or (evt.type = openat and evt.arg.name contains esc_listener)"

local function listener(largs, extra)
	local dir = cmp.scratch()
	local argv = { trace.prog("esc_listener"), SHADOW, dir }
	for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
	if largs == nil then return cmp.run(argv) end
	return cmp.lanner(largs, argv, { timeout = 30 })
end

local function lines_with(r, pat)
	return cmp.count(r.events, function(l) return l:find(pat) ~= nil end)
end

describe("escape: the program's own seccomp listener", function()
	local untraced, def, allowed, alerts

	setup(function()
		untraced = listener(nil)
		def = listener { "-p", FMT, FILTER }
		allowed = listener { "--allow-seccomp-listener", "-p", FMT, FILTER }
		alerts = listener { "-j", "-R", cmp.root .. "/rules" }
	end)

	it("untraced: the filter goes in and the listener answers the five opens", function()
		assert.equal(0, untraced.status)
		assert.equal("install: ok\nopens: 5 of 5\nnotified: 5\n", untraced.stdout)
	end)

	it("traced: the install is refused with EPERM, the program runs on and opens all five", function()
		assert.equal(0, def.status)
		assert.equal("install: EPERM\nopens: 5 of 5\nnotified: 0\n", def.stdout)
	end)

	it("traced: the refused install is a seccomp event (EPERM, listener, the openat it would hide)", function()
		assert.equal(1, lines_with(def, " seccomp EPERM <NA> true %(openat%)$"), table.concat(def.events, "\n"))
	end)

	it("traced: every open is an event, with the kernel's name of what it opened", function()
		assert.equal(5, lines_with(def, " openat SUCCESS /etc/shadow "), table.concat(def.events, "\n"))
	end)

	it("the packaged rules alert on the install", function()
		local n = lines_with(alerts, '"rule":"Seccomp listener filter installed"')
		assert.equal(1, n, table.concat(alerts.events, "\n"))
		assert.truthy(alerts.events[1]:find('"evt.res":"EPERM"', 1, true))
	end)

	-- documented: what --allow-seccomp-listener lets through
	it("--allow-seccomp-listener: the install succeeds and its opens are not seen", function()
		assert.equal(untraced.stdout, allowed.stdout)
		assert.equal(1, lines_with(allowed, " seccomp "))
		assert.equal(0, lines_with(allowed, " openat "), table.concat(allowed.events, "\n"))
	end)

	it("-o allow_seccomp_listener=true does the same as the option", function()
		local r = listener { "-o", "allow_seccomp_listener=true", "-p", FMT, FILTER }
		assert.equal(untraced.stdout, r.stdout)
	end)
end)

describe("escape: a listener installed before lanner attached", function()
	it("attached in syscall mode, lanner sees the opens the listener lets through", function()
		local dir = cmp.scratch()
		local go, out = dir .. "/go", dir .. "/out"
		local pid = cmp.spawn({ trace.prog("esc_listener"), SHADOW, dir, go }, { stdout = out, pgrp = true })
		assert.truthy(cmp.wait_until(function() return (trace.read_file(out) or ""):find("install: ok") end, 10))
		local evfile = dir .. "/events"
		local lp = cmp.spawn({ cmp.lanner_bin, "-q", "--output-file", evfile, "--pid", tostring(pid),
			"-p", FMT, FILTER }, { stdout = dir .. "/lanner.out", stderr = dir .. "/lanner.err" })
		local attached = cmp.wait_until(function()
			local n = 0
			for tid in pairs(cmp.thread_states(pid)) do
				local st = cmp.proc_status(tid)
				if not st or st.tracer ~= lp then return false end
				n = n + 1
			end
			return n == 2
		end, 10)
		assert.truthy(attached, "lanner did not attach to both threads")
		cmp.sleep(0.3)	-- TracerPid shows at the seize; the syscall stops start at the first stop
		trace.sh("touch " .. go)
		local st = cmp.wait(pid, 30)
		assert.is_not_nil(st)
		assert.equal("install: ok\nopens: 5 of 5\nnotified: 5\n", trace.read_file(out))
		assert.is_not_nil(cmp.wait(lp, 30))
		local r = { events = cmp.lines(trace.read_file(evfile)) }
		assert.equal(5, lines_with(r, " openat SUCCESS /etc/shadow "), table.concat(r.events, "\n"))
	end)
end)

describe("escape: a program filter forging lanner's RET_DATA tag", function()
	-- 0x4c03: lanner's tag with the clone3 guard's mode (no event, a check
	-- at the exit); 0x4c01: entry only (no result, no fd name); 0x4c00: a
	-- mode lanner never uses
	for _, data in ipairs { "4c03", "4c01", "4c00" } do
		it("data 0x" .. data .. ": the openat is still an event with its result and the fd's name", function()
			local r = cmp.lanner({ "-p", "*%evt.type %evt.res %fd.name", "evt.type = openat and evt.arg.name = /etc/hostname" },
				{ trace.prog("esc_forge"), data, "/etc/hostname" }, { timeout = 30 })
			assert.equal("install: ok\nopen: ok\n", r.stdout)
			assert.same({ "openat SUCCESS /etc/hostname" }, r.events)
		end)
	end

	it("untraced, the forged TRACE has no tracer: ENOSYS", function()
		local r = cmp.run { trace.prog("esc_forge"), "4c03", "/etc/hostname" }
		assert.equal("install: ok\nopen: ENOSYS\n", r.stdout)
	end)
end)

describe("seccomp.* fields: a filter's verdicts over lanner's event table", function()
	local function fields(cmd)
		local r = cmp.lanner({ "-p", "*%evt.type %seccomp.insns %seccomp.hidden %seccomp.errno %seccomp.by_arg",
			"evt.type in (seccomp, prctl) and seccomp.insns exists" },
			{ "python3", cmp.root .. "/spec/rules/escapes.py", cmd }, { timeout = 30 })
		assert.equal("install: ok\n", r.stdout)
		return r.events
	end

	it("seccomp(2): ptrace failed whatever its arguments", function()
		assert.same({ "seccomp 7 (ptrace) (ptrace) <NA>" }, fields("errno-filter"))
	end)

	it("prctl(PR_SET_SECCOMP): ptrace failed for PTRACE_ATTACH only, so by its argument", function()
		assert.same({ "prctl 9 (ptrace) (ptrace) (ptrace)" }, fields("prctl-filter"))
	end)

	it("a filter that allows everything hides nothing", function()
		assert.same({ "seccomp 7 <NA> <NA> <NA>" }, fields("allow-filter"))
	end)
end)
