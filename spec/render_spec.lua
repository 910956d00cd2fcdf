-- sysdig-style rendering of parameters (src/render/render.c): ln_param_format on
-- hand-built events, ln_tuple_format, ln_ip_format.  Values are Linux's
-- generic ones (x86_64, arm64); sockaddrs are built little-endian.
local ffi = require "ffi"
local bit = require "bit"

if not pcall(ffi.typeof, "ln_event") then
	ffi.cdef(dofile("build/lua/lanner/cdef.lua"))
end
local C = ffi.load(os.getenv("LANNER_LIB") or "build/liblanner.so")

local EINVAL, EAFNOSUPPORT = 22, 97
local K = setmetatable({}, { __index = function(_, k) return C["LN_K_" .. k] end })

-- Keeps every Lua string and cdata an event points to alive while the
-- spec runs: ln_param.str is a bare pointer.
local anchors = {}

-- params: list of { kind, val, bytes, flags }; opts: { fd = ln_fd fields,
-- res = result (sets has_res) }.
local function event(params, opts)
	opts = opts or {}
	local ev = ffi.new("ln_event")
	ev.nparams = #params
	for i, p in ipairs(params) do
		local q = ev.params[i - 1]
		q.kind = p[1]
		q.val = p[2] or 0
		if p[3] then
			anchors[#anchors + 1] = p[3]
			q.str = p[3]
			q.len = #p[3]
			q.flags = C.LN_PF_READ
		end
		q.flags = bit.bor(q.flags, p[4] or 0)
	end
	if opts.res then
		ev.res = opts.res
		ev.has_res = 1
	end
	if opts.fd then
		local fd = ffi.new("ln_fd", opts.fd)
		if opts.fd.name then
			anchors[#anchors + 1] = opts.fd.name
			fd.name = opts.fd.name
		end
		anchors[#anchors + 1] = fd
		ev.fd = fd
	end
	anchors[#anchors + 1] = ev
	return ev
end

local buf = ffi.new("char[1024]")

local function render(ev, i, n)
	n = n or 1024
	local r = C.ln_param_format(ev, i, buf, n)
	assert(r >= 0, "ln_param_format returned " .. r)
	local s = ffi.string(buf)
	assert.equal(#s, r)
	return s
end

-- One row: { kind, val, expected } or { kind, val, expected, bytes, flags }.
local function check_rows(rows, opts)
	for _, r in ipairs(rows) do
		local ev = event({ { r[1], r[2], r[4], r[5] } }, opts)
		assert.equal(r[3], render(ev, 0), "kind " .. tonumber(r[1]) .. " value " .. tostring(r[2]))
	end
end

local function u16be(v) return string.char(bit.band(bit.rshift(v, 8), 255), bit.band(v, 255)) end
local function u16le(v) return string.char(bit.band(v, 255), bit.band(bit.rshift(v, 8), 255)) end

local function sockaddr_in(a, b, c, d, port)
	return u16le(2) .. u16be(port) .. string.char(a, b, c, d) .. string.rep("\0", 8)
end

local function sockaddr_in6(ip16, port)
	return u16le(10) .. u16be(port) .. "\0\0\0\0" .. ip16 .. "\0\0\0\0"
end

local function sockaddr_un(path) return u16le(1) .. path end

local LOOP6 = string.rep("\0", 15) .. "\1"

-- 16 address bytes from a sparse table ({ [16] = 1 } is ::1): LuaJIT's
-- array initializers stop at the first hole.
local function bytes16(t)
	local r = {}
	for i = 1, 16 do r[i] = t[i] or 0 end
	return r
end

local function tuple(t)
	local tu = ffi.new("ln_tuple", t)
	return tu, ffi.string(tu, ffi.sizeof("ln_tuple"))
end

local function u64s(...)
	local a = ffi.new("uint64_t[?]", select("#", ...), ...)
	return ffi.string(a, ffi.sizeof(a))
end

describe("ln_param_format", function()
	it("renders integers", function()
		check_rows({
			{ K.INT, -5, "-5" },
			{ K.INT, 0, "0" },
			{ K.UINT, 5, "5" },
			{ K.UINT, -1, "18446744073709551615" },
			{ K.HEX, 0x7ffd1234, "0x7ffd1234" },
			{ K.HEX, 0, "0x0" },
			{ K.OCT, 8, "010" },
			{ K.OCT, 0, "0" },
			{ K.MODE, 420, "0644" },
			{ K.MODE, 493, "0755" },
			{ K.MODE, 0, "0" },
			{ K.MODE, 2 ^ 11 + 448, "04700" },
			{ K.UID, 1000, "1000" },
			{ K.UID, 0, "0" },
			{ K.UID, 4294967295, "-1" },
			{ K.UID, -1, "-1" },
			{ K.GID, 4294967295, "-1" },
			{ K.GID, 100, "100" },
			{ K.CAPS, 0x1ffffffffff, "0x1ffffffffff" },
			{ K.CAPS, 0, "0x0" },
		})
	end)

	it("renders results with errno names for -1..-4095", function()
		check_rows({
			{ K.RES, 0, "0" },
			{ K.RES, 123, "123" },
			{ K.RES, -1, "-1(EPERM)" },
			{ K.RES, -2, "-2(ENOENT)" },
			{ K.RES, -11, "-11(EAGAIN)" },
			{ K.RES, -512, "-512(ERESTARTSYS)" },
			{ K.RES, -516, "-516(ERESTART_RESTARTBLOCK)" },
			{ K.RES, -600, "-600" },
			{ K.RES, -4095, "-4095" },
			{ K.RES, -4096, "-4096" },
			{ K.RES_FD, 3, "3" },
			{ K.RES_FD, -24, "-24(EMFILE)" },
			{ K.RES_FD, -2, "-2(ENOENT)" },
		})
	end)

	it("renders a pid as a result only as the event's result", function()
		local ev = event({ { K.PID, -11 } }, { res = -11 })
		assert.equal("-11(EAGAIN)", render(ev, 0))
		ev = event({ { K.PID, 1234 } }, { res = 1234 })
		assert.equal("1234", render(ev, 0))
		-- kill(-1, SIGKILL) failing with EPERM: the pid argument is -1
		ev = event({ { K.RES, -1 }, { K.PID, -1 }, { K.SIGNAL, 9 } }, { res = -1 })
		assert.equal("-1(EPERM)", render(ev, 0))
		assert.equal("-1", render(ev, 1))
		assert.equal("9(SIGKILL)", render(ev, 2))
		-- a process group, and an int that arrived zero-extended
		ev = event({ { K.RES, 0 }, { K.PID, -1234 }, { K.PID, 4294967295 } }, { res = 0 })
		assert.equal("-1234", render(ev, 1))
		assert.equal("-1", render(ev, 2))
	end)

	it("renders fds with the name of the event's fd", function()
		local passwd = { num = 3, type = C.LN_FD_FILE, name = "/etc/passwd" }
		check_rows({
			{ K.FD, 3, "3(<f>/etc/passwd)" },
			{ K.FD, 4, "4" },
			{ K.FD, -1, "-1" },
			{ K.FD, 4294967295, "-1" },
			{ K.RES_FD, 3, "3(<f>/etc/passwd)" },
			{ K.RES_FD, -13, "-13(EACCES)" },
			{ K.DIRFD, 3, "3(<f>/etc/passwd)" },
			{ K.DIRFD, -100, "-100(AT_FDCWD)" },
			{ K.DIRFD, 4294967196, "-100(AT_FDCWD)" },
			{ K.DIRFD, 7, "7" },
		}, { fd = passwd })
		check_rows({ { K.FD, 3, "3" }, { K.DIRFD, 3, "3" } })

		local rows = {
			{ { num = 4, type = C.LN_FD_DIRECTORY, name = "/tmp" }, "4(<d>/tmp)" },
			{ { num = 5, type = C.LN_FD_UNIX, name = "/run/x.sock" }, "5(<u>/run/x.sock)" },
			{ { num = 6, type = C.LN_FD_PIPE, name = "pipe:[1234]" }, "6(<p>pipe:[1234])" },
			{ { num = 7, type = C.LN_FD_EVENT, name = "" }, "7(<e>)" },
			{ { num = 8, type = C.LN_FD_MEMFD, name = "memfd:x" }, "8(<m>memfd:x)" },
			{ { num = 9, type = C.LN_FD_IPV4, name = "10.0.0.1:1->10.0.0.2:2",
				tuple = { family = 2, l4proto = C.LN_L4_TCP } }, "9(<4t>10.0.0.1:1->10.0.0.2:2)" },
		}
		for _, r in ipairs(rows) do
			local ev = event({ { K.FD, r[1].num } }, { fd = r[1] })
			assert.equal(r[2], render(ev, 0))
		end
	end)

	it("renders socket fds without a name from their tuple, client first", function()
		local lo = { 127, 0, 0, 1 }
		local client = { num = 5, type = C.LN_FD_IPV4, tuple = { family = 2,
			l4proto = C.LN_L4_TCP, lport = 40000, rport = 8080, lip = lo, rip = lo } }
		check_rows({ { K.FD, 5, "5(<4t>127.0.0.1:40000->127.0.0.1:8080)" } }, { fd = client })

		local server = { num = 6, type = C.LN_FD_IPV4, is_server = 1, tuple = { family = 2,
			l4proto = C.LN_L4_TCP, lport = 8080, rport = 40000, lip = lo, rip = lo } }
		check_rows({ { K.RES_FD, 6, "6(<4t>127.0.0.1:40000->127.0.0.1:8080)" } }, { fd = server })

		local ip6 = bytes16({ [16] = 1 })
		local udp6 = { num = 7, type = C.LN_FD_IPV6, tuple = { family = 10,
			l4proto = C.LN_L4_UDP, lport = 5353, rport = 53, lip = ip6, rip = ip6 } }
		check_rows({ { K.FD, 7, "7(<6u>::1:5353->::1:53)" } }, { fd = udp6 })

		local raw = { num = 8, type = C.LN_FD_IPV4, tuple = { family = 2,
			l4proto = C.LN_L4_RAW, lip = lo, rip = { 8, 8, 8, 8 } } }
		check_rows({ { K.FD, 8, "8(<4>127.0.0.1:0->8.8.8.8:0)" } }, { fd = raw })
	end)

	it("renders flag kinds as value(NAME|NAME), leftovers in hex", function()
		check_rows({
			{ K.OFLAGS, 0, "0(O_RDONLY)" },
			{ K.OFLAGS, 577, "577(O_WRONLY|O_CREAT|O_TRUNC)" },
			{ K.OFLAGS, 64, "64(O_RDONLY|O_CREAT)" },
			{ K.OFLAGS, 0x80002, "524290(O_RDWR|O_CLOEXEC)" },
			{ K.OFLAGS, 0x80800, "526336(O_RDONLY|O_NONBLOCK|O_CLOEXEC)" },
			{ K.OFLAGS, 0x101001, "1052673(O_WRONLY|O_SYNC)" },	-- not O_DSYNC too
			{ K.OFLAGS, 0x1001, "4097(O_WRONLY|O_DSYNC)" },
			{ K.OFLAGS, 3, "3(0x3)" },				-- no such access mode
			{ K.OFLAGS, -2147483647, "2147483649(O_WRONLY|0x80000000)" },
			{ K.OFLAGS, 0x80000001, "2147483649(O_WRONLY|0x80000000)" },
			{ K.ATFLAGS, 0, "0" },
			{ K.ATFLAGS, 0x200, "512(AT_REMOVEDIR)" },
			{ K.ATFLAGS, 0x1100, "4352(AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH)" },
			{ K.ATFLAGS, 0x10000, "65536(0x10000)" },
			{ K.SOCK_TYPE, 1, "1(SOCK_STREAM)" },
			{ K.SOCK_TYPE, 2, "2(SOCK_DGRAM)" },
			{ K.SOCK_TYPE, 0x80802, "526338(SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC)" },
			{ K.SOCK_TYPE, 0x80000, "524288(SOCK_CLOEXEC)" },	-- accept4
			{ K.SOCK_TYPE, 0, "0" },
			{ K.PROT, 0, "0(PROT_NONE)" },
			{ K.PROT, 3, "3(PROT_READ|PROT_WRITE)" },
			{ K.PROT, 5, "5(PROT_READ|PROT_EXEC)" },
			{ K.MMAP_FLAGS, 0x22, "34(MAP_PRIVATE|MAP_ANONYMOUS)" },
			{ K.MMAP_FLAGS, 1, "1(MAP_SHARED)" },
			{ K.MMAP_FLAGS, 3, "3(MAP_SHARED_VALIDATE)" },
			{ K.MMAP_FLAGS, 0x812, "2066(MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE)" },
			{ K.MMAP_FLAGS, 0x54040022, "1409548322(MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2MB)" },
			{ K.MMAP_FLAGS, 0, "0" },
			{ K.MOUNT_FLAGS, 0x5000, "20480(MS_BIND|MS_REC)" },
			{ K.MOUNT_FLAGS, 0x44000, "278528(MS_REC|MS_PRIVATE)" },
			{ K.MOUNT_FLAGS, 0xC0ED0001, "3236757505(MS_MGC_VAL|MS_RDONLY)" },
			{ K.MOUNT_FLAGS, 0x80000000, "2147483648(MS_NOUSER)" },
			{ K.MOUNT_FLAGS, 0, "0" },
			{ K.UMOUNT_FLAGS, 2, "2(MNT_DETACH)" },
			{ K.UMOUNT_FLAGS, 9, "9(MNT_FORCE|UMOUNT_NOFOLLOW)" },
			{ K.RENAME_FLAGS, 1, "1(RENAME_NOREPLACE)" },
			{ K.RENAME_FLAGS, 0, "0" },
			{ K.MSG_FLAGS, 0x4040, "16448(MSG_DONTWAIT|MSG_NOSIGNAL)" },
			{ K.MSG_FLAGS, 0, "0" },
			{ K.FD_FLAGS, 0x80000, "524288(O_CLOEXEC)" },
			{ K.FD_FLAGS, 0x80800, "526336(O_NONBLOCK|O_CLOEXEC)" },
			{ K.FD_FLAGS, 1, "1(EFD_SEMAPHORE)" },
			{ K.FD_FLAGS, 0, "0" },
			{ K.MEMFD_FLAGS, 3, "3(MFD_CLOEXEC|MFD_ALLOW_SEALING)" },
			{ K.MEMFD_FLAGS, 8, "8(MFD_NOEXEC_SEAL)" },
			{ K.MODULE_FLAGS, 3, "3(MODULE_INIT_IGNORE_MODVERSIONS|MODULE_INIT_IGNORE_VERMAGIC)" },
			{ K.MODULE_FLAGS, 0xA00, "2560(O_TRUNC|O_NONBLOCK)" },
			{ K.NS_TYPE, 0x40000000, "1073741824(CLONE_NEWNET)" },
			{ K.NS_TYPE, 0x60000000, "1610612736(CLONE_NEWPID|CLONE_NEWNET)" },
			{ K.NS_TYPE, 0, "0" },
		})
	end)

	it("renders clone flags with the exit signal from the low byte", function()
		check_rows({
			{ K.CLONE_FLAGS, 0x1200011, "18874385(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD)" },
			{ K.CLONE_FLAGS, 0x3d0f00, "4001536(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|"
				.. "CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID)" },
			{ K.CLONE_FLAGS, 17, "17(SIGCHLD)" },
			{ K.CLONE_FLAGS, 0, "0" },
			-- unshare: 0x80 is no signal, so it is CLONE_NEWTIME
			{ K.CLONE_FLAGS, 0x20080, "131200(CLONE_NEWTIME|CLONE_NEWNS)" },
			{ K.CLONE_FLAGS, 0x100000000ULL, "4294967296(CLONE_CLEAR_SIGHAND)" },
			{ K.CLONE_FLAGS, 0x1000000000ULL, "68719476736(0x1000000000)" },
		})
	end)

	it("renders enum kinds as value(NAME), unknown values as the number", function()
		check_rows({
			{ K.SIGNAL, 9, "9(SIGKILL)" },
			{ K.SIGNAL, 15, "15(SIGTERM)" },
			{ K.SIGNAL, 0, "0" },
			{ K.SIGNAL, 34, "34(SIGRT_2)" },
			{ K.SIGNAL, 100, "100" },
			{ K.FCNTL_CMD, 0, "0(F_DUPFD)" },
			{ K.FCNTL_CMD, 4, "4(F_SETFL)" },
			{ K.FCNTL_CMD, 1030, "1030(F_DUPFD_CLOEXEC)" },
			{ K.FCNTL_CMD, 9999, "9999" },
			{ K.SOCK_DOMAIN, 2, "2(AF_INET)" },
			{ K.SOCK_DOMAIN, 1, "1(AF_UNIX)" },
			{ K.SOCK_DOMAIN, 10, "10(AF_INET6)" },
			{ K.SOCK_DOMAIN, 99, "99" },
			{ K.SOCK_PROTO, 6, "6(IPPROTO_TCP)" },
			{ K.SOCK_PROTO, 0, "0" },
			{ K.PTRACE_REQ, 0, "0(PTRACE_TRACEME)" },
			{ K.PTRACE_REQ, 0x4206, "16902(PTRACE_SEIZE)" },
			{ K.PRCTL_OP, 15, "15(PR_SET_NAME)" },
			{ K.PRCTL_OP, 0x59616d61, "1499557217(PR_SET_PTRACER)" },
			{ K.PRCTL_OP, 1000, "1000" },
			{ K.BPF_CMD, 5, "5(BPF_PROG_LOAD)" },
			{ K.CLOCKID, 1, "1(CLOCK_MONOTONIC)" },
			{ K.CLOCKID, -6, "-6" },
			{ K.SHUT_HOW, 2, "2(SHUT_RDWR)" },
			{ K.SOCKOPT_LEVEL, 1, "1(SOL_SOCKET)" },
			{ K.SOCKOPT_LEVEL, 0, "0(SOL_IP)" },
			{ K.SOCKOPT_LEVEL, 6, "6(SOL_TCP)" },
			{ K.SOCKOPT_NAME, 2, "2(SO_REUSEADDR)" },
			{ K.SOCKOPT_NAME, 20, "20(SO_RCVTIMEO)" },
		})
	end)

	it("names protocols and socket options only where they apply", function()
		local ev = event({ { K.RES_FD, 3 }, { K.SOCK_DOMAIN, 16 }, { K.SOCK_TYPE, 3 }, { K.SOCK_PROTO, 12 } })
		assert.equal("12", render(ev, 3)) -- NETLINK_NETFILTER, not IPPROTO_PUP
		ev = event({ { K.RES_FD, 3 }, { K.SOCK_DOMAIN, 2 }, { K.SOCK_TYPE, 1 }, { K.SOCK_PROTO, 6 } })
		assert.equal("6(IPPROTO_TCP)", render(ev, 3))
		ev = event({ { K.RES, 0 }, { K.FD, 3 }, { K.SOCKOPT_LEVEL, 6 }, { K.SOCKOPT_NAME, 2 } })
		assert.equal("2", render(ev, 3)) -- TCP_MAXSEG, not SO_REUSEADDR
		ev = event({ { K.RES, 0 }, { K.FD, 3 }, { K.SOCKOPT_LEVEL, 1 }, { K.SOCKOPT_NAME, 4 } })
		assert.equal("4(SO_ERROR)", render(ev, 3))
	end)

	it("renders strings, argv and pointer states", function()
		local NULL, FAULT, TRUNC = C.LN_PF_NULL, C.LN_PF_FAULT, C.LN_PF_TRUNCATED
		check_rows({
			{ K.PATH, 0x1000, "/etc/passwd", "/etc/passwd" },
			{ K.PATH, 0x1000, "", "" },
			{ K.PATH, 0x1000, "abc", "abc\0def" },
			{ K.PATH, 0x1000, "/very/lo...", "/very/lo", TRUNC },
			{ K.PATH, 0, "NULL", nil, NULL },
			{ K.PATH, 0xdead, "0xdead (bad address)", nil, FAULT },
			{ K.STR, 0x1000, "ext4", "ext4" },
			{ K.STR, 0x1000, "a b\tc", "a b\tc" },
			{ K.ARGV, 0x1000, "ls -l /tmp", "ls\0-l\0/tmp" },
			{ K.ARGV, 0x1000, "a b", "a\0b\0" },
			{ K.ARGV, 0x1000, "a  b", "a\0\0b" },
			{ K.ARGV, 0x1000, "sh", "sh" },
			{ K.ARGV, 0x1000, "sh -c...", "sh\0-c", TRUNC },
			{ K.ARGV, 0, "NULL", nil, NULL },
			{ K.ARGV, 0x10, "0x10 (bad address)", nil, FAULT },
		})
	end)

	it("renders buffers as printable ASCII and dots", function()
		local TRUNC, NULL, FAULT = C.LN_PF_TRUNCATED, C.LN_PF_NULL, C.LN_PF_FAULT
		check_rows({
			{ K.BUF_IN, 0x1000, "hello.", "hello\n" },
			{ K.BUF_IN, 0x1000, "..GET / HTTP/1.1..", "\0\1GET / HTTP/1.1\r\n" },
			{ K.BUF_OUT, 0x1000, "a.b.c~", "a\255b\127c~" },
			{ K.BUF_OUT, 0x1000, "root:x:0:0...", "root:x:0:0", TRUNC },
			{ K.BUF_OUT, 0x1000, "" },	-- failed read: nothing kept
			{ K.IOV_IN, 0x1000, "ab.", "ab\0" },
			{ K.IOV_OUT, 0x1000, "x", "x" },
			{ K.MSG_IN, 0x1000, "ping", "ping" },
			{ K.MSG_OUT, 0x1000, "pong...", "pong", TRUNC },
			{ K.BUF_IN, 0, "NULL", nil, NULL },
			{ K.BUF_IN, 0x42, "0x42 (bad address)", nil, FAULT },
		})
	end)

	it("renders socket addresses", function()
		check_rows({
			{ K.SOCKADDR_IN, 0x1000, "127.0.0.1:8080", sockaddr_in(127, 0, 0, 1, 8080) },
			{ K.SOCKADDR_IN, 0x1000, "10.1.2.3:53", sockaddr_in(10, 1, 2, 3, 53) },
			{ K.SOCKADDR_IN, 0x1000, "0.0.0.0:0", sockaddr_in(0, 0, 0, 0, 0) },
			{ K.SOCKADDR_IN, 0x1000, "::1:8080", sockaddr_in6(LOOP6, 8080) },
			{ K.SOCKADDR_OUT, 0x1000, "::ffff:10.0.0.1:443",
				sockaddr_in6(string.rep("\0", 10) .. "\255\255\10\0\0\1", 443) },
			{ K.SOCKADDR_IN, 0x1000, "/run/x.sock", sockaddr_un("/run/x.sock\0") },
			{ K.SOCKADDR_IN, 0x1000, "/run/y", sockaddr_un("/run/y") },
			{ K.SOCKADDR_IN, 0x1000, "@abstract", sockaddr_un("\0abstract") },
			{ K.SOCKADDR_OUT, 0x1000, "", sockaddr_un("") },	-- unnamed peer
			{ K.SOCKADDR_IN, 0x1000, "netlink", u16le(16) .. string.rep("\0", 10) },
			{ K.SOCKADDR_IN, 0x1000, "family 17", u16le(17) .. string.rep("\0", 18) },
			{ K.SOCKADDR_IN, 0, "NULL" },
			{ K.SOCKADDR_OUT, 0x7ffd0000, "0x7ffd0000" },		-- not read
			{ K.SOCKADDR_IN, 0x7ffd0000, "0x7ffd0000", "\2" },	-- too short
			{ K.SOCKADDR_IN, 0, "NULL", nil, C.LN_PF_NULL },
			{ K.SOCKADDR_IN, 0x99, "0x99 (bad address)", nil, C.LN_PF_FAULT },
		})
	end)

	it("renders tuples client->server, from the event's fd side", function()
		local lo = { 127, 0, 0, 1 }
		local _, client = tuple({ family = 2, l4proto = C.LN_L4_TCP, lport = 40000, rport = 8080,
			lip = lo, rip = lo })
		local _, server = tuple({ family = 2, l4proto = C.LN_L4_TCP, lport = 8080, rport = 40000,
			lip = lo, rip = lo })
		check_rows({ { K.TUPLE, 0, "127.0.0.1:40000->127.0.0.1:8080", client } })
		check_rows({ { K.TUPLE, 0, "127.0.0.1:40000->127.0.0.1:8080", server } },
			{ fd = { num = 3, type = C.LN_FD_IPV4, is_server = 1 } })
		check_rows({ { K.TUPLE, 0, "127.0.0.1:8080->127.0.0.1:40000", server } },
			{ fd = { num = 3, type = C.LN_FD_IPV4, is_server = 0 } })
		local _, unix = tuple({ family = 1 })
		check_rows({ { K.TUPLE, 0, "/run/x.sock", unix } },
			{ fd = { num = 3, type = C.LN_FD_UNIX, name = "/run/x.sock" } })
		check_rows({ { K.TUPLE, 0, "NULL", unix } })
		local _, none = tuple({ family = 0 })
		check_rows({
			{ K.TUPLE, 0, "NULL", none },
			{ K.TUPLE, 0, "NULL" },
			{ K.TUPLE, 0, "NULL", "short" },
		})
	end)

	it("renders fd pairs, open_how and clone_args", function()
		local pair = ffi.string(ffi.new("int32_t[2]", 3, 4), 8)
		check_rows({
			{ K.FDPAIR, 0x1000, "[3,4]", pair },
			{ K.FDPAIR, 0x7ffd0000, "0x7ffd0000" },	-- pipe failed: not read
			{ K.FDPAIR, 0, "NULL", nil, C.LN_PF_NULL },
			{ K.OPEN_HOW, 0x1000, "524288(O_RDONLY|O_CLOEXEC)", u64s(0x80000, 0, 0) },
			{ K.OPEN_HOW, 0x1000, "577(O_WRONLY|O_CREAT|O_TRUNC)", u64s(577, 420, 0) },
			{ K.OPEN_HOW, 0x1000, "1099511627776(O_RDONLY|0x10000000000)", u64s(0x10000000000ULL, 0, 0) },
			{ K.OPEN_HOW, 0x1000, "0x1000", "\1\2" },
			{ K.OPEN_HOW, 0x1000, "0x1000 (bad address)", nil, C.LN_PF_FAULT },
			{ K.CLONE_ARGS, 0x1000, "16640(CLONE_VM|CLONE_VFORK)", u64s(0x4100, 0, 0, 0, 17) },
			{ K.CLONE_ARGS, 0x1000, "131200(CLONE_NEWTIME|CLONE_NEWNS)", u64s(0x20080) },
			{ K.CLONE_ARGS, 0, "NULL", nil, C.LN_PF_NULL },
		})
	end)

	it("truncates to the buffer and returns the length written", function()
		local ev = event({ { K.OFLAGS, 577 } })
		assert.equal("577(O_WRONLY|O_CREAT|O_TRUNC)", render(ev, 0))
		assert.equal("577(", render(ev, 0, 5))
		assert.equal("5", render(ev, 0, 2))
		assert.equal("", render(ev, 0, 1))
		assert.equal(0, C.ln_param_format(ev, 0, nil, 0))
		for n = 1, 40 do
			local full = "577(O_WRONLY|O_CREAT|O_TRUNC)"
			assert.equal(full:sub(1, n - 1), render(ev, 0, n))
		end
		ev = event({ { K.BUF_IN, 1, string.rep("x", 100) } })
		assert.equal(string.rep("x", 9), render(ev, 0, 10))
		ev = event({ { K.SOCKADDR_IN, 1, sockaddr_in6(LOOP6, 8080) } })
		assert.equal("::1", render(ev, 0, 4))
	end)

	it("refuses a bad index or buffer with -EINVAL", function()
		local ev = event({ { K.INT, 1 }, { K.INT, 2 } })
		assert.equal(-EINVAL, C.ln_param_format(ev, 2, buf, 64))
		assert.equal(-EINVAL, C.ln_param_format(ev, -1, buf, 64))
		assert.equal(-EINVAL, C.ln_param_format(ev, 8, buf, 64))
		assert.equal(-EINVAL, C.ln_param_format(nil, 0, buf, 64))
		assert.equal(-EINVAL, C.ln_param_format(ev, 0, nil, 64))
		assert.equal("2", render(ev, 1))
	end)
end)

describe("ln_tuple_format", function()
	local function fmt(t, is_server, n)
		n = n or 256
		local r = C.ln_tuple_format(t, is_server, buf, n)
		assert(r >= 0)
		local s = ffi.string(buf)
		assert.equal(#s, r)
		return s
	end

	it("prints Falco's fd.name: client->server", function()
		local t = tuple({ family = 2, lport = 40000, rport = 80, lip = { 10, 0, 0, 1 }, rip = { 93, 184, 216, 34 } })
		assert.equal("10.0.0.1:40000->93.184.216.34:80", fmt(t, 0))
		assert.equal("93.184.216.34:80->10.0.0.1:40000", fmt(t, 1))
		t = tuple({ family = 10, lport = 1, rport = 2, lip = bytes16({ 0xfe, 0x80, [16] = 1 }),
			rip = bytes16({ [16] = 1 }) })
		assert.equal("fe80::1:1->::1:2", fmt(t, 0))
	end)

	it("prints nothing for unix and unknown tuples", function()
		assert.equal("", fmt(tuple({ family = 1 }), 0))
		assert.equal("", fmt(tuple({ family = 0 }), 0))
	end)

	it("truncates and checks its arguments", function()
		local t = tuple({ family = 2, lport = 1, rport = 2, lip = { 1, 2, 3, 4 }, rip = { 5, 6, 7, 8 } })
		assert.equal("1.2.3.4:1->5.6.7.8:2", fmt(t, 0))
		assert.equal("1.2.3.4:1-", fmt(t, 0, 11))
		assert.equal(0, C.ln_tuple_format(t, 0, nil, 0))
		assert.equal(-EINVAL, C.ln_tuple_format(nil, 0, buf, 64))
	end)
end)

describe("ln_ip_format", function()
	local function ip(family, bytes, n)
		local a = ffi.new("uint8_t[16]", bytes16(bytes))
		local r = C.ln_ip_format(family, a, buf, n or 64)
		if r < 0 then return nil, r end
		local s = ffi.string(buf)
		assert.equal(#s, r)
		return s
	end

	it("prints addresses as inet_ntop does", function()
		assert.equal("127.0.0.1", ip(2, { 127, 0, 0, 1 }))
		assert.equal("255.255.255.255", ip(2, { 255, 255, 255, 255 }))
		assert.equal("::", ip(10, {}))
		assert.equal("2001:db8::1", ip(10, { 0x20, 0x01, 0x0d, 0xb8, [16] = 1 }))
		assert.equal("::ffff:1.2.3.4", ip(10, { [11] = 255, [12] = 255, [13] = 1, [14] = 2, [15] = 3, [16] = 4 }))
		assert.equal("127.0", ip(2, { 127, 0, 0, 1 }, 6))
	end)

	it("refuses other families and NULL addresses", function()
		assert.same({ nil, -EAFNOSUPPORT }, { ip(1, {}) })
		assert.same({ nil, -EAFNOSUPPORT }, { ip(0, {}) })
		assert.equal(-EINVAL, C.ln_ip_format(2, nil, buf, 64))
	end)
end)
