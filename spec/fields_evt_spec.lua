-- evt.* and syscall.type over hand-built events.
local ffi = require "ffi"
local H = require "spec.fields_helper"
local fields = require "lanner.fields"
local format = require "lanner.format"

pcall(ffi.cdef, "int setenv(const char *, const char *, int); void tzset(void);")

-- Local-time fields are checked in UTC.
ffi.C.setenv("TZ", "UTC", 1)
ffi.C.tzset()

local TS = 1700000000123456789ULL -- 2023-11-14 22:13:20.123456789 UTC

local function text(ev, name)
	return format.field_text(assert(fields.resolve(name)), ev)
end

describe("evt fields", function()
	local proc, thread
	before_each(function()
		H.reset()
		proc = H.proc { pid = 200, comm = "cat", cwd = "/root" }
		thread = H.thread { proc = proc }
	end)

	local function open_ev(t)
		t.type = t.type or "openat"
		t.thread = t.thread or thread
		t.ts = t.ts or TS
		return H.event(t)
	end

	it("times", function()
		local ev = open_ev { res = 3, params = { name = "/x", dirfd = -100 } }
		local rows = {
			{ "evt.time", "22:13:20.123456789" },
			{ "evt.time.s", "22:13:20" },
			{ "evt.time.iso8601", "2023-11-14T22:13:20.123456789+0000" },
			{ "evt.datetime", "2023-11-14 22:13:20.123456789" },
			{ "evt.datetime.s", "2023-11-14 22:13:20" },
			{ "evt.rawtime", "1700000000123456789" },
			{ "evt.rawtime.s", "1700000000" },
			{ "evt.rawtime.ns", "123456789" },
			{ "evt.outputtime", "22:13:20.123456789" },
		}
		for _, r in ipairs(rows) do assert.are.equal(r[2], text(ev, r[1]), r[1]) end
		assert.are.equal(1700000000, H.get(ev, "evt.rawtime.s"))
		-- nanoseconds print padded to 9 digits, as sinsp's PF_10_PADDED_DEC
		local ev5 = open_ev { ts = 1700000000000000005ULL, res = 3 }
		assert.are.equal("000000005", text(ev5, "evt.rawtime.ns"))
		assert.are.equal(5, H.get(ev5, "evt.rawtime.ns"))
	end)

	it("evt.outputtime follows the time mode (sysdig -t)", function()
		fields.set_capture_start(TS - 2500000000ULL)
		local ev = open_ev { res = 3, latency = 1500 }
		fields.set_time_mode("a")
		assert.are.equal("1700000000.123456789", text(ev, "evt.outputtime"))
		fields.set_time_mode("r")
		assert.are.equal("2.500000000", text(ev, "evt.outputtime"))
		fields.set_time_mode("d")
		assert.are.equal("0.000001500", text(ev, "evt.outputtime"))
		fields.set_time_mode("h")
		assert.are.equal("22:13:20.123456789", text(ev, "evt.outputtime"))
		assert.has_error(function() fields.set_time_mode("x") end)
		assert.are.equal(2500000000, H.get(ev, "evt.reltime"))
		assert.are.equal(2, H.get(ev, "evt.reltime.s"))
		assert.are.equal(500000000, H.get(ev, "evt.reltime.ns"))
		fields.set_capture_start(nil)
	end)

	it("latency and delta", function()
		local ev = open_ev { res = 3, latency = 2000000123 }
		assert.are.equal(2000000123, H.get(ev, "evt.latency"))
		assert.are.equal(2, H.get(ev, "evt.latency.s"))
		assert.are.equal("000000123", text(ev, "evt.latency.ns"))
		assert.are.equal("2.00s", H.get(ev, "evt.latency.human"))
		local e1 = open_ev { ts = 1000ULL, res = 3 }
		local e2 = open_ev { ts = 1700ULL, res = 3 }
		assert.are.equal(0, H.get(e1, "evt.deltatime"))
		assert.are.equal(700, H.get(e2, "evt.deltatime"))
		-- asking again for the same event does not move the reference
		assert.are.equal(700, H.get(e2, "evt.deltatime"))
	end)

	it("type, direction, category, cpu", function()
		local ev = open_ev { res = 3, cpu = 3 }
		assert.are.equal("openat", H.get(ev, "evt.type"))
		assert.are.equal("openat", H.get(ev, "syscall.type"))
		assert.are.equal("<", H.get(ev, "evt.dir"))
		assert.are.equal(3, H.get(ev, "evt.cpu"))
		assert.are.equal("file", H.get(ev, "evt.category"))
		assert.are.equal(1, H.get(ev, "evt.type.is.openat"))
		assert.are.equal(0, H.get(ev, "evt.type.is.read"))
		local entry = open_ev { cpu = -1 }
		assert.are.equal(">", H.get(entry, "evt.dir"))
		assert.is_nil(H.get(entry, "evt.cpu"))
		local pe = H.event { type = "procexit", thread = thread }
		assert.are.equal("procexit", H.get(pe, "evt.type"))
		assert.is_nil(H.get(pe, "syscall.type"))
		assert.are.equal("process", H.get(pe, "evt.category"))
		assert.are.equal("memory", H.get(H.event { type = "mmap", res = 4096 }, "evt.category"))
		assert.are.equal("net", H.get(H.event { type = "socket", res = 3 }, "evt.category"))
	end)

	it("I/O events take their category from the fd", function()
		local rows = {
			{ "IPV4", "net" }, { "IPV6", "net" }, { "FILE", "file" }, { "PIPE", "ipc" },
			{ "UNIX", "ipc" }, { "EVENTPOLL", "unknown" },
		}
		for _, r in ipairs(rows) do
			local ev = H.event { type = "read", res = 1, thread = thread, fd = H.fd { type = r[1] } }
			assert.are.equal(r[2], H.get(ev, "evt.category"), r[1])
		end
		assert.are.equal("unknown", H.get(H.event { type = "write", res = 1 }, "evt.category"))
		-- close, dup, fcntl are I/O events too (Falco's EC_IO_OTHER)
		local pipe_close = H.event { type = "close", res = 0, thread = thread, fd = H.fd { type = "PIPE" } }
		assert.are.equal("ipc", H.get(pipe_close, "evt.category"))
		assert.are.equal("file", H.get(H.event { type = "fcntl", res = 0, thread = thread, fd = H.fd { type = "FILE" } },
			"evt.category"))
	end)

	it("arguments, rendered and raw", function()
		local fd = H.fd { num = 3, name = "/etc/passwd" }
		local ev = open_ev { res = 3, fd = fd, params = { dirfd = -100, name = "/etc/passwd", flags = 65, mode = 420 } }
		assert.are.equal("fd=3(<f>/etc/passwd) dirfd=-100(AT_FDCWD) name=/etc/passwd "
			.. "flags=65(O_WRONLY|O_CREAT) mode=0644 dev=0x0 ino=0 ", H.get(ev, "evt.args"))
		assert.are.equal(H.get(ev, "evt.args"), H.get(ev, "evt.info"))
		assert.are.equal("<f>/etc/passwd", H.get(ev, "evt.arg.fd"))
		assert.are.equal("/etc/passwd", H.get(ev, "evt.arg.name"))
		assert.are.equal("/etc/passwd", H.get(ev, "evt.arg[2]"))
		assert.are.equal("AT_FDCWD", H.get(ev, "evt.arg.dirfd"))
		assert.are.equal("O_WRONLY|O_CREAT", H.get(ev, "evt.arg.flags"))
		assert.are.equal("0644", H.get(ev, "evt.arg.mode"))
		assert.are.equal(65, H.get(ev, "evt.rawarg.flags"))
		assert.are.equal(3, H.get(ev, "evt.rawarg.fd"))
		assert.are.equal("/etc/passwd", H.get(ev, "evt.rawarg.name"))
		assert.is_nil(H.get(ev, "evt.arg.size"))  -- not an openat argument
		assert.is_nil(H.get(H.event { type = "close", res = 0 }, "evt.arg[6]"))
		assert.is_nil(fields.resolve("evt.arg[9]"))  -- no type has 10 arguments
		local failed = open_ev { res = -2, params = { name = "/nope", dirfd = -100 } }
		assert.are.equal("ENOENT", H.get(failed, "evt.arg.fd"))
		assert.are.equal(-2, H.get(failed, "evt.rawarg.fd"))
		-- without the exit stop, the result argument has no value
		local entry = open_ev { params = { name = "/x", dirfd = -100 } }
		assert.is_nil(H.get(entry, "evt.arg.fd"))
		assert.are.equal("/x", H.get(entry, "evt.arg.name"))
		assert.are.equal("dirfd=-100(AT_FDCWD) name=/x flags=0(O_RDONLY) mode=0 ", H.get(entry, "evt.args"))
	end)

	it("argument specs know their types and whether they need the exit", function()
		local s = assert(fields.resolve("evt.rawarg.flags"))
		assert.are.equal("number", s.type)
		assert.is_true(s.types.openat and s.types.open and true)
		assert.is_nil(s.types.read)
		assert.are.equal("string", assert(fields.resolve("evt.rawarg.name")).type)
		-- addr is a sockaddr in connect and a pointer in mmap: a string always
		local addr = assert(fields.resolve("evt.rawarg.addr"))
		assert.are.equal("string", addr.type)
		assert.are.equal("4096", addr.get(H.event { type = "mmap", res = 0, params = { addr = 4096 } }))
		assert.are.equal("\2\0", addr.get(H.event { type = "connect", res = 0, params = { addr = "\2\0" } }))
		local fdarg = assert(fields.resolve("evt.arg.fd"))
		assert.is_true(fdarg.needs_exit.openat)  -- openat's fd is its result
		assert.is_nil(fdarg.needs_exit.read)     -- read's fd is an argument
		assert.is_nil(assert(fields.resolve("evt.arg.name")).needs_exit)
		assert.are.equal(assert(fields.resolve("evt.arg.fd")), assert(fields.resolve("evt.arg", "fd")))
		assert.are.equal("evt.arg[1]", assert(fields.resolve("evt.arg", 1)).name)
	end)

	it("results", function()
		local ok = open_ev { res = 3 }
		local bad = open_ev { res = -13 }
		local entry = open_ev {}
		local ex = H.event { type = "exit_group", thread = thread, params = { status = 1 } }
		local rows = {
			{ ok, "evt.res", "SUCCESS" }, { bad, "evt.res", "EACCES" }, { entry, "evt.res", nil },
			{ ex, "evt.res", nil },
			{ ok, "evt.rawres", 3 }, { bad, "evt.rawres", -13 }, { entry, "evt.rawres", nil },
			{ ok, "evt.failed", false }, { bad, "evt.failed", true }, { entry, "evt.failed", nil },
			{ ex, "evt.failed", false },
			{ bad, "evt.count.error", 1 }, { ok, "evt.count.error", nil },
			{ ok, "evt.count.exit", 1 }, { entry, "evt.count.exit", nil }, { entry, "evt.count", 1 },
		}
		for _, r in ipairs(rows) do assert.are.equal(r[3], H.get(r[1], r[2]), r[2]) end
	end)

	it("I/O flags, buffer and buffer length", function()
		local fd = H.fd { num = 4, name = "/tmp/f" }
		local w = H.event { type = "write", thread = thread, fd = fd, res = 11, params = { fd = 4, data = "hello\0world", size = 11 } }
		local r = H.event { type = "read", thread = thread, fd = fd, params = { fd = 4, size = 100 } }
		local rows = {
			{ w, "evt.is_io", true }, { w, "evt.is_io_write", true }, { w, "evt.is_io_read", false },
			{ w, "evt.io_dir", "write" }, { r, "evt.io_dir", "read" }, { r, "evt.is_io_read", true },
			{ w, "evt.buflen", 11 }, { r, "evt.buflen", nil }, { w, "evt.buffer", "hello\0world" },
			{ r, "evt.buffer", nil }, -- read's data comes at exit
		}
		for _, row in ipairs(rows) do assert.are.equal(row[3], H.get(row[1], row[2]), row[2]) end
		assert.are.equal("hello.world", text(w, "evt.buffer"))
		local o = open_ev { res = 3 }
		assert.are.equal(false, H.get(o, "evt.is_io"))
		assert.is_nil(H.get(o, "evt.io_dir"))
		assert.is_nil(H.get(o, "evt.buflen"))
		local nofd = H.event { type = "write", thread = thread, res = 3, params = { data = "abc" } }
		assert.is_nil(H.get(nofd, "evt.buflen"))
		local syslog = H.event { type = "write", thread = thread, res = 3, fd = H.fd { type = "UNIX", name = "/dev/log" } }
		assert.is_true(H.get(syslog, "evt.is_syslog"))
		assert.is_false(H.get(w, "evt.is_syslog"))
	end)

	it("open flags: read, write, create, exec", function()
		local O_WRONLY, O_RDWR, O_CREAT, O_TMPFILE = 1, 2, 64, 4259840
		local rows = {
			-- flags, mode, read, write, create, exec
			{ 0, 0, true, false, false, false },
			{ O_WRONLY, 0, false, true, false, false },
			{ O_RDWR, 0, true, true, false, false },
			{ O_WRONLY + O_CREAT, 493, false, true, true, true },   -- 0755
			{ O_WRONLY + O_CREAT, 420, false, true, true, false },  -- 0644
			{ O_RDWR + O_TMPFILE, 448, true, true, true, true },    -- 0700, fd 3
		}
		for i, r in ipairs(rows) do
			local ev = open_ev { res = 3, params = { flags = r[1], mode = r[2], name = "/x", dirfd = -100 } }
			assert.are.equal(r[3], H.get(ev, "evt.is_open_read"), "read " .. i)
			assert.are.equal(r[4], H.get(ev, "evt.is_open_write"), "write " .. i)
			assert.are.equal(r[5], H.get(ev, "evt.is_open_create"), "create " .. i)
			assert.are.equal(r[6], H.get(ev, "evt.is_open_exec"), "exec " .. i)
		end
		-- a failed O_TMPFILE created nothing
		local tmpfail = open_ev { res = -21, params = { flags = O_RDWR + O_TMPFILE, name = "/x" } }
		assert.is_false(H.get(tmpfail, "evt.is_open_create"))
		-- creat is open(O_WRONLY|O_CREAT|O_TRUNC)
		local creat = H.event { type = "creat", thread = thread, res = 3, params = { name = "/x", mode = 493 } }
		assert.is_true(H.get(creat, "evt.is_open_write"))
		assert.is_true(H.get(creat, "evt.is_open_create"))
		assert.is_true(H.get(creat, "evt.is_open_exec"))
		-- openat2 carries its flags in struct open_how
		local how = H.bytes("uint64_t[3]", { O_RDWR, 0, 0 })
		local o2 = H.event { type = "openat2", thread = thread, res = 3, params = { name = "/x", flags = how } }
		assert.is_true(H.get(o2, "evt.is_open_read"))
		assert.is_true(H.get(o2, "evt.is_open_write"))
		local rd = H.event { type = "read", thread = thread, res = 3 }
		assert.is_false(H.get(rd, "evt.is_open_read"))
		local s = assert(fields.resolve("evt.is_open_write"))
		assert.is_true(s.types.openat and s.types.openat2 and s.types.creat and true)
		assert.is_nil(s.types.read)
	end)

	it("evt.abspath resolves against dirfd or cwd", function()
		local dir = H.fd { num = 5, type = "DIRECTORY", name = "/srv" }
		H.world { procs = { proc }, fds = { [200] = { [5] = dir } } }
		local ev = H.event { type = "renameat", thread = thread, res = 0,
			params = { olddirfd = 5, oldpath = "a/../b", newdirfd = -100, newpath = "c" } }
		assert.are.equal("/srv/b", H.get(ev, "evt.abspath"))
		assert.are.equal("/srv/b", H.get(ev, "evt.abspath.src"))
		assert.are.equal("/root/c", H.get(ev, "evt.abspath.dst"))
		local abs = H.event { type = "unlinkat", thread = thread, res = 0, params = { dirfd = 7, name = "/etc/x" } }
		assert.are.equal("/etc/x", H.get(abs, "evt.abspath"))
		local unknown = H.event { type = "unlinkat", thread = thread, res = 0, params = { dirfd = 9, name = "y" } }
		assert.is_nil(H.get(unknown, "evt.abspath"))
		assert.is_nil(H.get(H.event { type = "read", thread = thread }, "evt.abspath"))
	end)

	it("constant fields", function()
		local ev = open_ev { res = 3 }
		assert.are.equal("syscall", H.get(ev, "evt.source"))
		assert.is_false(H.get(ev, "evt.is_async"))
		assert.is_string(H.get(ev, "evt.hostname"))
		assert.is_nil(H.get(ev, "evt.pluginname"))
	end)
end)
