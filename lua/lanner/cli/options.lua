-- lanner's command-line options, once: the parser (cli/args.lua), `lanner
-- --help` and the man page (cli/manpage.lua, `make man`) are all made from
-- this table, so no option can be in one and missing from another.
--
-- An option: names (short first), arg (the value's name; nil for a flag),
-- optional (the value may be left out), key (the field args.parse fills),
-- kind: "value" (o[key] = text), "flag" (o[key] = true), "list" (appended
-- to o[key]), or "special" (args.parse handles it by name), and help (one
-- paragraph; MAX_SNAPLEN is replaced by the core's figure).
local M = {}

M.synopsis = {
	"[OPTIONS] [FILTER...] [-- COMMAND [ARG...]]",
	"[OPTIONS] [FILTER...] --pid PID",
}

M.intro = "Runs COMMAND under ptrace + seccomp and prints its syscalls, the alerts of "
	.. "Falco rules (-R), or the answers of sysdig chisels (-c)."

M.sections = {
	{ title = "Output", options = {
		{ names = { "-p", "--print" }, arg = "FMT", key = "print", kind = "value",
			help = "format events with %field (sysdig's -p); a leading * prints events even when a field is missing" },
		{ names = { "-j", "--json" }, key = "json", kind = "flag",
			help = "one JSON object per event or alert" },
		{ names = { "-n", "--numevents" }, arg = "N", key = "numevents", kind = "value",
			help = "stop after N printed events" },
		{ names = { "-M" }, arg = "SECS", key = "duration", kind = "value",
			help = "stop after SECS seconds" },
		{ names = { "-s", "--snaplen" }, arg = "N", key = "snaplen", kind = "value",
			help = "bytes of I/O buffers kept per event: 80 by default, at most MAX_SNAPLEN (a capture block must hold them)" },
		{ names = { "--output-file" }, arg = "FILE", key = "output_file", kind = "value",
			help = "write events and alerts to FILE, not stdout; FILE is overwritten (as strace's -o does) unless -A" },
		{ names = { "-A", "--append" }, key = "append", kind = "flag",
			help = "with --output-file: append to FILE instead of overwriting it" },
		{ names = { "-q", "--quiet" }, key = "quiet", kind = "flag",
			help = "no progress or summary on stderr" },
		{ names = { "--stats" }, key = "stats", kind = "flag",
			help = "print tracing statistics at the end (stderr)" },
		{ names = { "--cpu" }, arg = "POLICY", key = "cpu_policy", kind = "value",
			help = "free (default), tracer (pin lanner to one CPU) or shared (lanner and the program on one CPU)" },
		{ names = { "--poll" }, arg = "US", key = "poll_us", kind = "value",
			help = "poll for the next stop US microseconds before sleeping (default 100, 0: never; adaptive; by default none where the program can run only on lanner's CPU: --cpu shared, taskset)" },
		{ names = { "--engine" }, arg = "WHICH", key = "engine", kind = "value",
			help = "auto (default): calls that never wait and whose events need no result and nothing from the program's memory (kill, setuid, dup, lseek...) reach lanner as seccomp user notifications, a same-CPU hand-off, where the kernel has the synchronous wake-up (Linux 6.6) and the program is launched; ptrace: every event from a ptrace stop" },
		{ names = { "--queue" }, arg = "SIZE", key = "queue", kind = "value",
			help = "run rules, chisels and outputs on a thread of their own, fed through a queue of SIZE bytes (K, M suffixes); 0: on the tracing thread, between stops.  Default: 1M where lanner can use 2 CPUs or more (affinity and cgroup quota), else 0" },
		{ names = { "--queue-full" }, arg = "WHAT", key = "queue_full", kind = "value",
			help = "when the queue is full: wait (default: the tracer waits for room, nothing is lost) or drop (events are lost and counted in --stats, never state changes); implies a queue" },
	} },
	{ title = "Captures", options = {
		{ names = { "-w" }, arg = "FILE", key = "write_file", kind = "value",
			help = "record events to a capture file (with a filter: only what matches)" },
		{ names = { "-r" }, arg = "FILE", key = "read_file", kind = "value",
			help = "read events from a capture instead of tracing" },
		{ names = { "-C" }, arg = "MB", key = "rotate_mb", kind = "value",
			help = "with -w: start a new capture file every MB megabytes" },
		{ names = { "-G" }, arg = "SECS", key = "rotate_secs", kind = "value",
			help = "with -w: start a new capture file every SECS seconds" },
		{ names = { "-W" }, arg = "N", key = "rotate_files", kind = "value",
			help = "with -C or -G: keep the last N capture files" },
		{ names = { "-z", "--compress" }, arg = "ALG", optional = true, key = "compress", kind = "special",
			help = "compress the capture's blocks: zlib (the default with -z) or zstd; reading detects it" },
		{ names = { "--capture-format" }, arg = "F", key = "capture_format", kind = "value",
			help = "lcap (lanner's) or scap (sysdig's .scap, read by sysdig 0.29); by default scap when FILE "
				.. "ends in .scap; -r tells them by their magic" },
	} },
	{ title = "Rules and detections", options = {
		{ names = { "-R", "--rules" }, arg = "PATH", key = "rules", kind = "list",
			help = "load a Falco rules file, or every *.yaml in a folder (repeatable; later files may override "
				.. "earlier ones). A file that cannot be read or has errors stops lanner before it starts anything" },
		{ names = { "--ignore-broken-rules" }, key = "ignore_broken_rules", kind = "flag",
			help = "start even when rules files are missing or have errors: report them and run the rules that loaded "
				.. "(configuration key ignore_broken_rules)" },
		{ names = { "--no-rules-cache" }, key = "no_rules_cache", kind = "flag",
			help = "load the rules from their files only: by default the loaded set is kept in $LANNER_CACHE_DIR "
				.. "(else $XDG_CACHE_HOME/lanner or ~/.cache/lanner) and used again while the files and lanner are unchanged" },
		{ names = { "-V", "--validate" }, key = "validate", kind = "flag",
			help = "load and check the rules, report, exit 0 or 1" },
		{ names = { "--list-rules" }, key = "list_rules", kind = "flag",
			help = "name, priority, tags, enabled, description" },
		{ names = { "--test-rules" }, arg = "FILE", key = "test_rules", kind = "value",
			help = "run the trigger and benign cases of a rule-test file (spec/rules/cases.yaml)" },
		{ names = { "-m", "--min-priority" }, arg = "P", key = "min_priority", kind = "value",
			help = "only rules at or above priority P (emergency, alert, critical, error, warning, notice, "
				.. "info, debug)" },
		{ names = { "--script" }, arg = "FILE", key = "scripts", kind = "list",
			help = "load a Lua detection script (repeatable)" },
		{ names = { "--config" }, arg = "FILE", key = "config", kind = "value",
			help = "configuration (default /etc/lanner/lanner.yaml)" },
		{ names = { "-o", "--option" }, arg = "K=V", key = "options", kind = "special",
			help = "set a configuration key (repeatable)" },
		{ names = { "--stats-interval" }, arg = "S", key = "stats_interval", kind = "value",
			help = "print statistics every S seconds" },
	} },
	{ title = "Chisels", options = {
		{ names = { "-c", "--chisel" }, arg = "NAME [ARGS]", key = "chisels", kind = "special",
			help = "run a chisel (repeatable); ARGS is one word" },
		{ names = { "-cl", "--list-chisels" }, key = "list_chisels", kind = "flag",
			help = "list chisels by category" },
		{ names = { "-i" }, arg = "NAME", key = "describe_chisel", kind = "value",
			help = "describe a chisel and its arguments" },
	} },
	{ title = "Attaching", options = {
		{ names = { "--pid" }, arg = "PID", key = "pids", kind = "special",
			help = "trace a running process and the children it makes from now on (repeatable); Ctrl-C detaches" },
		{ names = { "--children" }, key = "children", kind = "flag",
			help = "with --pid: also its existing descendants" },
		{ names = { "--attach-mode" }, arg = "M", key = "attach_mode", kind = "value",
			help = "syscall (default: stops at every syscall, can detach) or seccomp (injects the filter: fast, "
				.. "but the process can never be detached; lanner serves it until it exits)" },
		{ names = { "--keep" }, key = "keep", kind = "flag",
			help = "never kill a launched program where lanner would (-M, -n, Ctrl-C/SIGTERM once the program "
				.. "left children running): it carries lanner's seccomp filter, so it cannot run on untraced; "
				.. "lanner says so and serves it until it exits" },
	} },
	{ title = "Prevention", options = {
		{ names = { "--enforce" }, key = "enforce", kind = "flag",
			help = "rules tagged lanner.deny[.ERRNO], lanner.kill or lanner.kill_tree refuse the calls they match "
				.. "(or kill); without it they alert \"would deny\" (a dry run).  Config keys: enforce, "
				.. "enforce_filter_alerts (doc/writing-a-rule.md)" },
	} },
	{ title = "Escapes (what would take syscalls out of lanner's sight)", options = {
		{ names = { "--allow-seccomp-listener" }, key = "allow_seccomp_listener", kind = "flag",
			help = "let the program install a seccomp filter with a listener (SECCOMP_FILTER_FLAG_NEW_LISTENER; "
				.. "refused with EPERM by default): the syscalls its filter sends to the listener are then not seen" },
		{ names = { "--refuse-io-uring" }, key = "refuse_io_uring", kind = "flag",
			help = "io_uring_setup/enter/register fail with EPERM, as in container runtimes' default seccomp profiles" },
	} },
	{ title = "Information", options = {
		{ names = { "-l", "--list" }, arg = "PREFIX", optional = true, key = "list_fields", kind = "special",
			help = "fields with their types and descriptions" },
		{ names = { "-L", "--list-events" }, key = "list_events", kind = "flag",
			help = "event types and their arguments" },
		{ names = { "--debug-filter" }, key = "debug_filter", kind = "flag",
			help = "print the seccomp filter lanner would load and exit" },
		{ names = { "-h", "--help" }, key = "help", kind = "flag",
			help = "this text" },
		{ names = { "--version" }, key = "version", kind = "flag",
			help = "lanner's version" },
	} },
}

M.exit_status = "The exit status is COMMAND's (128+N when a signal N killed it); 2 for lanner's own errors "
	.. "(a bad option, filter or format); 1 when rules files are missing or have errors (nothing is started), "
	.. "and for -V with errors."

-- name -> option entry
M.by_name = {}
for _, s in ipairs(M.sections) do
	for _, opt in ipairs(s.options) do
		for _, n in ipairs(opt.names) do M.by_name[n] = opt end
	end
end

-- "-p, --print FMT" / "-z, --compress [ALG]"
function M.label(opt)
	local l = table.concat(opt.names, ", ")
	if opt.arg then l = l .. " " .. (opt.optional and "[" .. opt.arg .. "]" or opt.arg) end
	return l
end

local function wrap(text, width)
	local lines, cur = {}, ""
	for word in text:gmatch("%S+") do
		if cur ~= "" and #cur + 1 + #word > width then
			lines[#lines + 1] = cur
			cur = word
		else
			cur = cur == "" and word or cur .. " " .. word
		end
	end
	if cur ~= "" then lines[#lines + 1] = cur end
	return lines
end
M.wrap = wrap

-- The --help text.  subst: { MAX_SNAPLEN = "65536" }.
function M.help(subst)
	local function fill(s) return (s:gsub("MAX_SNAPLEN", (subst or {}).MAX_SNAPLEN or "MAX_SNAPLEN")) end
	local out = {}
	for i, s in ipairs(M.synopsis) do
		out[#out + 1] = (i == 1 and "usage: lanner " or "       lanner ") .. s
	end
	out[#out + 1] = ""
	for _, l in ipairs(wrap(M.intro, 76)) do out[#out + 1] = l end
	out[#out + 1] = ""
	local COL = 25
	for _, s in ipairs(M.sections) do
		out[#out + 1] = s.title
		for _, opt in ipairs(s.options) do
			local label = "  " .. (opt.names[1]:sub(2, 2) == "-" and "    " or "") .. M.label(opt)
			local body = wrap(fill(opt.help), 78 - COL)
			if #label + 1 > COL then
				out[#out + 1] = label
			else
				out[#out + 1] = label .. (" "):rep(COL - #label) .. table.remove(body, 1)
			end
			for _, l in ipairs(body) do out[#out + 1] = (" "):rep(COL) .. l end
		end
	end
	out[#out + 1] = ""
	for _, l in ipairs(wrap(M.exit_status, 76)) do out[#out + 1] = l end
	return table.concat(out, "\n") .. "\n"
end

return M
