-- The detection script host: loads the scripts given with --script, tells
-- the interest set what they need, and runs their handlers and timers on
-- each event.  A handler that raises is reported once per handler and error
-- site (file:line), then counted; the other handlers and the traced program
-- run on.
--
--   local host, err = require("lanner.detect.host").load(files, {
--     env = {macros=, lists=},   -- the rule files' (filter.expand)
--     alert = function(a) end,   -- every alert (the CLI's outputs)
--     min_priority = "warning", errout = io.stderr })
--   host:interest()        -> list of needs (lanner.interest)
--   host:on_event(ev)      -- ev: ln_event*, valid during the call
--   host:tick(ev or false) -- after every wait (false: timed out)
--   host:interval_ms()     -- the shortest timer period, nil: no timer
--   host:finish()          -- error summary
--   host:stats()           -> {procs, containers, errors, handlers, timers}
--   require("lanner.detect.host").validate(files, opts) -> diagnostics
local core = require "lanner.core"
local cm = require "lanner.fields.common"
local timers = require "lanner.detect.timers"
local alertm = require "lanner.detect.alert"
local script = require "lanner.detect.script"
local alert_format = require "lanner.alert_format"
local lineage = require "lanner.detect.lineage"

local M = {}

local PROCEXIT = core.type_id["procexit"]
-- How often (event time) records of processes the core forgot are freed;
-- procexit frees them at once, this catches the ones it could not see.
local SWEEP_NS = 10e9

local Host = {}
Host.__index = Host

-- Error messages carry the line that raised; when that line is in lanner
-- (a bad argument to a helper), the script's own line is added.
local function msgh_for(sc)
	local prefix = sc.display .. ":"
	local source = "@" .. sc.display
	return function(err)
		if type(err) ~= "string" then err = "error object: " .. tostring(err) end
		if err:sub(1, #prefix) == prefix then return err end
		for level = 2, 40 do
			local info = debug.getinfo(level, "Sl")
			if not info then break end
			if info.source == source and info.currentline > 0 then
				return err .. " (at " .. prefix .. info.currentline .. ")"
			end
		end
		return err
	end
end

function M.new(opts)
	opts = opts or {}
	local send = opts.alert or function(a) io.stdout:write(alert_format.text(a), "\n") end
	local self = setmetatable({
		scripts = {}, handlers = {}, by_type = {}, any = {}, clock = timers.new(),
		env = opts.env or { macros = {}, lists = {} }, errout = opts.errout or io.stderr,
		quiet = opts.quiet, errs = {}, errlist = {}, nerrors = 0, next_sweep = nil,
		alert = alertm.new { send = send, min_priority = opts.min_priority, hostname = opts.hostname },
		lineage = lineage.new(),
	}, Host)
	self.msgh = msgh_for
	self.call_timer = function(t, now) self:run_timer(t, now) end
	return self
end

-- Handlers by event type id, each list in load order with the handlers
-- that match any type merged in (as the rules engine does).
function Host:index()
	local typed = {}
	for _, sc in ipairs(self.scripts) do
		for _, h in ipairs(sc.handlers) do
			self.handlers[#self.handlers + 1] = h
			h.index = #self.handlers
			if h.info.types == nil then
				self.any[#self.any + 1] = h
			else
				for name in pairs(h.info.types) do
					local id = core.type_id[name]
					if id then
						typed[id] = typed[id] or {}
						table.insert(typed[id], h)
					end
				end
			end
		end
	end
	for id, list in pairs(typed) do
		for _, h in ipairs(self.any) do list[#list + 1] = h end
		table.sort(list, function(a, b) return a.index < b.index end)
		self.by_type[id] = list
	end
end

function M.load(files, opts)
	if type(files) ~= "table" then error("detect.load: files must be a list of paths", 2) end
	local ok, self = pcall(M.new, opts)
	if not ok then return nil, self end
	for _, path in ipairs(files) do
		local sc, err = script.load(path, self)
		if not sc then return nil, err end
		self.scripts[#self.scripts + 1] = sc
	end
	self:index()
	return self
end

---------------------------------------------------------------------------
-- Errors.

function Host:report(where, sc, err)
	local site = err:match("^(.-:%d+):") or "?"
	local key = where .. "\0" .. site
	local e = self.errs[key]
	if e == nil then
		e = { where = where, site = site, n = 0, script = sc }
		self.errs[key] = e
		self.errlist[#self.errlist + 1] = e
		self.errout:write("lanner: script error: ", err, " (in the ", where,
			"; the program runs on, more errors here are counted)\n")
	end
	e.n = e.n + 1
	self.nerrors = self.nerrors + 1
end

---------------------------------------------------------------------------
-- Events and time.

function Host:run_timer(t, now)
	local sc = t.owner
	sc.timer_at = now
	local ok, err = xpcall(t.fn, sc.msgh, now)
	sc.timer_at = nil
	if not ok then self:report("timer at " .. t.where, sc, err) end
end

function Host:run_handler(h, ev)
	local ok, hit = pcall(h.cond, ev)
	if not ok then
		self:report("the condition of the handler at " .. h.where, h.script, tostring(hit))
		return
	end
	if not hit then return end
	local sc = h.script
	sc.set_ev(ev)
	local rec = sc.procs:of_event(ev)
	local err
	ok, err = xpcall(h.fn, sc.msgh, sc.proxy, rec)
	sc.set_ev(nil)
	if not ok then self:report("handler at " .. h.where, sc, err) end
end

local parent_of = function(p) return cm.proc_of_pid(p.ppid) end

function Host:on_event(ev)
	local clock = self.clock
	clock:event(tonumber(ev.ts))
	if clock.now >= clock.next_due then clock:run(self.call_timer) end
	local t = ev.thread
	local p = t ~= nil and t.proc or nil
	-- before the handlers, so that they find the process's ancestry
	if p ~= nil then self.lineage:seen(p, t.uid, parent_of) end
	local tid = ev.type
	local list = self.by_type[tid] or self.any
	for i = 1, #list do self:run_handler(list[i], ev) end
	-- after the handlers: a procexit handler still sees the state
	if tid == PROCEXIT and p ~= nil then
		local pid = p.pid
		self.lineage:exited(p, clock.now)
		for _, sc in ipairs(self.scripts) do sc.procs:retire(pid, clock.now) end
	end
end

function Host:sweep()
	local now = self.clock.now
	for _, sc in ipairs(self.scripts) do sc.procs:expire(now) end
	self.lineage:expire(now)
	local lookup = cm.state.proc
	if lookup == nil then return 0 end
	local n = 0
	for _, sc in ipairs(self.scripts) do
		if sc.procs.n > 0 then n = n + sc.procs:sweep(cm.proc_of_pid) end
	end
	self.lineage:sweep(cm.proc_of_pid, now)
	return n
end

function Host:tick(ev)
	local clock = self.clock
	if ev then
		clock:handled()
	else
		clock:idle()
		if clock.now >= clock.next_due then clock:run(self.call_timer) end
	end
	if self.next_sweep == nil then
		self.next_sweep = clock.now + SWEEP_NS
	elseif clock.now >= self.next_sweep then
		self.next_sweep = clock.now + SWEEP_NS
		self:sweep()
	end
end

function Host:interval_ms()
	return self.clock:interval_ms()
end

function Host:interest()
	local needs = {}
	for _, sc in ipairs(self.scripts) do
		for _, n in ipairs(sc:interest()) do needs[#needs + 1] = n end
	end
	-- procexit frees the per-process state
	needs[#needs + 1] = { types = { procexit = true }, fields = {}, needs_exit = true,
		exit_types = { procexit = true } }
	return needs
end

function Host:finish()
	if self.finished then return end
	self.finished = true
	for _, e in ipairs(self.errlist) do
		if e.n > 1 then
			self.errout:write(string.format("lanner: script error: the %s raised %d errors at %s\n",
				e.where, e.n, e.site))
		end
	end
end

function Host:stats()
	local procs, containers = 0, 0
	for _, sc in ipairs(self.scripts) do
		procs = procs + sc.procs.n
		containers = containers + sc.procs.nc
	end
	return { procs = procs, containers = containers, errors = self.nerrors, handlers = #self.handlers,
		timers = #self.clock.timers }
end

M.Host = Host

-- validate(files, opts) -> list of diagnostics (lanner -V): see
-- lanner.detect.validate.
function M.validate(files, opts)
	return require("lanner.detect.validate").validate(files, opts)
end

return M
