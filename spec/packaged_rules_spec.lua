-- The packaged rule set (rules/*.yaml) against its cases
-- (spec/rules/cases*.yaml): every case runs its command under
-- `build/lanner -j -R rules/` and checks which rules alerted.  The case
-- format is described at the top of spec/rules/cases.yaml.
--
-- Needs root (tmpfs and network namespaces, cgroups for the container
-- cases) and a built lanner; run from the repository root:
--   LANNER_LIB=build/liblanner.so busted --lua=luajit spec/packaged_rules_spec.lua
local yaml = require "lanner.yaml"
local json = require "dkjson"

local LANNER = "build/lanner"
local RULES_DIR = "rules"
local CASES = "spec/rules/cases*.yaml"
local CONTAINER = "spec/rules/in_container.sh"
local SKIP = 77 -- in_container.sh: no cgroup to fake a container with

local function q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function is_root()
  local s = read("/proc/self/status") or ""
  return s:match("\nUid:%s+0%s") ~= nil
end

-- Runs a shell command line; returns exit status, stdout, stderr.
local scratch = os.tmpname()
local function sh(cmd)
  os.execute(("(%s) > %s.out 2> %s.err; echo $? > %s.rc"):format(cmd, scratch, scratch, scratch))
  return tonumber(read(scratch .. ".rc")), read(scratch .. ".out") or "", read(scratch .. ".err") or ""
end

local function mkdtemp()
  local _, out = sh("mktemp -d /tmp/lanner-rules.XXXXXX")
  return (out:gsub("%s+$", ""))
end

-- The shell command line that runs a case under lanner, wrapped for its
-- terminal and container needs.
local function case_command(c)
  local argv = { LANNER, "-j", "-q" }
  for _, r in ipairs(c.rules) do argv[#argv + 1] = "-R"; argv[#argv + 1] = r end
  argv[#argv + 1] = "--"
  if c.shell then
    for _, a in ipairs { "sh", "-c", c.shell } do argv[#argv + 1] = a end
  else
    for _, a in ipairs(c.command) do argv[#argv + 1] = a end
  end
  local words = {}
  for i, a in ipairs(argv) do words[i] = q(a) end
  local cmd = "timeout -k 5 120 " .. table.concat(words, " ")
  if c.tty then
    cmd = "SHELL=/bin/sh script -qec " .. q(cmd) .. " /dev/null"
  else
    cmd = "setsid -w " .. cmd
  end
  if c.container then cmd = "sh " .. CONTAINER .. " sh -c " .. q(cmd) end
  return cmd
end

-- Alerts printed by `lanner -j`: one JSON object a line (the traced
-- command's own output, if any, is skipped).
local function alerts_of(out)
  local list = {}
  for line in out:gmatch("[^\r\n]+") do
    if line:sub(1, 1) == "{" then
      local obj = json.decode(line)
      if type(obj) == "table" and obj.rule then list[#list + 1] = obj end
    end
  end
  return list
end

-- Runs every case (but the pending ones) under lanner, JOBS at a time;
-- returns {[i] = {rc =, alerts =, err =}}.  Each case gets its own $T,
-- removed when it ends.
local JOBS = 3
-- The system's programs (not a version manager's shims, which make every
-- python3 a shell script first).
local CASE_PATH = "/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
local function run_cases(cases)
  local dir = mkdtemp()
  for i, c in ipairs(cases) do
    if not c.pending then
      local base = ("%s/%03d"):format(dir, i)
      local f = assert(io.open(base .. ".sh", "w"))
      f:write(("T=%s; mkdir \"$T\"; export T PATH=%s\n"):format(q(base .. ".t"), CASE_PATH),
        ("(%s) > %s 2> %s\n"):format(case_command(c), q(base .. ".out"), q(base .. ".err")),
        ("echo $? > %s\nrm -rf \"$T\"\n"):format(q(base .. ".rc")))
      f:close()
    end
  end
  sh(("ls %s/*.sh | xargs -P %d -n 1 sh"):format(q(dir), JOBS))
  local results = {}
  for i, c in ipairs(cases) do
    if not c.pending then
      local base = ("%s/%03d"):format(dir, i)
      results[i] = {
        rc = tonumber(read(base .. ".rc") or ""),
        alerts = alerts_of(read(base .. ".out") or ""),
        err = read(base .. ".err") or "",
      }
    end
  end
  sh("rm -rf " .. q(dir))
  return results
end

local function names_of(alerts)
  local seen, list = {}, {}
  for _, a in ipairs(alerts) do
    if not seen[a.rule] then seen[a.rule] = true; list[#list + 1] = a.rule end
  end
  table.sort(list)
  return seen, list
end

local function parse_file(path)
  local src = assert(read(path), path)
  local docs, err = yaml.parse(src, path)
  assert(docs, err)
  return docs[1]
end

-- Every case of spec/rules/cases*.yaml, in file order.
local function load_cases()
  local _, out = sh("ls " .. CASES)
  local all = {}
  for path in out:gmatch("%S+") do
    for _, c in ipairs(parse_file(path) or {}) do
      c.file = path
      all[#all + 1] = c
    end
  end
  return all
end

-- Rule items of the packaged files, read as plain YAML.
local function packaged_rules()
  local _, out = sh("ls " .. RULES_DIR .. "/*.yaml")
  local rules = {}
  for path in out:gmatch("%S+") do
    for _, item in ipairs(parse_file(path) or {}) do
      if type(item) == "table" and item.rule then
        item.file = path
        rules[#rules + 1] = item
      end
    end
  end
  return rules
end

local ready = is_root() and read(LANNER) ~= nil

describe("packaged rules", function()
  teardown(function()
    for _, ext in ipairs { "", ".out", ".err", ".rc" } do os.remove(scratch .. ext) end
  end)

  if not ready then
    pending("needs root and build/lanner (make all)")
    return
  end

  local rules = packaged_rules()
  local cases = load_cases()

  it("validate cleanly: no errors, no warnings", function()
    local rc, out, err = sh(LANNER .. " -V -R " .. RULES_DIR .. "/")
    local text = out .. err
    assert.equal(0, rc, text)
    local n, e, w = text:match("ok: (%d+) rules, (%d+) errors, (%d+) warnings")
    assert.is_not_nil(n, text)
    assert.equal(#rules, tonumber(n))
    assert.same({ "0", "0" }, { e, w }, text)
  end)

  it("number at least 30, each with desc, output, priority and MITRE tags", function()
    assert.is_true(#rules >= 30, #rules .. " rules")
    for _, r in ipairs(rules) do
      local ctx = r.file .. ": " .. r.rule
      assert.is_string(r.desc, ctx)
      assert.is_string(r.condition, ctx)
      assert.is_string(r.output, ctx)
      for _, f in ipairs { "%proc.name", "%proc.cmdline", "%user.name", "%container.id" } do
        assert.is_truthy(r.output:find(f, 1, true), ctx .. ": output without " .. f)
      end
      assert.is_string(r.priority, ctx)
      local technique, tactic = false, false
      for _, t in ipairs(r.tags or {}) do
        t = tostring(t)
        if t:match("^T%d%d%d%d") or t:match("^TA%d%d%d%d$") then technique = true end
        if t:match("^mitre_") then tactic = true end
      end
      assert.is_true(technique, ctx .. ": no ATT&CK technique tag")
      assert.is_true(tactic, ctx .. ": no mitre_<tactic> tag")
    end
  end)

  -- An unbounded rule would make lanner stop on every syscall.
  it("each bound the event types they can match", function()
    local ok, lrules = pcall(require, "lanner.rules")
    if not ok then
      pending("lanner.rules does not load here (LANNER_LIB?): " .. tostring(lrules))
      return
    end
    local _, out = sh("ls " .. RULES_DIR .. "/*.yaml")
    local files = {}
    for path in out:gmatch("%S+") do files[#files + 1] = path end
    local set = lrules.load(files)
    assert.same({}, set.errors)
    assert.equal(#rules, #set.rules)
    for _, r in ipairs(set.rules) do
      assert.is_table(r.types, r.name .. ": matches every event type")
      assert.is_not_nil(next(r.types), r.name .. ": matches no event type")
    end
  end)

  it("each have a trigger case and a benign case", function()
    local triggered, spared = {}, {}
    for _, c in ipairs(cases) do
      for _, n in ipairs(c.expect or {}) do triggered[n] = true end
      for _, n in ipairs(c.expect_not or {}) do spared[n] = true end
    end
    local missing = {}
    for _, r in ipairs(rules) do
      if not triggered[r.rule] then missing[#missing + 1] = "no trigger: " .. r.rule end
      if not spared[r.rule] then missing[#missing + 1] = "no benign case: " .. r.rule end
    end
    assert.same({}, missing)
  end)

  it("cases name only packaged rules", function()
    local known, unknown = {}, {}
    for _, r in ipairs(rules) do known[r.rule] = true end
    for _, c in ipairs(cases) do
      for _, list in ipairs { c.expect or {}, c.expect_not or {} } do
        for _, n in ipairs(list) do
          if not known[n] then unknown[#unknown + 1] = c.name .. ": " .. n end
        end
      end
    end
    assert.same({}, unknown)
  end)

  describe("cases", function()
    local results
    lazy_setup(function() results = run_cases(cases) end)

    for i, c in ipairs(cases) do
      if c.pending then
        pending(c.name .. " (" .. c.pending .. ")")
      else
        it(c.name, function()
          local r = results[i]
          local rc, alerts, err = r.rc, r.alerts, r.err
          if c.container and rc == SKIP then
            pending("no writable cgroup to fake a container: " .. err)
            return
          end
          assert.is_true(rc ~= 124 and rc ~= 137, "timed out: " .. err)
          if not (c.expect and c.expect[1]) then
            -- benign: no alert proves nothing unless lanner ran the command
            -- to its end (its status passed on) and said nothing
            assert.equal(c.status or 0, rc, "exit status (lanner passes the command's on)\n" .. err)
            assert.equal("", err, "stderr")
          end
          local seen, list = names_of(alerts)
          local got = table.concat(list, ", ")
          for _, n in ipairs(c.expect or {}) do
            assert.is_true(seen[n] == true, ("expected '%s', got [%s]\n%s"):format(n, got, err))
          end
          for _, n in ipairs(c.expect_not or {}) do
            assert.is_nil(seen[n], ("'%s' should not alert, got [%s]"):format(n, got))
          end
          if c.quiet then
            assert.equal(0, #alerts, ("expected no alert, got [%s]"):format(got))
          end
          if c.fields and c.expect and c.expect[1] then
            local alert
            for _, a in ipairs(alerts) do
              if a.rule == c.expect[1] then alert = a; break end
            end
            for k, v in pairs(c.fields) do
              local have = alert.output_fields[k]
              assert.equal(tostring(v), tostring(have), ("%s: output field %s"):format(c.expect[1], k))
            end
          end
        end)
      end
    end
  end)
end)
