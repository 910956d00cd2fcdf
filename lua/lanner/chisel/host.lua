-- One running chisel: its environment, its filter, fields, formatter and
-- interval, and the protected calls into its hooks.  An error in a hook is
-- reported with the chisel's file and line and counted; the chisel keeps
-- running until MAX_ERRORS, then it is disabled.  The traced program is
-- never affected.
local core = require "lanner.core"
local api = require "lanner.chisel.api"
local argm = require "lanner.chisel.args"
local envm = require "lanner.chisel.env"
local interval = require "lanner.chisel.interval"

local M = {}

M.MAX_ERRORS = 10
M.DEFAULT_FORMAT = "%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info"

-- Fields a consumer can read from an entry-only stop: asking only for
-- these lets the syscalls stop once.  Anything else wants the exit.
local ENTRY_SAFE = {
	["evt.type"] = true, ["evt.num"] = true, ["evt.cpu"] = true, ["evt.category"] = true,
	["evt.time"] = true, ["evt.time.s"] = true, ["evt.datetime"] = true, ["evt.rawtime"] = true,
	["evt.rawtime.s"] = true, ["evt.rawtime.ns"] = true, ["evt.outputtime"] = true,
	["thread.tid"] = true, ["proc.pid"] = true,
}

local Host = {}
Host.__index = Host

local function errmsg(e)
	if type(e) == "string" then return e end
	return tostring(e)
end

local function type_name(id) return core.type_name[id] end

-- Loads the chisel file into a fresh environment and runs its top level.
-- opts: output (file), filter (the command line's filter string or nil),
-- errout (where errors go, default io.stderr), read_file (the capture file
-- being replayed, for sysdig.is_live and get_evtsource_name).
function M.new(path, name, opts)
	opts = opts or {}
	local h = setmetatable({
		name = name, path = path, display = envm.display_path(path),
		out = opts.output or io.stdout, err = opts.errout or io.stderr, errors = 0, warned = {},
		handles = {}, type_name = type_name, log_level = 4, read_file = opts.read_file,
	}, Host)
	h.api = api.new(h)
	h.env = envm.new(h.api, h.out)
	local fn, err, src = envm.loadfile_in(h.env, path, h.display)
	if not fn then return nil, "chisel " .. name .. ": " .. err end
	-- A chisel that reads the thread table needs every process's fds, known
	-- before anything runs (sysdig's lsof reads it in on_capture_start).
	h.wants_fd_table = src:find("get_thread_table", 1, true) ~= nil
	local ok, e = pcall(fn)
	if not ok then return nil, "chisel " .. name .. ": " .. errmsg(e) end
	local decl, derr = argm.declared(rawget(h.env, "args"))
	if not decl then return nil, "chisel " .. name .. " (" .. h.display .. "): " .. derr end
	h.args = decl
	if opts.filter and opts.filter ~= "" then
		local fok, ferr = h:set_global_filter(opts.filter)
		if not fok then return nil, "chisel " .. name .. ": filter: " .. tostring(ferr) end
	end
	return h
end

-- Reads a chisel's globals without running any hook (for -cl and -i).
function M.describe(path, name)
	local h, err = M.new(path, name, { output = { write = function() end, flush = function() end } })
	if not h then return nil, err end
	local e = h.env
	return {
		name = name, path = path, args = h.args,
		description = rawget(e, "description"), short_description = rawget(e, "short_description"),
		category = rawget(e, "category"), hidden = rawget(e, "hidden"),
	}
end

---------------------------------------------------------------------------
-- Protected calls and error reporting.

function Host:report(msg)
	self.errors = self.errors + 1
	self.err:write("lanner: chisel ", self.name, ": ", msg, "\n")
	if self.errors >= M.MAX_ERRORS and not self.disabled then
		self.disabled = true
		self.err:write("lanner: chisel ", self.name, ": disabled after ", self.errors,
			" errors; the traced program runs on\n")
	end
end

function Host:warn_once(key, msg)
	if self.warned[key] then return end
	self.warned[key] = true
	self.err:write("lanner: chisel ", self.name, ": ", msg, "\n")
end

-- Calls hook `hook` if the chisel defines it: ok, result, present.
function Host:call(hook, ...)
	local fn = rawget(self.env, hook)
	if type(fn) ~= "function" then return true, nil, false end
	local ok, r = xpcall(fn, errmsg, ...)
	if not ok then
		self:report(r)
		return false, nil, true
	end
	return true, r, true
end

---------------------------------------------------------------------------
-- What the API sets up.

function Host:compile_filter(str)
	local filter, fields = require "lanner.filter", require "lanner.fields"
	local ast, err = filter.parse(str)
	if not ast then return nil, err end
	if filter.expand then
		ast, err = filter.expand(ast, { macros = {}, lists = {} })
		if not ast then return nil, err end
	end
	local fn
	fn, err = filter.compile(ast, fields)
	if not fn then return nil, err end
	return fn, ast
end

function Host:set_filter(str)
	if str == "" then
		self.filter_fn, self.filter_ast, self.filter_str = nil, nil, nil
		return true
	end
	local fn, ast = self:compile_filter(str)
	if not fn then return nil, ast end
	self.filter_fn, self.filter_ast, self.filter_str = fn, ast, str
	return true
end

function Host:set_global_filter(str)
	if str == "" then
		self.global_fn, self.global_ast, self.global_filter_str = nil, nil, nil
		return true
	end
	local fn, ast = self:compile_filter(str)
	if not fn then return nil, ast end
	self.global_fn, self.global_ast, self.global_filter_str = fn, ast, str
	return true
end

-- sysdig: "" and "default" select the default event format.
function Host:set_formatter(fmt)
	if fmt == "" or fmt == "default" then fmt = M.DEFAULT_FORMAT end
	local format = require "lanner.format"
	local fn, err = format.compile(fmt)
	if not fn then return nil, err end
	self.formatter, self.formatter_str = fn, fmt
	return true
end

function Host:field_handle(name)
	local hd = self.handles[name]
	if hd then return hd end
	-- "fd.name", "evt.arg.fd", "evt.rawarg.res", "proc.aname[2]"
	local spec, err = require("lanner.fields").resolve(name)
	if not spec then return nil, err end
	hd = { name = name, spec = spec, get = spec.get }
	self.handles[name] = hd
	return hd
end

function Host:set_interval(ns, precise)
	if ns <= 0 then
		self.iv = nil
		return
	end
	self.iv = interval.new(ns, precise)
	if self.start_ts then self.iv:start(interval.now()) end
	if not self.fire then
		self.fire = function(s, n, d)
			local ok, r = self:call("on_interval", s, n, d)
			-- sysdig ends the capture when on_interval returns false
			if ok and r == false then
				self.end_requested = true
				return false
			end
		end
	end
end

---------------------------------------------------------------------------
-- The life cycle the CLI drives.

-- on_set_arg for each value, then on_init.  Returns true or nil, msg.
function Host:init(values)
	local bound, err = argm.bind(self.args, values, self.name)
	if not bound then return nil, err end
	for _, b in ipairs(bound) do
		local fn = rawget(self.env, "on_set_arg")
		if type(fn) ~= "function" then
			return nil, "chisel " .. self.name .. " misses an on_set_arg() function"
		end
		local ok, r = xpcall(fn, errmsg, b.name, b.value)
		if not ok then return nil, "chisel " .. self.name .. ": " .. r end
		if r == false then
			return nil, string.format("chisel %s: invalid value '%s' for argument '%s'", self.name, b.value, b.name)
		end
	end
	local fn = rawget(self.env, "on_init")
	if type(fn) == "function" then
		local ok, r = xpcall(fn, errmsg)
		if not ok then return nil, "chisel " .. self.name .. ": " .. r end
		if r == false and not self.exec_request then
			return nil, "chisel " .. self.name .. ": on_init() failed"
		end
	end
	return true
end

local function intersect(a, b)
	local out = {}
	for k in pairs(a) do if b[k] then out[k] = true end end
	return out
end

function Host:interest()
	local filter, fields = require "lanner.filter", require "lanner.fields"
	-- `what` names the consumer in the "every syscall is traced" warning:
	-- only for a filter that fails to narrow, not a chisel that asks for all
	local need = { fields = {}, needs_exit = false,
		what = (self.filter_ast or self.global_ast) and ("chisel " .. self.name) or nil }
	local types
	for _, ast in ipairs { self.global_ast or false, self.filter_ast or false } do
		if ast then
			local a = filter.analyze(ast, fields) or {}
			for f in pairs(a.fields or {}) do need.fields[f] = true end
			if a.needs_exit then need.needs_exit = true end
			if a.types then types = types and intersect(types, a.types) or intersect(a.types, a.types) end
		end
	end
	local names = {}
	for n, hd in pairs(self.handles) do
		names[#names + 1] = n
		need.fields[n] = true
		if hd.spec.needs_exit or not ENTRY_SAFE[n] then need.needs_exit = true end
	end
	if self.wants_fd_table then
		-- makes lanner trace every fd-making and closing call (interest.lua)
		need.fields["proc.fdopencount"] = true
	end
	if self.formatter_str then
		need.needs_exit = true
		for _, n in ipairs(require("lanner.format").fields_of(self.formatter_str)) do need.fields[n] = true end
	end
	need.types = types
	return need
end

-- How long the CLI may wait for an event before calling tick(false): a
-- fraction of the interval, so that a quiet program's callbacks come on
-- time by the wall clock.
M.POLL_MS = 250
function Host:interval_ms()
	if not self.iv then return nil end
	return math.min(self.iv:ms(), M.POLL_MS)
end

function Host:start(sess)
	self.sess = sess
	if self.snaplen and sess then sess:set_snaplen(self.snaplen) end
	self.start_ts = interval.now()
	if self.iv then self.iv:start(self.start_ts) end
	local ok, r, present = self:call("on_capture_start")
	if ok and present and r == false then
		self.err:write("lanner: chisel ", self.name, ": on_capture_start() failed; chisel disabled\n")
		self.disabled = true
	end
end

local function process(self, ev)
	-- sysdig calls on_interval with the event that crossed the boundary
	-- as the current one (the stock iobytes reads evt.time there)
	self.cur = ev
	if self.iv then self.iv:due(ev.ts, self.fire) end
	self.cur = nil
	if self.global_fn and not self.global_fn(ev) then return end
	if self.filter_fn and not self.filter_fn(ev) then return end
	self.cur = ev
	local keep = true
	local fn = rawget(self.env, "on_event")
	if type(fn) == "function" then keep = fn() end
	if keep and self.formatter then
		local line
		if self.output_format == "json" then
			local format = require "lanner.format"
			line = format.json and format.json(ev, format.fields_of(self.formatter_str))
		else
			line = self.formatter(ev)
		end
		if line then self.out:write(line, "\n") end
	end
	self.cur = nil
end

function Host:on_event(ev)
	if self.disabled or self.end_requested then return end
	local ts = ev.ts
	if self.first_ts == nil then
		self.first_ts = ts
		-- a capture's intervals run on its own clock, from its first event
		if self.read_file and self.iv then self.iv:start(ts) end
	end
	self.last_ts = ts
	local ok, err = xpcall(process, errmsg, self, ev)
	if not ok then
		self.cur = nil
		self:report(err)
	end
end

-- After every wait: ev is the event just handled, or false on a timeout,
-- when the wall clock stands in for event time.
function Host:tick(ev)
	if ev or not self.iv or self.disabled or self.end_requested then return end
	self.iv:due(interval.now(), self.fire)
end

function Host:wants_end()
	return self.end_requested == true
end

function Host:nextrun_args()
	return self.nextrun_args
end

function Host:finish()
	if self.finished then return end
	self.finished = true
	if not self.disabled and self.iv and not self.end_requested then
		-- an interval that ended since the last event still reports (a
		-- capture's clock stops at its last event)
		self.iv:due(self.read_file and self.last_ts or interval.now(), self.fire)
	end
	if not self.disabled then
		local te = self.last_ts or interval.now()
		local tf = self.first_ts or te
		local s, ns = interval.split(te)
		self:call("on_capture_end", s, ns, tonumber(te - tf))
	end
	if self.out.flush then self.out:flush() end
end

M.Host = Host

return M
