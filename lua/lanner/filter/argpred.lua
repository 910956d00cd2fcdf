-- Argument predicates: for a syscall a condition can match, which of its
-- calls it can match, told by the integer arguments in registers, so that
-- the seccomp filter stops only on those (`evt.is_open_write = true`: an
-- openat stops only if its flags say write).
--
-- A predicate is a list of terms {arg=, mask=, value=}, a disjunction:
-- the call can match only if (args[arg] & mask) == value for one term.
-- nil is "nothing known" (every call may match), {} is "no call matches".
-- Each term is a *necessary* condition of the field comparison it comes
-- from: a predicate may let through calls that do not match (that costs a
-- stop), never hold back one that does (that would lose an alert).  So
-- only comparisons whose value is a plain function of one register are
-- mapped, and everything else is nil.
--
-- Masks stay within 32 bits: the kernel reads these arguments as ints,
-- the core cuts or sign-extends the register to 32 bits (src/decode/args.c), and
-- a 32-bit tracee has no more.  Equality of the low 32 bits is therefore
-- necessary for equality of the values, whatever the core did above them.
local bit = require "bit"
local core = require "lanner.core"
local lex = require "lanner.filter.lexer"

local band, bor = bit.band, bit.bor
local C = core.C

local K = setmetatable({}, { __index = function(t, n)
	local v = tonumber(C["LN_K_" .. n])
	rawset(t, n, v)
	return v
end })
local TF_OPEN = tonumber(C.LN_TF_OPEN)

local M = {}

-- Past this many terms per syscall the BPF grows for little gain: give up
-- (nil: stop on every call).
M.MAX_TERMS = 16

local TWO32 = 4294967296
local function u32(x) return x % TWO32 end -- bit ops give signed results

local function term(arg, mask, value)
	mask = u32(mask)
	return { arg = arg, mask = mask, value = u32(band(value, mask)) }
end

local function key(t) return t.arg .. ":" .. t.mask .. ":" .. t.value end

local function add_unique(out, seen, t)
	if t.mask == 0 then return false end -- always true: the whole list is
	local k = key(t)
	if not seen[k] then
		seen[k] = true
		out[#out + 1] = t
	end
	return true
end

-- a or b
function M.disj(a, b)
	if a == nil or b == nil then return nil end
	local out, seen = {}, {}
	for _, l in ipairs { a, b } do
		for _, t in ipairs(l) do
			if not add_unique(out, seen, t) then return nil end
		end
	end
	if #out > M.MAX_TERMS then return nil end
	return out
end

-- a and b.  Terms on one register multiply out exactly; terms on two
-- registers cannot share one masked comparison, so either side alone
-- (each is necessary) stands for the conjunction.
function M.conj(a, b)
	if a == nil then return b end
	if b == nil then return a end
	if #a == 0 or #b == 0 then return {} end
	local arg, same = a[1].arg, true
	for _, l in ipairs { a, b } do
		for _, t in ipairs(l) do
			if t.arg ~= arg then same = false end
		end
	end
	if same then
		local out, seen = {}, {}
		for _, t in ipairs(a) do
			for _, u in ipairs(b) do
				local common = band(t.mask, u.mask)
				if band(t.value, common) == band(u.value, common) then
					if not add_unique(out, seen, term(arg, bor(t.mask, u.mask), bor(t.value, u.value))) then
						return nil
					end
				end
			end
		end
		if #out <= M.MAX_TERMS then return out end
	end
	return #a <= #b and a or b
end

---------------------------------------------------------------------------
-- The comparisons that map to registers.

local function const(kind, name)
	local out = core.ffi.new("int64_t[1]")
	if C.ln_const_value(kind, name, out) ~= 0 then return nil end
	return tonumber(out[0])
end

-- The types with a parameter in a register: { [type] = {arg=, kind=} },
-- computed once per name (analysis runs over every rule's every atom).
local sites_cache = {}
local function all_sites(pname)
	local sites = sites_cache[pname]
	if sites then return sites end
	sites = {}
	for id = 0, core.ntypes - 1 do
		local info = core.type_info[id]
		local i
		if type(pname) == "number" then
			if pname < info.nparams then i = pname end
		else
			i = info.pindex[pname]
		end
		local src = i and info.srcs[i]
		if src and src >= 0 and src <= 5 then
			sites[info.name] = { arg = src, kind = info.kinds[i] }
		end
	end
	sites_cache[pname] = sites
	return sites
end

local function register_sites(pname, kind_ok)
	local out = {}
	for t, site in pairs(all_sites(pname)) do
		if kind_ok(site.kind) then out[t] = site end
	end
	return out
end

-- open/openat flags (openat2's are in memory: never narrowed; creat's are
-- fixed: decided here).
local O = {}
local function oconst(n)
	if O[n] == nil then O[n] = assert(const(K.OFLAGS, n), n) end
	return O[n]
end

local OPEN_BOOL = { ["evt.is_open_read"] = "read", ["evt.is_open_write"] = "write",
	["evt.is_open_create"] = "create", ["evt.is_open_exec"] = "exec" }

local function open_terms(what, want, a)
	local acc = 3 -- O_ACCMODE
	if what == "read" then
		return want and { term(a, acc, oconst "O_RDONLY"), term(a, acc, oconst "O_RDWR") }
			or { term(a, acc, oconst "O_WRONLY"), term(a, acc, 3) }
	elseif what == "write" then
		return want and { term(a, acc, oconst "O_WRONLY"), term(a, acc, oconst "O_RDWR") }
			or { term(a, acc, oconst "O_RDONLY"), term(a, acc, 3) }
	end
	local creat, tmp = oconst "O_CREAT", oconst "O_TMPFILE"
	if want then return { term(a, creat, creat), term(a, tmp, tmp) } end
	-- not created: O_CREAT is clear (an O_TMPFILE that failed is not a
	-- creation either, so nothing is known of that bit); exec: nothing
	if what == "create" then return { term(a, creat, 0) } end
	return nil
end

-- creat(2) is open(O_WRONLY|O_CREAT|O_TRUNC): known without looking.
local CREAT_IS = { read = false, write = true, create = true }

-- The wanted boolean of `field = true|false` (and !=, not), or nil.
local function wanted_bool(n, neg)
	local v = n.value
	if not v or v.kind ~= "str" then return nil end
	local b
	if v.v == "true" then b = true elseif v.v == "false" then b = false else return nil end
	if n.cmp == "!=" then b = not b elseif n.cmp ~= "=" and n.cmp ~= "==" then return nil end
	if neg then b = not b end
	return b
end

local function open_atom(what, n, neg)
	local want = wanted_bool(n, neg)
	if want == nil then return nil end
	local out = {}
	for id = 0, core.ntypes - 1 do
		local info = core.type_info[id]
		if band(info.flags, TF_OPEN) ~= 0 then
			if info.name == "creat" then
				if CREAT_IS[what] ~= nil and CREAT_IS[what] ~= want then out.creat = {} end
			else
				local i = info.pindex.flags
				local src = i and info.srcs[i]
				if src and src <= 5 and info.kinds[i] == K.OFLAGS then
					out[info.name] = open_terms(what, want, src)
				end
			end
		end
	end
	return out
end

-- Kinds rendered as one name or a number ("9(SIGKILL)" → evt.arg "SIGKILL",
-- an unnamed value → its decimal): the text names exactly one value.
local ENUM_KIND = {}
for _, n in ipairs { "SOCK_DOMAIN", "SIGNAL", "FCNTL_CMD", "PTRACE_REQ", "PRCTL_OP", "SHUT_HOW",
	"SOCKOPT_LEVEL", "CLOCKID", "BPF_CMD", "SECCOMP_OP" } do
	ENUM_KIND[K[n]] = true
end

-- Flag names whose presence in a flags rendering ("577(O_WRONLY|O_CREAT|
-- O_TRUNC)") `contains` can test soundly: no other name of the kind holds
-- them as a substring (O_DIRECT is in O_DIRECTORY, MAP_FIXED in
-- MAP_FIXED_NOREPLACE: not listed).  mask: the field the name is a value
-- of (O_ACCMODE, SOCK_TYPE_MASK); otherwise the flag's own bits.
-- spec/seccomp_argpred_spec.lua renders many values to hold this true.
M.CONTAINS = {
	[K.OFLAGS] = { O_RDONLY = 3, O_WRONLY = 3, O_RDWR = 3, O_CREAT = true, O_TRUNC = true,
		O_APPEND = true, O_EXCL = true, O_NOCTTY = true, O_NONBLOCK = true },
	[K.SOCK_TYPE] = { SOCK_STREAM = 15, SOCK_DGRAM = 15, SOCK_RAW = 15, SOCK_SEQPACKET = 15,
		SOCK_PACKET = 15, SOCK_NONBLOCK = true, SOCK_CLOEXEC = true },
	[K.PROT] = { PROT_READ = true, PROT_WRITE = true, PROT_EXEC = true },
	[K.CLONE_FLAGS] = { CLONE_VM = true, CLONE_FS = true, CLONE_FILES = true, CLONE_THREAD = true,
		CLONE_NEWNS = true, CLONE_NEWUSER = true, CLONE_NEWPID = true, CLONE_NEWNET = true,
		CLONE_NEWIPC = true, CLONE_NEWUTS = true, CLONE_NEWCGROUP = true },
	-- SECCOMP_FILTER_FLAG_TSYNC is in SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	[K.SECCOMP_FLAGS] = { SECCOMP_FILTER_FLAG_NEW_LISTENER = true, SECCOMP_FILTER_FLAG_LOG = true,
		SECCOMP_FILTER_FLAG_SPEC_ALLOW = true },
}

-- Texts of `= x` / `in (x, y)` (or `!= x` negated), or nil.
local function eq_texts(n, neg)
	local eq
	if n.cmp == "=" or n.cmp == "==" or n.cmp == "in" then eq = not neg
	elseif n.cmp == "!=" then eq = neg
	else return nil end
	if not eq or not n.value then return nil end
	local v, out = n.value, {}
	local items = v.kind == "list" and v.items or { v }
	for _, it in ipairs(items) do
		if it.kind ~= "str" and it.kind ~= "listref" then return nil end
		out[#out + 1] = tostring(it.v or it.name)
	end
	return out
end

local SAFE_INT = 2 ^ 53
local function int_of(text)
	local x = lex.number(text) or tonumber(text)
	if type(x) ~= "number" or x ~= math.floor(x) or math.abs(x) >= SAFE_INT then return nil end
	return x
end

-- evt.arg.NAME / evt.arg[N] / evt.rawarg.NAME: (param, raw) or nil.
local function param_ref(f)
	if f.transformers then return nil end
	local name, arg = f.name, f.arg
	local p = name:match("^evt%.arg%.(.+)$")
	if p then return p, false end
	p = name:match("^evt%.rawarg%.(.+)$")
	if p then return p, true end
	if (name == "evt.arg" or name == "evt.rawarg") and arg ~= nil then return arg, name == "evt.rawarg" end
	return nil
end

local function param_atom(pname, raw, n, neg, spec, cat)
	if n.cmp == "contains" and not raw and not neg and n.value and n.value.kind == "str" then
		local s = tostring(n.value.v)
		local out = {}
		for t, site in pairs(register_sites(pname, function(k) return M.CONTAINS[k] ~= nil end)) do
			local m = M.CONTAINS[site.kind][s]
			local v = m and const(site.kind, s)
			if v and v >= 0 and v < TWO32 then
				out[t] = { term(site.arg, m == true and v or m, v) }
			end
		end
		return out
	end
	local texts = eq_texts(n, neg)
	if not texts then return nil end
	local out = {}
	if raw then
		-- rawarg is the register, cut to 32 bits or not (src/decode/args.c): only
		-- where the field is a number everywhere (no buffers)
		if not spec or spec.type ~= "number" then return nil end
		local vals = {}
		for _, s in ipairs(texts) do
			local x = int_of(s)
			if x == nil and cat and cat.const_value then
				local ok, c = pcall(cat.const_value, n.field.name, s)
				if ok and type(c) == "number" then x = int_of(tostring(c)) end
			end
			if x == nil then return nil end
			vals[#vals + 1] = x
		end
		-- plain numbers only: not the strings, buffers and structs
		local function number_kind(k) return k < K.PATH or k > K.CLONE_ARGS end
		for t, site in pairs(register_sites(pname, number_kind)) do
			local l = {}
			for _, x in ipairs(vals) do l[#l + 1] = term(site.arg, 0xffffffff, x) end
			out[t] = #l <= M.MAX_TERMS and l or nil
		end
		return out
	end
	for t, site in pairs(register_sites(pname, function(k) return ENUM_KIND[k] end)) do
		local l = {}
		for _, s in ipairs(texts) do
			local x = s:find("^%-?%d+$") and int_of(s) or const(site.kind, s)
			if x == nil then l = nil break end
			l[#l + 1] = term(site.arg, 0xffffffff, x)
		end
		if l and #l <= M.MAX_TERMS then out[t] = l end
	end
	return out
end

-- atom(cmp node, negated, catalogue spec of its field, catalogue) ->
-- { [type] = predicate } for the types it narrows, or nil.
function M.atom(n, neg, spec, cat)
	local f = n.field
	if not f then return nil end
	local what = OPEN_BOOL[f.name]
	if what and not f.transformers and f.arg == nil then return open_atom(what, n, neg) end
	if n.value and n.value.kind == "field" then return nil end
	local pname, raw = param_ref(f)
	if pname == nil then return nil end
	return param_atom(pname, raw, n, neg, spec, cat)
end

-- How a predicate reads: "a2&0x3==0x1 | a2&0x3==0x2".
function M.text(p)
	if p == nil then return "any" end
	if #p == 0 then return "never" end
	local out = {}
	for i, t in ipairs(p) do out[i] = string.format("a%d&0x%x==0x%x", t.arg, t.mask, t.value) end
	return table.concat(out, " | ")
end

return M
