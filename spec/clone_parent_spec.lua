-- CLONE_PARENT: a child whose parent is its creator's parent, as the
-- kernel (and Falco's proc.ppid) has it.  spec/progs/clone_parent makes
-- three such children from one creator: with clone (the flags a register
-- lanner reads at the clone's event), with clone3 (lanner runs it as
-- clone), and with clone3 after a seccomp filter of the program's own
-- (lanner leaves it as it is, and does not trust the flags it could read
-- in memory: /proc says).  Each child prints the pid it has and its
-- parent's; lanner's proc.ppid must be that parent, run after run (the
-- creator lives until its children are done, so lanner meets them with
-- their creator known).
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

describe("CLONE_PARENT: proc.ppid is the creator's parent (spec/progs/clone_parent)", function()
	teardown(cmp.cleanup)

	local function check(args, marks)
		local r = cmp.lanner({ "-p", "%evt.rawarg.fd %proc.pid %proc.ppid",
			"evt.type=close and evt.rawarg.fd < -1000" }, args)
		assert.equal(0, r.status, r.stdout .. r.stderr)
		local want, got = {}, {}
		for _, l in ipairs(cmp.lines(r.stdout)) do
			local k, pid, ppid = l:match("^(%d+) (%d+) (%d+)$")
			if k then want[k] = pid .. " " .. ppid end
		end
		for _, l in ipairs(r.events) do
			local k, pid, ppid = l:match("^%-(%d+) (%d+) (%d+)$")
			if k then got[k] = pid .. " " .. ppid end
		end
		for _, k in ipairs(marks) do
			assert.is_string(want[k], "child " .. k .. " did not print\n" .. r.stdout)
			assert.equal(want[k], got[k], "child " .. k)
		end
	end

	for run = 1, 3 do
		it("run " .. run .. ": each child's proc.ppid is the parent it sees", function()
			check({ trace.prog("clone_parent") }, { "3001", "3002", "3003" })
		end)
	end

	-- lanner's record of the creator's parent is not kept up to date when
	-- that parent ends: the child's comes from /proc
	it("made by a process whose parent has ended: its parent is the reaper", function()
		local marks = {}
		for k = 3010, 3019 do marks[#marks + 1] = tostring(k) end
		check({ trace.prog("clone_parent"), "orphan" }, marks)
	end)
end)
