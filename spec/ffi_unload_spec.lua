-- A library loaded with ffi.load is dlclosed when its namespace is collected:
-- a module dropped from package.loaded (a host reloading its modules,
-- busted's insulate between spec files) lets that happen while objects made
-- through it still wait for their ffi.gc finaliser, which then calls into
-- unmapped code.  Each case runs in its own luajit, as the failure is a
-- segfault: the case says "done" and exits 0, or it crashed.
local function run(body)
	local path = os.tmpname()
	local f = assert(io.open(path, "w"))
	f:write([[
package.path = "lua/?.lua;build/lua/?.lua;" .. package.path
local ffi = require "ffi"
local function drop_modules()
	for k in pairs(package.loaded) do
		if k:match("^lanner") then package.loaded[k] = nil end
	end
end
]], body, [[

drop_modules()
collectgarbage(); collectgarbage()
io.stderr:write("done\n")
]])
	f:close()
	local p = assert(io.popen("luajit " .. path .. " 2>&1; echo \"exit $?\""))
	local out = p:read("*a")
	p:close()
	os.remove(path)
	return out
end

local DONE = "done\nexit 0\n"

describe("objects made through an FFI library, after the module that loaded it is gone", function()
	it("the core itself is never unmapped: a function pointer into it still runs", function()
		assert.equal("ok\n" .. DONE, run [[
local f
do
	local C = require("lanner.core").C
	f = C.ln_abi_version	-- as any FFI host may keep one, e.g. as a finaliser
end
drop_modules()
collectgarbage(); collectgarbage()
io.stderr:write(f() > 0 and "ok\n" or "bad\n")
]])
	end)

	it("a session is freed by its finaliser without a crash", function()
		assert.equal(DONE, run [[
do
	local s = assert(require("lanner.session").new())
	assert(s:spawn { "/bin/true" })
end
]])
	end)

	it("an http output's header list is freed by its finaliser without a crash", function()
		local curl = require "lanner.outputs.curl"
		if not curl.lib() then
			pending("libcurl not installed")
			return
		end
		assert.equal(DONE, run [[
do
	local o = assert(require("lanner.outputs.http").new({ url = "http://127.0.0.1:9/" }, {}))
	o:close()
end
]])
	end)
end)
