-- A small regular file as a traced process sees it under its own root
-- (/proc/PID/root/etc/passwd for user.name in a container), read so that
-- what the process put there cannot hurt lanner: a FIFO there blocked
-- lanner's read for good, a large file (or a link to /dev/zero) filled
-- its memory, and an absolute symbolic link was followed from lanner's
-- root, the host's.  So the path is resolved inside the process's root
-- (openat2's RESOLVE_IN_ROOT; Linux < 5.6 resolves it from lanner's) to
-- an O_PATH fd, which opens nothing: only a regular file of at most max
-- bytes is then opened (without blocking) and read.  A device node there
-- is never opened: lanner is root on the host, and opening some devices
-- does something.
local ffi = require "ffi"
local bit = require "bit"
local base = require "lanner.base"
local C = ffi.C

-- Other modules declare some of these too: base.declare lets the first stand.
base.declare(
	"long syscall(long number, ...);",
	"int open(const char *path, int flags, ...);",
	"int openat(int dirfd, const char *path, int flags, ...);",
	"ssize_t read(int fd, void *buf, size_t n);",
	"int close(int fd);",
	"int statx(int dirfd, const char *path, int flags, unsigned int mask, void *buf);",
	"char *strerror(int errnum);"
)

local M = {}

-- Linux values, the same on x86_64 and aarch64 (openat2 is 437 on both).
local SYS_OPENAT2 = 437
local O_RDONLY, O_NOCTTY, O_NONBLOCK, O_CLOEXEC, O_PATH = 0, 0x100, 0x800, 0x80000, 0x200000
local O_DIRECTORY = 0x10000
local RESOLVE_NO_MAGICLINKS, RESOLVE_IN_ROOT = 0x02, 0x10
local AT_EMPTY_PATH, STATX_TYPE, STATX_SIZE = 0x1000, 0x1, 0x200
local S_IFMT, S_IFREG = 0xF000, 0x8000
local EINTR, ENOSYS, ESRCH = 4, 38, 3
M.ENOENT = 2

local how = ffi.new("uint64_t[3]") -- struct open_how: flags, mode, resolve
local stx = ffi.new("uint8_t[256]") -- struct statx: mode at 28, size at 40
local FLAGS = O_RDONLY + O_NOCTTY + O_NONBLOCK + O_CLOEXEC

-- An O_PATH fd of root/rel, resolved inside root: it opens nothing (a
-- device node planted there is not opened, whatever opening it would do).
-- A third value true: root itself is not there (ENOENT, ESRCH: a
-- /proc/PID/root whose process has ended); any other failure to open it
-- (EACCES under hidepid, say) lasts and is the file's.
-- root: a path, or { dfd = an open /proc/PID directory }, whose "root"
-- is taken.
local function path_in(root, rel)
	local dfd
	if type(root) == "table" then
		dfd = C.openat(root.dfd, "root", O_PATH + O_CLOEXEC)
	else
		dfd = C.open(root, O_PATH + O_CLOEXEC)
	end
	if dfd < 0 then
		local e = ffi.errno()
		return -1, e, e == M.ENOENT or e == ESRCH
	end
	how[0], how[1], how[2] = O_PATH + O_CLOEXEC, 0, RESOLVE_IN_ROOT + RESOLVE_NO_MAGICLINKS
	local fd = tonumber(C.syscall(SYS_OPENAT2, ffi.cast("int", dfd), rel, how, ffi.cast("size_t", 24)))
	local e = ffi.errno()
	if fd < 0 and e == ENOSYS then
		-- from the root already open: the process may end meanwhile
		fd = C.openat(dfd, rel, O_PATH + O_CLOEXEC)
		e = ffi.errno()
	end
	C.close(dfd)
	return fd, e
end

-- All of a small /proc file, through an open directory fd; nil, errno.
local function proc_text(dfd, name)
	local fd = C.openat(dfd, name, O_RDONLY + O_CLOEXEC)
	if fd < 0 then return nil, ffi.errno() end
	local buf, out = ffi.new("char[4096]"), {}
	while true do
		local n = tonumber(C.read(fd, buf, 4096))
		if n > 0 then
			out[#out + 1] = ffi.string(buf, n)
		elseif n == 0 or ffi.errno() ~= EINTR then
			break
		end
	end
	C.close(fd)
	return table.concat(out)
end

-- read(root, rel, max) -> contents | nil, reason, errno, rootless (reason
-- says the path as the process names it; errno is nil where no call
-- failed; rootless: the root itself was not there, as /proc/PID/root of
-- a process that has ended, which says nothing of the file)
function M.read(root, rel, max)
	local pfd, e, rootless = path_in(root, rel)
	if pfd < 0 then return nil, "/" .. rel .. ": " .. ffi.string(C.strerror(e)), e, rootless end
	local why, fd
	if C.statx(pfd, "", AT_EMPTY_PATH, STATX_TYPE + STATX_SIZE, stx) ~= 0 then
		why = ffi.string(C.strerror(ffi.errno()))
	elseif bit.band(ffi.cast("uint16_t *", stx + 28)[0], S_IFMT) ~= S_IFREG then
		why = "not a regular file"
	elseif ffi.cast("uint64_t *", stx + 40)[0] > max then
		why = "larger than " .. max .. " bytes"
	else
		-- a regular file: opened now, through the fd that pins it
		fd = C.open("/proc/self/fd/" .. pfd, FLAGS)
		if fd < 0 then why = ffi.string(C.strerror(ffi.errno())) end
	end
	C.close(pfd)
	local out
	if fd and fd >= 0 then
		-- it may grow after the stat: never more than max + 1 bytes
		local size = tonumber(ffi.cast("uint64_t *", stx + 40)[0])
		local cap = math.min(max, size + 4096) + 1
		local buf = ffi.new("char[?]", cap)
		local got = 0
		while got < cap do
			local n = tonumber(C.read(fd, buf + got, cap - got))
			if n == 0 then break end
			if n < 0 and ffi.errno() ~= EINTR then
				why = ffi.string(C.strerror(ffi.errno()))
				break
			end
			if n > 0 then got = got + n end
		end
		C.close(fd)
		if got > max and not why then why = "larger than " .. max .. " bytes" end
		if got == cap and cap <= max and not why then why = "grew while read" end
		if not why then out = ffi.string(buf, got) end
	end
	if why then return nil, "/" .. rel .. ": " .. why end
	return out
end

-- read_proc(pid, rel, max, accept) -> as read, rel under /proc/PID/root,
-- where accept(cgroup) says from /proc/PID/cgroup's text that the process
-- at pid is still one of those meant (of the container whose files are
-- read).  With the queue, an event is looked at after the fact: its
-- process may have ended and its pid gone to another, a host process,
-- whose root is the host's.  The /proc/PID directory is opened once and
-- the cgroup and the root are reached through it, so a pid reused after
-- the check cannot switch them.  A process gone, or not accepted, is
-- "rootless" (fourth value): it says nothing of the files.
function M.read_proc(pid, rel, max, accept)
	local pdfd = C.open("/proc/" .. pid, O_PATH + O_DIRECTORY + O_CLOEXEC)
	if pdfd < 0 then
		local e = ffi.errno()
		return nil, "/" .. rel .. ": " .. ffi.string(C.strerror(e)), e, e == M.ENOENT or e == ESRCH
	end
	local cg, e = proc_text(pdfd, "cgroup")
	local s, why, errno, rootless
	if cg == nil then
		why, errno, rootless = "/" .. rel .. ": " .. ffi.string(C.strerror(e)), e, e == M.ENOENT or e == ESRCH
	elseif not accept(cg) then
		why, rootless = "/" .. rel .. ": process " .. pid .. " is no longer one of them", true
	else
		s, why, errno, rootless = M.read({ dfd = pdfd }, rel, max)
	end
	C.close(pdfd)
	return s, why, errno, rootless
end

return M
