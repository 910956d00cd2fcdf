-- AST utilities: back to condition text, the fields a condition reads.
--
-- tostring is exact enough to round-trip: parse(tostring(ast)) gives the
-- same tree (the fuzz spec checks it), so it can also serve as a key for
-- identical comparisons.
local lex = require "lanner.filter.lexer"

local M = {}

local find, gsub, concat = string.find, string.gsub, table.concat

local QUOTE_ESC = { ["\\"] = "\\\\", ['"'] = '\\"', ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
  return '"' .. gsub(s, '[\\"\b\f\n\r\t]', QUOTE_ESC) .. '"'
end
M.quote = quote

local BARE_ALL = "^" .. lex.BARE_CHARS .. "+$"

local function field_text(f)
  local s = f.name
  if f.arg ~= nil then
    local a = tostring(f.arg)
    s = s .. "[" .. (find(a, "^[^%[%]\"'%s]+$") and a or quote(a)) .. "]"
  end
  if f.transformers then
    for _, t in ipairs(f.transformers) do s = t .. "(" .. s .. ")" end
  end
  return s
end
M.field_text = field_text

-- A bare word only where the parser would read it back as the same value:
-- bare numbers gain `num`, and in a list an identifier-like word would
-- come back as a list reference.
local function str_text(v, in_list)
  local s = tostring(v.v)
  local bare = find(s, BARE_ALL) and (v.num ~= nil) == (lex.number(s) ~= nil)
  if bare and in_list and find(s, "^[%a_][%w_%-]*$") then bare = false end
  return bare and s or quote(s)
end

local function value_text(v)
  local k = v.kind
  if k == "str" then return str_text(v, false) end
  if k == "listref" then return v.name end
  if k == "field" then
    if v.field.transformers then return field_text(v.field) end
    return "val(" .. field_text(v.field) .. ")"
  end
  if k == "list" then
    local out = {}
    for i, it in ipairs(v.items) do
      out[i] = it.kind == "listref" and it.name or str_text(it, true)
    end
    return "(" .. concat(out, ", ") .. ")"
  end
  return "<?" .. tostring(k) .. ">"
end
M.value_text = value_text

local function node_text(n)
  local op = n.op
  if op == "cmp" then
    local f = field_text(n.field)
    if n.cmp == "exists" then return f .. " exists" end
    return f .. " " .. n.cmp .. " " .. value_text(n.value)
  elseif op == "macro" then
    return n.name
  elseif op == "not" then
    local x = n[1]
    if x.op == "and" or x.op == "or" then return "not (" .. node_text(x) .. ")" end
    return "not " .. node_text(x)
  elseif op == "and" or op == "or" then
    local out = {}
    for i = 1, #n do
      local c = n[i]
      -- Nested and/or keep their parentheses so the tree comes back as is.
      out[i] = (c.op == "and" or c.op == "or") and "(" .. node_text(c) .. ")" or node_text(c)
    end
    return concat(out, " " .. op .. " ")
  end
  return "<?" .. tostring(op) .. ">"
end
M.tostring = node_text

-- Calls fn(field) for each field read: the compared one, then a val().
local function each_field(n, fn)
  local op = n.op
  if op == "cmp" then
    fn(n.field)
    if n.value and n.value.kind == "field" then fn(n.value.field) end
  elseif op == "and" or op == "or" or op == "not" then
    for i = 1, #n do each_field(n[i], fn) end
  end
end
M.each_field = each_field

-- Distinct {name=, arg=} pairs, in order of first use.
function M.fields(ast)
  local seen, out = {}, {}
  each_field(ast, function(f)
    local key = f.name .. "\0" .. tostring(f.arg)
    if not seen[key] then
      seen[key] = true
      out[#out + 1] = { name = f.name, arg = f.arg }
    end
  end)
  return out
end

-- Deep copy (expand returns fresh trees so callers may annotate them).
local function copy(t)
  if type(t) ~= "table" then return t end
  local c = {}
  for k, v in pairs(t) do c[k] = copy(v) end
  return c
end
M.copy = copy

return M
