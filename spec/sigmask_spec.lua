-- lanner.sigmask: with a queue, the thread that runs chisels and outputs
-- blocks SIGCHLD and the signals lanner forwards (src/session/async.c);
-- what io.popen and os.execute start from there must not inherit that.
-- Debian's /bin/sh clears the mask it is given, which hides the problem
-- behind every popen: so the wrapper is checked on this thread's own
-- mask, blocked here as the queue blocks it.
local ffi = require "ffi"
local sigmask = require "lanner.sigmask"
require("lanner.base").declare("int pthread_sigmask(int how, const void *set, void *old);")

local function blocked_now()
	local f = assert(io.open("/proc/thread-self/status"))
	local s = f:read("*a")
	f:close()
	return s:match("SigBlk:%s*(%x+)")
end

describe("lanner.sigmask", function()
	local saved = ffi.new("uint8_t[128]")

	before_each(function()
		local set = ffi.new("uint8_t[128]")
		set[2] = 0x01	-- bit 16: SIGCHLD (17)
		ffi.C.pthread_sigmask(0, set, saved)	-- SIG_BLOCK
	end)

	after_each(function()
		ffi.C.pthread_sigmask(2, saved, nil)
	end)

	it("runs a function with no signal blocked, then puts the mask back", function()
		local before = blocked_now()
		assert.equal(1, bit.band(tonumber(before:sub(-5, -5), 16), 1))	-- SIGCHLD blocked
		local inside, extra = sigmask.unblocked(function(x) return blocked_now(), x end, 42)
		assert.equal("0000000000000000", inside)
		assert.equal(42, extra)
		assert.equal(before, blocked_now())
	end)

	it("puts the mask back when the function raises, and raises its error", function()
		local before = blocked_now()
		local ok, err = pcall(sigmask.unblocked, function() error("boom", 0) end)
		assert.is_false(ok)
		assert.equal("boom", err)
		assert.equal(before, blocked_now())
	end)

	it("wraps io.popen and os.execute once", function()
		local popen = io.popen
		sigmask.wrap_spawners()
		local wrapped = io.popen
		sigmask.wrap_spawners()
		assert.equal(wrapped, io.popen)
		local f = io.popen("echo hi")
		assert.equal("hi\n", f:read("*a"))
		f:close()
		assert.is_true(popen ~= io.popen)
		assert.equal(0, os.execute("true"))	-- LuaJIT: the status, as Lua 5.1
	end)
end)
