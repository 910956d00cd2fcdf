-- The API of detection scripts (lanner --script FILE).  See
-- doc/detection-scripts.md.
--
--   local d = require "lanner.detect"
--   d.on(condition, function(e, proc) ... end)   handler, condition compiled once
--   d.alert{rule=, priority=, output=, tags=, fields=}
--   d.every(secs, function(now) ... end)          timer on event time
--   d.window(secs, max)  d.counter(max)  d.rate(n, secs[, max_keys])  d.map(max[, secs])
--   d.proc(pid)  d.lineage(pid)  d.ancestors(pid[, n])  d.files(max[, secs])
--   d.now()  d.quote(text)
--
-- Each script gets its own instance, bound to it by the script host (its
-- `require` answers this name with the bound table): handlers, state and
-- errors then belong to the script that made them.  Outside a script the
-- module only offers bind().
local windows = require "lanner.detect.windows"
local cm = require "lanner.fields.common"

local M = {}

local function check(cond, msg)
	if not cond then error(msg, 3) end
end

-- bind(script) -> the API table of that script (lanner.detect.script).
function M.bind(sc)
	local clock = sc.clock
	local current = sc.current
	local api = {}

	-- d.on(condition, fn): fn(e, proc) for each event the condition matches.
	function api.on(cond, fn)
		check(type(cond) == "string", "d.on: the condition must be a string in the filter language")
		check(type(fn) == "function", "d.on: the handler must be a function")
		-- the seccomp filter is built from the handlers once loading ends
		check(sc.loading, "d.on: handlers are added while the script loads, not later")
		local line = debug.getinfo(2, "l").currentline
		local ok, err = sc:add_handler(cond, fn, line)
		if not ok then error(err, 2) end
	end

	-- d.alert{...} -> true, or false when below the minimum priority.
	-- Not a tail call: alert.lua raises at a fixed depth.
	function api.alert(t)
		-- in a timer, its due time; otherwise the clock
		local sent = sc.host.alert(t, current(), sc.timer_at or clock.now, sc.display)
		return sent
	end

	-- d.every(secs, fn): fn(now) every secs of event time.
	function api.every(secs, fn)
		check(type(secs) == "number" and secs > 0, "d.every: the period must be a positive number of seconds")
		check(type(fn) == "function", "d.every: the timer must be a function")
		local info = debug.getinfo(2, "l")
		return clock:every(secs, fn, sc, sc.display .. ":" .. info.currentline)
	end

	-- Constructors tail-call: their argument errors then name the script's
	-- line.
	function api.window(secs, max) return windows.window(clock, secs, max) end
	function api.counter(max) return windows.counter(max) end
	function api.rate(n, secs, max_keys) return windows.rate(clock, n, secs, max_keys) end
	function api.map(max, secs) return windows.map(clock, max, secs) end

	-- d.proc(pid): the state record of a live process, the same record its
	-- own events' handlers get; or of one that exited in the last two
	-- minutes (record.exited set); nil if unknown.
	function api.proc(pid)
		check(type(pid) == "number", "d.proc: expected a pid")
		local p = cm.proc_of_pid(pid)
		if p == nil then return sc.procs:recent_of(pid) end
		return sc.procs:of_proc(p)
	end

	-- d.lineage(pid): what the host recorded of a process, live or exited
	-- in the last two minutes: {pid, ppid (the parent it was started by),
	-- sid, pgid, start, name, exepath, exited}, or nil.
	function api.lineage(pid)
		check(type(pid) == "number", "d.lineage: expected a pid")
		return sc.host.lineage:get(pid)
	end

	-- d.ancestors(pid[, n]): the lineage entries of its ancestors, parent
	-- first, exited ones included (a pipeline's shell that already ended).
	function api.ancestors(pid, n)
		check(type(pid) == "number", "d.ancestors: expected a pid")
		return sc.host.lineage:ancestors(pid, n)
	end

	-- d.files(max[, secs]): files by identity, paths following renames
	-- (lanner.detect.files).  While the script loads, as d.on.
	function api.files(max, secs)
		check(sc.loading, "d.files: made while the script loads (it adds a rename handler)")
		return require("lanner.detect.files").new(api, max, secs)
	end

	function api.now() return clock.now end

	-- d.quote(text): text for an output, shown as is (a % is doubled, so a
	-- file name cannot be read as a %field).
	function api.quote(text)
		return (tostring(text):gsub("%%", "%%%%"))
	end

	return api
end

setmetatable(M, {
	__index = function(_, k)
		error("lanner.detect." .. tostring(k) .. ": this module is for detection scripts run by "
			.. "lanner --script (each gets its own instance)", 2)
	end,
})

return M
