-- The main job: build the consumers, trace the command (or read a capture),
-- and hand each event to the printer, the rules engine, the chisels, the
-- detection scripts and the capture writer.
local core = require "lanner.core"
local fields = require "lanner.fields"
local interest = require "lanner.interest"
local session = require "lanner.session"
local consumers = require "lanner.cli.consumers"

local ffi = core.ffi

local M = {}

local CHORE_EVERY = 0.05 -- seconds between two runs of the loop's chores
local KEEP_RULES_AFTER = 2 -- seconds into a run when a missed rule set is kept
-- events before the JIT goes on (M.loop); LANNER_JIT_AFTER sets it, for A/B runs
local JIT_AFTER = tonumber(os.getenv("LANNER_JIT_AFTER")) or 2000
-- Where rules run (--queue).  On their own thread they want a CPU of
-- their own: with one CPU the tracer, the program and the rules' thread
-- take turns on it, and the queue cost more than it saved (+18% on 20k
-- opens, bench/RESULTS.md "Rules off the stop path"; with two CPUs it
-- broke even), so rules run between stops there.  LANNER_QUEUE sets the
-- default, for A/B runs and the specs.
local QUEUE_CPUS = 2
local function default_queue()
	return os.getenv("LANNER_QUEUE") or (require("lanner.cli.cpus").usable() >= QUEUE_CPUS and "1M" or "0")
end

local function errf(fmt, ...)
	io.stderr:write("lanner: ", string.format(fmt, ...), "\n")
end

require("lanner.base").declare("int isatty(int fd);")

local function print_debug_filter(sess, modes, fd_full, narrowed, enforcer)
	local names = {}
	for name in pairs(modes) do names[#names + 1] = name end
	table.sort(names)
	local described = {}
	for i, name in ipairs(names) do described[i] = name .. (modes[name] == "entry" and "(entry)" or "") end
	io.stdout:write("# traced: ", table.concat(names, ","), "\n")
	io.stdout:write("# modes: ", table.concat(described, " "), "\n")
	local pnames = {}
	for name in pairs(narrowed or {}) do pnames[#pnames + 1] = name end
	table.sort(pnames)
	for _, name in ipairs(pnames) do
		local nw = narrowed[name]
		io.stdout:write("# only when: ", name, nw.mode == "entry" and "(entry)" or "", ": ",
			require("lanner.filter.argpred").text(nw.terms), "\n")
	end
	io.stdout:write("# fd table: ", fd_full and "exact (fd syscalls traced)" or "read from the kernel per event", "\n")
	if enforcer then
		-- where each prevention rule is decided (doc/writing-a-rule.md)
		for _, line in ipairs(enforcer:describe()) do io.stdout:write("# prevention: ", line, "\n") end
	end
	local cache = require("lanner.seccomp_cache").summary(sess)
	if cache then io.stdout:write("# action cache: ", cache, "\n") end
	io.stdout:flush()
	sess:debug_filter(1)
	-- libseccomp 2.5 prints SECCOMP_RET_USER_NOTIF as a bare number
	io.stdout:write("# notification engine (for a launched program): ", sess:engine_state(),
		"; its action is 0x7fc00000\n")
end

-- Attach (--pid) and launch (-- COMMAND); nil, message, exit code on error.
local function start(o, sess)
	local mode = o.attach_mode or "syscall"
	if mode ~= "syscall" and mode ~= "seccomp" then
		return nil, "--attach-mode: unknown mode '" .. mode .. "' (syscall, seccomp)", 2
	end
	for _, apid in ipairs(o.pids or {}) do
		local targets = { apid }
		if o.children then
			for _, c in ipairs(M.descendants(apid)) do targets[#targets + 1] = c end
		end
		for _, tp in ipairs(targets) do
			local ok, err = sess:attach(tp, o.attach_mode)
			if not ok and tp == apid then return nil, err, 2 end
		end
	end
	if o.command then
		local pid, err = sess:spawn(o.command)
		if not pid then return nil, err, err:match("No such file") and 127 or 126 end
	end
	return true
end

-- The event source: a live session or a capture being read.
local function open_source(o, c)
	if o.read_file then
		local sess, err = session.open_capture(o.read_file, { progress = not o.quiet })
		if not sess then return nil, err end
		return sess
	end
	local modes, warnings, fd_full, narrowed = interest.compute(c.needs, { narrow = true })
	for _, w in ipairs(warnings) do
		if not o.quiet then errf("warning: %s", w) end
	end
	local sess = assert(session.new())
	if o.snaplen then sess:set_snaplen(o.snaplen) end
	sess:trace(modes)
	for name, nw in pairs(narrowed) do
		for _, t in ipairs(nw.terms) do
			local ok, err = sess:trace_arg(name, t.arg, t.mask, t.value, nw.mode)
			if not ok then return nil, err end
		end
	end
	sess:set_fd_tracking(fd_full)
	if c.enforcer then
		local ok, err = c.enforcer:apply(sess, { filter_alerts = o.filter_alerts })
		if not ok then return nil, err end
	end
	-- State that costs a /proc read is kept only if a field reads it, or a
	-- capture, which any field may read later; unknown: a need whose fields
	-- are not known (a chisel's own code) counts as reading it.
	local function asked(names, unknown)
		if o.write_file ~= nil then return true end
		for _, n in ipairs(c.needs) do
			if not n.fields then
				if unknown then return true end
			else
				for _, name in ipairs(names) do
					if n.fields[name] then return true end
				end
			end
		end
		return false
	end
	-- the overlay lookup at every exec
	sess:set_upper_layer_check(asked({ "proc.is_exe_upper_layer" }, false))
	-- evt.cpu: a read per event
	sess:set_want_cpu(asked({ "evt.cpu" }, true))
	-- the memory figures: a read per clone and exec
	sess:set_want_vm(asked({ "proc.vmsize", "proc.vmrss", "proc.vmswap", "thread.vmsize", "thread.vmrss" }, true))
	if o.keep then sess:set_keep(true) end
	sess:set_refusals { listener = not o.allow_seccomp_listener, io_uring = o.refuse_io_uring }
	if o.cpu_policy then
		local ok, err = sess:set_cpu_policy(o.cpu_policy)
		if not ok then return nil, err end
	end
	if o.engine then
		local ok, err = sess:set_engine(o.engine)
		if not ok then return nil, err end
	end
	if o.poll_us then
		local ok, err = sess:set_poll(o.poll_us)
		if not ok then return nil, err end
	end
	if not o.debug_filter then
		-- programs started from this thread must not inherit the mask
		-- a queue gives it (lanner.sigmask)
		require("lanner.sigmask").wrap_spawners()
		-- --queue-full asks for a queue: one of the default size
		local ok, err = sess:set_queue(o.queue or (o.queue_full and "1M") or default_queue(), o.queue_full)
		if not ok then return nil, err end
	end
	return sess, nil, modes, fd_full, narrowed
end

-- The rules cache missed (lanner.rules.load_cached): the set is kept once
-- the program runs, since making every rule's code and writing it takes
-- longer than loading did; KEEP_RULES_AFTER seconds in, or at the end of
-- a shorter run.  --stats then says whether it was kept.
local function rules_keeper(c)
	local now = require("lanner.outputs.sys").now
	local due = now() + KEEP_RULES_AFTER
	local function keep()
		local ok, err = c.keep_rules()
		c.keep_rules = nil
		c.rules_cache = ok and "miss, kept" or ("miss, not kept: " .. tostring(err))
	end
	return {
		tick = function(_, t) if c.keep_rules and t >= due then keep() end end,
		wake_ms = function(_, t)
			if c.keep_rules then return math.max(0, math.ceil((due - (t or now())) * 1000)) end
		end,
		close = function() if c.keep_rules then keep() end end,
	}
end

function M.run(o)
	if not o.command and not o.pids and not o.read_file and not o.debug_filter then
		errf("nothing to run: give a command after -- (lanner -h for help)")
		return 2
	end
	local out = io.stdout
	if o.output_file then
		-- opened to append, and emptied below once lanner is sure to start:
		-- a refused start (broken rules) leaves the last run's output alone
		local f, err = io.open(o.output_file, "a")
		if not f then
			errf("cannot open %s", err)
			return 2
		end
		out = f
	end
	if ffi.C.isatty(1) == 0 or o.output_file then out:setvbuf("full") else out:setvbuf("line") end

	local outputs = require("lanner.outputs").new(o.output_config or { json_output = o.json },
		{ stream = out, stats_interval = o.stats_interval, json = o.json, quiet = o.quiet })
	local alert = function(a) outputs:alert(a) end
	local c, err, code = consumers.build(o, out, alert)
	if not c then
		errf("%s", err)
		if out ~= io.stdout then out:close() end
		return code or 2
	end
	if o.output_file and not o.append then
		-- overwritten, as strace's -o and sysdig's -w do: appending to a
		-- previous run's output would double every count read from it.
		-- Our handle is O_APPEND, so it writes at the new end.
		local t = io.open(o.output_file, "w")
		if t then t:close() end
	end
	local sess, serr, modes, fd_full, narrowed = open_source(o, c)
	if not sess then
		errf("%s", serr)
		return 2
	end
	if o.debug_filter then
		print_debug_filter(sess, modes, fd_full, narrowed, c.enforcer)
		return 0
	end
	fields.set_session(sess.s)
	outputs:set_stats_source(function() return sess:stats() end)
	-- Jobs the loop runs on its wake-ups, never per event: the metadata
	-- refresh and the web server's snapshot.
	local chores = {}
	if not o.read_file then
		local store = require("lanner.meta").new(o.metadata,
			{ warn = function(m) if not o.quiet then errf("warning: %s", m) end end })
		fields.set_metadata(store:start())
		-- a chore only with something to refresh: none costs no clock
		-- read per event
		if store:wake_ms() then chores[#chores + 1] = store else store:close() end
	end
	if o.write_file then
		local ok, werr = sess:capture_open(o.write_file, { rotate_mb = o.rotate_mb, rotate_secs = o.rotate_secs,
			rotate_files = o.rotate_files, compress = o.compress, format = o.capture_format })
		if not ok then
			errf("%s", werr)
			return 2
		end
	end
	-- before the program starts: a web server that cannot listen stops
	-- lanner, rather than leave a liveness probe failing with no word why
	local web, werr = require("lanner.webserver").start(o.webserver, { outputs = outputs, session = sess }, o.quiet)
	if web == nil then
		errf("%s", werr)
		return 2
	end
	if web then chores[#chores + 1] = web end
	if c.keep_rules then chores[#chores + 1] = rules_keeper(c) end
	for _, ch in ipairs(c.chisels) do ch:start(sess) end
	if not o.read_file then
		local ok, msg, code = start(o, sess)
		if not ok then
			errf("%s", msg)
			sess:stop_all()
			if web then web:close() end
			return code
		end
	end
	if web then web:set_ready(true) end
	local stopped = M.loop(o, sess, c, out, outputs, chores)
	for _, ch in ipairs(chores) do ch:close() end
	for _, ch in ipairs(c.chisels) do ch:finish() end
	if c.scripts then c.scripts:finish() end
	if o.write_file then
		local ok, cerr = sess:capture_close()
		if not ok then
			errf("%s", cerr)
			sess.write_failed = true
		end
	end
	if o.read_file then
		local notes = sess:capture_notes()
		if notes then errf("%s: %s", o.read_file, notes) end
	end
	outputs:close()
	out:flush()
	if o.stats then
		local st = sess:stats()
		st.would = outputs.would
		st.rules_cache = c.rules_cache
		require("lanner.cli.info").print_stats(st, io.stderr)
	end
	if out ~= io.stdout then out:close() end
	if sess.read_error then
		errf("%s", sess.read_error)
		return 2
	end
	if sess.write_failed then return 2 end
	if stopped or o.read_file then return 0 end
	local st = sess:exit_status()
	return st >= 0 and st or 0
end

-- The event loop.  Returns true if lanner itself stopped the program
-- (-n, -M or a chisel's end_capture).
function M.loop(o, sess, c, out, outputs, chores)
	chores = chores or {}
	-- The JIT is off during start-up (cli.lua) and stays off for the first
	-- JIT_AFTER events: compiling the rules' long traces costs more than a
	-- short run's events save by it (tar's ~860 opens: 125 ms with the JIT
	-- never on, 167 ms on from the first event), while a long run needs
	-- it (50k opens: 2.7 s with it, 4.6 s without).
	local until_jit = JIT_AFTER
	local printed, stopped = 0, false
	local deadline = o.duration and (os.time() + o.duration)
	local interval_ms = -1
	for _, ch in ipairs(c.chisels) do
		local ms = ch:interval_ms()
		if ms and (interval_ms < 0 or ms < interval_ms) then interval_ms = ms end
	end
	if c.scripts then
		local ms = c.scripts:interval_ms()
		if ms and (interval_ms < 0 or ms < interval_ms) then interval_ms = ms end
	end
	local timeout = interval_ms
	if (deadline or o.stats_interval) and (timeout < 0 or timeout > 1000) then timeout = 1000 end
	local wake = outputs:wake_ms()
	if wake and (timeout < 0 or timeout > wake) then timeout = wake end
	local clock, chores_due, base_timeout = require("lanner.outputs.sys").now, 0, timeout
	local function run_chores()
		local now = clock()
		if now < chores_due then return end
		chores_due = now + CHORE_EVERY
		timeout = base_timeout
		for _, ch in ipairs(chores) do
			ch:tick(now)
			-- a refresh in flight wants the loop back soon
			local ms = ch:wake_ms(now)
			if ms and (timeout < 0 or timeout > ms) then timeout = ms end
		end
	end
	run_chores()
	local evfilter, printer, engine, chisels, scripts = c.filter, c.printer, c.engine, c.chisels, c.scripts
	local writing = o.write_file ~= nil
	local prevent = c.enforcer and require("lanner.cli.prevent").handler(c.enforcer, sess,
		function(a) outputs:alert(a) end)
	local function stop()
		stopped = true
		sess:stop_all()
	end
	while true do
		local ev = sess:next(timeout)
		if until_jit then
			until_jit = until_jit - 1
			if until_jit <= 0 then
				until_jit = nil
				jit.on()
			end
		end
		if ev == nil then break end
		-- a held event first: its thread waits (and only a look before
		-- the call is done with there)
		if ev and prevent and ev.flags ~= 0 and prevent(ev) then ev = false end
		if ev and not stopped then
			local pass = not evfilter or evfilter(ev)
			-- an event the filter leaves out may still change state that
			-- a .scap carries only in events (a no-op for .lcap)
			if writing and (pass and sess:capture_event(ev) or not pass and sess:capture_state(ev)) < 0 then
				-- the disk is full or gone: say so once, keep tracing
				io.stderr:write("lanner: capture: ", sess:errmsg(), "; recording stopped\n")
				writing = false
				sess.write_failed = true
			end
			if printer and pass then
				local line = printer(ev)
				if line then
					out:write(line, "\n")
					printed = printed + 1
					if o.numevents and printed >= o.numevents then stop() end
				end
			end
			if engine then
				local alerts = engine:process(ev)
				if alerts then
					for _, a in ipairs(alerts) do outputs:alert(a) end
				end
			end
			if scripts then scripts:on_event(ev) end
			for _, ch in ipairs(chisels) do ch:on_event(ev) end
		end
		for _, ch in ipairs(chisels) do
			ch:tick(ev)
			if ch.wants_end and ch:wants_end() and not stopped then stop() end
		end
		if scripts then scripts:tick(ev) end
		outputs:tick()
		if chores[1] then run_chores() end
		if deadline and not stopped and os.time() >= deadline then stop() end
	end
	return stopped
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
