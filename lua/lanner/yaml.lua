-- YAML through libyaml's event API, by FFI.
--
-- Two views of a document:
--   yaml.parse_nodes(src, name) -> {docs} of node trees that keep positions:
--     {kind="map", line, col, keys={k1, k2, ..}, map={k=node}, keynode={k=node}}
--     {kind="seq", line, col, items={node, ..}}
--     {kind="scalar", line, col, value="text", plain=bool, style=, tag=}
--   yaml.parse(src, name) -> {docs} of plain Lua values (YAML 1.2 core
--     schema for plain scalars: null -> yaml.null, bools, numbers).
-- Lines and columns are 1-based. Errors come back as nil, "name:line:col: msg".
--
-- The rules loader works on nodes: it must tell a sequence from a scalar to
-- report "not a sequence", and keep strings such as `0755` or `1.10` exactly
-- as written, which a typed decode would lose.
local ffi = require "ffi"

-- libyaml and its declarations at the first parse: a start that finds
-- its rules in the cache parses no YAML.  By soname first: the bare
-- "libyaml.so" is libyaml-dev's link, absent from ld.so.cache (a dozen
-- failed opens in the library path) and from a machine without -dev.
local lib
local function libyaml()
  if lib then return lib end
  require("lanner.base").define("lnyaml_parser", [[
  typedef struct lnyaml_mark { size_t index, line, column; } lnyaml_mark;
  
  /* Only the leading members of yaml_parser_t are named (the error report);
   * the rest is padding. libyaml's sizeof(yaml_parser_t) is 480 on x86_64 and
   * aarch64; 1024 leaves room for other ABIs since libyaml only writes its own
   * size. */
  typedef struct lnyaml_parser {
    int error;
    const char *problem;
    size_t problem_offset;
    int problem_value;
    lnyaml_mark problem_mark;
    const char *context;
    lnyaml_mark context_mark;
    uint8_t _rest[1024 - 88];
  } lnyaml_parser;
  
  typedef struct lnyaml_event {
    int type;
    union {
      struct { int encoding; } stream_start;
      struct { void *version; struct { void *start, *end; } tags; int implicit; } document_start;
      struct { int implicit; } document_end;
      struct { const char *anchor; } alias;
      struct {
        const char *anchor, *tag, *value;
        size_t length;
        int plain_implicit, quoted_implicit, style;
      } scalar;
      struct { const char *anchor, *tag; int implicit, style; } sequence_start;
      struct { const char *anchor, *tag; int implicit, style; } mapping_start;
    } data;
    lnyaml_mark start_mark, end_mark;
  } lnyaml_event;
  
  int yaml_parser_initialize(lnyaml_parser *parser);
  void yaml_parser_delete(lnyaml_parser *parser);
  void yaml_parser_set_input_string(lnyaml_parser *parser, const char *input, size_t size);
  int yaml_parser_parse(lnyaml_parser *parser, lnyaml_event *event);
  void yaml_event_delete(lnyaml_event *event);
  ]])
  local ok, l = pcall(ffi.load, "libyaml-0.so.2")
  if not ok then ok, l = pcall(ffi.load, "yaml") end
  if not ok then error("lanner.yaml: cannot load libyaml: " .. tostring(l)) end
  lib = l
  return lib
end

local ffi_string = ffi.string

-- yaml_event_type_t
local EV_STREAM_END, EV_DOC_START, EV_DOC_END = 2, 3, 4
local EV_ALIAS, EV_SCALAR, EV_SEQ_START, EV_SEQ_END = 5, 6, 7, 8
local EV_MAP_START, EV_MAP_END = 9, 10
local STYLE_NAMES = { "plain", "single", "double", "literal", "folded" }
local READER_ERROR = 2

local M = {}

-- Sentinel for YAML null in the plain-value view (a nil would drop the key).
M.null = setmetatable({}, { __tostring = function() return "null" end })

local function cstr(p) if p ~= nil then return ffi_string(p) end end

-- 1-based line and column of a byte offset, for reader errors that carry
-- only an offset (invalid UTF-8, control characters).
local function offset_pos(src, off)
  local line, last = 1, 0
  for i in src:sub(1, off):gmatch "()\n" do line, last = line + 1, i end
  return line, off - last + 1
end

local function parser_error(p, src, name)
  local msg = cstr(p.problem) or "unknown YAML error"
  local line, col
  if p.error == READER_ERROR then
    line, col = offset_pos(src, tonumber(p.problem_offset))
    if p.problem_value ~= -1 then msg = ("%s (#%X)"):format(msg, p.problem_value) end
  else
    line, col = tonumber(p.problem_mark.line) + 1, tonumber(p.problem_mark.column) + 1
  end
  local ctx = cstr(p.context)
  if ctx then
    msg = ("%s (%s at line %d, column %d)"):format(msg, ctx,
      tonumber(p.context_mark.line) + 1, tonumber(p.context_mark.column) + 1)
  end
  return ("%s:%d:%d: %s"):format(name, line, col, msg)
end

-- Builds node trees from the event stream. A stack of open containers; a
-- mapping alternates between expecting a key and a value.
local function compose(src, name)
  local lib = libyaml()
  local p = ffi.new("lnyaml_parser")
  local ev = ffi.new("lnyaml_event")
  if lib.yaml_parser_initialize(p) == 0 then return nil, name .. ": libyaml: out of memory" end
  lib.yaml_parser_set_input_string(p, src, #src)

  local docs, stack, anchors = {}, {}, {}
  local err

  local function add(node, ev_anchor)
    if ev_anchor then anchors[ev_anchor] = node end
    local top = stack[#stack]
    if not top then docs[#docs + 1] = node; return end
    if top.kind == "seq" then
      top.items[#top.items + 1] = node
    elseif top.pending_key == nil then
      if node.kind ~= "scalar" then
        err = ("%s:%d:%d: mapping key must be a scalar"):format(name, node.line, node.col)
        return
      end
      top.pending_key = node
    else
      local k = top.pending_key
      top.pending_key = nil
      if top.map[k.value] == nil then top.keys[#top.keys + 1] = k.value end
      top.map[k.value], top.keynode[k.value] = node, k
    end
  end

  while true do
    if lib.yaml_parser_parse(p, ev) == 0 then
      err = parser_error(p, src, name)
      break
    end
    local t = ev.type
    local line, col = tonumber(ev.start_mark.line) + 1, tonumber(ev.start_mark.column) + 1
    if t == EV_SCALAR then
      local s = ev.data.scalar
      local style = STYLE_NAMES[s.style] or "plain"
      -- A tagged plain scalar (`!!str 1`) is not "plain" for typing.
      local tag = cstr(s.tag)
      add({ kind = "scalar", line = line, col = col, style = style, tag = tag,
            value = ffi_string(s.value, s.length),
            plain = style == "plain" and tag == nil }, cstr(s.anchor))
    elseif t == EV_SEQ_START or t == EV_MAP_START then
      local d = t == EV_SEQ_START and ev.data.sequence_start or ev.data.mapping_start
      local node = t == EV_SEQ_START
        and { kind = "seq", line = line, col = col, items = {} }
        or { kind = "map", line = line, col = col, keys = {}, map = {}, keynode = {} }
      node.anchor = cstr(d.anchor)
      stack[#stack + 1] = node
    elseif t == EV_SEQ_END or t == EV_MAP_END then
      local node = table.remove(stack)
      local anchor = node.anchor
      node.anchor, node.pending_key = nil, nil
      add(node, anchor)
    elseif t == EV_ALIAS then
      local a = cstr(ev.data.alias.anchor)
      local node = anchors[a]
      if not node then
        err = ("%s:%d:%d: undefined alias '%s'"):format(name, line, col, a)
      else
        add(node)
      end
    elseif t == EV_DOC_START then
      anchors = {} -- anchors do not cross documents
    end
    lib.yaml_event_delete(ev)
    if err or t == EV_STREAM_END then break end
  end
  lib.yaml_parser_delete(p)
  if err then return nil, err end
  return docs
end

-- parse_nodes(src [, name]) -> {doc nodes} | nil, "name:line:col: msg"
function M.parse_nodes(src, name)
  if type(src) ~= "string" then error("yaml.parse_nodes: source must be a string", 2) end
  return compose(src, name or "<string>")
end

-- YAML 1.2 core schema for plain scalars; yaml-cpp (which Falco uses) also
-- reads yes/no/on/off as booleans when asked for a bool, see M.bool.
local BOOL = { ["true"] = true, ["True"] = true, ["TRUE"] = true,
               ["false"] = false, ["False"] = false, ["FALSE"] = false }
local NULL = { [""] = true, ["~"] = true, null = true, Null = true, NULL = true }

local function scalar_value(n)
  if not n.plain then return n.value end
  local v = n.value
  if NULL[v] then return M.null end
  if BOOL[v] ~= nil then return BOOL[v] end
  if v:match "^[-+]?%d+$" or v:match "^0x%x+$" or v:match "^0o[0-7]+$" then
    if v:sub(1, 2) == "0o" then return tonumber(v:sub(3), 8) end
    return tonumber(v)
  end
  if v:match "^[-+]?%d*%.?%d+[eE][-+]?%d+$" or v:match "^[-+]?%d*%.%d+$"
     or v:match "^[-+]?%d+%.%d*$" then
    return tonumber(v)
  end
  local inf = v:match "^([-+]?)%.[iI][nN][fF]$"
  if inf then return inf == "-" and -math.huge or math.huge end
  if v:match "^%.[nN][aA][nN]$" then return 0 / 0 end
  return v
end

-- decode(node) -> plain Lua value. Shared (aliased) nodes decode to one table.
function M.decode(node, seen)
  seen = seen or {}
  if node.kind == "scalar" then return scalar_value(node) end
  if seen[node] then return seen[node] end
  local out = {}
  seen[node] = out
  if node.kind == "seq" then
    for i, n in ipairs(node.items) do out[i] = M.decode(n, seen) end
  else
    for _, k in ipairs(node.keys) do out[k] = M.decode(node.map[k], seen) end
  end
  return out
end

-- parse(src [, name]) -> {docs as plain values} | nil, err
function M.parse(src, name)
  local docs, err = M.parse_nodes(src, name)
  if not docs then return nil, err end
  for i, d in ipairs(docs) do docs[i] = M.decode(d) end
  return docs
end

-- Reads a whole file; returns (contents) or (nil, "path: reason").
M.read_file = require("lanner.base").read_file

-- parse_file(path) -> {doc nodes} | nil, err
function M.parse_file(path)
  local s, err = M.read_file(path)
  if not s then return nil, err end
  return compose(s, path)
end

-- Boolean of a scalar node as yaml-cpp's convert<bool> reads it (Falco's
-- `enabled: false`): true/false, yes/no, on/off, y/n, any case.
local YAML_CPP_BOOL = { ["true"] = true, yes = true, on = true, y = true,
                        ["false"] = false, no = false, off = false, n = false }
function M.bool(node)
  if not node or node.kind ~= "scalar" then return nil end
  return YAML_CPP_BOOL[node.value:lower()]
end

-- True when a node is YAML null (`key:` with nothing, `~`, `null`).
function M.is_null(node)
  return node == nil or (node.kind == "scalar" and node.plain and NULL[node.value] == true)
end

return M
