-- Evaluation cost on the Lua side, per event (make bench runs it):
--   1. a 20-clause filter condition, compiled once (issue target < 100 ns)
--   2. the whole packaged rule set (rules/), grouped by event type
--      (issue target < 1 us per event)
-- Events are built by hand (spec/fields_helper.lua) and their number bumped
-- every time, so no per-event cache carries over between evaluations.
--   LANNER_LIB=build/liblanner.so luajit bench/eval.lua
package.path = "lua/?.lua;lua/?/init.lua;build/lua/?.lua;spec/?.lua;" .. package.path
local ffi = require "ffi"
local H = require "fields_helper"
local fields = require "lanner.fields"
local filter = require "lanner.filter"
local rules = require "lanner.rules"

ffi.cdef [[ int clock_gettime(int clockid, void *tp); ]]
local ts = ffi.new("long[2]")
local function now()
	ffi.C.clock_gettime(1, ts)
	return tonumber(ts[0]) * 1e9 + tonumber(ts[1])
end

local proc = H.proc { pid = 4242, ppid = 1, comm = "cat", exe = "cat", exepath = "/usr/bin/cat",
	args = { "/etc/passwd" }, cwd = "/home/user" }
local parent = H.proc { pid = 1, ppid = 0, comm = "bash", exe = "/bin/bash", exepath = "/usr/bin/bash" }
local th = H.thread { tid = 4242, proc = proc, uid = 1000, gid = 1000 }
local fd = H.fd { num = 3, type = "FILE", name = "/etc/passwd", flags = 0 }
H.world { procs = { proc, parent } }

local events = {
	openat = H.event { type = "openat", thread = th, fd = fd, res = 3,
		params = { fd = 3, dirfd = -100, name = "/etc/passwd", flags = 0, mode = 0 } },
	execve = H.event { type = "execve", thread = th, res = 0,
		params = { res = 0, filename = "/usr/bin/cat", args = "cat\0/etc/passwd" } },
	close = H.event { type = "close", thread = th, fd = fd, res = 0, params = { res = 0, fd = 3 } },
	connect = H.event { type = "connect", thread = th, res = 0, params = { res = 0, fd = 4 } },
}

local function measure(fn, ev, n)
	local num = 1000
	for _ = 1, 10000 do num = num + 1; ev.num = num; fn(ev) end	-- JIT warm-up
	local t0 = now()
	for _ = 1, n do num = num + 1; ev.num = num; fn(ev) end
	return (now() - t0) / n
end

-- 1. A 20-clause condition, the shape of a real rule.
local cond = [[evt.type in (open, openat, openat2) and evt.is_open_read = true and fd.typechar = f
 and not proc.name in (sshd, sudo, login, su, passwd, chage) and fd.name startswith /etc
 and not fd.name endswith .conf and proc.pname != systemd and user.uid != 0
 and not proc.exepath startswith /usr/sbin and fd.directory = /etc and evt.res >= 0
 and not proc.cmdline contains "--check" and proc.aname[1] != cron and fd.num >= 0
 and thread.tid > 0 and not fd.filename in (hosts, hostname, resolv.conf)
 and container.id = host and proc.cwd != /root/ and evt.dir = "<" and proc.pid > 1]]
local ast = assert(filter.parse(cond))
local fn = assert(filter.compile(assert(filter.expand(ast, { macros = {}, lists = {} })), fields))
assert(fn(events.openat), "the condition must hold on the sample event")
local clauses = select(2, cond:gsub(" and ", "")) + 1
local ns = measure(fn, events.openat, 1000000)
print(string.format("filter: %d-clause condition: %.0f ns per evaluation (target < 100 ns)", clauses, ns))

-- 2. The packaged rules, by event type.
local rs = rules.load({ "rules/00-lists-macros.yaml", "rules/10-files.yaml", "rules/20-process.yaml",
	"rules/30-network.yaml", "rules/40-system.yaml" })
assert(#rs.errors == 0, tostring(rs.errors[1]))
local engine = rules.engine(rs, {})
local total, count = 0, 0
for name, ev in pairs(events) do
	local t = measure(function(e) return engine:process(e) end, ev, 200000)
	print(string.format("rules: %d packaged rules, one %s event: %.0f ns", #rs.rules, name, t))
	total, count = total + t, count + 1
end
print(string.format("rules: mean %.0f ns per event (target < 1000 ns)", total / count))
