-- proc.vpid and thread.vtid: the pids a process and its threads see of
-- themselves, in their own pid namespace (spec/progs/ns_threads prints
-- them).  lanner reads them from /proc for a new process; a new thread's
-- is known from its process's (src/state/tasks.c), so both the flat case
-- and a namespace of its own (`unshare --pid --fork`) are held against
-- what the program printed.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

teardown(cmp.cleanup)

local FMT = "%evt.rawarg.fd %proc.vpid %thread.vtid %proc.pid %thread.tid"
local FILTER = "evt.type=close and evt.rawarg.fd < -1000"

-- { [K] = { vpid, vtid } } as the program printed them
local function printed(out)
	local t = {}
	for _, l in ipairs(cmp.lines(out)) do
		local k, pid, tid = l:match("^(%d+) (%d+) (%d+)$")
		if k then t[tonumber(k)] = { tonumber(pid), tonumber(tid) } end
	end
	return t
end

-- { [K] = { vpid, vtid, pid, tid } } from lanner's events
local function seen(events)
	local t = {}
	for _, l in ipairs(events) do
		local k, vpid, vtid, pid, tid = l:match("^%-(%d+) (%d+) (%d+) (%d+) (%d+)$")
		if k then t[tonumber(k)] = { tonumber(vpid), tonumber(vtid), tonumber(pid), tonumber(tid) } end
	end
	return t
end

-- The 32-bit build makes threads with the 32-bit clone3 and forks with
-- the 32-bit clone, whose flags lanner must read in that ABI's registers
-- to tell a thread from a process (src/base/arch.c).
local m32_why
do
	local _, rc = trace.sh(trace.shell_quote(trace.prog("ns_threads_m32")) .. " >/dev/null 2>&1")
	if rc ~= 0 then
		m32_why = rc == 126 and "this kernel runs no 32-bit x86 programs" or ("ns_threads_m32 exited " .. rc)
	end
end

for _, prog in ipairs { "ns_threads", "ns_threads_m32" } do
	for _, case in ipairs {
		{ "in lanner's own pid namespace", {} },
		{ "in a pid namespace of its own (unshare --pid --fork)", { "unshare", "--pid", "--fork" } },
	} do
		describe("proc.vpid and thread.vtid (" .. prog .. ") " .. case[1], function()
			local r, want, got
			local skip = prog == "ns_threads_m32" and m32_why
			setup(function()
				if skip then return end
				local argv = {}
				for _, a in ipairs(case[2]) do argv[#argv + 1] = a end
				argv[#argv + 1] = trace.prog(prog)
				r = cmp.lanner({ "-p", FMT, FILTER }, argv)
				want = printed(r.stdout)
				got = seen(r.events)
			end)

			before_each(function()
				if skip then pending(skip) end
			end)

			it("the program ran to its end and printed five marks", function()
				assert.equal(0, r.status)
				for k = 1001, 1005 do assert.is_table(want[k], "mark " .. k) end
			end)

			it("each mark's vpid and vtid are the ones the program saw: main, threads, a child and its thread", function()
				for k = 1001, 1005 do
					assert.is_table(got[k], "no event for mark " .. k)
					assert.same(want[k], { got[k][1], got[k][2] }, "mark " .. k)
				end
			end)

			it("threads share the process's vpid, each with a vtid of its own", function()
				assert.equal(got[1001][1], got[1002][1])
				assert.equal(got[1001][1], got[1003][1])
				assert.equal(got[1004][1], got[1005][1])
				assert.are_not.equal(got[1001][2], got[1002][2])
				assert.are_not.equal(got[1004][2], got[1005][2])
			end)

			it("threads are of their process: the same proc.pid, each its own thread.tid", function()
				assert.equal(got[1001][3], got[1002][3])
				assert.equal(got[1001][3], got[1003][3])
				assert.equal(got[1004][3], got[1005][3])
				assert.are_not.equal(got[1001][3], got[1004][3])
				assert.are_not.equal(got[1002][4], got[1003][4])
			end)

			if #case[2] == 0 then
				it("here the virtual pids are the real ones", function()
					for k = 1001, 1005 do
						assert.equal(got[k][3], got[k][1])
						assert.equal(got[k][4], got[k][2])
					end
				end)
			else
				it("here they are not the real ones: the program is pid 1 of its namespace", function()
					assert.equal(1, got[1001][1])
					assert.equal(1, got[1001][2])
					assert.are_not.equal(got[1002][4], got[1002][2])
					assert.are_not.equal(got[1005][4], got[1005][2])
				end)
			end
		end)
	end
end

-- A new process's vpid is its pid, with no /proc read, when its creator
-- cannot have sent its children elsewhere: lanner's filter stops every
-- unshare(CLONE_NEWPID) and setns (trace/filter.c pidns_guard), and a
-- clone with CLONE_NEWPID says so in a register (src/state/tasks.c).
-- spec/progs/ns_unshare makes children in other namespaces all three
-- ways, and one from a thread the unshare did not move; lanner's filter
-- here stops none of those calls for an event.
for _, case in ipairs {
	{ "in lanner's own pid namespace", {} },
	{ "in a pid namespace of its own (unshare --pid --fork)", { "unshare", "--pid", "--fork" } },
} do
	describe("proc.vpid of children sent to other pid namespaces (ns_unshare) " .. case[1], function()
		local r, want, got
		setup(function()
			local argv = {}
			for _, a in ipairs(case[2]) do argv[#argv + 1] = a end
			argv[#argv + 1] = trace.prog("ns_unshare")
			r = cmp.lanner({ "-p", FMT, FILTER }, argv)
			want = printed(r.stdout)
			got = seen(r.events)
		end)

		it("the program ran to its end and printed five marks", function()
			assert.equal(0, r.status, r.stdout .. r.stderr)
			for k = 2001, 2005 do assert.is_table(want[k], "mark " .. k) end
		end)

		it("each mark's vpid and vtid are the ones the program saw", function()
			for k = 2001, 2005 do
				assert.is_table(got[k], "no event for mark " .. k)
				assert.same(want[k], { got[k][1], got[k][2] }, "mark " .. k)
			end
		end)

		it("after unshare, clone(CLONE_NEWPID) and setns the children are pids 1 and 2 of theirs", function()
			assert.same({ 1, 2, 1, 2 }, { got[2001][1], got[2002][1], got[2004][1], got[2005][1] })
		end)
	end)
end
