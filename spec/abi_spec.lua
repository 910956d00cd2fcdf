-- The FFI's view of src/lanner.h against the C compiler's: every
-- "sizeof T N" and "offsetof T.m N" line build/abi_layout prints must hold
-- for ffi.sizeof / ffi.offsetof, and the core must speak our ABI version.
local ffi = require "ffi"
local core = require "lanner.core"

local function layout_lines()
	local exe = "build/abi_layout"
	if not io.open(exe, "r") then os.execute("make -s " .. exe .. " >/dev/null 2>&1") end
	local p = assert(io.popen(exe .. " 2>&1"))
	local out = p:read("*a")
	local ok = p:close()
	return out, ok
end

describe("ABI", function()
	it("every struct size and member offset matches the C compiler", function()
		local out, ok = layout_lines()
		assert.is_truthy(ok, "build/abi_layout did not run: " .. out)
		local n = 0
		for line in out:gmatch("[^\n]+") do
			local what, name, val = line:match("^(%a+) ([%w_%.]+) (%d+)$")
			assert.is_truthy(what, "unexpected line: " .. line)
			local got
			if what == "sizeof" then
				got = ffi.sizeof(name)
			elseif what == "offsetof" then
				local t, m = name:match("^([%w_]+)%.([%w_]+)$")
				got = ffi.offsetof(t, m)
			else
				error("unexpected line: " .. line)
			end
			assert.are.equal(tonumber(val), got, line)
			n = n + 1
		end
		-- the program prints 28 lines today; far fewer means it broke
		assert.is_true(n >= 20, "only " .. n .. " layout lines")
	end)

	it("the core speaks the cdef's ABI version", function()
		assert.are.equal(tonumber(core.C.LN_ABI_VERSION), tonumber(core.C.ln_abi_version()))
		assert.are.equal(core.abi_version, tonumber(core.C.ln_abi_version()))
	end)

	it("the type table is loaded with names and parameters", function()
		assert.is_true(core.ntypes > 50)
		local id = assert(core.type_id.openat)
		assert.are.equal("openat", core.type_name[id])
		local info = core.type_info[id]
		assert.are.same({ "fd", "dirfd", "name", "flags", "mode", "dev", "ino" }, info.pnames)
		assert.are.equal(2, info.pindex.name)
		assert.are.equal(0, info.res)
		assert.are.equal(tonumber(core.C.LN_K_PATH), info.kinds[2])
		assert.is_true(core.types_with_param("data").write)
		assert.is_nil(core.types_with_param("data").openat)
	end)

	it("refuses a core that lacks a function lanner.h declares, naming it", function()
		core.ffi.cdef "int ln_abi_spec_not_exported(int x);"
		assert.has_no.errors(function() core.check_symbols(core.C, "int ln_abi_version(void);", "test") end)
		local ok, err = pcall(core.check_symbols, core.C,
			"int ln_abi_version(void);\nint ln_abi_spec_not_exported(int x);\nvoid ln_gone(void);", "test")
		assert.is_false(ok)
		assert.equal("lanner: the C core (test) lacks ln_abi_spec_not_exported, ln_gone, which lanner.h "
			.. "declares; rebuild both from the same tree", err)
	end)

	it("asks the dynamic linker when it knows the core's file, with the same verdict", function()
		local decls = "int ln_abi_version(void);\nint ln_abi_spec_not_exported(int x);\nvoid ln_gone(void);"
		-- a namespace that knows nothing: only the linker can find these
		local blind = setmetatable({}, { __index = function() error("not through the namespace") end })
		assert.has_no.errors(function() core.check_symbols(blind,
			"int ln_abi_version(void);\nint ln_ntypes(void);", core.origin) end)
		local ok, err = pcall(core.check_symbols, core.C, decls, core.origin)
		assert.is_false(ok)
		assert.truthy(err:find("lacks ln_abi_spec_not_exported, ln_gone, which", 1, true), err)
		-- the executable's own namespace: RTLD_DEFAULT
		ok, err = pcall(core.check_symbols, core.ffi.C, "int dlsym(void);\nvoid ln_gone(void);", "lanner executable")
		assert.is_false(ok)
		assert.truthy(err:find("lacks ln_gone, which", 1, true), err)
	end)
end)
