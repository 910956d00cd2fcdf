-- Comparisons made in place on C strings (a field's cstr: proc.name,
-- proc.exepath, fd.name, ...) or views (cview: fd.directory, container.id)
-- must answer exactly as the same comparison on the Lua string get()
-- gives, including where the value is missing or is not a C string (no
-- parent, a NULL exe, a failed connect, an event with no fd, a path with
-- no slash or ending in one), for literals compared byte by byte in the
-- generated code and for those long enough to go to C, and for `in` sets
-- tested inline and in C (lanner.h ln_strset).
local H = require "spec.fields_helper"
local ops = require "lanner.filter.ops"
local fields = require "lanner.fields"
local filter = require "lanner.filter"

local function compile(src)
	local ast = assert(filter.parse(src))
	local fn, code = filter.compile(assert(filter.expand(ast, { macros = {}, lists = {} })), fields, { source = true })
	assert(fn, code)
	return fn, code
end

-- The operator applied to a Lua value, as the language defines it.
local function by_hand(op, v, k)
	if v == nil then return false end
	if op == "=" then return v == k end
	if op == "!=" then return v ~= k end
	if op == "startswith" then return v:sub(1, #k) == k end
	if op == "endswith" then return #v >= #k and v:sub(#v - #k + 1) == k end
	if op == "contains" then return v:find(k, 1, true) ~= nil end
	if op == "glob" then return ops.fnmatch(k, v, false) end
	if op == "pmatch" then
		local ps = {}
		for i, x in ipairs(k) do ps[i] = ops.path_prefix(x) end
		return ops.pmatch(v, ps)
	end
	if op == "in" then
		for _, x in ipairs(k) do if v == x then return true end end
		return false
	end
end

local function quote(k) return "'" .. k .. "'" end

describe("C-string comparisons", function()
	local events

	before_each(function()
		H.reset()
		local init = H.proc { pid = 1, ppid = 0, comm = "systemd", exe = "/sbin/init", exepath = "/usr/lib/systemd/systemd" }
		local bash = H.proc { pid = 100, ppid = 1, comm = "bash", exe = "-bash", exepath = "/usr/bin/bash",
			cwd = "/home/user", container_id = "0123456789abcdef0123" }
		local cat = H.proc { pid = 200, ppid = 100, comm = "cat", exe = "cat", exepath = "/usr/bin/cat",
			args = { "/etc/passwd", "--number" }, cwd = "/" }
		local orphan = H.proc { pid = 300, ppid = 999, comm = "orphan", exepath = "", container_id = "abc" }
		H.world { procs = { init, bash, cat, orphan } }
		local t_cat = H.thread { tid = 200, proc = cat }
		local t_bash = H.thread { tid = 100, proc = bash }
		local t_orphan = H.thread { tid = 300, proc = orphan }
		local passwd = H.fd { num = 3, type = "FILE", name = "/etc/passwd" }
		local sock = H.fd { num = 4, type = "IPV4", name = "10.0.0.1:5->10.0.0.2:80" }
		local function file(name) return H.fd { num = 5, type = "FILE", name = name } end
		local function read_of(t, fd) return H.event { type = "read", thread = t, fd = fd, res = 0, params = { res = 0, fd = fd.num } } end
		events = {
			H.event { type = "openat", thread = t_cat, fd = passwd, res = 3,
				params = { fd = 3, dirfd = -100, name = "/etc/passwd", flags = 0, mode = 0 } },
			H.event { type = "read", thread = t_orphan, fd = passwd, res = 0, params = { res = 0, fd = 3 } },
			H.event { type = "getpid", thread = t_cat, res = 200 },
			H.event { type = "connect", thread = t_cat, fd = sock, res = -111,
				params = { res = -111, fd = 4 } },
			read_of(t_bash, file("/passwd")),		-- in the root
			read_of(t_bash, file("/etc/")),		-- ending in a slash
			read_of(t_bash, file("passwd")),		-- no slash
			read_of(t_bash, H.fd { num = 6, type = "DIRECTORY", name = "/etc" }),
			read_of(t_bash, file("/usr/lib/systemd/systemd-resolved.conf")),
			read_of(t_bash, file("/etc/\195\169t\195\169")),	-- bytes past 127
		}
	end)

	local FIELDS = { "proc.name", "proc.exe", "proc.exepath", "proc.pname", "proc.pexe", "proc.pexepath",
		"proc.aname[2]", "proc.aexepath[1]", "proc.aname[5]", "fd.name", "fd.directory", "fd.filename",
		"proc.cwd", "proc.cmdline", "proc.pcmdline", "proc.acmdline[1]", "container.id",
		"evt.arg.name", "evt.arg.fd", "evt.arg[1]", "evt.arg.res" }
	local WORDS = { "cat", "bash", "/usr/bin/cat", "/usr", "cat", "/etc/passwd", "/etc", "passwd", "systemd",
		"10.0.0.2:80", "", "zzz", "/", "/etc/", "/home/user/", "0123456789ab", "abc", "host",
		"cat /etc/passwd --number", "--number", "/usr/lib/systemd/systemd-resolved.conf",
		"systemd-resolved.conf", "/usr/lib/systemd", "\195\169t\195\169", "/etc/\195\169t\195\169", "\169t\195\169",
		"systemd/systemd-resolved.conf" }
	local OPS = { "=", "!=", "startswith", "endswith", "contains" }
	-- a few items are tested inline, more go to a set in C
	local SETS = { { "cat", "bash", "passwd" }, { "/etc", "/", "/usr/lib/systemd", "abc" }, {},
		WORDS, { "/usr/lib/systemd/systemd-resolved.conf", "systemd", "x" } }

	it("are what the compiler uses for these fields", function()
		local _, code = compile("proc.name = cat and fd.name startswith /etc")
		assert.matches("p%[0%] == 99 and p%[1%] == 97 and p%[2%] == 116 and p%[3%] == 0", code)
		assert.matches("p%[0%] == 47 and p%[1%] == 101", code)
		_, code = compile("proc.exepath = /usr/lib/systemd/systemd-resolved and fd.name startswith /usr/lib/systemd/systemd-")
		assert.matches("strcmp%(p,", code)
		assert.matches("strncmp%(p,", code)
		_, code = compile("fd.directory = /etc and fd.directory endswith /etc")
		assert.matches("n == 4 and p%[0%] == 47", code)
		assert.matches("n >= 4 and p%[n %- 1%] == 99 and p%[n %- 2%] == 116", code)
		_, code = compile("fd.name endswith .conf and proc.name glob 'c*t'")
		assert.matches("local n = tonumber%(strlen%(p%)%)", code)
		assert.matches("n >= 5 and p%[n %- 1%] == 102", code)
		assert.matches("%(n >= 2 and %(p%[0%] == 99%) and %(n >= 1 and p%[n %- 1%] == 116%)%)", code)
		_, code = compile("proc.name in (a, b) and fd.filename in (" .. table.concat(WORDS, ", ", 1, 10) .. ")")
		assert.matches("%(p%[0%] == 97 and p%[1%] == 0%) or %(p%[0%] == 98 and p%[1%] == 0%)", code)
		assert.matches("sethas%(cset, p, %-1%) ~= 0", code)
		local long = "/" .. ("a"):rep(30)
		_, code = compile("fd.name glob '/a*b*c' and fd.directory glob '" .. long .. "*b' and proc.name pmatch (/tmp)")
		assert.matches("cglob2%(p, %-1,", code)
		assert.matches("cglob1%(p, n,", code)
		assert.matches("p%[3%] == 112%) and %(p%[4%] == 0 or p%[4%] == 47%)", code)
	end)

	local GLOBS = { "*/passwd", "/etc/*", "/usr/*/systemd*", "*systemd*", "*", "**", "/u*r/b*n/c*t", "c*t",
		"*.conf", "/etc/*sswd", "/*/*", "*a*", "ab*ba", "/usr/lib/systemd/systemd-*.conf", "/e*/passwd",
		"*/usr/lib/systemd/systemd-resolved.conf", "/usr/lib/systemd/systemd-resolved.co*f" }
	local PREFIXES = { { "/etc", "/usr/lib/" }, { "/" }, { "" }, { "/etc/passwd" }, { "/usr/bin/cat/" },
		{ "/home/user", "/home" }, { "/e" } }

	-- `f op (list)` on every event against by_hand; returns the count
	local function check_lists(f, op, lists)
		local spec, n = assert(fields.resolve(f)), 0
		for j, list in ipairs(lists) do
			local q = {}
			for i, k in ipairs(list) do q[i] = quote(k) end
			local fn = compile(("%s %s (%s)"):format(f, op, table.concat(q, ", ")))
			for i, ev in ipairs(events) do
				assert.are.equal(by_hand(op, spec.get(ev), list), fn(ev), ("%s %s list %d on event %d"):format(f, op, j, i))
				n = n + 1
			end
		end
		return n
	end

	it("agree with the Lua comparison for star-only globs and pmatch", function()
		local n = 0
		for _, f in ipairs(FIELDS) do
			local spec = assert(fields.resolve(f))
			for _, g in ipairs(GLOBS) do
				local fn = compile(("%s glob %s"):format(f, quote(g)))
				for i, ev in ipairs(events) do
					assert.are.equal(by_hand("glob", spec.get(ev), g), fn(ev), ("%s glob '%s' on event %d"):format(f, g, i))
					n = n + 1
				end
			end
			n = n + check_lists(f, "pmatch", PREFIXES)
		end
		assert.are.equal(#FIELDS * (#GLOBS + #PREFIXES) * 10, n)
	end)

	-- `f glob a or f endswith b or ...` on one field is one function that
	-- reads the field once (compile.lua, gen_or_run)
	it("agree with the Lua comparison when or'ed on one field", function()
		local RUNS = {
			{ { "glob", "*/passwd" }, { "glob", "*.conf" }, { "glob", "/usr/*/systemd*" } },
			{ { "endswith", "zzz" }, { "=", "/etc/passwd" }, { "startswith", "/usr" }, { "contains", "systemd" } },
			{ { "glob", "/u*r/b*n/c*t" }, { "!=", "cat" } },
			{ { "=", "" }, { "glob", "*" } },
		}
		local n = 0
		for _, f in ipairs(FIELDS) do
			local spec = assert(fields.resolve(f))
			for j, run in ipairs(RUNS) do
				local parts = {}
				for i, t in ipairs(run) do parts[i] = ("%s %s %s"):format(f, t[1], quote(t[2])) end
				local fn, code = compile(table.concat(parts, " or "))
				if j == 1 and spec.cstr then assert.matches("any of: " .. f:gsub("%p", "%%%0"), code) end
				for i, ev in ipairs(events) do
					local want = false
					for _, t in ipairs(run) do want = want or by_hand(t[1], spec.get(ev), t[2]) end
					assert.are.equal(want, fn(ev), ("%s run %d on event %d"):format(f, j, i))
					n = n + 1
				end
			end
		end
		assert.are.equal(#FIELDS * 4 * 10, n)
	end)

	it("agree with the Lua comparison for `in`, inline and in C", function()
		local n = 0
		for _, f in ipairs(FIELDS) do n = n + check_lists(f, "in", SETS) end
		assert.are.equal(#FIELDS * #SETS * 10, n)
	end)

	it("agree with the Lua comparison on every field, operator and event", function()
		local n = 0
		for _, f in ipairs(FIELDS) do
			local spec = assert(fields.resolve(f))
			assert.is_true(type(spec.cstr) == "function" or type(spec.cview) == "function", f .. " has no cstr or cview")
			for _, op in ipairs(OPS) do
				for _, k in ipairs(WORDS) do
					local fn = compile(("%s %s %s"):format(f, op, quote(k)))
					for i, ev in ipairs(events) do
						local want = by_hand(op, spec.get(ev), k)
						assert.are.equal(want, fn(ev), ("%s %s '%s' on event %d"):format(f, op, k, i))
						n = n + 1
					end
				end
			end
		end
		assert.are.equal(#FIELDS * #OPS * #WORDS * 10, n)
	end)
end)
