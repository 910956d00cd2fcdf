-- Falco rules: load YAML rules files, compile them, run them on events.
--
--   local rules = require "lanner.rules"
--   local set = rules.load({"falco_rules.yaml", "local.yaml"}, {min_priority = "notice"})
--   for _, e in ipairs(set.errors) do io.stderr:write(tostring(e), "\n") end
--   local eng = set:engine({rule_matching = "all"})
--   local alerts, n = eng:process(ev)
--
-- Pieces: lanner.yaml (libyaml), rules.loader (items, overrides),
-- rules.exceptions, rules.compiler (expansion, filters, outputs),
-- rules.engine (grouping by event type, evaluation).
local loader = require "lanner.rules.loader"
local compiler = require "lanner.rules.compiler"
local engine = require "lanner.rules.engine"
local priority = require "lanner.priority"

local M = {}

M.PRIORITIES = priority.NAMES
M.ENGINE_VERSION = loader.ENGINE_VERSION
M.parse_priority = priority.parse

-- The modules rules compile with: opts.filter/fields/format, else lanner's.
local function deps_of(opts)
  return {
    filter = opts.filter or require "lanner.filter",
    fields = opts.fields or require "lanner.fields",
    format = opts.format or require "lanner.format",
  }
end

local Ruleset = {}
Ruleset.__index = Ruleset

-- load(files, opts) -> ruleset
-- files: a list of paths, or of {name=, content=} for text in memory; they
-- are read in order, so later files override earlier ones.
-- opts.min_priority: drop rules less severe than this (Falco -m/priority).
-- opts.validate: also report unused lists and macros (lanner -V).
-- opts.filter/fields/format: modules to compile with (default lanner.*).
-- opts.sources: set of event sources that run (default {syscall=true}).
-- opts.engine_version: the engine version rules are checked against.
-- Never raises for bad rules: problems are in ruleset.errors/warnings,
-- each {file, line, item, message, code} printing as
-- "file:line: rule 'X': message".
--
-- ruleset.rules, in load order (a redefined rule keeps its first place):
--   name, desc, priority ("Warning"), priority_num (0 Emergency..7 Debug),
--   tags (sorted), enabled, source, file, line, index,
--   condition (text, appends included), condition_ast (parsed, exceptions
--   added, macros and lists not yet expanded), exception_conditions (the
--   generated texts), ast (expanded), fn(ev) -> bool, output_format,
--   output(ev) -> string, output_fields ({names}), exceptions,
--   types (set of event type names, nil = any), fields (set), needs_exit.
-- ruleset.by_name, ruleset.lists (name -> items), ruleset.env ({macros=,
-- lists=} for filter.expand), ruleset.required_plugins.
function M.load(files, opts)
  opts = opts or {}
  if type(files) == "string" or (type(files) == "table" and files.content) then files = { files } end
  if type(files) ~= "table" then error("rules.load: files must be a list", 2) end
  local deps = deps_of(opts)
  local col = loader.new {
    sources = opts.sources, engine_version = opts.engine_version,
    field_ok = function(name)
      local spec, err = deps.fields.resolve(name:match "^([^%[]+)", name:match "%[(.*)%]$")
      if spec then return true end
      return nil, err and tostring(err) or ("'" .. name .. "' is not a supported filter field")
    end,
  }
  for _, f in ipairs(files) do
    if type(f) == "table" then col:read(f.content, f.name or "<rules>") else col:read_file(f) end
  end
  local rules, lists, macros, macro_asts = compiler.compile(col, deps, { warn_unused = opts.validate })

  local min = opts.min_priority
  if min ~= nil then
    if type(min) ~= "number" then min = priority.check(min, "rules.load: ") end
    local kept = {}
    for _, r in ipairs(rules) do if r.priority_num <= min then kept[#kept + 1] = r end end
    rules = kept
  end

  local by_name = {}
  for _, r in ipairs(rules) do by_name[r.name] = r end
  return setmetatable({
    rules = rules, by_name = by_name, lists = lists, macros = macros,
    -- For a command-line filter that uses the rules' macros and lists.
    env = { macros = macro_asts, lists = lists },
    warnings = col.res.warnings, errors = col.res.errors,
    required_plugins = col.plugins, fields_module = deps.fields, filter_module = deps.filter,
  }, Ruleset)
end

-- load_cached(files, opts) -> ruleset, how[, keep]: as load(), through
-- the cache of loaded sets (lanner.rules.cache); how is "hit", "miss" or
-- "off: why" (opts.cache_dir a folder to use instead of the default one).
-- On a miss, keep() -> true | nil, why stores the set: making every rule's
-- code and writing it costs more than the load itself, so the caller
-- does it once the traced program runs, not before.  The set is the same
-- either way, but for what is not kept: its rules' condition_ast and
-- exception_conditions (for --list-rules and -V, which load() serves).
function M.load_cached(files, opts)
  opts = opts or {}
  if type(files) == "string" or (type(files) == "table" and files.content) then files = { files } end
  local cache = require "lanner.rules.cache"
  local key, why = cache.key(files, opts)
  if not key then return M.load(files, opts), "off: " .. why end
  local deps = deps_of(opts)
  local t = cache.fetch(key, deps)
  if t then
    local by_name = {}
    for _, r in ipairs(t.rules) do by_name[r.name] = r end
    t.by_name, t.fields_module, t.filter_module = by_name, deps.fields, deps.filter
    return setmetatable(t, Ruleset), "hit"
  end
  local set = M.load(files, opts)
  return set, "miss", function() return cache.store(key, set) end
end

function Ruleset:ok() return #self.errors == 0 end

-- engine(opts): see lanner.rules.engine.new.
function Ruleset:engine(opts) return engine.new(self, opts) end
function M.engine(set, opts) return engine.new(set, opts) end

-- interest(opts) -> {types = set of event type names or nil (any event),
-- fields = set, needs_exit = bool}: what the seccomp filter and state tables
-- must provide for the rules an engine with the same opts would run.
-- exit_types: the types whose exit stop some rule needs (nil: all).
-- preds: the argument predicates every rule's calls share (lanner.interest).
function Ruleset:interest(opts)
  local types, fields, needs_exit, exit_types = {}, {}, false, {}
  local interest, folded = require "lanner.interest", {}
  for _, r in ipairs(engine.select(self.rules, opts)) do
    interest.union_preds(folded, r.types, r.preds)
    if r.types == nil then
      types = nil
    elseif types then
      for t in pairs(r.types) do types[t] = true end
    end
    if exit_types then
      if r.exit_types == nil and r.types == nil then
        exit_types = nil
      else
        for t in pairs(r.exit_types or r.types) do exit_types[t] = true end
      end
    end
    for f in pairs(r.fields) do fields[f] = true end
    for _, f in ipairs(r.output_fields) do fields[f:match "^[^%[]+"] = true end
    needs_exit = needs_exit or r.needs_exit
  end
  return { types = types, fields = fields, needs_exit = needs_exit, exit_types = exit_types,
           preds = interest.folded_preds(folded) }
end

-- list() -> rows for --list-rules: {name, priority, tags, enabled, desc}
-- with the description on one line.
function Ruleset:list()
  local rows = {}
  for i, r in ipairs(self.rules) do
    rows[i] = { name = r.name, priority = r.priority, tags = r.tags, enabled = r.enabled,
                source = r.source, desc = (r.desc:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")) }
  end
  return rows
end

return M
