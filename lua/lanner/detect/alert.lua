-- d.alert{}: alerts from detection scripts, in the shape the rules engine
-- makes (lanner.rules.engine), so outputs, JSON and rate limits treat them
-- as they treat YAML rules' alerts.
local fields = require "lanner.fields"
local format = require "lanner.format"
local json = require "lanner.json"
local priority = require "lanner.priority"
local alert_format = require "lanner.alert_format"

local M = {}

-- Compiled outputs by text.  Bounded: a script that builds its output with
-- string.format makes a new text per alert, and those must not pile up.
local CACHE_MAX = 512
local cache, ncache = {}, 0

local function compiled(fmt)
	local c = cache[fmt]
	if c then return c end
	local fn, err = format.compile_output(fmt)
	if not fn then return nil, err end
	local p = format.parse(fmt:sub(1, 1) == "*" and fmt:sub(2) or fmt)
	local getters = {}
	for _, name in ipairs(format.fields_of(fmt)) do
		local spec = fields.resolve((name:gsub("^%*", "")))
		if spec then getters[#getters + 1] = { key = name, spec = spec } end
	end
	c = { fn = fn, tokens = p.tokens, getters = getters }
	if ncache >= CACHE_MAX then
		cache, ncache = {}, 0
	end
	cache[fmt] = c
	ncache = ncache + 1
	return c
end
M.compiled = compiled

-- Text of an output with no event (a timer's alert): fields print <NA>,
-- as a rule's output prints a missing field.
local function without_event(c)
	local parts = {}
	for i, tk in ipairs(c.tokens) do parts[i] = tk.text or "<NA>" end
	return table.concat(parts)
end

local function value_of(spec, ev)
	local v
	if spec.multi then
		v = spec.values(ev)
		if #v == 0 then v = nil end
	else
		v = spec.get(ev)
	end
	if v == nil then return json.null end
	return v
end

-- A script's own field values: what JSON can carry, text for the rest.
local function plain(v)
	local t = type(v)
	if t == "string" or t == "number" or t == "boolean" then return v end
	if t == "cdata" then return tonumber(v) or tostring(v) end
	return tostring(v)
end

local function sorted_tags(tags)
	local out = {}
	if tags == nil then return out end
	if type(tags) ~= "table" then error("alert: tags must be a list of strings", 4) end
	for i, t in ipairs(tags) do out[i] = tostring(t) end
	table.sort(out)
	return out
end

-- A script's alert names its origin the way Falco's JSON consumers take
-- without a change: the tag ORIGIN_TAG among the rule's tags, and the
-- script's file in output_fields["lanner.script"].  A YAML rule's alert has
-- neither, as Falco's has not.
M.ORIGIN_TAG = "lanner_script"

-- new(opts) -> alert(t, ev_or_nil, now, origin) -> true if sent, false if below
-- the minimum priority.  Raises for a malformed alert at level 3: the
-- script's line when called through one wrapper (lanner.detect's d.alert,
-- which must not tail-call it).  opts: send(a) (the CLI's outputs), min_priority, hostname.
function M.new(opts)
	local min = opts.min_priority
	if min ~= nil and type(min) ~= "number" then
		min = priority.check(min)
	end
	local send = opts.send
	local hostname = opts.hostname or alert_format.hostname()
	return function(t, ev, now, origin)
		if type(t) ~= "table" then error("alert: expected a table {rule=, priority=, output=}", 3) end
		if type(t.rule) ~= "string" or t.rule == "" then error("alert: 'rule' must be a non-empty string", 3) end
		if type(t.output) ~= "string" or t.output == "" then error("alert: 'output' must be a non-empty string", 3) end
		local pnum, pname = priority.check(t.priority, "alert: ", 3)
		if min and pnum > min then return false end
		local c, err = compiled(t.output)
		if not c then error("alert: output: " .. tostring(err) .. " (write a literal % as %%)", 3) end
		local of = {}
		local text
		if ev ~= nil then
			text = c.fn(ev)
			for _, g in ipairs(c.getters) do of[g.key] = value_of(g.spec, ev) end
		else
			text = without_event(c)
			for _, g in ipairs(c.getters) do of[g.key] = json.null end
		end
		if t.fields ~= nil then
			if type(t.fields) ~= "table" then error("alert: 'fields' must be a table", 3) end
			for k, v in pairs(t.fields) do of[tostring(k)] = plain(v) end
		end
		local tags = sorted_tags(t.tags)
		if origin ~= nil then
			of["lanner.script"] = origin
			tags[#tags + 1] = M.ORIGIN_TAG
			table.sort(tags)
		end
		send({
			rule = t.rule, priority = pname, priority_num = pnum, output = text, output_fields = of,
			tags = tags, source = "syscall",
			-- a live event's 64-bit time keeps its nanoseconds exact
			time = ev ~= nil and ev.ts or now, hostname = hostname,
		})
		return true
	end
end

return M
