-- The field catalogue: Falco's field names over lanner's events.  The one
-- source for `lanner -l`, the filter compiler, -p formats and -j JSON.
--
--   fields.resolve(name[, arg]) -> spec | nil, msg
--     name is "proc.name", "evt.arg.fd", "proc.aname[2]", ... or a base name
--     with arg given apart ("proc.aname", "2").  A spec has:
--       name        canonical text ("proc.aname[2]"), the key in JSON output
--       field, arg  the base field and its parsed argument (number or string)
--       type        "string" "number" "bool" "ipaddr" "ipnet" "bytes"
--                   "reltime" "abstime"; ipaddr/ipnet values are address
--                   text ("10.0.0.1", "::1"), bytes are Lua strings
--       desc        one line
--       get(ev, _, i)  value or nil when missing; never raises.  The
--                   argument is bound at resolve time, so the second
--                   parameter is ignored; i (1-based) picks among the
--                   values of a multi field
--       cstr(ev)    optional: the value as a C string (const char *) when it
--                   is one, nil otherwise (get() then decides); lets a
--                   filter compare in place, with no Lua string made
--       cview(ev)   optional: the value as bytes in place, ptr and length
--                   (a directory is the front of a path), or nil
--       multi       several values (values(ev) gives them as a list); a
--                   comparison holds if any value does
--       list        a Falco list field (fd.types): `in` needs every value
--       types       set of event type names where it can be other than
--                   missing/false (nil: any); bounds the seccomp filter
--       needs_exit  true, or a set of type names, where the value is only
--                   known after the syscall returns
--       unsupported "why" for a field lanner cannot fill (always missing)
--   fields.strset(list) -> a set the filter's `in` tests cstr/cview values
--     against in C (lanner.h ln_strset)
--   fields.parse(s, pos) -> spec, next_pos | nil, msg   (for -p formats:
--     the longest field at pos, the rest of s left alone)
--   fields.list(prefix), fields.describe(spec), fields.event_types()
--   fields.set_session(s) or set_proc_lookup/set_fd_lookup/set_fd_iter,
--   fields.set_metadata(store)
--   fields.set_time_mode(c)  sysdig -t: h a r d D (evt.outputtime)
local cm = require "lanner.fields.common"

local core, C = cm.core, cm.C
local M = {}

local FAMILIES = { "evt", "proc", "fd", "fspath", "user", "container", "ecs", "seccomp" }

-- A multi field's values, made once per event: a filter walks them with
-- get(ev, _, 1), get(ev, _, 2), ... and must not rebuild the list each time.
local function cached_values(key, values)
	return function(ev)
		local c = cm.evcache(ev)
		local v = c[key]
		if v == nil then
			v = values(ev)
			c[key] = v
		end
		return v
	end
end

local defs = {}
for _, fam in ipairs(FAMILIES) do
	for _, d in ipairs(require("lanner.fields." .. fam)) do
		assert(defs[d.name] == nil, "field defined twice: " .. d.name)
		if d.unsupported then
			d.get = function() return nil end
			d.values = function() return {} end
		end
		-- the getter with an argument stays raw_get; the argless multi form
		-- reads the cached list
		d.raw_get = d.get
		if d.multi then
			local values = cached_values("values:" .. d.name, d.values)
			d.values = values
			d.get = function(ev, _, i) return values(ev)[i or 1] end
		end
		defs[d.name] = d
	end
end

-- All parameter names of all event types, for "evt.arg.X".
local pname_set = {}
for id = 0, core.ntypes - 1 do
	for _, n in ipairs(core.type_info[id].pnames) do pname_set[n] = true end
end

-- The longest name of the set that prefixes s (parse() takes the longest
-- field that prefixes the text, as sinsp's parse_field_name does:
-- "evt.args" before "evt.arg"): a lookup per length of s, a field name
-- being short and the catalogue long.
local function prefix_of(set, s)
	for l = #s, 1, -1 do
		local n = s:sub(1, l)
		if set[n] then return n end
	end
	return nil
end

-- Argument text -> value by the field's arg kind.
local function convert_arg(d, text, how)
	local kind = d.arg.kind
	if kind == "index" then
		local n = text:match("^%s*(%d+)%s*$")
		if n == nil then return nil, "field '" .. d.name .. "' takes a number argument" end
		return tonumber(n)
	end
	if kind == "param" then
		if how == "[" then
			if d.arg.names_only then
				return nil, "field '" .. d.name .. "' takes an argument name (" .. d.name .. ".NAME)"
			end
			local n = text:match("^%s*(%d+)%s*$")
			if n == nil then return nil, "field '" .. d.name .. "' takes a number argument in brackets" end
			return tonumber(n)
		end
		return text
	end
	if text == "" then return nil, "field '" .. d.name .. "' takes a non-empty argument" end
	return text
end

local resolved = {}

-- Build (or reuse) the spec of field d with argument text (nil: none).
local function make(d, text, how)
	if text == nil then
		if d.arg and d.arg.required then
			return nil, "field '" .. d.name .. "' requires an argument"
		end
		return d
	end
	local canon = how == "." and d.name .. "." .. text or d.name .. "[" .. text .. "]"
	local s = resolved[canon]
	if s then return s end
	local a, msg = convert_arg(d, text, how)
	if a == nil then return nil, msg end
	local over = {}
	if d.bind then
		over, msg = d.bind(a)
		if over == nil then return nil, msg end
	end
	local get = d.raw_get
	s = {
		name = canon, field = d.name, arg = a,
		get = function(ev, _, i) return get(ev, a, i) end,
	}
	if d.cstr then
		local cstr = d.cstr
		s.cstr = function(ev) return cstr(ev, a) end
	end
	if d.cview then
		local cview = d.cview
		s.cview = function(ev) return cview(ev, a) end
	end
	if d.values then
		local values = d.values
		s.values = function(ev) return values(ev, a) end
	end
	for k, v in pairs(over) do s[k] = v end
	setmetatable(s, { __index = d })
	resolved[canon] = s
	return s
end

-- The field at position pos of s: spec and the position after it.
function M.parse(s, pos)
	pos = pos or 1
	local run = s:match("^[%w_%.]+", pos)
	if run == nil then return nil, "expected a field name at '" .. s:sub(pos, pos + 20) .. "'" end
	local base = prefix_of(defs, run)
	if base == nil then return nil, "unknown field '" .. run .. "'" end
	local d = defs[base]
	local after = pos + #base
	local c = s:sub(after, after)
	if d.arg and c == "[" and d.arg.bracket then
		local close = s:find("]", after + 1, true)
		if close == nil then return nil, "missing ']' after '" .. s:sub(pos, after) .. "'" end
		local spec, msg = make(d, s:sub(after + 1, close - 1), "[")
		if spec == nil then return nil, msg end
		return spec, close + 1
	end
	if d.arg and c == "." and d.arg.dotted then
		local rest = s:match("^[%w_]+", after + 1)
		if rest == nil then return nil, "field '" .. d.name .. "' takes an argument after '.'" end
		if d.arg.kind == "param" then
			-- the longest parameter name the text starts with, as sinsp's
			-- find_longest_matching_evt_param ("evt.arg.fd," -> fd)
			local p = prefix_of(pname_set, rest)
			if p == nil then return nil, "unknown event argument " .. rest end
			rest = p
		end
		local spec, msg = make(d, rest, ".")
		if spec == nil then return nil, msg end
		return spec, after + 1 + #rest
	end
	if d.arg and d.arg.required then
		if c == "[" then
			return nil, "field '" .. d.name .. "' takes an argument name (" .. d.name .. ".NAME)"
		end
		if c == "." then
			return nil, "field '" .. d.name .. "' takes an argument in brackets (" .. d.name .. "[...])"
		end
	end
	local spec, msg = make(d, nil)
	if spec == nil then return nil, msg end
	return spec, after
end

function M.resolve(name, arg)
	if type(name) ~= "string" then error("fields.resolve: name must be a string", 2) end
	if arg ~= nil then
		local d = defs[name]
		if d == nil then return nil, "unknown field '" .. name .. "'" end
		if d.arg == nil then return nil, "field '" .. name .. "' takes no argument" end
		arg = tostring(arg)
		-- a name argument reads as a dotted one (evt.arg.fd), the rest as [N]
		local how = (d.arg.kind == "param" and not arg:match("^%d+$")) and "." or
			(d.arg.dotted and not d.arg.bracket) and "." or "["
		return make(d, arg, how)
	end
	local d = defs[name]
	if d then return make(d, nil) end
	local spec, nextpos = M.parse(name, 1)
	if spec == nil then return nil, nextpos end
	if nextpos ~= #name + 1 then return nil, "unknown field '" .. name .. "'" end
	return spec
end

-- Sorted specs whose name starts with prefix ("proc", "proc.", "fd.ip").
function M.list(prefix)
	local out = {}
	for name, d in pairs(defs) do
		if prefix == nil or prefix == "" or name:sub(1, #prefix) == prefix then out[#out + 1] = d end
	end
	table.sort(out, function(a, b) return a.name < b.name end)
	return out
end

local TYPE_LABEL = {
	string = "CHARBUF", number = "INT64", bool = "BOOL", ipaddr = "IPADDR", ipnet = "IPNET",
	bytes = "BYTEBUF", reltime = "RELTIME", abstime = "ABSTIME",
}

function M.type_label(spec)
	return spec.ftype or TYPE_LABEL[spec.type] or spec.type:upper()
end

-- "name  TYPE  description" for lanner -l.
function M.describe(spec)
	local name = spec.name
	if spec.arg and spec.field == nil then
		local a = spec.arg
		name = name .. (a.bracket and (a.dotted and "[N]/.NAME" or "[" .. (a.kind == "index" and "N" or "NAME") .. "]")
			or ".NAME")
	end
	local desc = spec.desc or ""
	if spec.unsupported then desc = desc .. " (not supported by lanner: " .. spec.unsupported .. ")" end
	return string.format("%-32s %-8s %s", name, M.type_label(spec), desc)
end

function M.event_types()
	return core.type_names()
end

---------------------------------------------------------------------------
-- State the getters read beyond the event.

function M.set_proc_lookup(fn) cm.state.proc = fn end
function M.set_fd_lookup(fn) cm.state.fd = fn end
function M.set_fd_iter(fn) cm.state.fd_iter = fn end
-- The metadata container.*, ecs.* and k8s.* read (a lanner.meta store, or
-- nil: none).
function M.set_metadata(store) cm.state.meta = store end

-- Point the lookups at a live session (an ln_session *).
function M.set_session(s)
	if s == nil then
		cm.state.proc, cm.state.fd, cm.state.fd_iter = nil, nil, nil
		return
	end
	cm.state.proc = function(pid)
		local p = C.ln_proc_get(s, pid)
		if p == nil then return nil end
		return p
	end
	cm.state.fd = function(p, n)
		local f = C.ln_fd_get(s, p, n)
		if f == nil then return nil end
		return f
	end
	cm.state.fd_iter = function(p)
		local prev = nil
		return function()
			prev = C.ln_fd_next(s, p, prev)
			if prev == nil then return nil end
			return prev
		end
	end
end

local TIME_MODES = { h = true, a = true, r = true, d = true, D = true }
function M.set_time_mode(c)
	if not TIME_MODES[c] then error("fields.set_time_mode: expected one of h a r d D", 2) end
	cm.state.time_mode = c
end

-- Start of the capture for evt.reltime (default: the first event seen).
function M.set_capture_start(ts) cm.state.first_ts = ts and cm.ffi.cast("uint64_t", ts) or nil end

function M.reset_cache() cm.reset_cache() end

-- (a closure keeps C, as session.lua's finaliser does)
local function strset_free(set) C.ln_strset_free(set) end
function M.strset(list)
	local set = cm.ffi.gc(C.ln_strset_new(), strset_free)
	if set == nil then error("lanner: out of memory", 0) end
	for _, s in ipairs(list) do
		if C.ln_strset_add(set, s, #s) ~= 0 then error("lanner: out of memory", 0) end
	end
	return set
end
M.strset_has = C.ln_strset_has
function M.reload_users() cm.reload_users() end

return M
