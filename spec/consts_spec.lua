-- Constant tables of the C core (src/consts*.c): names by kind, values by
-- name (what the filter compiler turns "O_CREAT" into), errno names, fd type
-- and category names.  Values are Linux's generic ones (x86_64, arm64).
local ffi = require "ffi"

-- One cdef per process: other specs in the same busted run may have
-- declared the contract already.
if not pcall(ffi.typeof, "ln_event") then
	ffi.cdef(dofile("build/lua/lanner/cdef.lua"))
end
local C = ffi.load(os.getenv("LANNER_LIB") or "build/liblanner.so")

local ENOENT, EINVAL = 2, 22

local function name(kind, v)
	local s = C.ln_const_name(kind, v)
	return s ~= nil and ffi.string(s) or nil
end

local function value(kind, s)
	local out = ffi.new("int64_t[1]")
	local r = C.ln_const_value(kind, s, out)
	if r ~= 0 then return nil, r end
	return tonumber(out[0])
end

describe("ln_const_name", function()
	it("names one value of enum-like kinds", function()
		local rows = {
			{ C.LN_K_SIGNAL, 9, "SIGKILL" },
			{ C.LN_K_SIGNAL, 17, "SIGCHLD" },
			{ C.LN_K_SIGNAL, 31, "SIGSYS" },
			{ C.LN_K_SIGNAL, 32, "SIGRTMIN" },
			{ C.LN_K_SIGNAL, 34, "SIGRT_2" },
			{ C.LN_K_SIGNAL, 64, "SIGRT_32" },
			{ C.LN_K_FCNTL_CMD, 0, "F_DUPFD" },
			{ C.LN_K_FCNTL_CMD, 1030, "F_DUPFD_CLOEXEC" },
			{ C.LN_K_SOCK_DOMAIN, 1, "AF_UNIX" },
			{ C.LN_K_SOCK_DOMAIN, 2, "AF_INET" },
			{ C.LN_K_SOCK_DOMAIN, 10, "AF_INET6" },
			{ C.LN_K_SOCK_DOMAIN, 16, "AF_NETLINK" },
			{ C.LN_K_SOCK_PROTO, 6, "IPPROTO_TCP" },
			{ C.LN_K_SOCK_PROTO, 17, "IPPROTO_UDP" },
			{ C.LN_K_PTRACE_REQ, 0, "PTRACE_TRACEME" },
			{ C.LN_K_PTRACE_REQ, 0x4206, "PTRACE_SEIZE" },
			{ C.LN_K_PRCTL_OP, 15, "PR_SET_NAME" },
			{ C.LN_K_PRCTL_OP, 38, "PR_SET_NO_NEW_PRIVS" },
			{ C.LN_K_PRCTL_OP, 0x59616d61, "PR_SET_PTRACER" },
			{ C.LN_K_BPF_CMD, 0, "BPF_MAP_CREATE" },
			{ C.LN_K_BPF_CMD, 5, "BPF_PROG_LOAD" },
			{ C.LN_K_CLOCKID, 1, "CLOCK_MONOTONIC" },
			{ C.LN_K_CLOCKID, 7, "CLOCK_BOOTTIME" },
			{ C.LN_K_SHUT_HOW, 0, "SHUT_RD" },
			{ C.LN_K_SHUT_HOW, 2, "SHUT_RDWR" },
			{ C.LN_K_SOCKOPT_LEVEL, 1, "SOL_SOCKET" },
			{ C.LN_K_SOCKOPT_LEVEL, 6, "SOL_TCP" },
			{ C.LN_K_SOCKOPT_NAME, 2, "SO_REUSEADDR" },
			{ C.LN_K_SOCKOPT_NAME, 20, "SO_RCVTIMEO" },
			{ C.LN_K_NS_TYPE, 0x40000000, "CLONE_NEWNET" },
			{ C.LN_K_NS_TYPE, 0x20000000, "CLONE_NEWPID" },
			{ C.LN_K_DIRFD, -100, "AT_FDCWD" },
			{ C.LN_K_DIRFD, 4294967196, "AT_FDCWD" }, -- the int in a register
			{ C.LN_K_OFLAGS, 0, "O_RDONLY" },
			{ C.LN_K_OFLAGS, 64, "O_CREAT" },
			{ C.LN_K_PROT, 0, "PROT_NONE" },
			{ C.LN_K_CLONE_FLAGS, 0x10000, "CLONE_THREAD" },
			{ C.LN_K_MOUNT_FLAGS, 0x80000000, "MS_NOUSER" },
			{ C.LN_K_RES, -2, "ENOENT" },
			{ C.LN_K_RES_FD, -24, "EMFILE" },
		}
		for _, r in ipairs(rows) do
			assert.equal(r[3], name(r[1], r[2]), "kind " .. tonumber(r[1]) .. " value " .. r[2])
		end
	end)

	it("returns NULL for values without a name, kinds without names, and never an alias", function()
		local rows = {
			{ C.LN_K_SIGNAL, 0 },
			{ C.LN_K_SIGNAL, 65 },
			{ C.LN_K_SIGNAL, -1 },
			{ C.LN_K_FCNTL_CMD, 9999 },
			{ C.LN_K_SOCK_DOMAIN, 200 },
			{ C.LN_K_SOCK_PROTO, 0 },	-- IPPROTO_IP is an alias: "0" means default
			{ C.LN_K_CLOCKID, -6 },		-- a process CPU clock
			{ C.LN_K_OFLAGS, 577 },		-- several flags are not one constant
			{ C.LN_K_MMAP_FLAGS, 0 },	-- MAP_FILE is an alias
			{ C.LN_K_INT, 1 },
			{ C.LN_K_PATH, 0 },
			{ C.LN_K_RES, 0 },
			{ C.LN_K_RES, 2 },
			{ C.LN_K_RES, -5000 },
			{ -1, 0 },
			{ C.LN_K_COUNT, 0 },
		}
		for _, r in ipairs(rows) do
			assert.is_nil(name(r[1], r[2]), "kind " .. tonumber(r[1]) .. " value " .. r[2])
		end
		assert.equal("SIGIO", name(C.LN_K_SIGNAL, 29)) -- not SIGPOLL
		assert.equal("AF_UNIX", name(C.LN_K_SOCK_DOMAIN, 1)) -- not AF_LOCAL
		assert.equal("O_NONBLOCK", name(C.LN_K_FD_FLAGS, 2048)) -- not EFD_NONBLOCK
	end)
end)

describe("ln_const_value", function()
	it("finds single constants of every kind with names, flags included", function()
		local rows = {
			{ C.LN_K_OFLAGS, "O_RDONLY", 0 },
			{ C.LN_K_OFLAGS, "O_WRONLY", 1 },
			{ C.LN_K_OFLAGS, "O_RDWR", 2 },
			{ C.LN_K_OFLAGS, "O_CREAT", 64 },
			{ C.LN_K_OFLAGS, "O_TRUNC", 512 },
			{ C.LN_K_OFLAGS, "O_CLOEXEC", 0x80000 },
			{ C.LN_K_OFLAGS, "O_NDELAY", 2048 },	-- alias
			{ C.LN_K_OPEN_HOW, "O_CREAT", 64 },
			{ C.LN_K_ATFLAGS, "AT_REMOVEDIR", 0x200 },
			{ C.LN_K_ATFLAGS, "AT_EACCESS", 0x200 },
			{ C.LN_K_ATFLAGS, "AT_EMPTY_PATH", 0x1000 },
			{ C.LN_K_DIRFD, "AT_FDCWD", -100 },
			{ C.LN_K_PROT, "PROT_NONE", 0 },
			{ C.LN_K_PROT, "PROT_EXEC", 4 },
			{ C.LN_K_MMAP_FLAGS, "MAP_SHARED", 1 },
			{ C.LN_K_MMAP_FLAGS, "MAP_ANONYMOUS", 0x20 },
			{ C.LN_K_MMAP_FLAGS, "MAP_ANON", 0x20 },
			{ C.LN_K_MMAP_FLAGS, "MAP_HUGE_2MB", 21 * 2 ^ 26 },
			{ C.LN_K_CLONE_FLAGS, "CLONE_THREAD", 0x10000 },
			{ C.LN_K_CLONE_FLAGS, "CLONE_NEWUSER", 0x10000000 },
			{ C.LN_K_CLONE_FLAGS, "CLONE_INTO_CGROUP", 2 ^ 33 },
			{ C.LN_K_CLONE_FLAGS, "SIGCHLD", 17 },	-- clone()'s exit signal
			{ C.LN_K_CLONE_ARGS, "CLONE_VFORK", 0x4000 },
			{ C.LN_K_NS_TYPE, "CLONE_NEWNS", 0x20000 },
			{ C.LN_K_SIGNAL, "SIGKILL", 9 },
			{ C.LN_K_SIGNAL, "SIGIOT", 6 },
			{ C.LN_K_SIGNAL, "SIGRTMAX", 64 },
			{ C.LN_K_FCNTL_CMD, "F_SETFL", 4 },
			{ C.LN_K_SOCK_DOMAIN, "AF_INET", 2 },
			{ C.LN_K_SOCK_DOMAIN, "AF_LOCAL", 1 },
			{ C.LN_K_SOCK_TYPE, "SOCK_STREAM", 1 },
			{ C.LN_K_SOCK_TYPE, "SOCK_NONBLOCK", 2048 },
			{ C.LN_K_SOCK_PROTO, "IPPROTO_TCP", 6 },
			{ C.LN_K_SOCK_PROTO, "IPPROTO_IP", 0 },
			{ C.LN_K_PTRACE_REQ, "PTRACE_ATTACH", 16 },
			{ C.LN_K_PRCTL_OP, "PR_SET_SECCOMP", 22 },
			{ C.LN_K_BPF_CMD, "BPF_PROG_RUN", 10 },
			{ C.LN_K_MOUNT_FLAGS, "MS_BIND", 4096 },
			{ C.LN_K_MOUNT_FLAGS, "MS_NOUSER", 2 ^ 31 },
			{ C.LN_K_UMOUNT_FLAGS, "MNT_DETACH", 2 },
			{ C.LN_K_RENAME_FLAGS, "RENAME_EXCHANGE", 2 },
			{ C.LN_K_SHUT_HOW, "SHUT_WR", 1 },
			{ C.LN_K_SOCKOPT_LEVEL, "SOL_SOCKET", 1 },
			{ C.LN_K_SOCKOPT_NAME, "SO_RCVTIMEO", 20 },
			{ C.LN_K_SOCKOPT_NAME, "SO_RCVTIMEO_OLD", 20 },
			{ C.LN_K_MSG_FLAGS, "MSG_NOSIGNAL", 0x4000 },
			{ C.LN_K_FD_FLAGS, "O_CLOEXEC", 0x80000 },
			{ C.LN_K_FD_FLAGS, "EFD_SEMAPHORE", 1 },
			{ C.LN_K_FD_FLAGS, "SFD_NONBLOCK", 2048 },
			{ C.LN_K_MEMFD_FLAGS, "MFD_CLOEXEC", 1 },
			{ C.LN_K_MEMFD_FLAGS, "MFD_EXEC", 0x10 },
			{ C.LN_K_CLOCKID, "CLOCK_TAI", 11 },
			{ C.LN_K_MODULE_FLAGS, "MODULE_INIT_IGNORE_VERMAGIC", 2 },
			{ C.LN_K_MODULE_FLAGS, "O_TRUNC", 512 },
			{ C.LN_K_RES, "ENOENT", -2 },
			{ C.LN_K_RES, "EWOULDBLOCK", -11 },
			{ C.LN_K_RES_FD, "EMFILE", -24 },
			{ C.LN_K_PID, "EAGAIN", -11 },
			{ C.LN_K_RES, "ERESTARTSYS", -512 },
		}
		for _, r in ipairs(rows) do
			assert.equal(r[3], value(r[1], r[2]), r[2])
		end
	end)

	it("returns -ENOENT for names the kind lacks", function()
		local rows = {
			{ C.LN_K_SIGNAL, "O_CREAT" },
			{ C.LN_K_OFLAGS, "SIGKILL" },
			{ C.LN_K_OFLAGS, "o_creat" },
			{ C.LN_K_OFLAGS, "O_CREAT " },
			{ C.LN_K_OFLAGS, "" },
			{ C.LN_K_INT, "O_CREAT" },
			{ C.LN_K_PATH, "AT_FDCWD" },
			{ C.LN_K_RES, "SUCCESS" },
			{ -1, "O_CREAT" },
			{ C.LN_K_COUNT, "O_CREAT" },
		}
		for _, r in ipairs(rows) do
			local v, err = value(r[1], r[2])
			assert.is_nil(v, r[2])
			assert.equal(-ENOENT, err, r[2])
		end
	end)

	it("refuses a NULL name or out pointer with -EINVAL", function()
		assert.equal(-EINVAL, C.ln_const_value(C.LN_K_OFLAGS, nil, ffi.new("int64_t[1]")))
		assert.equal(-EINVAL, C.ln_const_value(C.LN_K_OFLAGS, "O_CREAT", nil))
	end)

	it("round-trips every printed name of the enum kinds", function()
		local kinds = { C.LN_K_SIGNAL, C.LN_K_FCNTL_CMD, C.LN_K_SOCK_DOMAIN, C.LN_K_SOCK_PROTO,
			C.LN_K_PTRACE_REQ, C.LN_K_PRCTL_OP, C.LN_K_BPF_CMD, C.LN_K_CLOCKID,
			C.LN_K_SHUT_HOW, C.LN_K_SOCKOPT_LEVEL, C.LN_K_SOCKOPT_NAME }
		local seen = 0
		for _, k in ipairs(kinds) do
			for v = -200, 1100 do
				local s = name(k, v)
				if s then
					assert.equal(v, value(k, s), s)
					seen = seen + 1
				end
			end
		end
		assert.is_true(seen > 250)
	end)
end)

describe("ln_errno_name", function()
	local function errname(e)
		local s = C.ln_errno_name(e)
		return s ~= nil and ffi.string(s) or nil
	end

	it("names errnos, kernel-internal restart codes included", function()
		local rows = {
			{ 1, "EPERM" }, { 2, "ENOENT" }, { 11, "EAGAIN" }, { 13, "EACCES" },
			{ 35, "EDEADLK" }, { 95, "EOPNOTSUPP" }, { 110, "ETIMEDOUT" },
			{ 115, "EINPROGRESS" }, { 133, "EHWPOISON" },
			{ 512, "ERESTARTSYS" }, { 513, "ERESTARTNOINTR" }, { 514, "ERESTARTNOHAND" },
			{ 515, "ENOIOCTLCMD" }, { 516, "ERESTART_RESTARTBLOCK" }, { 524, "ENOTSUPP" },
		}
		for _, r in ipairs(rows) do
			assert.equal(r[2], errname(r[1]))
		end
	end)

	it("has a name for every Linux errno from 1 to 133 (41 and 58 are unused)", function()
		for e = 1, 133 do
			if e ~= 41 and e ~= 58 then
				assert.is_not_nil(errname(e), "errno " .. e)
			end
		end
	end)

	it("returns NULL for unknown numbers", function()
		for _, e in ipairs({ 0, -1, -2, 41, 134, 511, 520, 600, 4095, 2 ^ 31 - 1 }) do
			assert.is_nil(errname(e), "errno " .. e)
		end
	end)
end)

describe("fd types and categories", function()
	local types = {
		{ C.LN_FD_UNKNOWN, "unknown", "?" },
		{ C.LN_FD_FILE, "file", "f" },
		{ C.LN_FD_DIRECTORY, "directory", "d" },
		{ C.LN_FD_IPV4, "ipv4", "4" },
		{ C.LN_FD_IPV6, "ipv6", "6" },
		{ C.LN_FD_UNIX, "unix", "u" },
		{ C.LN_FD_PIPE, "pipe", "p" },
		{ C.LN_FD_EVENT, "event", "e" },
		{ C.LN_FD_SIGNALFD, "signalfd", "s" },
		{ C.LN_FD_EVENTPOLL, "eventpoll", "l" },
		{ C.LN_FD_INOTIFY, "inotify", "i" },
		{ C.LN_FD_TIMERFD, "timerfd", "t" },
		{ C.LN_FD_NETLINK, "netlink", "n" },
		{ C.LN_FD_MEMFD, "memfd", "m" },
		{ C.LN_FD_BPF, "bpf", "b" },
		{ C.LN_FD_USERFAULTFD, "userfaultfd", "U" },
		{ C.LN_FD_IO_URING, "io_uring", "r" },
		{ C.LN_FD_PIDFD, "pidfd", "P" },
		{ C.LN_FD_OTHER, "other", "o" },
	}

	it("names every fd type as Falco's fd.type, with sysdig's letter", function()
		assert.equal(tonumber(C.LN_FD_TYPE_COUNT), #types)
		local letters = {}
		for _, r in ipairs(types) do
			assert.equal(r[2], ffi.string(C.ln_fd_type_name(r[1])))
			local ch = string.char(C.ln_fd_typechar(r[1]))
			assert.equal(r[3], ch, r[2])
			assert.is_nil(letters[ch], "letter " .. ch .. " used twice")
			letters[ch] = true
		end
	end)

	it("treats out-of-range fd types as unknown", function()
		for _, t in ipairs({ -1, C.LN_FD_TYPE_COUNT, 255 }) do
			assert.equal("unknown", ffi.string(C.ln_fd_type_name(t)))
			assert.equal("?", string.char(C.ln_fd_typechar(t)))
		end
	end)

	it("names event categories as Falco's evt.category", function()
		local cats = { "unknown", "other", "file", "net", "IPC", "memory", "process",
			"signal", "user", "system" }
		assert.equal(tonumber(C.LN_CAT_COUNT), #cats)
		for i, s in ipairs(cats) do
			assert.equal(s, ffi.string(C.ln_category_name(i - 1)))
		end
		assert.equal("net", ffi.string(C.ln_category_name(C.LN_CAT_NET)))
		assert.equal("unknown", ffi.string(C.ln_category_name(-1)))
		assert.equal("unknown", ffi.string(C.ln_category_name(C.LN_CAT_COUNT)))
	end)
end)
