-- The few libc calls the outputs make, by FFI: non-blocking sockets, file
-- descriptors, stat, posix_spawn and a monotonic clock.  Raw descriptors,
-- not Lua's io library, because the outputs need O_APPEND|O_CLOEXEC,
-- MSG_DONTWAIT and MSG_NOSIGNAL, which io cannot ask for.
local ffi = require "ffi"
local bit = require "bit"
local base = require "lanner.base"
local C = ffi.C

-- Other modules declare some of these too: base.declare lets the first stand.
base.declare(
	"int clock_gettime(int clockid, void *tp);",
	"int open(const char *path, int flags, ...);",
	"ssize_t write(int fd, const void *buf, size_t n);",
	"int64_t lseek(int fd, int64_t off, int whence);",
	"int ftruncate(int fd, int64_t len);",
	"int close(int fd);",
	"int socket(int domain, int type, int protocol);",
	"int connect(int fd, const void *addr, unsigned int len);",
	"ssize_t send(int fd, const void *buf, size_t n, int flags);",
	"int socketpair(int domain, int type, int protocol, int sv[2]);",
	"int shutdown(int fd, int how);",
	"int stat(const char *path, void *buf);",
	"int fstat(int fd, void *buf);",
	"int waitpid(int pid, int *status, int options);",
	"int getpid(void);",
	"char *strerror(int errnum);",
	"int poll(void *fds, unsigned long nfds, int timeout);",
	"int posix_spawnp(int *pid, const char *file, const void *fa, const void *attr, char *const argv[], char *const envp[]);",
	"int posix_spawn_file_actions_init(void *fa);",
	"int posix_spawn_file_actions_destroy(void *fa);",
	"int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd);",
	"int posix_spawnattr_init(void *attr);",
	"int posix_spawnattr_destroy(void *attr);",
	"int posix_spawnattr_setflags(void *attr, short flags);",
	"int posix_spawnattr_setpgroup(void *attr, int pgroup);",
	"int posix_spawnattr_setsigmask(void *attr, const void *mask);",
	"extern char **environ;"
)

base.define("struct lnout_sockaddr_un", [[ struct lnout_sockaddr_un { unsigned short family; char path[108]; }; ]])

local M = {}

-- Linux values, the same on x86_64 and aarch64.
M.O_WRONLY, M.O_CREAT, M.O_APPEND, M.O_CLOEXEC = 0x1, 0x40, 0x400, 0x80000
M.AF_UNIX, M.SOCK_STREAM, M.SOCK_DGRAM, M.SOCK_CLOEXEC = 1, 1, 2, 0x80000
M.MSG_DONTWAIT, M.MSG_NOSIGNAL = 0x40, 0x4000
M.EINTR, M.EAGAIN, M.EPIPE, M.ENOENT, M.ECHILD = 4, 11, 32, 2, 10
M.ECONNREFUSED, M.ENOTCONN, M.ECONNRESET, M.ENOBUFS = 111, 107, 104, 105
M.WNOHANG, M.SHUT_WR = 1, 1
M.SEEK_END = 2

function M.strerror(e)
	return ffi.string(C.strerror(e))
end

local ts = ffi.new("long[2]")
-- Seconds on CLOCK_MONOTONIC: timers and backoff must not jump with the
-- wall clock.
function M.now()
	C.clock_gettime(1, ts)
	return tonumber(ts[0]) + tonumber(ts[1]) * 1e-9
end

function M.sleep_ms(ms)
	C.poll(nil, 0, ms)
end

-- Writes as much of s to fd as it takes (blocking fd): the bytes
-- written, and the errno that stopped it short (nil when all went).
function M.write_some(fd, s)
	local off, len = 0, #s
	while off < len do
		local n = tonumber(C.write(fd, ffi.cast("const char *", s) + off, len - off))
		if n < 0 then
			local e = ffi.errno()
			if e ~= M.EINTR then return off, e end
		elseif n == 0 then
			return off, 28 -- ENOSPC: write(2) returns 0 only when nothing fits
		else
			off = off + n
		end
	end
	return off
end

-- Device and inode of a path or an fd.  Only st_dev and st_ino are read:
-- they are the first two 64-bit members of struct stat on both x86_64 and
-- the generic layout (aarch64), so no per-arch struct is needed; the
-- buffer is larger than either struct.
local statbuf = ffi.new("uint64_t[32]")
local function id_of(rc)
	if rc ~= 0 then return nil, ffi.errno() end
	return statbuf[0], statbuf[1]
end
function M.path_id(path) return id_of(C.stat(path, statbuf)) end
function M.fd_id(fd) return id_of(C.fstat(fd, statbuf)) end

-- A connected datagram or stream socket to a unix socket path.
function M.unix_connect(path, stype)
	local fd = C.socket(M.AF_UNIX, bit.bor(stype, M.SOCK_CLOEXEC), 0)
	if fd < 0 then return nil, ffi.errno() end
	local sa = ffi.new("struct lnout_sockaddr_un")
	sa.family = M.AF_UNIX
	if #path >= 108 then
		C.close(fd)
		return nil, 36 -- ENAMETOOLONG
	end
	ffi.copy(sa.path, path)
	if C.connect(fd, sa, ffi.sizeof(sa)) ~= 0 then
		local e = ffi.errno()
		C.close(fd)
		return nil, e
	end
	return fd
end

-- Non-blocking send that never raises SIGPIPE: bytes sent, or nil, errno.
function M.send(fd, s, off)
	off = off or 0
	local n = tonumber(C.send(fd, ffi.cast("const char *", s) + off, #s - off,
		bit.bor(M.MSG_DONTWAIT, M.MSG_NOSIGNAL)))
	if n < 0 then return nil, ffi.errno() end
	return n
end

-- `sh -c cmd` with its stdin on a fresh stream socket; returns pid and our
-- end of the socket.  A socket rather than a pipe because send() takes
-- MSG_NOSIGNAL: a program that exits cannot kill lanner with SIGPIPE, and
-- lanner need not ignore SIGPIPE (an ignored signal is inherited across
-- exec by every program it starts).  The child gets its own process group,
-- so a terminal's Ctrl-C does not kill it before lanner flushes the last
-- alerts; it ends at EOF when lanner closes its end.
function M.spawn_sh(cmd)
	local sv = ffi.new("int[2]")
	if C.socketpair(M.AF_UNIX, bit.bor(M.SOCK_STREAM, M.SOCK_CLOEXEC), 0, sv) ~= 0 then
		return nil, ffi.errno()
	end
	-- opaque glibc types (80 and 336 bytes on x86_64), given room to spare
	local fa, attr = ffi.new("uint8_t[512]"), ffi.new("uint8_t[1024]")
	C.posix_spawn_file_actions_init(fa)
	C.posix_spawn_file_actions_adddup2(fa, sv[1], 0) -- dup2 clears CLOEXEC on 0
	C.posix_spawnattr_init(attr)
	-- POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK: with a queue this
	-- thread blocks the tracer's signals (lanner.sigmask); the program
	-- starts with none blocked
	C.posix_spawnattr_setflags(attr, 0x02 + 0x08)
	C.posix_spawnattr_setpgroup(attr, 0)
	C.posix_spawnattr_setsigmask(attr, ffi.new("uint8_t[128]"))
	local args = { "sh", "-c", cmd }
	local argv = ffi.new("char *[4]")
	local keep = {}
	for i, a in ipairs(args) do
		keep[i] = ffi.new("char[?]", #a + 1, a)
		argv[i - 1] = keep[i]
	end
	local pid = ffi.new("int[1]")
	local rc = C.posix_spawnp(pid, "sh", fa, attr, argv, C.environ)
	C.posix_spawn_file_actions_destroy(fa)
	C.posix_spawnattr_destroy(attr)
	C.close(sv[1])
	if rc ~= 0 then
		C.close(sv[0])
		return nil, rc
	end
	return pid[0], sv[0]
end

-- True while pid has not exited.  lanner's tracing core reaps any child
-- (waitpid(-1, __WALL)), so ECHILD means "already gone", not an error.
function M.alive(pid)
	local r = C.waitpid(pid, nil, M.WNOHANG)
	return r == 0
end

return M
