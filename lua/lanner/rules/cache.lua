-- The loaded rule set, kept between runs: CI steps and container entry
-- points start lanner many times on the same rules, and reading, parsing,
-- expanding, checking and compiling them was most of its start-up.  What
-- is kept is what loading produced, as plain data: each rule's expanded
-- condition, its event types, fields, argument predicates and output
-- format, the warnings, the macros and lists, and the condition's code as
-- bytecode with a description of each of its constants (a field's getter
-- by the field's name, a C string set by its items: lanner.filter.compile's
-- revive).  A condition's function is made at the first event of one of
-- its types (lanner.rules.engine builds a type's rules then), its output
-- at its first alert.
--
-- A file is good only for the same rules files (names and contents), the
-- same load options and the same lanner (a stamp of its Lua modules and
-- its binary): the whole key is kept in the file and compared, the file's
-- name is only its hash.  A set with errors is never kept (lanner refuses
-- to start on it anyway, and says why every time).  The file is bytecode,
-- so it is used only where nobody but lanner's own user could have
-- written it (ln_cache_check); anything wrong with it is a miss, and the
-- rules load as if there were no cache.
--
-- The folder: $LANNER_CACHE_DIR, else $XDG_CACHE_HOME/lanner, else
-- $HOME/.cache/lanner; --no-rules-cache turns it off.
local core = require "lanner.core"
local ffi = core.ffi
local C = core.C
local base = require "lanner.base"
local diag = require "lanner.rules.diag"
local compile = require "lanner.filter.compile"
local engine = require "lanner.rules.engine"

base.declare("char *strerror(int errnum);")
local function strerror(e) return ffi.string(ffi.C.strerror(e)) end

local M = {}

M.FORMAT = 2
-- rule sets kept in the folder (the newest): one per rules-file list
M.KEEP_FILES = 32

-- What a cached rule keeps; the rest is made again (fn, output) or not
-- needed once loaded (condition_ast, exception texts).
local KEEP = { "name", "desc", "condition", "ast", "priority", "priority_num", "tags", "tag_set",
	"enabled", "source", "file", "line", "index", "output_format", "output_fields", "exceptions",
	"types", "fields", "preds", "needs_exit", "exit_types" }

function M.dir()
	local d = os.getenv("LANNER_CACHE_DIR")
	if d and d ~= "" then return d end
	local xdg = os.getenv("XDG_CACHE_HOME")
	if xdg and xdg:sub(1, 1) == "/" then return xdg .. "/lanner" end
	local home = os.getenv("HOME")
	if home and home:sub(1, 1) == "/" then return home .. "/.cache/lanner" end
	return nil
end

-- a uint64 as decimal text ("123ULL" without the suffix)
local function u64text(h) return (tostring(h):gsub("U?LL$", "")) end

local function hash(s, h) return C.ln_hash64(s, #s, h or 0) end

-- The code that turns rules files into a set: lanner's Lua modules
-- (source, bytecode and generated) and its binary.  nil outside the
-- lanner binary (LANNER_ROOT unset), where no cache is used.
local function code_stamp()
	local root = rawget(_G, "LANNER_ROOT")
	if not root then return nil end
	local h = C.ln_tree_stamp("/proc/self/exe", 0)
	for _, d in ipairs { "/lua/lanner", "/build/luac/lanner", "/build/lua/lanner" } do
		h = C.ln_tree_stamp(root .. d, h)
	end
	return u64text(h)
end

-- key(files, opts) -> {dir = the folder, path = the file, text = the
-- whole key, kept in the file and compared} or nil, why not.
function M.key(files, opts)
	local dir = opts.cache_dir or M.dir()
	if not dir then return nil, "no cache folder (HOME unset)" end
	local stamp = code_stamp()
	if not stamp then return nil, "not the lanner binary" end
	local parts = { "lanner rules cache " .. M.FORMAT, "code " .. stamp,
		"min_priority " .. tostring(opts.min_priority),
		"engine_version " .. tostring(opts.engine_version) }
	if opts.sources then
		local s = {}
		for k, v in pairs(opts.sources) do if v then s[#s + 1] = k end end
		table.sort(s)
		parts[#parts + 1] = "sources " .. table.concat(s, ",")
	end
	local names = {}
	for _, f in ipairs(files) do
		local name, content = f, nil
		if type(f) == "table" then
			name, content = f.name or "<rules>", f.content
		else
			content = base.read_file(f)
			-- unreadable: loading reports it, and a set with errors is not kept
			if not content then return nil, "unreadable rules file" end
		end
		names[#names + 1] = name
		parts[#parts + 1] = ("file %q %d %s"):format(name, #content, u64text(hash(content)))
	end
	local text = table.concat(parts, "\n")
	local which = u64text(hash(table.concat(names, "\0") .. "\0" .. table.concat(parts, "\n", 3, 4)))
	return { dir = dir, path = dir .. "/rules-" .. which .. ".luac", text = text }
end

-- Serialising: plain data only (strings, numbers, booleans, tables
-- without cycles); anything else makes the set uncacheable.
local fmt = string.format
local function ser(v, out, seen)
	local t = type(v)
	if t == "string" then
		out[#out + 1] = fmt("%q", v)
	elseif t == "number" then
		if v ~= v then out[#out + 1] = "(0/0)"
		elseif v == math.huge then out[#out + 1] = "math.huge"
		elseif v == -math.huge then out[#out + 1] = "(-math.huge)"
		else out[#out + 1] = fmt("%.17g", v) end
	elseif t == "boolean" or t == "nil" then	-- nil: a hole in a list
		out[#out + 1] = tostring(v)
	elseif t == "table" then
		if seen[v] then error("a cycle", 0) end
		if getmetatable(v) then error("a table with a metatable", 0) end
		seen[v] = true
		out[#out + 1] = "{"
		local n = #v
		for i = 1, n do
			ser(v[i], out, seen)
			out[#out + 1] = ","
		end
		for k, x in pairs(v) do
			local tk = type(k)
			if not (tk == "number" and k >= 1 and k <= n and k % 1 == 0) then
				if tk ~= "string" and tk ~= "number" and tk ~= "boolean" then error("a " .. tk .. " key", 0) end
				out[#out + 1] = "["
				ser(k, out, seen)
				out[#out + 1] = "]="
				ser(x, out, seen)
				out[#out + 1] = ","
			end
		end
		out[#out + 1] = "}"
		seen[v] = nil
	else
		error("a " .. t .. " value", 0)
	end
end

-- serialize(v) -> Lua text that makes v again, or raises for what is not
-- plain data.
function M.serialize(v)
	local out = {}
	ser(v, out, {})
	return table.concat(out)
end

-- One function per rule: LuaJIT counts constants per function, and a
-- large rule set would pass its limits in one.  A rule's condition tree
-- and its code (with the description of its constants) are most of the
-- file, and a run needs them only for the event types it meets: they are
-- made by functions of their own, called when asked (revive), so a start
-- does not build every rule's tables.
local function chunk(key, set)
	local out = { "local R, L = {}, {}\n" }
	for i, r in ipairs(set.rules) do
		local keep = {}
		for _, k in ipairs(KEEP) do
			if k ~= "ast" then keep[k] = r[k] end
		end
		-- what the engine's split of an open's rules reads in the tree,
		-- worked out now so that a run need not make the tree for it
		keep.open_needs = engine.requirements(r)
		out[#out + 1] = "R[" .. i .. "] = (function() return "
		ser(keep, out, {})
		out[#out + 1] = " end)()\n"
		-- the condition's code and constants, if they can be made again
		local code = r.describe_fn and r.describe_fn() or nil
		out[#out + 1] = "L[" .. i .. "] = { code = function() return "
		ser(code, out, {})
		out[#out + 1] = " end, ast = function() return "
		ser(r.ast, out, {})
		out[#out + 1] = " end }\n"
	end
	local warnings = {}
	for i, w in ipairs(set.warnings or {}) do
		warnings[i] = { file = w.file, line = w.line, item = w.item, message = w.message, code = w.code, text = w.text }
	end
	local rest = { key = key.text, warnings = warnings, lists = set.lists, macros = set.macros,
		env = set.env, required_plugins = set.required_plugins }
	for k, v in pairs(rest) do
		out[#out + 1] = "local " .. k .. " = (function() return "
		ser(v, out, {})
		out[#out + 1] = " end)()\n"
	end
	out[#out + 1] = "return { rules = R, lazy = L"
	for k in pairs(rest) do out[#out + 1] = ", " .. k .. " = " .. k end
	out[#out + 1] = " }\n"
	return table.concat(out)
end

-- store(key, set) -> true | nil, why not
function M.store(key, set)
	if #(set.errors or {}) > 0 then return nil, "the rules have errors" end
	local ok, src = pcall(chunk, key, set)
	if not ok then return nil, "not plain data: " .. tostring(src) end
	local fn, err = loadstring(src, "=rules cache")
	if not fn then return nil, err end
	local bc = string.dump(fn, true)
	local r = C.ln_cache_dir(key.dir)
	if r < 0 then return nil, key.dir .. ": " .. strerror(-r) end
	r = C.ln_cache_write(key.path, bc, #bc)
	if r < 0 then return nil, key.path .. ": " .. strerror(-r) end
	C.ln_cache_prune(key.dir, "rules-", M.KEEP_FILES)
	return true
end

-- The rule's condition compiled at its first call (the engine asks for
-- real_fn when it builds the rules of a type), its output at its first
-- alert.  The tree was compiled when the set was kept, so neither fails
-- but for a bug, which is raised.
local function revive(r, deps, lazy)
	-- the tree, made the first time someone reads r.ast
	setmetatable(r, { __index = function(t, k)
		if k ~= "ast" then return nil end
		local ast = lazy.ast()
		rawset(t, "ast", ast)
		return ast
	end })
	local real
	local function real_fn()
		if not real then
			local fn, err
			local code = lazy.code()
			if code then fn, err = compile.revive(code, deps.fields) end
			if not fn then fn, err = deps.filter.compile(r.ast, deps.fields) end
			if not fn then error("rules cache: rule '" .. r.name .. "': " .. tostring(err), 0) end
			real = fn
		end
		return real
	end
	r.fn = function(ev) return real_fn()(ev) end
	r.lazy_fn, r.real_fn = r.fn, real_fn
	local out
	r.output = function(ev)
		if not out then
			out = assert((deps.format.compile_output or deps.format.compile)(r.output_format))
		end
		return out(ev)
	end
	r.fields = r.fields or {}
	r.output_fields = r.output_fields or {}
	r.tags = r.tags or {}
	return r
end

-- fetch(key, deps) -> the set's parts (rules revived) | nil, why not
function M.fetch(key, deps)
	local len, err = ffi.new("size_t[1]"), ffi.new("int[1]")
	local buf = C.ln_cache_read(key.path, len, err)
	if buf == nil then
		local e = -err[0]
		if e == 2 then return nil, "none yet" end -- ENOENT
		return nil, key.path .. ": " .. (e == 1 and "someone else could have written it: not used" or strerror(e))
	end
	local bc = ffi.string(buf, len[0])
	C.ln_cache_free(buf)
	local fn = loadstring(bc, "=rules cache")
	if not fn then return nil, key.path .. ": unreadable" end
	local ok, t = pcall(fn)
	if not ok or type(t) ~= "table" or t.key ~= key.text or type(t.rules) ~= "table" or type(t.lazy) ~= "table" then
		return nil, "out of date"
	end
	for i, rule in ipairs(t.rules) do revive(rule, deps, t.lazy[i]) end
	t.lazy = nil
	local warnings = {}
	for i, w in ipairs(t.warnings or {}) do
		warnings[i] = diag.make({ file = w.file, line = w.line, item = w.item }, w.message, w.line, w.code, true)
		warnings[i].text = w.text
	end
	t.warnings, t.errors, t.key = warnings, {}, nil
	return t
end

return M
