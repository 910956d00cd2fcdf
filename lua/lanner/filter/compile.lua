-- Compiles an expanded condition to Lua source, loaded once.
--
-- Each distinct comparison becomes one small function with its getter and
-- constants as upvalues; the condition itself is a single and/or/not
-- expression over calls to them, so Lua's own short-circuit does the work
-- and LuaJIT inlines the calls into one trace. Per call, the common paths
-- (string and number compares, set lookups, plain finds) allocate nothing.
local ops = require "lanner.filter.ops"
local lex = require "lanner.filter.lexer"
local astm = require "lanner.filter.ast"
local ffi = require "ffi"

local M = {}

local fmt, concat = string.format, table.concat

require("lanner.base").declare("long long strtoll(const char *s, char **end, int base);",
	"unsigned long long strtoull(const char *s, char **end, int base);")

-- Field type -> comparison class.
local CLASS = { string = "string", bytes = "string", number = "number", reltime = "number",
  abstime = "number", bool = "bool", ipaddr = "ip", ipnet = "ip" }
-- Operators that compare text; on numbers they compare the decimal text.
local TEXT_OPS = { contains = true, icontains = true, startswith = true, endswith = true,
  glob = true, iglob = true, regex = true, pmatch = true, bcontains = true, bstartswith = true }
local SET_OPS = { ["in"] = true, intersects = true }
local ORDER_OPS = { ["<"] = true, ["<="] = true, [">"] = true, [">="] = true }

-- Beyond this nesting a subtree gets its own function: LuaJIT refuses
-- chunks with about 200 syntax levels.
local SPLIT_DEPTH = 40
-- Up to this many functions are plain locals (LuaJIT allows 60 upvalues
-- per function); past it they live in a table.
local MAX_LOCAL_FUNCS = 50

-- Helpers the generated code sees as locals.
local HELPERS = {
  find = string.find, lower = string.lower, type = type, tonumber = tonumber,
  tostr = ops.tostr, startswith = ops.startswith, endswith = ops.endswith,
  icontains = ops.icontains, pmatch = ops.pmatch, pmatch1 = ops.pmatch1,
  fnmatch = ops.fnmatch, glob1 = ops.glob1, glob2 = ops.glob2,
  strcmp = ops.C.strcmp, strncmp = ops.C.strncmp, strstr = ops.C.strstr,
  memcmp = ops.C.memcmp, memmem = ops.C.memmem, strlen = ops.C.strlen, cglob1 = ops.cglob1, cglob2 = ops.cglob2, cendswith = ops.cendswith, regmatch = ops.regmatch, ipnorm = ops.ipnorm,
  in_net = ops.in_net, in_nets = ops.in_nets,
  tf_tolower = ops.lower, tf_toupper = ops.upper, tf_b64 = ops.b64,
  tf_basename = ops.basename, tf_len = ops.len,
}
local HELPER_NAMES = {}
for k in pairs(HELPERS) do HELPER_NAMES[#HELPER_NAMES + 1] = k end
table.sort(HELPER_NAMES)

local Fail = {}
local function fail(msg) error(setmetatable({ msg = msg }, Fail), 0) end

local function ftext(f) return astm.field_text(f) end

-- The catalogue's spec for f, checked.
local function resolve(cat, f)
  local ok, spec, err = pcall(cat.resolve, f.name, f.arg)
  if not ok then fail(fmt("field '%s': %s", ftext(f), tostring(spec))) end
  if not spec then
    fail(err and tostring(err) or fmt("unknown field '%s'", ftext(f)))
  end
  if type(spec.get) ~= "function" then
    fail(fmt("field '%s' cannot be read (no getter)", ftext(f)))
  end
  local t = spec.type or "string"
  if not CLASS[t] then fail(fmt("field '%s' has an unsupported type '%s'", ftext(f), tostring(t))) end
  return spec, t
end

-- Class after transformers, and whether len() counts a list's values.
local function transformed(spec, t, f)
  local cls, count = CLASS[t], false
  for i, tr in ipairs(f.transformers or {}) do
    if tr == "len" and i == 1 and spec.list then
      count = true
    elseif cls ~= "string" then
      fail(fmt("transformer '%s' needs a string field; '%s' is of type %s", tr, f.name, t))
    end
    if tr == "len" then cls = "number" end
  end
  return cls, count
end

-- One generated function under construction: upvalues and body lines.
local function new_fn(st)
  return { st = st, upv = {}, lines = {}, ind = 0,
    used = { v = true, r = true, i = true, ev = true } }
end

-- A constant as an upvalue of fn; `hint` names it in the generated source.
-- desc says how to make the value again in another run (M.revive) when it
-- is not plain data: a getter, a C string set, a compiled regex.
local function const(fn, value, hint, desc)
  local st = fn.st
  st.nk = st.nk + 1
  st.K[st.nk] = value
  if desc == nil and type(value) == "cdata" then desc = { "i64", tostring(value) } end
  st.D[st.nk] = desc
  hint = hint or "k"
  local name, n = hint, 1
  while fn.used[name] do n = n + 1; name = hint .. n end
  fn.used[name] = true
  fn.upv[#fn.upv + 1] = { name = name, idx = st.nk }
  return name
end

local function line(fn, s, ind)
  if ind and ind < 0 then fn.ind = fn.ind + ind end
  fn.lines[#fn.lines + 1] = string.rep("  ", fn.ind) .. s
  if ind and ind > 0 then fn.ind = fn.ind + ind end
end

-- A numeric literal: Falco forms, any Lua number, then the catalogue's
-- constants (flag names) if it has them. Integers past 2^53 stay exact.
local function number(st, text, f)
  if text:find("^%-?%d+$") and #text > 15 then
    local n = ffi.C.strtoll(text, nil, 10)
    -- past int64 (a uint64 like 2^64-1): strtoll saturates
    if n == 9223372036854775807LL and text ~= "9223372036854775807" then
      n = ffi.C.strtoull(text, nil, 10)
    end
    return n
  end
  local n = lex.number(text) or tonumber(text)
  if n == nil and st.cat.const_value then
    local ok, c = pcall(st.cat.const_value, f.name, text)
    if ok and type(c) == "number" then n = c end
  end
  if n == nil or n ~= n then -- NaN would also break the set tables
    fail(fmt("field '%s' is numeric but '%s' is not a number", ftext(f), text))
  end
  return n
end

-- Literal texts of a value (a list's items, or the one value).
local function texts(v, op, f)
  if v.kind == "list" then
    if not SET_OPS[op] and op ~= "pmatch" then
      fail(fmt("operator '%s' on '%s' takes one value, not a list", op, ftext(f)))
    end
    local out = {}
    for i, it in ipairs(v.items) do out[i] = tostring(it.kind == "listref" and it.name or it.v) end
    return out
  end
  return { tostring(v.kind == "listref" and v.name or v.v) }
end

local function single(v, op, f)
  local t = texts(v, op, f)
  if #t ~= 1 then fail(fmt("operator '%s' on '%s' takes one value", op, ftext(f))) end
  return t[1]
end

-- Statements that bring `var` (fetched, non-nil, of field class `cls`)
-- through the transformers to the class the comparison needs; `bail` is
-- the statement for "no usable value". With `count`, var already holds
-- len() of a list field.
local function normalize(fn, var, cls, opclass, trs, count, bail)
  trs = trs or {}
  if not count and (cls == "string" or #trs > 0) then
    line(fn, fmt("if type(%s) ~= 'string' then %s = tostr(%s) end", var, var, var))
  end
  local cur = count and "number" or cls
  for i, tr in ipairs(trs) do
    if not (count and i == 1) then
      line(fn, fmt("%s = tf_%s(%s)", var, tr, var))
      line(fn, fmt("if %s == nil then %s end", var, bail))
      cur = tr == "len" and "number" or "string"
    end
  end
  if opclass == "string" then
    if cur ~= "string" then
      line(fn, fmt("if type(%s) ~= 'string' then %s = tostr(%s) end", var, var, var))
    end
  elseif opclass == "number" then
    -- int64 cdata compare exactly with numbers; anything else is converted.
    line(fn, fmt("if type(%s) ~= 'number' and type(%s) ~= 'cdata' then %s = tonumber(%s) end", var, var, var, var))
    line(fn, fmt("if %s == nil then %s end", var, bail))
  elseif opclass == "numkey" then
    line(fn, fmt("if type(%s) ~= 'number' then %s = tonumber(%s) end", var, var, var))
    line(fn, fmt("if %s == nil then %s end", var, bail))
  elseif opclass == "bool" then
    line(fn, fmt("%s = %s ~= false and %s ~= 0", var, var, var))
  elseif opclass == "ip" then
    line(fn, fmt("%s = ipnorm(%s)", var, var))
    line(fn, fmt("if %s == nil then %s end", var, bail))
  end
end

local SYM = { ["="] = "==", ["=="] = "==", ["!="] = "~=", ["<"] = "<", ["<="] = "<=",
  [">"] = ">", [">="] = ">=" }

-- The test on `v` against a literal value.
local function literal_pred(fn, n, opclass, f)
  local op, v = n.cmp, n.value
  if opclass == "string" then
    if SET_OPS[op] then
      local set = {}
      for _, s in ipairs(texts(v, op, f)) do set[s] = true end
      return fmt("%s[v] == true", const(fn, set, "set"))
    elseif op == "pmatch" then
      local ps = {}
      for i, s in ipairs(texts(v, op, f)) do ps[i] = ops.path_prefix(s) end
      return fmt("pmatch(v, %s)", const(fn, ps, "prefixes"))
    end
    local s = single(v, op, f)
    if SYM[op] then return fmt("v %s %s", SYM[op], const(fn, s)) end
    if op == "contains" then return fmt("find(v, %s, 1, true) ~= nil", const(fn, s)) end
    if op == "icontains" then return fmt("icontains(v, %s)", const(fn, s:lower())) end
    if op == "startswith" then return fmt("startswith(v, %s)", const(fn, s)) end
    if op == "endswith" then return fmt("endswith(v, %s)", const(fn, s)) end
    if op == "glob" or op == "iglob" then
      local parts = op == "glob" and ops.star_split(s)
      if parts and #parts == 2 then
        return fmt("glob1(v, %s, %s)", const(fn, parts[1], "head"), const(fn, parts[2], "tail"))
      elseif parts then
        return fmt("glob2(v, %s, %s, %s)", const(fn, parts[1], "head"), const(fn, parts[2], "mid"),
          const(fn, parts[3], "tail"))
      end
      return fmt("fnmatch(%s, v, %s)", const(fn, s), tostring(op == "iglob"))
    end
    if op == "bcontains" or op == "bstartswith" then
      local b = ops.unhex(s)
      if not b then fail(fmt("'%s' needs hex bytes, got '%s'", op, s)) end
      if op == "bcontains" then return fmt("find(v, %s, 1, true) ~= nil", const(fn, b)) end
      return fmt("startswith(v, %s)", const(fn, b))
    end
    if op == "regex" then
      local re, err = ops.regex(s)
      if not re then fail(fmt("invalid regex '%s': %s", s, err)) end
      return fmt("regmatch(%s, v)", const(fn, re, "re", { "re", s }))
    end
  elseif opclass == "number" then
    return fmt("v %s %s", SYM[op], const(fn, number(fn.st, single(v, op, f), f)))
  elseif opclass == "numkey" then
    local set = {}
    for _, s in ipairs(texts(v, op, f)) do set[tonumber(number(fn.st, s, f))] = true end
    return fmt("%s[v] == true", const(fn, set, "set"))
  elseif opclass == "bool" then
    local set = {}
    for _, s in ipairs(texts(v, op, f)) do
      if s ~= "true" and s ~= "false" then
        fail(fmt("field '%s' is boolean: expected true or false, got '%s'", ftext(f), s))
      end
      set[s == "true"] = true
    end
    if SET_OPS[op] then return fmt("%s[v] == true", const(fn, set, "set")) end
    return fmt("v %s %s", SYM[op], tostring(single(v, op, f) == "true"))
  elseif opclass == "ip" then
    local addrs, nets, na = {}, {}, 0
    for _, s in ipairs(texts(v, op, f)) do
      if s:find("/", 1, true) then
        nets[#nets + 1] = ops.net_parse(s) or fail(fmt("invalid network '%s' for field '%s'", s, ftext(f)))
      else
        addrs[ops.ip_parse(s) or fail(fmt("invalid IP address '%s' for field '%s'", s, ftext(f)))] = true
        na = na + 1
      end
    end
    if SET_OPS[op] then
      local a, b = fmt("%s[v] == true", const(fn, addrs, "set")), fmt("in_nets(v, %s)", const(fn, nets, "nets"))
      if #nets == 0 then return a elseif na == 0 then return b end
      return fmt("(%s or %s)", a, b)
    end
    single(v, op, f)
    local neg = op == "!=" and "not " or ""
    if #nets == 1 then return fmt("%sin_net(v, %s)", neg, const(fn, nets[1], "net")) end
    return fmt("v %s %s", SYM[op], const(fn, (next(addrs)), "addr"))
  end
  error("unreachable: " .. tostring(opclass) .. " " .. tostring(op))
end

-- The test on `v` against another field's value `r`.
local function field_pred(op, opclass)
  if SYM[op] then return fmt("v %s r", SYM[op]) end
  if SET_OPS[op] then return "v == r" end
  if opclass ~= "string" then error("unreachable") end
  if op == "contains" or op == "bcontains" then return "find(v, r, 1, true) ~= nil" end
  if op == "icontains" then return "icontains(v, lower(r))" end
  if op == "startswith" or op == "bstartswith" then return "startswith(v, r)" end
  if op == "endswith" then return "endswith(v, r)" end
  if op == "glob" or op == "iglob" then return fmt("fnmatch(r, v, %s)", tostring(op == "iglob")) end
  if op == "pmatch" then return "pmatch1(v, r)" end
  fail(fmt("'%s' needs a literal pattern, not a field", op))
end

-- The test on a field's value in place, in C memory (filter/cpred.lua).
local c_pred = require("lanner.filter.cpred").new { const = const, texts = texts, SET_OPS = SET_OPS }

-- Which class the comparison runs in, from the left side's class.
local function op_class(cls, op, f, t)
  if op == "exists" then return nil end
  if cls == "number" then
    if TEXT_OPS[op] then return "string" end
    if SET_OPS[op] then return "numkey" end
    return "number"
  elseif cls == "bool" or cls == "ip" then
    if not (SYM[op] and not ORDER_OPS[op]) and not SET_OPS[op] then
      fail(fmt("operator '%s' is not supported for field '%s' of type %s", op, ftext(f), t))
    end
  end
  return cls
end

local gen_or_run

-- Builds the function for one comparison; returns its index.
local function gen_cmp(st, n)
  local key = astm.tostring(n)
  if st.memo[key] then return st.memo[key] end
  local f, op, val = n.field, n.cmp, n.value
  local spec, t = resolve(st.cat, f)
  local cls, count = transformed(spec, t, f)
  local opclass = op_class(cls, op, f, t)
  if spec.list and not (op == "exists" or SET_OPS[op]) and not count then
    fail(fmt("list field '%s' only supports 'in', 'intersects' and 'exists'", ftext(f)))
  end
  if op ~= "exists" and val == nil then fail(fmt("operator '%s' needs a value", op)) end
  local fn = new_fn(st)
  local get = const(fn, spec.get, "get", { "field", f.name, f.arg, "get" })
  local arg = f.arg ~= nil and const(fn, f.arg, "arg") or nil
  local multi = (spec.multi or spec.list) and not count
  local pred
  if op == "exists" then
    pred = "true"
  elseif val.kind == "field" then
    local rf = val.field
    local rspec, rt = resolve(st.cat, rf)
    local rcls, rcount = transformed(rspec, rt, rf)
    if (rspec.multi or rspec.list) and not rcount then
      fail(fmt("field '%s' has several values and cannot be compared with val()", ftext(rf)))
    end
    if opclass == "numkey" then opclass = "number" end
    -- Falco wants both sides of the same type.
    if rcls ~= cls then
      fail(fmt("cannot compare '%s' (%s) with '%s' (%s)", ftext(f), t, ftext(rf), rt))
    end
    local rget = const(fn, rspec.get, "rget", { "field", rf.name, rf.arg, "get" })
    local rarg = rf.arg ~= nil and const(fn, rf.arg, "rarg") or nil
    if rcount then
      line(fn, fmt("local r = 0 while %s(ev, %s, r + 1) ~= nil do r = r + 1 end", rget, rarg or "nil"))
    else
      line(fn, fmt("local r = %s(ev%s)", rget, rarg and ", " .. rarg or ""))
      line(fn, "if r == nil then return false end")
    end
    normalize(fn, "r", CLASS[rt], opclass, rf.transformers, rcount, "return false")
    pred = field_pred(op, opclass)
  else
    pred = literal_pred(fn, n, opclass, f)
  end
  local trs = f.transformers
  if count then
    line(fn, fmt("local v = 0 while %s(ev, %s, v + 1) ~= nil do v = v + 1 end", get, arg or "nil"))
    normalize(fn, "v", CLASS[t], opclass, trs, true, "return false")
    line(fn, "return " .. pred)
  elseif not multi then
    local cpred, how = c_pred(fn, spec, f, op, opclass, val)
    if how == "cstr" then
      line(fn, fmt("local p = %s(ev)", const(fn, spec.cstr, "cget", { "field", f.name, f.arg, "cstr" })))
      line(fn, fmt("if p ~= nil then return %s end", cpred))
    elseif how == "cstrlen" then
      line(fn, fmt("local p = %s(ev)", const(fn, spec.cstr, "cget", { "field", f.name, f.arg, "cstr" })))
      line(fn, fmt("if p ~= nil then local n = tonumber(strlen(p)) return %s end", cpred))
    elseif how == "cview" then
      line(fn, fmt("local p, n = %s(ev)", const(fn, spec.cview, "cview", { "field", f.name, f.arg, "cview" })))
      line(fn, fmt("if p ~= nil then return %s end", cpred))
    end
    line(fn, fmt("local v = %s(ev%s)", get, arg and ", " .. arg or ""))
    line(fn, "if v == nil then return false end")
    normalize(fn, "v", CLASS[t], opclass, trs, false, "return false")
    line(fn, "return " .. pred)
  elseif spec.list and op == "in" then
    -- Falco's list fields: `in` holds when every value is in the set.
    line(fn, "local i = 0")
    line(fn, "while true do", 1)
    line(fn, "i = i + 1")
    line(fn, fmt("local v = %s(ev, %s, i)", get, arg or "nil"))
    line(fn, "if v == nil then return i > 1 end")
    normalize(fn, "v", CLASS[t], opclass, trs, false, "return false")
    line(fn, fmt("if not (%s) then return false end", pred))
    line(fn, "end", -1)
  else
    -- Several values: the comparison holds if any value satisfies it.
    line(fn, "local i = 0")
    line(fn, "while true do", 1)
    line(fn, "i = i + 1")
    line(fn, fmt("local v = %s(ev, %s, i)", get, arg or "nil"))
    line(fn, "if v == nil then return false end")
    line(fn, "repeat -- once; break skips a value", 1)
    normalize(fn, "v", CLASS[t], opclass, trs, false, "break")
    line(fn, fmt("if %s then return true end", pred))
    line(fn, "until true", -1)
    line(fn, "end", -1)
  end
  st.defs[#st.defs + 1] = fn
  fn.idx = #st.defs
  fn.comment = key
  st.memo[key] = fn.idx
  return fn.idx
end

-- Whether cmp node c tests one field in place (c_pred) with no transformer;
-- gives the field's text, its spec and the test's way of reading it.
local function in_place(st, c)
  if c.op ~= "cmp" or c.cmp == "exists" or c.value == nil or c.value.kind == "field" then return nil end
  local f = c.field
  if f.transformers and #f.transformers > 0 then return nil end
  local ok, spec = pcall(resolve, st.cat, f)
  if not ok or not spec.cstr or spec.multi or spec.list then return nil end
  local t = spec.type or "string"
  if CLASS[t] ~= "string" then return nil end
  return ftext(f), spec
end

-- A run of `or`ed comparisons on one C-string field (`fd.name glob
-- "*/.aws/credentials" or fd.name glob "*/.netrc" or ...`) as one function:
-- the field's pointer, and its length, are read once for the whole run
-- rather than once per comparison.  Each comparison keeps its own function
-- for the case where the field has no C string (its Lua getter then
-- decides), so the result is the same as the run's `or`.  Returns the
-- function's index and how many of kids[i..] it covers, or nil.
function gen_or_run(st, kids, i)
  local key, spec = in_place(st, kids[i])
  if not key then return nil end
  local j = i
  while j < #kids and in_place(st, kids[j + 1]) == key do j = j + 1 end
  if j == i then return nil end
  local fn = new_fn(st)
  local preds, withlen = {}, false
  for k = i, j do
    local c = kids[k]
    local ok, pred, how = pcall(c_pred, fn, spec, c.field, c.cmp, "string", c.value)
    if not ok then
      if getmetatable(pred) == Fail then return nil end
      error(pred, 0)
    end
    if how ~= "cstr" and how ~= "cstrlen" then return nil end
    if how == "cstrlen" then withlen = true end
    preds[#preds + 1] = pred
  end
  local subs = {}
  for k = i, j do subs[#subs + 1] = "@" .. gen_cmp(st, kids[k]) .. "@(ev)" end
  local f = kids[i].field
  line(fn, fmt("local p = %s(ev)", const(fn, spec.cstr, "cget", { "field", f.name, f.arg, "cstr" })))
  line(fn, "if p ~= nil then", 1)
  if withlen then line(fn, "local n = tonumber(strlen(p))") end
  line(fn, "return " .. concat(preds, " or "))
  line(fn, "end", -1)
  line(fn, "return " .. concat(subs, " or "))
  st.defs[#st.defs + 1] = fn
  fn.idx = #st.defs
  fn.comment = "any of: " .. key .. " ..."
  return fn.idx, j - i + 1
end

local function gen(st, n, depth)
  local op = n.op
  if op == "cmp" then return "@" .. gen_cmp(st, n) .. "@(ev)" end
  if op == "macro" then fail(fmt("unexpanded macro '%s' (call filter.expand first)", n.name)) end
  if depth > SPLIT_DEPTH then
    local fn = new_fn(st)
    st.defs[#st.defs + 1] = fn
    fn.idx = #st.defs
    line(fn, "return " .. gen(st, n, 0))
    return "@" .. fn.idx .. "@(ev)"
  end
  if op == "not" then return "not " .. gen(st, n[1], depth + 1) end
  if op == "and" or op == "or" then
    if #n == 0 then return op == "and" and "true" or "false" end
    -- a and (b and c) is flattened: same meaning, fewer syntax levels.
    local kids = {}
    local function add(c)
      if c.op == op then
        for i = 1, #c do add(c[i]) end
      else
        kids[#kids + 1] = c
      end
    end
    add(n)
    local parts, i = {}, 1
    while i <= #kids do
      local idx, used = nil, 1
      if op == "or" then idx, used = gen_or_run(st, kids, i) end
      used = used or 1
      if idx then
        parts[#parts + 1] = "@" .. idx .. "@(ev)"
      else
        parts[#parts + 1] = gen(st, kids[i], depth + 1)
      end
      i = i + used
    end
    return "(" .. concat(parts, " " .. op .. " ") .. ")"
  end
  error("filter.compile: unknown node op " .. tostring(op), 0)
end

local function assemble(st, expr)
  local nf = #st.defs
  local tbl = nf > MAX_LOCAL_FUNCS
  local function name(i) return tbl and ("F[" .. i .. "]") or ("f" .. i) end
  local function subst(s) return (s:gsub("@(%d+)@", function(i) return name(tonumber(i)) end)) end
  local out = { "local K = ...", "local H = K.H" }
  local head = #out
  local body = {}
  if tbl then
    out[#out + 1] = "local F = {}"
  elseif nf > 0 then
    local names = {}
    for i = 1, nf do names[i] = name(i) end
    out[#out + 1] = "local " .. concat(names, ", ")
  end
  for _, fn in ipairs(st.defs) do
    if fn.comment then
      local c = fn.comment:gsub("[\r\n]", " ")
      if #c > 160 then c = c:sub(1, 157) .. "..." end
      out[#out + 1] = "-- " .. c
    end
    out[#out + 1] = "do"
    if #fn.upv > 0 then
      local names, vals = {}, {}
      for i, u in ipairs(fn.upv) do names[i], vals[i] = u.name, "K[" .. u.idx .. "]" end
      out[#out + 1] = "  local " .. concat(names, ", ") .. " = " .. concat(vals, ", ")
    end
    out[#out + 1] = "  " .. name(fn.idx) .. " = function(ev)"
    for _, l in ipairs(fn.lines) do out[#out + 1] = "    " .. subst(l) end
    out[#out + 1] = "  end"
    out[#out + 1] = "end"
  end
  out[#out + 1] = "return function(ev)"
  out[#out + 1] = "  return " .. subst(expr)
  out[#out + 1] = "end"
  -- Declare only the helpers the functions use.
  local text = concat(out, "\n", head + 1)
  -- one pass over the identifiers (a search per helper name was most of
  -- the time `lanner -R rules/` takes to start)
  local used = {}
  for id in text:gmatch("[%a_][%w_]*") do
    if HELPERS[id] then used[id] = true end
  end
  for _, h in ipairs(HELPER_NAMES) do
    if used[h] then body[#body + 1] = fmt("local %s = H.%s", h, h) end
  end
  return concat(out, "\n", 1, head) .. "\n" .. concat(body, "\n") .. (#body > 0 and "\n" or "") .. text .. "\n"
end

-- Strings, numbers, booleans and tables of them.
local function plain(v, depth)
  local t = type(v)
  if t == "string" or t == "number" or t == "boolean" then return true end
  if t ~= "table" or getmetatable(v) or (depth or 0) > 8 then return false end
  for k, x in pairs(v) do
    if not plain(k, 9) or not plain(x, (depth or 0) + 1) then return false end
  end
  return true
end

-- The constants of M.revive's descriptions, by kind.
local MAKE = {
  v = function(_, v) return v end,
  i64 = function(_, text)
    if not text:match "^%-?%d+U?LL$" then return nil end
    return loadstring("return " .. text)()
  end,
  re = function(_, s) return ops.regex(s) end,
  cat = function(cat, what, arg)
    if what == "strset_has" then return cat.strset_has end
    if what == "strset" and cat.strset then return cat.strset(arg) end
  end,
  field = function(cat, name, arg, which)
    local ok, spec = pcall(cat.resolve, name, arg)
    return ok and spec and spec[which] or nil
  end,
}

-- revive(desc, catalogue) -> fn | nil, msg: a function from describe()
-- (a lazy compile's third result), made again in another run: the
-- catalogue gives the getters, nothing is parsed or generated.
function M.revive(desc, cat)
  local K = { H = HELPERS }
  for i, d in ipairs(desc.k) do
    local make = MAKE[d[1]]
    local v = make and make(cat, d[2], d[3], d[4])
    if v == nil then return nil, "constant " .. i .. " (" .. tostring(d[1]) .. ") cannot be made" end
    K[i] = v
  end
  local chunk, err = loadstring(desc.code, desc.name)
  if not chunk then return nil, err end
  return chunk(K)
end

-- compile(ast, catalogue, opts) -> fn | nil, msg; with opts.source -> fn, src;
-- with opts.lazy -> stub, real, describe (real() loads and returns the
-- function; describe() is for M.revive)
function M.compile(ast, cat, opts)
  if type(ast) ~= "table" then error("filter.compile: expected an AST", 2) end
  if type(cat) ~= "table" or type(cat.resolve) ~= "function" then
    error("filter.compile: expected a catalogue with resolve()", 2)
  end
  opts = opts or {}
  local st = { cat = cat, K = { H = HELPERS }, D = {}, nk = 0, defs = {}, memo = {} }
  local ok, expr = pcall(gen, st, ast, 0)
  if not ok then
    if getmetatable(expr) == Fail then return nil, expr.msg end
    return nil, "internal error in the filter compiler: " .. tostring(expr)
  end
  local name = "=" .. (opts.name and ("filter " .. opts.name) or "filter")
  local loaded
  local function load()
    local src = assemble(st, expr)
    local chunk, err = loadstring(src, name)
    if not chunk then return nil, "internal error in the filter compiler: " .. tostring(err) end
    loaded = chunk
    return chunk(st.K), src
  end
  -- lazy: every error a filter can have was found by gen() above; the
  -- source is assembled and loaded at the first call, so a rule set pays
  -- start-up time only for the event types that occur.  The stub calls
  -- through; real() gives the loaded function, for callers that keep it.
  if opts.lazy then
    local real
    local function force()
      if not real then real = assert(load()) end
      return real
    end
    -- describe() -> what M.revive needs to make this function again
    -- without compiling: its bytecode and how to make each constant.
    local function describe()
      force()
      local k = {}
      for i = 1, st.nk do
        local d = st.D[i]
        if d == nil then
          if not plain(st.K[i]) then return nil, "constant " .. i .. " is not plain data" end
          d = { "v", st.K[i] }
        end
        k[i] = d
      end
      return { code = string.dump(loaded, true), k = k, name = name }
    end
    return function(ev) return force()(ev) end, force, describe
  end
  local fn, src = load()
  if not fn then return nil, src end
  if opts.source then return fn, src end
  return fn
end

return M
