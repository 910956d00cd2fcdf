-- The core tracer on file syscalls: spec/progs/fileops.c run in a fresh
-- directory, every syscall traced at exit.  Checks the event sequence,
-- Falco's argument names with the values rendered by src/render/render.c, results
-- and errors, and the fd and cwd state the events carry.
local trace = require "spec.helpers.trace"
local bit = require "bit"

local O_WRONLY, O_CREAT, O_TRUNC, O_CLOEXEC = 1, 64, 512, 524288

describe("core: file syscalls (spec/progs/fileops)", function()
	local D, r, ev, ino

	setup(function()
		D = trace.mkdtemp()
		r = trace.run({ trace.prog("fileops"), D })
		-- the program's own part starts at its chdir into D
		local _, first = trace.find(r.events, function(e) return e.type == "chdir" and e.raw.path == D end)
		ev = {}
		for i = first or #r.events + 1, #r.events do ev[#ev + 1] = r.events[i] end
		ino = tonumber((trace.sh("stat -c %i " .. trace.shell_quote(D .. "/a.txt"))))
	end)

	teardown(function()
		if D then trace.rmrf(D) end
	end)

	it("exits 0 (every call returned what the program expected)", function()
		assert.equal(0, r.status)
		assert.is_false(r.timed_out)
	end)

	-- One row per syscall the program makes after its chdir, in order.
	-- params: rendered text by Falco argument name (%D is the directory);
	-- raw: raw values; fd: the event's fd state (name, type).
	local rows = {
		{ "chdir", params = { res = "0", path = "%D" }, cwd = "%D/" },
		{ "openat", params = { fd = "3(<f>%D/a.txt)", dirfd = "-100(AT_FDCWD)", name = "a.txt",
			flags = "577(O_WRONLY|O_CREAT|O_TRUNC)", mode = "0640" }, fd = { "%D/a.txt", "file" } },
		{ "write", params = { res = "6", data = "hello.", fd = "3(<f>%D/a.txt)", size = "6" } },
		{ "pwrite64", params = { res = "2", data = "XY", fd = "3(<f>%D/a.txt)", size = "2", pos = "100" } },
		{ "writev", params = { res = "4", data = "abcd", fd = "3(<f>%D/a.txt)", iovcnt = "2" } },
		{ "close", params = { res = "0", fd = "3(<f>%D/a.txt)" }, fd = { "%D/a.txt", "file" } },
		{ "open", params = { fd = "3(<f>%D/a.txt)", name = "a.txt", flags = "0(O_RDONLY)" } },
		{ "read", params = { res = "6", data = "hello.", fd = "3(<f>%D/a.txt)", size = "6" } },
		{ "pread64", params = { res = "2", data = "XY", size = "2", pos = "100" } },
		{ "readv", params = { res = "4", data = "abcd", iovcnt = "2" } },
		{ "dup", params = { res = "4(<f>%D/a.txt)" }, raw = { oldfd = 3 } },
		{ "dup2", params = { res = "100(<f>%D/a.txt)" }, raw = { oldfd = 3, newfd = 100 } },
		{ "dup3", params = { res = "101(<f>%D/a.txt)", flags = "524288(O_CLOEXEC)" }, raw = { oldfd = 3, newfd = 101 } },
		{ "fcntl", params = { res = "200", fd = "3(<f>%D/a.txt)", cmd = "0(F_DUPFD)" } },
		{ "close", params = { res = "0", fd = "4(<f>%D/a.txt)" } },
		{ "close", params = { res = "0", fd = "100(<f>%D/a.txt)" } },
		{ "close", params = { res = "0", fd = "101(<f>%D/a.txt)" } },
		{ "close", params = { res = "0", fd = "200(<f>%D/a.txt)" } },
		{ "creat", params = { fd = "4(<f>%D/b.txt)", name = "b.txt", mode = "0600" }, fd = { "%D/b.txt", "file" } },
		{ "close", params = { res = "0", fd = "4(<f>%D/b.txt)" } },
		{ "openat", params = { fd = "-2(ENOENT)", name = "missing/nofile", flags = "0(O_RDONLY)" }, res = -2 },
		{ "write", params = { res = "-9(EBADF)", fd = "999", data = "x" }, res = -9 },
		{ "close", params = { res = "-9(EBADF)", fd = "999" }, res = -9 },
		{ "pipe", params = { res = "0", fds = "[4,5]" } },
		{ "pipe2", params = { res = "0", fds = "[6,7]", flags = "526336(O_NONBLOCK|O_CLOEXEC)" } },
		{ "close", raw = { fd = 4 }, fd = { "pipe:", "pipe" } },
		{ "close", raw = { fd = 5 }, fd = { "pipe:", "pipe" } },
		{ "close", raw = { fd = 6 }, fd = { "pipe:", "pipe" } },
		{ "close", raw = { fd = 7 }, fd = { "pipe:", "pipe" } },
		{ "mkdir", params = { res = "0", path = "d", mode = "0750" } },
		{ "rmdir", params = { res = "0", path = "d" } },
		{ "mkdir", params = { res = "0", path = "d2", mode = "0755" } },
		{ "rename", params = { res = "0", oldpath = "b.txt", newpath = "c.txt" } },
		{ "unlink", params = { res = "0", path = "c.txt" } },
		{ "unlink", params = { res = "-2(ENOENT)", path = "c.txt" } },
		{ "symlink", params = { res = "0", target = "a.txt", linkpath = "sl" } },
		{ "link", params = { res = "0", oldpath = "a.txt", newpath = "hl" } },
		{ "openat", params = { fd = "4(<f>%D/a.txt)", name = "sl", flags = "0(O_RDONLY)" }, fd = { "%D/a.txt", "file" } },
		{ "fchmod", params = { res = "0", fd = "4(<f>%D/a.txt)", mode = "0644" } },
		{ "close", params = { res = "0", fd = "4(<f>%D/a.txt)" } },
		{ "chmod", params = { res = "0", filename = "a.txt", mode = "0600" } },
		{ "truncate", params = { res = "0", path = "a.txt", length = "3" } },
		{ "chdir", params = { res = "0", path = "d2" }, cwd = "%D/d2/" },
		{ "chdir", params = { res = "-2(ENOENT)", path = "/nonexistent-lanner-dir" }, cwd = "%D/d2/" },
		{ "openat", params = { fd = "4(<f>%D/hl)", name = "../hl" }, fd = { "%D/hl", "file" }, cwd = "%D/d2/" },
		{ "close", params = { res = "0", fd = "4(<f>%D/hl)" } },
		{ "close", params = { res = "0", fd = "3(<f>%D/a.txt)" } },
		{ "exit_group", params = { status = "0" } },
		{ "procexit", params = { status = "0", ret = "0", sig = "0" } },
	}

	local function sub(s)
		if type(s) ~= "string" then return s end
		return (s:gsub("%%D", function() return D end))
	end

	it("makes exactly the expected sequence of syscalls, in order", function()
		local got, want = {}, {}
		for i, e in ipairs(ev) do got[i] = e.type end
		for i, row in ipairs(rows) do want[i] = row[1] end
		assert.same(want, got)
	end)

	it("all on the one thread of the one process", function()
		for _, e in ipairs(ev) do
			assert.equal(r.pid, e.tid)
			assert.equal(r.pid, e.pid)
		end
	end)

	for i, row in ipairs(rows) do
		it(string.format("event %d: %s has the expected arguments and state", i, row[1]), function()
			local e = ev[i]
			assert.is_not_nil(e, "no event " .. i)
			assert.equal(row[1], e.type)
			for name, want in pairs(row.params or {}) do
				assert.equal(sub(want), e.params[name], row[1] .. " " .. name)
			end
			for name, want in pairs(row.raw or {}) do
				assert.equal(want, e.raw[name], row[1] .. " raw " .. name)
			end
			if row.res then assert.equal(row.res, e.res) end
			if row.fd then
				assert.is_table(e.fd, "no fd state")
				local name = sub(row.fd[1])
				if name:sub(-1) == ":" then
					assert.equal(name, e.fd.name:sub(1, #name))
				else
					assert.equal(name, e.fd.name)
				end
				assert.equal(row.fd[2], e.fd.type)
			end
			if row.cwd then assert.equal(sub(row.cwd), e.cwd) end
		end)
	end

	it("every param of every event has Falco's argument name (no empty names)", function()
		for _, e in ipairs(ev) do
			for _, n in ipairs(e.pnames) do assert.truthy(n:match("^[%w_]+$"), e.type) end
		end
	end)

	it("results are numbers, and -errno on failure", function()
		local want = {}
		for _, e in ipairs(ev) do
			if e.type ~= "exit_group" and e.type ~= "procexit" then
				assert.is_number(e.res, e.type .. " has no result")
			end
		end
		for i, row in ipairs(rows) do if row.res then want[#want + 1] = { i, row.res } end end
		for _, w in ipairs(want) do assert.equal(w[2], ev[w[1]].res) end
	end)

	it("the created file's fd keeps its open flags, and open reports dev and inode", function()
		local e = ev[2]
		assert.equal(O_WRONLY + O_CREAT + O_TRUNC, e.fd.flags)
		assert.equal(ino, e.raw.ino)
		assert.is_true(e.raw.dev ~= 0)
		assert.equal(ino, e.fd.ino)
	end)

	it("dup3 with O_CLOEXEC gives the copy O_CLOEXEC and keeps the original's name", function()
		local e = ev[13]
		assert.equal(101, e.fd.num)
		assert.equal(D .. "/a.txt", e.fd.name)
		assert.equal(O_CLOEXEC, bit.band(e.fd.flags, O_CLOEXEC))
	end)

	it("both ends of a pipe name the same pipe inode", function()
		local a, b = ev[26], ev[27]
		assert.truthy(a.fd.name:match("^pipe:%[%d+%]$"), a.fd.name)
		assert.equal(a.fd.name, b.fd.name)
		assert.is_true(ev[28].fd.name ~= a.fd.name)
	end)

	it("an open through a symlink names the target, with the target's inode", function()
		local e = ev[38]
		assert.equal(D .. "/a.txt", e.fd.name)
		assert.equal(ino, e.raw.ino)
	end)

	it("a relative open after chdir has the absolute name (hard link names itself)", function()
		local e = ev[45]
		assert.equal("../hl", e.raw.name)
		assert.equal(D .. "/hl", e.fd.name)
		assert.equal(ino, e.raw.ino)
	end)

	it("a failed open makes no fd and the event has none", function()
		local e = ev[21]
		assert.equal(-2, e.res)
		assert.is_nil(e.fd)
		assert.equal(-1, e.fdnum)
	end)

	-- Falco (driver's open_modes_to_scap) reports mode 0 when the flags have
	-- neither O_CREAT nor O_TMPFILE: the register then holds whatever the
	-- caller left in it (fileops calls open() and openat() with no mode).
	it("mode is 0 when the flags have no O_CREAT or O_TMPFILE, as in Falco", function()
		for _, i in ipairs { 7, 21, 38, 45 } do
			local e = ev[i]
			assert.equal(0, e.raw.mode, e.type .. " " .. tostring(e.raw.name) .. " mode")
			assert.equal("0", e.params.mode)
		end
	end)

	it("leaves no traced, stopped or zombie process behind", function()
		assert.same({}, trace.leftovers())
	end)
end)

describe("core: entry-only tracing (spec/progs/fileops, mode entry)", function()
	local D, r, ev

	setup(function()
		D = trace.mkdtemp()
		r = trace.run({ trace.prog("fileops"), D }, { mode = "entry", types = { openat = true, write = true, close = true } })
		ev = trace.select(r.events, function(e) return e.type == "openat" and e.raw.name == "a.txt" end)
	end)

	teardown(function()
		if D then trace.rmrf(D) end
	end)

	it("still runs the program to its end", function()
		assert.equal(0, r.status)
		assert.equal(0, r.stats.stops_exit)
	end)

	it("events carry the arguments but no result (evt.res <NA>)", function()
		assert.equal(1, #ev)
		local e = ev[1]
		assert.equal(0, e.has_res)
		assert.is_nil(e.res)
		assert.is_nil(e.raw.fd)
		assert.equal(577, e.raw.flags)
		assert.equal(tonumber("640", 8), e.raw.mode)
		assert.is_nil(e.params.fd)
		assert.equal("a.txt", e.params.name)
	end)

	it("a write's data is read at entry, and nothing the kernel fills is", function()
		local w = trace.find(r.events, function(e) return e.type == "write" and e.raw.fd == 3 end)
		assert.equal("hello\n", w.raw.data)
		assert.is_nil(w.res)
	end)
end)
