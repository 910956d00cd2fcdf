-- Falco rule exceptions: reading them from YAML nodes, validating them,
-- appending values by name, and turning them into a condition.
--
-- Falco (rule_loader_compiler.cpp, build_rule_exception_infos) writes each
-- exception as condition text and appends it as `(cond) and not (ex1) and
-- not (ex2)`; the text then goes through the same list substitution and
-- parser as any condition. We generate the same text and parse it with the
-- filter parser, so an exception means exactly what the equivalent
-- hand-written condition means (list names in values expand, `(a, b)`
-- values stay lists). Unlike Falco we quote every value that is not a bare
-- word, so values holding commas or quotes survive.
local yaml = require "lanner.yaml"

local M = {}

-- Comparison operators Falco accepts in `comps` (libsinsp's parser list).
M.OPERATORS = {
  ["="] = true, ["=="] = true, ["!="] = true, ["<"] = true, ["<="] = true,
  [">"] = true, [">="] = true, contains = true, icontains = true,
  bcontains = true, startswith = true, bstartswith = true, endswith = true,
  glob = true, iglob = true, pmatch = true, exists = true, ["in"] = true,
  intersects = true, regex = true,
}
-- Operators whose right side is a list: a scalar value is parenthesized so
-- that it may name a list (Falco's paren_item).
M.LIST_OPERATORS = { ["in"] = true, intersects = true, pmatch = true }

-- One `fields`/`comps`/value entry, as Falco's rule_exception_info::entry:
-- a scalar {item="x"} or a sequence {is_list=true, items={entries}}.
local function entry(node)
  if node.kind == "scalar" then
    if node.value == "" then return nil, "Value must be non-empty" end
    return { item = node.value }
  elseif node.kind == "seq" then
    local e = { is_list = true, items = {} }
    for i, n in ipairs(node.items) do
      local sub, err = entry(n)
      if not sub then return nil, err end
      e.items[i] = sub
    end
    return e
  end
  return nil, "Value must be a scalar or a sequence"
end

-- read(node, report, is_update) -> {exceptions} | nil
-- node: the `exceptions:` value node. report(msg, line) records an error.
-- is_update: an append/override item, where `fields` may be left out to add
-- values to an exception already defined.
function M.read(node, report, is_update)
  local out = {}
  if yaml.is_null(node) then return out end
  if node.kind ~= "seq" then return report("Rule exceptions must be a sequence", node.line) end
  local seen = {}
  for _, ex in ipairs(node.items) do
    if ex.kind ~= "map" then return report("Rule exception must be a mapping", ex.line) end
    local name = ex.map.name
    if not name or name.kind ~= "scalar" or name.value == "" then
      return report("Rule exception must have a 'name'", ex.line)
    end
    local e = { name = name.value, line = ex.line, values = {} }
    local where = "exception '" .. e.name .. "': "
    if seen[e.name] then return report(where .. "Exceptions names in the same object must be unique", ex.line) end
    seen[e.name] = true
    for _, key in ipairs { "fields", "comps" } do
      local v = ex.map[key]
      if v then
        local got, err = entry(v)
        if not got then return report(where .. key .. ": " .. err, v.line) end
        e[key] = got
      elseif key == "fields" and not is_update then
        return report(where .. "Item has no mapping for key 'fields'", ex.line)
      end
    end
    local vals = ex.map.values
    if vals and not yaml.is_null(vals) then
      if vals.kind ~= "seq" then return report(where .. "Rule exception values must be a sequence", vals.line) end
      for i, v in ipairs(vals.items) do
        local got, err = entry(v)
        if not got then return report(where .. "values: " .. err, v.line) end
        e.values[i] = got
      end
    else
      e.no_values = true
    end
    out[#out + 1] = e
  end
  return out
end

-- validate(ex, field_ok) -> true | nil, msg
-- Fills the default comps as Falco does: `=` per field for a field list,
-- `in` for a single field. field_ok(name) -> true | nil, msg checks a field
-- against the catalogue (nil skips the check, for unknown sources).
function M.validate(ex, field_ok)
  local f, c = ex.fields, ex.comps
  if not f then return nil, "Rule exception item must have fields property with a list of fields" end
  if f.is_list then
    if not c then
      c = { is_list = true, items = {} }
      for i = 1, #f.items do c.items[i] = { item = "=" } end
      ex.comps = c
    end
    if not c.is_list or #c.items ~= #f.items then
      return nil, "Fields and comps lists must have equal length"
    end
    for i, cmp in ipairs(c.items) do
      if cmp.is_list or not M.OPERATORS[cmp.item] then
        return nil, ("'%s' is not a supported comparison operator"):format(tostring(cmp.item))
      end
      if f.items[i].is_list then return nil, "Fields must be a list of field names" end
    end
  else
    if not c then
      c = { item = "in" }
      ex.comps = c
    end
    if c.is_list then return nil, "Fields and comps must both be strings" end
    if not M.LIST_OPERATORS[c.item] then
      return nil, "When fields is a single value, comps must be one of (in, pmatch, intersects)"
    end
  end
  if field_ok then
    for _, fe in ipairs(f.is_list and f.items or { f }) do
      local ok, err = field_ok(fe.item)
      if not ok then return nil, err or ("'" .. fe.item .. "' is not a supported filter field") end
    end
  end
  return true
end

-- append(prev_list, new_list, field_ok) -> true | nil, msg, line
-- Falco's rule append for exceptions: a known name gets the new values (and
-- may not restate fields or comps), an unknown name is a new exception.
function M.append(prev, new, field_ok)
  for _, ex in ipairs(new) do
    local old
    for _, p in ipairs(prev) do if p.name == ex.name then old = p end end
    local where = "exception '" .. ex.name .. "': "
    if old then
      if ex.fields then return nil, where .. "Can not append exception fields to existing exception, only values", ex.line end
      if ex.comps then return nil, where .. "Can not append exception comps to existing exception, only values", ex.line end
      for _, v in ipairs(ex.values) do old.values[#old.values + 1] = v end
    else
      if not ex.fields then return nil, where .. "Rule exception must have fields property with a list of fields", ex.line end
      if #ex.values == 0 then return nil, where .. "Rule exception must have values property with a list of values", ex.line end
      local ok, err = M.validate(ex, field_ok)
      if not ok then return nil, where .. err, ex.line end
      prev[#prev + 1] = ex
    end
  end
  return true
end

-- A value as filter text: what the filter lexer reads as one bare word
-- (libsinsp's RGX_BARESTR) stays bare, so a list name still names the list
-- and a number is still a number; a value the author quoted already
-- ('"a b"') goes in as written, as Falco's quote_item leaves it; anything
-- else is double-quoted with the escapes the lexer decodes.
local ESCAPES = { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n", ["\r"] = "\\r",
                  ["\t"] = "\\t", ["\b"] = "\\b", ["\f"] = "\\f" }
local function quote(s)
  if s:match "^[^%s()\"',=]+$" or s:match "^[\"']" then return s end
  return '"' .. s:gsub('[\\"\n\r\t\b\f]', ESCAPES) .. '"'
end
M.quote = quote

local function list_text(e)
  local parts = {}
  for i, it in ipairs(e.items) do
    if it.is_list then return nil, "Nested lists are not allowed in exception values" end
    parts[i] = quote(it.item)
  end
  return "(" .. table.concat(parts, ", ") .. ")"
end

-- to_text(ex) -> condition text | false (no values: adds nothing) | nil, msg
function M.to_text(ex)
  local f, c = ex.fields, ex.comps
  if #ex.values == 0 then return false end
  if not f.is_list then
    local parts = {}
    for i, v in ipairs(ex.values) do
      if v.is_list then return nil, "Expected values array to contain a list of strings" end
      parts[i] = quote(v.item)
    end
    return ("%s %s (%s)"):format(f.item, c.item, table.concat(parts, ", "))
  end
  local ors = {}
  for i, tuple in ipairs(ex.values) do
    if not tuple.is_list or #tuple.items ~= #f.items then
      return nil, "Fields and values lists must have equal length"
    end
    local ands = {}
    for k, fe in ipairs(f.items) do
      local v, op, text = tuple.items[k], c.items[k].item
      if v.is_list then
        local err
        text, err = list_text(v)
        if not text then return nil, err end
      elseif M.LIST_OPERATORS[op] then
        -- Falco keeps a value that is already "(...)" as written.
        text = v.item:sub(1, 1) == "(" and v.item or "(" .. quote(v.item) .. ")"
      else
        text = quote(v.item)
      end
      ands[k] = ("%s %s %s"):format(fe.item, op, text)
    end
    ors[i] = "(" .. table.concat(ands, " and ") .. ")"
  end
  return "(" .. table.concat(ors, " or ") .. ")"
end

-- build(cond_ast, exs, parse) -> ast, texts | nil, msg, line
-- parse(text) -> ast | nil, msg is the filter parser. The result is
-- `cond and not ex1 and not ex2 ...`, skipping exceptions without values.
function M.build(cond_ast, exs, parse)
  local node, texts = nil, {}
  for _, ex in ipairs(exs) do
    local text, err = M.to_text(ex)
    if text == nil then return nil, "exception '" .. ex.name .. "': " .. err, ex.line end
    if text then
      local ast, perr = parse(text)
      if not ast then return nil, "exception '" .. ex.name .. "': " .. tostring(perr), ex.line end
      node = node or { op = "and", cond_ast }
      node[#node + 1] = { op = "not", ast }
      texts[#texts + 1] = text
    end
  end
  return node or cond_ast, texts
end

return M
