-- A small JSON encoder for event output: strings escaped per RFC 8259,
-- bytes that are not valid UTF-8 replaced by U+FFFD (tracee data is
-- arbitrary bytes; a consumer must still be able to parse every line).
--
--   json.quote(s)        -> "\"...\""
--   json.number(x)       -> integers exactly, NaN/inf as null
--   json.encode(v[, order]) -> text; tables with [1] or json.array(t) are
--                           arrays, other tables objects with sorted keys (the
--                           top-level ones listed in order first); json.null
--   json.raw(text)       -> a value emitted as is (pre-encoded numbers)
local M = {}

local byte, sub, format = string.byte, string.sub, string.format
local concat = table.concat

M.null = setmetatable({}, { __tostring = function() return "null" end })
local array_mt = {}
local raw_mt = {}

function M.array(t) return setmetatable(t or {}, array_mt) end
function M.raw(text) return setmetatable({ text }, raw_mt) end

local SHORT = { [8] = "\\b", [9] = "\\t", [10] = "\\n", [12] = "\\f", [13] = "\\r",
	[34] = '\\"', [92] = "\\\\" }
local REPLACEMENT = "\239\191\189" -- U+FFFD

-- Length of the valid UTF-8 sequence at i (lead byte b), 0 if invalid:
-- no overlong forms, no surrogates, nothing past U+10FFFF.
local function utf8_len(s, i, b)
	local n, lo, hi
	if b >= 0xC2 and b <= 0xDF then n = 2
	elseif b >= 0xE0 and b <= 0xEF then
		n = 3
		if b == 0xE0 then lo = 0xA0 elseif b == 0xED then hi = 0x9F end
	elseif b >= 0xF0 and b <= 0xF4 then
		n = 4
		if b == 0xF0 then lo = 0x90 elseif b == 0xF4 then hi = 0x8F end
	else
		return 0
	end
	for k = 1, n - 1 do
		local c = byte(s, i + k)
		if c == nil or c < 0x80 or c > 0xBF then return 0 end
		if k == 1 and ((lo and c < lo) or (hi and c > hi)) then return 0 end
	end
	return n
end

local function quote_slow(s)
	local out, n = {}, 0
	local i, len = 1, #s
	local run = 1 -- start of the pending run of bytes copied as they are
	while i <= len do
		local b = byte(s, i)
		local rep, step
		if b < 0x20 or b == 34 or b == 92 then
			rep, step = SHORT[b] or format("\\u%04x", b), 1
		elseif b >= 0x80 then
			local l = utf8_len(s, i, b)
			if l == 0 then rep, step = REPLACEMENT, 1 else step = l end
		else
			step = 1
		end
		if rep then
			if run < i then n = n + 1; out[n] = sub(s, run, i - 1) end
			n = n + 1; out[n] = rep
			run = i + step
		end
		i = i + step
	end
	if run <= len then n = n + 1; out[n] = sub(s, run) end
	return '"' .. concat(out, "", 1, n) .. '"'
end

function M.quote(s)
	-- fast path: nothing to escape or check (the common case for names)
	if not s:find('[%z\1-\31"\\\128-\255]') then return '"' .. s .. '"' end
	return quote_slow(s)
end

function M.number(x)
	if x ~= x or x == math.huge or x == -math.huge then return "null" end
	if x == math.floor(x) and x > -2 ^ 63 and x < 2 ^ 63 then return format("%d", x) end
	return format("%.17g", x)
end

local encode
local function encode_table(t, depth, order)
	if depth > 64 then error("json.encode: nesting too deep", 0) end
	local mt = getmetatable(t)
	if mt == raw_mt then return t[1] end
	if t == M.null then return "null" end
	local parts = {}
	if mt == array_mt or t[1] ~= nil then
		for i = 1, #t do parts[i] = encode(t[i], depth + 1) end
		return "[" .. concat(parts, ",") .. "]"
	end
	local keys, rest, first = {}, {}, {}
	for _, k in ipairs(order or {}) do
		if t[k] ~= nil and not first[k] then first[k] = true; keys[#keys + 1] = k end
	end
	for k in pairs(t) do
		if not first[k] then rest[#rest + 1] = tostring(k) end
	end
	table.sort(rest)
	for _, k in ipairs(rest) do keys[#keys + 1] = k end
	for i, k in ipairs(keys) do
		local v = t[k]
		if v == nil then v = t[tonumber(k)] end
		parts[i] = M.quote(k) .. ":" .. encode(v, depth + 1)
	end
	return "{" .. concat(parts, ",") .. "}"
end

encode = function(v, depth, order)
	local tv = type(v)
	if tv == "string" then return M.quote(v) end
	if tv == "number" then return M.number(v) end
	if tv == "boolean" then return v and "true" or "false" end
	if tv == "nil" then return "null" end
	if tv == "table" then return encode_table(v, depth or 0, order) end
	if tv == "cdata" then
		-- 64-bit integers print exactly ("123ULL" -> 123)
		local s = tostring(v):gsub("U?LL$", "")
		if s:match("^%-?%d+$") then return s end
	end
	error("json.encode: cannot encode a " .. tv, 0)
end

function M.encode(v, order) return encode(v, 0, order) end

return M
