-- The core on processes: fork, vfork, clone3, exec (from a file, a static
-- binary and a memfd), and the state a process changes for itself (comm,
-- cwd, credentials).  Process life cycle comes from ptrace's own events.
local trace = require "spec.helpers.trace"
local bit = require "bit"

local CLONE_TYPES = { clone = true, clone3 = true, fork = true, vfork = true }

-- Non-restarted clone-family events that made a child: { [child] = parent }
local function children(events)
	local out = {}
	for _, e in ipairs(events) do
		if CLONE_TYPES[e.type] and e.res and e.res > 0 then out[e.res] = e.pid end
	end
	return out
end

describe("core: the example from the issue", function()
	local D, r, sh_pid, cat_pid

	setup(function()
		D = trace.mkdtemp()
		r = trace.run({ "sh", "-c", "cat /etc/hostname > " .. D .. "/x; exit 3" })
		sh_pid = r.pid
	end)

	teardown(function()
		if D then trace.rmrf(D) end
	end)

	it("exits 3", function()
		assert.equal(3, r.status)
	end)

	it("starts with sh's own execve", function()
		local e = r.events[1]
		assert.equal("execve", e.type)
		assert.equal(sh_pid, e.tid)
		assert.equal(0, e.res)
		assert.equal("sh", e.comm)
		assert.same({ "-c", "cat /etc/hostname > " .. D .. "/x; exit 3" }, e.args)
	end)

	it("shows sh opening the redirect target for writing", function()
		local e = trace.find(r.events, function(x)
			return x.pid == sh_pid and (x.type == "openat" or x.type == "open") and x.raw.name == D .. "/x"
		end)
		assert.is_table(e)
		assert.is_true(e.res >= 0)
		assert.equal(D .. "/x", e.fd.name)
		assert.equal(577, bit.band(e.raw.flags, 577))
	end)

	it("shows sh making the child (vfork, fork or clone) with the child's pid", function()
		local kids = children(r.events)
		local n = 0
		for child, parent in pairs(kids) do
			n = n + 1
			cat_pid = child
			assert.equal(sh_pid, parent)
		end
		assert.equal(1, n)
	end)

	it("shows the child's successful execve of cat, with its argv, and its state after", function()
		local e = trace.find(r.events, function(x) return x.type == "execve" and x.tid == cat_pid and x.res == 0 end)
		assert.is_table(e)
		assert.truthy(e.raw.filename:match("/cat$"), e.raw.filename)
		assert.equal("cat\0/etc/hostname", e.raw.args)
		assert.equal("cat", e.comm)
		assert.equal(sh_pid, e.ppid)
		assert.same({ "/etc/hostname" }, e.args)
		assert.truthy(e.exepath:match("/cat$"), e.exepath)
	end)

	it("shows cat's openat of /etc/hostname with the fd it got and the fd's name", function()
		local e = trace.find(r.events, function(x)
			return x.pid == cat_pid and x.type == "openat" and x.raw.name == "/etc/hostname"
		end)
		assert.is_table(e)
		assert.is_true(e.res >= 3)
		assert.equal(e.res, e.fdnum)
		assert.equal("/etc/hostname", e.fd.name)
		assert.equal("file", e.fd.type)
		assert.equal(string.format("%d(<f>/etc/hostname)", e.res), e.params.fd)
		assert.equal("/etc/hostname", e.params.name)
		-- cat's stdout is the redirect target, inherited through the exec
		local close1 = trace.find(r.events, function(x)
			return x.pid == cat_pid and x.type == "close" and x.raw.fd == 1
		end)
		if close1 then assert.equal(D .. "/x", close1.fd.name) end
	end)

	it("ends with cat's procexit (0) before sh's (3)", function()
		local ex = trace.select(r.events, "procexit")
		assert.equal(2, #ex)
		assert.same({ cat_pid, 0 }, { ex[1].pid, ex[1].raw.ret })
		assert.same({ sh_pid, 3 }, { ex[2].pid, ex[2].raw.ret })
		assert.equal(ex[2].num, r.events[#r.events].num)
	end)
end)

describe("core: a tree of 200 processes (spec/progs/fork_tree)", function()
	local r

	setup(function()
		r = trace.run({ trace.prog("fork_tree") },
			{ types = { clone = true, clone3 = true, fork = true, vfork = true, exit_group = true } })
	end)

	it("exits 0: every node saw its children exit with their numbers", function()
		assert.equal(0, r.status)
		assert.is_false(r.timed_out)
	end)

	it("199 successful forks, each by a process of the tree", function()
		local kids = children(r.events)
		local n = 0
		for _ in pairs(kids) do n = n + 1 end
		assert.equal(199, n)
	end)

	it("200 procexit events, one per distinct pid, with exit codes 0..199", function()
		local ex = trace.select(r.events, "procexit")
		assert.equal(200, #ex)
		local pids, codes = {}, {}
		for _, e in ipairs(ex) do
			assert.is_nil(pids[e.pid], "two procexit for " .. e.pid)
			pids[e.pid] = true
			codes[#codes + 1] = e.raw.ret
		end
		table.sort(codes)
		for i = 1, 200 do assert.equal(i - 1, codes[i]) end
	end)

	it("each child's ppid is the process that forked it", function()
		local kids = children(r.events)
		for _, e in ipairs(trace.select(r.events, "procexit")) do
			if e.pid ~= r.pid then assert.equal(kids[e.pid], e.ppid, "ppid of " .. e.pid) end
		end
	end)

	it("each process's exit_group comes before its procexit, with the same code", function()
		local last = {}
		for _, e in ipairs(r.events) do
			if e.type == "exit_group" then last[e.pid] = e.raw.status end
			if e.type == "procexit" then assert.equal(last[e.pid], e.raw.ret) end
		end
	end)

	it("restarted forks (ERESTARTNOINTR, a signal came in) are the only failed ones", function()
		for _, e in ipairs(r.events) do
			if e.type == "clone" and e.res < 0 then assert.equal(-513, e.res) end
		end
	end)

	it("left no process traced, stopped or zombie", function()
		assert.same({}, trace.leftovers())
	end)

	-- A child that exits before its parent's fork event is handled must not
	-- get a second, never-freed record from that event.
	it("met 200 processes, and none is left in the state table after all exited", function()
		assert.same({}, r.procs_left)
		assert.equal(200, r.stats.procs_seen)
		assert.equal(200, r.stats.threads_seen)
	end)
end)

describe("core: vfork + exec (spec/progs/vfork_exec)", function()
	local r, vf, ex

	setup(function()
		r = trace.run({ trace.prog("vfork_exec") })
		vf = trace.find(r.events, "vfork")
		ex = vf and trace.find(r.events, function(e) return e.type == "execve" and e.tid == vf.res end)
	end)

	it("exits 0", function()
		assert.equal(0, r.status)
	end)

	it("the vfork event is the parent's, its result the child's pid", function()
		assert.is_table(vf)
		assert.equal(r.pid, vf.tid)
		assert.is_true(vf.res > r.pid)
	end)

	it("the child execs /bin/true with its argv, and its state is the new image", function()
		assert.is_table(ex)
		assert.equal(0, ex.res)
		assert.equal("/bin/true", ex.raw.filename)
		assert.equal("true\0from-vfork", ex.raw.args)
		assert.equal("true", ex.comm)
		assert.equal("true", ex.exe)
		assert.same({ "from-vfork" }, ex.args)
		assert.equal(r.pid, ex.ppid)
		assert.truthy(ex.exepath:match("/true$"))
	end)

	it("the parent keeps its own comm and exe", function()
		local last = trace.select(r.events, function(e) return e.pid == r.pid end)
		assert.equal("vfork_exec", last[#last].comm)
		assert.equal(trace.prog("vfork_exec"), last[#last].exepath)
	end)
end)

describe("core: clone3 of a process (spec/progs/clone3)", function()
	local r

	setup(function()
		r = trace.run({ trace.prog("clone3") }, { types = { clone3 = true, close = true, exit_group = true } })
	end)

	it("exits 0", function()
		assert.equal(0, r.status)
	end)

	it("shows clone3 with flags 0 returning the child, whose close(-1) and exit 7 follow", function()
		local c = trace.find(r.events, function(e) return e.type == "clone3" and e.raw.flags == 0 end)
		assert.is_table(c)
		assert.is_true(c.res > 0)
		assert.equal("0", c.params.flags)
		local kid = trace.select(r.events, function(e) return e.pid == c.res end)
		local types = {}
		for i, e in ipairs(kid) do types[i] = e.type end
		assert.same({ "close", "exit_group", "procexit" }, types)
		assert.equal(-1, kid[1].raw.fd)
		assert.equal(c.res, kid[1].tid)
		assert.equal(r.pid, kid[1].ppid)
		assert.equal(7, kid[3].raw.ret)
	end)
end)

describe("core: a statically linked program (spec/progs/hello_static)", function()
	local r

	setup(function()
		r = trace.run({ trace.prog("hello_static") })
	end)

	it("exits 0 and runs no dynamic loader", function()
		assert.equal(0, r.status)
		assert.is_nil(trace.find(r.events, function(e) return e.raw.name == "/etc/ld.so.cache" end))
	end)

	it("shows execve, openat, read, close, exit_group, procexit with their values", function()
		-- the static libc's own start-up (memory, its readlink of
		-- /proc/self/exe) is not what this checks
		local seq = trace.select(r.events, function(e)
			return e.type ~= "mprotect" and e.type ~= "mmap" and e.type ~= "brk"
				and e.type ~= "readlink" and e.type ~= "munmap"
		end)
		local types = {}
		for i, e in ipairs(seq) do types[i] = e.type end
		assert.same({ "execve", "openat", "read", "close", "exit_group", "procexit" }, types)
		assert.equal("/etc/hostname", seq[2].fd.name)
		local host = trace.read_file("/etc/hostname")
		assert.equal(#host, seq[3].res)
		assert.equal(host, seq[3].raw.data)
		assert.equal(seq[2].res, seq[3].raw.fd)
		assert.equal("hello_static", seq[4].comm)
		assert.equal(trace.prog("hello_static"), seq[4].exepath)
	end)
end)

describe("core: exec from a memfd (spec/progs/memfd_exec)", function()
	local r, ex

	setup(function()
		r = trace.run({ trace.prog("memfd_exec") })
		ex = trace.find(r.events, "execveat")
	end)

	it("exits 0 (the memfd copy of /bin/true ran)", function()
		assert.equal(0, r.status)
	end)

	it("memfd_create makes a memfd fd named /memfd:lanner-memfd", function()
		local m = trace.find(r.events, "memfd_create")
		assert.equal("lanner-memfd", m.raw.name)
		assert.equal("memfd", m.fd.type)
		assert.truthy(m.fd.name:match("^/memfd:lanner%-memfd"), m.fd.name)
		local sf = trace.find(r.events, "sendfile")
		assert.equal(m.res, sf.raw.out_fd)
		assert.equal(tonumber((trace.sh("stat -L -c %s /bin/true"))), sf.res)
	end)

	it("execveat with AT_EMPTY_PATH on the memfd", function()
		assert.is_table(ex)
		assert.equal(0, ex.res)
		assert.equal("", ex.raw.pathname)
		assert.equal(trace.find(r.events, "memfd_create").res, ex.raw.dirfd)
		assert.equal("4096(AT_EMPTY_PATH)", ex.params.flags)
		assert.equal("memfd-true\0x", ex.raw.args)
	end)

	it("after it the process is flagged is_exe_from_memfd and exepath starts with /memfd:", function()
		assert.truthy(ex.exepath:match("^/memfd:lanner%-memfd"), ex.exepath)
		assert.equal(trace.PROC_EXE_FROM_MEMFD, bit.band(ex.proc_flags, trace.PROC_EXE_FROM_MEMFD))
		assert.equal("memfd-true", ex.exe)
		assert.same({ "x" }, ex.args)
		-- before it, not
		local first = r.events[1]
		assert.equal(0, bit.band(first.proc_flags, trace.PROC_EXE_FROM_MEMFD))
	end)
end)

describe("core: state a process changes for itself (spec/progs/procstate)", function()
	local r, mk

	setup(function()
		r = trace.run({ trace.prog("procstate"), "-a", "b c" }, { cwd = "/" })
		mk = {}
		for _, e in ipairs(r.events) do
			if e.type == "close" and e.raw.fd and e.raw.fd <= -6 then mk[-e.raw.fd] = e end
		end
	end)

	it("exits 0", function()
		assert.equal(0, r.status)
	end)

	-- comm stays what exec ran (a rule's identity); the name the process
	-- gives itself with prctl is live_comm (proc.comm)
	local rows = {
		-- marker close(-N): live_comm, cwd (with its slash, as Falco's proc.cwd)
		{ 6, "", "/" },
		{ 7, "renamed-by-prct", "/" },
		{ 8, "renamed-by-prct", "/usr/share/" },
		{ 9, "renamed-by-prct", "/etc/" },
	}
	for _, row in ipairs(rows) do
		it(string.format("at marker close(-%d): live_comm %q, cwd %q", row[1], row[2], row[3]), function()
			local e = mk[row[1]]
			assert.is_table(e)
			assert.equal("procstate", e.comm)
			assert.equal(row[2], e.live_comm)
			assert.equal(row[3], e.cwd)
			-- the cmdline the core builds is the exec's
			assert.equal("procstate -a b c", e.cmdline)
		end)
	end

	it("prctl(PR_SET_NAME) is seen with its option", function()
		local e = trace.find(r.events, "prctl")
		assert.equal(0, e.res)
		assert.equal(15, e.raw.option)
		assert.equal("15(PR_SET_NAME)", e.params.option)
	end)

	-- Falco's prctl has arg2_str, the string for PR_SET_NAME / PR_GET_NAME
	-- (not the pointer).
	it("prctl(PR_SET_NAME) renders arg2_str as the name, as Falco", function()
		local e = trace.find(r.events, "prctl")
		assert.equal("renamed-by-prctl", e.params.arg2_str)
	end)
end)

describe("core: setresuid in a child (spec/progs/setuid)", function()
	local r, root

	setup(function()
		root = trace.sh("id -u") == "0"
		if root then
			r = trace.run({ trace.prog("setuid") },
				{ types = { setresuid = true, setresgid = true, write = true, clone = true } })
		end
	end)

	before_each(function()
		if not root then pending("needs root") end
	end)

	it("exits 0", function()
		assert.equal(0, r.status)
	end)

	it("the child's setresgid then setresuid(1000,1000,1000) succeed", function()
		local g = trace.find(r.events, "setresgid")
		local u = trace.find(r.events, "setresuid")
		assert.same({ 0, 1000, 1000, 1000 }, { g.res, g.raw.rgid, g.raw.egid, g.raw.sgid })
		assert.same({ 0, 1000, 1000, 1000 }, { u.res, u.raw.ruid, u.raw.euid, u.raw.suid })
		assert.equal(1000, g.gid)
		assert.equal(0, g.uid)
		assert.same({ 1000, 1000, 1000, 1000 }, { u.uid, u.ruid, u.gid, u.rgid })
	end)

	it("the child's write after it carries uid/gid 1000, the parent's write after it still 0", function()
		local u = trace.find(r.events, "setresuid")
		local cw = trace.find(r.events, function(e) return e.type == "write" and e.raw.data == "ch" end)
		local pw = trace.find(r.events, function(e) return e.type == "write" and e.raw.data == "par" end)
		assert.equal(u.tid, cw.tid)
		assert.same({ 1000, 1000, 1000, 1000 }, { cw.uid, cw.ruid, cw.gid, cw.rgid })
		assert.equal(r.pid, pw.tid)
		assert.same({ 0, 0, 0, 0 }, { pw.uid, pw.ruid, pw.gid, pw.rgid })
	end)
end)
