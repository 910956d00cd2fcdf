-- Evaluation cost on the Lua side, per event (make bench runs it):
--   1. a 20-clause filter condition, compiled once (issue target < 100 ns)
--   2. the whole packaged rule set (rules/), grouped by event type
--      (issue target < 1 us per event)
--   3. opens as a build makes them: real paths (libraries, headers,
--      sources under /home, /etc, relative names), reads and writes, and
--      failed opens, through the whole rule set and through each rule
--      file added in turn (10-files.yaml is the one an open pays for)
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
	ffi.C.clock_gettime(3, ts)	-- CLOCK_THREAD_CPUTIME_ID: time on the CPU only (a shared machine)
	return tonumber(ts[0]) * 1e9 + tonumber(ts[1])
end

-- Sixteen variants of each event, each with its own process, thread and
-- fd, cycled through: with one event every time, LuaJIT would hoist the
-- work of reading its strings out of the loop, which no live run allows.
local NVAR = 16
local parent = H.proc { pid = 1, ppid = 0, comm = "bash", exe = "/bin/bash", exepath = "/usr/bin/bash" }
local procs = { parent }
local events = { openat = {}, execve = {}, close = {}, connect = {} }
for k = 1, NVAR do
	local pid = 4242 + k
	local name = "/etc/file" .. k
	local proc = H.proc { pid = pid, ppid = 1, comm = "cat" .. k, exe = "cat" .. k,
		exepath = "/usr/bin/cat" .. k, args = { name }, cwd = "/home/user" .. k }
	procs[#procs + 1] = proc
	local th = H.thread { tid = pid, proc = proc, uid = 1000 + k, gid = 1000 }
	local fd = H.fd { num = 3, type = "FILE", name = name, flags = 0 }
	events.openat[k] = H.event { type = "openat", thread = th, fd = fd, res = 3,
		params = { fd = 3, dirfd = -100, name = name, flags = 0, mode = 0 } }
	events.execve[k] = H.event { type = "execve", thread = th, res = 0,
		params = { res = 0, filename = "/usr/bin/cat" .. k, args = "cat" .. k .. "\0" .. name } }
	events.close[k] = H.event { type = "close", thread = th, fd = fd, res = 0, params = { res = 0, fd = 3 } }
	events.connect[k] = H.event { type = "connect", thread = th, res = 0, params = { res = 0, fd = 4 } }
end
H.world { procs = procs }

-- The engine is called as lanner's loop calls it (cli/run.lua), not in
-- a tail call: LuaJIT counts the tail calls of a trace against its loop
-- unroll limit, and one more can decide whether a side trace compiles.
-- Each measurement gets its own loop, compiled from source: LuaJIT
-- specialises a loop's trace to the function it calls, so one loop shared
-- by several measurements would charge the later ones for the earlier.
local LOOP = [[
local fn, evs, n, now = ...
local num, nv = 1000, #evs
for i = 1, 10000 do num = num + 1; local ev = evs[i % nv + 1]; ev.num = num; fn(ev) end	-- JIT warm-up
local t0 = now()
for i = 1, n do num = num + 1; local ev = evs[i % nv + 1]; ev.num = num; fn(ev) end
return (now() - t0) / n
]]
-- The JIT is off while rules load and compile, as in lanner (cli.lua);
-- each measurement starts with no traces, as a fresh lanner's event loop
-- does, rather than with the ones of earlier measurements and of loading
-- (which filled LuaJIT's 1000 traces and flushed them mid-measurement).
local function measure(fn, evs, n)
	jit.flush()
	jit.on()
	local t = assert(loadstring(LOOP, "=measure"))(fn, evs, n, now)
	jit.off()
	return t
end
jit.off()

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
for k = 1, NVAR do assert(fn(events.openat[k]), "the condition must hold on every sample event") end
local clauses = select(2, cond:gsub(" and ", "")) + 1
local ns = measure(fn, events.openat, 1000000)
print(string.format("filter: %d-clause condition: %.0f ns per evaluation (target < 100 ns)", clauses, ns))

-- 2. The packaged rules, by event type.
local rs = rules.load({ "rules/00-lists-macros.yaml", "rules/10-files.yaml", "rules/20-process.yaml",
	"rules/30-network.yaml", "rules/40-system.yaml" })
assert(#rs.errors == 0, tostring(rs.errors[1]))
local engine = rules.engine(rs, {})
local total, count = 0, 0
local names = {}
for name in pairs(events) do names[#names + 1] = name end
table.sort(names)
for _, name in ipairs(names) do
	local ev = events[name]
	local t = measure(function(e) local alerts = engine:process(e) return alerts end, ev, 200000)
	print(string.format("rules: %d packaged rules, one %s event: %.0f ns", #rs.rules, name, t))
	total, count = total + t, count + 1
end
print(string.format("rules: mean %.0f ns per event (target < 1000 ns)", total / count))

-- 3. Opens as they come from a build.  A live openat carries O_CLOEXEC,
-- a path the rules' globs and prefixes must walk (fd.name is the resolved
-- path, the syscall's argument may be relative), and a failed one has no
-- fd, only the name it tried.
local O_WRONLY, O_CREAT, O_TRUNC, O_CLOEXEC = 1, 64, 512, 524288
local kinds = {
	{ "read /usr/lib", function(k) return "/usr/lib/x86_64-linux-gnu/libm" .. k .. ".so.6" end, O_CLOEXEC },
	{ "read /usr/include", function(k) return "/usr/include/x86_64-linux-gnu/bits/types" .. k .. ".h" end, 0 },
	{ "read /etc", function(k) return "/etc/ld.so.cache" .. k end, O_CLOEXEC },
	{ "read /home, relative", function(k) return "src/decode/file" .. k .. ".c", "/home/user/lanner/" end, 0 },
	{ "write /home, relative", function(k) return "build/obj/file" .. k .. ".o", "/home/user/lanner/" end,
		O_WRONLY + O_CREAT + O_TRUNC + O_CLOEXEC },
	{ "failed (ENOENT)", function(k) return "/usr/local/include/stdio" .. k .. ".h" end, O_CLOEXEC, -2 },
}
local opens = {}
for i, kind in ipairs(kinds) do
	local evs = {}
	for k = 1, NVAR do
		local pid = 5000 + 100 * i + k
		local arg, cwd = kind[2](k)
		local full = cwd and cwd .. arg or arg
		local proc = H.proc { pid = pid, ppid = 1, comm = "cc1", exe = "/usr/libexec/gcc/x86_64-linux-gnu/12/cc1",
			exepath = "/usr/libexec/gcc/x86_64-linux-gnu/12/cc1", args = { "-quiet", arg }, cwd = cwd or "/home/user/lanner" }
		procs[#procs + 1] = proc
		local th = H.thread { tid = pid, proc = proc, uid = 1000, gid = 1000 }
		local res = kind[4] or 3
		local fd = res >= 0 and H.fd { num = 3, type = "FILE", name = full, flags = kind[3] } or nil
		evs[k] = H.event { type = "openat", thread = th, fd = fd, res = res,
			params = { fd = res, dirfd = -100, name = arg, flags = kind[3], mode = 0 } }
	end
	opens[i] = evs
end
H.world { procs = procs }

local all = rules.load({ "rules/00-lists-macros.yaml", "rules/05-escapes.yaml", "rules/10-files.yaml",
	"rules/20-process.yaml", "rules/30-network.yaml", "rules/40-system.yaml" })
assert(#all.errors == 0, tostring(all.errors[1]))
local all_engine = rules.engine(all, {})
local sum = 0
for i, kind in ipairs(kinds) do
	local t = measure(function(e) local alerts = all_engine:process(e) return alerts end, opens[i], 200000)
	print(string.format("rules: %d rules (all files), openat %s: %.0f ns", #all.rules, kind[1], t))
	sum = sum + t
end
print(string.format("rules: %d rules (all files), openat mean of the kinds above: %.0f ns", #all.rules, sum / #kinds))
-- The kinds interleaved, as a build's opens come: each event may take
-- another path through the rules than the one before (side exits).
local mix = {}
for k = 1, NVAR do
	for i = 1, #kinds do mix[#mix + 1] = opens[i][k] end
end
print(string.format("rules: %d rules (all files), openat kinds above interleaved: %.0f ns", #all.rules,
	measure(function(e) local alerts = all_engine:process(e) return alerts end, mix, 300000)))

-- Each rule file added in turn: what it adds to a mean open.
local files = { "rules/00-lists-macros.yaml", "rules/05-escapes.yaml" }
for _, add in ipairs { "", "rules/10-files.yaml", "rules/20-process.yaml", "rules/30-network.yaml", "rules/40-system.yaml" } do
	if add ~= "" then files[#files + 1] = add end
	local set = rules.load(files)
	assert(#set.errors == 0, tostring(set.errors[1]))
	local e = rules.engine(set, {})
	local s = 0
	for i = 1, #kinds do s = s + measure(function(x) local alerts = e:process(x) return alerts end, opens[i], 100000) end
	print(string.format("rules: up to %s (%d rules), openat mean: %.0f ns",
		files[#files]:match("[^/]+$"), #set.rules, s / #kinds))
end
