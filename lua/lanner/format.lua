-- Output formats: sysdig's -p syntax, which Falco's rule outputs share.
-- Semantics follow libsinsp's sinsp_evt_formatter (eventformatter.cpp):
--
--   %field, %field[arg], %evt.arg.name   a field, the longest name that
--                           prefixes the text ("%evt.numX" is evt.num + "X")
--   %Nfield                 the value padded with spaces on the right, or
--                           cut, to exactly N characters
--   *  as first character   print even when fields are missing, as <NA>;
--                           without it an event with a missing field prints
--                           nothing (the compiled function returns nil).
--                           Falco prepends it to every rule output.
--   %%                      a literal % (lanner: sinsp rejects it)
--   everything else         literal text
--
-- JSON output (sysdig -j, Falco's output_fields) is one object whose keys are
-- the fields as written, sorted (libsinsp builds it in a std::map); values
-- typed: numbers, booleans, strings, null when missing; times are integer ns.
local fields = require "lanner.fields"
local json = require "lanner.json"

local M = {}

-- sysdig's default line (userspace/sysdig/sysdig.cpp) and -pc's.
M.DEFAULT = "*%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info"
M.DEFAULT_CONTAINER = "*%evt.num %evt.outputtime %evt.cpu %container.name (%container.id) "
	.. "%proc.name (%thread.tid:%thread.vtid) %evt.dir %evt.type %evt.info"

local format, floor, rep, concat = string.format, math.floor, string.rep, table.concat

-- Bytes as sysdig prints a buffer: printable ASCII kept, the rest as '.'.
local function printable(s)
	if not s:find("[^\32-\126]") then return s end
	return (s:gsub("[^\32-\126]", "."))
end

local function scalar_text(spec, v, ev)
	local t = type(v)
	if t == "string" then
		if spec.type == "bytes" then return printable(v) end
		return v
	end
	if t == "boolean" then return v and "true" or "false" end
	if t == "number" then
		if spec.exact then return spec.exact(ev) end
		if spec.fmt then return format(spec.fmt, v) end
		if v == floor(v) and v > -2 ^ 63 and v < 2 ^ 63 then return format("%d", v) end
		return tostring(v)
	end
	return tostring(v)
end

-- Text of a field for ev, or nil when missing.  Multi fields print as
-- sinsp prints list fields: "(a,b)".
local function field_text(spec, ev)
	if spec.multi then
		local vals = spec.values(ev)
		if #vals == 0 then return nil end
		local parts = {}
		for i, v in ipairs(vals) do parts[i] = scalar_text(spec, v, ev) end
		return "(" .. concat(parts, ",") .. ")"
	end
	local v = spec.get(ev)
	if v == nil then return nil end
	return scalar_text(spec, v, ev)
end
M.field_text = field_text

local function scalar_json(spec, v, ev)
	local t = type(v)
	if t == "string" then return json.quote(spec.type == "bytes" and printable(v) or v) end
	if t == "boolean" then return v and "true" or "false" end
	if t == "number" then
		if spec.exact then return (spec.exact(ev):gsub("^0+(%d)", "%1")) end
		return json.number(v)
	end
	return json.quote(tostring(v))
end

local function field_json(spec, ev)
	if spec.multi then
		local vals = spec.values(ev)
		if #vals == 0 then return nil end
		local parts = {}
		for i, v in ipairs(vals) do parts[i] = scalar_json(spec, v, ev) end
		return "[" .. concat(parts, ",") .. "]"
	end
	local v = spec.get(ev)
	if v == nil then return nil end
	-- times are integer nanoseconds in JSON (sinsp's extract_as_js)
	if spec.json then return spec.json(ev) end
	return scalar_json(spec, v, ev)
end
M.field_json = field_json

local function fit(s, width)
	local n = #s
	if n == width then return s end
	if n > width then return s:sub(1, width) end
	return s .. rep(" ", width - n)
end

-- fmt -> { tokens = { {text=...} | {spec=, width=, key=} }, require_all }
function M.parse(fmt)
	if type(fmt) ~= "string" then error("format: expected a string", 2) end
	if fmt == "" then return nil, "empty format" end
	local require_all = true
	if fmt:sub(1, 1) == "*" then
		require_all = false
		fmt = fmt:sub(2)
	end
	local toks, lit = {}, {}
	local function flush()
		if #lit > 0 then toks[#toks + 1] = { text = concat(lit) }; lit = {} end
	end
	local i, len = 1, #fmt
	while i <= len do
		local pct = fmt:find("%", i, true)
		if pct == nil then lit[#lit + 1] = fmt:sub(i); break end
		if pct > i then lit[#lit + 1] = fmt:sub(i, pct - 1) end
		if pct == len then return nil, "invalid format: it cannot end with a %" end
		if fmt:sub(pct + 1, pct + 1) == "%" then
			lit[#lit + 1] = "%"
			i = pct + 2
		else
			local j = pct + 1
			local w = fmt:match("^%d+", j)
			local width = 0
			if w then
				width = tonumber(w)
				j = j + #w
				if j > len then return nil, "invalid format: it cannot end with a number" end
			end
			local spec, nxt = fields.parse(fmt, j)
			if spec == nil then return nil, "invalid format token '%" .. fmt:sub(j):match("^%S*") .. "': " .. nxt end
			flush()
			toks[#toks + 1] = { spec = spec, width = width, key = fmt:sub(j, nxt - 1) }
			i = nxt
		end
	end
	flush()
	return { tokens = toks, require_all = require_all }
end

-- fmt -> function(ev) -> line, or nil when a field is missing and fmt does
-- not start with '*'.  nil, msg for a bad format.
function M.compile(fmt)
	local p, msg = M.parse(fmt)
	if p == nil then return nil, msg end
	local toks, n, req = p.tokens, #p.tokens, p.require_all
	local buf = {}
	return function(ev)
		for k = 1, n do
			local tk = toks[k]
			local s = tk.text
			if s == nil then
				s = field_text(tk.spec, ev)
				if s == nil then
					if req then return nil end
					s = "<NA>"
				end
				if tk.width > 0 then s = fit(s, tk.width) end
			end
			buf[k] = s
		end
		return concat(buf, "", 1, n)
	end
end

-- Falco's rule outputs always print, missing fields as <NA>.
function M.compile_output(fmt)
	if type(fmt) == "string" and fmt:sub(1, 1) ~= "*" then fmt = "*" .. fmt end
	return M.compile(fmt)
end

-- The distinct fields of fmt, as written, in order of appearance.
function M.fields_of(fmt)
	local p, msg = M.parse(fmt)
	if p == nil then return nil, msg end
	local out, seen = {}, {}
	for _, tk in ipairs(p.tokens) do
		if tk.key and not seen[tk.key] then
			seen[tk.key] = true
			out[#out + 1] = tk.key
		end
	end
	return out
end

-- (key, spec) pairs sorted by key, duplicates dropped.
local function json_plan(pairs_list)
	table.sort(pairs_list, function(a, b) return a.key < b.key end)
	local out = {}
	for _, kv in ipairs(pairs_list) do
		if #out == 0 or out[#out].key ~= kv.key then
			out[#out + 1] = { key = kv.key, qkey = json.quote(kv.key) .. ":", spec = kv.spec }
		end
	end
	return out
end

local function json_run(plan, ev, req)
	local parts = {}
	for k, f in ipairs(plan) do
		local v = field_json(f.spec, ev)
		if v == nil then
			if req then return nil end
			v = "null"
		end
		parts[k] = f.qkey .. v
	end
	return "{" .. concat(parts, ",") .. "}"
end

-- fmt -> function(ev) -> JSON object text of fmt's fields (sysdig -j -p),
-- or nil for a missing field when fmt does not start with '*'.
function M.compile_json(fmt)
	local p, msg = M.parse(fmt)
	if p == nil then return nil, msg end
	local list = {}
	for _, tk in ipairs(p.tokens) do
		if tk.spec then list[#list + 1] = { key = tk.key, spec = tk.spec } end
	end
	local plan, req = json_plan(list), p.require_all
	return function(ev) return json_run(plan, ev, req) end
end

local plans = {}
local default_json = assert(M.compile_json(M.DEFAULT))

-- One JSON object for ev: the given field names (missing ones null), or
-- sysdig's -j default set.  An unknown name is a caller's mistake: raises.
function M.json(ev, names)
	if names == nil then return default_json(ev) end
	local key = concat(names, "\0")
	local plan = plans[key]
	if plan == nil then
		local list = {}
		for _, name in ipairs(names) do
			local spec, msg = fields.resolve(name)
			if spec == nil then error("format.json: " .. msg, 2) end
			list[#list + 1] = { key = name, spec = spec }
		end
		plan = json_plan(list)
		plans[key] = plan
	end
	return json_run(plan, ev, false)
end

-- Falco's output_fields as a Lua table for json.encode: name -> the typed
-- value text (json.raw) or json.null, the same values format.json prints.
function M.json_fields(ev, names)
	local out = {}
	for _, name in ipairs(names) do
		local spec, msg = fields.resolve(name)
		if spec == nil then error("format.json_fields: " .. msg, 2) end
		local v = field_json(spec, ev)
		out[name] = v and json.raw(v) or json.null
	end
	return out
end

local default_line = assert(M.compile(M.DEFAULT))
function M.default_line(ev) return default_line(ev) end

return M
