-- Parser: precedence, values, fields, operators, round trip, and the error
-- messages (text, column, caret) for broken input.
local filter = require "lanner.filter"

-- The AST without positions, for comparing shapes.
local function strip(t)
  if type(t) ~= "table" then return t end
  local c = {}
  for k, v in pairs(t) do
    if k ~= "pos" then c[k] = strip(v) end
  end
  return c
end

local function parse(src)
  local ast, err = filter.parse(src)
  assert(ast, err)
  return strip(ast)
end

local function m(name) return { op = "macro", name = name } end
local function fld(name, arg, trs) return { name = name, arg = arg, transformers = trs } end
local function cmp(f, op, value)
  if type(f) == "string" then f = fld(f) end
  return { op = "cmp", cmp = op, field = f, value = value }
end
local function s(v, num) return { kind = "str", v = v, num = num } end

describe("filter.parse", function()
  describe("precedence", function()
    local rows = {
      { "a and b or c", { op = "or", { op = "and", m "a", m "b" }, m "c" } },
      { "a or b and c", { op = "or", m "a", { op = "and", m "b", m "c" } } },
      { "not a and b", { op = "and", { op = "not", m "a" }, m "b" } },
      { "not (a and b)", { op = "not", { op = "and", m "a", m "b" } } },
      { "not not a", { op = "not", { op = "not", m "a" } } },
      { "a and b and c", { op = "and", m "a", m "b", m "c" } },
      { "a or b or c", { op = "or", m "a", m "b", m "c" } },
      { "(a or b) and c", { op = "and", { op = "or", m "a", m "b" }, m "c" } },
      { "((a))", m "a" },
      { "a and (b and c)", { op = "and", m "a", { op = "and", m "b", m "c" } } },
      { "not(a)", { op = "not", m "a" } },
      { "a and(b)or(c)", { op = "or", { op = "and", m "a", m "b" }, m "c" } },
      { "  a\n and\tb  ", { op = "and", m "a", m "b" } },
      -- keywords are whole words: these are macro names
      { "nota and andy or orb", { op = "or", { op = "and", m "nota", m "andy" }, m "orb" } },
    }
    for _, r in ipairs(rows) do
      it(("%q"):format(r[1]), function() assert.same(r[2], parse(r[1])) end)
    end
  end)

  describe("values", function()
    local rows = {
      { 'proc.name = "a b"', s "a b" },
      { "proc.name = 'a b'", s "a b" },
      { [[proc.name = "a\"b\\c\n\t"]], s 'a"b\\c\n\t' },
      { [[proc.name = 'it\'s']], s "it's" },
      { [[proc.name = "a\/b"]], s "a/b" },
      -- libsinsp's quirk: backslash-space yields a lone backslash
      { [[proc.name = "a\ b"]], s "a\\b" },
      { "fd.name = /etc/passwd", s "/etc/passwd" },
      { "fd.sip = 10.0.0.0/8", s "10.0.0.0/8" },
      { "fd.name glob *.sh", s "*.sh" },
      { "evt.arg.flags contains O_CREAT", s "O_CREAT" },
      { "proc.name = a<b>!c", s "a<b>!c" },
      { "proc.name=bash", s "bash" },
      { "evt.res = 0x1f", s("0x1f", 31) },
      { "evt.res = -5", s("-5", -5) },
      { "evt.res = +5", s("+5", 5) },
      { "evt.res = 1.5", s("1.5", 1.5) },
      { "evt.res = 1e+3", s("1e+3", 1000) },
      { 'evt.res = "5"', s "5" },
      { "evt.res < 10", s("10", 10) },
      { "evt.res >= 0X10", s("0X10", 16) },
      { "proc.name in ()", { kind = "list", items = {} } },
      { "proc.name in (bash, '/bin/sh', 10.0.0.0/8, 80, \"c, d\")", { kind = "list", items = {
        { kind = "listref", name = "bash" }, s "/bin/sh", s "10.0.0.0/8", s("80", 80), s "c, d" } } },
      { "proc.name in (a,b)", { kind = "list", items = {
        { kind = "listref", name = "a" }, { kind = "listref", name = "b" } } } },
      { "proc.name in shell_binaries", { kind = "listref", name = "shell_binaries" } },
      { "proc.name = val(proc.pname)", { kind = "field", field = fld "proc.pname" } },
      { "proc.name = val( proc.aname[1] )", { kind = "field", field = fld("proc.aname", "1") } },
      { "proc.name = tolower(proc.pname)", { kind = "field", field = fld("proc.pname", nil, { "tolower" }) } },
      { "proc.name in val(proc.pname)", { kind = "field", field = fld "proc.pname" } },
    }
    for _, r in ipairs(rows) do
      it(r[1], function() assert.same(r[2], parse(r[1]).value) end)
    end
  end)

  describe("fields", function()
    local rows = {
      { "proc.aname[2] = x", fld("proc.aname", "2") },
      { "proc.args[0] = x", fld("proc.args", "0") },
      { "evt.arg[1] = x", fld("evt.arg", "1") },
      { "proc.env[HOME] = x", fld("proc.env", "HOME") },
      { 'proc.env["MY VAR"] = x', fld("proc.env", "MY VAR") },
      { "fd.types[0] = x", fld("fd.types", "0") },
      { "evt.arg.name = x", fld "evt.arg.name" },
      { "tolower(proc.name) = x", fld("proc.name", nil, { "tolower" }) },
      { "toupper( b64(proc.name) ) = x", fld("proc.name", nil, { "b64", "toupper" }) },
      { "len(basename(proc.env[P])) = x", fld("proc.env", "P", { "basename", "len" }) },
      { "_x.y = 1", fld "_x.y" },
    }
    for _, r in ipairs(rows) do
      it(r[1], function() assert.same(r[2], parse(r[1]).field) end)
    end
  end)

  describe("operators", function()
    local ops = { "=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains",
      "startswith", "bstartswith", "endswith", "glob", "iglob", "regex", "in", "intersects", "pmatch" }
    for _, op in ipairs(ops) do
      it(op, function()
        local list = op == "in" or op == "intersects" or op == "pmatch"
        local src = "proc.name " .. op .. " " .. (list and "(1)" or "1")
        local ast = parse(src)
        assert.same("cmp", ast.op)
        assert.same(op, ast.cmp)
        if list then assert.same({ kind = "list", items = { s("1", 1) } }, ast.value)
        else assert.same(s("1", 1), ast.value) end
      end)
    end
    it("exists", function()
      assert.same({ op = "cmp", cmp = "exists", field = fld "proc.name" }, parse("proc.name exists"))
    end)
    it("symbols without blanks", function()
      assert.same(cmp("evt.res", "<=", s("5", 5)), parse("evt.res<=5"))
      assert.same(cmp("evt.res", "!=", s("5", 5)), parse("evt.res!=5"))
    end)
  end)

  it("records positions", function()
    local ast = assert(filter.parse("a and  proc.name = x"))
    assert.same(1, ast[1].pos)
    assert.same(8, ast[2].pos)
    assert.same(8, ast[2].field.pos)
  end)

  describe("tostring round trip", function()
    local rows = {
      "a and b or c", "not (a or b) and not not c", "proc.name = \"a b\"",
      "proc.name in (bash, \"sh\", \"x,y\", 10.0.0.0/8)", "tolower(b64(proc.env[\"A B\"])) = val(proc.pname)",
      "proc.name = 'a\\'b\"'", "evt.res = \"5\"", "evt.res in ()", "proc.name in shell_binaries",
      "fd.name exists and (a and (b or c))", "proc.name = \"\"", "proc.name = \"tab\\there\"",
      "proc.name = toupper(proc.pname)",
    }
    for _, src in ipairs(rows) do
      it(src, function()
        local a = parse(src)
        local text = filter.tostring(assert(filter.parse(src)))
        assert.same(a, parse(text))
      end)
    end
  end)

  describe("errors", function()
    -- input, message (without " at column N"), column
    local rows = {
      { "proc.name = ", "expected a value after '='", 13 },
      { "proc.name ==", "expected a value after '=='", 13 },
      { "a and", "expected a condition after 'and'", 6 },
      { "a or ", "expected a condition after 'or'", 6 },
      { "not", "expected a condition after 'not'", 4 },
      { "not ", "expected a condition after 'not'", 5 },
      { "(a", "expected 'and', 'or' or ')'", 3 },
      { "(a or b", "expected 'and', 'or' or ')'", 8 },
      { "a b", "expected 'and', 'or' or the end of the condition", 3 },
      { "a)", "expected 'and', 'or' or the end of the condition", 2 },
      { "proc.name", "expected an operator after 'proc.name'", 10 },
      { "proc.name ! x", "expected an operator after 'proc.name'", 11 },
      { "tolower(proc.name)", "expected an operator after 'tolower(...)'", 19 },
      { "foo = 1", "'foo' is not a field name (fields have a dot, like proc.name)", 1 },
      { 'proc.name = "abc', "unterminated string", 13 },
      { "proc.name = 'abc\\'", "unterminated string", 13 },
      { [[proc.name = "a\q"]], "unsupported escape '\\q' in string", 15 },
      { [[proc.name = "a\'"]], "invalid escape '\\'' in a \"-quoted string", 15 },
      { "proc.name < abc", "expected a number after '<'", 13 },
      { "proc.name >= '5'", "expected a number after '>='", 14 },
      { "proc.name in bash)", "expected 'and', 'or' or the end of the condition", 18 },
      { "proc.name in \"x\"", "expected a list after 'in'", 14 },
      { "proc.name pmatch /etc", "expected a list after 'pmatch'", 18 },
      { "proc.name in (a,", "expected a list item after ','", 17 },
      { "proc.name in (a b)", "expected ',' or ')' in the list", 17 },
      { "proc.name in (", "expected a list item or ')'", 15 },
      { "proc.name = (a)", "expected a value after '='", 13 },
      { "proc.aname[ = x", "expected a field argument after '['", 12 },
      { "proc.aname[2 = x", "expected ']' after the field argument", 13 },
      { "tolower(a) = x", "expected a field inside 'tolower('", 9 },
      { "tolower(proc.name = x", "expected ')' to close 'tolower('", 19 },
      { "proc.name = val(x)", "expected a field inside 'val('", 17 },
      { "proc.name = val(proc.pname", "expected ')' to close 'val('", 27 },
      { "val(proc.name) = x", "val() can only follow an operator", 1 },
      { "foo(proc.name) = x", "unknown transformer 'foo'", 1 },
      { "a and and b", "expected a condition after 'and'", 7 },
      { "= 5", "expected a condition", 1 },
      { "'x'", "expected a condition", 1 },
      { "proc.name exists x", "expected 'and', 'or' or the end of the condition", 18 },
      { "proc.name containsx", "expected an operator after 'proc.name'", 11 },
    }
    for _, r in ipairs(rows) do
      it(("%q"):format(r[1]), function()
        local ast, err = filter.parse(r[1])
        assert.is_nil(ast)
        assert.same(("%s at column %d"):format(r[2], r[3]), err:match("^[^\n]*"))
      end)
    end

    it("shows the source and a caret under the column", function()
      local _, err = filter.parse("proc.name = bash and fd.name =")
      assert.same("expected a value after '=' at column 31\n" ..
        "proc.name = bash and fd.name =\n" ..
        "                              ^", err)
    end)

    it("gives line and column in a multi-line condition", function()
      local _, err = filter.parse("a and\n  b and\n  c d")
      assert.same("expected 'and', 'or' or the end of the condition at line 3, column 5\n" ..
        "  c d\n    ^", err)
    end)

    it("keeps tabs under the caret", function()
      local _, err = filter.parse("\ta b")
      assert.same("\ta b\n\t  ^", err:match("\n(.*)$"))
    end)

    it("cuts a long line to a window around the column", function()
      local src = string.rep("a and ", 100) .. "b c" .. string.rep(" and a", 100)
      local _, err = filter.parse(src)
      local msg, text, caret = err:match("^([^\n]*)\n([^\n]*)\n([^\n]*)$")
      assert.same("expected 'and', 'or' or the end of the condition at column 603", msg)
      assert.is_true(#text < 120)
      assert.same("c", text:sub(#caret, #caret))
    end)

    it("rejects empty input", function()
      assert.same({ nil, "empty condition" }, { filter.parse("") })
      assert.same({ nil, "empty condition" }, { filter.parse(" \n\t") })
    end)

    it("limits nesting instead of overflowing", function()
      local ast, err = filter.parse(string.rep("(", 5000) .. "a" .. string.rep(")", 5000))
      assert.is_nil(ast)
      assert.matches("nested too deeply", err)
      assert.truthy(filter.parse(string.rep("(", 90) .. "a" .. string.rep(")", 90)))
      assert.is_nil((filter.parse(string.rep("not ", 500) .. "a")))
    end)

    it("raises on API misuse only", function()
      assert.has_error(function() filter.parse(nil) end)
      assert.has_error(function() filter.parse({}) end)
    end)
  end)

  describe("fields()", function()
    it("lists each field once, right-hand sides included", function()
      local ast = assert(filter.parse(
        "proc.name = x and (proc.aname[2] = y or proc.name = z) and fd.name = val(proc.cwd) and proc.aname[3] exists"))
      assert.same({ { name = "proc.name" }, { name = "proc.aname", arg = "2" }, { name = "fd.name" },
        { name = "proc.cwd" }, { name = "proc.aname", arg = "3" } }, filter.fields(ast))
    end)
  end)
end)

describe("filter.expand", function()
  local function expand(src, env)
    local ast, err = filter.expand(assert(filter.parse(src)), env)
    if not ast then return nil, err end
    return strip(ast)
  end

  it("substitutes nested macros, defined in any order", function()
    local env = { macros = {
      spawned = assert(filter.parse("evt.type = execve and shell")),
      shell = assert(filter.parse("proc.name in (sh, bash)")),
    } }
    assert.same(parse("not (evt.type = execve and proc.name in (\"sh\", \"bash\")) or x.y = 1"),
      expand("not spawned or x.y = 1", env))
  end)

  it("accepts macro text as well as parsed macros", function()
    assert.same(parse("a.b = 1"), expand("m", { macros = { m = "a.b = 1" } }))
    local ast, err = expand("m", { macros = { m = "a.b =" } })
    assert.is_nil(ast)
    assert.matches("^macro 'm': expected a value after '='", err)
  end)

  it("splices lists, lists of lists, and leaves other words as strings", function()
    local env = { lists = {
      shells = { "sh", "bash", "more_shells" }, more_shells = { "zsh", "fish" },
      ports = { 80, "443" }, empty = {},
    } }
    local items = function(...) return { kind = "list", items = { ... } } end
    assert.same(items(s "sh", s "bash", s "zsh", s "fish", s "ksh", s "c d"),
      expand("proc.name in (shells, ksh, 'c d')", env).value)
    assert.same(items(s("80", 80), s("443", 443)), expand("fd.port in (ports)", env).value)
    assert.same(items(s "sh", s "bash", s "zsh", s "fish"), expand("proc.name in shells", env).value)
    assert.same(items(s "nolist"), expand("proc.name in nolist", env).value)
    assert.same(items(), expand("proc.name in (empty)", env).value)
    -- a quoted name is a string, not a list reference
    assert.same(items(s "shells"), expand("proc.name in ('shells')", env).value)
  end)

  it("expands lists inside macros", function()
    local env = { macros = { m = "proc.name in (l)" }, lists = { l = { "a" } } }
    assert.same({ kind = "list", items = { s "a" } }, expand("m", env).value)
  end)

  it("reports undefined macros and cycles", function()
    assert.same({ nil, "undefined macro 'nope'" }, { expand("a.b = 1 and nope") })
    assert.same({ nil, "undefined macro 'c'" }, { expand("a", { macros = { a = "b", b = "c" } }) })
    assert.same({ nil, "macro cycle: a -> b -> a" },
      { expand("x.y = 1 or a", { macros = { a = "b and x.y = 2", b = "not a" } }) })
    assert.same({ nil, "macro cycle: a -> a" }, { expand("a", { macros = { a = "a" } }) })
    assert.same({ nil, "list cycle: l1 -> l2 -> l1" },
      { expand("p.n in (l1)", { lists = { l1 = { "x", "l2" }, l2 = { "l1" } } }) })
  end)

  it("uses a macro twice without a false cycle", function()
    assert.truthy(expand("m and m and n", { macros = { m = "a.b = 1", n = "m" } }))
  end)

  it("stops a macro chain that explodes", function()
    local macros = { m0 = "a.b = 1" }
    for i = 1, 40 do macros["m" .. i] = ("m%d and m%d"):format(i - 1, i - 1) end
    local ast, err = expand("m40", { macros = macros })
    assert.is_nil(ast)
    assert.same("condition too large after macro expansion", err)
  end)

  it("returns a fresh tree and leaves its inputs alone", function()
    local m = assert(filter.parse("a.b in (l)"))
    local before = strip(m)
    local env = { macros = { m = m }, lists = { l = { "x" } } }
    local out = assert(filter.expand(assert(filter.parse("m and m")), env))
    assert.same(before, strip(m))
    assert.are_not.equal(out[1], out[2])
    assert.are_not.equal(out[1].field, out[2].field)
  end)
end)
