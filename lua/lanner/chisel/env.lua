-- Where chisels live and what they see: the chisel directories, and a fresh
-- global environment per chisel (a whitelist of the standard library, the
-- API tables, print and io bound to the chisel's output, and a require that
-- searches the chisel directories first).  Two chisels never share globals;
-- a module a chisel requires from a chisel directory runs in that chisel's
-- environment, as it would share the chisel's lua_State in sysdig.
local base = require "lanner.base"

local M = {}

-- The folder holding chisels/: the lanner binary sets LANNER_ROOT; from a
-- checkout (specs) it is the repository this file sits in.
function M.root()
	local r = rawget(_G, "LANNER_ROOT") or os.getenv("LANNER_ROOT")
	if r and r ~= "" then return (r:gsub("/+$", "")) end
	local src = debug.getinfo(1, "S").source
	local dir = src:sub(1, 1) == "@" and src:sub(2):match("^(.*)/lua/lanner/chisel/env%.lua$")
	if dir then return dir == "" and "." or dir end
	return "."
end

-- Chisel directories in search order: LANNER_CHISEL_PATH (':'-separated),
-- then the packaged ones.
function M.dirs()
	local out = {}
	local p = os.getenv("LANNER_CHISEL_PATH")
	if p then
		for d in p:gmatch("[^:]+") do out[#out + 1] = (d:gsub("/+$", "")) end
	end
	out[#out + 1] = M.root() .. "/chisels"
	return out
end

local function readable(path)
	local f = io.open(path, "rb")
	if not f then return false end
	-- a directory opens but does not read (EISDIR); an empty file reads nil
	local _, err = f:read(1)
	f:close()
	return err == nil
end

-- Path of chisel NAME: DIR/NAME.lua in the first directory that has it,
-- else NAME itself when it names a file (a path given on the command line).
function M.find(name)
	if type(name) ~= "string" or name == "" then return nil end
	if not name:find("/", 1, true) then
		for _, d in ipairs(M.dirs()) do
			local p = d .. "/" .. name .. ".lua"
			if readable(p) then return p end
		end
	end
	if name:find("/", 1, true) or name:match("%.lua$") then
		if readable(name) then return name end
		if readable(name .. ".lua") then return name .. ".lua" end
	end
	return nil
end

-- Name shown in messages: packaged chisels relative to the root
-- ("chisels/spy_file.lua"), others as found.
function M.display_path(path)
	local root = M.root() .. "/"
	if path:sub(1, #root) == root then return path:sub(#root + 1) end
	if path:sub(1, 2) == "./" then return path:sub(3) end
	return path
end

-- Standard globals a chisel may read.  The API tables and the bound
-- print/io/require/load* are added per chisel.
local WHITELIST = {
	"assert", "collectgarbage", "error", "getmetatable", "ipairs", "next", "pairs", "pcall",
	"rawequal", "rawget", "rawset", "select", "setmetatable", "tonumber", "tostring", "type",
	"unpack", "xpcall", "_VERSION", "string", "table", "math", "os", "coroutine", "bit",
	"debug", "getfenv", "setfenv", "newproxy", "gcinfo",
}

local function loadfile_in(env, path, chunkname)
	local src, err = base.read_file(path)
	if not src then return nil, err end
	if src:sub(1, 1) == "#" then src = "--" .. src end -- a #! line
	local fn, lerr = loadstring(src, "@" .. (chunkname or path))
	if not fn then return nil, lerr end
	if env then setfenv(fn, env) end
	return fn, nil, src
end
M.loadfile_in = loadfile_in

-- A module path in the chisel directories ("lib.report" -> DIR/lib/report.lua).
local function search(dirs, name)
	local rel = name:gsub("%.", "/")
	for _, d in ipairs(dirs) do
		for _, pat in ipairs { "%s/%s.lua", "%s/%s/init.lua" } do
			local p = pat:format(d, rel)
			if readable(p) then return p end
		end
	end
	return nil
end

-- The environment of one chisel.
--   api: { chisel = ..., evt = ..., sysdig = ... }
--   out: file handle the chisel's print and io.write go to
function M.new(api, out)
	local env = {}
	for _, k in ipairs(WHITELIST) do env[k] = _G[k] end
	env._G = env
	env.chisel, env.evt, env.sysdig = api.chisel, api.evt, api.sysdig

	env.print = function(...)
		local n = select("#", ...)
		local parts = {}
		for i = 1, n do parts[i] = tostring((select(i, ...))) end
		out:write(table.concat(parts, "\t"), "\n")
	end
	env.io = setmetatable({
		write = function(...) return out:write(...) end,
		stdout = out,
		output = function(f) if f == nil then return out end return io.output(f) end,
	}, { __index = io })

	-- Chunks a chisel makes itself run in its environment too.
	env.loadstring = function(s, name)
		local fn, err = loadstring(s, name)
		if fn then setfenv(fn, env) end
		return fn, err
	end
	env.load = function(x, name)
		local fn, err = load(x, name)
		if fn then setfenv(fn, env) end
		return fn, err
	end
	env.loadfile = function(path) return loadfile_in(env, path) end
	env.dofile = function(path)
		local fn, err = loadfile_in(env, path)
		if not fn then error(err, 2) end
		return fn()
	end

	local dirs = M.dirs()
	local paths = {}
	for i, d in ipairs(dirs) do paths[i] = d .. "/?.lua" end
	local loaded = {}
	env.package = setmetatable({ loaded = loaded, path = table.concat(paths, ";") },
		{ __index = package })
	env.require = function(name)
		if type(name) ~= "string" then error("bad argument #1 to 'require' (string expected)", 2) end
		local v = loaded[name]
		if v ~= nil then return v end
		local p = search(dirs, name)
		if not p then return require(name) end -- standard and lanner modules
		local fn, err = loadfile_in(env, p, M.display_path(p))
		if not fn then error("error loading module '" .. name .. "' from " .. p .. ":\n\t" .. err, 2) end
		loaded[name] = true -- a cycle sees a value, as Lua's require
		local r = fn(name)
		if r ~= nil then loaded[name] = r end
		return loaded[name]
	end
	return env
end

return M
