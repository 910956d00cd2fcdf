-- Turns a collection (lanner.rules.loader) into compiled rules, once every
-- file is read: lists are resolved, macros parsed, then each rule's
-- condition parsed, its exceptions added, macros and lists expanded, fields
-- checked against the catalogue, the filter and output compiled and the
-- event types it can match worked out.
--
-- Order of references follows Falco (rule_loader_compiler.cpp): a rule sees
-- every list and macro whatever the file order; a list item names another
-- list only if that list was defined before it (else it is a plain string).
-- Falco also refuses a macro that uses a macro defined after it; lanner
-- accepts that (a file Falco accepts means the same here) and reports
-- cycles instead.
local exceptions = require "lanner.rules.exceptions"

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

local function lists_of(collector)
  local out = {}
  for _, name in ipairs(collector.order.lists) do
    local l = collector.lists[name]
    local items = {}
    for _, it in ipairs(l.items) do
      local ref = collector.lists[it]
      if ref and ref.index < l.visibility then
        for _, v in ipairs(ref.items) do items[#items + 1] = v end
        ref.used = true
      else
        items[#items + 1] = it
      end
    end
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

-- compile(collector, deps, opts) -> rules, lists, macros
-- deps = {filter=, fields=, format=}: the modules to use (specs may pass
-- fakes). Problems go to collector.res.
function M.compile(col, deps, opts)
  local filter, fields, format = deps.filter, deps.fields, deps.format
  local res = col.res
  local lists = lists_of(col)

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
  for _, name in ipairs(col.order.macros) do
    local m = macros[name]
    if m.ast then
      local err = check_macros(m.refs, macros, { [name] = "open" }, { name })
      if err then
        res:error({ file = m.info.file, item = "macro '" .. name .. "'" }, err, m.info.cond_line)
        m.ast, macro_asts[name] = nil, nil
      end
    end
  end
  -- check_macros marks macros used by other macros; only rules count.
  for _, m in pairs(macros) do m.used = nil end

  local used_lists = {}
  local list_proxy = setmetatable({}, { __index = function(_, k)
    local v = lists[k]
    if v then used_lists[k] = true end
    return v
  end })

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
      if not used_lists[name] and not l.used then
        res:warn({ file = l.file, item = "list '" .. name .. "'" },
          "List not referred to by any other rule/macro", l.line, "unused-list")
      end
    end
  end
  return out, lists, macros
end

-- An unknown field: a skip (with a warning) when the rule allows it or when
-- the field belongs to no catalogue class and the files asked for plugins
-- (the field is then a plugin's); otherwise an error.
local function unknown_field(r, env, ctx, f, err)
  local msg = "unknown field '" .. field_text(f) .. "'" .. (err and (": " .. tostring(err)) or "")
  local plugin_field = env.plugins and env.fields.known_class
    and not env.fields.known_class(f.name:match "^[^.]+")
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
  local ast, ex_texts = exceptions.build(cond_ast, r.exceptions, filter.parse)
  if not ast then return reject(res, "error", ctx, ex_texts, r.line) end

  local merr = check_macros(macro_refs(ast), env.macros, {}, {})
  if merr then return reject(res, "error", ctx, merr, r.cond_line) end
  local expanded
  expanded, err = filter.expand(ast, { macros = env.macro_asts, lists = env.lists })
  if not expanded then return reject(res, "error", ctx, "condition: " .. tostring(err), r.cond_line) end

  local fields = env.fields
  for _, f in ipairs(fields_of(expanded)) do
    local spec, ferr = fields.resolve(f.name, f.arg)
    if not spec then return unknown_field(r, env, ctx, f, ferr) end
    if spec.unsupported then
      local m = "field '" .. field_text(f) .. "' is not supported by lanner: " .. tostring(spec.unsupported)
      if r["skip-if-unknown-filter"] then return reject(res, "warn", ctx, m .. "; rule skipped", r.cond_line, "unsupported-field") end
      return reject(res, "error", ctx, m, r.cond_line, "unsupported-field")
    end
  end

  local fn
  fn, err = filter.compile(expanded, fields)
  if not fn then return reject(res, "error", ctx, "condition: " .. tostring(err), r.cond_line) end

  local out_fn, ofields
  out_fn, err = env.format.compile(r.output)
  if not out_fn then
    if r["skip-if-unknown-filter"] then return reject(res, "warn", ctx, "output: " .. tostring(err) .. "; rule skipped", r.output_line) end
    return reject(res, "error", ctx, "output: " .. tostring(err), r.output_line)
  end
  ofields = env.format.fields_of(r.output) or {}

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

  local pname = require("lanner.rules.loader").PRIORITIES[r.priority + 1]
  local tags = require("lanner.rules.loader").sorted_tags(r.tags)
  return {
    name = r.name, desc = r.desc, condition = r.cond, condition_ast = ast,
    exception_conditions = ex_texts, ast = expanded, fn = fn,
    priority = pname, priority_num = r.priority, tags = tags, tag_set = r.tags,
    enabled = r.enabled, source = r.source, file = r.file, line = r.line,
    index = r.index, output_format = r.output, output = out_fn, output_fields = ofields,
    exceptions = r.exceptions, types = info.types, fields = info.fields or {},
    needs_exit = info.needs_exit and true or false, warn_evttypes = r.warn_evttypes,
  }
end

return M
