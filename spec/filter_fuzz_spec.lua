-- Fuzz: random token sequences and mutations of valid conditions go
-- through parse -> tostring round trip -> expand -> compile -> run ->
-- analyze. Nothing may raise; every failure is nil plus a message that is
-- not an internal error. The generator is seeded, so a failure repeats.
local ffi = require "ffi"
local filter = require "lanner.filter"
local cat = require "lanner.filter.fakecat"

local seed = 20240601
local function rand(n)
  -- Park-Miller: deterministic whatever busted does to math.random.
  seed = (seed * 16807) % 2147483647
  return seed % n + 1
end
local function pick(t) return t[rand(#t)] end

local FIELDS = { "proc.name", "fd.name", "evt.type", "proc.aname", "proc.aname[2]", "evt.res",
  "fd.sip", "fd.net", "evt.buffer", "evt.is_open_write", "fd.types", "proc.env[HOME]",
  "evt.rawtime", "proc.pid", "nope.field", "evt.arg.flags", "proc.args" }
local OPS = { "=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains",
  "startswith", "bstartswith", "endswith", "glob", "iglob", "in", "intersects", "pmatch", "regex" }
local VALUES = { "bash", "/etc/passwd", "10.0.0.0/8", "::1", "0x1f", "-5", "1e+3", "true",
  "'a b'", '"x\\"y"', "*.sh", "48656c6c6f", "'(a|b)+'", "O_CREAT", "''", "val(proc.pname)",
  "tolower(proc.name)", "10.1.2.3", "'[a-z]*'", "1700000000000000001", "ENOENT" }
local LISTS = { "()", "(bash, sh)", "(shells)", "(10.0.0.0/8, 1.2.3.4)", "(1, 2, 0x10)",
  "(/etc, /usr/)", "(nested, 'q', file)", "shells", "(true)" }
local TRANSFORMERS = { "tolower", "toupper", "b64", "basename", "len" }
local MACROS = { "m_shell", "m_open", "m_both", "m_cycle", "undefined_macro" }

local ENV = {
  macros = {
    m_shell = "proc.name in (shells)",
    m_open = "evt.type in (open, openat) and fd.name pmatch (/etc)",
    m_both = "m_shell and not m_open",
    m_cycle = "m_cycle2", m_cycle2 = "m_cycle or proc.name = x",
  },
  lists = { shells = { "sh", "bash", "nested" }, nested = { "zsh" }, file = { "file" } },
}

-- Values only where the fake catalogue says a field can have one (its
-- `types`), so the analysis check below is fair.
local PROC = { name = "bash", pname = "sshd", pid = 7, ancestors = { "sshd", "init" },
  env = { HOME = "/root" }, args = { "-c" } }
local EVENTS = {
  { type = "openat", res = -2, ts = 5, proc = PROC, fd = { name = "/etc/passwd", types = { "file" } },
    is_open_write = true, args = { flags = "O_CREAT" } },
  { type = "close" },
  { type = "connect", proc = PROC, fd = { name = "10.1.2.3:80", sip = "10.1.2.3", types = { "ipv4" } } },
  { type = "read", proc = PROC, fd = { name = "/etc/passwd" }, buffer = "Hello" },
  -- values of unexpected kinds: the generated code must cope
  { type = "connect", res = "x", proc = { name = 5, pid = "7", ancestors = { 1, "a" } },
    fd = { name = "", sip = "junk", types = {} } },
  { type = "read", res = true, ts = "x", proc = { name = {}, pid = ffi.new("int64_t", 7), env = { HOME = 1 } },
    fd = { name = 5, types = { 1 } }, buffer = 7 },
  { type = "openat", res = ffi.new("uint64_t", 3), is_open_write = "yes", proc = { ancestors = {} },
    fd = { name = "\0/etc" } },
}

local function field()
  local f = pick(FIELDS)
  for _ = 1, rand(4) - 2 do f = pick(TRANSFORMERS) .. "(" .. f .. ")" end
  return f
end

-- A condition from the grammar (mostly valid, sometimes semantically off).
local function condition(depth)
  local k = rand(depth > 3 and 3 or 7)
  if k == 1 then
    local op = pick(OPS)
    local list = op == "in" or op == "intersects" or op == "pmatch"
    return field() .. " " .. op .. " " .. (list and pick(LISTS) or pick(VALUES))
  elseif k == 2 then
    return field() .. " exists"
  elseif k == 3 then
    return pick(MACROS)
  elseif k == 4 then
    return "not " .. condition(depth + 1)
  elseif k == 5 then
    return "(" .. condition(depth + 1) .. ")"
  end
  return condition(depth + 1) .. (k == 6 and " and " or " or ") .. condition(depth + 1)
end

local TOKENS = { "and", "or", "not", "(", ")", ",", "[", "]", "'", '"', "\\", "exists",
  "val(", "tolower(", "len(" }
for _, t in ipairs(FIELDS) do TOKENS[#TOKENS + 1] = t end
for _, t in ipairs(OPS) do TOKENS[#TOKENS + 1] = t end
for _, t in ipairs(VALUES) do TOKENS[#TOKENS + 1] = t end
for _, t in ipairs(MACROS) do TOKENS[#TOKENS + 1] = t end
local SEPS = { " ", " ", " ", "", "\n", "\t", "  " }

local function tokens()
  local out = {}
  for i = 1, rand(12) do out[i] = pick(TOKENS) .. pick(SEPS) end
  return table.concat(out)
end

local CHARS = { "(", ")", "'", '"', "\\", "[", "]", ",", "=", "!", "<", ">", " ", "\n", "\0",
  "\255", "a", "0", ".", "/", "*", "x", "\b", "\f", "|", "?" }

local function mutate(s)
  for _ = 1, rand(3) do
    local i = rand(#s + 1)
    local k = rand(5)
    if k == 1 then
      s = s:sub(1, i - 1) .. pick(CHARS) .. s:sub(i)
    elseif k == 2 then
      s = s:sub(1, i - 1) .. s:sub(i + rand(3))
    elseif k == 3 and #s > 1 then
      local j = math.min(i, #s - 1)
      s = s:sub(1, j - 1) .. s:sub(j + 1, j + 1) .. s:sub(j, j) .. s:sub(j + 2)
    elseif k == 4 then
      s = s:sub(1, i - 1)
    else
      local j = rand(#s + 1)
      s = s:sub(1, i - 1) .. s:sub(math.min(i, j), math.max(i, j)) .. s:sub(i)
    end
  end
  return s
end

local function strip(t)
  if type(t) ~= "table" then return t end
  local c = {}
  for k, v in pairs(t) do if k ~= "pos" then c[k] = strip(v) end end
  return c
end

local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

local function check_err(stage, err)
  if type(err) ~= "string" or err == "" then error(stage .. " failed without a message") end
  if err:find("internal error", 1, true) then error(stage .. ": " .. err) end
end

local stats = { parsed = 0, expanded = 0, compiled = 0, matched = 0 }

-- One input through every stage; raises (caught below) on any violation.
local function run(src)
  local ast, err = filter.parse(src)
  if not ast then return check_err("parse", err) end
  stats.parsed = stats.parsed + 1
  local text = filter.tostring(ast)
  local back, berr = filter.parse(text)
  if not back then error("tostring gave unparsable text: " .. text .. "\n" .. berr) end
  if not same(strip(ast), strip(back)) then error("round trip changed the tree: " .. text) end
  filter.fields(ast)
  local ex, xerr = filter.expand(ast, ENV)
  if not ex then return check_err("expand", xerr) end
  stats.expanded = stats.expanded + 1
  local info = filter.analyze(ex, cat)
  assert(type(info.fields) == "table" and type(info.needs_exit) == "boolean")
  local fn, cerr = filter.compile(ex, cat)
  if not fn then return check_err("compile", cerr) end
  stats.compiled = stats.compiled + 1
  for _, ev in ipairs(EVENTS) do
    local r = fn(ev)
    if type(r) ~= "boolean" then error("filter returned " .. tostring(r)) end
    if r then
      stats.matched = stats.matched + 1
      if info.types and not info.types[ev.type] then
        error("matched a " .. ev.type .. " event outside the analysed types")
      end
    end
  end
end

describe("filter fuzz", function()
  -- The JIT is off while fuzzing: every input makes new code, so LuaJIT
  -- keeps tracing the compiler itself, and each trace costs mprotect calls
  -- that take ~200 us in a VM (10x the run time). The generated code under
  -- the JIT is covered by filter_compile_spec.
  local jit_was_on
  before_each(function() jit_was_on = jit.status(); jit.off() end)
  after_each(function() if jit_was_on then jit.on() end end)

  it("survives 30,000 random and mutated conditions", function()
    local t0 = os.clock()
    for n = 1, 30000 do
      local src
      if n % 3 == 0 then src = tokens()
      elseif n % 3 == 1 then src = mutate(condition(0))
      else src = condition(0) end
      local ok, err = pcall(run, src)
      if not ok then
        error(("input #%d %q:\n%s"):format(n, src, tostring(err)), 0)
      end
    end
    -- The generators must reach every stage, or the fuzz proves little.
    assert.is_true(stats.parsed > 10000, "parsed " .. stats.parsed)
    assert.is_true(stats.compiled > 3000, "compiled " .. stats.compiled)
    assert.is_true(stats.matched > 300, "matched " .. stats.matched)
    assert.is_true(os.clock() - t0 < 20, "too slow")
  end)
end)
