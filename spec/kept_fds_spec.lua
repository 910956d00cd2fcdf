-- lanner keeps an fd open per process (a pidfd, for the sockets it names)
-- and per thread (its /proc stat, for evt.cpu) between events; with
-- thousands of them alive it must not run out of fds for its own work.
-- Kept fds stay below half of lanner's RLIMIT_NOFILE (ln_keep_fd_below);
-- past that an fd is opened for the one look and closed.  Here lanner
-- runs under `ulimit -n 128` and spec/progs/manypeers keeps 300 tasks
-- alive, each with one traced call.  Before, past the limit, connects
-- were named "other" and events with evt.cpu were lost.
local cmp = require "spec.helpers.compare"
local trace = require "spec.helpers.trace"

local function under_limit(largs, argv)
	local evfile = cmp.tmpname("events")
	local q = {}
	for _, a in ipairs(cmp.lanner_argv(largs, argv, evfile)) do q[#q + 1] = trace.shell_quote(a) end
	local r = cmp.run({ "sh", "-c", "ulimit -n 128 && exec " .. table.concat(q, " ") })
	r.events = {}
	for l in (trace.read_file(evfile) or ""):gmatch("[^\n]+") do r.events[#r.events + 1] = l end
	return r
end

describe("fds lanner keeps per process and per thread", function()
	teardown(cmp.cleanup)

	it("300 processes with a socket each: every connect names its socket", function()
		local r = under_limit({ "-p", "%evt.type|%fd.type|%fd.sip", "evt.type=connect" },
			{ trace.prog("manypeers"), "procs", "300" })
		assert.equal(0, r.status, r.stderr)
		assert.truthy(r.stdout:match("ok\n$"), r.stdout)
		assert.equal(300, #r.events)
		local ipv4 = cmp.count(r.events, function(l) return l == "connect|ipv4|127.0.0.1" end)
		assert.equal(300, ipv4, r.events[#r.events])
	end)

	it("300 threads at once: every event has its CPU", function()
		local r = under_limit({ "-p", "%evt.type|%evt.cpu", "evt.type=close and evt.rawres < 0" },
			{ trace.prog("manypeers"), "threads", "300" })
		assert.equal(0, r.status, r.stderr)
		assert.truthy(r.stdout:match("ok\n$"), r.stdout)
		assert.equal(300, #r.events, r.stderr)
		local with_cpu = cmp.count(r.events, function(l) return l:match("^close|%d+$") ~= nil end)
		assert.equal(300, with_cpu, r.events[1])
	end)
end)
