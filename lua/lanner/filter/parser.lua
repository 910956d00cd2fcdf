-- Recursive-descent parser for Falco conditions, following the structure of
-- libsinsp's parser (or > and > not > check) so that precedence, keyword
-- handling and what counts as a value match Falco's. Returns the AST
-- described in lanner/filter.lua, or nil and a message with a caret.
local lex = require "lanner.filter.lexer"

local M = {}

local sub, byte, find = string.sub, string.byte, string.find
local skip, keyword = lex.skip_blank, lex.keyword

-- Falco stops at 100 levels of its recursive calls (~20 parentheses); this
-- counts only real nesting, so it accepts more, while keeping recursion and
-- the generated Lua within safe bounds.
M.MAX_DEPTH = 100

M.TRANSFORMERS = { tolower = true, toupper = true, b64 = true, basename = true, len = true }

-- Operator classes decide what value may follow (libsinsp: num/str/list).
local SYM_OPS = { "<=", "<", ">=", ">", "==", "=", "!=" }
local NUM_OPS = { ["<"] = true, ["<="] = true, [">"] = true, [">="] = true }
local WORD_OPS = { "contains", "icontains", "bcontains", "startswith", "bstartswith",
  "endswith", "glob", "iglob", "regex", "in", "intersects", "pmatch" }
local LIST_OPS = { ["in"] = true, intersects = true, pmatch = true }
M.LIST_OPS = LIST_OPS
M.NUM_OPS = NUM_OPS

-- Errors travel as tables through error() and are turned into nil, msg by
-- M.parse; anything else raised is a bug and is reported as such.
local Fail = {}
local function fail(pos, msg)
  error(setmetatable({ pos = pos, msg = msg }, Fail), 0)
end

-- A str value; numbers keep their text and gain `num` (Falco compares the
-- text for string fields and the number for numeric ones).
local function str(text, bare)
  local v = { kind = "str", v = text }
  if bare then v.num = lex.number(text) end
  return v
end
M.str = str

-- The operator at i: op, next position; or nil.
local function operator(src, i)
  for _, op in ipairs(SYM_OPS) do
    if sub(src, i, i + #op - 1) == op then return op, i + #op end
  end
  local j = keyword(src, i, "exists")
  if j then return "exists", j end
  for _, op in ipairs(WORD_OPS) do
    j = keyword(src, i, op)
    if j then return op, j end
  end
end

local parse_or

local function enter(st, pos)
  st.depth = st.depth + 1
  if st.depth > M.MAX_DEPTH then
    fail(pos, ("condition nested too deeply (more than %d levels)"):format(M.MAX_DEPTH))
  end
end

-- `name(` at i for a transformer name (val included when allow_val).
local function transformer_at(src, i, allow_val)
  local w, j = lex.word(src, i)
  if w and byte(src, j) == 40 and (M.TRANSFORMERS[w] or (allow_val and w == "val")) then
    return w, j + 1
  end
end

-- name[arg] at i (the name already known to be a field name).
local function parse_field(st, i)
  local src = st.src
  local name, j = lex.field_name(src, i)
  local f = { name = name, pos = i }
  if byte(src, j) == 91 then -- '['
    local a, k
    if find(src, "^[\"']", j + 1) then
      local v, nj, epos = lex.quoted(src, j + 1)
      if not v then fail(epos, nj) end
      a, k = v, nj
    else
      a, k = lex.arg_bare(src, j + 1)
    end
    if not a then fail(j + 1, "expected a field argument after '['") end
    if byte(src, k) ~= 93 then fail(k, "expected ']' after the field argument") end
    f.arg, j = a, k + 1
  end
  return f, j
end

-- A transformer call whose `name(` ends before i: the field inside with the
-- transformers in the order they apply (innermost first).
local function parse_transformed(st, tname, tpos, i)
  local src = st.src
  enter(st, tpos)
  i = skip(src, i)
  local f
  local inner, j = transformer_at(src, i, false)
  if inner then
    f, i = parse_transformed(st, inner, i, j)
  elseif lex.field_name(src, i) then
    f, i = parse_field(st, i)
  else
    fail(i, ("expected a field inside '%s('"):format(tname))
  end
  i = skip(src, i)
  if byte(src, i) ~= 41 then fail(i, ("expected ')' to close '%s('"):format(tname)) end
  local t = f.transformers or {}
  t[#t + 1] = tname
  f.transformers, f.pos = t, tpos
  st.depth = st.depth - 1
  return f, i + 1
end

-- A field on the right-hand side: val(field) or a transformer; nil if none.
local function rhs_field(st, i)
  local src = st.src
  local t, j = transformer_at(src, i, true)
  if not t then return end
  if t ~= "val" then
    local f, k = parse_transformed(st, t, i, j)
    return { kind = "field", field = f }, k
  end
  j = skip(src, j)
  if not lex.field_name(src, j) then fail(j, "expected a field inside 'val('") end
  local f, k = parse_field(st, j)
  k = skip(src, k)
  if byte(src, k) ~= 41 then fail(k, "expected ')' to close 'val('") end
  return { kind = "field", field = f }, k + 1
end

-- A bare word in a list names a Falco list when it could be a list name;
-- expand swaps in the list's items or turns it back into a string.
local function list_item(text)
  if find(text, "^[%a_][%w_%-]*$") then return { kind = "listref", name = text } end
  return str(text, true)
end

local function parse_list(st, i)
  local src = st.src
  local items = {}
  i = skip(src, i + 1)
  if byte(src, i) == 41 then return { kind = "list", items = items }, i + 1 end
  while true do
    local c = byte(src, i)
    if c == 34 or c == 39 then
      local v, j, epos = lex.quoted(src, i)
      if not v then fail(epos, j) end
      items[#items + 1] = str(v, false)
      i = j
    else
      local w, j = lex.bare(src, i)
      if not w then
        fail(i, #items == 0 and "expected a list item or ')'" or "expected a list item after ','")
      end
      items[#items + 1] = list_item(w)
      i = j
    end
    i = skip(src, i)
    c = byte(src, i)
    if c == 41 then return { kind = "list", items = items }, i + 1 end
    if c ~= 44 then fail(i, "expected ',' or ')' in the list") end
    i = skip(src, i + 1)
  end
end

local function parse_value(st, op, i)
  local src = st.src
  i = skip(src, i)
  local v, j = rhs_field(st, i)
  if v then return v, j end
  local c = byte(src, i)
  if LIST_OPS[op] then
    if c == 40 then return parse_list(st, i) end
    local w, k = lex.word(src, i)
    if w then return { kind = "listref", name = w }, k end
    fail(i, ("expected a list after '%s'"):format(op))
  end
  if NUM_OPS[op] then
    local w, k = lex.bare(src, i)
    if w and lex.number(w) then return str(w, true), k end
    fail(i, ("expected a number after '%s'"):format(op))
  end
  if c == 34 or c == 39 then
    local s, k, epos = lex.quoted(src, i)
    if not s then fail(epos, k) end
    return str(s, false), k
  end
  local w, k = lex.bare(src, i)
  if w then return str(w, true), k end
  fail(i, ("expected a value after '%s'"):format(op))
end

local function parse_condition(st, f, i)
  local src = st.src
  local what = f.transformers and f.transformers[#f.transformers] .. "(...)" or f.name
  i = skip(src, i)
  local op, j = operator(src, i)
  if not op then fail(i, ("expected an operator after '%s'"):format(what)) end
  local node = { op = "cmp", cmp = op, field = f, pos = f.pos }
  if op == "exists" then return node, j end
  node.value, j = parse_value(st, op, j)
  return node, j
end

local function parse_check(st, i, ctx)
  local src = st.src
  i = skip(src, i)
  local c = byte(src, i)
  if c == 40 then
    enter(st, i)
    local node, j = parse_or(st, i + 1)
    j = skip(src, j)
    if byte(src, j) ~= 41 then fail(j, "expected 'and', 'or' or ')'") end
    st.depth = st.depth - 1
    return node, j + 1
  end
  if lex.field_name(src, i) then
    local f, j = parse_field(st, i)
    return parse_condition(st, f, j)
  end
  local t, j = transformer_at(src, i, false)
  if t then
    local f, k = parse_transformed(st, t, i, j)
    return parse_condition(st, f, k)
  end
  local w, k = lex.word(src, i)
  if w and w ~= "and" and w ~= "or" and w ~= "not" then
    if byte(src, k) == 40 then
      fail(i, w == "val" and "val() can only follow an operator"
        or ("unknown transformer '%s'"):format(w))
    end
    if operator(src, skip(src, k)) then
      fail(i, ("'%s' is not a field name (fields have a dot, like proc.name)"):format(w))
    end
    return { op = "macro", name = w, pos = i }, k
  end
  fail(i, "expected a condition" .. (ctx or ""))
end

local function parse_not(st, i, ctx)
  local src = st.src
  i = skip(src, i)
  -- libsinsp: "not" needs a blank or '(' after it; `nota` is a macro name.
  local j = keyword(src, i, "not")
  if j then
    if byte(src, j) ~= 40 and not find(src, "^[ \t\b\r\n]", j) then
      fail(j, "expected a condition after 'not'")
    end
    enter(st, i)
    local x, k = parse_not(st, j, " after 'not'")
    st.depth = st.depth - 1
    return { op = "not", x }, k
  end
  return parse_check(st, i, ctx)
end

-- One precedence level: children joined by `word` (n-ary node when >1).
local function level(word, sub_parse)
  return function(st, i, ctx)
    local src = st.src
    local first, j = sub_parse(st, i, ctx)
    local node
    while true do
      local k = skip(src, j)
      local e = keyword(src, k, word)
      if not e then break end
      node = node or { op = word, first }
      node[#node + 1], j = sub_parse(st, e, (" after '%s'"):format(word))
    end
    return node or first, j
  end
end

local parse_and = level("and", parse_not)
parse_or = level("or", parse_and)

-- parse(src) -> ast | nil, msg
function M.parse(src)
  if type(src) ~= "string" then
    error("filter.parse: expected a string, got " .. type(src), 2)
  end
  if not find(src, "[^ \t\b\r\n]") then return nil, "empty condition" end
  local st = { src = src, depth = 0 }
  local ok, ast = pcall(function()
    local node, k = parse_or(st, 1)
    k = skip(src, k)
    if k <= #src then fail(k, "expected 'and', 'or' or the end of the condition") end
    return node, k
  end)
  if ok then return ast end
  if getmetatable(ast) == Fail then return nil, lex.error_at(src, ast.pos, ast.msg) end
  return nil, "internal error in the filter parser: " .. tostring(ast)
end

return M
