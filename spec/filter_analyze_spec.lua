-- Static analysis: the event-type algebra (table), fields and needs_exit,
-- and a randomized check that the types found are sound (no event of a
-- type left out can match) and exact for pure evt.type conditions.
local filter = require "lanner.filter"
local cat = require "lanner.filter.fakecat"

local U = {}
for _, t in ipairs(cat.EVENT_TYPES) do U[t] = true end

local function set(...)
  local s = {}
  for _, v in ipairs({ ... }) do s[v] = true end
  return s
end
local function but(...)
  local s = {}
  for k in pairs(U) do s[k] = true end
  for _, v in ipairs({ ... }) do s[v] = nil end
  return s
end

local FD = set("open", "openat", "openat2", "close", "read", "write", "connect", "accept", "accept4")
local OPENS = set("open", "openat", "openat2")

local function analyze(src, c)
  local ast = assert(filter.parse(src))
  return filter.analyze(ast, c == nil and cat or c or nil)
end

describe("filter.analyze", function()
  describe("event types", function()
    local rows = {
      { "evt.type = openat", set "openat" },
      { "evt.type == openat", set "openat" },
      { "syscall.type = openat", set "openat" },
      { "evt.type in (open, openat)", set("open", "openat") },
      { "evt.type intersects (open)", set "open" },
      { "evt.type != openat", but "openat" },
      { "not evt.type = openat", but "openat" },
      { "not evt.type != openat", set "openat" },
      { "not not evt.type = openat", set "openat" },
      { "evt.type = openat and proc.name = x", set "openat" },
      { "proc.name = x and evt.type = openat", set "openat" },
      { "evt.type = openat or proc.name = x", nil },
      { "evt.type = openat or evt.type = close", set("openat", "close") },
      { "evt.type in (open, openat) and evt.type != open", set "openat" },
      { "evt.type = open and evt.type = close", set() },
      { "not (evt.type = openat or evt.type = close)", but("openat", "close") },
      { "not (evt.type = openat and evt.type = close)", U },
      { "not (evt.type = openat and proc.name = x)", nil },
      { "not (evt.type = openat or proc.name = x)", but "openat" },
      { "proc.name = x", nil },
      { "not proc.name = x", nil },
      { "evt.type = nosuch", set() },
      { "evt.type in ()", set() },
      { "evt.type exists", U },
      { "not evt.type exists", set() },
      -- every operator on evt.type is evaluated exactly over the universe
      { "evt.type startswith open", OPENS },
      { "not evt.type startswith open", but("open", "openat", "openat2") },
      { "evt.type glob 'exec*'", set("execve", "execveat") },
      { "evt.type regex 'accept4?'", set("accept", "accept4") },
      { "evt.type pmatch (open)", set "open" },
      { "toupper(evt.type) = OPENAT", set "openat" },
      { "tolower(evt.type) = OPENAT", set() },
      { "evt.type = val(proc.name)", nil },
      -- other fields are bounded by the types where they have a value
      { "fd.name = x", FD },
      { "not fd.name = x", nil },
      { "fd.name exists", FD },
      { "evt.is_open_write = true", OPENS },
      { "fd.sip = 10.0.0.0/8 and evt.type in (connect, open)", set "connect" },
      { "fd.sip = 10.0.0.0/8 or evt.is_open_write = true", set("connect", "accept", "accept4", "open", "openat", "openat2") },
      { "fd.name = x or proc.name = y", nil },
      { "proc.name = val(fd.name)", FD },
      { "evt.buffer contains x and fd.sip = 1.2.3.4", set() },
      { "unknown.field = 1", nil },
      { "some_macro", nil },
    }
    for _, r in ipairs(rows) do
      it(r[1], function() assert.same(r[2], analyze(r[1]).types) end)
    end

    it("works without a catalogue where no universe is needed", function()
      assert.same(set "openat", analyze("evt.type = openat and x.y = 1", false).types)
      assert.is_nil(analyze("evt.type != openat", false).types)
      assert.is_nil(analyze("fd.name = x", false).types)
    end)
  end)

  describe("fields and needs_exit", function()
    it("lists the fields read, right-hand sides included", function()
      local info = analyze("evt.type = openat and fd.name = val(proc.exe) and proc.aname[2] = x")
      assert.same(set("evt.type", "fd.name", "proc.exe", "proc.aname"), info.fields)
      assert.is_false(info.needs_exit)
    end)
    it("needs the exit when a field's value is known only then", function()
      assert.is_true(analyze("proc.name = x or evt.res < 0").needs_exit)
      assert.is_true(analyze("not evt.latency > 5").needs_exit)
      assert.is_true(analyze("evt.rawtime = val(evt.latency)").needs_exit)
      assert.is_false(analyze("proc.name = x").needs_exit)
    end)
    it("needs the exit only for the types a field names", function()
      local info = analyze("evt.type in (read, openat) and fd.num = 3")
      assert.is_true(info.needs_exit)
      assert.same(set "openat", info.exit_types)
      info = analyze("evt.type = read and fd.num = 3")
      assert.is_false(info.needs_exit)
      assert.same(set(), info.exit_types)
      info = analyze("fd.num = 3")
      assert.same(set("open", "openat", "openat2", "accept", "accept4"), info.exit_types)
      info = analyze("evt.type in (read, openat) and evt.res = 0")
      assert.same(set("read", "openat"), info.exit_types)
      assert.is_nil(analyze("proc.name = x or evt.res = 0").exit_types)
    end)
    it("tolerates unknown fields", function()
      local info = analyze("nope.x = 1 and evt.res = 0")
      assert.same(set("nope.x", "evt.res"), info.fields)
      assert.is_true(info.needs_exit)
    end)
  end)

  describe("randomized", function()
    -- Terms over evt.type and fields bounded by types; random trees of them.
    local TERMS = {
      "evt.type = openat", "evt.type != close", "evt.type in (open, connect, read)",
      "evt.type startswith acc", "fd.name = /x", "fd.name exists", "fd.sip = 10.0.0.0/8",
      "evt.is_open_write = true", "proc.name = bash", "evt.type glob 'exec*'",
    }
    local TYPE_TERMS = { 1, 2, 3, 4, 10 }
    local rng = 12345
    local function rand(n) -- deterministic LCG, independent of math.random
      rng = (rng * 1103515245 + 12345) % 2147483648
      return rng % n + 1
    end
    local function tree(depth, terms)
      local k = rand(depth > 3 and 1 or 4)
      if k == 1 then return TERMS[terms[rand(#terms)]] end
      if k == 2 then return "not (" .. tree(depth + 1, terms) .. ")" end
      return "(" .. tree(depth + 1, terms) .. (k == 3 and " and " or " or ") .. tree(depth + 1, terms) .. ")"
    end
    local ALL = {}
    for i = 1, #TERMS do ALL[i] = i end
    -- For each type: events with and without values, matching or not;
    -- a field has a value only where the catalogue says it can.
    local NET = set("connect", "accept", "accept4")
    local function events(t)
      local function ev(name, fdname, sip, w)
        return { type = t, proc = { name = name },
          fd = FD[t] and { name = fdname, sip = NET[t] and sip or nil } or nil,
          is_open_write = OPENS[t] and w or nil }
      end
      return { { type = t, proc = { name = "bash" } }, ev("sh", "/x", "10.1.1.1", true),
        ev("bash", "/y", "11.1.1.1", false) }
    end

    it("never leaves out a type an event of which matches", function()
      for _ = 1, 300 do
        local src = tree(0, ALL)
        local ast = assert(filter.parse(src))
        local types = filter.analyze(ast, cat).types
        local fn = assert(filter.compile(ast, cat))
        for t in pairs(U) do
          for _, ev in ipairs(events(t)) do
            if fn(ev) and types and not types[t] then
              error(("%s: matches %s, not in the analysed set"):format(src, t))
            end
          end
        end
      end
    end)

    it("is exact for conditions on evt.type alone", function()
      for _ = 1, 300 do
        local src = tree(0, TYPE_TERMS)
        local ast = assert(filter.parse(src))
        local fn = assert(filter.compile(ast, cat))
        local want = {}
        for t in pairs(U) do if fn({ type = t }) then want[t] = true end end
        assert.same(want, filter.analyze(ast, cat).types, src)
      end
    end)
  end)
end)
