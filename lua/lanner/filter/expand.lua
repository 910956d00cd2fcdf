-- Macro and list expansion. Falco substitutes macros by AST and splices
-- list items into list values; here the caller passes the final tables
-- (every definition, whatever its place in the files), so a reference to
-- a later definition works and only a true cycle is an error.
local parser = require "lanner.filter.parser"
local astm = require "lanner.filter.ast"

local M = {}

local concat = table.concat

-- A runaway macro chain (each using the previous one twice) doubles at
-- every level; stop long before memory does. Falco's own rule files expand
-- to a few thousand nodes per rule.
M.MAX_NODES = 100000

local Fail = {}
local function fail(msg) error(setmetatable({ msg = msg }, Fail), 0) end

local function cycle(kind, chain, name)
  local path = {}
  for i, n in ipairs(chain) do path[i] = n end
  path[#path + 1] = name
  fail(("%s cycle: %s"):format(kind, concat(path, " -> ")))
end

local function on_chain(chain, name)
  for _, n in ipairs(chain) do if n == name then return true end end
end

-- expand(ast, env) -> ast | nil, msg
function M.expand(ast, env)
  if type(ast) ~= "table" then error("filter.expand: expected an AST", 2) end
  env = env or {}
  local macros, lists = env.macros or {}, env.lists or {}
  local nodes = 0
  local list_done = {}

  -- Items of list `name` as str values, nested lists spliced in.
  local function list_items(name, chain)
    if list_done[name] then return list_done[name] end
    if on_chain(chain, name) then cycle("list", chain, name) end
    chain[#chain + 1] = name
    local out = {}
    for _, it in ipairs(lists[name]) do
      local text = tostring(it)
      if lists[text] ~= nil then
        for _, v in ipairs(list_items(text, chain)) do out[#out + 1] = v end
      else
        out[#out + 1] = parser.str(text, true)
      end
    end
    chain[#chain] = nil
    list_done[name] = out
    return out
  end

  -- A bare word: a list's items if it names one, else itself as a string.
  local function splice(out, name)
    if lists[name] ~= nil then
      for _, v in ipairs(list_items(name, {})) do out[#out + 1] = astm.copy(v) end
    else
      out[#out + 1] = parser.str(name, true)
    end
  end

  local function value(v)
    if v.kind == "listref" then
      local items = {}
      splice(items, v.name)
      return { kind = "list", items = items }
    elseif v.kind == "list" then
      local items = {}
      for _, it in ipairs(v.items) do
        if it.kind == "listref" then splice(items, it.name) else items[#items + 1] = astm.copy(it) end
      end
      return { kind = "list", items = items }
    end
    return astm.copy(v)
  end

  local function node(n, chain)
    nodes = nodes + 1
    if nodes > M.MAX_NODES then fail("condition too large after macro expansion") end
    local op = n.op
    if op == "macro" then
      local m = macros[n.name]
      if m == nil then fail(("undefined macro '%s'"):format(n.name)) end
      if on_chain(chain, n.name) then cycle("macro", chain, n.name) end
      if type(m) == "string" then
        local parsed, err = parser.parse(m)
        if not parsed then fail(("macro '%s': %s"):format(n.name, err)) end
        m = parsed
      end
      chain[#chain + 1] = n.name
      local r = node(m, chain)
      chain[#chain] = nil
      return r
    elseif op == "and" or op == "or" or op == "not" then
      local c = { op = op }
      for i = 1, #n do c[i] = node(n[i], chain) end
      return c
    elseif op == "cmp" then
      local c = { op = "cmp", cmp = n.cmp, field = astm.copy(n.field), pos = n.pos }
      if n.value then c.value = value(n.value) end
      return c
    end
    error("filter.expand: unknown node op " .. tostring(op), 0)
  end

  local ok, r = pcall(node, ast, {})
  if ok then return r end
  if getmetatable(r) == Fail then return nil, r.msg end
  error(r, 0) -- a malformed AST is API misuse
end

return M
