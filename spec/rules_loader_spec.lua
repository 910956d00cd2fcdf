local H = dofile("spec/fixtures/rules/helper.lua")
local rules = require "lanner.rules"

local function rule_yaml(extra, name)
  return ("- rule: %s\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: info\n%s")
    :format(name or "R", extra or "")
end

describe("rules loader", function()
  describe("rule keys", function()
    local set = H.load { "base.yaml" }

    it("loads the fixture without errors, rules in file order", function()
      assert.same({}, H.texts(set.errors))
      assert.same({ "Shell started", "Editor opened file", "Disabled rule", "Anything by cat" }, H.names(set))
    end)

    it("keeps name, desc, condition text, output format (trimmed), file and line", function()
      local r = set.rules[1]
      assert.equal("Shell started", r.name)
      assert.equal("A shell was started, by anyone.\n", r.desc)
      assert.equal("spawned_process and proc.name in (shell_binaries) and not trusted_parent", r.condition)
      assert.equal("Shell started (proc=%proc.name parent=%proc.pname)", r.output_format)
      assert.equal(H.dir .. "base.yaml", r.file)
      assert.equal(14, r.line)
      assert.equal("syscall", r.source)
      assert.same({ "proc.name", "proc.pname" }, r.output_fields)
    end)

    it("sorts and deduplicates tags, as Falco's tag set does", function()
      local s = H.load(rule_yaml "  tags: [b, a, b]\n")
      assert.same({ "a", "b" }, s.rules[1].tags)
      assert.same({}, set.rules[4].tags)
    end)

    it("reads enabled: false, and enabled defaults to true", function()
      assert.is_false(set.rules[3].enabled)
      assert.is_true(set.rules[1].enabled)
    end)

    it("parses priorities case-insensitively, info meaning Informational", function()
      assert.same({ "Notice", 5 }, { set.rules[1].priority, set.rules[1].priority_num })
      assert.same({ "Informational", 6 }, { set.rules[2].priority, set.rules[2].priority_num })
      assert.same({ "Critical", 2 }, { set.rules[4].priority, set.rules[4].priority_num })
      local cases = { EMERGENCY = 0, alert = 1, Critical = 2, error = 3, WaRnInG = 4,
                      notice = 5, informational = 6, INFO = 6, debug = 7 }
      for text, num in pairs(cases) do
        assert.equal(num, rules.parse_priority(text), text)
      end
      assert.is_nil(rules.parse_priority "verbose")
      assert.is_nil(rules.parse_priority "inf")
    end)

    it("expands macros and lists whatever their order in the file", function()
      assert.equal(H.canon "evt.type = execve and proc.name in (bash, sh, zsh) and not proc.pname in (sshd, login)",
        H.deps.filter.tostring(set.rules[1].ast))
      -- the condition before expansion is kept too
      assert.equal(H.canon_raw "spawned_process and proc.name in (shell_binaries) and not trusted_parent",
        H.deps.filter.tostring(set.rules[1].condition_ast))
    end)

    it("warns about an unknown key, naming it and its line", function()
      local s = H.load(rule_yaml "  sevirity: high\n")
      assert.equal(1, #s.rules)
      assert.same({ "inline1.yaml:6: rule 'R': Unknown key 'sevirity'" }, H.texts(s.warnings))
    end)

    it("skips a rule of another source with a warning, like Falco without the plugin", function()
      local s = H.load(rule_yaml("  source: k8s_audit\n", "Audit") .. rule_yaml(nil, "Kept"))
      assert.same({ "Kept" }, H.names(s))
      assert.same({}, H.texts(s.errors))
      assert.is_true(H.has(s.warnings, "inline1.yaml:1: rule 'Audit': Unknown source k8s_audit, skipping"))
    end)

    it("accepts source: syscall explicitly", function()
      local s = H.load(rule_yaml "  source: syscall\n")
      assert.same({ "R" }, H.names(s))
    end)

    it("warns when a condition does not bound evt.type, unless warn_evttypes is false", function()
      assert.is_true(H.has(H.load { "base.yaml" }.warnings,
        "base.yaml:42: rule 'Anything by cat': condition does not restrict evt.type; it will be evaluated for every event"))
      local quiet = H.load "- rule: Q\n  desc: d\n  condition: proc.name = cat\n  output: o\n  priority: info\n  warn_evttypes: false\n"
      assert.same({}, H.texts(quiet.warnings))
      assert.equal(1, #quiet.rules)
    end)

    it("skip-if-unknown-filter turns an unknown field into a skipped rule with a warning", function()
      local src = "- rule: Future\n  desc: d\n  condition: evt.type = open and proc.future = 1\n"
        .. "  output: o\n  priority: info\n  skip-if-unknown-filter: true\n" .. rule_yaml(nil, "Kept")
      local s = H.load(src)
      assert.same({}, H.texts(s.errors))
      assert.same({ "Kept" }, H.names(s))
      assert.is_true(H.has(s.warnings, "inline1.yaml:3: rule 'Future': "))
      assert.is_true(H.has(s.warnings, "proc.future"))
      assert.is_true(H.has(s.warnings, "rule skipped"))
      -- without the key the same rule is an error
      local e = H.load((src:gsub("  skip%-if%-unknown%-filter: true\n", "")))
      assert.is_true(H.has(e.errors, "inline1.yaml:3: rule 'Future': "))
      assert.same({ "Kept" }, H.names(e))
    end)

    it("skip-if-unknown-filter also covers unknown fields in the output", function()
      local s = H.load "- rule: F\n  desc: d\n  condition: evt.type = open\n  output: '%proc.future'\n  priority: info\n  skip-if-unknown-filter: true\n"
      assert.same({}, H.texts(s.errors))
      assert.same({}, H.names(s))
      assert.is_true(H.has(s.warnings, "inline1.yaml:4: rule 'F': output: "))
    end)

    it("keeps a rule that uses a field lanner cannot fill, with one warning", function()
      local s = H.load "- rule: C\n  desc: d\n  condition: evt.type = open and not container.image.repository in (a, b)\n  output: o\n  priority: info\n"
      assert.same({ "C" }, H.names(s))
      assert.same({ "inline1.yaml:3: rule 'C': condition uses fields lanner cannot fill (always missing): container.image.repository" },
        H.texts(s.warnings))
    end)

    it("rewrites Falco's %container.info output placeholder", function()
      local s = H.load "- rule: C\n  desc: d\n  condition: evt.type = open\n  output: opened (%container.info)\n  priority: info\n"
      assert.equal("opened (container_id=%container.id container_name=%container.name)", s.rules[1].output_format)
      assert.same({ "container.id", "container.name" }, s.rules[1].output_fields)
    end)

    it("reads several documents of one file", function()
      local s = H.load(rule_yaml(nil, "A") .. "---\n" .. rule_yaml(nil, "B"))
      assert.same({ "A", "B" }, H.names(s))
    end)

    it("ignores empty items and warns about unknown top-level items", function()
      local s = H.load("-\n- something: else\n" .. rule_yaml())
      assert.same({ "R" }, H.names(s))
      assert.same({ "inline1.yaml:2: Unknown top level item" }, H.texts(s.warnings))
    end)
  end)

  describe("redefinition, enabling and min_priority", function()
    it("a later definition replaces a rule but keeps its first position", function()
      local s = H.load(rule_yaml(nil, "A") .. rule_yaml(nil, "B")
        .. "- rule: A\n  desc: again\n  condition: evt.type = close\n  output: o2\n  priority: error\n")
      assert.same({ "A", "B" }, H.names(s))
      assert.same({ "again", "Error", "o2" }, { s.rules[1].desc, s.rules[1].priority, s.rules[1].output_format })
      assert.equal(11, s.rules[1].line)
    end)

    it("an enabled-only item toggles an earlier rule, with Falco's deprecation warning", function()
      local s = H.load(rule_yaml "  enabled: false\n" .. "- rule: R\n  enabled: true\n")
      assert.is_true(s.rules[1].enabled)
      assert.is_true(H.has(s.warnings, "inline1.yaml:7: rule 'R': The standalone 'enabled' key usage is deprecated"))
      local d = H.load(rule_yaml() .. "- rule: R\n  enabled: false\n")
      assert.is_false(d.rules[1].enabled)
    end)

    it("min_priority drops less severe rules at load", function()
      local s = H.load({ "base.yaml" }, { min_priority = "notice" })
      assert.same({ "Shell started", "Anything by cat" }, H.names(s))
      local n = H.load({ "base.yaml" }, { min_priority = 2 })
      assert.same({ "Anything by cat" }, H.names(n))
      assert.has_error(function() H.load({ "base.yaml" }, { min_priority = "loud" }) end)
    end)

    it("an append to a rule that min_priority drops is not an error (Falco issue #305)", function()
      local s = H.load({ rule_yaml(nil, "Low") .. "- rule: Low\n  condition: and proc.name = x\n  override:\n    condition: append\n" },
        { min_priority = "error" })
      assert.same({}, H.texts(s.errors))
      assert.same({}, H.names(s))
    end)
  end)

  describe("override and append across files", function()
    local set = H.load { "base.yaml", "override.yaml" }

    it("applies list, macro and rule overrides from a later file", function()
      assert.same({}, H.texts(set.errors))
      local shell = set.by_name["Shell started"]
      assert.equal(H.canon("evt.type = execve and proc.name in (bash, sh, zsh, fish)"
        .. " and not (proc.pname in (sshd, login) or proc.pname = cron)"), H.deps.filter.tostring(shell.ast))
    end)

    it("appends condition, output and tags of a rule", function()
      local ed = set.by_name["Editor opened file"]
      assert.equal("evt.type in (open, openat) and proc.name in (editors) and fd.name startswith /etc", ed.condition)
      assert.equal("%proc.name opened %fd.name (under /etc)", ed.output_format)
      assert.same({ "etc", "file" }, ed.tags)
    end)

    it("replaces priority and enabled", function()
      local cat = set.by_name["Anything by cat"]
      assert.same({ "Warning", false }, { cat.priority, cat.enabled })
    end)

    it("keeps the first file's positions", function()
      assert.same({ "Shell started", "Editor opened file", "Disabled rule", "Anything by cat" }, H.names(set))
      assert.is_true(set.by_name["Disabled rule"].enabled)
    end)

    it("processes files in the order given", function()
      local other = H.load { "override.yaml", "base.yaml" }
      assert.is_true(H.has(other.errors, "override.yaml:2: list 'shell_binaries': List uses 'append'"))
      assert.is_true(H.has(other.errors, "override.yaml:12: rule 'Editor opened file': Rule uses 'append'"))
      assert.is_true(H.has(other.errors, "override.yaml:21: rule 'Anything by cat': An 'override.<key>: replace' to a rule was requested but no rule by that name already exists"))
    end)

    it("appends description text and replaces desc, tags, condition, output", function()
      local s = H.load(rule_yaml "  tags: [a]\n"
        .. "- rule: R\n  desc: more\n  override: {desc: append}\n"
        .. "- rule: R\n  tags: [z]\n  condition: evt.type = close\n  output: new\n  override: {tags: replace, condition: replace, output: replace}\n")
      assert.same({}, H.texts(s.errors))
      local r = s.rules[1]
      assert.same({ "d more", { "z" }, "evt.type = close", "new" }, { r.desc, r.tags, r.condition, r.output_format })
    end)

    it("replaces warn_evttypes and skip-if-unknown-filter", function()
      local s = H.load("- rule: R\n  desc: d\n  condition: proc.name = a\n  output: o\n  priority: info\n"
        .. "- rule: R\n  warn_evttypes: false\n  skip-if-unknown-filter: true\n  condition: proc.nope = 1\n"
        .. "  override: {warn_evttypes: replace, skip-if-unknown-filter: replace, condition: replace}\n")
      assert.same({}, H.texts(s.errors))
      assert.same({}, H.names(s)) -- skipped: unknown field, allowed
      assert.is_false(H.has(s.warnings, "does not restrict evt.type"))
    end)

    it("supports the legacy append: true for condition, with a deprecation warning", function()
      local s = H.load(rule_yaml() .. "- rule: R\n  condition: and proc.name = cat\n  append: true\n")
      assert.equal("evt.type = open and proc.name = cat", s.rules[1].condition)
      assert.is_true(H.has(s.warnings, "inline1.yaml:6: rule 'R': 'append' key is deprecated"))
    end)

    it("legacy append ignores keys other than condition and exceptions", function()
      local s = H.load(rule_yaml() .. "- rule: R\n  condition: and proc.name = cat\n  output: ignored\n  append: true\n")
      assert.equal("o", s.rules[1].output_format)
    end)

    it("appends to and replaces macros, and appends lists with legacy append", function()
      local s = H.load("- list: l\n  items: [a]\n- list: l\n  items: [b]\n  append: true\n"
        .. "- macro: m\n  condition: proc.name in (l)\n- macro: m\n  condition: or proc.name = c\n  append: true\n"
        .. "- rule: R\n  desc: d\n  condition: evt.type = open and m\n  output: o\n  priority: info\n")
      assert.equal(H.canon "evt.type = open and (proc.name in (a, b) or proc.name = c)", H.deps.filter.tostring(s.rules[1].ast))
      local r = H.load("- macro: m\n  condition: proc.name = a\n- macro: m\n  condition: proc.name = b\n  override: {condition: replace}\n"
        .. "- list: l\n  items: [x]\n- list: l\n  items: [y]\n  override: {items: replace}\n"
        .. "- rule: R\n  desc: d\n  condition: evt.type = open and m and fd.name in (l)\n  output: o\n  priority: info\n")
      assert.equal(H.canon "evt.type = open and proc.name = b and fd.name in (y)", H.deps.filter.tostring(r.rules[1].ast))
    end)

    it("a redefined list or macro replaces the earlier one for every rule", function()
      local s = H.load("- list: l\n  items: [a]\n- macro: m\n  condition: fd.name in (l)\n"
        .. "- rule: R\n  desc: d\n  condition: evt.type = open and m\n  output: o\n  priority: info\n"
        .. "- list: l\n  items: [z]\n")
      assert.equal(H.canon "evt.type = open and fd.name in (z)", H.deps.filter.tostring(s.rules[1].ast))
    end)

    it("expands list items that name other lists", function()
      local s = H.load("- list: inner\n  items: [a, b]\n- list: outer\n  items: [inner, c]\n"
        .. "- rule: R\n  desc: d\n  condition: evt.type = open and proc.name in (outer)\n  output: o\n  priority: info\n")
      assert.equal(H.canon "evt.type = open and proc.name in (a, b, c)", H.deps.filter.tostring(s.rules[1].ast))
    end)

    it("strips the quotes Falco rules put around list items", function()
      local s = H.load("- list: l\n  items: ['\"(systemd)\"', \"'10.0.0.0/8'\", plain, '\"a \\\"b\\\"\"']\n"
        .. "- rule: R\n  desc: d\n  condition: evt.type = open and proc.name in (l)\n  output: o\n  priority: info\n")
      assert.same({}, H.texts(s.errors))
      assert.same({ "(systemd)", "10.0.0.0/8", "plain", 'a "b"' }, s.lists.l)
      local fn = s.rules[1].fn
      assert.is_true(fn { type = "open", ["proc.name"] = "(systemd)" })
      assert.is_false(fn { type = "open", ["proc.name"] = '"(systemd)"' })
    end)

    it("refuses keys Falco does not let append or replace", function()
      local cases = {
        { "priority: append", "Key 'priority' cannot be appended to, use 'replace' instead" },
        { "enabled: append", "Key 'enabled' cannot be appended to, use 'replace' instead" },
        { "source: replace", "Key 'source' cannot be replaced" },
      }
      for _, c in ipairs(cases) do
        local key = c[1]:match "^(%S+):"
        local s = H.load(rule_yaml() .. ("- rule: R\n  %s: x\n  override:\n    %s\n"):format(key, c[1]))
        assert.same({ "inline1.yaml:9: rule 'R': " .. c[2] }, H.texts(s.errors), c[1])
      end
      local m = H.load("- macro: m\n  condition: proc.name = a\n- macro: m\n  condition: x\n  override: {items: append}\n")
      assert.is_true(H.has(m.errors, "macro 'm': Key 'items' cannot be appended to"))
      local l = H.load("- list: l\n  items: [a]\n- list: l\n  items: [b]\n  override: {condition: replace}\n")
      assert.is_true(H.has(l.errors, "list 'l': Key 'condition' cannot be replaced"))
    end)
  end)

  describe("versions and plugins", function()
    it("accepts required_engine_version as a number or semver at or below ours", function()
      for _, v in ipairs { "9", "0.26.0", "'0.45.0'", "0.10.3" } do
        local s = H.load("- required_engine_version: " .. v .. "\n" .. rule_yaml())
        assert.same({}, H.texts(s.errors), v)
        assert.same({}, H.texts(s.warnings), v)
      end
    end)

    it("warns when the rules want a newer engine, and still loads them", function()
      local s = H.load("- required_engine_version: 0.99.0\n" .. rule_yaml())
      assert.same({ "inline1.yaml:1: required_engine_version: Rules require engine version 0.99.0, but engine version is "
        .. rules.ENGINE_VERSION }, H.texts(s.warnings))
      assert.same({ "R" }, H.names(s))
      local n = H.load("- required_engine_version: 99\n" .. rule_yaml())
      assert.is_true(H.has(n.warnings, "Rules require engine version 0.99.0"))
      local major = H.load("- required_engine_version: 1.0.0\n" .. rule_yaml())
      assert.is_true(H.has(major.warnings, "Rules require engine version 1.0.0"))
    end)

    it("reports required_plugin_versions once and skips rules using plugin fields", function()
      local src = "- required_plugin_versions:\n  - name: k8saudit\n    version: 0.7.0\n  - name: json\n    version: 0.7.0\n"
        .. "- required_plugin_versions:\n  - name: container\n    version: 0.2.0\n"
        .. "- rule: Plugin field\n  desc: d\n  condition: evt.type = open and k8saudit.verb = get\n  output: o\n  priority: info\n"
        .. rule_yaml(nil, "Kept")
      local s = H.load(src)
      assert.same({}, H.texts(s.errors))
      assert.same({ "Kept" }, H.names(s))
      local plugin_notes = 0
      for _, w in ipairs(s.warnings) do if w.code == "plugins" then plugin_notes = plugin_notes + 1 end end
      assert.equal(1, plugin_notes)
      assert.is_true(H.has(s.warnings, "inline1.yaml:11: rule 'Plugin field': "))
      assert.equal(3, #s.required_plugins)
      assert.same({ "k8saudit", "0.7.0" }, { s.required_plugins[1].name, s.required_plugins[1].version })
    end)

    it("without required_plugin_versions an unknown field class stays an error", function()
      local s = H.load "- rule: P\n  desc: d\n  condition: evt.type = open and k8saudit.verb = get\n  output: o\n  priority: info\n"
      assert.is_true(H.has(s.errors, "inline1.yaml:3: rule 'P': "))
    end)
  end)

  describe("errors name file, line and item", function()
    -- Each broken fixture, and the message it must produce.
    local CASES = {
      { "missing_output.yaml", "missing_output.yaml:7: rule 'No output': Item has no mapping for key 'output'" },
      { "bad_priority.yaml", "bad_priority.yaml:5: rule 'Loud': Invalid priority 'loud'" },
      { "undefined_macro.yaml", "undefined_macro.yaml:5: rule 'Uses nope': Undefined macro 'nope' used in filter." },
      { "bad_condition.yaml", "bad_condition.yaml:8: rule 'Double equals': condition: " },
      { "append_undefined_rule.yaml", "append_undefined_rule.yaml:1: rule 'Not there': Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists" },
      { "append_undefined_macro.yaml", "append_undefined_macro.yaml:1: macro 'not_there': Macro uses 'append' or 'override.condition: append' but no macro by that name already exists" },
      { "append_undefined_list.yaml", "append_undefined_list.yaml:1: list 'not_there': List uses 'append' or 'override.items: append' but no list by that name already exists" },
      { "override_refused.yaml", "override_refused.yaml:9: rule 'R': Key 'priority' cannot be appended to, use 'replace' instead" },
      { "override_not_replaceable.yaml", "override_not_replaceable.yaml:9: rule 'R': Key 'source' cannot be replaced" },
      { "override_bad_operation.yaml", "override_bad_operation.yaml:9: rule 'R': Invalid override operation for key 'condition': 'prepend'. Allowed values are: append replace" },
      { "override_missing_key.yaml", "override_missing_key.yaml:6: rule 'R': A replace override for 'output' was specified but 'output' is not defined" },
      { "override_unexpected_key.yaml", "override_unexpected_key.yaml:8: rule 'R': Unexpected key 'desc': no corresponding entry under 'override' is defined." },
      { "override_and_append.yaml", "override_and_append.yaml:3: macro 'm': Keys 'override' and 'append: true' cannot be used together." },
      { "not_a_sequence.yaml", "not_a_sequence.yaml:1: Rules content is not yaml array of objects" },
      { "item_not_map.yaml", "item_not_map.yaml:1: Unexpected element type. Each element should be a yaml associative array." },
      { "bad_list_name.yaml", "bad_list_name.yaml:1: list 'has space': List has an invalid name." },
      { "bad_macro_name.yaml", "bad_macro_name.yaml:1: macro '9lives': Macro has an invalid name." },
      { "macro_cycle.yaml", "macro_cycle.yaml:2: macro 'ping': Macro 'ping' refers to itself (ping -> pong -> ping)" },
      { "exception_lengths.yaml", "exception_lengths.yaml:7: rule 'R': exception 'pairs': Fields and comps lists must have equal length" },
      { "exception_operator.yaml", "exception_operator.yaml:7: rule 'R': exception 'weird': 'looks_like' is not a supported comparison operator" },
      { "exception_single_comp.yaml", "exception_single_comp.yaml:7: rule 'R': exception 'single': When fields is a single value, comps must be one of (in, pmatch, intersects)" },
      { "exception_field.yaml", "exception_field.yaml:7: rule 'R': exception 'typo': " },
      { "exception_values_length.yaml", "exception_values_length.yaml:7: rule 'R': exception 'short': Fields and values lists must have equal length" },
      { "unknown_field.yaml", "unknown_field.yaml:3: rule 'Typo': " },
      { "unknown_output_field.yaml", "unknown_output_field.yaml:4: rule 'Bad output': output: " },
      { "enabled_undefined.yaml", "enabled_undefined.yaml:1: rule 'Never defined': Rule has 'enabled' key but no rule by that name already exists" },
      { "bad_engine_version.yaml", "bad_engine_version.yaml:1: required_engine_version: Unable to parse engine version 'soon' as a semver string." },
      { "different_source.yaml", "different_source.yaml:6: rule 'R': Rule has been re-defined with a different source" },
      { "empty_condition.yaml", "empty_condition.yaml:3: rule 'Empty': Mapping for key 'condition' is empty" },
      { "tags_not_sequence.yaml", "tags_not_sequence.yaml:6: rule 'Tagged': Value for key 'tags' is not a sequence" },
      { "enabled_not_bool.yaml", "enabled_not_bool.yaml:6: rule 'Maybe': Value for key 'enabled' is not a boolean: 'perhaps'" },
      { "../broken_yaml.yaml", "broken_yaml.yaml:5:12: did not find expected ',' or ']'" },
    }
    for _, c in ipairs(CASES) do
      it(c[1], function()
        local s = H.load { "broken/" .. c[1] }
        assert.is_false(s:ok())
        assert.is_true(H.has(s.errors, H.dir .. "broken/" .. c[2]) or H.has(s.errors, c[2]),
          "expected «" .. c[2] .. "» in:\n" .. table.concat(H.texts(s.errors), "\n"))
      end)
    end

    it("a condition error carries the filter parser's caret", function()
      local s = H.load { "broken/bad_condition.yaml" }
      local msg = tostring(s.errors[1])
      assert.matches("proc.name = = cat\n%s*%^", msg)
    end)

    it("a broken rule does not stop the other rules of its file, nor other files", function()
      local s = H.load { "broken/missing_output.yaml", "broken/bad_condition.yaml", "../broken_yaml.yaml", "base.yaml" }
      assert.equal(3, #s.errors)
      assert.same({ "Survivor", "Shell started", "Editor opened file", "Disabled rule", "Anything by cat" }, H.names(s))
    end)

    it("reports an unreadable file", function()
      local s = H.load { "no-such-file.yaml" }
      assert.is_true(H.has(s.errors, "no-such-file.yaml"))
    end)

    it("errors carry structured fields", function()
      local s = H.load { "broken/bad_priority.yaml" }
      local e = s.errors[1]
      assert.same({ H.dir .. "broken/bad_priority.yaml", 5, "rule 'Loud'", "Invalid priority 'loud'" },
        { e.file, e.line, e.item, e.message })
    end)
  end)

  describe("validation extras", function()
    it("reports unused lists and macros when validating", function()
      local src = "- list: spare\n  items: [a]\n- list: used\n  items: [b]\n- macro: idle\n  condition: proc.name = x\n"
        .. "- macro: busy\n  condition: fd.name in (used)\n"
        .. "- rule: R\n  desc: d\n  condition: evt.type = open and busy\n  output: o\n  priority: info\n"
      local s = H.load(src, { validate = true })
      assert.same({ "inline1.yaml:5: macro 'idle': Macro not referred to by any other rule/macro",
                    "inline1.yaml:1: list 'spare': List not referred to by any other rule/macro" }, H.texts(s.warnings))
      assert.same({}, H.texts(H.load(src).warnings))
    end)
  end)

  describe("env", function()
    it("exposes the macros and lists for a command-line filter", function()
      local s = H.load { "base.yaml" }
      local F = H.deps.filter
      local ast = assert(F.expand(assert(F.parse "spawned_process and proc.name in (shell_binaries)"), s.env))
      assert.equal(H.canon "evt.type = execve and proc.name in (bash, sh, zsh)", F.tostring(ast))
    end)
  end)

  describe("with lanner's own field catalogue", function()
    local ok, fields = pcall(require, "lanner.fields")
    if not ok then
      pending("lanner.fields needs the C core (LANNER_LIB): " .. tostring(fields))
      return
    end

    it("loads every fixture rule file without errors and bounds their event types", function()
      local s = H.load({ "base.yaml", "override.yaml", "exceptions.yaml", "exceptions_append.yaml", "engine.yaml" },
        { fields = fields, format = require "lanner.format", validate = true })
      assert.same({}, H.texts(s.errors))
      assert.same({ execve = true }, s.by_name["Shell started"].types)
      assert.same({ open = true, openat = true }, s.by_name["Editor opened file"].types)
      assert.same({ open = true }, s.by_name["Pairs"].types)
      assert.is_nil(s.by_name["Anything by cat"].types)
    end)

    it("reports a misspelt field in a condition and in an exception", function()
      local s = H.load({ "broken/unknown_field.yaml", "broken/exception_field.yaml", "broken/unknown_output_field.yaml" },
        { fields = fields, format = require "lanner.format" })
      assert.is_true(H.has(s.errors, "unknown_output_field.yaml:4: rule 'Bad output': output: "))
      assert.same(3, #s.errors)
      assert.is_true(H.has(s.errors, "unknown_field.yaml:3: rule 'Typo': "))
      assert.is_true(H.has(s.errors, "proc.nmae"))
      assert.is_true(H.has(s.errors, "exception_field.yaml:7: rule 'R': exception 'typo': "))
    end)
  end)

  describe("list() and interest()", function()
    local set = H.load { "base.yaml", "override.yaml" }

    it("lists rules with a one-line description", function()
      local rows = set:list()
      assert.equal(4, #rows)
      assert.same({ name = "Shell started", priority = "Notice", enabled = true, source = "syscall",
                    tags = { "mitre_execution", "process", "shell" }, desc = "A shell was started, by anyone." }, rows[1])
      assert.is_false(rows[4].enabled)
    end)

    it("unions event types and fields of enabled rules", function()
      local i = set:interest()
      assert.same({ execve = true, open = true, openat = true, close = true }, i.types)
      assert.is_true(i.fields["proc.name"])
      assert.is_true(i.fields["fd.name"])
      assert.is_false(i.needs_exit)
    end)

    it("is unbounded when an enabled rule does not bound evt.type", function()
      local s = H.load { "base.yaml" }
      assert.is_nil(s:interest().types)
      assert.is_not_nil(s:interest({ min_priority = "error", enable_disabled = false, tags = { exclude = { "x" } } }))
    end)

    it("includes the fields outputs print", function()
      local s = H.load "- rule: O\n  desc: d\n  condition: evt.type = open\n  output: by %user.name (%proc.aname[2])\n  priority: info\n"
      local f = s:interest().fields
      assert.is_true(f["user.name"])
      assert.is_true(f["proc.aname"])
    end)

    it("says when a rule needs the syscall's result", function()
      local s = H.load "- rule: Failed open\n  desc: d\n  condition: evt.type = open and evt.res != 0\n  output: o\n  priority: info\n"
      assert.is_true(s:interest().needs_exit)
    end)

    it("follows the same selection as the engine", function()
      local i = set:interest { tags = { include = { "shell" } } }
      assert.same({ execve = true }, i.types)
    end)
  end)
end)
