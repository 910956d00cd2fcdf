-- -p formats, Falco outputs, -j JSON, and the JSON encoder.
local ffi = require "ffi"
local H = require "spec.fields_helper"
local format = require "lanner.format"
local json = require "lanner.json"
local fields = require "lanner.fields"

pcall(ffi.cdef, "int setenv(const char *, const char *, int); void tzset(void);")
ffi.C.setenv("TZ", "UTC", 1)
ffi.C.tzset()

local TS = 1700000000123456789ULL

describe("format", function()
	local ev, entry, bare
	before_each(function()
		H.reset()
		local p = H.proc { pid = 200, comm = "cat", exe = "cat", args = { "/etc/passwd" } }
		local th = H.thread { tid = 201, proc = p }
		local fd = H.fd { num = 3, name = "/etc/passwd" }
		ev = H.event { num = 7, ts = TS, cpu = 1, type = "openat", thread = th, fd = fd, res = 3,
			params = { dirfd = -100, name = "/etc/passwd", flags = 0, mode = 0 } }
		entry = H.event { num = 8, ts = TS, cpu = 0, type = "openat", thread = th,
			params = { dirfd = -100, name = "/etc/passwd", flags = 0, mode = 0 } }
		bare = H.event { num = 9, ts = TS, type = "read", tid = 42, res = 0 }
	end)

	local function run(fmt, e)
		local f = assert(format.compile(fmt))
		return f(e or ev)
	end

	it("prints fields and literal text", function()
		assert.are.equal("cat opened /etc/passwd (fd 3)", run("%proc.name opened %fd.name (fd %fd.num)"))
		assert.are.equal("3X", run("%evt.numX", H.event { num = 3, type = "read" }))
		assert.are.equal("ENOENT? no", run("%evt.res? no", H.event { type = "openat", res = -2 }))
		assert.are.equal("[/etc/passwd]", run("[%evt.arg.name]"))
		assert.are.equal("<f>/etc/passwd,AT_FDCWD", run("%evt.arg.fd,%evt.arg[1]"))
		assert.are.equal("name=cat.", run("name=%proc.name."))
		assert.are.equal("100%", run("100%%"))
		assert.are.equal("true false", run("%evt.is_open_read %evt.is_open_write"))
	end)

	it("widths pad on the right and cut, as std::string::resize", function()
		assert.are.equal("cat       |", run("%10proc.name|"))
		assert.are.equal("/etc/|", run("%5fd.name|"))
		assert.are.equal("3|", run("%1fd.num|"))
		assert.are.equal("<NA>  |", run("*%6proc.pname|"))
	end)

	it("without '*' a missing field drops the line; with it, <NA>", function()
		assert.is_nil(run("%proc.name %evt.res", entry))
		assert.are.equal("cat <NA>", run("*%proc.name %evt.res", entry))
		assert.are.equal("cat SUCCESS", run("%proc.name %evt.res"))
		-- Falco outputs always print
		local out = assert(format.compile_output("user=%user.name parent=%proc.pname"))
		assert.are.equal("user=root parent=<NA>", out(ev))
		assert.are.equal("*x", assert(format.compile("**x"))(ev))
	end)

	it("rejects bad formats", function()
		local rows = {
			{ "", "empty format" },
			{ "abc %", "cannot end with a %" },
			{ "%12", "cannot end with a number" },
			{ "%proc.nope", "unknown field 'proc.nope'" },
			{ "%evt.arg", "requires an argument" },
			{ "% x", "expected a field name" },
		}
		for _, r in ipairs(rows) do
			local f, msg = format.compile(r[1])
			assert.is_nil(f, r[1])
			assert.truthy(msg:find(r[2], 1, true), r[1] .. ": " .. tostring(msg))
		end
		assert.has_error(function() format.compile(nil) end)
	end)

	it("sysdig's default line", function()
		assert.are.equal("*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info",
			format.DEFAULT)
		assert.are.equal("7 22:13:20.123456789 1 cat (201) < openat fd=3(<f>/etc/passwd) dirfd=-100(AT_FDCWD) "
			.. "name=/etc/passwd flags=0(O_RDONLY) mode=0 dev=0x0 ino=0 ", format.default_line(ev))
		assert.are.equal("9 22:13:20.123456789 0 <NA> (42) < read res=0 data= fd=0 size=0 ", format.default_line(bare))
		assert.are.equal("8 22:13:20.123456789 0 cat (201) > openat dirfd=-100(AT_FDCWD) name=/etc/passwd "
			.. "flags=0(O_RDONLY) mode=0 ", format.default_line(entry))
	end)

	it("lists a format's fields as written", function()
		assert.are.same({ "proc.name", "evt.arg.fd", "proc.aname[2]", "fd.num" },
			format.fields_of("*%proc.name %evt.arg.fd %proc.name %proc.aname[2] (%10fd.num)"))
		assert.are.same({}, format.fields_of("no fields"))
		assert.is_nil(format.fields_of("%nope.x"))
	end)

	it("prints list fields as (a,b)", function()
		local p1 = H.proc { pid = 1, comm = "init" }
		local p2 = H.proc { pid = 50, ppid = 1, comm = "sh" }
		local p3 = H.proc { pid = 60, ppid = 50, comm = "ls" }
		H.world { procs = { p1, p2, p3 } }
		local e = H.event { type = "read", res = 0, thread = H.thread { proc = p3 } }
		assert.are.equal("(sh,init) sh", run("%proc.aname %proc.aname[1]", e))
	end)
end)

describe("format.json", function()
	local ev
	before_each(function()
		H.reset()
		local th = H.thread { tid = 201, proc = H.proc { pid = 200, comm = "c\"at" } }
		ev = H.event { num = 7, ts = TS, cpu = 1, type = "write", thread = th, res = 5,
			fd = H.fd { num = 1, name = "/dev/pts/0" }, params = { fd = 1, data = "hi\n\0\255", size = 5 } }
	end)

	it("sysdig -j's default object: sorted keys, typed values, exact times", function()
		assert.are.equal('{"evt.cpu":1,"evt.dir":"<","evt.info":"res=5 data=hi... fd=1(<f>/dev/pts/0) size=5 ",'
			.. '"evt.num":7,"evt.outputtime":1700000000123456789,"evt.type":"write","proc.name":"c\\"at",'
			.. '"thread.tid":201}', format.json(ev))
	end)

	it("given fields: missing ones null, booleans, numbers, multi as arrays", function()
		assert.are.equal('{"evt.buffer":"hi...","evt.failed":false,"evt.rawtime":1700000000123456789,'
			.. '"fd.num":1,"proc.aname":null,"proc.pname":null}',
			format.json(ev, { "proc.pname", "evt.failed", "fd.num", "evt.rawtime", "evt.buffer", "proc.aname" }))
		assert.has_error(function() format.json(ev, { "no.such" }) end)
		local p1 = H.proc { pid = 1, comm = "init" }
		local p2 = H.proc { pid = 50, ppid = 1, comm = "sh" }
		H.world { procs = { p1, p2 } }
		local e = H.event { type = "read", res = 0, thread = H.thread { proc = H.proc { pid = 60, ppid = 50 } } }
		assert.are.equal('{"proc.apid":[50,1]}', format.json(e, { "proc.apid" }))
	end)

	it("compiles -p formats to JSON, keeping the '*' rule", function()
		local f = assert(format.compile_json("%proc.name %proc.pname"))
		assert.is_nil(f(ev))
		f = assert(format.compile_json("*%proc.name %proc.pname %proc.name"))
		assert.are.equal('{"proc.name":"c\\"at","proc.pname":null}', f(ev))
		assert.are.equal('{"evt.time":1700000000123456789}', assert(format.compile_json("%evt.time"))(ev))
	end)

	it("gives Falco's output_fields as a table for json.encode", function()
		local of = format.json_fields(ev, { "evt.time", "proc.pname", "fd.num" })
		assert.are.equal('{"evt.time":1700000000123456789,"fd.num":1,"proc.pname":null}', json.encode(of))
		assert.has_error(function() format.json_fields(ev, { "nope" }) end)
	end)

	it("zero-padded numbers are plain JSON numbers", function()
		local e = H.event { type = "read", res = 0, ts = 1700000000000000005ULL }
		fields.set_capture_start(1700000000000000000ULL)
		assert.are.equal('{"evt.rawtime.ns":5,"evt.reltime":5}', format.json(e, { "evt.rawtime.ns", "evt.reltime" }))
		fields.set_capture_start(nil)
	end)
end)

describe("json encoder", function()
	it("quotes and escapes", function()
		local rows = {
			{ "plain", '"plain"' },
			{ 'q"b\\s/', '"q\\"b\\\\s/"' },
			{ "\b\f\n\r\t", '"\\b\\f\\n\\r\\t"' },
			{ "\0\1\31\127", '"\\u0000\\u0001\\u001f\127"' },
			{ "h\195\169llo \226\130\172 \240\159\152\128", '"h\195\169llo \226\130\172 \240\159\152\128"' },
			-- invalid UTF-8 becomes U+FFFD, one per bad byte
			{ "a\255b", '"a\239\191\189b"' },
			{ "\192\175", '"\239\191\189\239\191\189"' },          -- overlong '/'
			{ "\237\160\128", '"\239\191\189\239\191\189\239\191\189"' }, -- surrogate
			{ "\244\144\128\128", '"\239\191\189\239\191\189\239\191\189\239\191\189"' }, -- > U+10FFFF
			{ "\226\130", '"\239\191\189\239\191\189"' },          -- truncated
		}
		for _, r in ipairs(rows) do assert.are.equal(r[2], json.quote(r[1]), r[1]) end
	end)

	it("encodes values", function()
		assert.are.equal("null", json.encode(nil))
		assert.are.equal("null", json.encode(json.null))
		assert.are.equal("true", json.encode(true))
		assert.are.equal("42", json.encode(42))
		assert.are.equal("-7", json.encode(-7))
		assert.are.equal("0.5", json.encode(0.5))
		assert.are.equal("null", json.encode(0 / 0))
		assert.are.equal("null", json.encode(math.huge))
		assert.are.equal("1700000000123456789", json.encode(1700000000123456789ULL))
		assert.are.equal("-5", json.encode(-5LL))
		assert.are.equal('[1,"a",null]', json.encode({ 1, "a", json.null }))
		assert.are.equal("[]", json.encode(json.array()))
		assert.are.equal("{}", json.encode({}))
		assert.are.equal('{"a":1,"b":{"c":[true]}}', json.encode({ b = { c = { true } }, a = 1 }))
		assert.are.equal('{"x":12.5e3}', json.encode({ x = json.raw("12.5e3") }))
		assert.are.equal('{"z":1,"a":{"b":3,"y":2},"c":4}',
			json.encode({ a = { b = 3, y = 2 }, c = 4, z = 1 }, { "z", "a", "missing" }))
		assert.has_error(function() json.encode(print) end)
		local loop = {}
		loop.self = loop
		assert.has_error(function() json.encode(loop) end)
	end)

	it("round-trips through a real parser", function()
		local dk = require "dkjson"
		local v = { s = "x\0y\n\"\\\226\130\172", n = 3, b = false, l = { 1, 2 } }
		local back = dk.decode(json.encode(v))
		assert.are.same(v, back)
	end)
end)
