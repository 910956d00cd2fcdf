-- The filter compiler's tests on a field's value in place: on the C
-- string or byte view the core holds (proc.name, fd.name, ...), with no
-- Lua string made per event.  Short literals become byte tests in the
-- generated code, longer ones and sets calls to C.  lanner.filter.compile
-- gives its constant and literal helpers (new{const=, texts=, SET_OPS=})
-- and gets c_pred(fn, spec, f, op, opclass, val) -> predicate, how | nil.
local ops = require "lanner.filter.ops"

local M = {}

local fmt, concat = string.format, table.concat

function M.new(k)
  local const, texts, SET_OPS = k.const, k.texts, k.SET_OPS

  -- Short literals are compared byte by byte in the generated code: a trace
  -- runs a chain of byte tests faster than a call to strcmp or memcmp (an FFI
  -- call spills every live register), and a miss usually ends at the first
  -- byte.  Longer ones, and sets past a few items, go to C.
  local INLINE_BYTES = 24
  local INLINE_ITEMS = 8
  -- pmatch lists are paths that part at their second byte or so
  local INLINE_PREFIXES = 32

  -- "p[0] == 47 and p[1] == 101 ..." for the bytes of k (char is signed).
  local function bytes_eq(k)
    local t = {}
    for i = 1, #k do
      local b = k:byte(i)
      t[i] = fmt("p[%d] == %d", i - 1, b > 127 and b - 256 or b)
    end
    return t
  end

  -- The whole value equals k: on a C string the byte after k is its end; on
  -- a view the length says it.
  local function eq_inline(k, how)
    local t = bytes_eq(k)
    if how == "cstr" then
      t[#t + 1] = fmt("p[%d] == 0", #k)
    else
      table.insert(t, 1, fmt("n == %d", #k))
    end
    return "(" .. concat(t, " and ") .. ")"
  end

  local function prefix_inline(k, how)
    local t = bytes_eq(k)
    if how == "cview" then table.insert(t, 1, fmt("n >= %d", #k)) end
    if #t == 0 then return "true" end
    return "(" .. concat(t, " and ") .. ")"
  end

  -- The last bytes are k, the last byte first (where paths differ); with `n`
  -- known (a view, or a C string's strlen: "cstrlen").
  local function suffix_inline(k)
    local t = { fmt("n >= %d", #k) }
    for i = #k, 1, -1 do
      local b = k:byte(i)
      t[#t + 1] = fmt("p[n - %d] == %d", #k - i + 1, b > 127 and b - 256 or b)
    end
    return "(" .. concat(t, " and ") .. ")"
  end

  -- The test on the field's value in place against a literal, for the
  -- operators that need no Lua string: with a cstr on `p` (a C string; with
  -- its length in `n` too for "cstrlen"), with a cview on `p`, `n` (bytes and
  -- length); nil when neither applies.  Returns the predicate and which of
  -- these it reads.
  local function c_pred(fn, spec, f, op, opclass, val)
    if not (spec.cstr or spec.cview) or opclass ~= "string"
      or (f.transformers and #f.transformers > 0) or val == nil then
      return nil
    end
    if val.kind ~= "str" and val.kind ~= "list" then return nil end
    local how = spec.cstr and "cstr" or "cview"
    if SET_OPS[op] and val.kind == "list" then
      local items = texts(val, op, f)
      local short = #items <= INLINE_ITEMS
      for _, it in ipairs(items) do
        if #it > INLINE_BYTES or it:find("\0", 1, true) then short = false end
      end
      if short then
        local alts = {}
        for i, it in ipairs(items) do alts[i] = eq_inline(it, how) end
        if #alts == 0 then return "false", how end
        return "(" .. concat(alts, " or ") .. ")", how
      end
      local strset = fn.st.cat.strset
      if not strset then return nil end
      local set = const(fn, strset(items), "cset", { "cat", "strset", items })
      local has = const(fn, fn.st.cat.strset_has, "sethas", { "cat", "strset_has" })
      if how == "cstr" then return fmt("%s(%s, p, -1) ~= 0", has, set), how end
      return fmt("%s(%s, p, n) ~= 0", has, set), how
    end
    if op == "pmatch" then
      -- each prefix, then the value's end or a '/' (ops.path_prefix, under)
      local items = texts(val, op, f)
      if #items > INLINE_PREFIXES then return nil end
      local alts = {}
      for i, it in ipairs(items) do
        local q = ops.path_prefix(it)
        if #q > INLINE_BYTES * 2 or q:find("\0", 1, true) then return nil end
        local t = { prefix_inline(q, how) }
        if q:sub(-1) ~= "/" then
          t[2] = how == "cstr" and fmt("(p[%d] == 0 or p[%d] == 47)", #q, #q)
            or fmt("(n == %d or p[%d] == 47)", #q, #q)
        end
        alts[i] = "(" .. concat(t, " and ") .. ")"
      end
      if #alts == 0 then return "false", how end
      return "(" .. concat(alts, " or ") .. ")", how
    end
    if val.kind ~= "str" then return nil end
    local k = val.v
    if type(k) ~= "string" or (how == "cstr" and k:find("\0", 1, true)) then return nil end
    local short = #k <= INLINE_BYTES
    if op == "=" or op == "==" or op == "!=" then
      local neg = op == "!=" and "not " or ""
      if short then return neg .. eq_inline(k, how), how end
      if how == "cstr" then return fmt("strcmp(p, %s) %s 0", const(fn, k), neg == "" and "==" or "~="), how end
      return fmt("%s(n == %d and memcmp(p, %s, %d) == 0)", neg, #k, const(fn, k), #k), how
    end
    if op == "startswith" then
      if short then return prefix_inline(k, how), how end
      if how == "cstr" then return fmt("strncmp(p, %s, %d) == 0", const(fn, k), #k), how end
      return fmt("n >= %d and memcmp(p, %s, %d) == 0", #k, const(fn, k), #k), how
    end
    if op == "endswith" then
      -- a C string's length first (cstrlen), then the bytes from the end
      if short then return suffix_inline(k), how == "cstr" and "cstrlen" or how end
      if how == "cstr" then return fmt("cendswith(p, %s, %d)", const(fn, k), #k), how end
      return fmt("n >= %d and memcmp(p + (n - %d), %s, %d) == 0", #k, #k, const(fn, k), #k), how
    end
    if op == "contains" then
      if how == "cstr" then return fmt("strstr(p, %s) ~= nil", const(fn, k)), how end
      return fmt("memmem(p, n, %s, %d) ~= nil", const(fn, k), #k), how
    end
    if op == "glob" then
      -- star-only globs as prefix, suffix and middle tests (ops.star_split)
      local parts = ops.star_split(k)
      if not parts then return nil end
      local head, tail = parts[1], parts[#parts]
      local nv = how == "cstr" and "-1" or "n"
      if #parts == 2 then
        if head == "" then return c_pred(fn, spec, f, "endswith", opclass, { kind = "str", v = tail }) end
        if tail == "" then return c_pred(fn, spec, f, "startswith", opclass, { kind = "str", v = head }) end
        if #head <= INLINE_BYTES and #tail <= INLINE_BYTES then
          return fmt("(n >= %d and %s and %s)", #head + #tail, prefix_inline(head, "cstr"), suffix_inline(tail)),
            how == "cstr" and "cstrlen" or how
        end
        return fmt("cglob1(p, %s, %s, %s)", nv, const(fn, head, "head"), const(fn, tail, "tail")), how
      end
      if head == "" and tail == "" then
        return c_pred(fn, spec, f, "contains", opclass, { kind = "str", v = parts[2] })
      end
      return fmt("cglob2(p, %s, %s, %s, %s)", nv, const(fn, head, "head"), const(fn, parts[2], "mid"),
        const(fn, tail, "tail")), how
    end
    return nil
  end

  return c_pred
end

return M
