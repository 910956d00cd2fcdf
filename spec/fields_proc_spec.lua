-- proc.* and thread.* over a hand-built process tree:
--   systemd(1) -> sshd(50, session leader of sid 50) -> bash(100) -> cat(200)
local H = require "spec.fields_helper"
local fields = require "lanner.fields"
local format = require "lanner.format"

describe("proc and thread fields", function()
	local init, sshd, bash, cat, thread, ev

	before_each(function()
		H.reset()
		init = H.proc { pid = 1, ppid = 0, comm = "systemd", exe = "/sbin/init", exepath = "/usr/lib/systemd/systemd", sid = 1 }
		sshd = H.proc { pid = 50, ppid = 1, comm = "sshd", exe = "sshd:", exepath = "/usr/sbin/sshd", args = { "user@pts/0" }, sid = 50 }
		bash = H.proc { pid = 100, ppid = 50, comm = "bash", exe = "-bash", exepath = "/usr/bin/bash", sid = 50, pgid = 100,
			start_ts = 1000 }
		cat = H.proc { pid = 200, ppid = 100, vpid = 7, comm = "cat", exe = "cat", exepath = "/usr/bin/cat",
			args = { "-n", "/etc/passwd" }, env = { "HOME=/root", "PATH=/bin:/usr/bin", "EMPTY=" },
			cwd = "/home/u", sid = 50, pgid = 200, tty = 34816, nthreads = 3, nfds = 5,
			start_ts = 500, flags = 1 + 4 }
		H.world { procs = { init, sshd, bash, cat } }
		thread = H.thread { tid = 201, vtid = 8, proc = cat, uid = 1000,
			cap_effective = 0x2001ULL, cap_permitted = 0x8000010000000000ULL, cap_inheritable = 0 }
		ev = H.event { type = "read", thread = thread, res = 0, ts = 2500ULL }
	end)

	it("reads the process and its parent", function()
		local rows = {
			{ "proc.name", "cat" }, { "proc.exe", "cat" }, { "proc.exepath", "/usr/bin/cat" },
			{ "proc.args", "-n /etc/passwd" }, { "proc.cmdline", "cat -n /etc/passwd" },
			{ "proc.exeline", "cat -n /etc/passwd" }, { "proc.cmdnargs", 2 }, { "proc.cmdlenargs", 13 },
			{ "proc.pid", 200 }, { "proc.ppid", 100 }, { "proc.vpid", 7 }, { "proc.pvpid", 100 },
			{ "proc.sid", 50 }, { "proc.pgid", 200 }, { "proc.vpgid", 200 }, { "proc.tty", 34816 },
			{ "proc.cwd", "/home/u/" },
			{ "proc.env", "HOME=/root PATH=/bin:/usr/bin EMPTY=" },
			{ "proc.env[HOME]", "/root" }, { "proc.env[PATH]", "/bin:/usr/bin" }, { "proc.env[EMPTY]", "" },
			{ "proc.env[NOPE]", nil }, { "proc.env[HOM]", nil },
			{ "proc.args[0]", "-n" }, { "proc.args[1]", "/etc/passwd" }, { "proc.args[2]", nil },
			{ "proc.pname", "bash" }, { "proc.pexe", "-bash" }, { "proc.pexepath", "/usr/bin/bash" },
			{ "proc.pcmdline", "bash" },
			{ "proc.sname", "sshd" }, { "proc.sid.exe", "sshd:" }, { "proc.sid.exepath", "/usr/sbin/sshd" },
			{ "proc.vpgid.name", "cat" }, { "proc.is_sid_leader", false }, { "proc.is_vpgid_leader", false },
			{ "proc.loginshellid", 100 },
			{ "proc.duration", 2000 }, { "proc.ppid.duration", 1500 }, { "proc.pid.ts", 500 }, { "proc.ppid.ts", 1000 },
			{ "proc.is_exe_from_memfd", true }, { "proc.is_exe_writable", false }, { "proc.is_exe_upper_layer", false },
			{ "proc.fdopencount", 5 }, { "proc.nthreads", 3 }, { "proc.nchilds", 2 },
			{ "thread.tid", 201 }, { "thread.vtid", 8 }, { "thread.ismain", false }, { "thread.nametid", "cat201" },
			{ "thread.cap_effective", "CAP_CHOWN CAP_NET_RAW" },
			{ "thread.cap_permitted", "CAP_CHECKPOINT_RESTORE" }, { "thread.cap_inheritable", "" },
		}
		for _, r in ipairs(rows) do assert.are.equal(r[2], H.get(ev, r[1]), r[1]) end
	end)

	it("walks ancestors by level and as a list", function()
		local rows = {
			{ "proc.aname[0]", "cat" }, { "proc.aname[1]", "bash" }, { "proc.aname[2]", "sshd" },
			{ "proc.aname[3]", "systemd" }, { "proc.aname[4]", nil }, { "proc.apid[2]", 50 },
			{ "proc.aexe[1]", "-bash" }, { "proc.aexepath[3]", "/usr/lib/systemd/systemd" },
			{ "proc.acmdline[2]", "sshd user@pts/0" },
		}
		for _, r in ipairs(rows) do assert.are.equal(r[2], H.get(ev, r[1]), r[1]) end
		-- without an index: every ancestor from the parent up, as Falco
		local any = assert(fields.resolve("proc.aname"))
		assert.is_true(any.multi)
		assert.are.same({ "bash", "sshd", "systemd" }, any.values(ev))
		assert.are.equal("sshd", any.get(ev, nil, 2))
		assert.is_nil(any.get(ev, nil, 4))
		assert.are.same({ 100, 50, 1 }, assert(fields.resolve("proc.apid")).values(ev))
		assert.is_falsy(assert(fields.resolve("proc.aname[1]")).multi)
		assert.are.equal("(bash,sshd,systemd)", format.field_text(any, ev))
	end)

	it("stops where the lookup ends", function()
		fields.set_proc_lookup(nil)
		assert.are.equal("cat", H.get(ev, "proc.name"))
		assert.is_nil(H.get(ev, "proc.pname"))
		assert.is_nil(H.get(ev, "proc.aname[1]"))
		assert.are.same({}, assert(fields.resolve("proc.aname")).values(ev))
		-- a parent loop in a broken table cannot hang a filter
		local a = H.proc { pid = 300, ppid = 301, comm = "a" }
		local b = H.proc { pid = 301, ppid = 300, comm = "b" }
		H.world { procs = { a, b } }
		local looped = H.event { type = "read", thread = H.thread { proc = a }, res = 0 }
		assert.is_true(#assert(fields.resolve("proc.aname")).values(looped) <= 128)
	end)

	it("session leader falls back to the eldest ancestor of the session", function()
		-- the leader (pid 50) is gone: bash is the eldest with sid 50
		H.world { procs = { init, bash, cat } }
		bash.ppid = 1
		assert.are.equal("bash", H.get(ev, "proc.sname"))
	end)

	it("is missing, never raising, without a thread", function()
		local bare = H.event { type = "read", res = 0, tid = 42 }
		assert.are.equal(42, H.get(bare, "thread.tid"))
		for _, spec in ipairs(fields.list("proc.")) do
			assert.is_nil(spec.get(bare), spec.name)
		end
		for _, spec in ipairs(fields.list("thread.")) do
			if spec.name ~= "thread.tid" then assert.is_nil(spec.get(bare), spec.name) end
		end
	end)

	it("memory figures are the thread's record, not /proc when asked", function()
		-- this very process, whose /proc figures are not the record's
		local me = H.proc { pid = tonumber(io.open("/proc/self/stat"):read("*l"):match("^(%d+)")), comm = "me" }
		local main = H.event { type = "read", res = 0,
			thread = H.thread { proc = me, vm_size_kb = 7, vm_rss_kb = 5, vm_swap_kb = 3 } }
		assert.same({ 7, 5, 3, 7, 5 }, { H.get(main, "proc.vmsize"), H.get(main, "proc.vmrss"),
			H.get(main, "proc.vmswap"), H.get(main, "thread.vmsize"), H.get(main, "thread.vmrss") })
		-- another thread: its own proc.*, and thread.* 0, as libsinsp
		local other = H.event { type = "read", res = 0,
			thread = H.thread { proc = me, tid = me.pid + 1, vm_size_kb = 11, vm_rss_kb = 2 } }
		assert.same({ 11, 2, 0, 0 }, { H.get(other, "proc.vmsize"), H.get(other, "proc.vmrss"),
			H.get(other, "thread.vmsize"), H.get(other, "thread.vmrss") })
		local gone = H.event { type = "read", res = 0,
			thread = H.thread { proc = H.proc { pid = 999999999 }, vm_size_kb = 9 } }
		assert.equal(9, H.get(gone, "proc.vmsize"))
	end)

	it("strings made from exec data follow an exec", function()
		assert.are.equal("cat -n /etc/passwd", H.get(ev, "proc.cmdline"))
		-- what the core does at exec: new buffers, new exec time, new comm
		-- and the cmdline built from them (lanner.h)
		local other = H.proc { comm = "kitty", args = { "-l" }, env = { "HOME=/tmp" } }
		cat.args, cat.args_len, cat.env, cat.env_len = other.args, other.args_len, other.env, other.env_len
		cat.cmdline = other.cmdline
		cat.exec_ts = 3000
		local later = H.event { type = "read", thread = thread, res = 0 }
		assert.are.equal("kitty -l", H.get(later, "proc.cmdline"))
		assert.are.equal("-l", H.get(later, "proc.args"))
		assert.are.equal("/tmp", H.get(later, "proc.env[HOME]"))
	end)

	it("standard fds through the fd lookup", function()
		H.world { procs = { cat }, fds = { [200] = {
			[0] = H.fd { num = 0, type = "IPV4", name = "10.0.0.1:4444->10.0.0.2:5555" },
			[1] = H.fd { num = 1, type = "PIPE", name = "pipe:[123]", ino = 123, dev = 14 } } } }
		local rows = {
			{ "proc.stdin.type", "ipv4" }, { "proc.stdin.name", "10.0.0.1:4444->10.0.0.2:5555" },
			{ "proc.stdout.type", "pipe" }, { "proc.stdout.name", "pipe:[123]" },
			{ "proc.stderr.type", nil }, { "proc.stderr.name", nil },
			-- identity: the pipe's inode, nothing for an fd of unknown inode
			{ "proc.stdout.ino", 123 }, { "proc.stdout.dev", 14 }, { "proc.stdin.ino", nil },
			{ "proc.stderr.ino", nil },
		}
		for _, r in ipairs(rows) do assert.are.equal(r[2], H.get(ev, r[1]), r[1]) end
	end)

	it("proc fields need the exit of exec", function()
		local s = assert(fields.resolve("proc.name"))
		assert.is_true(s.needs_exit.execve and s.needs_exit.execveat and true)
		assert.is_nil(s.needs_exit.read)
	end)
end)
