-- The core's folders are layers (doc/architecture.md): a file calls only
-- into its own folder or into folders below it, and includes only their
-- headers.  Checked on the symbols the compiler left undefined in each
-- object, so a call that goes up or sideways fails here, whatever the
-- headers say.

local ROOT = (os.getenv("PWD") or ".")
-- Lowest first; folders of equal rank are siblings and may not call each other.
local RANK = { base = 0, table = 1, render = 2, state = 3, decode = 4,
	trace = 5, capture = 5, session = 6 }

local function lines(cmd)
	local out, p = {}, assert(io.popen(cmd))
	for l in p:lines() do out[#out + 1] = l end
	p:close()
	return out
end

local function objects()
	return lines("cd " .. ROOT .. "/build/obj/src && ls */*.o")
end

local function layer_of(path) return path:match("^([%w_]+)/") end

-- Calls that go up or sideways, from the objects under dir/<folder>/*.o.
local function violations(dir)
	local defined, objs = {}, lines("cd " .. dir .. " && ls */*.o")
	for _, o in ipairs(objs) do
		for _, l in ipairs(lines("nm --defined-only " .. dir .. "/" .. o)) do
			local sym = l:match("^%x+ [TDBRC] (ln_[%w_]+)$")
			if sym then defined[sym] = layer_of(o) end
		end
	end
	local bad = {}
	for _, o in ipairs(objs) do
		local from = layer_of(o)
		for _, l in ipairs(lines("nm -u " .. dir .. "/" .. o)) do
			local sym = l:match("U (ln_[%w_]+)$")
			local to = sym and defined[sym]
			if to and to ~= from and RANK[to] >= RANK[from] then
				bad[#bad + 1] = ("%s calls %s in %s/"):format(o, sym, to)
			end
		end
	end
	return bad, #objs
end

describe("src/ layers", function()
	it("has every folder of the core in the rank table, and every file in a folder", function()
		for _, f in ipairs(lines("cd " .. ROOT .. "/src && ls */*.c")) do
			assert.is_not_nil(RANK[layer_of(f)], f .. ": a folder with no rank")
		end
		-- only the FFI contract, the shared types and the binary's main stay at the top
		local top = lines("cd " .. ROOT .. "/src && ls -p | grep -v /")
		table.sort(top)
		assert.same({ "core.h", "lanner.h", "main.c" }, top)
	end)

	it("calls only into its own folder or the folders below", function()
		local bad, n = violations(ROOT .. "/build/obj/src")
		assert.is_true(n > 20, "build/obj/src holds the core's objects (make all)")
		assert.same({}, bad)
	end)

	it("includes only the headers of its own folder or the folders below", function()
		local bad = {}
		for _, f in ipairs(lines("cd " .. ROOT .. "/src && ls */*.c */*.h")) do
			local from = layer_of(f)
			for l in io.lines(ROOT .. "/src/" .. f) do
				local to = l:match('^#include "([%w_]+)/')
				if to and to ~= from and (RANK[to] == nil or RANK[to] >= RANK[from]) then
					bad[#bad + 1] = f .. ": " .. l
				end
			end
		end
		assert.same({}, bad)
	end)

	it("sees a call that goes up or sideways", function()
		local dir = os.tmpname()
		os.remove(dir)
		assert(os.execute(("mkdir -p %s/state %s/capture %s/trace %s/base"):format(dir, dir, dir, dir)))
		local function cc(path, src)
			local f = assert(io.open(dir .. "/" .. path .. ".c", "w"))
			f:write(src)
			f:close()
			assert(os.execute(("cc -c -o %s/%s.o %s/%s.c"):format(dir, path, dir, path)))
		end
		cc("capture/w", "void ln_w_journal(void) {}\nvoid ln_w_next(void) {}\n")
		cc("state/s", "void ln_w_journal(void);\nvoid ln_s(void) { ln_w_journal(); }\n")
		cc("trace/t", "void ln_w_next(void);\nvoid ln_t(void) { ln_w_next(); }\n")
		cc("base/b", "void ln_s(void);\nvoid ln_b(void) { ln_s(); }\n")
		local bad = violations(dir)
		os.execute("rm -rf " .. dir)
		table.sort(bad)
		assert.same({ "base/b.o calls ln_s in state/", "state/s.o calls ln_w_journal in capture/",
			"trace/t.o calls ln_w_next in capture/" }, bad)
	end)
end)
