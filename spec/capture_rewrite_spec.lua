-- Re-writing a capture (`lanner -r A -w B [FILTER]`): B stands alone.  Its
-- events refer to processes, threads and fds that B itself describes, in
-- PROC, THREAD and FD blocks written as a live capture writes them, so that
-- reading B gives what reading A with the same filter gives.
--
-- Needs `make all progs`; run from the repository root:
--   busted spec/capture_rewrite_spec.lua
local trace = require "spec.helpers.trace"
local CR = require "spec.helpers.capture_run"
local capfile = require "spec.helpers.capfile"

local ROOT = trace.root
local LANNER = CR.LANNER
local run, lanner, lines, same_lines, cat = CR.run, CR.lanner, CR.lines, CR.same_lines, CR.cat
local q = trace.shell_quote
local BLK = capfile.BLK

-- Fields of every family the state blocks feed (none read from /proc).
local FMT = "*%evt.num |%evt.type |%evt.rawres |%proc.name |%proc.pid |%proc.ppid |%proc.vpid" ..
	" |%proc.sid |%proc.exe |%proc.exepath |%proc.cmdline |%proc.cwd |%proc.pname |%proc.aname[2]" ..
	" |%proc.env[HOME] |%proc.pid.ts |%proc.nthreads |%proc.fdopencount |%proc.stdout.name" ..
	" |%thread.tid |%thread.vtid |%thread.ismain |%thread.cap_effective |%user.uid |%user.name" ..
	" |%group.gid |%fd.name |%fd.num |%fd.type |%fd.ino |%container.id |%evt.info"

-- Records argv to dir/A, re-writes A to dir/B with opts (a filter, -z, ...),
-- and returns the lines of A read with filter and of B read with none.
local function rewrite(dir, argv, filter, opts)
	local a, b = dir .. "/A", dir .. "/B"
	local rc, _, err = run(dir, cat({ LANNER, "-q", "-w", a, "--" }, argv))
	assert.equal(0, rc, err)
	local fw = filter and { filter } or {}
	rc, _, err = run(dir, cat({ LANNER, "-r", a, "-w", b }, opts or {}, fw))
	assert.equal(0, rc, err)
	local rca, outa, erra = run(dir, cat({ LANNER, "-r", a, "-p", FMT }, fw))
	assert.equal(0, rca, erra)
	local rcb, outb, errb = lanner(dir, "-r", b, "-p", FMT)
	assert.equal(0, rcb, errb)
	assert.equal("", errb)
	return lines(outa), lines(outb)
end

local function block_counts(path)
	local s = assert(trace.read_file(path), path)
	local _, blocks = capfile.parse(s)
	local n = {}
	for _, b in ipairs(blocks) do n[b.type] = (n[b.type] or 0) + 1 end
	return n, blocks
end

describe("capture re-written (-r A -w B)", function()
	local dir
	before_each(function() dir = trace.mkdtemp() end)
	after_each(function() trace.rmrf(dir) end)

	it("with a filter, B's events keep their process, thread and fd (cat /etc/hostname, evt.type=openat)", function()
		local fromA, fromB = rewrite(dir, { "/bin/cat", "/etc/hostname" }, "evt.type=openat")
		assert.is_true(#fromA > 2)
		for _, l in ipairs(fromA) do assert.truthy(l:match("^%d+ |openat |%S+ |cat |%d+ "), l) end
		same_lines(fromA, fromB, "cat, openat only", "A", "B")
		-- what B needs is in B: its process and thread, with the lanner
		-- ancestry the live run knew
		local n = block_counts(dir .. "/B")
		assert.is_true((n[BLK.THREAD] or 0) >= 1, "B has no THREAD block")
		assert.is_true((n[BLK.PROC] or 0) >= 2, "B has no PROC blocks")
	end)

	local workloads = {
		{ "fork_tree" }, { "threads" }, { "exec_thread" }, { "setuid" }, { "procstate" },
		{ "sh", "-c", "cd /tmp && cat /etc/hostname | wc -c > /dev/null; exec 7</etc/passwd; " ..
			"ls -d / >&7 2>/dev/null; exec cat /etc/hostname > /dev/null" },
	}
	local filters = { false, "evt.type in (openat, read, execve, procexit)", "proc.name = cat" }
	for _, w in ipairs(workloads) do
		for _, filter in ipairs(filters) do
			local label = table.concat(w, " ") .. (filter and " | " .. filter or "")
			it("reads as A does: " .. label, function()
				local argv = w[2] and w or { trace.prog(w[1]) }
				local fromA, fromB = rewrite(dir, argv, filter or nil)
				assert.is_true(#fromA > 0 or filter == "proc.name = cat")
				same_lines(fromA, fromB, label, "A", "B")
			end)
		end
	end

	it("compressed (-z): B reads as A does", function()
		local argv = { "sh", "-c", "cd /tmp; cat /etc/hostname > /dev/null; " .. trace.prog("fork_tree") }
		local fromA, fromB = rewrite(dir, argv, "evt.type in (openat, close, procexit)", { "-z" })
		assert.is_true(#fromA > 10)
		same_lines(fromA, fromB, "-z", "A", "B")
	end)

	it("re-writing B again gives B's blocks: the replay journals state as the live run did", function()
		local argv = { "sh", "-c", "cd /tmp; cat /etc/hostname > /dev/null; " .. trace.prog("threads") }
		rewrite(dir, argv, nil)
		local rc, _, err = lanner(dir, "-r", dir .. "/B", "-w", dir .. "/C")
		assert.equal(0, rc, err)
		local _, bb = block_counts(dir .. "/B")
		local _, cb = block_counts(dir .. "/C")
		assert.equal(#bb, #cb)
		-- the HEADER differs (the time it was opened): compare the rest
		for i = 2, #bb do
			if bb[i].raw ~= cb[i].raw then
				error(string.format("block %d (type %d at %d) differs", i, bb[i].type, bb[i].off))
			end
		end
	end)

	it("rotated (-C 1): each file of B reads alone, and together they are A", function()
		local loop = { "sh", "-c", "i=0; while [ $i -lt 1500 ]; do i=$((i+1)); echo $i > /dev/null; done" }
		local a = dir .. "/A"
		local rc, _, err = run(dir, cat({ LANNER, "-q", "-w", a, "--" }, loop))
		assert.equal(0, rc, err)
		rc, _, err = lanner(dir, "-r", a, "-w", dir .. "/B", "-C", "1")
		assert.equal(0, rc, err)
		local rca, outa = lanner(dir, "-r", a, "-p", FMT)
		assert.equal(0, rca)
		local all, fs = {}, CR.rotated(dir .. "/B")
		local nfiles = #fs
		for _, f in ipairs(fs) do
			local path = f.path
			local rcb, outb, errb = lanner(dir, "-r", path, "-p", FMT)
			assert.equal(0, rcb, errb)
			local ls = lines(outb)
			assert.truthy(ls[1] and ls[1]:match("^%d+ |%S+ |%S+ |sh |%d+ "), path .. ": " .. tostring(ls[1]))
			for _, l in ipairs(ls) do all[#all + 1] = l end
		end
		assert.is_true(nfiles >= 3, "files: " .. nfiles)
		same_lines(lines(outa), all, "rotated B", "A", "B")
	end)
end)
