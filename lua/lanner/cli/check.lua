-- What the user typed on the command line (a filter, a -p format), checked
-- before anything runs: an event type that does not exist, a field that
-- does not exist or that lanner cannot fill would otherwise match nothing
-- and print nothing, with no word on why (`lanner 'evt.type=opn' -- true`).
-- Each is an error naming the word, with the nearest names ("did you
-- mean").  A syscall the kernel has but lanner does not trace (waitid) is
-- a warning instead: a filter shared with sysdig or strace may list it.  Rules files keep Falco's behaviour instead: such a condition is
-- a -V warning (lanner.rules.compiler), since a packaged rule set must load
-- on every system.
--
--   check.filter(ast, env) -> true, {warnings} | nil, message   (ast before
--                             macro expansion)
--   check.format(fmt)  -> true | nil, message
local core = require "lanner.core"
local fields = require "lanner.fields"
local suggest = require "lanner.suggest"
local ast_text = require("lanner.filter.ast").field_text

local M = {}

local field_names
local function all_fields()
	if not field_names then
		field_names = {}
		for _, spec in ipairs(fields.list()) do field_names[#field_names + 1] = spec.name end
	end
	return field_names
end

local TYPE_FIELDS = { ["evt.type"] = true, ["syscall.type"] = true }
-- Operators whose value is an event type name (startswith, glob, … take a
-- part of one).
local NAME_OPS = { ["="] = true, ["=="] = true, ["!="] = true, ["in"] = true, ["intersects"] = true }

local function unsupported(spec, text)
	return ("field '%s' is not supported by lanner (%s): it would never have a value"):format(
		text, spec.unsupported)
end

-- The message for a field as the filter wrote it (f: name, arg), or nil.
local function field_problem(f)
	local text = ast_text(f)
	local spec, err = fields.resolve(f.name, f.arg)
	if not spec then
		err = tostring(err)
		if err:match("^unknown field") then
			return ("unknown field '%s'%s (lanner -l lists them)"):format(text, suggest.hint(f.name, all_fields()))
		end
		return err
	end
	if spec.unsupported then return unsupported(spec, text) end
end

-- libseccomp knows the native syscall names (it is lanner's dependency).
local seccomp
local function is_syscall(name)
	if seccomp == nil then
		require("lanner.base").declare("int seccomp_syscall_resolve_name(const char *name);")
		local ok, lib = pcall(require("ffi").load, "libseccomp.so.2")
		seccomp = ok and lib or false
	end
	return seccomp and seccomp.seccomp_syscall_resolve_name(name) >= 0
end

-- An error message for an event type name, or nil and a warning.
local function type_problem(name)
	if core.type_id[name] then return nil end
	if is_syscall(name) then
		return nil, ("lanner does not trace %s: evt.type=%s matches nothing (lanner -L lists the types it traces)")
			:format(name, name)
	end
	local alias = core.compat_alias[name]
	if alias then
		return ("event type '%s' is reported as '%s' (as Falco does): write evt.type=%s"):format(
			name, alias.type, alias.type)
	end
	return ("unknown event type '%s'%s (lanner -L lists them)"):format(name,
		suggest.hint(name, core.type_names()))
end

local function walk(n, lists, warnings)
	local op = n.op
	if op == "cmp" then
		local f, v = n.field, n.value
		local err = field_problem(f) or (v and v.kind == "field" and field_problem(v.field)) or nil
		if err then return err end
		if TYPE_FIELDS[f.name] and not f.transformers and NAME_OPS[n.cmp] and v then
			for _, it in ipairs(v.kind == "list" and v.items or { v }) do
				-- a bare word in a list is a list's name where one is defined
				local name = it.kind == "str" and tostring(it.v)
					or (it.kind == "listref" and not lists[it.name] and it.name)
				if name then
					local w
					err, w = type_problem(name)
					if err then return err end
					warnings[#warnings + 1] = w
				end
			end
		end
	elseif op == "and" or op == "or" or op == "not" then
		for i = 1, #n do
			local err = walk(n[i], lists, warnings)
			if err then return err end
		end
	end
	return nil
end

-- env: the rules' { lists = } (filter.expand's), for list names.
function M.filter(ast, env)
	local warnings = {}
	local err = walk(ast, env and env.lists or {}, warnings)
	if err then return nil, err end
	return true, warnings
end

function M.format(fmt)
	local p, err = require("lanner.format").parse(fmt)
	if not p then
		local name = tostring(err):match("unknown field '([^']+)'")
		if name then err = err .. suggest.hint(name, all_fields()) .. " (lanner -l lists them)" end
		return nil, err
	end
	for _, tk in ipairs(p.tokens) do
		if tk.spec and tk.spec.unsupported then return nil, unsupported(tk.spec, tk.key) end
	end
	return true
end

return M
