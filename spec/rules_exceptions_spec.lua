local H = dofile("spec/fixtures/rules/helper.lua")
local exceptions = require "lanner.rules.exceptions"
local yaml = require "lanner.yaml"

-- The exceptions node of a YAML snippet `exceptions: [...]`.
local function read(src, is_update)
  local node = assert(yaml.parse_nodes(src))[1].map.exceptions
  local err
  local list = exceptions.read(node, function(msg, line) err = { msg, line } end, is_update)
  return list, err
end

local function text_of(src)
  local list = assert(read(src))
  local ex = list[1]
  assert(exceptions.validate(ex))
  return exceptions.to_text(ex)
end

describe("rule exceptions", function()
  describe("reading and validating", function()
    it("defaults comps to = per field for a field list", function()
      local list = read "exceptions:\n  - name: a\n    fields: [proc.name, fd.name]\n    values: [[x, y]]\n"
      assert(exceptions.validate(list[1]))
      assert.same({ is_list = true, items = { { item = "=" }, { item = "=" } } }, list[1].comps)
    end)

    it("defaults comps to in for a single field", function()
      local list = read "exceptions:\n  - name: a\n    fields: proc.name\n    values: [x]\n"
      assert(exceptions.validate(list[1]))
      assert.same({ item = "in" }, list[1].comps)
    end)

    it("accepts pmatch and intersects for a single field, nothing else", function()
      for _, op in ipairs { "pmatch", "intersects", "in" } do
        local list = read(("exceptions:\n  - name: a\n    fields: proc.name\n    comps: %s\n    values: [x]\n"):format(op))
        assert.is_true(exceptions.validate(list[1]))
      end
      local list = read "exceptions:\n  - name: a\n    fields: proc.name\n    comps: contains\n    values: [x]\n"
      assert.same({ nil, "When fields is a single value, comps must be one of (in, pmatch, intersects)" },
        { exceptions.validate(list[1]) })
    end)

    it("refuses a comps list with a single field", function()
      local list = read "exceptions:\n  - name: a\n    fields: proc.name\n    comps: [in]\n    values: [x]\n"
      assert.same({ nil, "Fields and comps must both be strings" }, { exceptions.validate(list[1]) })
    end)

    it("checks fields against the catalogue when given a checker", function()
      local list = read "exceptions:\n  - name: a\n    fields: [proc.name, bad.field]\n    values: [[x, y]]\n"
      local ok, err = exceptions.validate(list[1], function(f)
        if f == "bad.field" then return nil, "no such field 'bad.field'" end
        return true
      end)
      assert.same({ nil, "no such field 'bad.field'" }, { ok, err })
    end)

    it("reports structural problems with their line", function()
      local cases = {
        { "exceptions: notalist\n", "Rule exceptions must be a sequence", 1 },
        { "exceptions:\n  - just text\n", "Rule exception must be a mapping", 2 },
        { "exceptions:\n  - fields: [a.b]\n", "Rule exception must have a 'name'", 2 },
        { "exceptions:\n  - name: a\n    values: [[x]]\n", "exception 'a': Item has no mapping for key 'fields'", 2 },
        { "exceptions:\n  - name: a\n    fields: [a.b]\n  - name: a\n    fields: [a.b]\n",
          "exception 'a': Exceptions names in the same object must be unique", 4 },
        { "exceptions:\n  - name: a\n    fields: [a.b]\n    values: x\n", "exception 'a': Rule exception values must be a sequence", 4 },
        { "exceptions:\n  - name: a\n    fields: {x: y}\n", "exception 'a': fields: Value must be a scalar or a sequence", 3 },
      }
      for _, c in ipairs(cases) do
        local list, err = read(c[1])
        assert.is_nil(list, c[1])
        assert.same({ c[2], c[3] }, err, c[1])
      end
    end)

    it("lets an update leave out fields", function()
      local list = read("exceptions:\n  - name: a\n    values: [[x]]\n", true)
      assert.is_nil(list[1].fields)
      assert.equal(1, #list[1].values)
    end)

    it("treats an empty exceptions key as none", function()
      assert.same({}, read "exceptions:\n")
    end)
  end)

  describe("condition text", function()
    it("joins fields with and, tuples with or", function()
      assert.equal("((proc.name = a and fd.name = b) or (proc.name = c and fd.name = d))",
        text_of "exceptions:\n  - name: e\n    fields: [proc.name, fd.name]\n    values: [[a, b], [c, d]]\n")
    end)

    it("writes a single field as one in-list", function()
      assert.equal("proc.name in (a, b)", text_of "exceptions:\n  - name: e\n    fields: proc.name\n    values: [a, b]\n")
    end)

    it("parenthesizes a scalar under a list operator, so it may name a list", function()
      assert.equal("((proc.name in (my_list)))",
        text_of "exceptions:\n  - name: e\n    fields: [proc.name]\n    comps: [in]\n    values: [[my_list]]\n")
    end)

    it("writes a sequence value as a list", function()
      assert.equal("((proc.name in (a, b) and fd.name startswith /tmp))",
        text_of "exceptions:\n  - name: e\n    fields: [proc.name, fd.name]\n    comps: [in, startswith]\n    values: [[[a, b], /tmp]]\n")
    end)

    it("quotes values that are not one bare word, escaping quotes and backslashes", function()
      assert.equal([[((fd.name = "/a b" and proc.cmdline contains "say \"hi\" \\o/"))]],
        text_of "exceptions:\n  - name: e\n    fields: [fd.name, proc.cmdline]\n    comps: [=, contains]\n    values: [['/a b', 'say \"hi\" \\o/']]\n")
      assert.equal('proc.name in ("a,b", "c=d", "(x)")',
        text_of "exceptions:\n  - name: e\n    fields: proc.name\n    values: ['a,b', 'c=d', '(x)']\n")
    end)

    it("keeps a value its author quoted, as Falco does", function()
      assert.equal([[proc.name in ("my proc", 'x')]],
        text_of "exceptions:\n  - name: e\n    fields: proc.name\n    values: ['\"my proc\"', \"'x'\"]\n")
    end)

    it("keeps a value written in parentheses under a list operator", function()
      assert.equal("((proc.name in (curl, wget)))",
        text_of "exceptions:\n  - name: e\n    fields: [proc.name]\n    comps: [in]\n    values: [['(curl, wget)']]\n")
    end)

    it("adds nothing for an exception without values", function()
      assert.is_false(text_of "exceptions:\n  - name: e\n    fields: [proc.name]\n")
      assert.is_false(text_of "exceptions:\n  - name: e\n    fields: proc.name\n    values: []\n")
    end)

    it("refuses tuples of the wrong length and lists in single-field values", function()
      assert.same({ nil, "Fields and values lists must have equal length" },
        { text_of "exceptions:\n  - name: e\n    fields: [a.b, c.d]\n    values: [[x]]\n" })
      assert.same({ nil, "Fields and values lists must have equal length" },
        { text_of "exceptions:\n  - name: e\n    fields: [a.b]\n    values: [x]\n" })
      assert.same({ nil, "Expected values array to contain a list of strings" },
        { text_of "exceptions:\n  - name: e\n    fields: a.b\n    values: [[x]]\n" })
    end)
  end)

  describe("in loaded rules", function()
    local set = H.load { "exceptions.yaml" }
    local F = H.deps.filter

    it("loads without errors", function()
      assert.same({}, H.texts(set.errors))
    end)

    local EXPECTED = {
      ["Pairs"] = 'evt.type = open and not ((proc.name = nginx and fd.name = /var/log/nginx.log)'
        .. ' or (proc.name = apache and fd.name = "/var/log/with space.log"))',
      ["Comps"] = "evt.type = open and not ((proc.name in (bash, sh) and fd.name startswith /tmp/)"
        .. " or (proc.name in (vim, nano) and fd.name startswith /etc/))",
      ["Single field"] = "evt.type = open and not proc.name in (cat, vim, nano)"
        .. " and not fd.name pmatch (/proc, /sys)",
      ["Empty"] = "evt.type = open",
      ["Paren value"] = "evt.type = open and not (proc.name in (curl, wget) and fd.name = /x)",
    }
    for name, want in pairs(EXPECTED) do
      it("builds (condition) and not (exception) for " .. name, function()
        assert.equal(H.canon(want), F.tostring(set.by_name[name].ast))
      end)
    end

    it("keeps each exception's generated text", function()
      assert.same({ "proc.name in (cat, admin_tools)", "fd.name pmatch (/proc, /sys)" },
        set.by_name["Single field"].exception_conditions)
    end)

    it("evaluates exceptions against events", function()
      local pairs_fn = set.by_name["Pairs"].fn
      assert.is_true(pairs_fn { type = "open", ["proc.name"] = "nginx", ["fd.name"] = "/etc/passwd" })
      assert.is_false(pairs_fn { type = "open", ["proc.name"] = "nginx", ["fd.name"] = "/var/log/nginx.log" })
      assert.is_false(pairs_fn { type = "open", ["proc.name"] = "apache", ["fd.name"] = "/var/log/with space.log" })
      assert.is_true(pairs_fn { type = "open", ["proc.name"] = "apache", ["fd.name"] = "/var/log/nginx.log" })

      local single = set.by_name["Single field"].fn
      assert.is_false(single { type = "open", ["proc.name"] = "vim", ["fd.name"] = "/x" })
      assert.is_false(single { type = "open", ["proc.name"] = "ls", ["fd.name"] = "/proc/1/status" })
      assert.is_true(single { type = "open", ["proc.name"] = "ls", ["fd.name"] = "/etc/hosts" })

      local comps = set.by_name["Comps"].fn
      assert.is_false(comps { type = "open", ["proc.name"] = "sh", ["fd.name"] = "/tmp/x" })
      assert.is_true(comps { type = "open", ["proc.name"] = "sh", ["fd.name"] = "/etc/x" })
      assert.is_false(comps { type = "open", ["proc.name"] = "nano", ["fd.name"] = "/etc/x" })
    end)

    describe("appended and replaced by a later file", function()
      local s2 = H.load { "exceptions.yaml", "exceptions_append.yaml" }

      it("loads without errors", function()
        assert.same({}, H.texts(s2.errors))
      end)

      it("adds values to an exception by name and adds new exceptions", function()
        assert.equal(H.canon("evt.type = open and not ((proc.name = nginx and fd.name = /var/log/nginx.log)"
          .. ' or (proc.name = apache and fd.name = "/var/log/with space.log")'
          .. " or (proc.name = postgres and fd.name = /var/lib/pg)) and not user.name = backup"),
          F.tostring(s2.by_name["Pairs"].ast))
        assert.is_false(s2.by_name["Pairs"].fn { type = "open", ["proc.name"] = "postgres", ["fd.name"] = "/var/lib/pg" })
        assert.is_false(s2.by_name["Pairs"].fn { type = "open", ["user.name"] = "backup" })
      end)

      it("gives values to an exception that had none, with legacy append", function()
        assert.equal(H.canon "evt.type = open and not proc.name = cat", F.tostring(s2.by_name["Empty"].ast))
      end)

      it("replaces the whole exceptions list with override replace", function()
        assert.equal(H.canon "evt.type = open and not proc.name = only", F.tostring(s2.by_name["Comps"].ast))
      end)
    end)

    it("refuses to append fields or comps to an existing exception", function()
      local base = "- rule: R\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: info\n"
        .. "  exceptions:\n    - name: e\n      fields: [proc.name]\n      values: [[a]]\n"
      local f = H.load(base .. "- rule: R\n  exceptions:\n    - name: e\n      fields: [fd.name]\n      values: [[b]]\n  override: {exceptions: append}\n")
      assert.same({ "inline1.yaml:12: rule 'R': exception 'e': Can not append exception fields to existing exception, only values" },
        H.texts(f.errors))
      local c = H.load(base .. "- rule: R\n  exceptions:\n    - name: e\n      comps: [in]\n      values: [[b]]\n  override: {exceptions: append}\n")
      assert.is_true(H.has(c.errors, "Can not append exception comps to existing exception, only values"))
    end)

    it("requires fields and values for a new exception added by append", function()
      local base = "- rule: R\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: info\n"
      local nf = H.load(base .. "- rule: R\n  exceptions:\n    - name: e\n      values: [[b]]\n  override: {exceptions: append}\n")
      assert.is_true(H.has(nf.errors, "exception 'e': Rule exception must have fields property"))
      local nv = H.load(base .. "- rule: R\n  exceptions:\n    - name: e\n      fields: [proc.name]\n  override: {exceptions: append}\n")
      assert.is_true(H.has(nv.errors, "exception 'e': Rule exception must have values property"))
      assert.is_true(H.has(nv.warnings, "Overriding/appending exception with no values"))
    end)
  end)
end)
