-- Conditions the seccomp filter can decide by itself.  argpred.lua gives,
-- per comparison, a *necessary* condition on the registers (enough to
-- decide which calls stop); a prevention rule refused by the filter needs
-- the condition itself: every call the rule matches refused, none other.
-- That holds when the condition is built with and/or from
--   evt.type comparisons,
--   evt.arg.X = / in names of one value (PTRACE_ATTACH, SECCOMP_SET_MODE_FILTER),
--   evt.arg.X contains FLAG, for the flags argpred.CONTAINS knows,
--   evt.rawarg.X = / in numbers,
-- and `not` only on evt.type or on `contains FLAG` (the bit clear).
-- Anything else (a process field, a path, a macro reading one) and the
-- rule is decided in Lua on a held event instead.
--
-- dnf(ast, types, cat) -> { [type] = { clause, ... } } or nil, where a
-- clause is a list of {arg=, mask=, value=} that must all hold (at most
-- one per argument: libseccomp compares each register once per rule), and
-- the clauses of a type are alternatives.  A type with no clause cannot
-- match.  Masks are 32 bits, as argpred's: the kernel reads these
-- arguments as ints (ptrace's request is a long: a call with high bits set
-- is refused too, which the kernel would have refused as invalid).
local bit = require "bit"
local argpred = require "lanner.filter.argpred"

local M = {}

M.MAX_CLAUSES = 16

local TYPE_FIELDS = { ["evt.type"] = true, ["syscall.type"] = true }

local function type_names(n)
	local v = n.value
	if n.field.transformers or n.field.arg ~= nil or not v or v.kind == "field" then return nil end
	if n.cmp ~= "=" and n.cmp ~= "==" and n.cmp ~= "in" then return nil end
	local s = {}
	-- a bare word left unexpanded (listref) is the name itself
	for _, it in ipairs(v.kind == "list" and v.items or { v }) do
		if it.kind ~= "str" and it.kind ~= "listref" then return nil end
		s[tostring(it.v or it.name)] = true
	end
	return s
end

local function is_param_field(f)
	return not f.transformers and (f.name:match "^evt%.arg%." or f.name:match "^evt%.rawarg%."
		or ((f.name == "evt.arg" or f.name == "evt.rawarg") and f.arg ~= nil))
end

-- a and b, one clause each: nil if they contradict
local function meet(a, b)
	local out, by = {}, {}
	for _, l in ipairs { a, b } do
		for _, t in ipairs(l) do
			local o = by[t.arg]
			if o then
				local common = bit.band(o.mask, t.mask)
				if bit.band(o.value, common) ~= bit.band(t.value, common) then return nil end
				o.mask = bit.bor(o.mask, t.mask) % 4294967296
				o.value = bit.bor(o.value, t.value) % 4294967296
			else
				o = { arg = t.arg, mask = t.mask, value = t.value }
				by[t.arg] = o
				out[#out + 1] = o
			end
		end
	end
	return out
end

local TRUE, FALSE = { {} }, {}

-- The clauses of node n for type t, or nil (not decidable on registers).
local function clauses(n, t, cat, neg)
	local op = n.op
	if op == "not" then return clauses(n[1], t, cat, not neg) end
	if op == "and" or op == "or" then
		local conj = (op == "and") ~= neg
		local acc = conj and TRUE or FALSE
		for i = 1, #n do
			local c = clauses(n[i], t, cat, neg)
			if c == nil then return nil end
			if conj then
				local out = {}
				for _, x in ipairs(acc) do
					for _, y in ipairs(c) do
						local m = meet(x, y)
						if m then out[#out + 1] = m end
					end
				end
				acc = out
			else
				local out = {}
				for _, x in ipairs(acc) do out[#out + 1] = x end
				for _, y in ipairs(c) do out[#out + 1] = y end
				acc = out
			end
			if #acc > M.MAX_CLAUSES then return nil end
		end
		return acc
	end
	if op ~= "cmp" or not n.field then return nil end
	if TYPE_FIELDS[n.field.name] then
		local s = type_names(n)
		if not s then return nil end
		local yes = s[t] == true
		if neg then yes = not yes end
		return yes and TRUE or FALSE
	end
	if not is_param_field(n.field) or (n.value and n.value.kind == "field") then return nil end
	local spec = cat and cat.resolve and select(2, pcall(cat.resolve, n.field.name, n.field.arg))
	if type(spec) ~= "table" then spec = nil end
	if neg then
		-- only a single flag bit, negated: that bit clear
		if n.cmp ~= "contains" then return nil end
		local ok, p = pcall(argpred.atom, n, false, spec, cat)
		local l = ok and p and p[t]
		if not l or #l ~= 1 or l[1].mask ~= l[1].value or l[1].mask == 0 then return nil end
		return { { { arg = l[1].arg, mask = l[1].mask, value = 0 } } }
	end
	if n.cmp ~= "=" and n.cmp ~= "==" and n.cmp ~= "in" and n.cmp ~= "contains" then return nil end
	local ok, p = pcall(argpred.atom, n, false, spec, cat)
	local l = ok and p and p[t]
	if not l then return nil end
	local out = {}
	for _, term in ipairs(l) do out[#out + 1] = { { arg = term.arg, mask = term.mask, value = term.value } } end
	return out
end

function M.dnf(ast, types, cat)
	if type(ast) ~= "table" or types == nil or next(types) == nil then return nil end
	local out = {}
	for t in pairs(types) do
		local c = clauses(ast, t, cat, false)
		if c == nil then return nil end
		out[t] = c
	end
	return out
end

return M
