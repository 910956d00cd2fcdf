-- The informational commands: -l, -L, -cl, -i, -V, --list-rules, --stats.
local M = {}

function M.list_fields(prefix)
	local fields = require "lanner.fields"
	for _, spec in ipairs(fields.list(prefix)) do
		io.stdout:write(fields.describe(spec), "\n")
	end
	return 0
end

function M.list_events()
	local core = require "lanner.core"
	-- the 32-bit x86 names each type also stands for (mmap2 for mmap)
	local also = {}
	for alias, a in pairs(core.compat_alias) do
		also[a.type] = also[a.type] or {}
		table.insert(also[a.type], alias)
	end
	for id = 0, core.ntypes - 1 do
		local ti = core.type_info[id]
		local a = also[ti.name]
		if a then table.sort(a) end
		io.stdout:write(ti.name, "(", table.concat(ti.pnames, ", "), ")",
			a and " [i386: " .. table.concat(a, ", ") .. "]" or "", "\n")
	end
	return 0
end

function M.list_chisels()
	return require("lanner.chisel").print_list(io.stdout)
end

function M.describe_chisel(name)
	return require("lanner.chisel").print_description(name, io.stdout)
end

-- -V and --list-rules.
function M.rules(o)
	local rules = require "lanner.rules"
	if #o.rules == 0 and not o.rules_problems and not (o.scripts and #o.scripts > 0) then
		io.stderr:write("lanner: no rules given (-R FILE or folder, or --script FILE)\n")
		return 2
	end
	local rs = rules.load(o.rules, { min_priority = o.min_priority, validate = o.validate })
	for _, e in ipairs(o.rules_problems or {}) do table.insert(rs.errors, e) end
	require("lanner.rules.enforce").annotate(rs)	-- a bad action tag is an error
	if o.list_rules then
		for _, row in ipairs(rs:list()) do
			io.stdout:write(string.format("%-50s %-13s %-5s %s\n    %s\n", row.name, row.priority,
				row.enabled and "on" or "off", table.concat(row.tags or {}, ","), row.desc or ""))
		end
	end
	if o.validate then
		for _, w in ipairs(rs.warnings or {}) do io.stdout:write("warning: ", tostring(w), "\n") end
		for _, e in ipairs(rs.errors or {}) do io.stdout:write("error: ", tostring(e), "\n") end
		local ne = #(rs.errors or {})
		io.stdout:write(string.format("%s: %d rules, %d errors, %d warnings\n",
			ne == 0 and "ok" or "failed", #(rs.rules or {}), ne, #(rs.warnings or {})))
		local se = 0
		if o.scripts and #o.scripts > 0 then
			se = require("lanner.detect.validate").report(o.scripts,
				{ env = rs.env, min_priority = o.min_priority }, io.stdout)
		end
		return (ne == 0 and se == 0) and 0 or 1
	end
	-- --list-rules: a listing of what loaded must not hide what did not
	for _, e in ipairs(rs.errors or {}) do io.stderr:write("lanner: error: ", tostring(e), "\n") end
	return #(rs.errors or {}) == 0 and 0 or 1
end

function M.print_stats(st, f)
	local stops = st.stops_entry + st.stops_exit + st.stops_ptrace + st.stops_signal + (st.stops_notif or 0)
	f:write(string.format("events: %d\nstops: %d (entry %d, exit %d, ptrace events %d, signals %d, notifications %d)\n",
		st.events, stops, st.stops_entry, st.stops_exit, st.stops_ptrace, st.stops_signal, st.stops_notif or 0))
	f:write(string.format("stops caught polling: %d (polls that missed: %d)\n", st.stops_polled, st.polls_missed or 0))
	if st.engine then f:write("notification engine: ", st.engine, "\n") end
	f:write(string.format("threads: %d\nprocesses: %d\nunreadable arguments: %d\n", st.threads_seen, st.procs_seen, st.read_faults))
	local would = st.would or {}
	if st.held > 0 or st.denied > 0 or st.killed > 0 or next(would) then
		f:write(string.format("prevention: held %d, denied %d, killed %d, would deny %d, would kill %d, "
			.. "no verdict %d\n", st.held, st.denied, st.killed, would["would deny"] or 0,
			would["would kill"] or 0, st.no_verdict))
	end
	f:write(string.format("tracer time per stop: %.2f us\n", stops > 0 and st.tracer_ns / stops / 1000 or 0))
	local idle = require("lanner.cli.cpus").idle_policy()
	if idle then f:write("idle CPUs: ", idle, "\n") end
	if st.queue_bytes and st.queue_bytes > 0 then
		f:write(string.format("queue: %d KB, %.1f MB sent, waited for room %d times, dropped %d\n",
			math.floor(st.queue_bytes / 1024), (st.queue_sent or 0) / 1048576, st.queue_waits, st.dropped))
	else
		f:write("queue: none (rules run on the tracing thread)\n")
	end
	if st.rules_cache then f:write("rules cache: ", st.rules_cache, "\n") end
	local status = require("lanner.base").read_file("/proc/self/status") or ""
	f:write(string.format("peak rss: %s kB\n", status:match("VmHWM:%s*(%d+)") or "?"))
	local names = {}
	for name in pairs(st.per_type) do names[#names + 1] = name end
	table.sort(names, function(a, b) return st.per_type[a] > st.per_type[b] end)
	for _, name in ipairs(names) do
		f:write(string.format("  %-16s %d\n", name, st.per_type[name]))
	end
end

return M
