-- The benchmark suite behind `make bench`.  Each workload runs untraced,
-- under strace --seccomp-bpf, under the floor tracer (bench/floor_tracer.c:
-- stops on the same syscalls and only resumes) and under lanner with the
-- packaged rules, a chisel, and a filter that matches nothing.  Reports min
-- and median wall time over BENCH_RUNS runs (default 3), ratios, lanner's
-- stops and peak RSS, and writes bench/RESULTS.md.
--
--   luajit bench/run.lua [workload ...]     (make bench runs them all)
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

local tmp = sh("mktemp -d /tmp/lanner-bench.XXXXXX"):gsub("%s+$", "")
local root = sh("pwd"):gsub("%s+$", "")
local L = root .. "/build/lanner"

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
	{ name = "filecreate", desc = "create, write, close, delete 20k files",
	  cmd = { root .. "/build/bench/bench_filecreate", tmp .. "/fc", "20000" } },
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
	{ name = "python", desc = "python3 importing a large stdlib set",
	  cmd = { "python3", "-c", "import json, email.parser, http.client, xml.dom.minidom, asyncio, "
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
	os.execute(join(argv) .. " >/dev/null 2>" .. errf)
	local t = now() - t0
	local f = io.open(errf)
	local err = f and f:read("*a") or ""
	if f then f:close() end
	return t, err
end

local function stats_of(err)
	local s = {}
	s.stops = tonumber(err:match("stops: (%d+)"))
	s.rss = tonumber(err:match("peak rss: (%d+)"))
	s.events = tonumber(err:match("events: (%d+)"))
	return s
end

local results = {}
local set = traced_set()
io.stderr:write("traced by the packaged rules (given to strace and the floor tracer):\n  ", set, "\n")
for _, w in ipairs(workloads) do
	if next(only) == nil or only[w.name] then
		local row = { w = w, c = {} }
		for _, c in ipairs(configs(set)) do
			local times, st = {}, {}
			for i = 1, RUNS do
				local t, err = run_once(c.wrap(w.cmd))
				times[i] = t
				if c.lanner then st = stats_of(err) end
			end
			table.sort(times)
			row.c[c.name] = { min = times[1], med = times[math.floor((#times + 1) / 2)], st = st }
			io.stderr:write(string.format("%-10s %-15s min %.3fs median %.3fs%s\n", w.name, c.name,
				times[1], row.c[c.name].med, st.stops and string.format(" stops %d rss %dkB", st.stops, st.rss or 0) or ""))
		end
		results[#results + 1] = row
	end
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

-- Two threads making traced calls at once against one thread making as
-- many: whether one thread's stops wait behind the other's.
local function threads()
	local T = root .. "/build/bench/bench_topen"
	local rules = { L, "-q", "--output-file", "/dev/null", "-R", "rules/", "--" }
	return timed({
		{ "untraced, 1 thread x 20000", { T, "1", "20000" } },
		{ "untraced, 2 threads x 10000", { T, "2", "10000" } },
		{ "lanner -R rules/, 1 thread x 20000", { unpack(rules), T, "1", "20000" } },
		{ "lanner -R rules/, 2 threads x 10000", { unpack(rules), T, "2", "10000" } },
		{ "strace, 1 thread x 20000", { "strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null", "-e", "trace=" .. set, T, "1", "20000" } },
		{ "strace, 2 threads x 10000", { "strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null", "-e", "trace=" .. set, T, "2", "10000" } },
	}, "threads")
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
		{ "true", { "true" } },
	}, "startup")
end

local md = {}
local function w(...) md[#md + 1] = table.concat({ ... }) end
w("# lanner benchmark results\n")
w("Made by `make bench` (", RUNS, " runs each; min and median wall time) on ",
	sh("uname -srm"):gsub("%s+$", ""), ", ", sh("nproc"):gsub("%s+$", ""), " CPUs, ",
	os.date("!%Y-%m-%d"), ".\n")
w("The syscall set given to strace and the floor tracer is what lanner traces under the ",
	"packaged rules: `", set, "`.\n")
w("Ratios use medians.  `floor` is bench/floor_tracer.c with exit stops (-x), as lanner's ",
	"exit-style events need.\n")
w("| workload | untraced | strace | floor | lanner rules | lanner chisel | lanner nomatch | rules/untraced | rules/strace | rules/floor | stops (rules) | lanner peak RSS |")
w("|---|---|---|---|---|---|---|---|---|---|---|---|")
for _, r in ipairs(results) do
	local c = r.c
	local function m(n) return string.format("%.3f", c[n].med) end
	local rss = 0
	for _, n in ipairs { "lanner-rules", "lanner-chisel", "lanner-nomatch" } do
		rss = math.max(rss, c[n].st.rss or 0)
	end
	w(string.format("| %s | %s | %s | %s | %s | %s | %s | %.2f× | %.2f× | %.2f× | %s | %.1f MB |", r.w.name,
		m("untraced"), m("strace"), m("floor"), m("lanner-rules"), m("lanner-chisel"), m("lanner-nomatch"),
		c["lanner-rules"].med / c.untraced.med, c["lanner-rules"].med / c.strace.med,
		c["lanner-rules"].med / c.floor.med, tostring(c["lanner-rules"].st.stops or "?"), rss / 1024))
end
w("")
for _, r in ipairs(results) do w("- ", r.w.name, ": ", r.w.desc) end
if next(only) == nil or only.nginx then
	local base, traced = nginx_bench()
	if base and traced then
		w(string.format("\nnginx under wrk (-t2 -c16 -d5s, loopback): %.0f req/s untraced, %.0f req/s under "
			.. "lanner -R rules/ (%.2f× the untraced throughput).", base, traced, traced / base))
	else
		w("\nnginx under wrk: not measured (nginx or wrk missing).")
	end
end
if next(only) == nil or only.opens then
	local o = opens_only()
	w("\n## The syscall mix under a filter needing only opens\n")
	w("bench_scmix 1000000 100000 (min / median wall time); lanner stops at openat's entry only:\n")
	w("| tracer | min | median | stops |")
	w("|---|---|---|---|")
	for _, r in ipairs(o) do
		w(string.format("| %s | %.3f s | %.3f s | %s |", r[1], r[2], r[3], r[4] and tostring(r[4]) or ""))
	end
	w(string.format("\nlanner / floor: %.2f×; strace / lanner: %.2f× (medians).", o[4][3] / o[2][3], o[3][3] / o[4][3]))
end
if next(only) == nil or only.placement then
	w("\n## CPU placement\n")
	w("50k open/close pairs of /dev/null, one tracee thread (min / median wall time):\n")
	w("| placement | min | median |")
	w("|---|---|---|")
	for _, r in ipairs(placement()) do w(string.format("| %s | %.3f s | %.3f s |", r[1], r[2], r[3])) end
	w("\n`shared` puts lanner and the program on one CPU: a stop then wakes the other side on the")
	w("same CPU.  It is not the default because the program sees a one-CPU affinity mask")
	w("(`nproc`, Go's GOMAXPROCS, `make -j$(nproc)` size themselves from it) and its threads share")
	w("one CPU; `tracer` pins lanner alone and leaves the program's CPUs alone.")
end
-- A section of timed rows: its title, a line of what was run, the table.
local function section(title, what, rows, unit)
	w("\n## ", title, "\n")
	if what then w(what, "\n") end
	w("| run | min | median |")
	w("|---|---|---|")
	local scale, u = unit == "ms" and 1000 or 1, unit or "s"
	for _, r in ipairs(rows) do
		w(string.format("| %s | %.3f %s | %.3f %s |", r[1], r[2] * scale, u, r[3] * scale, u))
	end
end
if next(only) == nil or only.threads then
	local t = threads()
	section("Threads", "bench_topen: open/close of /dev/null, the same total split over one or two threads (min / median):", t)
	w(string.format("\nTwo threads' throughput over one thread's: untraced %.2f×, lanner %.2f×, strace %.2f×.",
		t[1][3] / t[2][3], t[3][3] / t[4][3], t[5][3] / t[6][3]))
end
if next(only) == nil or only.env then
	local e = environment()
	section("Environment size", "200 execs of /bin/true from sh (min / median):", e)
	w(string.format("\nPer exec, lanner's cost with 64 KB of environment over its cost with none: %.2f× "
		.. "((traced - untraced) per exec, medians).", (e[4][3] - e[2][3]) / math.max(e[3][3] - e[1][3], 1e-9)))
end
if next(only) == nil or only.startup then
	section("Start-up", nil, startup(), "ms")
end
if next(only) == nil or only.eval then
	w("\n## Lua-side evaluation\n")
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
end
-- Sections other commands write (bench/capture_replay.sh: "## Capture
-- replay") and the hand-written "## Designs weighed" (alternatives tried,
-- with the commands that measured them) are kept from the file as it was.
do
	local f = io.open("bench/RESULTS.md")
	local old = f and f:read("*a") or ""
	if f then f:close() end
	for _, title in ipairs { "Capture replay", "Designs weighed" } do
		local keep = old:match("\n(## " .. title .. "\n.-)\n## ") or old:match("\n(## " .. title .. "\n.*)$")
		if keep and next(only) == nil then w("\n" .. keep:gsub("%s+$", "")) end
	end
end
local text = table.concat(md, "\n") .. "\n"
io.stdout:write(text)
if next(only) == nil then
	local out = io.open("bench/RESULTS.md", "w")
	out:write(text)
	out:close()
	io.stderr:write("wrote bench/RESULTS.md\n")
end
os.execute("rm -rf " .. q(tmp))
