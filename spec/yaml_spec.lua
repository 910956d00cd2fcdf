local yaml = require "lanner.yaml"

local FIX = "spec/fixtures/rules/"

describe("lanner.yaml", function()
  describe("parse_nodes", function()
    it("keeps 1-based lines and columns of maps, keys, sequences and scalars", function()
      local docs = assert(yaml.parse_nodes("# c\n- a: 1\n  bb: [x, y]\n- z\n", "t.yaml"))
      assert.equal(1, #docs)
      local seq = docs[1]
      assert.equal("seq", seq.kind)
      assert.same({ 2, 1 }, { seq.line, seq.col })
      local map = seq.items[1]
      assert.equal("map", map.kind)
      assert.same({ 2, 3 }, { map.line, map.col })
      assert.same({ "a", "bb" }, map.keys)
      assert.same({ 3, 3 }, { map.keynode.bb.line, map.keynode.bb.col })
      local flow = map.map.bb
      assert.same({ "seq", 3, 7 }, { flow.kind, flow.line, flow.col })
      assert.same({ "y", 3, 11 }, { flow.items[2].value, flow.items[2].line, flow.items[2].col })
      assert.same({ "z", 4, 3 }, { seq.items[2].value, seq.items[2].line, seq.items[2].col })
    end)

    it("keeps scalars as written, with their style", function()
      local docs = assert(yaml.parse_nodes("a: 0755\nb: '1.10'\nc: \"x\"\nd: true\n"))
      local m = docs[1].map
      assert.same({ "0755", true, "plain" }, { m.a.value, m.a.plain, m.a.style })
      assert.same({ "1.10", false, "single" }, { m.b.value, m.b.plain, m.b.style })
      assert.equal("double", m.c.style)
      assert.equal("true", m.d.value)
    end)

    it("reads block scalars: folded joins lines, literal keeps them", function()
      local docs = assert(yaml.parse_file(FIX .. "yaml_anchors.yaml"))
      local items = docs[1].items
      local folded = items[3].map.condition
      assert.equal("evt.type = execve and evt.dir = <\n", folded.value)
      assert.equal("folded", folded.style)
      assert.equal(7, folded.line) -- the line of the `>` indicator
      assert.equal("line one\nline two\n", items[4].map.condition.value)
      assert.equal("literal", items[4].map.condition.style)
    end)

    it("resolves aliases to the anchored node", function()
      local docs = assert(yaml.parse_file(FIX .. "yaml_anchors.yaml"))
      local items = docs[1].items
      assert.equal(items[1].map.items, items[2].map.items)
      assert.same({ "bash", "sh", "z sh" }, yaml.decode(items[2].map.items))
      assert.equal("shell_binaries", items[1].map.list.value)
    end)

    it("returns every document of a stream", function()
      local docs = assert(yaml.parse_file(FIX .. "yaml_anchors.yaml"))
      assert.equal(2, #docs)
      assert.equal("second document", docs[2].items[1].map.rule.value)
      assert.equal(15, docs[2].items[1].line)
    end)

    it("returns no document for an empty or comment-only file", function()
      assert.same({}, yaml.parse_nodes(""))
      assert.same({}, yaml.parse_nodes("# nothing\n"))
    end)

    it("does not let anchors cross documents", function()
      local docs, err = yaml.parse_nodes("a: &x 1\n---\nb: *x\n", "d.yaml")
      assert.is_nil(docs)
      assert.equal("d.yaml:3:4: undefined alias 'x'", err)
    end)

    it("reports a syntax error as file:line:col with libyaml's problem", function()
      local docs, err = yaml.parse_file(FIX .. "broken_yaml.yaml")
      assert.is_nil(docs)
      assert.equal(FIX .. "broken_yaml.yaml:5:12: did not find expected ',' or ']'"
        .. " (while parsing a flow sequence at line 4, column 9)", err)
    end)

    it("reports a mapping value where none is allowed", function()
      local _, err = yaml.parse_nodes("- rule: a: b\n", "m.yaml")
      assert.equal("m.yaml:1:10: mapping values are not allowed in this context", err)
    end)

    it("reports invalid UTF-8 at its line and column", function()
      local _, err = yaml.parse_nodes("a: b\nc: \"x\255\"\n", "u.yaml")
      assert.matches("^u%.yaml:2:6: invalid leading UTF%-8 octet", err)
    end)

    it("rejects a collection used as a mapping key", function()
      local _, err = yaml.parse_nodes("? [a, b]\n: c\n", "k.yaml")
      assert.equal("k.yaml:1:3: mapping key must be a scalar", err)
    end)

    it("raises on misuse", function()
      assert.has_error(function() yaml.parse_nodes(42) end)
    end)
  end)

  describe("parse (plain values)", function()
    it("types plain scalars by the YAML 1.2 core schema, quoted ones stay strings", function()
      local d = assert(yaml.parse("a: 0755\nb: '12'\nc: true\nd: False\ne: ~\nf:\ng: 1.5\nh: 0x1f\ni: 1e3\nj: text\n"))[1]
      assert.same({ 755, "12", true, false, 1.5, 31, 1000, "text" }, { d.a, d.b, d.c, d.d, d.g, d.h, d.i, d.j })
      assert.equal(yaml.null, d.e)
      assert.equal(yaml.null, d.f)
    end)

    it("decodes a whole file, aliases sharing one table", function()
      local docs = assert(yaml.parse(assert(yaml.read_file(FIX .. "yaml_anchors.yaml")), "a.yaml"))
      assert.equal(docs[1][1].items, docs[1][2].items)
      assert.same({ rule = "second document", enabled = false, quoted = "true", number = 755 }, docs[2][1])
    end)

    it("passes errors through", function()
      local d, err = yaml.parse("[", "e.yaml")
      assert.is_nil(d)
      assert.matches("^e%.yaml:2:1: ", err)
    end)
  end)

  describe("FFI layout", function()
    -- The cdef is written by hand (yaml.h is full of macros); check it
    -- against the C compiler's view of the installed header.
    local prog = [[
#include <stdio.h>
#include <stddef.h>
#include <yaml.h>
int main(void) {
  printf("%zu %zu %zu %zu %zu %zu %zu %zu %zu\n", sizeof(yaml_event_t),
    offsetof(yaml_event_t, data.scalar.value), offsetof(yaml_event_t, data.scalar.length),
    offsetof(yaml_event_t, data.scalar.style), offsetof(yaml_event_t, start_mark),
    offsetof(yaml_parser_t, problem_mark), offsetof(yaml_parser_t, context),
    offsetof(yaml_parser_t, context_mark), sizeof(yaml_parser_t));
  return 0;
}
]]
    local dir = os.tmpname()
    os.remove(dir)
    local built = os.execute("mkdir -p " .. dir) == 0 and (function()
      local f = io.open(dir .. "/l.c", "w")
      f:write(prog)
      f:close()
      return os.execute(("cc -o %s/l %s/l.c >/dev/null 2>&1"):format(dir, dir)) == 0
    end)()
    if not built then
      pending("no C compiler or yaml.h to check the layout against")
      return
    end
    it("matches yaml.h for the events and the parser's error report", function()
      local ffi = require "ffi"
      local p = io.popen(dir .. "/l")
      local out = p:read "*a"
      p:close()
      os.execute("rm -rf " .. dir)
      local c = {}
      for n in out:gmatch "%d+" do c[#c + 1] = tonumber(n) end
      local ev, pr = "lnyaml_event", "lnyaml_parser"
      local scalar = ffi.typeof(ffi.new(ev).data.scalar)
      local data = ffi.offsetof(ev, "data")
      assert.same(c, {
        ffi.sizeof(ev), data + ffi.offsetof(scalar, "value"), data + ffi.offsetof(scalar, "length"),
        data + ffi.offsetof(scalar, "style"), ffi.offsetof(ev, "start_mark"),
        ffi.offsetof(pr, "problem_mark"), ffi.offsetof(pr, "context"), ffi.offsetof(pr, "context_mark"),
        c[9],
      })
      assert.is_true(ffi.sizeof(pr) >= c[9], "the parser storage must hold libyaml's yaml_parser_t")
    end)
  end)

  describe("helpers", function()
    it("reads booleans as yaml-cpp does (Falco's enabled:)", function()
      local m = assert(yaml.parse_nodes("a: yes\nb: Off\nc: 'false'\nd: maybe\n"))[1].map
      assert.same({ true, false, false }, { yaml.bool(m.a), yaml.bool(m.b), yaml.bool(m.c) })
      assert.is_nil(yaml.bool(m.d))
    end)

    it("tells null from an empty quoted string", function()
      local m = assert(yaml.parse_nodes("a:\nb: ''\nc: null\n"))[1].map
      assert.is_true(yaml.is_null(m.a))
      assert.is_false(yaml.is_null(m.b))
      assert.is_true(yaml.is_null(m.c))
    end)

    it("reports a missing file", function()
      local d, err = yaml.parse_file(FIX .. "no-such-file.yaml")
      assert.is_nil(d)
      assert.matches("no%-such%-file%.yaml", err)
    end)
  end)
end)
