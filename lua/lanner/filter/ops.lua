-- Runtime helpers the generated filter code calls, and the compile-time
-- preparation of their constants (regexes, networks, hex bytes).
--
-- The helpers run per event, so they use string.byte loops and plain finds
-- (JIT-compiled, no allocation) instead of string.sub or patterns.
local ffi = require "ffi"
local bit = require "bit"
local base = require "lanner.base"

local M = {}

local byte, find, sub, lower = string.byte, string.find, string.sub, string.lower
local band, lshift, rshift, bor = bit.band, bit.lshift, bit.rshift, bit.bor

-- Declared with void * so an identical or regex_t-typed declaration made
-- elsewhere in the process stays compatible (LuaJIT accepts a repeat of a
-- compatible declaration; base.declare keeps a different one from breaking us).
base.declare(
  "int fnmatch(const char *pattern, const char *string, int flags);",
  "int regcomp(void *preg, const char *regex, int cflags);",
  "int regexec(const void *preg, const char *string, size_t nmatch, void *pmatch, int eflags);",
  "size_t regerror(int errcode, const void *preg, char *errbuf, size_t errbuf_size);",
  "void regfree(void *preg);",
  "int inet_pton(int af, const char *src, void *dst);",
  "int memcmp(const void *s1, const void *s2, size_t n);",
  "int strcmp(const char *s1, const char *s2);",
  "int strncmp(const char *s1, const char *s2, size_t n);",
  "char *strstr(const char *haystack, const char *needle);",
  "void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);",
  "size_t strlen(const char *s);"
)
local C = ffi.C
M.C = C

local FNM_CASEFOLD = 16   -- glibc and musl
local REG_EXTENDED, REG_ICASE, REG_NOSUB = 1, 2, 8
local AF_INET, AF_INET6 = 2, 10

-- Prefix and suffix tests with memcmp, not a Lua loop: a loop inside a
-- comparison cuts the trace a compiled condition runs in (LuaJIT cannot
-- inline an inner loop), while an FFI call stays in it.  A Lua string
-- converts to a const pointer to its bytes without a copy.
local as_ptr = ffi.typeof("const char *")
function M.startswith(s, p)
  local n = #p
  if #s < n then return false end
  return C.memcmp(s, p, n) == 0
end
local startswith = M.startswith

-- endswith on a C string (a field's cstr) with a Lua string suffix of n bytes.
function M.cendswith(p, k, n)
  local len = C.strlen(p)
  return len >= n and C.memcmp(ffi.cast(as_ptr, p) + (len - n), k, n) == 0
end

function M.endswith(s, p)
  local n, off = #p, #s - #p
  if off < 0 then return false end
  return C.memcmp(ffi.cast(as_ptr, s) + off, p, n) == 0
end

-- Case-insensitive (ASCII, as strcasestr in the C locale) substring test;
-- lp is already lower case.
function M.icontains(s, lp)
  local n = #lp
  if n == 0 then return true end
  local first = byte(lp, 1)
  for i = 1, #s - n + 1 do
    local c = byte(s, i)
    if c >= 65 and c <= 90 then c = c + 32 end
    if c == first then
      local j = 2
      while j <= n do
        local d = byte(s, i + j - 1)
        if d >= 65 and d <= 90 then d = d + 32 end
        if d ~= byte(lp, j) then break end
        j = j + 1
      end
      if j > n then return true end
    end
  end
  return false
end

-- A pmatch prefix: trailing slashes do not count ("/etc/" is "/etc").
function M.path_prefix(p)
  local q = p:gsub("/+$", "")
  if q == "" and p ~= "" then return "/" end
  return q
end

-- s is p or lies under p (component boundary), for one prefix.
local function under(s, p)
  local n = #p
  if not startswith(s, p) then return false end
  return #s == n or byte(s, n + 1) == 47 or byte(p, n) == 47
end

function M.pmatch(s, prefixes)
  for j = 1, #prefixes do
    if under(s, prefixes[j]) then return true end
  end
  return false
end

function M.pmatch1(s, p) return under(s, M.path_prefix(p)) end

-- Globs whose only wildcard is `*`, once or twice, need no fnmatch:
-- "*/.aws/credentials" is a suffix test, "/*run/secrets/*token" a prefix,
-- a middle and a suffix in order.  fnmatch would walk the string at every
-- star (rules test a dozen such globs on each open).  Without FNM_PATHNAME
-- `*` matches any byte, `/` too, so these are exact.
function M.star_split(pattern)
  if find(pattern, "[%?%[\\]") then return nil end
  local parts = {}
  for piece in (pattern .. "*"):gmatch("([^*]*)%*") do parts[#parts + 1] = piece end
  if #parts < 2 or #parts > 3 then return nil end -- no star, or more than two
  return parts
end

function M.glob1(s, head, tail)
  local n, nh, nt = #s, #head, #tail
  if n < nh + nt then return false end
  return C.memcmp(s, head, nh) == 0 and C.memcmp(ffi.cast(as_ptr, s) + (n - nt), tail, nt) == 0
end

function M.glob2(s, head, mid, tail)
  local n, nh, nt = #s, #head, #tail
  if n < nh + #mid + nt then return false end
  if C.memcmp(s, head, nh) ~= 0 or C.memcmp(ffi.cast(as_ptr, s) + (n - nt), tail, nt) ~= 0 then
    return false
  end
  local _, e = find(s, mid, nh + 1, true)
  return e ~= nil and e <= n - nt
end

-- The same two on a field's bytes in place (a cstr: n < 0, or a view).
function M.cglob1(p, n, head, tail)
  if n < 0 then n = tonumber(C.strlen(p)) end
  local nh, nt = #head, #tail
  if n < nh + nt then return false end
  return C.memcmp(p, head, nh) == 0 and C.memcmp(ffi.cast(as_ptr, p) + (n - nt), tail, nt) == 0
end

function M.cglob2(p, n, head, mid, tail)
  if n < 0 then n = tonumber(C.strlen(p)) end
  local nh, nm, nt = #head, #mid, #tail
  if n < nh + nm + nt then return false end
  if C.memcmp(p, head, nh) ~= 0 or C.memcmp(ffi.cast(as_ptr, p) + (n - nt), tail, nt) ~= 0 then
    return false
  end
  -- mid must lie whole between head and tail: search only there
  return C.memmem(ffi.cast(as_ptr, p) + nh, n - nh - nt, mid, nm) ~= nil
end

function M.fnmatch(pattern, s, icase)
  return C.fnmatch(pattern, s, icase and FNM_CASEFOLD or 0) == 0
end

-- Translates the RE2 spellings rules use most into POSIX ERE and checks that
-- parentheses balance, so wrapping as ^(...)$ cannot change the meaning
-- (`a)|(b` would otherwise escape the group). Returns ere, icase | nil, msg.
local function re2_to_ere(re)
  local icase = false
  if sub(re, 1, 4) == "(?i)" then icase, re = true, sub(re, 5) end
  local out, i, n, depth = {}, 1, #re, 0
  while i <= n do
    local c = sub(re, i, i)
    if c == "\\" then
      local e = sub(re, i + 1, i + 1)
      if e == "" then return nil, "trailing backslash" end
      out[#out + 1] = e == "d" and "[0-9]" or e == "D" and "[^0-9]" or (c .. e)
      i = i + 2
    elseif c == "[" then
      -- A bracket expression: ']' right after '[' or '[^' is literal.
      local j = i + 1
      if sub(re, j, j) == "^" then j = j + 1 end
      if sub(re, j, j) == "]" then j = j + 1 end
      while j <= n and sub(re, j, j) ~= "]" do
        if sub(re, j, j + 1) == "[:" or sub(re, j, j + 1) == "[=" or sub(re, j, j + 1) == "[." then
          local close = find(re, sub(re, j + 1, j + 1) .. "]", j + 2, true)
          if not close then return nil, "unterminated character class" end
          j = close + 2
        else
          j = j + 1
        end
      end
      if j > n then return nil, "missing ']'" end
      out[#out + 1] = sub(re, i, j)
      i = j + 1
    elseif c == "(" then
      depth = depth + 1
      if sub(re, i + 1, i + 2) == "?:" then out[#out + 1] = "("; i = i + 3
      else out[#out + 1] = c; i = i + 1 end
    elseif c == ")" then
      depth = depth - 1
      if depth < 0 then return nil, "unmatched ')'" end
      out[#out + 1] = c
      i = i + 1
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  if depth ~= 0 then return nil, "missing ')'" end
  return table.concat(out), icase
end

local function regfree(re) C.regfree(re) end

-- A compiled, anchored regex (full match, as RE2::FullMatch in Falco).
function M.regex(re)
  local ere, icase = re2_to_ere(re)
  if not ere then return nil, icase end
  -- regex_t is 64 bytes on glibc x86_64; twice that covers other libcs,
  -- and uint64_t elements give it pointer alignment.
  local preg = ffi.new("uint64_t[16]")
  local rc = C.regcomp(preg, "^(" .. ere .. ")$", bor(REG_EXTENDED, REG_NOSUB, icase and REG_ICASE or 0))
  if rc ~= 0 then
    local buf = ffi.new("char[256]")
    C.regerror(rc, preg, buf, 256)
    return nil, ffi.string(buf)
  end
  return ffi.gc(preg, regfree)
end

function M.regmatch(preg, s)
  return C.regexec(preg, s, 0, nil, 0) == 0
end

-- Hex text (bcontains 48656c6c6f) to bytes, or nil.
function M.unhex(h)
  if #h % 2 ~= 0 or find(h, "[^%x]") then return nil end
  return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

---------------------------------------------------------------------------
-- Addresses are compared as raw network-order bytes (4 or 16).
local ipbuf = ffi.new("uint8_t[16]")

-- Text address to raw bytes, or nil.
function M.ip_parse(s)
  if C.inet_pton(AF_INET, s, ipbuf) == 1 then return ffi.string(ipbuf, 4) end
  if C.inet_pton(AF_INET6, s, ipbuf) == 1 then return ffi.string(ipbuf, 16) end
end

-- Field values come raw (4/16 bytes) or as text; text is parsed once and
-- remembered. A 16-byte value is raw unless it parses as text (a raw
-- address made only of hex digits, ':' and '.' is not a real case).
local memo, memo_n = {}, 0
function M.ipnorm(v)
  if type(v) ~= "string" then return nil end
  local n = #v
  if n == 4 then return v end
  local r = memo[v]
  if r ~= nil then return r or nil end
  r = M.ip_parse(v)
  if r == nil and n == 16 then r = v end
  if memo_n > 4096 then memo, memo_n = {}, 0 end
  memo[v], memo_n = r or false, memo_n + 1
  return r
end

-- "10.0.0.0/8" -> {len=4, full=1, rem=0, [1]=10, ...} (masked bytes).
function M.net_parse(s)
  local addr, bits = s:match("^(.-)/(%d+)$")
  if not addr then return nil end
  local raw = M.ip_parse(addr)
  bits = tonumber(bits)
  if not raw or bits > #raw * 8 then return nil end
  local net = { len = #raw, full = rshift(bits, 3), rem = band(bits, 7) }
  for i = 1, net.full do net[i] = byte(raw, i) end
  if net.rem > 0 then
    net.mask = band(lshift(0xff, 8 - net.rem), 0xff)
    net[net.full + 1] = band(byte(raw, net.full + 1), net.mask)
  end
  return net
end

function M.in_net(v, net)
  if #v ~= net.len then return false end
  local full = net.full
  for i = 1, full do
    if byte(v, i) ~= net[i] then return false end
  end
  if net.mask then return band(byte(v, full + 1), net.mask) == net[full + 1] end
  return true
end
local in_net = M.in_net

function M.in_nets(v, nets)
  for i = 1, #nets do
    if in_net(v, nets[i]) then return true end
  end
  return false
end

---------------------------------------------------------------------------
-- Values as strings: tostring of an int64 cdata says "5LL"; drop that.
function M.tostr(v)
  if type(v) == "cdata" then return (tostring(v):gsub("U?LL$", "")) end
  return tostring(v)
end

-- Transformers (Falco's toupper/tolower/b64/basename/len). nil = no value.
local B64 = {}
do
  local a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  for i = 1, 64 do B64[byte(a, i)] = i - 1 end
end

function M.b64(s)
  s = s:gsub("=+$", "")
  local out, acc, nbits = {}, 0, 0
  for i = 1, #s do
    local d = B64[byte(s, i)]
    if d == nil then return nil end
    acc = bor(lshift(band(acc, 0xffff), 6), d)
    nbits = nbits + 6
    if nbits >= 8 then
      nbits = nbits - 8
      out[#out + 1] = string.char(band(rshift(acc, nbits), 0xff))
    end
  end
  if nbits >= 6 then return nil end -- a lone trailing character
  return table.concat(out)
end

function M.basename(s)
  local i = #s
  while i > 0 and byte(s, i) ~= 47 do i = i - 1 end
  return sub(s, i + 1)
end

M.lower, M.upper = lower, string.upper
function M.len(s) return #s end

return M
