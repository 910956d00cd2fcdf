-- The main job: load the consumers, trace the command, feed every event to
-- the event printer, the rules engine and the chisels.
local core = require "lanner.core"
local fields = require "lanner.fields"
local filter = require "lanner.filter"
local format = require "lanner.format"
local interest = require "lanner.interest"
local session = require "lanner.session"
local alert_format = require "lanner.alert_format"

local ffi = core.ffi

local M = {}

local function errf(fmt, ...)
	io.stderr:write("lanner: ", string.format(fmt, ...), "\n")
end

ffi.cdef [[ int isatty(int fd); ]]

local DEFAULT_FORMAT = "%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info"

-- Loads the rules and reports their problems; nil when a file could not be
-- used at all.
local function load_rules(o)
	local rules = require "lanner.rules"
	local rs = rules.load(o.rules, { min_priority = o.min_priority })
	for _, w in ipairs(rs.warnings or {}) do
		if not o.quiet then io.stderr:write("lanner: warning: ", tostring(w), "\n") end
	end
	for _, e in ipairs(rs.errors or {}) do
		io.stderr:write("lanner: error: ", tostring(e), "\n")
	end
	if rs.errors and #rs.errors > 0 then
		io.stderr:write("lanner: rules with errors were skipped; the others are loaded\n")
	end
	return rs, rules
end

function M.run(o)
	if not o.command and not o.pids and not o.debug_filter then
		errf("nothing to run: give a command after -- (lanner -h for help)")
		return 2
	end
	local out = io.stdout
	if o.output_file then
		local f, err = io.open(o.output_file, "a")
		if not f then
			errf("cannot open %s", err)
			return 2
		end
		out = f
	end
	if ffi.C.isatty(1) == 0 or o.output_file then out:setvbuf("full") else out:setvbuf("line") end

	local needs = {}
	local rs, rules, engine
	local env = { macros = {}, lists = {} }
	if #o.rules > 0 then
		rs, rules = load_rules(o)
		env = rs.env or env
		engine = rules.engine(rs, { rule_matching = o.rule_matching })
		local int = rs:interest()
		int.what = "rules"
		needs[#needs + 1] = int
	end

	-- The command-line filter: Falco's syntax, macros and lists of the
	-- loaded rules usable.
	local evfilter, fneed
	if o.filter then
		local ast, err = filter.parse(o.filter)
		if ast then ast, err = filter.expand(ast, env) end
		if ast then
			evfilter, err = filter.compile(ast, fields)
		end
		if not evfilter then
			errf("filter: %s", err)
			return 2
		end
		fneed = filter.analyze(ast, fields)
		fneed.what = "filter"
	end

	local chisels = {}
	if #o.chisels > 0 then
		local chisel = require "lanner.chisel"
		for _, c in ipairs(o.chisels) do
			local ch, err = chisel.load(c.name, c.args, { output = out, filter = o.filter })
			if not ch then
				errf("%s", err)
				return 2
			end
			chisels[#chisels + 1] = ch
			needs[#needs + 1] = ch:interest()
		end
	end

	local print_events = o.print ~= nil or (not engine and #chisels == 0)
	local fmt, fmt_fields
	if print_events then
		local f = o.print or DEFAULT_FORMAT
		if o.json and not o.print then
			fmt = function(ev) return format.json(ev) end
		elseif o.json then
			local err
			fmt, err = format.compile_json(f)
			if not fmt then
				errf("format: %s", err)
				return 2
			end
		else
			local err
			fmt, err = format.compile(f)
			if not fmt then
				errf("format: %s", err)
				return 2
			end
		end
		fmt_fields = {}
		for _, n in ipairs(format.fields_of(f)) do fmt_fields[n] = true end
		local need = { types = fneed and fneed.types, fields = fmt_fields, what = nil }
		if fneed then
			for k in pairs(fneed.fields or {}) do fmt_fields[k] = true end
		end
		needs[#needs + 1] = need
	elseif fneed then
		-- a filter with rules or chisels only narrows the printed events;
		-- it still adds what its own fields need
		needs[#needs + 1] = { types = fneed.types, fields = fneed.fields }
	end

	local modes, warnings, fd_full = interest.compute(needs)
	for _, w in ipairs(warnings) do
		if not o.quiet then errf("warning: %s", w) end
	end
	local sess = assert(session.new())
	if o.snaplen then sess:set_snaplen(o.snaplen) end
	sess:trace(modes)
	sess:set_fd_tracking(fd_full)
	if o.debug_filter then
		local names = {}
		for name, mode in pairs(modes) do names[#names + 1] = name end
		table.sort(names)
		local described = {}
		for i, name in ipairs(names) do described[i] = name .. (modes[name] == "entry" and "(entry)" or "") end
		io.stdout:write("# traced: ", table.concat(names, ","), "\n")
		io.stdout:write("# modes: ", table.concat(described, " "), "\n")
		io.stdout:write("# fd table: ", fd_full and "exact (fd syscalls traced)" or "read from the kernel per event", "\n")
		io.stdout:flush()
		sess:debug_filter(1)
		return 0
	end
	fields.set_session(sess.s)
	for _, ch in ipairs(chisels) do ch:start(sess) end

	for _, apid in ipairs(o.pids or {}) do
		local targets = { apid }
		if o.children then
			for _, c in ipairs(M.descendants(apid)) do targets[#targets + 1] = c end
		end
		for _, tp in ipairs(targets) do
			local ok, err = sess:attach(tp, o.attach_mode)
			if not ok and tp == apid then
				errf("%s", err)
				sess:stop_all()
				return 2
			end
		end
	end
	if o.command then
		local pid, err = sess:spawn(o.command)
		if not pid then
			errf("%s", err)
			sess:stop_all()
			return err:match("No such file") and 127 or 126
		end
	end

	local printed, stopped_by_us = 0, false
	local deadline = o.duration and (os.time() + o.duration)
	local alert_line = o.json and alert_format.json or alert_format.text
	local nalerts = 0
	local interval_ms = -1
	for _, ch in ipairs(chisels) do
		local ms = ch:interval_ms()
		if ms and (interval_ms < 0 or ms < interval_ms) then interval_ms = ms end
	end
	local timeout = interval_ms
	if deadline and (timeout < 0 or timeout > 1000) then timeout = 1000 end

	while true do
		local ev = sess:next(timeout)
		if ev == nil then break end
		if ev then
			if print_events and not stopped_by_us and (not evfilter or evfilter(ev)) then
				local line = fmt(ev)
				if line then
					out:write(line, "\n")
					printed = printed + 1
					if o.numevents and printed >= o.numevents then
						stopped_by_us = true
						sess:stop_all()
					end
				end
			end
			if engine and not stopped_by_us then
				local alerts = engine:process(ev)
				if alerts then
					for _, a in ipairs(alerts) do
						out:write(alert_line(a), "\n")
						nalerts = nalerts + 1
					end
				end
			end
			for _, ch in ipairs(chisels) do ch:on_event(ev) end
		end
		for _, ch in ipairs(chisels) do ch:tick(ev) end
		if deadline and not stopped_by_us and os.time() >= deadline then
			stopped_by_us = true
			sess:stop_all()
		end
	end
	for _, ch in ipairs(chisels) do ch:finish() end
	out:flush()
	if o.stats then
		require("lanner.cli.info").print_stats(sess:stats(), io.stderr)
	end
	if out ~= io.stdout then out:close() end
	if stopped_by_us then return 0 end
	local st = sess:exit_status()
	return st >= 0 and st or 0
end

-- Existing descendants of pid, from /proc/*/stat (parents before children).
function M.descendants(pid)
	local kids = {}
	local p = io.popen("ls /proc 2>/dev/null")
	for name in p:lines() do
		local n = tonumber(name)
		if n then
			local f = io.open("/proc/" .. n .. "/stat")
			local st = f and f:read("*l")
			if f then f:close() end
			local ppid = st and tonumber(st:match("%) %S+ (%d+)"))
			if ppid then
				kids[ppid] = kids[ppid] or {}
				table.insert(kids[ppid], n)
			end
		end
	end
	p:close()
	local out, queue = {}, { pid }
	while #queue > 0 do
		local cur = table.remove(queue, 1)
		for _, c in ipairs(kids[cur] or {}) do
			out[#out + 1] = c
			queue[#queue + 1] = c
		end
	end
	return out
end

return M
