local H = dofile("spec/fixtures/rules/helper.lua")
local engine = require "lanner.rules.engine"

local function names(list)
  local out = {}
  for i, r in ipairs(list) do out[i] = r.name or r.rule end
  return out
end

local function alert_names(alerts, n)
  local out = {}
  for i = 1, n do out[i] = alerts[i].rule end
  return out
end

local CAT_OPEN = { type = "open", ["proc.name"] = "cat", ["fd.name"] = "/etc/hosts",
                   ["proc.aname[2]"] = "bash", ["evt.rawtime"] = 1700000000123456789 }

describe("rules engine", function()
  local set = H.load { "engine.yaml" }
  local opts = function(o)
    o = o or {}
    o.fields, o.hostname = H.deps.fields, "testhost"
    return o
  end

  it("loads its fixture cleanly", function()
    assert.same({}, H.texts(set.errors))
    assert.same({}, H.texts(set.warnings))
  end)

  describe("grouping by event type", function()
    local eng = set:engine(opts())

    it("gives each type its rules plus the unbounded ones, in load order", function()
      assert.same({ "Open by cat", "Anything by cat", "Any open" }, names(eng:rules_for "open"))
      assert.same({ "Open by cat", "Anything by cat" }, names(eng:rules_for "openat"))
      assert.same({ "Anything by cat", "Exec" }, names(eng:rules_for "execve"))
    end)

    it("gives a type no rule names only the unbounded rules", function()
      assert.same({ "Anything by cat" }, names(eng:rules_for "connect"))
    end)

    it("leaves disabled rules out", function()
      for _, t in ipairs { "open", "openat", "execve", "connect" } do
        for _, r in ipairs(eng:rules_for(t)) do assert.not_equal("Off", r.name) end
      end
    end)

    it("evaluates only the rules of the event's type", function()
      local seen = {}
      local probe = H.load { "engine.yaml" }
      for _, r in ipairs(probe.rules) do
        local fn = r.fn
        r.fn = function(ev) seen[#seen + 1] = r.name; return fn(ev) end
      end
      local e = probe:engine(opts { rule_matching = "all" })
      e:process { type = "execve", ["proc.name"] = "ls" }
      assert.same({ "Anything by cat", "Exec" }, seen)
    end)

    it("uses a type_name function when given one", function()
      -- The function says "connect", so Exec is never tried on this execve.
      local ev = { kind = "connect", type = "execve", ["proc.name"] = "cat" }
      local e = set:engine(opts { type_name = function(x) return x.kind end, rule_matching = "all" })
      local alerts, n = e:process(ev)
      assert.same({ "Anything by cat" }, alert_names(alerts, n))
      local d = set:engine(opts { rule_matching = "all" })
      alerts, n = d:process(ev)
      assert.same({ "Anything by cat", "Exec" }, alert_names(alerts, n))
    end)
  end)

  describe("rule_matching", function()
    it("first (the default) stops at the first matching rule in load order", function()
      local e = set:engine(opts())
      local alerts, n = e:process(CAT_OPEN)
      assert.same({ "Open by cat" }, alert_names(alerts, n))
    end)

    it("all reports every matching rule in load order", function()
      local e = set:engine(opts { rule_matching = "all" })
      local alerts, n = e:process(CAT_OPEN)
      assert.same({ "Open by cat", "Anything by cat", "Any open" }, alert_names(alerts, n))
    end)

    it("first still reaches a later rule when earlier ones do not match", function()
      local e = set:engine(opts { rule_matching = "FIRST" })
      local alerts, n = e:process { type = "open", ["proc.name"] = "vi", ["fd.name"] = "/x" }
      assert.same({ "Any open" }, alert_names(alerts, n))
    end)

    it("a redefined rule keeps its first place in the order", function()
      local src = "- rule: Untyped\n  desc: d\n  condition: proc.name = cat\n  output: u\n  priority: info\n  warn_evttypes: false\n"
        .. "- rule: Typed\n  desc: d\n  condition: evt.type = open and proc.name = cat\n  output: t\n  priority: info\n"
        .. "- rule: Untyped\n  desc: again\n  condition: proc.name = cat\n  output: u2\n  priority: info\n  warn_evttypes: false\n"
      local e = H.load(src):engine(opts())
      local alerts, n = e:process(CAT_OPEN)
      assert.same({ "Untyped" }, alert_names(alerts, n))
      assert.equal("u2", alerts[1].output)
      assert.same({ "Untyped", "Typed" }, names(e:rules_for "open"))
    end)

    it("refuses other values", function()
      assert.has_error(function() set:engine(opts { rule_matching = "some" }) end)
    end)
  end)

  describe("alerts", function()
    local e = set:engine(opts { rule_matching = "all" })
    local alerts = e:process(CAT_OPEN)

    it("carry rule, priority name, output, tags, source, hostname and time", function()
      local a = alerts[1]
      assert.same({ "Open by cat", "Notice", 5, "cat opened /etc/hosts", { "cat", "file" }, "syscall", "testhost",
                    1700000000123456789 },
        { a.rule, a.priority, a.priority_num, a.output, a.tags, a.source, a.hostname, a.time })
    end)

    it("carry the output fields with their values, field arguments included", function()
      assert.same({ ["fd.name"] = "/etc/hosts" }, alerts[1].output_fields)
      assert.same({ ["evt.type"] = "open", ["proc.aname[2]"] = "bash" }, alerts[2].output_fields)
      assert.equal("cat did open (bash)", alerts[2].output)
    end)
  end)

  it("give a missing output field as JSON null", function()
    local e = set:engine(opts())
    local alerts = e:process { type = "open", ["proc.name"] = "cat" }
    assert.equal(require("lanner.json").null, alerts[1].output_fields["fd.name"])
    assert.equal("cat opened <NA>", alerts[1].output)
  end)

  describe("allocation", function()
    it("returns the same, emptied table for every event", function()
      local e = set:engine(opts { rule_matching = "all" })
      local first, n1 = e:process(CAT_OPEN)
      assert.equal(3, n1)
      local again, n2 = e:process { type = "close", ["proc.name"] = "ls" }
      assert.equal(first, again)
      assert.equal(0, n2)
      assert.is_nil(again[1])
    end)

    it("allocates nothing for events that match no rule", function()
      local e = set:engine(opts { rule_matching = "all", time = function() return 0 end })
      local ev = { type = "close", ["proc.name"] = "ls" }
      for _ = 1, 100 do e:process(ev) end
      collectgarbage "collect"
      collectgarbage "stop"
      local before = collectgarbage "count"
      for _ = 1, 100000 do e:process(ev) end
      local grown = collectgarbage "count" - before
      collectgarbage "restart"
      assert.is_true(grown < 16, ("grew by %.1f KiB"):format(grown))
    end)
  end)

  describe("selection", function()
    local function picked(o) return names(engine.select(set.rules, o)) end

    it("drops rules below min_priority, by name or number", function()
      assert.same({ "Open by cat", "Any open", "Exec" }, picked { min_priority = "notice" })
      assert.same({ "Exec" }, picked { min_priority = 2 })
      assert.has_error(function() engine.select(set.rules, { min_priority = "loud" }) end)
    end)

    it("keeps only rules with an included tag (-t) and drops excluded tags (-T)", function()
      assert.same({ "Open by cat", "Any open" }, picked { tags = { include = { "file" } } })
      assert.same({ "Any open", "Exec" }, picked { tags = { exclude = { "cat" } } })
      assert.same({ "Any open" }, picked { tags = { include = { file = true }, exclude = { cat = true } } })
    end)

    it("disables rules by name substring (-D)", function()
      assert.same({ "Any open", "Exec" }, picked { disable = { "cat" } })
    end)

    it("can run rules marked enabled: false", function()
      assert.same({ "Open by cat", "Anything by cat", "Any open", "Exec", "Off" }, picked { enable_disabled = true })
    end)

    it("applies to the engine's buckets", function()
      local e = set:engine(opts { min_priority = "error" })
      assert.same({ "Any open" }, names(e:rules_for "open"))
      assert.same({}, names(e:rules_for "connect"))
    end)
  end)
end)
