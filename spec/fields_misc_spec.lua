-- fs.path.*, user.*, group.*, container.*, and the catalogue's interface:
-- resolve errors, list/describe, and "never raises" over every field.
local ffi = require "ffi"
local H = require "spec.fields_helper"
local fields = require "lanner.fields"
local core = require "lanner.core"

pcall(ffi.cdef, "int getpid(void);")

describe("fs.path fields", function()
	local proc, thread
	before_each(function()
		H.reset()
		proc = H.proc { pid = 300, comm = "mv", cwd = "/work" }
		thread = H.thread { proc = proc }
	end)

	local function ev(t) t.thread = thread; return H.event(t) end

	it("one-path calls, resolved and raw", function()
		local rows = {
			{ ev { type = "mkdir", res = 0, params = { path = "d/./e" } }, "/work/d/e", "d/./e" },
			{ ev { type = "unlinkat", res = 0, params = { dirfd = -100, name = "../x" } }, "/x", "../x" },
			{ ev { type = "openat", res = 4, params = { dirfd = -100, name = "/etc/hosts" } }, "/etc/hosts", "/etc/hosts" },
			{ ev { type = "chmod", res = 0, params = { filename = "f", mode = 493 } }, "/work/f", "f" },
			{ ev { type = "fchownat", res = 0, params = { dirfd = -100, pathname = "g" } }, "/work/g", "g" },
			{ ev { type = "umount2", res = 0, params = { name = "/mnt" } }, "/mnt", "/mnt" },
			{ ev { type = "fchmod", res = 0, fd = H.fd { num = 3, name = "/work/h" }, params = { fd = 3 } }, "/work/h", "/work/h" },
		}
		for i, r in ipairs(rows) do
			assert.are.equal(r[2], H.get(r[1], "fs.path.name"), "name " .. i)
			assert.are.equal(r[3], H.get(r[1], "fs.path.nameraw"), "raw " .. i)
			assert.is_nil(H.get(r[1], "fs.path.source"), "source " .. i)
		end
	end)

	it("two-path calls: source and target as Falco names them", function()
		local rn = ev { type = "rename", res = 0, params = { oldpath = "a", newpath = "/tmp/b" } }
		assert.are.equal("/work/a", H.get(rn, "fs.path.source"))
		assert.are.equal("/tmp/b", H.get(rn, "fs.path.target"))
		assert.are.equal("a", H.get(rn, "fs.path.sourceraw"))
		assert.is_nil(H.get(rn, "fs.path.name"))
		-- a link's source is the new name, its target the existing file
		local ln = ev { type = "link", res = 0, params = { oldpath = "/etc/passwd", newpath = "p" } }
		assert.are.equal("/work/p", H.get(ln, "fs.path.source"))
		assert.are.equal("/etc/passwd", H.get(ln, "fs.path.target"))
		local sl = ev { type = "symlinkat", res = 0, params = { target = "/bin/sh", linkdirfd = -100, linkpath = "s" } }
		assert.are.equal("/work/s", H.get(sl, "fs.path.source"))
		assert.are.equal("/bin/sh", H.get(sl, "fs.path.targetraw"))
		local mnt = ev { type = "mount", res = 0, params = { dev = "/dev/sda1", dir = "/mnt", type = "ext4" } }
		assert.are.equal("/dev/sda1", H.get(mnt, "fs.path.source"))
		assert.are.equal("/mnt", H.get(mnt, "fs.path.target"))
	end)

	it("only for calls that succeeded", function()
		assert.is_nil(H.get(ev { type = "unlink", res = -2, params = { path = "/x" } }, "fs.path.name"))
		assert.is_nil(H.get(ev { type = "unlink", params = { path = "/x" } }, "fs.path.name"))
		assert.is_nil(H.get(ev { type = "read", res = 0 }, "fs.path.name"))
		local s = assert(fields.resolve("fs.path.name"))
		assert.is_true(s.needs_exit)
		assert.is_true(s.types.unlink and s.types.openat and true)
		assert.is_nil(s.types.read)
	end)
end)

describe("user, group and container fields", function()
	before_each(H.reset)

	it("names from the passwd and group files", function()
		local p = H.proc { pid = ffi.C.getpid(), loginuid = 0 }
		local root = H.event { type = "read", res = 0, thread = H.thread { proc = p, uid = 0, gid = 0 } }
		local rows = {
			{ "user.uid", 0 }, { "user.name", "root" }, { "user.homedir", "/root" }, { "group.gid", 0 },
			{ "group.name", "root" }, { "user.loginuid", 0 }, { "user.loginname", "root" },
		}
		for _, r in ipairs(rows) do assert.are.equal(r[2], H.get(root, r[1]), r[1]) end
		assert.is_string(H.get(root, "user.shell"))
		local nobody = H.event { type = "read", res = 0, thread = H.thread { proc = H.proc { pid = 5 }, uid = 3999999, gid = 3999999 } }
		assert.are.equal(3999999, H.get(nobody, "user.uid"))
		assert.is_nil(H.get(nobody, "user.name"))
		assert.is_nil(H.get(nobody, "group.name"))
		assert.are.equal(-1, H.get(nobody, "user.loginuid"))  -- 4294967295: unset
		assert.is_nil(H.get(nobody, "user.loginname"))
	end)

	it("a container's users come only from a process of that container", function()
		-- our own pid, a host process: /proc/PID/root/etc/passwd is the
		-- host's, not the container's (spec/rootfile_spec.lua has a real
		-- container process)
		local p = H.proc { pid = ffi.C.getpid(), container_id = "0123456789abcdef0123" }
		local ev = H.event { type = "read", res = 0, thread = H.thread { proc = p, uid = 0 } }
		assert.is_nil(H.get(ev, "user.name"))
		local gone = H.event { type = "read", res = 0,
			thread = H.thread { proc = H.proc { pid = 999999999, container_id = "fedcba987654321" }, uid = 0 } }
		assert.is_nil(H.get(gone, "user.name"))
	end)

	it("container id and name", function()
		local host = H.event { type = "read", res = 0, thread = H.thread { proc = H.proc {} } }
		local box = H.event { type = "read", res = 0,
			thread = H.thread { proc = H.proc { container_id = "0123456789abcdef0123" } } }
		assert.are.equal("host", H.get(host, "container.id"))
		assert.are.equal("host", H.get(host, "container.name"))
		assert.are.equal("0123456789ab", H.get(box, "container.id"))
		assert.are.equal("0123456789abcdef0123", H.get(box, "container.full_id"))
		assert.is_nil(H.get(box, "container.name"))
		assert.is_nil(H.get(box, "container.image.repository"))
		assert.is_nil(H.get(box, "k8s.ns.name"))
		assert.is_nil(H.get(box, "container.label[app]"))
	end)
end)

describe("the catalogue", function()
	before_each(H.reset)

	it("rejects unknown fields and bad arguments", function()
		local rows = {
			{ "proc.nope", "unknown field 'proc.nope'" },
			{ "proc.namex", "unknown field 'proc.namex'" },
			{ "nope", "unknown field 'nope'" },
			{ "evt.arg", "field 'evt.arg' requires an argument" },
			{ "proc.aname[x]", "field 'proc.aname' takes a number argument" },
			{ "proc.aname[2", "missing ']'" },
			{ "evt.rawarg[1]", "field 'evt.rawarg' takes an argument name" },
			{ "evt.arg.nosuchname", "unknown event argument nosuchname" },
			{ "evt.type.is.nosuchtype", "unknown event type nosuchtype" },
			{ "evt.arg[99]", "no event has an argument number 99" },
			{ "proc.env[]", "takes a non-empty argument" },
		}
		for _, r in ipairs(rows) do
			local spec, msg = fields.resolve(r[1])
			assert.is_nil(spec, r[1])
			assert.truthy(msg:find(r[2], 1, true), r[1] .. ": " .. tostring(msg))
		end
		local spec, msg = fields.resolve("proc.name", "1")
		assert.is_nil(spec)
		assert.are.equal("field 'proc.name' takes no argument", msg)
		assert.has_error(function() fields.resolve(nil) end)
	end)

	it("resolves argument forms to one spec each", function()
		local a = assert(fields.resolve("proc.aname[2]"))
		assert.are.equal(a, assert(fields.resolve("proc.aname", 2)))
		assert.are.equal(a, assert(fields.resolve("proc.aname", "2")))
		assert.are.equal("proc.aname", a.field)
		assert.are.equal(2, a.arg)
		assert.are.equal("string", a.type)
		assert.are.equal("proc.env[HOME]", assert(fields.resolve("proc.env", "HOME")).name)
		assert.are.equal("evt.type.is.open", assert(fields.resolve("evt.type.is", "open")).name)
		assert.are.equal(assert(fields.resolve("proc.name")), assert(fields.resolve("proc.name")))
	end)

	it("parses the longest field at a position and leaves the rest", function()
		local s, nxt = fields.parse("%evt.numX", 2)
		assert.are.equal("evt.num", s.name)
		assert.are.equal(9, nxt)
		s, nxt = fields.parse("evt.args,", 1)
		assert.are.equal("evt.args", s.name)
		assert.are.equal(9, nxt)
		s, nxt = fields.parse("evt.arg.fd)", 1)
		assert.are.equal("evt.arg.fd", s.name)
		assert.are.equal(11, nxt)
		s, nxt = fields.parse("proc.name.", 1)
		assert.are.equal("proc.name", s.name)
		assert.are.equal(10, nxt)
	end)

	it("lists and describes", function()
		local all = fields.list()
		assert.is_true(#all > 150)
		for i = 2, #all do assert.is_true(all[i - 1].name < all[i].name) end
		local procs = fields.list("proc.")
		for _, s in ipairs(procs) do assert.are.equal("proc.", s.name:sub(1, 5)) end
		assert.are.equal(0, #fields.list("zzz"))
		local line = fields.describe(assert(fields.resolve("evt.num")))
		assert.truthy(line:match("^evt%.num%s+UINT64%s+event number%.$"))
		assert.truthy(fields.describe(assert(fields.resolve("k8s.rc.name"))):find("not supported by lanner", 1, true))
		local argline
		for _, s in ipairs(fields.list("proc.aname")) do argline = fields.describe(s) end
		assert.truthy(argline:match("^proc%.aname%[N%]"))
		local types = fields.event_types()
		assert.are.equal(core.ntypes, #types)
		assert.are.equal("open", types[1])
	end)

	it("the getters rules use most compile to machine code", function()
		-- a getter the JIT cannot compile (NYI) would run every filter of
		-- every event in the interpreter
		local vmdef = require "jit.vmdef"
		local p = H.proc { pid = 500, ppid = 1, comm = "curl", args = { "-s", "x" } }
		local ev = ffi.cast("ln_event *", H.event { type = "connect", res = 0, thread = H.thread { proc = p },
			fd = H.fd { num = 3, type = "IPV4", connected = true,
				tuple = { family = 2, lip = { 10, 0, 0, 5 }, lport = 4000, rip = { 1, 2, 3, 4 }, rport = 443 } } })
		H.world { procs = { p, H.proc { pid = 1, comm = "init" } } }
		for _, name in ipairs { "proc.name", "proc.pname", "proc.cmdline", "proc.aname[1]", "proc.pid",
			"evt.type", "evt.res", "evt.rawres", "evt.dir", "evt.is_open_write", "fd.name", "fd.num",
			"fd.typechar", "fd.sip", "fd.sport", "user.uid", "container.id", "evt.category" } do
			local get = assert(fields.resolve(name)).get
			local nyi = {}
			local function on_trace(what, _, _, _, err, info)
				if what == "abort" then
					local msg = (vmdef.traceerr[err] or tostring(err)):gsub("%%d", tostring(info))
					if msg:find("NYI", 1, true) then nyi[#nyi + 1] = msg end
				end
			end
			jit.attach(on_trace, "trace")
			jit.flush()
			for i = 1, 2000 do ev.num = i; get(ev) end
			jit.attach(on_trace) -- detach
			assert.are.same({}, nyi, name)
		end
	end)

	it("every field evaluates without raising, on every kind of event", function()
		local p = H.proc { pid = 400, ppid = 1, comm = "x", args = { "a" }, env = { "A=1" } }
		local th = H.thread { proc = p }
		local events = {
			H.event { type = "procexit" },
			H.event { type = "openat", res = -2, thread = th, params = { name = "rel" } },
			H.event { type = "openat", thread = th },
			H.event { type = "read", res = 3, thread = th, fd = H.fd { type = "IPV4" } },
			H.event { type = "connect", res = 0, thread = th, fd = H.fd { type = "UNIX" } },
			H.event { type = "execve", res = 0, thread = H.thread { proc = H.proc { pid = 401, ppid = 400 } } },
		}
		H.world { procs = { p }, fds = { [400] = { [0] = H.fd { num = 0 } } } }
		local samples = { index = "1", param = "fd", name = "open", string = "HOME" }
		local n = 0
		for _, d in ipairs(fields.list()) do
			local specs = { d }
			if d.arg then
				specs = { assert(fields.resolve(d.name, samples[d.arg.kind])) }
				if not d.arg.required then specs[2] = d end
			end
			for _, spec in ipairs(specs) do
				for _, ev in ipairs(events) do
					local ok, err = pcall(spec.get, ev, nil, 1)
					assert.is_true(ok, spec.name .. ": " .. tostring(err))
					if spec.multi then
						ok, err = pcall(spec.values, ev)
						assert.is_true(ok, spec.name .. ": " .. tostring(err))
					end
					n = n + 1
				end
				if spec.unsupported then assert.is_nil(spec.get(events[4])) end
			end
		end
		assert.is_true(n > 1000)
	end)
end)

describe("NUL-separated lists (args, env)", function()
	local cm = require "lanner.fields.common"
	local function split(s) return cm.split_nul(ffi.cast("const char *", s), #s) end

	it("splits on NUL, keeps empty items, and takes a last item with no NUL", function()
		assert.same({ "A=1", "B=2" }, split("A=1\0B=2\0"))
		assert.same({ "A=1", "", "B" }, split("A=1\0\0B"))
		assert.same({}, cm.split_nul(nil, 0))
		assert.same({ "" }, split("\0"))
	end)

	it("takes a 64 KB item whole (an environment a container may carry)", function()
		local big = ("x"):rep(65536)
		local l = split("A=1\0X=" .. big)
		assert.equal(2, #l)
		assert.equal(65538, #l[2])
	end)
end)

describe("path normalisation (fields.common)", function()
	local cm = require "lanner.fields.common"

	it("gives Falco's lexical result, with and without the fast path", function()
		local rows = {
			{ "/usr/include/stdio.h", "/usr/include/stdio.h" },	-- already normal: as is
			{ "/", "/" }, { "/a/b/", "/a/b/" }, { "/.hidden/..x/x..", "/.hidden/..x/x.." },
			{ "//a//b", "/a/b" }, { "/a/./b", "/a/b" }, { "/a/../b", "/b" }, { "/a/.", "/a" },
			{ "/a/..", "/" }, { "/..", "/" }, { "/.", "/" }, { "/a/b/../../..", "/" },
			{ "/a//", "/a/" }, { "a/b", "/a/b" }, { "", "/" },
		}
		for _, r in ipairs(rows) do
			assert.are.equal(r[2], cm.normalize(r[1]), r[1])
		end
	end)

	it("joins against a directory with or without its trailing slash", function()
		local rows = {
			{ "/work/", "f.c", "/work/f.c" }, { "/work", "f.c", "/work/f.c" }, { "/", "f", "/f" },
			{ "/work/", "../inc/a.h", "/inc/a.h" }, { "/work/", "./a", "/work/a" },
			{ "/work/", "/abs//p", "/abs/p" }, { "/work/", "", "/work/" }, { "/work//", "x", "/work/x" },
		}
		for _, r in ipairs(rows) do
			assert.are.equal(r[3], cm.join(r[1], r[2]), r[1] .. " + " .. r[2])
		end
	end)
end)
