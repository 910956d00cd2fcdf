-- A tracee that installs a seccomp filter of its own (spec/progs/
-- inv_seccomp), stacked on lanner's: ERRNO, TRAP, TRACE and KILL_PROCESS
-- actions must do to the program what they do without lanner, and what
-- the program's filter lets through is still traced.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

-- the scratch files of cmp.run and cmp.lanner go when the file is done
teardown(cmp.cleanup)

local FILTERS = {
	{ "close and exec", "evt.type in (close, execve, procexit)" },
	{ "the filtered syscalls themselves", "evt.type in (uname, getppid, getpgid, sync, close, procexit)" },
	{ "every syscall", nil },
}

describe("invisible: a program with its own seccomp filter", function()
	local a, runs = nil, {}

	setup(function()
		a = cmp.run({ trace.prog("inv_seccomp") })
		for i, f in ipairs(FILTERS) do
			local largs = { "-p", "*%proc.pid %evt.type %evt.rawarg.fd %evt.rawres" }
			if f[2] then largs[#largs + 1] = f[2] end
			runs[i] = cmp.lanner(largs, { trace.prog("inv_seccomp") }, { timeout = 30 })
		end
	end)
	teardown(cmp.cleanup)

	it("untraced: ERRNO, TRAP, TRACE (no tracer: ENOSYS) and KILL_PROCESS act", function()
		assert.equal(0, a.status)
		assert.equal(table.concat({
			"filter installed",
			"uname: EPERM",
			"getppid: returned something, SIGSYS 1 times, si_syscall getppid, data 7",
			"getpgid: ENOSYS",
			"close(-99): EBADF",
			"child sync: killed by 31",
			"child exec /bin/true: exited 0",
		}, "\n") .. "\n", a.stdout)
	end)

	-- the getpgid line is checked on its own below
	local function but_trace(s) return (s:gsub("getpgid: %w+\n", "")) end

	for i, f in ipairs(FILTERS) do
		it("traced (" .. f[1] .. "): same status and lines (ERRNO, TRAP, KILL_PROCESS)", function()
			local r = runs[i]
			assert.is_false(r.timed_out)
			assert.equal(a.status, r.status)
			assert.equal(but_trace(a.stdout), but_trace(r.stdout))
		end)
	end

	-- The program's SECCOMP_RET_TRACE stops in lanner (a tracer is there)
	-- with the program's data (the newest filter wins among equal
	-- actions); lanner takes it for its own and lets getpgid run.  Without
	-- lanner there is no tracer and the call fails with ENOSYS.
	it("traced: the program's own SECCOMP_RET_TRACE still gives it ENOSYS", function()
		for _, r in ipairs(runs) do
			assert.truthy(r.stdout:match("getpgid: ENOSYS\n"), r.stdout)
		end
	end)

	it("what the program's filter allows is still traced: close(-99) after the filter", function()
		local r = runs[1]
		local n = cmp.count(r.events, function(l) return l:match(" close %-99 %-9$") end)
		assert.equal(1, n)
	end)

	-- DESIGN.md: "a program that sets its own filter which kills or errors
	-- a syscall hides that syscall": the program's ERRNO, TRAP and KILL
	-- take precedence over lanner's TRACE, so there is no stop to report.
	it("documented: the syscalls the program's filter errors, traps or kills are not reported", function()
		local r = runs[2]
		for _, ty in ipairs { "uname", "getppid", "sync" } do
			local n = cmp.count(r.events, function(l) return l:match(" " .. ty .. " ") end)
			assert.equal(0, n, ty)
		end
	end)

	it("each process ends with a procexit, the SIGSYS-killed child too", function()
		local r = runs[2]
		local pe = cmp.count(r.events, function(l) return l:match(" procexit ") end)
		assert.equal(3, pe)
		assert.same({}, cmp.zombie_children())
	end)
end)
