-- A chisel's arguments, as sysdig handles them: the command line hands over
-- one word, split here on spaces outside quotes (' and ` quote, as in
-- sysdig's sinsp_chisel::set_args), then matched in order to the chisel's
-- `args` declarations: required ones first must all be there, optional ones
-- may follow.
local M = {}

-- "a 'b c' d" -> { "a", "b c", "d" }, or nil and a message for an
-- unterminated quote.
function M.split(s)
	local out = {}
	if s == nil then return out end
	s = s:match("^%s*(.-)%s*$")
	if s == "" then return out end
	local cur, quote = {}, nil
	local had = false -- a quoted empty string is still a value
	for i = 1, #s do
		local c = s:sub(i, i)
		if quote then
			if c == quote then quote = nil else cur[#cur + 1] = c end
		elseif c == "'" or c == "`" then
			quote, had = c, true
		elseif c == " " or c == "\t" then
			if #cur > 0 or had then
				out[#out + 1] = table.concat(cur)
				cur, had = {}, false
			end
		else
			cur[#cur + 1] = c
		end
	end
	if quote then return nil, "unterminated quote in the chisel arguments" end
	if #cur > 0 or had then out[#out + 1] = table.concat(cur) end
	return out
end

-- The declared arguments, checked: a list of {name, description, argtype,
-- optional}.  Returns the list, or nil and a message.
function M.declared(args)
	if args == nil then return nil, "the chisel defines no 'args' table" end
	if type(args) ~= "table" then return nil, "'args' must be a table" end
	local out = {}
	for i, a in ipairs(args) do
		if type(a) ~= "table" then return nil, "args[" .. i .. "] is not a table" end
		if type(a.name) ~= "string" then return nil, "args[" .. i .. "] has no name" end
		out[i] = {
			name = a.name, description = tostring(a.description or ""),
			argtype = tostring(a.argtype or "string"), optional = a.optional == true,
		}
	end
	return out
end

function M.counts(decl)
	local req, opt = 0, 0
	for _, a in ipairs(decl) do
		if a.optional then opt = opt + 1 else req = req + 1 end
	end
	return req, opt
end

-- Values matched to names: a list of {name, value}, or nil and sysdig's
-- message.
function M.bind(decl, values, chisel_name)
	local req, opt = M.counts(decl)
	-- lanner: a filter given last needs no quotes ("fd.name contains x")
	local last = decl[#decl]
	if last and last.argtype == "filter" and #values > #decl then
		local joined = {}
		for i = #decl, #values do joined[#joined + 1] = values[i] end
		local v = {}
		for i = 1, #decl - 1 do v[i] = values[i] end
		v[#decl] = table.concat(joined, " ")
		values = v
	end
	if #values < req then
		return nil, string.format("wrong number of parameters for chisel %s, %d required, %d given",
			chisel_name, req, #values)
	end
	if #values > req + opt then
		return nil, string.format("too many parameters for chisel %s, %d required, %d optional, %d given",
			chisel_name, req, opt, #values)
	end
	local out = {}
	for i, v in ipairs(values) do out[i] = { name = decl[i].name, value = v } end
	return out
end

-- Joins values back into one word the way sysdig does for chisel.exec:
-- values with a space are quoted.
function M.join(values)
	local parts = {}
	for i, v in ipairs(values) do
		v = tostring(v)
		parts[i] = (v:find(" ", 1, true) or v == "") and ("'" .. v .. "'") or v
	end
	return table.concat(parts, " ")
end

return M
