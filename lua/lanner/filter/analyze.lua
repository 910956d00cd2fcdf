-- Static analysis: which event types a condition can match (what the
-- seccomp filter must stop on), which fields it reads, and whether any of
-- them is only known at syscall exit.
--
-- The event-type algebra follows Falco's filter_evttype_resolver: a
-- comparison on evt.type gives its set, `and` intersects, `or` unites, and
-- `not` complements evt.type terms against the universe while any other
-- negated term is unbounded. Unlike Falco, every operator on evt.type is
-- evaluated exactly (each name of the universe is tried), not only = / in.
local compile = require "lanner.filter.compile"
local astm = require "lanner.filter.ast"
local argpred = require "lanner.filter.argpred"

local M = {}

local TYPE_FIELDS = { ["evt.type"] = true, ["syscall.type"] = true }

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

local function inter(a, b)
  if a == nil then return b end
  if b == nil then return a end
  local r = {}
  for k in pairs(a) do if b[k] then r[k] = true end end
  return r
end

local function minus(u, s)
  local r = {}
  for k in pairs(u) do if not s[k] then r[k] = true end end
  return r
end

-- The catalogue's spec or nil (analysis never fails: unknown means
-- unbounded; compile reports the error).
local function spec_of(cat, f)
  if not cat or type(cat.resolve) ~= "function" then return nil end
  local ok, spec = pcall(cat.resolve, f.name, f.arg)
  if ok and type(spec) == "table" then return spec end
end

-- A catalogue that knows only evt.type, read from the event itself: the
-- compiled comparison is then run on each type name.
local TYPE_CAT = {
  resolve = function(name)
    if TYPE_FIELDS[name] then return { type = "string", get = function(ev) return ev end } end
    return nil, "not an event type field"
  end,
}

-- Set of universe names a comparison on evt.type accepts, or nil.
local function type_set(n, universe)
  local v = n.value
  local plain = not n.field.transformers and v and v.kind ~= "field"
  if plain and (n.cmp == "=" or n.cmp == "==" or n.cmp == "in" or n.cmp == "intersects") then
    local s = {}
    if v.kind == "list" then
      for _, it in ipairs(v.items) do s[tostring(it.v or it.name)] = true end
    else
      s[tostring(v.v or v.name)] = true
    end
    return s
  end
  if not universe or (v and v.kind == "field") then return nil end
  local fn = compile.compile(n, TYPE_CAT)
  if not fn then return nil end
  local s = {}
  for name in pairs(universe) do
    if fn(name) then s[name] = true end
  end
  return s
end

-- Per-type argument predicates of a node, beside its type set (see
-- lanner/filter/argpred.lua): preds[t] narrows type t to the calls whose
-- registers satisfy it; a type without an entry is unconstrained, a type
-- outside the set cannot match at all.  `and` conjoins, `or` disjoins,
-- each on the type's own predicates, so that `evt.type = socket or
-- (evt.type = openat and evt.is_open_write = true)` narrows openat only.
local function pred_of(set, preds, t)
  if set and not set[t] then return {} end -- cannot match: false
  return preds and preds[t]                -- nil: true
end

local function combine(meet, nsub, sets, preds, result_set)
  local keys = {}
  for _, p in ipairs(preds) do
    for t in pairs(p) do keys[t] = true end
  end
  local out = {}
  for t in pairs(keys) do
    if result_set == nil or result_set[t] then
      local acc
      for i = 1, nsub do
        local p = pred_of(sets[i], preds[i], t)
        if i == 1 then acc = p
        elseif meet then acc = argpred.conj(acc, p)
        else acc = argpred.disj(acc, p) end
      end
      out[t] = acc
    end
  end
  return out
end

-- Types node n can match (negated when neg), nil = unbounded; and the
-- argument predicates per type.
local function types(n, neg, cat, universe)
  local op = n.op
  if op == "not" then return types(n[1], not neg, cat, universe) end
  if op == "and" or op == "or" then
    -- Under a negation and/or swap (De Morgan).
    local meet = (op == "and") ~= neg
    local acc, unbounded = nil, false
    local sets, preds = {}, {}
    for i = 1, #n do
      local s, p = types(n[i], neg, cat, universe)
      sets[i], preds[i] = s, p or {}
      if meet then
        acc = inter(acc, s)
      elseif s == nil then
        unbounded = true
      else
        acc = acc or {}
        for k in pairs(s) do acc[k] = true end
      end
    end
    if unbounded then acc = nil end
    return acc, combine(meet, #n, sets, preds, acc)
  end
  if op ~= "cmp" then return nil, {} end
  if TYPE_FIELDS[n.field.name] and n.field.arg == nil then
    local s = type_set(n, universe)
    if s == nil then return nil, {} end
    if neg then return universe and minus(universe, s) or nil, {} end
    return universe and inter(s, universe) or s, {}
  end
  local sp = spec_of(cat, n.field)
  local ok, p = pcall(argpred.atom, n, neg, sp, cat)
  if not ok then p = nil end -- analysis never fails: unknown is unconstrained
  p = p or {}
  -- Any other field: false where it has no value, so bounded by the
  -- types where it can have one; negated, that bound is lost.
  if neg then return nil, p end
  local bound
  if sp and sp.types then bound = inter(bound, sp.types) end
  if n.value and n.value.kind == "field" then
    local rs = spec_of(cat, n.value.field)
    if rs and rs.types then bound = inter(bound, rs.types) end
  end
  if bound then
    local copy = {}
    for k in pairs(bound) do copy[k] = true end
    return copy, p
  end
  return nil, p
end

-- analyze(ast, catalogue) -> {types=, fields=, needs_exit=, exit_types=}
--   types       set of event type names the condition can match, nil = any
--   fields      set of field names read
--   needs_exit  a field read is only known after the syscall returns, for
--               some type the condition can match
--   exit_types  the types that need the exit stop (nil = all of `types`);
--               a spec's needs_exit may be a set of types, which keeps
--               e.g. `fd.name` on read() entry-only when only fd-creating
--               calls need their result
--   preds       nil, or { [type] = predicate }: the type can match only
--               calls whose registers satisfy the predicate (a list of
--               masked comparisons, any of which may hold; {} = none):
--               what the seccomp filter checks (lanner/filter/argpred.lua)
function M.analyze(ast, cat)
  if type(ast) ~= "table" then error("filter.analyze: expected an AST", 2) end
  local universe
  if cat and type(cat.event_types) == "function" then
    local ok, list = pcall(cat.event_types)
    if ok and type(list) == "table" then universe = set_of(list) end
  end
  local fields, exit_all, exit_set = {}, false, {}
  astm.each_field(ast, function(f)
    fields[f.name] = true
    local sp = spec_of(cat, f)
    local ne = sp and sp.needs_exit
    if type(ne) == "table" then
      for k in pairs(ne) do exit_set[k] = true end
    elseif ne then
      exit_all = true
    end
  end)
  local t, p = types(ast, false, cat, universe)
  local preds = {}
  for k, v in pairs(p or {}) do
    if t == nil or t[k] then preds[k] = v end
  end
  local exit_types
  if exit_all then
    exit_types = t and inter(t, t) or nil
  else
    exit_types = t and inter(exit_set, t) or exit_set
  end
  local needs_exit = exit_all or next(exit_types) ~= nil
  return { types = t, fields = fields, needs_exit = needs_exit, exit_types = exit_types,
    preds = next(preds) and preds or nil }
end

return M
