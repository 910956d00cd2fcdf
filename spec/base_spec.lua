-- lanner.base: the cdef helpers and the file reader every module uses.
local base = require "lanner.base"
local ffi = require "ffi"

describe("base.declare", function()
	it("lets a declaration be made again, by several modules", function()
		base.declare("int base_spec_twice(int x);", "int base_spec_twice(int x);")
		base.declare("int base_spec_twice(int x);")
		-- a struct, which ffi.cdef itself refuses twice
		base.declare("struct base_spec_s { int a; };")
		assert.has_no.errors(function() base.declare("struct base_spec_s { int a; };") end)
		assert.equal(4, ffi.sizeof("struct base_spec_s"))
	end)

	it("raises for a declaration that does not parse, naming it", function()
		local ok, err = pcall(base.declare, "int fine(void);", "int base_spec_typo(nosuchtype x);")
		assert.is_false(ok)
		assert.matches("ffi.cdef: .* in: int base_spec_typo%(nosuchtype x%);$", err)
	end)
end)

describe("base.define", function()
	it("declares the types once, guarded by one of them", function()
		base.define("base_spec_t", "typedef struct base_spec_t { int a, b; } base_spec_t;")
		assert.has_no.errors(function()
			base.define("base_spec_t", "typedef struct base_spec_t { int a, b; } base_spec_t;")
		end)
		assert.equal(8, ffi.sizeof("base_spec_t"))
	end)
end)

describe("base.read_file", function()
	it("reads a whole file, bytes as they are", function()
		local p = os.tmpname()
		local f = assert(io.open(p, "wb"))
		f:write("a\0b\r\n")
		f:close()
		assert.equal("a\0b\r\n", base.read_file(p))
		os.remove(p)
	end)

	it("returns nil and the reason for a missing file and for a directory", function()
		assert.same({ nil, "/nonexistent/x: No such file or directory" }, { base.read_file("/nonexistent/x") })
		assert.same({ nil, "/tmp: Is a directory" }, { base.read_file("/tmp") })
	end)
end)

describe("base.list_dir", function()
	local dir
	before_each(function()
		dir = io.popen("mktemp -d /tmp/lanner-base-spec.XXXXXX"):read("*l")
		for _, n in ipairs { "b.yaml", "a.yaml", ".hidden.yaml", "notes" } do
			assert(io.open(dir .. "/" .. n, "w")):close()
		end
		os.execute("mkdir " .. dir .. "/sub")
	end)
	after_each(function() os.execute("rm -rf " .. dir) end)

	it("lists a folder's entries as ls does: no . or .., no dot files, folders too", function()
		local names = assert(base.list_dir(dir))
		table.sort(names)
		assert.same({ "a.yaml", "b.yaml", "notes", "sub" }, names)
	end)

	it("gives the errno for a file and for nothing there", function()
		assert.same({ nil, base.ENOTDIR }, { base.list_dir(dir .. "/a.yaml") })
		assert.same({ nil, base.ENOENT }, { base.list_dir(dir .. "/nope") })
	end)
end)
