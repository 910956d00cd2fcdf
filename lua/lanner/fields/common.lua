-- What the field families share: the C namespace, lookups into the core's
-- state tables, a per-event cache, parameter access and path helpers.
--
-- Getters run on every event a compiled filter sees, so the helpers here
-- avoid allocation on the common path: cdata fields are read directly,
-- strings are made once per event and kept in the event cache.
local ffi = require "ffi"
local bit = require "bit"
local core = require "lanner.core"
local tclear = require "table.clear"

local C = core.C
local band = bit.band
local M = { ffi = ffi, C = C, core = core }

-- Type flags and kinds as plain numbers, read once from the cdef.
M.TF = {
	FD_CREATE = tonumber(C.LN_TF_FD_CREATE), IO_READ = tonumber(C.LN_TF_IO_READ),
	IO_WRITE = tonumber(C.LN_TF_IO_WRITE), OPEN = tonumber(C.LN_TF_OPEN),
	USES_FD = tonumber(C.LN_TF_USES_FD), EXEC = tonumber(C.LN_TF_EXEC),
	CLONE = tonumber(C.LN_TF_CLONE), PSEUDO = tonumber(C.LN_TF_PSEUDO),
}
local TF = M.TF
M.FD_RELATED = TF.FD_CREATE + TF.USES_FD

local K = {}
for _, n in ipairs { "NONE", "INT", "UINT", "HEX", "OCT", "FD", "DIRFD", "PID", "RES",
	"RES_FD", "PATH", "STR", "BUF_IN", "BUF_OUT", "IOV_IN", "IOV_OUT", "MSG_IN",
	"MSG_OUT", "SOCKADDR_IN", "SOCKADDR_OUT", "TUPLE", "ARGV", "FDPAIR", "OPEN_HOW",
	"CLONE_ARGS", "OFLAGS", "MODE", "UID", "GID", "CAPS", "TIMESPEC2", "TIMEVAL2" } do
	K[n] = tonumber(C["LN_K_" .. n])
end
M.K = K

-- Kinds whose value is bytes the core read (str/len), not an integer.
local BYTES_KIND = {
	[K.PATH] = true, [K.STR] = true, [K.BUF_IN] = true, [K.BUF_OUT] = true,
	[K.IOV_IN] = true, [K.IOV_OUT] = true, [K.MSG_IN] = true, [K.MSG_OUT] = true,
	[K.SOCKADDR_IN] = true, [K.SOCKADDR_OUT] = true, [K.TUPLE] = true,
	[K.ARGV] = true, [K.FDPAIR] = true,
}
-- Structs whose first u64 is the flags (open_how, clone_args): their raw
-- value is that number, as the flags of open and clone are.
local FLAGS_STRUCT = { [K.OPEN_HOW] = true, [K.CLONE_ARGS] = true }
M.BYTES_KIND = BYTES_KIND
-- Kinds the kernel fills in: without the exit stop they hold nothing.
local OUT_KIND = {
	[K.BUF_OUT] = true, [K.IOV_OUT] = true, [K.MSG_OUT] = true,
	[K.SOCKADDR_OUT] = true, [K.FDPAIR] = true,
}
M.OUT_KIND = OUT_KIND

local PF_READ = tonumber(C.LN_PF_READ)
local PF_NULL = tonumber(C.LN_PF_NULL)
local SRC_RES = core.SRC_RES
local type_info = core.type_info

M.AT_FDCWD = -100

-- Open flags from the core's constant tables (they differ between
-- architectures: O_TMPFILE includes O_DIRECTORY); x86_64 values for a name
-- a table lacks.
local O = { RDONLY = 0, WRONLY = 1, RDWR = 2, ACCMODE = 3, CREAT = 64, TRUNC = 512,
	EXCL = 128, TMPFILE = 4259840 }
do
	local out = ffi.new("int64_t[1]")
	for name in pairs(O) do
		if name ~= "ACCMODE" and C.ln_const_value(K.OFLAGS, "O_" .. name, out) == 0 then
			O[name] = tonumber(out[0])
		end
	end
end
M.O = O

---------------------------------------------------------------------------
-- Lookups into the core's tables.  The live CLI points them at the session
-- (fields.set_session); specs install plain Lua functions.
-- meta: the container, task and pod metadata (a lanner.meta store), set
-- by the CLI with fields.set_metadata.
local state = { proc = nil, fd = nil, fd_iter = nil, meta = nil }
M.state = state

function M.proc_of_pid(pid)
	local f = state.proc
	if f == nil or pid == nil or pid <= 0 then return nil end
	local p = f(pid)
	if p == nil then return nil end -- also NULL cdata
	return p
end

function M.fd_of(p, num)
	local f = state.fd
	if f == nil or p == nil then return nil end
	local fd = f(p, num)
	if fd == nil then return nil end
	return fd
end

---------------------------------------------------------------------------
-- Per-event cache.  Keyed on the event number and address: the core hands
-- out each event once with a fresh number, and specs build distinct events.
local cache = {}
local cache_num, cache_addr = -1, -1

function M.evcache(ev)
	local n = tonumber(ev.num)
	-- ev is an ln_event * from ln_next, or an ln_event built by a spec
	local a = tonumber(ffi.cast("uintptr_t", ffi.cast("const ln_event *", ev)))
	if n ~= cache_num or a ~= cache_addr then
		tclear(cache)
		cache_num, cache_addr = n, a
	end
	return cache
end

function M.reset_cache()
	tclear(cache)
	cache_num, cache_addr = -1, -1
end

---------------------------------------------------------------------------
-- Strings derived from strings (a directory from a path, a short
-- container id): Lua strings are interned, so a table keyed on the input gives the
-- output without a pattern match or a new string per event.  Bounded: the
-- table starts over past `max` entries, or past MEMO_BYTES of keys and
-- values (a workload touching a million paths must not grow it for ever;
-- 4096 paths of 4 KB each held 32 MB).
local MEMO_BYTES = 1048576
function M.memo(fn, max)
	max = max or 4096
	local t, n, bytes = {}, 0, 0
	return function(s)
		local v = t[s]
		if v == nil then
			v = fn(s)
			if v == nil then v = false end
			n = n + 1
			bytes = bytes + #s + (v and #v or 0)
			if n > max or bytes > MEMO_BYTES then
				tclear(t)
				n, bytes = 1, #s + (v and #v or 0)
			end
			t[s] = v
		end
		return v or nil
	end
end

---------------------------------------------------------------------------
-- Event, thread, process.

-- Each type's flags in a C array: a getter tests them with one load,
-- where type_info[ev.type].flags costs a table lookup and its guards in
-- every comparison of a compiled condition (after any C call LuaJIT loads
-- and checks them again).
M.TYPE_FLAGS = ffi.new("uint32_t[?]", core.ntypes)
for id = 0, core.ntypes - 1 do M.TYPE_FLAGS[id] = type_info[id].flags end

function M.info(ev)
	return type_info[ev.type]
end

function M.proc(ev)
	local t = ev.thread
	if t == nil then return nil end
	local p = t.proc
	if p == nil then return nil end
	return p
end

-- A C string, or nil for NULL.
function M.cstr(p)
	if p == nil then return nil end
	return ffi.string(p)
end

-- "a\0b\0c" (n bytes, trailing NUL optional) -> list of strings.
-- Linear in n: a plain find for each NUL (a pattern anchored only at the
-- end, as "([^%z]+)$", retries from every position: quadratic in the
-- length of the last item, and the program controls that length).
function M.split_nul(ptr, n)
	local out = {}
	if ptr == nil or n == 0 then return out end
	local s = ffi.string(ptr, n)
	local pos = 1
	while pos <= n do
		local z = s:find("\0", pos, true)
		out[#out + 1] = s:sub(pos, (z or n + 1) - 1)
		if not z then break end
		pos = z + 1
	end
	return out
end

-- Parent process, through the lookup.
function M.parent(p)
	if p == nil or p.ppid <= 0 or p.ppid == p.pid then return nil end
	return M.proc_of_pid(p.ppid)
end

-- Ancestors of p: level 0 is p itself.  Bounded so that a loop in a
-- corrupted table cannot hang a filter.
local MAX_DEPTH = 128
function M.ancestor(p, level)
	-- the parent without a loop: a loop here would cut a compiled
	-- condition's trace (proc.pname, proc.aname[1] are common)
	if level == 0 or p == nil then return p end
	if level == 1 then return M.parent(p) end
	for _ = 1, level do
		if p == nil then return nil end
		p = M.parent(p)
	end
	return p
end

function M.ancestors(p)
	local out = {}
	local q = M.parent(p)
	while q ~= nil and #out < MAX_DEPTH do
		out[#out + 1] = q
		q = M.parent(q)
	end
	return out
end

---------------------------------------------------------------------------
-- Parameters.

-- Whether param i of ev has a value: the result, what the kernel fills in
-- and what derives from the fd the call made (dev, ino, tuple) exist only
-- when the exit stop was seen; a pseudo event's derived params always do.
local SRC_DERIVED = core.SRC_DERIVED
function M.param_ok(ev, info, i)
	if i == nil or i < 0 or i >= ev.nparams or i >= info.nparams then return false end
	if ev.has_res == 0 then
		local src = info.srcs[i]
		if src == SRC_RES or OUT_KIND[info.kinds[i]] then return false end
		if src == SRC_DERIVED and band(info.flags, TF.PSEUDO) == 0 then return false end
	end
	return true
end

-- Raw value of param i: a number, or the bytes for byte kinds (nil when the
-- pointer was NULL or could not be read).
function M.param_raw(ev, info, i)
	if not M.param_ok(ev, info, i) then return nil end
	local prm = ev.params[i]
	local kind = info.kinds[i]
	if FLAGS_STRUCT[kind] then
		if prm.str == nil or prm.len < 8 then return nil end
		return tonumber(ffi.cast("const uint64_t *", prm.str)[0])
	end
	if BYTES_KIND[kind] then
		if band(prm.flags, PF_NULL) ~= 0 or band(prm.flags, PF_READ) == 0 or prm.str == nil then
			return nil
		end
		return ffi.string(prm.str, prm.len)
	end
	return tonumber(prm.val)
end

-- Param by name: its index in ev's type, or nil.
function M.pidx(ev, name)
	return type_info[ev.type].pindex[name]
end

local fmtbuf_len = 4096
local fmtbuf = ffi.new("char[?]", fmtbuf_len)

-- Param i rendered by the core, as sysdig prints it ("3(<f>/etc/passwd)").
function M.param_text(ev, info, i)
	if not M.param_ok(ev, info, i) then return nil end
	local n = C.ln_param_format(ev, i, fmtbuf, fmtbuf_len)
	if n < 0 then return nil end
	if n >= fmtbuf_len then n = fmtbuf_len - 1 end
	return ffi.string(fmtbuf, n)
end

-- The resolved part of a rendering, as sinsp's evt.arg gives it: "<f>/etc/x"
-- out of "3(<f>/etc/x)", "ENOENT" out of "-2(ENOENT)" or "-2 ENOENT".
-- Only for kinds that render a number with its meaning: a path may contain
-- parentheses of its own.
local RESOLVED_KIND = {}
for _, n in ipairs { "FD", "DIRFD", "PID", "RES", "RES_FD", "OPEN_HOW", "CLONE_ARGS", "OFLAGS" } do
	RESOLVED_KIND[K[n]] = true
end
-- every flag and enum kind after CLONE_ARGS renders as number(NAMES);
-- mode, ids and caps have no parentheses and stay as they are
for v = K.CLONE_ARGS + 1, tonumber(C.LN_K_COUNT) - 1 do RESOLVED_KIND[v] = true end
-- The rendering of param i in place, for the filter (a field's cview):
-- the bytes and their length in the shared buffer, valid until the next
-- rendering; nil where param_text is nil or the field takes the resolved
-- part of the text.
function M.param_view(ev, info, i)
	if RESOLVED_KIND[info.kinds[i]] or not M.param_ok(ev, info, i) then return nil end
	local n = C.ln_param_format(ev, i, fmtbuf, fmtbuf_len)
	if n < 0 then return nil end
	if n >= fmtbuf_len then n = fmtbuf_len - 1 end
	return fmtbuf, n
end

function M.resolved_text(kind, text)
	if text == nil or not RESOLVED_KIND[kind] then return text end
	local inner = text:match("^%-?[%w_]+%((.*)%)$")
	if inner and inner ~= "" then return inner end
	local name = text:match("^%-%d+ (%u[%u%d_]*)$")
	if name then return name end
	return text
end

---------------------------------------------------------------------------
-- Paths, as Falco resolves them (lexically: no filesystem access).

local find, sub = string.find, string.sub

-- A path normalize would give back unchanged: absolute, with no empty,
-- "." or ".." segment.  Most paths a program opens are such, and plain
-- finds compile where the gmatch below runs in the interpreter and makes
-- a string per segment.
local function is_normal(path)
	return sub(path, 1, 1) == "/" and not find(path, "//", 1, true) and not find(path, "/./", 1, true)
		and not find(path, "/../", 1, true) and sub(path, -2) ~= "/." and sub(path, -3) ~= "/.."
end

function M.normalize(path)
	if is_normal(path) then return path end
	local trailing = #path > 1 and path:sub(-1) == "/"
	local parts = {}
	for seg in path:gmatch("[^/]+") do
		if seg == ".." then
			parts[#parts] = nil
		elseif seg ~= "." then
			parts[#parts + 1] = seg
		end
	end
	local out = "/" .. table.concat(parts, "/")
	if trailing and #parts > 0 then out = out .. "/" end
	return out
end

-- path against dir (absolute, with or without a trailing slash).
function M.join(dir, path)
	if sub(path, 1, 1) == "/" then return M.normalize(path) end
	-- the cwd keeps its trailing slash: no "//" to squeeze out
	if sub(dir, -1) == "/" then return M.normalize(dir .. path) end
	return M.normalize(dir .. "/" .. path)
end

-- Working directory of p, with the trailing slash Falco shows: the core
-- keeps it so (lanner.h).
function M.cwd(p)
	if p == nil or p.cwd == nil then return nil end
	return ffi.string(p.cwd)
end

-- Directory a *at() call resolves against: cwd for AT_FDCWD, else the
-- dirfd's name through the fd lookup.
function M.dirfd_dir(p, dirfd)
	if dirfd == nil or dirfd == M.AT_FDCWD then return M.cwd(p) end
	local fd = M.fd_of(p, dirfd)
	if fd == nil or fd.name == nil then return nil end
	local name = ffi.string(fd.name)
	if name == "" then return nil end
	return name
end

-- A path param resolved the way Falco resolves it: absolute as is, else
-- against dirfd (when the type has one) or the cwd.
function M.resolve_path(ev, info, path, dirfd_param)
	if path == nil then return nil end
	if path:sub(1, 1) == "/" then return M.normalize(path) end
	local p = M.proc(ev)
	local dirfd
	if dirfd_param then
		local di = info.pindex[dirfd_param]
		if di then dirfd = M.param_raw(ev, info, di) end
	end
	local dir = M.dirfd_dir(p, dirfd)
	if dir == nil then return nil end
	return M.join(dir, path)
end

---------------------------------------------------------------------------
-- The core's renderers (src/render/render.c, src/table/consts.c): one source for the
-- names that evt.args and the fields both print.

local ipbuf = ffi.new("char[64]")
M.AF_INET, M.AF_INET6, M.AF_UNIX = 2, 10, 1

-- Text of an address: family AF_INET (4 bytes) or AF_INET6 (16 bytes).
function M.ip_text(family, bytes)
	local n = C.ln_ip_format(family, bytes, ipbuf, 64)
	if n <= 0 then return nil end
	return ffi.string(ipbuf, math.min(n, 63))
end

-- fd type names and characters as Lua strings, made once: a rule's
-- `fd.typechar = f` is then a table read, not a C call and a new string.
local FD_TYPE_NAME, FD_TYPECHAR = {}, {}
for t = 0, tonumber(C.LN_FD_TYPE_COUNT) - 1 do
	FD_TYPE_NAME[t] = ffi.string(C.ln_fd_type_name(t))
	FD_TYPECHAR[t] = string.char(C.ln_fd_typechar(t))
end
function M.fd_type_name(t) return FD_TYPE_NAME[t] or ffi.string(C.ln_fd_type_name(t)) end
function M.fd_typechar(t) return FD_TYPECHAR[t] or string.char(C.ln_fd_typechar(t)) end
function M.category_name(c) return ffi.string(C.ln_category_name(c)) end

function M.errno_name(err)
	local s = C.ln_errno_name(err)
	if s == nil then return nil end
	return ffi.string(s)
end

---------------------------------------------------------------------------
-- Small files read on demand (never on the hot path of a rule that does
-- not ask for them).

M.read_file = require("lanner.base").read_file

return M
