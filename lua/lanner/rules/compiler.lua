-- Turns a collection (lanner.rules.loader) into compiled rules, once every
-- file is read: lists are resolved, macros parsed, then each rule's
-- condition parsed, its exceptions added, macros and lists expanded, fields
-- checked against the catalogue, the filter and output compiled and the
-- event types it can match worked out.
--
-- Order of definitions: a rule sees every list and macro whatever the file
-- order, as in Falco (rule_loader_compiler.cpp). Falco also refuses a macro
-- that uses a macro defined after it, and reads a list item naming a list
-- defined after it as a plain string; lanner resolves both references
-- (filter.expand splices nested lists at any depth) and reports cycles.
local exceptions = require "lanner.rules.exceptions"
local loader = require "lanner.rules.loader"
local priority = require "lanner.priority"

local M = {}

-- Calls fn(node) for each boolean node of an AST (and/or/not/macro/cmp).
local function walk(ast, fn)
  fn(ast)
  local op = ast.op
  if op == "and" or op == "or" or op == "not" then
    for i = 1, #ast do walk(ast[i], fn) end
  end
end
M.walk = walk

local function macro_refs(ast)
  local refs, order = {}, {}
  walk(ast, function(n)
    if n.op == "macro" and not refs[n.name] then
      refs[n.name] = true
      order[#order + 1] = n.name
    end
  end)
  return order
end

-- Every field a condition reads: the compared field and a field on the
-- right-hand side (`fd.name = proc.exe`-style comparisons).
local function fields_of(ast)
  local out = {}
  walk(ast, function(n)
    if n.op == "cmp" then
      out[#out + 1] = n.field
      if type(n.value) == "table" and n.value.kind == "field" then out[#out + 1] = n.value.field end
    end
  end)
  return out
end

-- Falco pastes list items into the condition text, so an item written
-- with its own quotes (`'"10.0.0.0/8"'`, `'"(systemd)"'`, done to protect
-- characters the parser treats specially) reaches the parser as a quoted
-- string and loses them. Items here are values, so unquote those the same
-- way, with the filter's own lexer.
local function unquote(filter, item)
  if not item:match "^[\"']" then return item end
  local ast = filter.parse("x.x = " .. item)
  if ast and ast.op == "cmp" and ast.value and ast.value.kind == "str" then return ast.value.v end
  return item
end

local function lists_of(collector, filter)
  local out = {}
  for _, name in ipairs(collector.order.lists) do
    local items = {}
    for i, it in ipairs(collector.lists[name].items) do items[i] = unquote(filter, it) end
    out[name] = items
  end
  return out
end

-- First undefined macro reachable from `names`, or a cycle, as a message.
local function check_macros(names, macros, state, path)
  for _, name in ipairs(names) do
    local m = macros[name]
    if not m then return "Undefined macro '" .. name .. "' used in filter." end
    m.used = true
    if state[name] == "open" then
      return "Macro '" .. name .. "' refers to itself (" .. table.concat(path, " -> ") .. " -> " .. name .. ")"
    end
    if state[name] ~= "done" then
      if not m.ast then return "Macro '" .. name .. "' has errors" end
      state[name] = "open"
      path[#path + 1] = name
      local err = check_macros(m.refs, macros, state, path)
      path[#path] = nil
      if err then state[name] = nil; return err end
      state[name] = "done"
    end
  end
end

-- A field name as the filter writes it, `name[arg]`, for messages.
local function field_text(f)
  if f.arg ~= nil then return ("%s[%s]"):format(f.name, tostring(f.arg)) end
  return f.name
end

-- compile(collector, deps, opts) -> rules, lists, macros, macro_asts
-- deps = {filter=, fields=, format=}: the modules to use (specs may pass
-- fakes). Problems go to collector.res.
function M.compile(col, deps, opts)
  local filter, fields, format = deps.filter, deps.fields, deps.format
  local res = col.res
  local lists = lists_of(col, filter)

  local macros, macro_asts = {}, {}
  for _, name in ipairs(col.order.macros) do
    local info = col.macros[name]
    local ast, err = filter.parse(info.cond)
    local m = { name = name, info = info }
    if ast then
      m.ast, m.refs = ast, macro_refs(ast)
      macro_asts[name] = ast
    else
      res:error({ file = info.file, item = "macro '" .. name .. "'" }, "condition: " .. tostring(err), info.cond_line)
    end
    macros[name] = m
  end
  -- Check every macro before dropping the broken ones, so that each macro
  -- of a cycle reports the cycle rather than "uses a broken macro".
  local broken = {}
  for _, name in ipairs(col.order.macros) do
    local m = macros[name]
    if m.ast then
      local err = check_macros(m.refs, macros, { [name] = "open" }, { name })
      if err then
        res:error({ file = m.info.file, item = "macro '" .. name .. "'" }, err, m.info.cond_line)
        broken[#broken + 1] = m
      end
    end
  end
  for _, m in ipairs(broken) do m.ast, macro_asts[m.name] = nil, nil end
  -- Lists count as used when a rule or macro expands them (Falco: "not
  -- referred to by any other rule/macro"); the proxy sees every lookup.
  local used_lists = {}
  local list_proxy = setmetatable({}, { __index = function(_, k)
    local v = lists[k]
    if v then used_lists[k] = true end
    return v
  end })
  if opts and opts.warn_unused then
    for _, name in ipairs(col.order.macros) do
      local m = macros[name]
      if m.ast then filter.expand(m.ast, { macros = macro_asts, lists = list_proxy }) end
    end
  end

  local out = {}
  for _, name in ipairs(col.order.rules) do
    local r = col.rules[name]
    if not r.unknown_source then
      local rule = M.compile_rule(r, {
        filter = filter, fields = fields, format = format, res = res,
        macros = macros, macro_asts = macro_asts, lists = list_proxy,
        plugins = #col.plugins > 0, field_ok = col.exceptions_field_ok,
      })
      if rule then out[#out + 1] = rule end
    end
  end

  if opts and opts.warn_unused then
    for _, name in ipairs(col.order.macros) do
      local m = macros[name]
      if not m.used then
        res:warn({ file = m.info.file, item = "macro '" .. name .. "'" },
          "Macro not referred to by any other rule/macro", m.info.line, "unused-macro")
      end
    end
    for _, name in ipairs(col.order.lists) do
      local l = col.lists[name]
      if not used_lists[name] then
        res:warn({ file = l.file, item = "list '" .. name .. "'" },
          "List not referred to by any other rule/macro", l.line, "unused-list")
      end
    end
  end
  return out, lists, macros, macro_asts
end

-- Field classes of libsinsp's syscall source (and its container, k8s
-- metadata), besides those the catalogue lists. A field outside them comes
-- from a plugin (k8saudit.*, ct.*, json.*, ...), which lanner does not load.
local SYSCALL_CLASSES = { evt = 1, proc = 1, thread = 1, fd = 1, fdlist = 1, user = 1,
  group = 1, container = 1, k8s = 1, fs = 1, syslog = 1, span = 1, evtin = 1,
  mesos = 1, marathon = 1, proc_group = 1 }

-- An unknown field: a skip (with a warning) when the rule allows it or when
-- the field belongs to no catalogue class and the files asked for plugins
-- (the field is then a plugin's); otherwise an error.
local function unknown_field(r, env, ctx, f, err)
  local msg = err and tostring(err) or ("unknown field '" .. field_text(f) .. "'")
  local class = f.name:match "^[^.]+"
  local known = SYSCALL_CLASSES[class] or (env.fields.list and #env.fields.list(class .. ".") > 0)
  local plugin_field = env.plugins and not known
  if r["skip-if-unknown-filter"] or plugin_field then
    env.res:warn(ctx, msg .. "; rule skipped", r.cond_line, "unknown-filter")
  else
    env.res:error(ctx, msg, r.cond_line, "unknown-field")
  end
  return nil
end

-- Records a problem and yields nil, so `return reject(...)` drops the rule.
local function reject(res, kind, ...)
  res[kind](res, ...)
  return nil
end

function M.compile_rule(r, env)
  local filter, res = env.filter, env.res
  local ctx = { file = r.file, line = r.line, item = "rule '" .. r.name .. "'" }
  local cond_ast, err = filter.parse(r.cond)
  if not cond_ast then return reject(res, "error", ctx, "condition: " .. tostring(err), r.cond_line) end
  local ast, ex_texts, ex_line = exceptions.build(cond_ast, r.exceptions, filter.parse)
  if not ast then return reject(res, "error", ctx, ex_texts, ex_line) end

  local merr = check_macros(macro_refs(ast), env.macros, {}, {})
  if merr then return reject(res, "error", ctx, merr, r.cond_line) end
  local expanded
  expanded, err = filter.expand(ast, { macros = env.macro_asts, lists = env.lists })
  if not expanded then return reject(res, "error", ctx, "condition: " .. tostring(err), r.cond_line) end

  -- A field lanner knows but cannot fill (container.image, ...) is always
  -- missing: the rule still runs, with a warning, since Falco's own rules
  -- use such fields in exclusions that merely never apply here.
  local fields, unsupported, seen = env.fields, {}, {}
  for _, f in ipairs(fields_of(expanded)) do
    local spec, ferr = fields.resolve(f.name, f.arg)
    if not spec then return unknown_field(r, env, ctx, f, ferr) end
    local text = field_text(f)
    if spec.unsupported and not seen[text] then
      seen[text] = true
      unsupported[#unsupported + 1] = text
    end
  end
  if #unsupported > 0 then
    res:warn(ctx, "condition uses fields lanner cannot fill (always missing): " .. table.concat(unsupported, ", "),
      r.cond_line, "unsupported-field")
  end

  local fn, real, describe
  fn, real, describe = filter.compile(expanded, fields, { lazy = true })
  err = real
  if not fn then return reject(res, "error", ctx, "condition: " .. tostring(err), r.cond_line) end

  -- Falco's rules end outputs with %container.info, which Falco itself
  -- rewrites (it is no field); lanner writes what it long meant.
  local output = r.output
  if output:find("%container.info", 1, true) then
    output = output:gsub("%%container%.info", "container_id=%%container.id container_name=%%container.name")
  end
  -- compile_output prints missing fields as <NA>, as Falco's outputs do.
  local out_fn, ofields
  out_fn, err = (env.format.compile_output or env.format.compile)(output)
  if not out_fn then
    local msg = "output: " .. tostring(err)
    if r["skip-if-unknown-filter"] then return reject(res, "warn", ctx, msg .. "; rule skipped", r.output_line) end
    return reject(res, "error", ctx, msg, r.output_line)
  end
  ofields = env.format.fields_of(output) or {}

  -- Falco warns for every rule, enabled or not (it compiles them all).
  local info = filter.analyze(expanded, fields) or {}
  if r.warn_evttypes then
    if info.types == nil then
      res:warn(ctx, "condition does not restrict evt.type; it will be evaluated for every event",
        r.cond_line, "no-evttype")
    elseif next(info.types) == nil then
      res:warn(ctx, "condition can match no event type; the rule will never trigger",
        r.cond_line, "no-evttype")
    end
  end

  -- The exit stop is needed where the condition or the output reads a
  -- value known only after the syscall returned (%evt.res in an output).
  local exit_types = info.exit_types
  if exit_types and info.types then
    exit_types = {}
    for t in pairs(info.exit_types) do exit_types[t] = true end
    for _, name in ipairs(ofields) do
      local spec = fields and fields.resolve and fields.resolve(name:match("^[^%[]+"))
      local ne = spec and spec.needs_exit
      if ne == true then
        for t in pairs(info.types) do exit_types[t] = true end
      elseif type(ne) == "table" then
        for t in pairs(ne) do
          if info.types[t] then exit_types[t] = true end
        end
      end
    end
  end

  local pname = priority.NAMES[r.priority + 1]
  local tags = loader.sorted_tags(r.tags)
  return {
    name = r.name, desc = r.desc, condition = r.cond, condition_ast = ast,
    exception_conditions = ex_texts, ast = expanded, fn = fn, lazy_fn = fn, real_fn = real,
    describe_fn = describe,
    priority = pname, priority_num = r.priority, tags = tags, tag_set = r.tags,
    enabled = r.enabled, source = r.source, file = r.file, line = r.line,
    index = r.index, output_format = output, output = out_fn, output_fields = ofields,
    exceptions = r.exceptions, types = info.types, fields = info.fields or {}, preds = info.preds,
    needs_exit = (info.needs_exit or (exit_types and next(exit_types) ~= nil)) and true or false,
    exit_types = exit_types, warn_evttypes = r.warn_evttypes,
  }
end

return M
