-- fd.* over files, sockets in each role, and fds an event failed to make.
local H = require "spec.fields_helper"
local fields = require "lanner.fields"

local function rows_equal(ev, rows)
	for _, r in ipairs(rows) do assert.are.equal(r[2], H.get(ev, r[1]), r[1]) end
end

-- sockaddr_in bytes: family, port (network order), address, padding
local function sin(port, a, b, c, d)
	return string.char(2, 0, math.floor(port / 256), port % 256, a, b, c, d) .. string.rep("\0", 8)
end

describe("fd fields", function()
	local proc, thread
	before_each(function()
		H.reset()
		proc = H.proc { pid = 201, comm = "curl", cwd = "/home/u" }
		thread = H.thread { tid = 201, proc = proc }
	end)

	local function ev_on(fd, t)
		t = t or {}
		t.type = t.type or "read"
		t.thread = thread
		t.fd = fd
		if t.res == nil then t.res = 0 end
		return H.event(t)
	end

	it("files", function()
		-- st_dev of 8:1, then of 8:300 (minor bits above 8 sit at bit 20)
		local f = H.fd { num = 3, type = "FILE", name = "/etc/ssl/certs/ca.pem", ino = 1234, dev = 0x801 }
		rows_equal(ev_on(f), {
			{ "fd.num", 3 }, { "fd.type", "file" }, { "fd.typechar", "f" },
			{ "fd.name", "/etc/ssl/certs/ca.pem" }, { "fd.nameraw", "/etc/ssl/certs/ca.pem" },
			{ "fd.directory", "/etc/ssl/certs" }, { "fd.filename", "ca.pem" },
			{ "fd.ino", 1234 }, { "fd.dev", 0x801 }, { "fd.dev.major", 8 }, { "fd.dev.minor", 1 },
			{ "fd.l4proto", "<NA>" }, { "fd.sockfamily", nil }, { "fd.is_server", false },
			{ "fd.connected", false }, { "fd.cip", nil }, { "fd.sport", nil },
			{ "fd.uid", "2013" }, { "fd.containername", "host:/etc/ssl/certs/ca.pem" },
			{ "fd.containerdirectory", "host:/etc/ssl/certs" },
		})
		local big = H.fd { num = 3, dev = 0x10082c }
		rows_equal(ev_on(big), { { "fd.dev.major", 8 }, { "fd.dev.minor", 300 } })
		local root = H.fd { num = 3, name = "/x" }
		rows_equal(ev_on(root), { { "fd.directory", "/" }, { "fd.filename", "x" } })
		local dir = H.fd { num = 3, type = "DIRECTORY", name = "/var/log" }
		rows_equal(ev_on(dir), { { "fd.directory", "/var/log" }, { "fd.filename", nil }, { "fd.typechar", "d" } })
	end)

	it("are missing for events without an fd", function()
		local ev = H.event { type = "kill", thread = thread, res = 0, params = { pid = 1, sig = 9 } }
		for _, spec in ipairs(fields.list("fd.")) do
			if not spec.multi and not spec.arg then assert.is_nil(spec.get(ev), spec.name) end
		end
	end)

	it("a failed open reports the path it tried", function()
		local dir = H.fd { num = 7, type = "DIRECTORY", name = "/srv/data" }
		H.world { procs = { proc }, fds = { [201] = { [7] = dir } } }
		local ev = H.event { type = "openat", thread = thread, res = -2,
			params = { dirfd = 7, name = "sub//../f.txt", flags = 0 } }
		rows_equal(ev, {
			{ "fd.num", -1 }, { "fd.type", nil }, { "fd.typechar", "f" },
			{ "fd.name", "/srv/data/f.txt" }, { "fd.nameraw", "sub/../f.txt" },
			{ "fd.directory", "/srv/data" }, { "fd.filename", "f.txt" },
		})
		local cwd = H.event { type = "open", thread = thread, res = -13, params = { name = "a/./b" } }
		rows_equal(cwd, { { "fd.name", "/home/u/a/b" }, { "fd.filename", "b" } })
		-- a failed socket() has no name to report
		rows_equal(H.event { type = "socket", thread = thread, res = -97 }, { { "fd.name", "" }, { "fd.typechar", "4" } })
	end)

	it("a connected client", function()
		local s = H.fd { num = 5, type = "IPV4", connected = true, name = "10.0.0.5:40000->93.184.216.34:443",
			tuple = { family = 2, lip = { 10, 0, 0, 5 }, lport = 40000, rip = { 93, 184, 216, 34 }, rport = 443 } }
		local ev = ev_on(s, { type = "write", res = 10 })
		rows_equal(ev, {
			{ "fd.type", "ipv4" }, { "fd.typechar", "4" }, { "fd.name", "10.0.0.5:40000->93.184.216.34:443" },
			{ "fd.cip", "10.0.0.5" }, { "fd.sip", "93.184.216.34" }, { "fd.lip", "10.0.0.5" }, { "fd.rip", "93.184.216.34" },
			{ "fd.cport", 40000 }, { "fd.sport", 443 }, { "fd.lport", 40000 }, { "fd.rport", 443 },
			{ "fd.cnet", "10.0.0.5" }, { "fd.snet", "93.184.216.34" },
			{ "fd.sproto", "443" }, { "fd.l4proto", "tcp" }, { "fd.sockfamily", "ip" },
			{ "fd.is_server", false }, { "fd.connected", true }, { "fd.directory", nil }, { "fd.filename", nil },
		})
		local ip = assert(fields.resolve("fd.ip"))
		assert.are.equal("ipaddr", ip.type)
		assert.is_true(ip.multi)
		assert.are.same({ "10.0.0.5", "93.184.216.34" }, ip.values(ev))
		assert.are.equal("93.184.216.34", ip.get(ev, nil, 2))
		assert.are.same({ 40000, 443 }, assert(fields.resolve("fd.port")).values(ev))
		assert.are.equal("ipnet", assert(fields.resolve("fd.net")).type)
	end)

	it("an accepted connection: the tracee is the server", function()
		local s = H.fd { num = 6, type = "IPV6", is_server = true, connected = true,
			tuple = { family = 10, lip = { 0x20, 0x01, 0x0d, 0xb8, [16] = 1 }, lport = 80,
				rip = { [11] = 0xff, [12] = 0xff, [13] = 1, [14] = 2, [15] = 3, [16] = 4 }, rport = 5555, l4proto = "TCP" } }
		rows_equal(ev_on(s), {
			{ "fd.cip", "::ffff:1.2.3.4" }, { "fd.sip", "2001:db8::1" }, { "fd.lip", "2001:db8::1" },
			{ "fd.rip", "::ffff:1.2.3.4" }, { "fd.cport", 5555 }, { "fd.sport", 80 }, { "fd.lport", 80 },
			{ "fd.rport", 5555 }, { "fd.is_server", true }, { "fd.typechar", "6" },
		})
	end)

	it("an IPv6 socket talking IPv4 shows IPv4 addresses", function()
		local mapped = function(a, b, c, d) return { [11] = 0xff, [12] = 0xff, [13] = a, [14] = b, [15] = c, [16] = d } end
		local s = H.fd { num = 5, type = "IPV6", connected = true,
			tuple = { family = 10, lip = mapped(127, 0, 0, 1), lport = 40000,
				rip = mapped(169, 254, 169, 254), rport = 80, l4proto = "TCP" } }
		rows_equal(ev_on(s), {
			{ "fd.sip", "169.254.169.254" }, { "fd.cip", "127.0.0.1" }, { "fd.rip", "169.254.169.254" },
			{ "fd.typechar", "6" },
		})
	end)

	it("fd.procpid: the process a /proc file describes", function()
		rows_equal(ev_on(H.fd { num = 3, type = "FILE", name = "/proc/4242/environ" }), { { "fd.procpid", 4242 } })
		rows_equal(ev_on(H.fd { num = 3, type = "FILE", name = "/proc/42/task/43/mem" }), { { "fd.procpid", 42 } })
		rows_equal(ev_on(H.fd { num = 3, type = "FILE", name = "/proc/sys/kernel/hostname" }), { { "fd.procpid", nil } })
		rows_equal(ev_on(H.fd { num = 3, type = "FILE", name = "/srv/proc/42/x" }), { { "fd.procpid", nil } })
	end)

	it("a listening socket has only its server end", function()
		local s = H.fd { num = 3, type = "IPV4", is_server = true,
			tuple = { family = 2, lip = { 0, 0, 0, 0 }, lport = 8080, l4proto = "TCP" } }
		local ev = ev_on(s, { type = "accept4", res = -11 })
		rows_equal(ev, {
			{ "fd.sip", "0.0.0.0" }, { "fd.sport", 8080 }, { "fd.cip", nil }, { "fd.cport", nil },
			{ "fd.lip", nil }, { "fd.rip", nil }, { "fd.is_server", true }, { "fd.connected", false },
		})
		assert.are.same({ "0.0.0.0" }, assert(fields.resolve("fd.ip")).values(ev))
		assert.are.same({ 8080 }, assert(fields.resolve("fd.port")).values(ev))
	end)

	it("a socket with no peer has no addresses", function()
		local s = H.fd { num = 3, type = "IPV4", tuple = { family = 2, l4proto = "UDP" } }
		local ev = ev_on(s)
		rows_equal(ev, { { "fd.cip", nil }, { "fd.sip", nil }, { "fd.lport", nil }, { "fd.l4proto", "udp" } })
		assert.are.same({}, assert(fields.resolve("fd.ip")).values(ev))
		assert.is_nil(H.get(ev, "fd.ip"))
	end)

	it("a failed connect names the address it tried", function()
		local s = H.fd { num = 3, type = "IPV4", tuple = { family = 2, l4proto = "TCP" } }
		local ev = H.event { type = "connect", thread = thread, fd = s, res = -111,
			params = { fd = 3, addr = sin(443, 93, 184, 216, 34) } }
		assert.are.equal("93.184.216.34:443", H.get(ev, "fd.name"))
	end)

	it("unix sockets", function()
		local s = H.fd { num = 4, type = "UNIX", name = "/run/docker.sock" }
		rows_equal(ev_on(s), { { "fd.sockfamily", "unix" }, { "fd.is_server", false }, { "fd.typechar", "u" },
			{ "fd.name", "/run/docker.sock" }, { "fd.cip", nil } })
	end)

	it("fd.types lists the process's fd types", function()
		H.world { procs = { proc }, fds = { [201] = {
			[0] = H.fd { num = 0 }, [1] = H.fd { num = 1, type = "PIPE" }, [2] = H.fd { num = 2 },
			[3] = H.fd { num = 3, type = "IPV4" } } } }
		local ev = ev_on(nil, { type = "kill" })
		local all = assert(fields.resolve("fd.types"))
		assert.is_true(all.multi)
		assert.are.same({ "file", "pipe", "ipv4" }, all.values(ev))
		assert.are.equal("ipv4", H.get(ev, "fd.types[3]"))
		assert.are.equal("pipe", H.get(ev, "fd.types[1]"))
		assert.is_nil(H.get(ev, "fd.types[9]"))
		assert.is_falsy(assert(fields.resolve("fd.types[1]")).multi)
	end)

	it("fd fields need the exit of fd-creating calls", function()
		local s = assert(fields.resolve("fd.name"))
		assert.is_true(s.needs_exit.openat and s.needs_exit.socket and s.needs_exit.accept4 and true)
		assert.is_nil(s.needs_exit.read)
		assert.is_true(s.types.read and s.types.openat and true)
		assert.is_nil(s.types.kill)
	end)
end)
