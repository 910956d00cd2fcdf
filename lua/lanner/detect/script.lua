-- One detection script: its environment, its handlers (conditions compiled
-- once), its per-process state, its event proxy, and what it needs traced.
local fields = require "lanner.fields"
local filter = require "lanner.filter"
local event = require "lanner.detect.event"
local state = require "lanner.detect.state"
local base = require "lanner.base"

local M = {}

local Script = {}
Script.__index = Script

-- Standard globals a script may read; anything else it sets stays in its
-- own environment.
local WHITELIST = {
	"assert", "collectgarbage", "error", "getmetatable", "ipairs", "next", "pairs", "pcall",
	"rawequal", "rawget", "rawlen", "rawset", "select", "setmetatable", "tonumber", "tostring",
	"type", "unpack", "xpcall", "_VERSION", "string", "table", "math", "os", "io", "coroutine",
	"bit", "debug", "jit", "package",
}

-- "./x.lua" -> "x.lua": the name the script's own error messages carry.
local function display(path)
	if path:sub(1, 2) == "./" then return path:sub(3) end
	return path
end
M.display = display

local function make_env(self)
	local env = {}
	for _, k in ipairs(WHITELIST) do env[k] = _G[k] end
	env._G = env
	env.print = function(...)
		local parts = {}
		for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
		-- stderr: stdout carries the alerts
		io.stderr:write(table.concat(parts, "\t"), "\n")
	end
	env.require = function(name)
		-- each script gets the API bound to itself
		if name == "lanner.detect" then return self.api end
		return require(name)
	end
	return env
end

-- Field names the script's text mentions (in e["..."], outputs "%..."):
-- their state and exit-stop needs count too, since a handler reads them.
-- Names that are not fields (Lua code like proc.state.x) are skipped.
local function scan_fields(src)
	local found = {}
	for name, stop in src:gmatch("([%a_][%w_]*%.[%w_%.]*[%w_])()") do
		local arg = src:match("^%b[]", stop)
		if fields.resolve(name) then found[name] = true end
		if arg and fields.resolve(name .. arg) then found[name] = true end
	end
	return found
end

-- load(path, host) -> script | nil, "file:line: message"
function M.load(path, host)
	local src, oerr = base.read_file(path)
	if not src then return nil, "script " .. tostring(oerr) end
	if src:sub(1, 1) == "#" then src = "--" .. src end -- a #! line
	local self = setmetatable({
		path = path, display = display(path), host = host, handlers = {}, clock = host.clock,
		procs = state.new(), loading = true,
	}, Script)
	self.proxy, self.set_ev, self.current = event.new()
	self.api = require("lanner.detect").bind(self)
	self.env = make_env(self)
	local fn, err = loadstring(src, "@" .. self.display)
	if not fn then return nil, err end
	setfenv(fn, self.env)
	self.msgh = host.msgh(self)
	local ok, rerr = xpcall(fn, self.msgh)
	self.loading = false
	if not ok then return nil, tostring(rerr) end
	self.scanned = scan_fields(src)
	-- e.res and evt.res are only known at the syscall's exit
	self.uses_res = src:find("%.res%f[^%w_]") ~= nil or src:find("[\"']res[\"']") ~= nil
	return self
end

-- add_handler(cond, fn, line) -> true | nil, message.  The condition uses
-- the macros and lists of the loaded rule files (host.env).
function Script:add_handler(cond, fn, line)
	local ast, err = filter.parse(cond)
	if ast then ast, err = filter.expand(ast, self.host.env) end
	local cfn
	if ast then cfn, err = filter.compile(ast, fields, { name = "script " .. self.display .. ":" .. line }) end
	if not cfn then
		err = tostring(err)
		if err:find("undefined macro", 1, true) or err:find("undefined list", 1, true) then
			err = err .. " (a condition may use the macros and lists of rule files loaded with -R)"
		end
		return nil, "bad condition: " .. err
	end
	local h = { cond = cfn, fn = fn, script = self, line = line, ast = ast,
		where = self.display .. ":" .. line, info = filter.analyze(ast, fields) }
	self.handlers[#self.handlers + 1] = h
	return true
end

local function copy(s)
	local out = {}
	for k in pairs(s or {}) do out[k] = true end
	return out
end

-- One need per handler (see lanner.interest): its condition's analysis,
-- plus the fields the script's text reads and whether it reads results.
function Script:interest()
	local exit_all, exit_set = self.uses_res, {}
	for name in pairs(self.scanned) do
		local spec = fields.resolve(name)
		local ne = spec and spec.needs_exit
		if type(ne) == "table" then
			for t in pairs(ne) do exit_set[t] = true end
		elseif ne then
			exit_all = true
		end
	end
	local needs = {}
	for _, h in ipairs(self.handlers) do
		local a = h.info
		local need = { types = a.types and copy(a.types), fields = copy(a.fields), preds = a.preds,
			what = "script " .. h.where }
		for name in pairs(self.scanned) do need.fields[name] = true end
		if exit_all or (a.needs_exit and a.exit_types == nil) then
			need.needs_exit = true
		else
			local ex = copy(a.exit_types)
			for t in pairs(exit_set) do
				if a.types == nil or a.types[t] then ex[t] = true end
			end
			need.needs_exit = next(ex) ~= nil
			need.exit_types = ex
		end
		needs[#needs + 1] = need
	end
	return needs
end

M.Script = Script

return M
