-- Helpers every Lua module may use; this one requires nothing of lanner.
local ffi = require "ffi"

local M = {}

-- declare(decl, ...): ffi.cdef each C declaration on its own.  Several
-- modules declare the same libc functions, and a declaration seen twice
-- raises "attempt to redefine"; the first one stands (LuaJIT keeps it).
-- Any other error (a typo in a declaration) is raised, naming it.
function M.declare(...)
	for i = 1, select("#", ...) do
		local decl = select(i, ...)
		local ok, err = pcall(ffi.cdef, decl)
		if not ok and not tostring(err):find("attempt to redefine", 1, true) then
			error("ffi.cdef: " .. tostring(err) .. " in: " .. decl, 2)
		end
	end
end

-- define(typename, decls): ffi.cdef decls unless typename, a type they
-- declare, exists already.  Structs cannot be declared twice, and a
-- module may be loaded twice in one process (package.loaded cleared, the
-- lanner binary and liblanner side by side).
function M.define(typename, decls)
	if not pcall(ffi.typeof, typename) then ffi.cdef(decls) end
end

-- read_file(path) -> contents | nil, "path: reason"
function M.read_file(path)
	local f, err = io.open(path, "rb")
	if not f then return nil, err end
	local s, rerr = f:read("*a") -- a directory opens, then fails here
	f:close()
	if not s then return nil, path .. ": " .. tostring(rerr) end
	return s
end

return M
