-- proc.vmsize, proc.vmrss, proc.vmswap, thread.vmsize and thread.vmrss: a
-- process's memory figures as the event's thread last saw them, at its
-- creation or exec (or a brk, mmap or munmap lanner traces), as Falco's
-- driver reports them with those events and libsinsp keeps them per
-- thread, so that an event's figures do not depend on when a rule runs.  With the
-- queue (the default on two CPUs) rules run after the fact: read from /proc
-- then, the figures of a process that had ended were missing, and -p, which
-- skips a line with a missing field as sysdig does, lost most lines.
-- sysdig 0.29.3 reading lanner's .scap is the reference for the values.
--
-- Needs `make all progs`; run from the repository root.
local trace = require "spec.helpers.trace"
local CR = require "spec.helpers.capture_run"
local D = require "spec.helpers.scapdiff"

local LANNER = CR.LANNER
local run, lanner, lines = CR.run, CR.lanner, CR.lines
local PROG = trace.prog("vmfigures")
local MARKS = "fd.name in (/dev/null, /dev/zero, /dev/full, /etc/hostname)"
local BIG_KB = 64 * 1024

-- { [fd.name] = { pid, tid, vmsize, vmrss, vmswap, thread.vmsize, thread.vmrss } }
local function marks(out)
	local t = {}
	for _, l in ipairs(lines(out)) do
		local name, rest = l:match("^(%S+) (.*)$")
		local v = {}
		for n in rest:gmatch("%S+") do v[#v + 1] = tonumber(n) end
		t[name] = v
	end
	return t
end

-- (user.uid last: it makes a traced setuid stop at its exit, where the
-- credentials are read again)
local FMT = "%fd.name %proc.pid %thread.tid %proc.vmsize %proc.vmrss %proc.vmswap %thread.vmsize %thread.vmrss %user.uid"

describe("memory figures", function()
	local dir
	before_each(function() dir = trace.mkdtemp() end)
	after_each(function() trace.rmrf(dir) end)

	it("as of a thread's creation or exec, the same with and without the queue", function()
		local got = {}
		for _, q in ipairs { "1M", "0" } do
			-- setuid traced too: the credentials are read again there, the
			-- figures not (Falco's driver reports none with it)
			local rc, out, err = lanner(dir, "-q", "--queue", q, "-p", FMT,
				"(evt.type=openat and " .. MARKS .. ") or evt.type=setuid", "--", PROG)
			assert.equal(0, rc, err)
			local m = marks(out)
			for _, name in ipairs { "/dev/null", "/dev/zero", "/dev/full", "/etc/hostname" } do
				assert.truthy(m[name], name .. " missing with --queue " .. q .. ":\n" .. out)
			end
			local null, zero, full, child = m["/dev/null"], m["/dev/zero"], m["/dev/full"], m["/etc/hostname"]
			-- the parent as exec left it, before and after its 64 MB
			-- mmap, which is not traced here, and its setuid
			assert.is_true(null[3] > 0 and null[3] < BIG_KB, out)
			assert.same({ null[3], null[4] }, { zero[3], zero[4] })
			-- thread.vm*: proc.vm* for the main thread, 0 for another,
			-- whose own figures are from its creation, after the mmap
			assert.equal(null[1], null[2])
			assert.same({ null[3], null[4] }, { null[6], null[7] })
			assert.are_not.equal(full[1], full[2])
			assert.is_true(full[3] >= null[3] + BIG_KB and full[4] >= BIG_KB, out)
			assert.same({ 0, 0 }, { full[6], full[7] })
			-- the child as of its fork: the mapping, touched, is its too
			assert.are_not.equal(null[1], child[1])
			assert.is_true(child[3] >= null[3] + BIG_KB, out)
			assert.is_true(child[4] >= BIG_KB, out)
			assert.same({ child[3], child[4] }, { child[6], child[7] })
			got[q] = { null[3], full[3], child[3] }
		end
		assert.same(got["0"], got["1M"])
	end)

	it("read again at a traced mmap's exit", function()
		local rc, out, err = lanner(dir, "-q", "-p", FMT,
			"(evt.type=openat and " .. MARKS .. ") or evt.type=mmap", "--", PROG)
		assert.equal(0, rc, err)
		local m = marks(out)
		assert.truthy(m["/dev/zero"], out)
		-- (libc's own munmaps come between: not null's figure + 64 MB)
		assert.is_true(m["/dev/zero"][3] >= BIG_KB and m["/dev/zero"][3] > m["/dev/null"][3], out)
	end)

	it("no line lost where the queue evaluates after the process ended", function()
		-- a shell whose children come and go: each line needs every field
		local script = "for i in 1 2 3 4 5; do cat /etc/hostname; done >/dev/null"
		local counts = {}
		for _, f in ipairs { "%proc.pid %evt.type %fd.name", "%proc.pid %proc.vmsize %proc.vmrss %evt.type %fd.name" } do
			local rc, out, err = run(dir, { LANNER, "-q", "--queue", "1M", "-p", f, "evt.type=openat", "--",
				"sh", "-c", script })
			assert.equal(0, rc, err)
			counts[#counts + 1] = #lines(out)
		end
		assert.is_true(counts[1] >= 5, tostring(counts[1]))
		assert.equal(counts[1], counts[2])
	end)

	it("in captures: as live, and sysdig reads lanner's .scap as lanner does", function()
		-- the marks as the run shows them live, and as the capture it
		-- writes has them: a thread's figures come from its creator's
		-- clone exit there, as libsinsp makes them (-p skips the clones'
		-- lines, which have no fd.name)
		local live
		local marks_only = "(evt.type=openat and " .. MARKS .. ") or evt.type in (clone, clone3, fork, vfork)"
		local rc, _, err = lanner(dir, "-q", "-w", "v.scap", "--", PROG)
		assert.equal(0, rc, err)
		rc, live, err = lanner(dir, "-q", "-w", "m.scap", "-p", FMT, marks_only, "--", PROG)
		assert.equal(0, rc, err)
		local replay
		rc, replay, err = lanner(dir, "-q", "-r", "m.scap", "-p", FMT, marks_only)
		assert.equal(0, rc, err)
		assert.equal(4, #lines(live), live)
		CR.same_lines(lines(live), lines(replay), "marks")
		local f = "*%proc.pid %evt.type %fd.name %proc.vmsize %proc.vmrss %proc.vmswap %thread.vmsize %thread.vmrss"
		local flt = "evt.dir=< and evt.type in (openat, mmap, brk, munmap, clone, execve)"
		local out
		rc, out, err = lanner(dir, "-q", "-r", "v.scap", "-p", f, flt)
		assert.equal(0, rc, err)
		local child
		for _, l in ipairs(lines(out)) do
			local size = tonumber(l:match("^%d+ openat /etc/hostname (%d+)"))
			if size then child = size end
		end
		assert.truthy(child and child >= BIG_KB, out)
		-- what lanner's own format keeps, read back
		rc, _, err = lanner(dir, "-q", "-r", "v.scap", "-w", "v.lcap")
		assert.equal(0, rc, err)
		local again
		rc, again, err = lanner(dir, "-q", "-r", "v.lcap", "-p", f, flt)
		assert.equal(0, rc, err)
		assert.equal(out, again)
		if not D.have_sysdig() then
			pending("sysdig not installed (make deps-sysdig)")
			return
		end
		local src, s
		src, s, err = CR.sh(dir, "sysdig -r v.scap -p " .. trace.shell_quote(f) .. " " .. trace.shell_quote(flt))
		assert.equal(0, src, err)
		CR.same_lines(lines(s), lines(out), "memory figures", "sysdig", "lanner")
	end)
end)
