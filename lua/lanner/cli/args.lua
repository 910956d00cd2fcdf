-- Command-line parsing, sysdig style: options, then a filter made of the
-- remaining words, then `--` and the command to run.
local M = {}

-- The core clamps to it too (ln_set_snaplen): past it, an event with every
-- buffer that long would not fit a capture block.
local MAX_SNAPLEN = tonumber(require("lanner.core").C.LN_MAX_SNAPLEN)

local usage = [==[
usage: lanner [OPTIONS] [FILTER...] [-- COMMAND [ARG...]]
       lanner [OPTIONS] [FILTER...] --pid PID

Runs COMMAND under ptrace + seccomp and prints its syscalls, the alerts of
Falco rules (-R), or the answers of sysdig chisels (-c).

Output
  -p, --print FMT        format events with %field (sysdig's -p); a leading *
                         prints events even when a field is missing
  -j, --json             one JSON object per event or alert
  -n, --numevents N      stop after N printed events
  -M SECS                stop after SECS seconds
  -s, --snaplen N        bytes of I/O buffers kept per event (default 80,
                         at most MAX_SNAPLEN: a capture block must hold them)
      --output-file FILE write events and alerts to FILE, not stdout
  -q, --quiet            no progress or summary on stderr
      --stats            print tracing statistics at the end (stderr)
      --cpu POLICY       free (default), tracer (pin lanner to one CPU) or
                         shared (lanner and the program on one CPU)
Captures
  -w FILE                record events to a capture file (with a filter:
                         only what matches)
  -r FILE                read events from a capture instead of tracing
  -C MB, -G SECS, -W N   rotate the capture by size or time, keep N files
  -z, --compress [ALG]   compress the capture's blocks: zlib (the default
                         with -z) or zstd; reading detects it
Rules and detections
  -R, --rules PATH       load a Falco rules file, or every *.yaml in a folder
                         (repeatable; later files may override earlier ones)
  -V, --validate         load and check the rules, report, exit 0 or 1
      --list-rules       name, priority, tags, enabled, description
  -m, --min-priority P   only rules at or above priority P
      --script FILE      load a Lua detection script (repeatable)
      --config FILE      configuration (default /etc/lanner/lanner.yaml)
  -o, --option K=V       set a configuration key (repeatable)
      --stats-interval S print statistics every S seconds
Chisels
  -c, --chisel NAME [ARGS]  run a chisel (repeatable); ARGS is one word
  -cl, --list-chisels    list chisels by category
  -i NAME                describe a chisel and its arguments
Attaching
      --pid PID          trace a running process and the children it makes
                         from now on (repeatable); Ctrl-C detaches
      --children         with --pid: also its existing descendants
      --attach-mode M    syscall (default: stops at every syscall, can
                         detach) or seccomp (injects the filter: fast, but
                         the process can never be detached; lanner serves
                         it until it exits)
      --keep             never kill a launched program where lanner would
                         (-M, -n, Ctrl-C/SIGTERM once the program left
                         children running): it carries lanner's seccomp
                         filter, so it cannot run on untraced; lanner says
                         so and serves it until it exits
Prevention
      --enforce          rules tagged lanner.deny[.ERRNO], lanner.kill or
                         lanner.kill_tree refuse the calls they match (or
                         kill); without it they alert "would deny" (a dry
                         run).  Config keys: enforce, enforce_filter_alerts
Information
  -l, --list [PREFIX]    fields with their types and descriptions
  -L, --list-events      event types and their arguments
      --debug-filter     print the seccomp filter lanner would load and exit
  -h, --help             this text
      --version          lanner's version

The exit status is COMMAND's (128+N when a signal N killed it); 2 for
lanner's own errors, 1 for -V with errors.
]==]
M.usage = usage:gsub("MAX_SNAPLEN", tostring(MAX_SNAPLEN))

local with_value = {
	["-p"] = "print", ["--print"] = "print",
	["-n"] = "numevents", ["--numevents"] = "numevents",
	["-M"] = "duration",
	["-s"] = "snaplen", ["--snaplen"] = "snaplen",
	["--output-file"] = "output_file",
	["-m"] = "min_priority", ["--min-priority"] = "min_priority",
	["-i"] = "describe_chisel",
	["-w"] = "write_file", ["-r"] = "read_file",
	["--test-rules"] = "test_rules",
	["--attach-mode"] = "attach_mode",
	["--config"] = "config",
	["--cpu"] = "cpu_policy",
	["--stats-interval"] = "stats_interval",
	["-C"] = "rotate_mb", ["-G"] = "rotate_secs", ["-W"] = "rotate_files",
}

local flags = {
	["-j"] = "json", ["--json"] = "json",
	["-q"] = "quiet", ["--quiet"] = "quiet",
	["--stats"] = "stats",
	["-V"] = "validate", ["--validate"] = "validate",
	["--list-rules"] = "list_rules",
	["-cl"] = "list_chisels", ["--list-chisels"] = "list_chisels",
	["-L"] = "list_events", ["--list-events"] = "list_events",
	["--debug-filter"] = "debug_filter",
	["-h"] = "help", ["--help"] = "help",
	["--version"] = "version",
	["--children"] = "children",
	["--keep"] = "keep",
	["--enforce"] = "enforce",
}

-- chisel_nargs(name) tells how many argument words a chisel takes (0 or 1
-- here: sysdig passes a chisel's arguments as one word, split later).
function M.parse(argv, chisel_nargs)
	local o = { rules = {}, chisels = {}, filter_words = {}, command = nil }
	local i = 1
	local function value(opt)
		local v = argv[i + 1]
		if v == nil then return nil, "option " .. opt .. " needs a value" end
		i = i + 1
		return v
	end
	while i <= #argv do
		local a = argv[i]
		local long, eqv = a:match("^(%-%-[%w-]+)=(.*)$")
		if long then a = long end
		if a == "--" then
			o.command = {}
			for k = i + 1, #argv do o.command[#o.command + 1] = argv[k] end
			break
		elseif with_value[a] then
			local v, err
			if eqv then v = eqv else v, err = value(a) end
			if not v then return nil, err end
			o[with_value[a]] = v
		elseif flags[a] then
			o[flags[a]] = true
		elseif a == "-R" or a == "--rules" then
			local v, err
			if eqv then v = eqv else v, err = value(a) end
			if not v then return nil, err end
			o.rules[#o.rules + 1] = v
		elseif a == "--pid" or a == "-P" then
			local v, err
			if eqv then v = eqv else v, err = value(a) end
			if not v then return nil, err end
			local pid = tonumber(v)
			if not pid or pid <= 0 then return nil, "--pid needs a process id, got '" .. v .. "'" end
			o.pids = o.pids or {}
			o.pids[#o.pids + 1] = math.floor(pid)
		elseif a == "--script" then
			local v, err
			if eqv then v = eqv else v, err = value(a) end
			if not v then return nil, err end
			o.scripts = o.scripts or {}
			o.scripts[#o.scripts + 1] = v
		elseif a == "-o" or a == "--option" then
			local v, err
			if eqv then v = eqv else v, err = value(a) end
			if not v then return nil, err end
			if not v:find("=", 1, true) then return nil, "-o needs key=value, got '" .. v .. "'" end
			o.options = o.options or {}
			o.options[#o.options + 1] = v
		elseif a == "-z" or a == "--compress" then
			-- the algorithm is optional: -z alone means zlib, as sysdig's -z
			local nxt = eqv or argv[i + 1]
			if nxt == "zlib" or nxt == "zstd" then
				o.compress = nxt
				if not eqv then i = i + 1 end
			elseif eqv then
				return nil, "--compress takes zlib or zstd, got '" .. eqv .. "'"
			else
				o.compress = "zlib"
			end
		elseif a == "-l" or a == "--list" then
			o.list_fields = true
			local nxt = argv[i + 1]
			if nxt and nxt ~= "--" and nxt:sub(1, 1) ~= "-" then
				o.list_prefix = nxt
				i = i + 1
			end
		elseif a == "-c" or a == "--chisel" then
			local name, err = value(a)
			if not name then return nil, err end
			local ch = { name = name }
			local nxt = argv[i + 1]
			-- sysdig's rule: optional-only arguments give way to a filter
			local n = chisel_nargs and chisel_nargs(name, nxt) or 0
			if n > 0 and nxt and nxt ~= "--" then
				ch.args = nxt
				i = i + 1
			end
			o.chisels[#o.chisels + 1] = ch
		elseif a:sub(1, 1) == "-" and #a > 1 and not a:match("^%-%d") then
			return nil, "unknown option '" .. a .. "' (lanner -h lists them)"
		else
			o.filter_words[#o.filter_words + 1] = argv[i]
		end
		i = i + 1
	end
	if #o.filter_words > 0 then o.filter = table.concat(o.filter_words, " ") end
	for _, k in ipairs { "numevents", "snaplen", "duration", "stats_interval", "rotate_mb", "rotate_secs", "rotate_files" } do
		if o[k] then
			local n = tonumber(o[k])
			if not n or n < 0 then return nil, "option for " .. k .. " needs a number, got '" .. o[k] .. "'" end
			o[k] = n
		end
	end
	if o.snaplen and o.snaplen ~= math.floor(o.snaplen) then
		return nil, "-s: the snaplen is a whole number of bytes, got " .. o.snaplen
	elseif o.snaplen and o.snaplen > MAX_SNAPLEN then
		return nil, string.format("-s: %.0f bytes per buffer would make events too long for a capture block: at most %d",
			o.snaplen, MAX_SNAPLEN)
	end
	if o.compress and not o.write_file then return nil, "-z/--compress needs -w FILE" end
	return o
end

return M
