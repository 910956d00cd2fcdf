-- The FFI binding: the cdef generated from src/lanner.h, the C namespace, and
-- the event type table turned into Lua lookups.
--
-- The namespace is ffi.C when the running binary is `lanner` (it links the
-- core in and exports its symbols with -rdynamic), otherwise liblanner.so:
-- $LANNER_LIB, then the build tree this file sits in, then the loader's
-- search path.  Either way the core must speak the ABI this cdef describes.
local ffi = require "ffi"
local bit = require "bit"

local M = { ffi = ffi }

require "lanner.jit_tuning"

-- One cdef per process, guarded on a type the header declares.
local cdef = require "lanner.cdef"
require("lanner.base").define("ln_event", cdef)

local function exports_core(ns)
	return pcall(function() return ns.ln_abi_version end)
end

-- Directory of the repository when running from a checkout
-- (<repo>/lua/lanner/core.lua), nil when installed elsewhere.
local function repo_dir()
	local src = debug.getinfo(1, "S").source
	if src:sub(1, 1) ~= "@" then return nil end
	local path = src:sub(2)
	if path:sub(1, 1) ~= "/" then path = "./" .. path end
	return path:match("^(.*)/lua/lanner/core%.lua$")
end

local function load_namespace()
	if exports_core(ffi.C) then return ffi.C, "lanner executable" end
	local tried = {}
	local cands = {}
	if os.getenv("LANNER_LIB") and os.getenv("LANNER_LIB") ~= "" then
		cands[#cands + 1] = os.getenv("LANNER_LIB")
	end
	local dir = repo_dir()
	if dir then cands[#cands + 1] = (dir == "" and "/" or dir) .. "/build/liblanner.so" end
	cands[#cands + 1] = "lanner"
	for _, path in ipairs(cands) do
		local ok, lib = pcall(ffi.load, path)
		if ok then return lib, path end
		tried[#tried + 1] = path .. ": " .. tostring(lib)
	end
	error("lanner: cannot load the C core (set LANNER_LIB or run `make build/liblanner.so`):\n  "
		.. table.concat(tried, "\n  "), 0)
end

local C, origin = load_namespace()
M.C = C
M.origin = origin

-- A core built from another lanner.h would read our structs at the wrong
-- offsets: refuse to run rather than print garbage.
do
	local want = tonumber(C.LN_ABI_VERSION)
	local have = tonumber(C.ln_abi_version())
	if have ~= want then
		error(string.format("lanner: ABI mismatch: the Lua side expects version %d, "
			.. "the C core (%s) is version %d; rebuild both from the same tree",
			want, origin, have), 0)
	end
	M.abi_version = have
end

require("lanner.base").declare("void *dlopen(const char *file, int mode);",
	"void *dlsym(void *handle, const char *name);", "int dlclose(void *handle);")
local RTLD_LAZY, RTLD_NOLOAD = 0x1, 0x4

-- Every function that the cdef (lanner.h) declares must be exported by the
-- core: a renamed or missing one is refused here, by name, instead of
-- failing at its first call or letting a caller skip what it does.
-- Asked of the dynamic linker where the namespace's handle is at hand (the
-- executable, or the library as loaded from `from`): resolving each
-- through the namespace made a function object per name, 0.7 ms of every
-- start for 71 names.
function M.check_symbols(ns, decls, from)
	local handle	-- nil: through the namespace
	if ns == ffi.C then
		handle = ffi.cast("void *", 0)	-- RTLD_DEFAULT
	elseif from then
		local h = ffi.C.dlopen(from, bit.bor(RTLD_LAZY, RTLD_NOLOAD))
		if h ~= nil then handle = h end
	end
	local missing = {}
	-- (from word starts only: trying every suffix of every word was
	-- 0.8 ms of each start, 0.2 ms so)
	for name in decls:gmatch("%f[%w_]([%w_]+)%s*%b()%s*;") do
		local found
		if handle then
			found = ffi.C.dlsym(handle, name) ~= nil
		else
			found = pcall(function() return ns[name] end)
		end
		if not found then missing[#missing + 1] = name end
	end
	if handle and ns ~= ffi.C then ffi.C.dlclose(handle) end	-- NOLOAD took a reference
	if #missing > 0 then
		error(string.format("lanner: the C core (%s) lacks %s, which lanner.h declares; "
			.. "rebuild both from the same tree", from, table.concat(missing, ", ")), 0)
	end
end
M.check_symbols(C, cdef, origin)

-- The event type table.  Ids are the C ones (0-based); per id:
--   type_name[id]     Falco's evt.type name
--   type_id[name]     the reverse
--   type_info[id]     { name, id, nr, category, flags, nparams,
--                       pnames = {1-based names}, pindex = {name -> 0-based},
--                       kinds = {0-based -> kind}, srcs = {0-based -> src},
--                       res = 0-based index of the result param or nil }
local type_name, type_id, type_info = {}, {}, {}
local ntypes = tonumber(C.ln_ntypes())
for id = 0, ntypes - 1 do
	local t = C.ln_type(id)
	local name = ffi.string(t.name)
	local info = {
		name = name, id = id, nr = tonumber(t.nr),
		category = tonumber(t.category), flags = tonumber(t.flags),
		nparams = tonumber(t.nparams),
		pnames = {}, pindex = {}, kinds = {}, srcs = {},
	}
	for i = 0, info.nparams - 1 do
		local pn = ffi.string(t.pname[i])
		info.pnames[i + 1] = pn
		-- Several params may share a name in principle; the first wins, as
		-- Falco's get_param_value_raw returns the first match.
		if info.pindex[pn] == nil then info.pindex[pn] = i end
		info.kinds[i] = tonumber(t.kind[i])
		info.srcs[i] = tonumber(t.src[i])
		if info.srcs[i] == 6 and info.res == nil then info.res = i end
	end
	type_name[id] = name
	type_id[name] = id
	type_info[id] = info
end
M.ntypes = ntypes
M.type_name = type_name
M.type_id = type_id
M.type_info = type_info

-- The 32-bit x86 syscalls reported as a native type (syscalls.def's COMPAT
-- rows): compat_alias["mmap2"] = { type = "mmap", pages = 5 }, pages the
-- argument counted in 4096-byte pages (decoded as bytes) or nil.
local compat_alias = {}
do
	local ty, pg = ffi.new("int[1]"), ffi.new("int[1]")
	for i = 0, math.huge do
		local name = C.ln_compat_alias(i, ty, pg)
		if name == nil then break end
		if ty[0] >= 0 then
			compat_alias[ffi.string(name)] = { type = type_name[ty[0]], pages = pg[0] >= 0 and pg[0] or nil }
		end
	end
end
M.compat_alias = compat_alias

-- Index of the result and of derived values in ln_type_info.src
-- (src/core.h keeps these out of the FFI header).
M.SRC_RES = 6
M.SRC_DERIVED = 7

-- Type names, in table order.
function M.type_names()
	local out = {}
	for id = 0, ntypes - 1 do out[#out + 1] = type_name[id] end
	return out
end

-- Set of type names whose flags have any bit of mask.
function M.types_with_flags(mask)
	local set = {}
	for id = 0, ntypes - 1 do
		if bit.band(type_info[id].flags, mask) ~= 0 then set[type_name[id]] = true end
	end
	return set
end

-- Set of type names that have a parameter called pname.
function M.types_with_param(pname)
	local set = {}
	for id = 0, ntypes - 1 do
		if type_info[id].pindex[pname] then set[type_name[id]] = true end
	end
	return set
end

return M
