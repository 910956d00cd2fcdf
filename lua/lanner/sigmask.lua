-- Programs started from the thread that reads lanner's queue: that thread
-- blocks the signals the tracing thread handles (src/session/async.c,
-- SIGCHLD among them), and a signal mask survives fork and exec.  A
-- program started with SIGCHLD or SIGTERM blocked misbehaves (a shell
-- never hears of its children; a service cannot be stopped), so io.popen
-- and os.execute run with the mask cleared for the call (a signal that
-- lands here meanwhile is handled as on any thread), and
-- lanner.outputs.sys gives posix_spawn an empty mask.
local ffi = require "ffi"
local base = require "lanner.base"

base.declare("int pthread_sigmask(int how, const void *set, void *old);")

local SIG_SETMASK = 2
local SIGSET_BYTES = 128	-- glibc's sigset_t

local M = { SIGSET_BYTES = SIGSET_BYTES }

-- fn(...) with no signal blocked on this thread; the mask put back after.
function M.unblocked(fn, ...)
	local old, none = ffi.new("uint8_t[?]", SIGSET_BYTES), ffi.new("uint8_t[?]", SIGSET_BYTES)
	ffi.C.pthread_sigmask(SIG_SETMASK, none, old)
	local r = { pcall(fn, ...) }
	ffi.C.pthread_sigmask(SIG_SETMASK, old, nil)
	if not r[1] then error(r[2], 0) end
	return unpack(r, 2, table.maxn(r))
end

-- io.popen and os.execute, for the rest of the run (chisels, scripts and
-- outputs see the same tables).
function M.wrap_spawners()
	if M.wrapped then return end
	M.wrapped = true
	local popen, execute = io.popen, os.execute
	io.popen = function(...) return M.unblocked(popen, ...) end
	os.execute = function(...) return M.unblocked(execute, ...) end
end

return M
