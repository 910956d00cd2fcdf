-- Reads Falco rules files into a collection of lists, macros and rules,
-- applying definitions, appends, overrides and enable toggles in file order.
-- Conditions stay text here: Falco appends condition text (`cond + " " +
-- more`) and parses the result, and so do we, at compile time, once every
-- file is read (lanner.rules.compiler).
--
-- Item semantics follow Falco's rule_loader_reader.cpp and
-- rule_loader_collector.cpp (falcosecurity/falco, userspace/engine): which
-- keys may be appended or replaced, the deprecated `append: true` and
-- standalone `enabled:` forms, redefinitions keeping the first position.
-- One difference: Falco stops a file at its first error; we skip the broken
-- item, report it, and read on, so one bad rule does not hide the others.
local yaml = require "lanner.yaml"
local exceptions = require "lanner.rules.exceptions"
local diag = require "lanner.rules.diag"
local priority = require "lanner.priority"

local M = {}

-- Falco's engine version this loader implements (falco_engine_version.h).
M.ENGINE_VERSION = "0.45.0"

local RULE_KEYS = { rule = 1, desc = 1, condition = 1, output = 1, priority = 1,
  tags = 1, enabled = 1, exceptions = 1, source = 1, warn_evttypes = 1,
  ["skip-if-unknown-filter"] = 1, append = 1, override = 1, capture = 1,
  capture_duration = 1 }
local MACRO_KEYS = { macro = 1, condition = 1, append = 1, override = 1 }
local LIST_KEYS = { list = 1, items = 1, append = 1, override = 1 }
local RULE_APPENDABLE = { condition = 1, output = 1, desc = 1, tags = 1, exceptions = 1 }
local RULE_REPLACEABLE = { condition = 1, output = 1, desc = 1, priority = 1, tags = 1,
  exceptions = 1, enabled = 1, warn_evttypes = 1, ["skip-if-unknown-filter"] = 1 }
-- Order in which override keys are applied and checked, for stable messages.
local RULE_OVERRIDE_ORDER = { "condition", "exceptions", "output", "desc", "tags",
  "priority", "enabled", "warn_evttypes", "skip-if-unknown-filter" }

-- Item-level failure: unwinds one item with error(); read_item catches it.
local Fail = {}
local function fail(msg, line) error(setmetatable({ msg = msg, line = line }, Fail), 0) end

local function scalar(item, key, optional)
  local n = item.map[key]
  if n == nil then
    if optional then return nil end
    fail("Item has no mapping for key '" .. key .. "'", item.line)
  end
  if yaml.is_null(n) then fail("Mapping for key '" .. key .. "' is empty", n.line) end
  if n.kind ~= "scalar" then fail("Value for key '" .. key .. "' is not a scalar value", n.line) end
  if n.value == "" then fail("Value for key '" .. key .. "' must be non-empty", n.line) end
  return n.value, n
end

local function bool(item, key, optional)
  local v, n = scalar(item, key, optional)
  if v == nil then return nil end
  local b = yaml.bool(n)
  if b == nil then fail("Value for key '" .. key .. "' is not a boolean: '" .. v .. "'", n.line) end
  return b
end

-- Tags are a set in Falco (std::set), so they come out sorted and unique.
local function tags(item, optional)
  local n = item.map.tags
  if n == nil then
    if optional then return nil end
    fail("Item has no mapping for key 'tags'", item.line)
  end
  if n.kind ~= "seq" then fail("Value for key 'tags' is not a sequence", n.line) end
  local set = {}
  for _, t in ipairs(n.items) do
    if t.kind ~= "scalar" then fail("tags: sequence value is not scalar", t.line) end
    set[t.value] = true
  end
  return set
end

function M.sorted_tags(set)
  local out = {}
  for t in pairs(set) do out[#out + 1] = t end
  table.sort(out)
  return out
end

-- override: {key: append|replace} -> append set, replace set
local function overrides(item, appendable, replaceable)
  local n = item.map.override
  local app, rep = {}, {}
  if n == nil then return app, rep, false end
  if n.kind ~= "map" then fail("Value for key 'override' is not a mapping", n.line) end
  for _, key in ipairs(n.keys) do
    local op, line = n.map[key].value, n.keynode[key].line
    if op == "append" then
      if not appendable[key] then fail("Key '" .. key .. "' cannot be appended to, use 'replace' instead", line) end
      app[key] = true
    elseif op == "replace" then
      if not replaceable[key] then fail("Key '" .. key .. "' cannot be replaced", line) end
      rep[key] = true
    else
      local allowed = {}
      if appendable[key] then allowed[#allowed + 1] = "append" end
      if replaceable[key] then allowed[#allowed + 1] = "replace" end
      fail(("Invalid override operation for key '%s': '%s'. Allowed values are: %s")
        :format(key, tostring(op), table.concat(allowed, " ")), line)
    end
  end
  return app, rep, next(app) ~= nil or next(rep) ~= nil
end

local WARNING_APPEND = "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead."
local WARNING_ENABLED = "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under 'override' key (i.e. 'enabled: replace')."
local ERROR_OVERRIDE_APPEND = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead."

-- A collection being built: lists, macros and rules by name, each with the
-- position (`index`) of its first definition, which redefinitions keep.
local Collector = {}
Collector.__index = Collector

function M.new(opts)
  opts = opts or {}
  return setmetatable({
    lists = {}, macros = {}, rules = {}, order = { lists = {}, macros = {}, rules = {} },
    next_index = 0, res = diag.new(), plugins = {}, sources = opts.sources or { syscall = true },
    engine_version = opts.engine_version or M.ENGINE_VERSION,
    exceptions_field_ok = opts.field_ok,
  }, Collector)
end

-- A (re)definition replaces the whole item but keeps the place of the
-- first one (Falco's define_info), which orders rule evaluation.
function Collector:_define(kind, info)
  local tbl, prev = self[kind], self[kind][info.name]
  if prev then
    info.index = prev.index
  else
    self.next_index = self.next_index + 1
    info.index = self.next_index
    local o = self.order[kind]
    o[#o + 1] = info.name
  end
  tbl[info.name] = info
end

local function warn_unknown_keys(self, ctx, item, known)
  for _, k in ipairs(item.keys) do
    if not known[k] then
      self.res:warn(ctx, "Unknown key '" .. k .. "'", item.keynode[k].line, "unknown-key")
    end
  end
end

-- Lists and macros are read alike: a name with its own pattern, one body
-- key (items, condition) that an append extends, and the deprecated
-- `append: true` form beside `override.<body>: append|replace`.
local NAMED = {
  list = {
    noun = "List", plural = "lists", keys = LIST_KEYS, body = "items",
    name_ok = "^[^%s()\"'=,]+$", name_re = "([^()\"'[:space:]=,]+)",
    read = function(item)
      local n = item.map.items
      if not n then fail("Item has no mapping for key 'items'") end
      if n.kind ~= "seq" then fail("Value for key 'items' is not a sequence", n.line) end
      local items = {}
      for i, v in ipairs(n.items) do
        if v.kind ~= "scalar" then fail("items: sequence value is not scalar", v.line) end
        items[i] = v.value
      end
      return { items = items }
    end,
    append = function(prev, new)
      for _, v in ipairs(new.items) do prev.items[#prev.items + 1] = v end
    end,
  },
  macro = {
    noun = "Macro", plural = "macros", keys = MACRO_KEYS, body = "condition",
    name_ok = "^[%a][%w_]*$", name_re = "([a-zA-Z]+[a-zA-Z0-9_]*)",
    read = function(item)
      local cond, cnode = scalar(item, "condition")
      return { cond = cond, cond_line = cnode.line }
    end,
    -- Falco appends condition text and parses the whole at compile time.
    append = function(prev, new) prev.cond = prev.cond .. " " .. new.cond end,
  },
}

local function read_named(self, item, ctx, kind)
  local k = NAMED[kind]
  local name = scalar(item, kind)
  ctx.item = kind .. " '" .. name .. "'"
  if not name:match(k.name_ok) then
    fail(k.noun .. " has an invalid name. " .. k.noun .. " names must match a regular expression: " .. k.name_re)
  end
  warn_unknown_keys(self, ctx, item, k.keys)
  local def = k.read(item)
  local append = bool(item, "append", true)
  if append then self.res:warn(ctx, WARNING_APPEND, item.line, "deprecated") end
  local body = { [k.body] = 1 }
  local app, _, has = overrides(item, body, body)
  if append and has then fail(ERROR_OVERRIDE_APPEND) end
  if append or app[k.body] then
    local prev = self[k.plural][name]
    if not prev then
      fail(("%s uses 'append' or 'override.%s: append' but no %s by that name already exists")
        :format(k.noun, k.body, kind))
    end
    k.append(prev, def)
  else
    def.name, def.file, def.line = name, ctx.file, item.line
    self:_define(k.plural, def)
  end
end

local function read_exceptions(item, is_update)
  local n = item.map.exceptions
  if n == nil then return nil end
  return exceptions.read(n, fail, is_update) -- fail() raises on a bad one
end

-- One overridable key of a rule item, decoded.
local function read_key(item, key)
  if key == "exceptions" then return read_exceptions(item, true) end
  if key == "tags" then return tags(item) end
  if key == "enabled" or key == "warn_evttypes" or key == "skip-if-unknown-filter" then
    return bool(item, key)
  end
  if key == "priority" then
    local v, n = scalar(item, "priority")
    return priority.parse(v) or fail("Invalid priority '" .. v .. "'", n.line)
  end
  return scalar(item, key)
end

-- The part of a rule item that an append or replace carries (keys: a set).
local function read_update(item, keys)
  local u = {}
  for _, key in ipairs(RULE_OVERRIDE_ORDER) do
    if keys[key] then u[key] = read_key(item, key) end
  end
  if u.condition then u.cond_line = item.map.condition.line end
  return u
end

function Collector:_field_ok(rule)
  if rule.unknown_source then return nil end
  return self.exceptions_field_ok
end

function Collector:_append_rule(ctx, item, u)
  local prev = self.rules[u.name]
  if not prev then fail("Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists") end
  if u.condition == nil and u.exceptions == nil and u.output == nil and u.desc == nil and u.tags == nil then
    fail("Appended rule must have exceptions or condition property")
  end
  if u.condition and u.condition ~= "" then prev.cond = prev.cond .. " " .. u.condition end
  if u.output and u.output ~= "" then prev.output = prev.output .. " " .. u.output end
  if u.desc and u.desc ~= "" then prev.desc = prev.desc .. " " .. u.desc end
  if u.tags then for t in pairs(u.tags) do prev.tags[t] = true end end
  if u.exceptions then
    for _, ex in ipairs(u.exceptions) do
      if ex.no_values then self.res:warn(ctx, "Overriding/appending exception with no values", ex.line, "append-no-values") end
    end
    local ok, err, line = exceptions.append(prev.exceptions, u.exceptions, self:_field_ok(prev))
    if not ok then fail(err, line) end
  end
end

function Collector:_replace_rule(u)
  local prev = self.rules[u.name]
  if not prev then fail("An 'override.<key>: replace' to a rule was requested but no rule by that name already exists") end
  for _, k in ipairs(RULE_OVERRIDE_ORDER) do
    local v = u[k]
    if v ~= nil then
      if k == "condition" then prev.cond, prev.cond_line = v, u.cond_line
      elseif k == "exceptions" then
        for _, ex in ipairs(v) do
          local ok, err = exceptions.validate(ex, self:_field_ok(prev))
          if not ok then fail("exception '" .. ex.name .. "': " .. err, ex.line) end
        end
        prev.exceptions = v
      else prev[k] = v end
    end
  end
end

local function read_rule(self, item, ctx)
  local name = scalar(item, "rule")
  ctx.item = "rule '" .. name .. "'"
  warn_unknown_keys(self, ctx, item, RULE_KEYS)
  local append = bool(item, "append", true)
  if append then self.res:warn(ctx, WARNING_APPEND, item.line, "deprecated") end
  local app, rep, has = overrides(item, RULE_APPENDABLE, RULE_REPLACEABLE)
  if append and has then fail(ERROR_OVERRIDE_APPEND) end

  if has then
    -- Every overridable key present must be named under `override`, and
    -- every key named there must be present.
    for _, k in ipairs(RULE_OVERRIDE_ORDER) do
      if (app[k] or rep[k]) and item.map[k] == nil then
        fail(("%s override for '%s' was specified but '%s' is not defined")
          :format(app[k] and "An append" or "A replace", k, k))
      end
      if item.map[k] ~= nil and not app[k] and not rep[k] then
        fail("Unexpected key '" .. k .. "': no corresponding entry under 'override' is defined.", item.keynode[k].line)
      end
    end
    if next(app) then
      local u = read_update(item, app)
      u.name = name
      self:_append_rule(ctx, item, u)
    end
    if next(rep) then
      local u = read_update(item, rep)
      u.name = name
      self:_replace_rule(u)
    end
  elseif append then
    local u = read_update(item, { condition = item.map.condition and 1, exceptions = item.map.exceptions and 1 })
    u.name = name
    self:_append_rule(ctx, item, u)
  elseif not (item.map.condition or item.map.output or item.map.desc or item.map.priority) then
    -- `- rule: X / enabled: false` toggles a rule defined earlier.
    local enabled = bool(item, "enabled")
    self.res:warn(ctx, WARNING_ENABLED, item.line, "deprecated")
    local prev = self.rules[name]
    if not prev then fail("Rule has 'enabled' key but no rule by that name already exists") end
    prev.enabled = enabled
  else
    local r = { name = name, file = ctx.file, line = item.line, enabled = true,
                warn_evttypes = true, ["skip-if-unknown-filter"] = false, source = "syscall" }
    r.cond = scalar(item, "condition")
    r.cond_line = item.map.condition.line
    r.output = scalar(item, "output"):match "^%s*(.-)%s*$"
    r.output_line = item.map.output.line
    r.desc = scalar(item, "desc")
    local pv, pn = scalar(item, "priority")
    r.priority = priority.parse(pv) or fail("Invalid priority '" .. pv .. "'", pn.line)
    r.source = scalar(item, "source", true) or "syscall"
    for _, k in ipairs { "enabled", "warn_evttypes", "skip-if-unknown-filter" } do
      local b = bool(item, k, true)
      if b ~= nil then r[k] = b end
    end
    r.tags = tags(item, true) or {}
    r.exceptions = read_exceptions(item, false) or {}
    local prev = self.rules[name]
    if prev and prev.source ~= r.source then fail("Rule has been re-defined with a different source") end
    if not self.sources[r.source] then
      r.unknown_source = true
      self.res:warn(ctx, "Unknown source " .. r.source .. ", skipping", item.line, "unknown-source")
    end
    for _, ex in ipairs(r.exceptions) do
      local ok, err = exceptions.validate(ex, self:_field_ok(r))
      if not ok then fail("exception '" .. ex.name .. "': " .. err, ex.line) end
    end
    self:_define("rules", r)
  end
end

-- Semver "x.y.z" or Falco's legacy integer N, which means 0.N.0.
local function parse_version(v)
  if v:match "^%d+$" then return { 0, tonumber(v), 0 } end
  local a, b, c = v:match "^(%d+)%.(%d+)%.(%d+)"
  if a then return { tonumber(a), tonumber(b), tonumber(c) } end
end
M.parse_version = parse_version

local function version_less(x, y)
  for i = 1, 3 do if x[i] ~= y[i] then return x[i] < y[i] end end
  return false
end

local function read_engine_version(self, item, ctx)
  ctx.item = "required_engine_version"
  local v, n = scalar(item, "required_engine_version")
  local want = parse_version(v)
  if not want then
    fail("Unable to parse engine version '" .. v .. "' as a semver string. Expected \"x.y.z\" semver format.", n.line)
  end
  local have = parse_version(self.engine_version)
  -- Falco refuses such a file; lanner warns and reads on, since most rules
  -- that want a newer engine only use fields that may or may not exist here.
  if have[1] ~= want[1] or version_less(have, want) then
    self.res:warn(ctx, ("Rules require engine version %s, but engine version is %s")
      :format(table.concat(want, "."), self.engine_version), n.line, "engine-version")
  end
end

local function read_plugin_versions(self, item, ctx)
  ctx.item = "required_plugin_versions"
  local n = item.map.required_plugin_versions
  if n.kind ~= "seq" then fail("Value of required_plugin_versions must be a sequence", n.line) end
  for _, p in ipairs(n.items) do
    if p.kind ~= "map" then fail("Plugin version must be a mapping", p.line) end
    local pname = scalar(p, "name")
    local pver = scalar(p, "version")
    self.plugins[#self.plugins + 1] = { name = pname, version = pver, file = ctx.file, line = p.line }
  end
  if not self.plugins_reported then
    -- lanner has no plugins; one notice is enough, the rules that need one
    -- are reported one by one when their source or fields are unknown.
    self.plugins_reported = true
    self.res:warn(ctx, "lanner does not load plugins; rules that need plugin sources or fields will be skipped",
      n.line, "plugins")
  end
end

function Collector:read_item(item, file)
  local ctx = { file = file, line = item.line }
  local ok, err = pcall(function()
    if item.kind ~= "map" then
      fail("Unexpected element type. Each element should be a yaml associative array.")
    end
    local m = item.map
    if m.required_engine_version then read_engine_version(self, item, ctx)
    elseif m.required_plugin_versions then read_plugin_versions(self, item, ctx)
    elseif m.list then read_named(self, item, ctx, "list")
    elseif m.macro then read_named(self, item, ctx, "macro")
    elseif m.rule then read_rule(self, item, ctx)
    else self.res:warn(ctx, "Unknown top level item", item.line, "unknown-item") end
  end)
  if not ok then
    if getmetatable(err) ~= Fail then error(err, 0) end
    self.res:error(ctx, err.msg, err.line or item.line)
  end
end

-- read(src, name): every document of one file, items in order.
function Collector:read(src, name)
  local docs, err = yaml.parse_nodes(src, name)
  local ctx = { file = name }
  if not docs then return self.res:error(ctx, err, nil, "yaml", true) end
  for _, doc in ipairs(docs) do
    if not yaml.is_null(doc) then
      if doc.kind ~= "seq" then
        self.res:error(ctx, "Rules content is not yaml array of objects", doc.line)
      else
        for _, item in ipairs(doc.items) do
          if not yaml.is_null(item) then self:read_item(item, name) end
        end
      end
    end
  end
end

function Collector:read_file(path)
  local src, err = yaml.read_file(path)
  if not src then return self.res:error({ file = path }, "cannot read rules file: " .. tostring(err), nil, "io") end
  return self:read(src, path)
end

return M
