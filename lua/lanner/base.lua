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

-- list_dir(path) -> {names} (unsorted; none starting with a dot, as
-- `ls` shows them) | nil, errno.  readdir64's struct is the same on every
-- architecture (glibc's dirent differs on 32-bit ones).  Listing through
-- io.popen of `ls` forked lanner, a shell and ls: 2 ms of every
-- `lanner -R rules/`.
function M.list_dir(path)
	M.define("struct ln_dirent64", [[
		struct ln_dirent64 { uint64_t d_ino; int64_t d_off; unsigned short d_reclen;
			unsigned char d_type; char d_name[256]; };
		void *opendir(const char *name);
		struct ln_dirent64 *readdir64(void *dir);
		int closedir(void *dir);
	]])
	local C = ffi.C
	local d = C.opendir(path)
	if d == nil then return nil, ffi.errno() end
	local names = {}
	while true do
		local e = C.readdir64(d)
		if e == nil then break end
		local n = ffi.string(e.d_name)
		if n:byte(1) ~= 46 then names[#names + 1] = n end	-- "."
	end
	C.closedir(d)
	return names
end

-- errno values list_dir gives (asm-generic/errno-base.h, the same on
-- every Linux architecture)
M.ENOENT, M.ENOTDIR = 2, 20

return M
