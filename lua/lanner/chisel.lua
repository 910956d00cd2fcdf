-- The chisel host: runs sysdig chisels (Lua files with sysdig's globals and
-- hooks) unchanged.  This module is what the CLI sees:
--
--   chisel.nargs(name[, next_word])  argument words the chisel takes (0/1)
--   chisel.print_list(out)           lanner -cl
--   chisel.print_description(n, out) lanner -i NAME
--   chisel.load(name, argstring, {output=, filter=}) -> ch | nil, msg
--
-- and ch (lanner/chisel/host.lua): ch:interest(), ch:start(sess),
-- ch:on_event(ev), ch:tick(ev_or_false), ch:interval_ms(), ch:wants_end(),
-- ch:finish().  The parts: env.lua (directories, environments, require),
-- api.lua (the chisel/evt/sysdig tables), args.lua, interval.lua,
-- state.lua (thread and container tables).
local argm = require "lanner.chisel.args"
local base = require "lanner.base"
local envm = require "lanner.chisel.env"
local host = require "lanner.chisel.host"

local M = {}

M.dirs = envm.dirs
M.find = envm.find
M.split_args = argm.split

-- Descriptions are read by running the chisel's top level; once per path.
local desc_cache = {}
local function describe(name)
	local path = envm.find(name)
	if not path then return nil, "chisel " .. tostring(name) .. " not found" end
	local d = desc_cache[path]
	if d == nil then
		local err
		d, err = host.describe(path, name)
		if not d then return nil, err end
		desc_cache[path] = d
	end
	return d
end
M.describe = describe

-- Whether a command-line word reads as a filter (a comparison on a field),
-- not as a chisel argument.
local function looks_like_filter(word)
	local ok, filter = pcall(require, "lanner.filter")
	if not ok then return false end
	local pok, ast = pcall(filter.parse, word)
	if not pok or type(ast) ~= "table" then return false end
	local found = false
	local function walk(n)
		if type(n) ~= "table" then return end
		if n.op == "cmp" then found = true return end
		for i = 1, #n do walk(n[i]) end
	end
	walk(ast)
	return found
end

-- sysdig's rule: a chisel with a required argument takes the next word; one
-- with only optional arguments takes it unless there is none, it starts
-- with '-', or it reads as a filter (when the chisel's one argument is not
-- itself a filter).  Without next_word: 1 whenever the chisel has arguments.
function M.nargs(name, next_word)
	local d = describe(name)
	if not d or #d.args == 0 then return 0 end
	local req = argm.counts(d.args)
	if req > 0 or next_word == nil then return 1 end
	if next_word == "--" or next_word:sub(1, 1) == "-" then return 0 end
	if looks_like_filter(next_word) and not (#d.args == 1 and d.args[1].argtype == "filter") then
		return 0
	end
	return 1
end

-- Every chisel in the directories, first found wins: { desc, ... }.
function M.list()
	local seen, out = {}, {}
	for _, dir in ipairs(envm.dirs()) do
		local names = {}
		for _, f in ipairs(base.list_dir(dir) or {}) do
			local n = f:match("^(.+)%.lua$")
			if n then names[#names + 1] = n end
		end
		table.sort(names)
		for _, n in ipairs(names) do
			if not seen[n] then
				seen[n] = true
				local path = dir .. "/" .. n .. ".lua"
				local d = desc_cache[path] or host.describe(path, n)
				if d then
					desc_cache[path] = d
					-- sysdig lists only files with a description string;
					-- the rest are views or helper modules
					if type(d.description) == "string" and not d.hidden then out[#out + 1] = d end
				end
			end
		end
	end
	table.sort(out, function(a, b)
		local ca, cb = tostring(a.category or ""), tostring(b.category or "")
		if ca ~= cb then return ca < cb end
		return a.name < b.name
	end)
	return out
end

local function header(out, cat)
	local title = "Category: " .. (cat ~= "" and cat or "misc")
	out:write("\n", title, "\n", string.rep("-", #title), "\n")
end

local function name_col(name)
	if #name < 16 then return name .. string.rep(" ", 16 - #name) end
	return name .. "\n" .. string.rep(" ", 16)
end

-- lanner -cl, laid out as sysdig -cl.
function M.print_list(out)
	out = out or io.stdout
	local cat
	for _, d in ipairs(M.list()) do
		local c = tostring(d.category or "")
		if c ~= cat then
			header(out, c)
			cat = c
		end
		out:write(name_col(d.name), tostring(d.short_description or ""), "\n")
	end
	out:write("\nUse the -i flag to get detailed information about a specific chisel\n")
	return 0
end

-- lanner -i NAME.
function M.print_description(name, out)
	out = out or io.stdout
	local d, err = describe(name)
	if not d then
		io.stderr:write("lanner: ", err, "\n")
		return 2
	end
	header(out, tostring(d.category or ""))
	out:write(name_col(d.name), tostring(d.short_description or ""), "\n\n")
	out:write(tostring(d.description or ""), "\n")
	if #d.args > 0 then
		out:write("Args:\n")
		for _, a in ipairs(d.args) do
			out:write("[", a.argtype, "] ", a.name, a.optional and " (optional)" or "", " - ", a.description, "\n")
		end
	else
		out:write("Args:\n(None)\n")
	end
	return 0
end

M.MAX_EXEC_DEPTH = 8

-- Loads NAME, hands it its arguments (on_set_arg) and runs on_init.  A
-- chisel that calls chisel.exec() in on_init is replaced by the chisel it
-- names, run with the arguments it gave (sysdig's behaviour).
function M.load(name, argstring, opts)
	opts = opts or {}
	local values, err = argm.split(argstring)
	if not values then return nil, "chisel " .. tostring(name) .. ": " .. err end
	for _ = 0, M.MAX_EXEC_DEPTH do
		local path = envm.find(name)
		if not path then
			return nil, "chisel " .. tostring(name) .. " not found (searched " .. table.concat(envm.dirs(), ":") .. ")"
		end
		local ch
		ch, err = host.new(path, name, opts)
		if not ch then return nil, err end
		local ok
		ok, err = ch:init(values)
		if not ok then return nil, err end
		if not ch.exec_request then return ch end
		name, values = ch.exec_request.name, ch.exec_request.args
	end
	return nil, "chisel " .. tostring(name) .. ": chisel.exec() nested too deep"
end

return M
