-- The event a detection handler sees: one proxy table per script, pointed
-- at the current ln_event while a handler runs and at nothing otherwise,
-- so the common path allocates nothing and a handler that keeps `e` for
-- later gets an error instead of reading a recycled event.
--
--   e["fd.name"], e["proc.aname[2]"]   any catalogue field (nil: missing)
--   e.time   ns since the epoch, a Lua number (good to ~0.3 us)
--   e.ts     the same as the exact uint64 cdata
--   e.type   "openat", "procexit", ...
--   e.pid, e.tid, e.num
--   e.res    the result, nil when the syscall stopped at entry only
local core = require "lanner.core"
local fields = require "lanner.fields"

local M = {}

local type_name = core.type_name

local function pid_of(ev)
	local t = ev.thread
	if t == nil then return nil end
	local p = t.proc
	if p == nil then return nil end
	return p.pid
end

local SPECIAL = {
	time = function(ev) return tonumber(ev.ts) end,
	ts = function(ev) return ev.ts end,
	type = function(ev) return type_name[ev.type] end,
	pid = pid_of,
	tid = function(ev) return ev.tid end,
	num = function(ev) return tonumber(ev.num) end,
	res = function(ev)
		if ev.has_res == 0 then return nil end
		return tonumber(ev.res)
	end,
}

-- name -> getter(ev), shared by every script: a field resolves the same
-- way for all of them, and resolving is the slow part.
local getters = {}
for k, g in pairs(SPECIAL) do getters[k] = g end

-- The getter of a field name; raises (at the handler's line) for a name
-- the catalogue does not know, since that is a typo in the script.
local function getter(name, level)
	if type(name) ~= "string" then
		error("event fields are named by strings, not " .. type(name), level)
	end
	local spec, err = fields.resolve(name)
	if not spec then error(err, level) end
	local g = spec.get
	getters[name] = g
	return g
end

-- The getter, resolved now (for names a script lists ahead).
function M.getter(name)
	local g = getters[name]
	if g then return g end
	local ok, r = pcall(getter, name, 0)
	if ok then return r end
	return nil, r
end

M.SPECIAL = SPECIAL

-- new() -> proxy, set(ev)  (set(nil) when the handler returns)
function M.new()
	local cur = nil
	local mt = {
		__index = function(_, k)
			local ev = cur
			if ev == nil then
				error("no current event: an event is only valid while its handler runs", 2)
			end
			local g = getters[k] or getter(k, 3)
			return g(ev)
		end,
		__newindex = function(_, k)
			error("the event is read-only (tried to set '" .. tostring(k) .. "')", 2)
		end,
		__tostring = function()
			if cur == nil then return "event (none)" end
			return string.format("event #%d %s pid %s", tonumber(cur.num), type_name[cur.type] or "?",
				tostring(pid_of(cur)))
		end,
		__metatable = false,
	}
	local proxy = setmetatable({}, mt)
	return proxy, function(ev) cur = ev end, function() return cur end
end

return M
