-- Idle CPUs that halt at once: the same workloads timed with the VM's idle
-- loop as the host set it and with the kernel's default for the
-- cpuidle-haltpoll driver (poll up to 200 us before halting), interleaved.
-- It writes a machine-wide setting
-- (/sys/module/haltpoll/parameters/guest_halt_poll_ns) while it runs and
-- puts the old value back at the end, also after a failed run; lanner
-- itself never touches it.  Root, and only where the idle driver is
-- haltpoll (a KVM guest); elsewhere it says so and exits 2.
--
--   luajit bench/haltpoll.lua [RUNS]      (default 5; prints Markdown)
local RUNS = tonumber(arg[1]) or 5
local PARAM = "/sys/module/haltpoll/parameters/guest_halt_poll_ns"
local DRIVER = "/sys/devices/system/cpu/cpuidle/current_driver"

local function read(path)
	local f = io.open(path)
	if not f then return nil end
	local s = f:read("*a")
	f:close()
	return s
end

local function write(path, text)
	local f = assert(io.open(path, "w"))
	f:write(text)
	f:close()
end

if not (read(DRIVER) or ""):match("^haltpoll") or not io.open(PARAM, "a") then
	io.stderr:write("bench/haltpoll.lua: needs root and the cpuidle-haltpoll driver (a KVM guest); this machine's "
		.. "driver is ", (read(DRIVER) or "unknown\n"))
	os.exit(2)
end

local ffi = require "ffi"
ffi.cdef [[ int clock_gettime(int, void *); ]]
local ts = ffi.new("long[2]")
local function now()
	ffi.C.clock_gettime(1, ts)
	return tonumber(ts[0]) + tonumber(ts[1]) / 1e9
end

local root = io.popen("pwd"):read("*l")
local L = root .. "/build/lanner"
local cache = os.tmpname()
os.remove(cache)
local set = io.popen(L .. " -q -R rules/ --debug-filter 2>/dev/null"):read("*a"):match("# traced: ([%w_,]+)")
assert(set, "build/lanner -R rules/ --debug-filter printed no syscall set: run make first")

local imports = "import json, email.parser, http.client, xml.dom.minidom, asyncio, unittest, decimal, sqlite3, "
	.. "argparse, logging.handlers, csv, tarfile, zipfile"
-- the main table's workloads of issue #16's targets (bench/run.lua)
local workloads = {
	{ "tar", "sh -c 'tar cf /dev/null /usr/share/locale /usr/lib/python3* 2>/dev/null; true'" },
	{ "git", "sh -c 'cd " .. root .. " && git status >/dev/null 2>&1; git log --stat >/dev/null 2>&1; true'" },
	{ "python", "python3 -c '" .. imports .. "'" },
	{ "pyinterp", "/usr/bin/python3 -c '" .. imports .. "'" },
}
local tracers = {
	{ "untraced", "" },
	{ "strace", "strace -f --seccomp-bpf -qq -o /dev/null -e trace=" .. set .. " -e signal=none " },
	{ "floor", root .. "/build/bench/floor_tracer -x -e " .. set .. " -- " },
	{ "lanner", "env LANNER_CACHE_DIR=" .. cache .. " " .. L .. " -q --output-file /dev/null -R rules/ -- " },
}
-- 40,000 stops of a tight loop under the floor tracer: a stop's own price
local STOPS = 40000
local loop = root .. "/build/bench/floor_tracer -x -e openat -- " .. root .. "/build/bench/bench_scmix 0 20000"

local old = read(PARAM):match("%d+")
local settings = { old, old == "200000" and "0" or "200000" }

local function timed(cmd)
	local t0 = now()
	os.execute(cmd .. " >/dev/null 2>&1")
	return now() - t0
end

local times = {}	-- times[setting][row name] = { ... }
local function add(s, name, t)
	times[s] = times[s] or {}
	times[s][name] = times[s][name] or {}
	table.insert(times[s][name], t)
end

local ok, err = pcall(function()
	timed(tracers[4][2] .. "true")	-- the rules cache filled before any timed run
	for r = 1, RUNS do
		for _, s in ipairs(settings) do
			write(PARAM, s)
			add(s, "loop", timed(loop))
			for _, w in ipairs(workloads) do
				for _, t in ipairs(tracers) do add(s, w[1] .. " " .. t[1], timed(t[2] .. w[2])) end
			end
		end
		io.stderr:write("run ", r, " of ", RUNS, "\n")
	end
end)
write(PARAM, old)
os.execute("rm -rf " .. cache)
if not ok then error(err, 0) end

local function med(s, name)
	local t = times[s][name]
	table.sort(t)
	return t[math.floor((#t + 1) / 2)]
end

print(string.format("guest_halt_poll_ns as the host set it: %s; %d interleaved runs, medians (s).\n", old, RUNS))
print("| workload | guest_halt_poll_ns | untraced | strace | floor | lanner -R rules/ | lanner/strace | lanner/untraced |")
print("|---|---|---|---|---|---|---|---|")
for _, w in ipairs(workloads) do
	for _, s in ipairs(settings) do
		local m = {}
		for i, t in ipairs(tracers) do m[i] = med(s, w[1] .. " " .. t[1]) end
		print(string.format("| %s | %s | %.3f | %.3f | %.3f | %.3f | %.2f× | %.2f× |", w[1], s, m[1], m[2], m[3], m[4],
			m[4] / m[2], m[4] / m[1]))
	end
end
print()
for _, s in ipairs(settings) do
	print(string.format("- floor tracer on `bench_scmix 0 20000` (%d stops), guest_halt_poll_ns %s: %.1f µs a stop",
		STOPS, s, med(s, "loop") / STOPS * 1e6))
end
