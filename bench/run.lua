-- The benchmark suite behind `make bench`.  Each workload runs untraced,
-- under strace --seccomp-bpf, under the floor tracer (bench/floor_tracer.c:
-- stops on the same syscalls and only resumes) and under lanner with the
-- packaged rules, a chisel, and a filter that matches nothing.  Reports min
-- and median wall time over BENCH_RUNS runs (default 3), ratios, lanner's
-- stops and peak RSS, and writes bench/RESULTS.md.
--
--   luajit bench/run.lua [NAME ...]     (make bench runs them all)
--
-- NAME is a workload of the main table (idle, scmix, filecreate, ...),
-- nginx, or a section's key (opens, placement, pinned, threads, env,
-- startup, eval).  Given names, only those run; the rest of RESULTS.md
-- (other rows of the main table, other sections) is kept as it was.
local RUNS = tonumber(os.getenv("BENCH_RUNS") or "3")
local only = {}
for _, a in ipairs(arg) do only[a] = true end

local function sh(cmd)
	local p = io.popen(cmd)
	local out = p:read("*a")
	p:close()
	return out
end

local function q(s)
	return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function join(argv)
	local t = {}
	for i, a in ipairs(argv) do t[i] = q(a) end
	return table.concat(t, " ")
end

local function now()
	return tonumber(sh("date +%s.%N"))
end

-- One argv of several: cat({ "taskset", "-c", "0" }, cmd) (unpack() in the
-- middle of a table constructor gives its first value only).
local function cat(...)
	local out = {}
	for _, t in ipairs { ... } do
		for _, a in ipairs(t) do out[#out + 1] = a end
	end
	return out
end

local tmp = sh("mktemp -d /tmp/lanner-bench.XXXXXX"):gsub("%s+$", "")
local root = sh("pwd"):gsub("%s+$", "")
local L = root .. "/build/lanner"

-- lanner keeps loaded rule sets between runs (lua/lanner/rules/cache.lua);
-- every timed run uses a cache of the bench's own, filled before the
-- first: a user's runs after their first one.  "Start-up" also times a
-- run without it (--no-rules-cache).
do
	local ffi = require "ffi"
	ffi.cdef "int setenv(const char *name, const char *value, int overwrite);"
	ffi.C.setenv("LANNER_CACHE_DIR", tmp .. "/rules-cache", 1)
	sh(L .. " -q -R rules/ -- true")
end

-- filecreate's files go on a tmpfs: on this VM's ext4 disk the untraced run
-- alone took 1-3 s from one run to the next, more than the tracers differ
-- by.  /dev/shm when it has room for them (20k one-byte files take 80 MB, a
-- page each; a container's /dev/shm is 64 MB by default), else a tmpfs
-- mounted in a private mount namespace around each run, gone with it.
local filecreate
do
	local prog, n = root .. "/build/bench/bench_filecreate", "20000"
	local what = "create, write, close, delete 20k files"
	local fstype, avail, bsize = sh("stat -f -c '%T %a %S' /dev/shm 2>/dev/null"):match("(%S+) (%d+) (%d+)")
	if fstype == "tmpfs" and tonumber(avail) * tonumber(bsize) >= 128 * 2^20 then
		local dir = sh("mktemp -d /dev/shm/lanner-bench.XXXXXX"):gsub("%s+$", "")
		filecreate = { dir = dir, desc = what .. " on /dev/shm (tmpfs)", cmd = { prog, dir .. "/fc", n } }
	else
		local dir = tmp .. "/tmpfs"
		os.execute("mkdir " .. q(dir))
		filecreate = { desc = what .. " on a tmpfs mounted for each run in a private mount namespace (`unshare -m`)",
			cmd = { "unshare", "-m", "sh", "-c", 'mount -t tmpfs -o size=128m lanner-bench "$0" && exec "$@"',
				dir, prog, dir .. "/fc", n } }
	end
end

-- What lanner traces with the packaged rules, as "name,name,...": the same
-- set is given to strace and the floor tracer.
local function traced_set(extra)
	local out = sh(L .. " -q -R rules/ " .. (extra or "") .. " --debug-filter 2>/dev/null")
	return out:match("# traced: ([%w_,]+)") or "openat,close"
end

local workloads = {
	{ name = "idle", desc = "1M getppid, which nothing loaded asks for",
	  cmd = { root .. "/build/bench/bench_scmix", "1000000", "0" } },
	{ name = "scmix", desc = "1M getppid + 100k open/close of /dev/null",
	  cmd = { root .. "/build/bench/bench_scmix", "1000000", "100000" } },
	{ name = "filecreate", desc = filecreate.desc, cmd = filecreate.cmd },
	{ name = "spawn", desc = "300 fork+exec of /bin/true, 2000 threads",
	  cmd = { root .. "/build/bench/bench_spawn", "300", "2000" } },
	{ name = "tar", desc = "tar cf /dev/null /usr/share/locale /usr/lib/python3",
	  cmd = { "sh", "-c", "tar cf /dev/null /usr/share/locale /usr/lib/python3* 2>/dev/null; true" } },
	{ name = "make", desc = "make -j2 of lanner's core library, from clean",
	  cmd = { "sh", "-c", "rm -rf " .. tmp .. "/mk && mkdir -p " .. tmp .. "/mk && cp -r " .. root
		.. "/src " .. root .. "/Makefile " .. tmp .. "/mk/ && make -s -C " .. tmp
		.. "/mk -j2 build/liblanner.so >/dev/null 2>&1" } },
	{ name = "git", desc = "git status and git log on lanner's repository",
	  cmd = { "sh", "-c", "cd " .. root .. " && git status >/dev/null 2>&1; git log --stat >/dev/null 2>&1; true" } },
	{ name = "python", desc = "python3 importing a large stdlib set (the PATH's python3: on the bench machine "
		.. "pyenv's shim, a shell script that runs 40 processes before the interpreter)",
	  cmd = { "python3", "-c", "import json, email.parser, http.client, xml.dom.minidom, asyncio, "
		.. "unittest, decimal, sqlite3, argparse, logging.handlers, csv, tarfile, zipfile" } },
	{ name = "pyinterp", desc = "the same imports by /usr/bin/python3 itself",
	  cmd = { "/usr/bin/python3", "-c", "import json, email.parser, http.client, xml.dom.minidom, asyncio, "
		.. "unittest, decimal, sqlite3, argparse, logging.handlers, csv, tarfile, zipfile" } },
}

local function configs(set)
	return {
		{ name = "untraced", wrap = function(c) return c end },
		{ name = "strace", wrap = function(c)
			return { "strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null", "-e", "trace=" .. set,
				"-e", "signal=none", unpack(c) } end },
		{ name = "floor", wrap = function(c)
			return { root .. "/build/bench/floor_tracer", "-x", "-e", set, "--", unpack(c) } end },
		{ name = "lanner-rules", lanner = true, wrap = function(c)
			return { L, "-q", "--stats", "--output-file", "/dev/null", "-R", "rules/", "--", unpack(c) } end },
		{ name = "lanner-chisel", lanner = true, wrap = function(c)
			return { L, "-q", "--stats", "--output-file", "/dev/null", "-c", "topfiles_bytes", "--", unpack(c) } end },
		{ name = "lanner-nomatch", lanner = true, wrap = function(c)
			return { L, "-q", "--stats", "--output-file", "/dev/null",
				"evt.type=openat and fd.name=/nonexistent/nothing", "--", unpack(c) } end },
	}
end

local function run_once(argv)
	local errf = tmp .. "/stderr"
	local t0 = now()
	local status = os.execute(join(argv) .. " >/dev/null 2>" .. errf)
	local t = now() - t0
	local f = io.open(errf)
	local err = f and f:read("*a") or ""
	if f then f:close() end
	-- a run that failed (a full tmpfs, a tracer refusing its options) times
	-- nothing worth comparing: say so beside its figure
	if status ~= 0 then
		io.stderr:write("failed (status ", status, "): ", join(argv), "\n", err)
	end
	return t, err
end

local function stats_of(err)
	local s = {}
	s.stops = tonumber(err:match("stops: (%d+)"))
	s.rss = tonumber(err:match("peak rss: (%d+)"))
	s.events = tonumber(err:match("events: (%d+)"))
	return s
end

local set = traced_set()
io.stderr:write("traced by the packaged rules (given to strace and the floor tracer):\n  ", set, "\n")

-- A row of the main table: the median wall time of each configuration,
-- lanner's stops under the rules, and its peak RSS (kB) over the three
-- lanner configurations.
local function run_workload(w)
	local row = { name = w.name, med = {}, rss = 0 }
	for _, c in ipairs(configs(set)) do
		local times, st = {}, {}
		for i = 1, RUNS do
			local t, err = run_once(c.wrap(w.cmd))
			times[i] = t
			if c.lanner then st = stats_of(err) end
		end
		table.sort(times)
		row.med[c.name] = times[math.floor((#times + 1) / 2)]
		if c.lanner then row.rss = math.max(row.rss, st.rss or 0) end
		if c.name == "lanner-rules" then row.stops = st.stops end
		io.stderr:write(string.format("%-10s %-15s min %.3fs median %.3fs%s\n", w.name, c.name,
			times[1], row.med[c.name], st.stops and string.format(" stops %d rss %dkB", st.stops, st.rss or 0) or ""))
	end
	return row
end

-- nginx under load: requests per second with wrk, untraced vs lanner.
local function nginx_bench()
	-- (dash's command -v answers for its first name only)
	if sh("command -v nginx; command -v wrk"):gsub("%s+$", ""):find("\n") == nil then return nil end
	local conf = tmp .. "/nginx.conf"
	local f = io.open(conf, "w")
	f:write(string.format([[
daemon off; master_process on; worker_processes 1; pid %s/nginx.pid;
error_log %s/nginx.err; events { worker_connections 256; }
http { access_log off; server { listen 127.0.0.1:18080; root /usr/share/nginx/html;
  location / { return 200 "hello\n"; } } }
]], tmp, tmp))
	f:close()
	local function rps(prefix)
		os.execute(prefix .. " nginx -c " .. conf .. " >/dev/null 2>&1 &")
		os.execute("sleep 1")
		local out = sh("wrk -t2 -c16 -d5s http://127.0.0.1:18080/ 2>&1")
		os.execute("kill -QUIT $(cat " .. tmp .. "/nginx.pid) 2>/dev/null; sleep 1")
		return tonumber(out:match("Requests/sec:%s*([%d%.]+)"))
	end
	local base = rps("")
	local traced = rps(L .. " -q --output-file /dev/null -R " .. root .. "/rules/ --")
	return base, traced
end

-- CPU placement: the same open/close loop under each policy (see
-- enum ln_cpu_policy in src/lanner.h), and the floor tracer pinned with its
-- tracee (taskset) for comparison.
local function placement()
	local cmd = { root .. "/build/bench/bench_scmix", "0", "50000" }
	local lan = function(policy)
		return { L, "-q", "--cpu", policy, "--output-file", "/dev/null",
			"evt.type=openat and fd.name=/nonexistent/nothing", "--", unpack(cmd) }
	end
	local rows = {
		{ "lanner --cpu free (default)", lan("free") },
		{ "lanner --cpu tracer", lan("tracer") },
		{ "lanner --cpu shared", lan("shared") },
		{ "lanner --poll 0 (sleeps in waitpid at once)", { L, "-q", "--poll", "0", "--output-file", "/dev/null",
			"evt.type=openat and fd.name=/nonexistent/nothing", "--", unpack(cmd) } },
		{ "lanner --poll 100", { L, "-q", "--poll", "100", "--output-file", "/dev/null",
			"evt.type=openat and fd.name=/nonexistent/nothing", "--", unpack(cmd) } },
		{ "floor tracer, free", { root .. "/build/bench/floor_tracer", "-x", "-e", "openat,close", "--", unpack(cmd) } },
		{ "floor tracer, both on CPU 0 (taskset)", { "taskset", "-c", "0", root .. "/build/bench/floor_tracer",
			"-x", "-e", "openat,close", "--", unpack(cmd) } },
	}
	local out = {}
	for _, r in ipairs(rows) do
		local times = {}
		for i = 1, RUNS do times[i] = run_once(r[2]) end
		table.sort(times)
		out[#out + 1] = { r[1], times[1], times[math.floor((#times + 1) / 2)] }
		io.stderr:write(string.format("placement %-40s median %.3fs\n", r[1], out[#out][3]))
	end
	return out
end

-- The syscall mix under a filter that needs only opens, and only their
-- entry (the issue's second target): against the floor tracer stopping at
-- openat's entry and strace tracing openat.
local function opens_only()
	local cmd = { root .. "/build/bench/bench_scmix", "1000000", "100000" }
	local filt = "evt.type=openat and evt.arg.name startswith /nonexistent/"
	local rows = {
		{ "untraced", cmd },
		{ "floor tracer -e openat (entry stops)", { root .. "/build/bench/floor_tracer", "-e", "openat", "--", unpack(cmd) } },
		{ "strace -f --seccomp-bpf -e trace=openat", { "strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null",
			"-e", "trace=openat", "-e", "signal=none", unpack(cmd) } },
		{ "lanner -p '%evt.num %proc.pid' '" .. filt .. "'", { L, "-q", "--stats", "--output-file", "/dev/null",
			"-p", "%evt.num %proc.pid", filt, "--", unpack(cmd) } },
	}
	local out = {}
	for _, r in ipairs(rows) do
		local times, st = {}, {}
		for i = 1, RUNS do
			local t, err = run_once(r[2])
			times[i] = t
			st = stats_of(err)
		end
		table.sort(times)
		out[#out + 1] = { r[1], times[1], times[math.floor((#times + 1) / 2)], st.stops }
		io.stderr:write(string.format("opens-only %-45s median %.3fs\n", r[1], out[#out][3]))
	end
	return out
end

-- Medians of RUNS interleaved runs of each row ({ label, argv }).
local function timed(rows, tag)
	local times = {}
	for i = 1, #rows do times[i] = {} end
	for _ = 1, RUNS do
		for i, r in ipairs(rows) do times[i][#times[i] + 1] = run_once(r[2]) end
	end
	local out = {}
	for i, r in ipairs(rows) do
		table.sort(times[i])
		out[i] = { r[1], times[i][1], times[i][math.floor((#times[i] + 1) / 2)] }
		io.stderr:write(string.format("%s %-50s median %.3fs\n", tag, r[1], out[i][3]))
	end
	return out
end

-- Issue #16's scmix target: lanner against the floor tracer with both on
-- one CPU beside the program, where each stop's wake-up stays on that CPU.
-- `--cpu shared` is lanner pinning itself and the program; taskset pins
-- them from outside with lanner's placement left at its default.  Then the
-- same for a filter that needs only openat's entry, against the floor
-- tracer's entry stops.
local function pinned()
	local cmd = { root .. "/build/bench/bench_scmix", "1000000", "100000" }
	local F, T0 = root .. "/build/bench/floor_tracer", { "taskset", "-c", "0" }
	local lan = { L, "-q", "--output-file", "/dev/null" }
	local filt = { "-p", "%evt.num %proc.pid", "evt.type=openat and evt.arg.name startswith /nonexistent/" }
	return timed({
		{ "untraced", cmd },
		{ "taskset -c 0 floor_tracer -x -e <the rules' set>", cat(T0, { F, "-x", "-e", set, "--" }, cmd) },
		{ "lanner -R rules/ --cpu shared", cat(lan, { "-R", "rules/", "--cpu", "shared", "--" }, cmd) },
		{ "taskset -c 0 lanner -R rules/", cat(T0, lan, { "-R", "rules/", "--" }, cmd) },
		{ "taskset -c 0 floor_tracer -e openat (entry stops)", cat(T0, { F, "-e", "openat", "--" }, cmd) },
		{ "lanner -p FMT FILTER --cpu shared", cat(lan, filt, { "--cpu", "shared", "--" }, cmd) },
		{ "taskset -c 0 lanner -p FMT FILTER", cat(T0, lan, filt, { "--" }, cmd) },
	}, "pinned")
end

-- The two capture engines on a call whose event needs only registers
-- (kill): ptrace stops (--engine ptrace) against seccomp user
-- notifications with synchronous wake-up (the default where it fits),
-- beside the floor tracer's entry stops and strace.  Free placement, then
-- both pinned to one CPU.
local function engines()
	local cmd = { root .. "/build/bench/bench_regcalls", "100000" }
	local F, T0 = root .. "/build/bench/floor_tracer", { "taskset", "-c", "0" }
	local function lan(engine) return { L, "-q", "--output-file", "/dev/null", "--engine", engine,
		"-p", "%evt.num %proc.pid", "evt.type=kill", "--" } end
	return timed({
		{ "untraced", cmd },
		{ "floor tracer -e kill (entry stops)", cat({ F, "-e", "kill", "--" }, cmd) },
		{ "strace -f --seccomp-bpf -e trace=kill", cat({ "strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null",
			"-e", "trace=kill", "-e", "signal=none" }, cmd) },
		{ "lanner --engine ptrace", cat(lan("ptrace"), cmd) },
		{ "lanner (notifications)", cat(lan("auto"), cmd) },
		{ "taskset -c 0 floor tracer -e kill", cat(T0, { F, "-e", "kill", "--" }, cmd) },
		{ "taskset -c 0 lanner --engine ptrace", cat(T0, lan("ptrace"), cmd) },
		{ "taskset -c 0 lanner (notifications)", cat(T0, lan("auto"), cmd) },
	}, "engines")
end

-- Two threads making traced calls at once against one thread making as
-- many: whether one thread's stops wait behind the other's.
local function threads()
	local T = root .. "/build/bench/bench_topen"
	local rules = { L, "-q", "--output-file", "/dev/null", "-R", "rules/", "--" }
	local strace = { "strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null", "-e", "trace=" .. set }
	return timed({
		{ "untraced, 1 thread x 20000", { T, "1", "20000" } },
		{ "untraced, 2 threads x 10000", { T, "2", "10000" } },
		{ "lanner -R rules/, 1 thread x 20000", cat(rules, { T, "1", "20000" }) },
		{ "lanner -R rules/, 2 threads x 10000", cat(rules, { T, "2", "10000" }) },
		{ "strace, 1 thread x 20000", cat(strace, { T, "1", "20000" }) },
		{ "strace, 2 threads x 10000", cat(strace, { T, "2", "10000" }) },
	}, "threads")
end

-- Rules off the stop path (--queue, the default) against rules between
-- stops (--queue 0), on the workloads of the main table and the
-- two-thread loop: what the queue costs or saves where Lua keeps up.
local function queue()
	local rows = {}
	local function lan(q, c) return cat({ L, "-q", "--output-file", "/dev/null", "--queue", q, "-R", "rules/", "--" }, c) end
	for _, wl in ipairs(workloads) do
		if wl.name ~= "idle" and wl.name ~= "make" then
			rows[#rows + 1] = { wl.name .. ", --queue 0", lan("0", wl.cmd) }
			rows[#rows + 1] = { wl.name .. ", --queue 1M", lan("1M", wl.cmd) }
		end
	end
	local T = root .. "/build/bench/bench_topen"
	for _, q in ipairs { "0", "1M" } do
		rows[#rows + 1] = { "bench_topen 1 x 20000, --queue " .. q, lan(q, { T, "1", "20000" }) }
		rows[#rows + 1] = { "bench_topen 2 x 10000, --queue " .. q, lan(q, { T, "2", "10000" }) }
	end
	return timed(rows, "queue")
end

-- The cost of an exec under the rules with an empty environment and with
-- 64 KB of it (no per-event cost may grow faster than the data).
local function environment()
	local loop = "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done"
	local big = ("x"):rep(65536)
	local rules = L .. " -q --output-file /dev/null -R rules/ -- sh -c " .. q(loop)
	return timed({
		{ "200 execs, empty environment", { "env", "-i", "PATH=/usr/bin:/bin", "sh", "-c", loop } },
		{ "200 execs, 64 KB environment", { "env", "-i", "PATH=/usr/bin:/bin", "BIG=" .. big, "sh", "-c", loop } },
		{ "lanner -R rules/, empty environment", { "env", "-i", "PATH=/usr/bin:/bin", "sh", "-c", rules } },
		{ "lanner -R rules/, 64 KB environment", { "env", "-i", "PATH=/usr/bin:/bin", "BIG=" .. big, "sh", "-c", rules } },
	}, "env")
end

-- lanner's own start: CI steps launch it many times.
local function startup()
	return timed({
		{ "lanner -q -- true", { L, "-q", "--", "true" } },
		{ "lanner -q -R rules/ -- true", { L, "-q", "-R", "rules/", "--", "true" } },
		{ "lanner -q --no-rules-cache -R rules/ -- true", { L, "-q", "--no-rules-cache", "-R", "rules/", "--", "true" } },
		{ "true", { "true" } },
	}, "startup")
end

local md
local function w(...) md[#md + 1] = table.concat({ ... }) end
local function run(name) return next(only) == nil or only[name] end
local date = os.date("!%Y-%m-%d")

-- RESULTS.md as it was: its head (up to the first "## ") and its sections
-- by title, each "## TITLE" to the next.  What this run does not make is
-- kept from it.
local old_head, old_sections = "", {}
do
	local f = io.open("bench/RESULTS.md")
	local old = f and f:read("*a") or ""
	if f then f:close() end
	local pos = old:find("\n## ", 1, true)
	old_head = old:sub(1, (pos or #old + 1) - 1)
	while pos do
		local nxt = old:find("\n## ", pos + 1, true)
		local block = old:sub(pos + 1, (nxt or #old + 1) - 1):gsub("%s+$", "")
		old_sections[block:match("^## ([^\n]*)")] = block
		pos = nxt
	end
end

-- The main table's configurations, in its column order; a column's header
-- is the name with a space for the dash.
local COLS = { "untraced", "strace", "floor", "lanner-rules", "lanner-chisel", "lanner-nomatch" }

-- The main table's rows in the old file, by workload, as run_workload
-- makes them: the ratios are computed again from the medians, so a row
-- kept from an older layout of the table gets the new columns.
local function old_rows()
	local rows, head = {}, nil
	for line in old_head:gmatch("[^\n]+") do
		if line:find("^| ") then
			local cells = {}
			for c in line:sub(2):gmatch("([^|]*)|") do cells[#cells + 1] = c:match("^%s*(.-)%s*$") end
			if cells[1] == "workload" then
				head = cells
			elseif head then
				local by, r = {}, { name = cells[1], med = {} }
				for i, h in ipairs(head) do by[h] = cells[i] end
				local whole = true
				for _, c in ipairs(COLS) do
					r.med[c] = tonumber(by[(c:gsub("-", " "))])
					whole = whole and r.med[c] ~= nil
				end
				r.stops = tonumber(by["stops (rules)"])
				r.rss = (tonumber((by["lanner peak RSS"] or ""):match("[%d.]+")) or 0) * 1024
				if whole then rows[r.name] = r end
			end
		end
	end
	return rows
end

local function row_line(r)
	local m, lr = r.med, r.med["lanner-rules"]
	local cells = { r.name }
	for _, c in ipairs(COLS) do cells[#cells + 1] = string.format("%.3f", m[c]) end
	for _, c in ipairs { "untraced", "strace", "floor" } do cells[#cells + 1] = string.format("%.2f×", lr / m[c]) end
	-- what lanner adds to the program's time over what the other tracer
	-- adds; a tracer no slower than untraced leaves nothing to compare with
	for _, c in ipairs { "strace", "floor" } do
		local d = m[c] - m.untraced
		cells[#cells + 1] = d > 0 and string.format("%.2f×", (lr - m.untraced) / d) or "-"
	end
	cells[#cells + 1] = tostring(r.stops or "?")
	cells[#cells + 1] = string.format("%.1f MB", r.rss / 1024)
	return "| " .. table.concat(cells, " | ") .. " |"
end

-- The head: how the file was made, the main table, the workloads, nginx.
local function head()
	w("# lanner benchmark results\n")
	local made = old_head:match("\n(Made by [^\n]*)")
	if next(only) ~= nil and made then
		w(made, "\n")
		w("Re-run alone on ", date, " (`luajit bench/run.lua ", table.concat(arg, " "), "`, ", RUNS,
			" runs each): what it names; the other rows and sections are from the run above.\n")
	else
		w("Made by ", next(only) and "`luajit bench/run.lua " .. table.concat(arg, " ") .. "`" or "`make bench`",
			" (", RUNS, " runs each; min and median wall time) on ", sh("uname -srm"):gsub("%s+$", ""), ", ",
			sh("nproc"):gsub("%s+$", ""), " CPUs, ", date, ".\n")
	end
	w("The syscall set given to strace and the floor tracer is what lanner traces under the ",
		"packaged rules: `", set, "`.\n")
	w("Ratios use medians.  `floor` is bench/floor_tracer.c with exit stops (-x), as lanner's ",
		"exit-style events need.\n")
	w("| workload | untraced | strace | floor | lanner rules | lanner chisel | lanner nomatch | rules/untraced | rules/strace "
		.. "| rules/floor | overhead vs strace | overhead vs floor | stops (rules) | lanner peak RSS |")
	w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	local kept, shown = old_rows(), {}
	for _, wl in ipairs(workloads) do
		local r = run(wl.name) and run_workload(wl) or kept[wl.name]
		if r then
			w(row_line(r))
			shown[#shown + 1] = wl
		end
	end
	w("\nThe overhead columns compare only the time tracing adds: (lanner rules − untraced) / (strace − untraced), "
		.. "and the same with the floor tracer's time (`-`: that tracer was no slower than untraced).  Issue #16's "
		.. "targets are wall ratios, kept above, but where the program's own time is most of strace's (make) no "
		.. "tracer can take 0.5× strace's wall time without beating the untraced run; the overhead ratio is what "
		.. "can be held to 0.5× there.\n")
	for _, wl in ipairs(shown) do w("- ", wl.name, ": ", wl.desc) end
	w("\nfilecreate is not also run on /tmp (ext4 on the VM's disk): there the untraced run alone took 1-3 s "
		.. "from one run to the next, so its ratios measured the disk, and its six configurations took about 3 "
		.. "minutes of `make bench`.")
	if run("nginx") then
		local base, traced = nginx_bench()
		if base and traced then
			w(string.format("\nnginx under wrk (-t2 -c16 -d5s, loopback): %.0f req/s untraced, %.0f req/s under "
				.. "lanner -R rules/ (%.2f× the untraced throughput).", base, traced, traced / base))
		else
			w("\nnginx under wrk: not measured (nginx or wrk missing).")
		end
	elseif old_head:match("\nnginx under wrk[^\n]*") then
		w("\n", old_head:match("\n(nginx under wrk[^\n]*)"))
	end
end

-- A table of timed rows: a line of what was run, then the rows.
local function rows_table(what, rows, unit)
	if what then w(what, "\n") end
	w("| run | min | median |")
	w("|---|---|---|")
	local scale, u = unit == "ms" and 1000 or 1, unit or "s"
	for _, r in ipairs(rows) do
		w(string.format("| %s | %.3f %s | %.3f %s |", r[1], r[2] * scale, u, r[3] * scale, u))
	end
end

-- The sections in the file's order, by the name that runs them alone.
-- Those without a body are written elsewhere (bench/capture_replay.sh:
-- "Capture replay") or by hand ("Designs weighed": alternatives tried, with
-- the commands that measured them); they, and any section not run, are
-- kept from the file as it was.
local sections = {
	{ key = "opens", title = "The syscall mix under a filter needing only opens", body = function()
		local o = opens_only()
		w("bench_scmix 1000000 100000 (min / median wall time); lanner stops at openat's entry only:\n")
		w("| tracer | min | median | stops |")
		w("|---|---|---|---|")
		for _, r in ipairs(o) do
			w(string.format("| %s | %.3f s | %.3f s | %s |", r[1], r[2], r[3], r[4] and tostring(r[4]) or ""))
		end
		w(string.format("\nlanner / floor: %.2f×; strace / lanner: %.2f× (medians).", o[4][3] / o[2][3], o[3][3] / o[4][3]))
	end },
	{ key = "placement", title = "CPU placement", body = function()
		w("50k open/close pairs of /dev/null, one tracee thread (min / median wall time):\n")
		w("| placement | min | median |")
		w("|---|---|---|")
		for _, r in ipairs(placement()) do w(string.format("| %s | %.3f s | %.3f s |", r[1], r[2], r[3])) end
		w("\n`shared` puts lanner and the program on one CPU: a stop then wakes the other side on the")
		w("same CPU.  It is not the default because the program sees a one-CPU affinity mask")
		w("(`nproc`, Go's GOMAXPROCS, `make -j$(nproc)` size themselves from it) and its threads share")
		w("one CPU; `tracer` pins lanner alone and leaves the program's CPUs alone.")
	end },
	{ key = "pinned", title = "Pinned", body = function()
		local p = pinned()
		rows_table("Issue #16's scmix target (lanner ≤ 1.2× the floor tracer, both pinned with the program to one "
			.. "CPU): bench_scmix 1000000 100000, the main table's scmix, " .. RUNS .. " interleaved runs (min / "
			.. "median).  FMT FILTER is the opens section's `-p '%evt.num %proc.pid' 'evt.type=openat and "
			.. "evt.arg.name startswith /nonexistent/'`, which stops at openat's entry only:", p)
		local function ratio(l, f) return string.format("%.2f×", p[l][3] / p[f][3]) end
		local function over(l, f) return string.format("%.2f×", (p[l][3] - p[1][3]) / (p[f][3] - p[1][3])) end
		w("\nlanner / floor tracer (medians), -R rules/: ", ratio(3, 2), " with --cpu shared, ", ratio(4, 2),
			" under taskset; FMT FILTER: ", ratio(6, 5), " and ", ratio(7, 5), ".  The same for the time tracing "
			.. "adds ((lanner − untraced) / (floor − untraced)): ", over(3, 2), ", ", over(4, 2), "; ", over(6, 5),
			", ", over(7, 5), ".")
	end },
	{ key = "engines", title = "Engines", body = function()
		local e = engines()
		rows_table("bench_regcalls 100000 (kill(self, 0) in a loop) under `-p '%evt.num %proc.pid' "
			.. "'evt.type=kill'`, " .. RUNS .. " interleaved runs (min / median):", e)
		local function per(i) return (e[i][3] - e[1][3]) / 100000 * 1e6 end
		w(string.format("\nTime added per call (medians): floor %.1f µs, strace %.1f µs, lanner by ptrace %.1f µs, "
			.. "by notification %.1f µs; pinned: floor %.1f µs, ptrace %.1f µs, notification %.1f µs.  "
			.. "Notifications over ptrace stops: %.2f× free, %.2f× pinned.", per(2), per(3), per(4), per(5),
			per(6), per(7), per(8), e[5][3] / e[4][3], e[8][3] / e[7][3]))
	end },
	{ key = "threads", title = "Threads", body = function()
		local t = threads()
		rows_table("bench_topen: open/close of /dev/null, the same total split over one or two threads (min / median):", t)
		w(string.format("\nTwo threads' throughput over one thread's: untraced %.2f×, lanner %.2f×, strace %.2f×.",
			t[1][3] / t[2][3], t[3][3] / t[4][3], t[5][3] / t[6][3]))
	end },
	{ key = "queue", title = "Rules off the stop path", body = function()
		local t = queue()
		rows_table("lanner -R rules/ with rules between stops (--queue 0, the default on one CPU) and on "
			.. "their own thread (--queue 1M, the default on two or more), interleaved (min / median):", t)
		local ratios = {}
		for i = 1, #t - 4, 2 do
			ratios[#ratios + 1] = string.format("%s %.2f×", t[i][1]:match("^(%S+),"), t[i + 1][3] / t[i][3])
		end
		w("\nWith the queue over without (medians): ", table.concat(ratios, ", "), ".  Two threads' throughput "
			.. string.format("over one thread's: %.2f× without the queue, %.2f× with it.",
			t[#t - 3][3] / t[#t - 2][3], t[#t - 1][3] / t[#t][3]))
	end },
	{ key = "env", title = "Environment size", body = function()
		local e = environment()
		rows_table("200 execs of /bin/true from sh (min / median):", e)
		w(string.format("\nPer exec, lanner's cost with 64 KB of environment over its cost with none: %.2f× "
			.. "((traced - untraced) per exec, medians).", (e[4][3] - e[2][3]) / math.max(e[3][3] - e[1][3], 1e-9)))
	end },
	{ key = "startup", title = "Start-up", body = function()
		rows_table(nil, startup(), "ms")
	end },
	{ key = "eval", title = "Lua-side evaluation", body = function()
		w("`LANNER_LIB=build/liblanner.so luajit bench/eval.lua` (hand-built events cycled, CPU time), ",
			RUNS, " runs, the median of each figure:\n")
		-- each line's figure, by its text without the number
		local runs, order = {}, {}
		for _ = 1, RUNS do
			for line in sh("LANNER_LIB=" .. root .. "/build/liblanner.so luajit bench/eval.lua 2>&1"):gmatch("[^\n]+") do
				local key = line:gsub("[%d%.]+ ns", "# ns", 1)
				if not runs[key] then runs[key] = {}; order[#order + 1] = key end
				runs[key][#runs[key] + 1] = tonumber(line:match("([%d%.]+) ns")) or 0
			end
		end
		for _, key in ipairs(order) do
			local v = runs[key]
			table.sort(v)
			w("- ", (key:gsub("# ns", string.format("%.0f ns", v[math.floor((#v + 1) / 2)]), 1)))
		end
	end },
	{ title = "Capture replay" },
	{ title = "Designs weighed" },
}

local function cleanup()
	os.execute("rm -rf " .. q(tmp) .. (filecreate.dir and " " .. q(filecreate.dir) or ""))
end

-- A misspelt name would run nothing and rewrite the file as it was.
do
	local known = { nginx = true }
	for _, wl in ipairs(workloads) do known[wl.name] = true end
	for _, s in ipairs(sections) do
		if s.key then known[s.key] = true end
	end
	for name in pairs(only) do
		if not known[name] then
			io.stderr:write("bench/run.lua: no workload or section named ", name, "\n")
			cleanup()
			os.exit(2)
		end
	end
end

md = {}
head()
local parts = { table.concat(md, "\n") }
for _, s in ipairs(sections) do
	if s.body and run(s.key) then
		md = {}
		w("## ", s.title, "\n")
		s.body()
		parts[#parts + 1] = table.concat(md, "\n")
	elseif old_sections[s.title] then
		parts[#parts + 1] = old_sections[s.title]
	end
end
local text = table.concat(parts, "\n\n") .. "\n"
io.stdout:write(text)
local out = io.open("bench/RESULTS.md", "w")
out:write(text)
out:close()
io.stderr:write("wrote bench/RESULTS.md\n")
cleanup()
