-- The core on how programs end and on signals: lanner's exit status is the
-- program's as a shell reports it (128+N for signal N), signals reach the
-- tracee unchanged (handlers, SIGCHLD, stop/continue), and nothing is left
-- traced or stopped afterwards.
local trace = require "spec.helpers.trace"

describe("core: exit status", function()
	local cases = {
		-- argv, status, killed by signal
		{ { "sh", "-c", "exit 0" }, 0, 0 },
		{ { "sh", "-c", "exit 3" }, 3, 0 },
		{ { "sh", "-c", "exit 255" }, 255, 0 },
		{ { "sh", "-c", "kill -TERM $$" }, 128 + 15, 15 },
		{ { "sh", "-c", "kill -KILL $$" }, 128 + 9, 9 },
		{ { "sh", "-c", "kill -USR2 $$" }, 128 + 12, 12 },
		{ { "false" }, 1, 0 },
	}
	for _, c in ipairs(cases) do
		it(string.format("%s -> %d", table.concat(c[1], " "), c[2]), function()
			local r = trace.run(c[1], { types = { exit_group = true } })
			assert.equal(c[2], r.status)
			local pe = trace.select(r.events, "procexit")
			assert.equal(1, #pe)
			assert.equal(c[2], pe[1].raw.ret)
			assert.equal(c[3], pe[1].raw.sig)
		end)
	end

	it("a program killed by SIGSEGV (spec/progs/crash_segv) -> 139, procexit sig 11, no core", function()
		local r = trace.run({ trace.prog("crash_segv") }, { types = { close = true } })
		assert.equal(139, r.status)
		local marker = trace.find(r.events, function(e) return e.type == "close" and e.raw.fd == -5 end)
		assert.is_table(marker)
		local pe = r.events[#r.events]
		assert.equal("procexit", pe.type)
		assert.same({ 139, 11, 0 }, { pe.raw.ret, pe.raw.sig, pe.raw.core })
		assert.equal("11(SIGSEGV)", pe.params.sig)
	end)

	it("a program not found in PATH is an error from spawn, not a status", function()
		local ok, err = pcall(trace.run, { "lanner-no-such-program" })
		assert.is_false(ok)
		assert.truthy(tostring(err):find("lanner%-no%-such%-program"))
	end)

	it("a path that cannot be executed exits 127 as a shell does, after a failed execve", function()
		local r = trace.run({ "/nonexistent/lanner-no-such-program" }, { types = { execve = true } })
		assert.equal(127, r.status)
		local e = r.events[1]
		assert.equal("execve", e.type)
		assert.equal(-2, e.res)
		assert.equal("/nonexistent/lanner-no-such-program", e.raw.filename)
	end)

	it("the exit status is -1 while the program runs (read from an event)", function()
		local seen
		trace.run({ "sh", "-c", "exit 4" }, {
			types = { exit_group = true },
			on_event = function(ev, sess)
				if seen == nil then seen = sess:exit_status() end
			end,
		})
		assert.equal(-1, seen)
	end)
end)

describe("core: signals (spec/progs/signals)", function()
	local r

	setup(function()
		r = trace.run({ trace.prog("signals") },
			{ types = { kill = true, tgkill = true, clone = true, exit_group = true }, timeout = 30 })
	end)

	it("exits 0: both handlers ran, SIGCHLD came, the stopped child was seen and continued", function()
		assert.is_false(r.timed_out)
		assert.equal(0, r.status)
	end)

	it("shows kill(self, SIGUSR1) and tgkill(self, self, SIGUSR2) with their arguments", function()
		local k = trace.find(r.events, "kill")
		assert.same({ r.pid, 10, 0 }, { k.raw.pid, k.raw.sig, k.res })
		local t = trace.find(r.events, "tgkill")
		assert.same({ r.pid, r.pid, 12, 0 }, { t.raw.pid, t.raw.tid, t.raw.sig, t.res })
		assert.equal("10(SIGUSR1)", k.params.sig)
		assert.equal("12(SIGUSR2)", t.params.sig)
	end)

	it("the stopping child's raise(SIGSTOP) and the parent's kill(SIGCONT) are seen", function()
		local stop = trace.find(r.events, function(e) return e.type == "tgkill" and e.raw.sig == 19 end)
		assert.is_table(stop)
		assert.is_true(stop.pid ~= r.pid)
		local cont = trace.find(r.events, function(e) return e.type == "kill" and e.raw.sig == 18 end)
		assert.equal(stop.pid, cont.raw.pid)
		assert.equal(r.pid, cont.tid)
	end)

	it("the children exit 5 and 6", function()
		local codes = {}
		for _, e in ipairs(trace.select(r.events, "procexit")) do
			if e.pid ~= r.pid then codes[#codes + 1] = e.raw.ret end
		end
		assert.same({ 5, 6 }, codes)
	end)

	it("leaves nothing traced, stopped or zombie", function()
		assert.same({}, trace.leftovers())
		assert.same({}, r.procs_left)
	end)
end)

describe("core: ln_next's timeout", function()
	local session = require "lanner.session"

	-- ln_next arms ITIMER_REAL for its timeout and must disarm it on every
	-- return, LN_NEXT_DONE included: a timer left armed sends SIGALRM up to
	-- timeout_ms later, in the caller (EINTR in its blocking calls, e.g.
	-- io.popen's read) or in a later ln_next(-1), which returns TIMEOUT.
	it("leaves no timer armed once it returned an event or DONE", function()
		local sess = session.new()
		sess:trace { exit_group = "entry" }
		assert.is_number(sess:spawn { "true" })
		local ev = sess:next(5000)
		assert.is_truthy(ev)
		local after_event = trace.get_alarm()
		while sess:next(5000) do end
		local after_done = trace.get_alarm()
		trace.disarm_alarm()
		assert.same({ 0, 0, 0, 0 }, after_event)
		assert.same({ 0, 0, 0, 0 }, after_done)
	end)

	it("returns false (timeout) after about the timeout while the tracee sleeps, then the events", function()
		local sess = session.new()
		sess:trace { exit_group = "entry" }
		assert.is_number(sess:spawn { "sleep", "0.6" })
		local w0 = trace.now()
		local first = sess:next(200)
		local waited = trace.now() - w0
		trace.disarm_alarm()
		assert.is_false(first)
		assert.is_true(waited >= 0.15 and waited < 0.55, "waited " .. waited)
		local ev = sess:next(5000)
		assert.is_truthy(ev)
		assert.equal("exit_group", require("lanner.core").type_name[ev.type])
		while sess:next(5000) do end
		trace.disarm_alarm()
		assert.equal(0, sess:exit_status())
	end)
end)

-- A session puts its signal handlers in when it starts a program and
-- takes them out when freed: back to what was there, unless the host set
-- a disposition of its own meanwhile (lanner's main ignores late signals
-- before it frees, so that a Ctrl-C while it leaves cannot make its
-- status 130): that one stays.
describe("core: the signal handlers a freed session leaves", function()
	local session = require "lanner.session"
	local ffi = require "ffi"
	pcall(ffi.cdef, [[
	struct spec_sigaction { void *handler; unsigned long mask[16]; int flags; void *restorer; };
	int sigaction(int sig, const struct spec_sigaction *act, struct spec_sigaction *old);
	]])
	local SIGINT = 2

	local function handler()
		local sa = ffi.new("struct spec_sigaction")
		assert(ffi.C.sigaction(SIGINT, nil, sa) == 0)
		return tonumber(ffi.cast("uintptr_t", sa.handler))
	end

	local function set(h)
		local sa = ffi.new("struct spec_sigaction")
		sa.handler = ffi.cast("void *", h)
		assert(ffi.C.sigaction(SIGINT, sa, nil) == 0)
	end

	local function run_session(between)
		local sess = session.new()
		sess:trace { exit_group = "entry" }
		assert.is_number(sess:spawn { "true" })
		local during = handler()
		if between then between() end
		while sess:next(5000) do end
		trace.disarm_alarm()
		session.free_all()
		return during
	end

	-- sessions of the specs above, not collected yet, share the handlers.
	-- free_all reaches only those still in its weak table: one the
	-- collector has taken out of it but not finalized yet would keep its
	-- handlers in (seen once in CI), so a full collection first runs the
	-- finalizers of every session nothing holds.
	before_each(function()
		collectgarbage("collect")
		collectgarbage("collect")
		session.free_all()
	end)

	it("puts back the handler that was there", function()
		local before = handler()
		local during = run_session()
		assert.are_not.equal(before, during)	-- lanner's own while it ran
		assert.equal(before, handler())
	end)

	it("leaves a disposition the host set meanwhile (SIG_IGN)", function()
		local before = handler()
		run_session(function() set(1) end)	-- SIG_IGN
		local after = handler()
		set(before)
		assert.equal(1, after)
	end)
end)
