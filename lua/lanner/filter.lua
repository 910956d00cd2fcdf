-- Falco's filter (condition) language: parse, expand macros and lists,
-- compile to a Lua function, analyse for the seccomp interest set.
--
--   local ast, err = filter.parse(src)              -- nil, msg (with caret)
--   local ast2, err = filter.expand(ast, env)       -- env = {macros=, lists=}
--   local fn, err = filter.compile(ast2, catalogue) -- fn(ev) -> boolean
--       filter.compile(ast2, catalogue, {source=true, name="rule x"})
--       -> fn, generated Lua source (name labels the chunk in tracebacks)
--   local info = filter.analyze(ast2, catalogue)
--       -> {types=set|nil, fields=set, needs_exit=bool, exit_types=set|nil}
--       (see lanner/filter/analyze.lua)
--   filter.fields(ast)                              -- {{name=, arg=}, ...}
--   filter.tostring(ast)                            -- condition text
--
-- AST:
--   {op="and", a, b, ...}   {op="or", a, b, ...}   {op="not", x}
--   {op="macro", name=, pos=}
--   {op="cmp", cmp="=", field=F, value=V, pos=}   (cmp="exists": no value)
--   F = {name=, arg=string|nil, transformers={...}|nil, pos=}
--       transformers in the order they apply: toupper(b64(x)) -> {"b64","toupper"}
--   V = {kind="str", v=, num=number|nil}  (num when written as a bare number)
--     | {kind="list", items={V...}}
--     | {kind="listref", name=}    (bare word in a list, or `in name`)
--     | {kind="field", field=F}    (val(f), or a transformed field)
--   pos: byte offset in the source the node was parsed from.
--
-- Catalogue: resolve(name, arg) -> spec | nil, msg, with spec =
--   {type=, get=function(ev, arg, i), multi=, list=, types=, needs_exit=}
--   needs_exit: true, or a set of the event types where it holds
--   type: string bytes number reltime abstime bool ipaddr ipnet
--   multi: several values, a comparison holds if any value does
--   list: Falco list field (fd.types...): `in` needs every value in the
--         set, `intersects` any; other operators are refused
--   ipaddr/ipnet values: raw network-order bytes (4 or 16), or text
-- event_types() -> list of every event type name (analysis universe)
-- const_value(field_name, word) -> number|nil (optional: flag names)
local parser = require "lanner.filter.parser"
local expand = require "lanner.filter.expand"
local compile = require "lanner.filter.compile"
local analyze = require "lanner.filter.analyze"
local astm = require "lanner.filter.ast"

local M = {}

M.parse = parser.parse
M.expand = expand.expand
M.compile = compile.compile
M.analyze = analyze.analyze
M.fields = astm.fields
M.tostring = astm.tostring

-- Names the language reserves, for tools that list or complete them.
M.transformers = { "tolower", "toupper", "b64", "basename", "len" }
M.operators = { "=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains",
  "bcontains", "startswith", "bstartswith", "endswith", "glob", "iglob", "in",
  "intersects", "pmatch", "regex", "exists" }

return M
