-- Comparisons made in place on C strings (a field's cstr: proc.name,
-- proc.exepath, fd.name, ...) must answer exactly as the same comparison
-- on the Lua string get() gives, including where the value is missing or
-- is not a C string (no parent, a NULL exe, a failed connect, an event
-- with no fd).
local H = require "spec.fields_helper"
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
end

describe("C-string comparisons", function()
	local events

	before_each(function()
		H.reset()
		local init = H.proc { pid = 1, ppid = 0, comm = "systemd", exe = "/sbin/init", exepath = "/usr/lib/systemd/systemd" }
		local bash = H.proc { pid = 100, ppid = 1, comm = "bash", exe = "-bash", exepath = "/usr/bin/bash" }
		local cat = H.proc { pid = 200, ppid = 100, comm = "cat", exe = "cat", exepath = "/usr/bin/cat" }
		local orphan = H.proc { pid = 300, ppid = 999, comm = "orphan", exepath = "" }
		H.world { procs = { init, bash, cat, orphan } }
		local t_cat = H.thread { tid = 200, proc = cat }
		local t_orphan = H.thread { tid = 300, proc = orphan }
		local passwd = H.fd { num = 3, type = "FILE", name = "/etc/passwd" }
		local sock = H.fd { num = 4, type = "IPV4", name = "10.0.0.1:5->10.0.0.2:80" }
		events = {
			H.event { type = "openat", thread = t_cat, fd = passwd, res = 3,
				params = { fd = 3, dirfd = -100, name = "/etc/passwd", flags = 0, mode = 0 } },
			H.event { type = "read", thread = t_orphan, fd = passwd, res = 0, params = { res = 0, fd = 3 } },
			H.event { type = "getpid", thread = t_cat, res = 200 },
			H.event { type = "connect", thread = t_cat, fd = sock, res = -111,
				params = { res = -111, fd = 4 } },
		}
	end)

	local FIELDS = { "proc.name", "proc.exe", "proc.exepath", "proc.pname", "proc.pexe", "proc.pexepath",
		"proc.aname[2]", "proc.aexepath[1]", "proc.aname[5]", "fd.name" }
	local WORDS = { "cat", "bash", "/usr/bin/cat", "/usr", "cat", "/etc/passwd", "/etc", "passwd", "systemd",
		"10.0.0.2:80", "", "zzz" }
	local OPS = { "=", "!=", "startswith", "endswith", "contains" }

	it("are what the compiler uses for these fields", function()
		local _, code = compile("proc.name = cat and fd.name startswith /etc")
		assert.matches("strcmp%(p,", code)
		assert.matches("strncmp%(p,", code)
	end)

	it("agree with the Lua comparison on every field, operator and event", function()
		local n = 0
		for _, f in ipairs(FIELDS) do
			local spec = assert(fields.resolve(f))
			assert.is_function(spec.cstr, f .. " has no cstr")
			for _, op in ipairs(OPS) do
				for _, k in ipairs(WORDS) do
					local fn = compile(("%s %s '%s'"):format(f, op, k))
					for i, ev in ipairs(events) do
						local want = by_hand(op, spec.get(ev), k)
						assert.are.equal(want, fn(ev), ("%s %s '%s' on event %d"):format(f, op, k, i))
						n = n + 1
					end
				end
			end
		end
		assert.are.equal(#FIELDS * #OPS * #WORDS * 4, n)
	end)
end)
