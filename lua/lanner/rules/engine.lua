-- Evaluates compiled rules against events.
--
-- Rules are indexed by the event types their condition can match (Falco's
-- evttype_index_ruleset): an event meets only the rules of its type, plus
-- the rules whose types cannot be bounded, in load order. With
-- rule_matching "first" (Falco's default) evaluation stops at the first
-- rule that matches; with "all" every matching rule alerts.
--
-- process() reuses its result table; an alert table is made only when a
-- rule matches, so an event that matches nothing allocates nothing.
local priority = require "lanner.priority"
local alert_format = require "lanner.alert_format"
local json = require "lanner.json"
local action = require "lanner.rules.action"
local scope = require "lanner.fields.scope"
local scope_enter, scope_leave = scope.enter, scope.leave
local bit = require "bit"

local M = {}

local function set_of(v)
  if v == nil then return nil end
  local s = {}
  for k, x in pairs(v) do
    if type(k) == "number" then s[x] = true else s[k] = x and true or nil end
  end
  return s
end

-- select(rules, opts) -> the rules an engine runs, in load order.
-- opts.min_priority: name or number (0 Emergency .. 7 Debug); rules less
--   severe are dropped (Falco's `priority` setting / -m).
-- opts.tags = {include = {tags}, exclude = {tags}}: Falco's -t (only rules
--   with one of these tags) and -T (no rule with one of these tags).
-- opts.disable = {substrings}: Falco's -D, by rule name.
-- opts.enable_disabled: run rules that say `enabled: false` too.
function M.select(rules, opts)
  opts = opts or {}
  local min = opts.min_priority
  if min ~= nil and type(min) ~= "number" then
    min = priority.check(min, nil, 3)
  end
  local tags = opts.tags or {}
  local inc, exc = set_of(tags.include), set_of(tags.exclude)
  local out = {}
  for _, r in ipairs(rules) do
    local keep = r.enabled or opts.enable_disabled
    if keep and min and r.priority_num > min then keep = false end
    if keep and inc then
      keep = false
      for _, t in ipairs(r.tags) do if inc[t] then keep = true end end
    end
    if keep and exc then
      for _, t in ipairs(r.tags) do if exc[t] then keep = false end end
    end
    if keep and opts.disable then
      for _, s in ipairs(opts.disable) do
        if r.name:find(s, 1, true) then keep = false end
      end
    end
    if keep then out[#out + 1] = r end
  end
  return out
end

-- Merges two lists of rules sorted by load position.
local function merge(a, b)
  local out, i, j = {}, 1, 1
  while i <= #a or j <= #b do
    if j > #b or (i <= #a and a[i].index < b[j].index) then
      out[#out + 1] = a[i]; i = i + 1
    else
      out[#out + 1] = b[j]; j = j + 1
    end
  end
  return out
end

-- "proc.aname[2]" -> "proc.aname", "2"
local function split_field(s)
  local name, arg = s:match "^([^%[]+)%[(.*)%]$"
  return name or s, arg
end

-- An open's rules are mostly about writing (10-files.yaml) or about
-- reading: each condition says so with evt.is_open_write = true or
-- evt.is_open_read = true among its top-level conjuncts (the open_write
-- and open_read macros).  The engine works the two out once per event and
-- runs only the rules that can match: a read-only open skips the rules
-- that need a write.  The same rules in the same order match either way.
M.SPLIT_FIELDS = { "evt.is_open_write", "evt.is_open_read" }

local function conjuncts(ast, out)
  if type(ast) == "table" and ast.op == "and" then
    for i = 1, #ast do conjuncts(ast[i], out) end
  elseif ast ~= nil then
    out[#out + 1] = ast
  end
  return out
end

-- A bit per split field the rule's condition cannot match without (the
-- field "= true", plain: no argument, no transformer).
function M.requirements(r)
  local need = 0
  for _, c in ipairs(conjuncts(r.ast, {})) do
    local f, v = c.op == "cmp" and c.field, c.value
    if f and (c.cmp == "=" or c.cmp == "==") and f.arg == nil and not (f.transformers and #f.transformers > 0)
        and type(v) == "table" and v.v == "true" then
      for i, name in ipairs(M.SPLIT_FIELDS) do
        if f.name == name then need = bit.bor(need, bit.lshift(1, i - 1)) end
      end
    end
  end
  return need
end

-- split(list, getters) -> function(ev) -> the rules of list that can match
-- ev, or nil when no rule of list needs a split field.  A field counts as
-- true as a compiled "= true" has it: not nil, false or 0.
function M.split(list, getters)
  local needs, any = {}, 0
  for i, r in ipairs(list) do
    -- (kept by the rules cache, which leaves the tree unmade until asked)
    needs[i] = r.open_needs or M.requirements(r)
    any = bit.bor(any, needs[i])
  end
  if any == 0 then return nil end
  local subs = {}
  for key = 0, bit.lshift(1, #M.SPLIT_FIELDS) - 1 do
    local sub = {}
    for i, r in ipairs(list) do
      if bit.band(needs[i], key) == needs[i] then sub[#sub + 1] = r end
    end
    subs[key] = sub
  end
  local g1, g2 = getters[1], getters[2]
  return function(ev)
    local a, b = g1(ev), g2(ev)
    local key = 0
    if a ~= nil and a ~= false and a ~= 0 then key = 1 end
    if b ~= nil and b ~= false and b ~= 0 then key = key + 2 end
    return subs[key]
  end
end

local Engine = {}
Engine.__index = Engine

-- new(ruleset_or_rules, opts): opts as select() plus
--   rule_matching = "first" | "all"
--   type_name(ev) -> event type name (default: the catalogue's evt.type)
--   time(ev) -> alert time (default: the catalogue's evt.rawtime)
--   hostname, fields (the field catalogue module, default lanner.fields)
function M.new(set, opts)
  opts = opts or {}
  local all = set.rules or set
  local matching = (opts.rule_matching or "first"):lower()
  if matching ~= "first" and matching ~= "all" then
    error("rule_matching must be 'first' or 'all', not '" .. tostring(opts.rule_matching) .. "'", 2)
  end
  local fields = opts.fields or set.fields_module
  local self = setmetatable({
    rules = M.select(all, opts), first = matching == "first", alerts = {}, n = 0, getters = {},
    hostname = opts.hostname or alert_format.hostname(), fields = fields,
  }, Engine)

  self.type_name = opts.type_name
  if not self.type_name then
    fields = fields or require "lanner.fields"
    local spec = assert(fields.resolve("evt.type"))
    local get = spec.get
    self.type_name = function(ev) return get(ev) end
  end
  self.time = opts.time
  if not self.time and fields then
    local spec = fields.resolve("evt.rawtime")
    if spec then
      local get = spec.get
      -- a live event's own 64-bit timestamp keeps its nanoseconds exact
      self.time = function(ev)
        if type(ev) == "cdata" then return ev.ts end
        return get(ev)
      end
    end
  end

  -- Buckets: each type's list already holds the unbounded rules, merged in
  -- load order, so process() walks one list.
  local typed, any = {}, {}
  for _, r in ipairs(self.rules) do
    if r.types == nil then
      any[#any + 1] = r
    else
      for t in pairs(r.types) do
        typed[t] = typed[t] or {}
        table.insert(typed[t], r)
      end
    end
  end
  self.any, self.by_type = any, {}
  for t, list in pairs(typed) do self.by_type[t] = merge(list, any) end
  -- a list's dispatcher, and its rules' code, are made at its first event
  local first, hits = self.first, {}
  self.hits = hits
  self.dispatch = setmetatable({}, { __index = function(t, list)
    local d = M.dispatcher(list, first, hits)
    t[list] = d
    return d
  end })
  -- a list's split by the open's read and write (M.split), or false
  local getters, all_there = {}, true
  for i, name in ipairs(M.SPLIT_FIELDS) do
    local spec = fields and fields.resolve(name)
    getters[i] = spec and spec.get
    all_there = all_there and getters[i] ~= nil
  end
  self.splits = setmetatable({}, { __index = function(t, list)
    local sp = all_there and M.split(list, getters) or false
    t[list] = sp
    return sp
  end })
  return self
end

-- One function per rule list that tries its rules in order, each from its
-- own call site.  A loop calling r.fn for every rule would be one call site
-- that sees every rule's function, which LuaJIT compiles as a chain of side
-- traces; here each site always calls the same function and the whole list
-- runs as one trace.  It puts the indexes of the rules that matched in
-- hits and returns how many (at most one with rule_matching first).
function M.dispatcher(list, first, hits)
  local src = { "local R, hits = ...", "return function(ev)", "  local n = 0" }
  for i = 1, #list do
    if first then
      src[#src + 1] = ("  if R[%d](ev) then hits[1] = %d return 1 end"):format(i, i)
    else
      src[#src + 1] = ("  if R[%d](ev) then n = n + 1 hits[n] = %d end"):format(i, i)
    end
  end
  src[#src + 1] = "  return n"
  src[#src + 1] = "end"
  local fns = {}
  -- the loaded functions, not the rules compiler's lazy stubs (unless
  -- someone put another function in their place)
  for i, r in ipairs(list) do
    fns[i] = (r.real_fn and r.fn == r.lazy_fn) and r.real_fn() or r.fn
  end
  return assert(loadstring(table.concat(src, "\n"), "=rules dispatch"))(fns, hits)
end

-- The rules an event of this type meets, in evaluation order.
function Engine:rules_for(type_name)
  return self.by_type[type_name] or self.any
end

-- Output-field getters of a rule, resolved on its first alert (per engine:
-- two engines may use different catalogues).
function Engine:_getters(r)
  local g = self.getters[r]
  if g then return g end
  g = {}
  local fields = self.fields or require "lanner.fields"
  for _, s in ipairs(r.output_fields or {}) do
    local name, arg = split_field(s)
    local spec = fields.resolve(name, arg)
    if spec then g[#g + 1] = { key = s, get = spec.get, arg = arg, values = spec.multi and spec.values } end
  end
  self.getters[r] = g
  return g
end

function Engine:alert(r, ev)
  local of = {}
  for _, g in ipairs(self:_getters(r)) do
    -- A multi-valued field (proc.aname, ...) gives all its values; a
    -- missing one is JSON null, as in Falco's output_fields.
    local v
    if g.values then v = g.values(ev) else v = g.get(ev, g.arg) end
    if v == nil then v = json.null end
    of[g.key] = v
  end
  -- a prevention rule run as a plain one: enforcement is off (a dry run)
  local done = r.action and action.done(r.action, false)
  if done then of["lanner.action"] = done end
  return {
    rule = r.name, priority = r.priority, priority_num = r.priority_num,
    output = r.output(ev), output_fields = of, tags = r.tags, source = r.source,
    time = self.time and self.time(ev), hostname = self.hostname, action = done,
  }
end

-- process(ev) -> alerts, n. `alerts` is the same table on every call and
-- holds the n alerts of this event (empty when nothing matched).
-- Getters may keep what they read of ev until it returns (fields/scope.lua).
function Engine:process(ev)
  local list = self.by_type[self.type_name(ev)] or self.any
  local alerts = self.alerts
  scope_enter(ev)
  local split = self.splits[list]
  if split then list = split(ev) end
  local n = self.dispatch[list](ev)
  local hits = self.hits
  for k = 1, n do alerts[k] = self:alert(list[hits[k]], ev) end
  scope_leave()
  for i = n + 1, self.n do alerts[i] = nil end
  self.n = n
  return alerts, n
end

return M
