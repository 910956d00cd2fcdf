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
--   json.decode(text)    -> value | nil, message   (RFC 8259; null is
--                           json.null; read once per metadata refresh, so
--                           plain Lua, no speed tricks)
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

---------------------------------------------------------------------------
-- Decoding.  Errors carry the byte offset: "json: expected ':' at 17".

local ESC = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local function utf8_char(cp)
	if cp < 0x80 then return string.char(cp) end
	if cp < 0x800 then return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64) end
	if cp < 0x10000 then
		return string.char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
	end
	return string.char(0xF0 + math.floor(cp / 262144), 0x80 + math.floor(cp / 4096) % 64,
		0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
end

local function derr(msg, pos) error({ json = ("json: %s at %d"):format(msg, pos) }, 0) end

local function skip(s, i)
	return s:find("[^ \t\r\n]", i) or #s + 1
end

local decode_value

local function decode_string(s, i)
	-- i is at the opening quote
	local out, j = {}, i + 1
	while true do
		local k = s:find('["\\%z\1-\31]', j)
		if not k then derr("unterminated string", i) end
		out[#out + 1] = s:sub(j, k - 1)
		local c = s:sub(k, k)
		if c == '"' then return concat(out), k + 1 end
		if c ~= "\\" then derr("control character in string", k) end
		local e = s:sub(k + 1, k + 1)
		if e == "u" then
			local hex = s:match("^%x%x%x%x", k + 2)
			if not hex then derr("bad \\u escape", k) end
			local cp, nexti = tonumber(hex, 16), k + 6
			if cp >= 0xD800 and cp <= 0xDBFF then
				local lo = s:match("^\\u(%x%x%x%x)", nexti)
				lo = lo and tonumber(lo, 16)
				if lo and lo >= 0xDC00 and lo <= 0xDFFF then
					cp = 0x10000 + (cp - 0xD800) * 1024 + (lo - 0xDC00)
					nexti = nexti + 6
				else
					cp = 0xFFFD -- a lone surrogate is no character
				end
			elseif cp >= 0xDC00 and cp <= 0xDFFF then
				cp = 0xFFFD
			end
			out[#out + 1] = utf8_char(cp)
			j = nexti
		elseif ESC[e] then
			out[#out + 1] = ESC[e]
			j = k + 2
		else
			derr("bad escape", k)
		end
	end
end

decode_value = function(s, i, depth)
	if depth > 64 then derr("nesting too deep", i) end
	i = skip(s, i)
	local c = s:sub(i, i)
	if c == "{" then
		local t = {}
		i = skip(s, i + 1)
		if s:sub(i, i) == "}" then return t, i + 1 end
		while true do
			if s:sub(i, i) ~= '"' then derr("expected a string key", i) end
			local k
			k, i = decode_string(s, i)
			i = skip(s, i)
			if s:sub(i, i) ~= ":" then derr("expected ':'", i) end
			t[k], i = decode_value(s, i + 1, depth + 1)
			i = skip(s, i)
			c = s:sub(i, i)
			if c == "}" then return t, i + 1 end
			if c ~= "," then derr("expected ',' or '}'", i) end
			i = skip(s, i + 1)
		end
	elseif c == "[" then
		local t = M.array()
		i = skip(s, i + 1)
		if s:sub(i, i) == "]" then return t, i + 1 end
		while true do
			t[#t + 1], i = decode_value(s, i, depth + 1)
			i = skip(s, i)
			c = s:sub(i, i)
			if c == "]" then return t, i + 1 end
			if c ~= "," then derr("expected ',' or ']'", i) end
			i = i + 1
		end
	elseif c == '"' then
		return decode_string(s, i)
	end
	local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
	if num and num ~= "" and num ~= "-" then
		local v = tonumber(num)
		if v == nil or not num:match("^-?%d") then derr("bad number", i) end
		return v, i + #num
	end
	for word, v in pairs { ["true"] = true, ["false"] = false, null = M.null } do
		if s:sub(i, i + #word - 1) == word then return v, i + #word end
	end
	if i > #s then derr("unexpected end", i) end
	derr("unexpected '" .. c .. "'", i)
end

function M.decode(s)
	if type(s) ~= "string" then error("json.decode: expected a string", 2) end
	local ok, v, i = pcall(decode_value, s, 1, 0)
	if not ok then
		if type(v) == "table" and v.json then return nil, v.json end
		error(v, 0)
	end
	i = skip(s, i)
	if i <= #s then return nil, ("json: trailing text at %d"):format(i) end
	return v
end

return M
