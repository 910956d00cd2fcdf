-- lanner's command line: parse, load what was asked (filter, rules,
-- chisels), compute the interest set, run the command and hand each event
-- to its consumers.  Returns the exit status (the traced command's).
local M = {}

-- Off before the first require, not only in main: loading the modules
-- (the event type table, the field tables) with the JIT on compiled some
-- fifty traces, an mprotect pair each, for loops that run once.  See main.
jit.off()

local args = require "lanner.cli.args"
local base = require "lanner.base"
local ffi = require "ffi"
base.declare("char *strerror(int errnum);")

M.VERSION = nil	-- the core's, see main()

local function errf(fmt, ...)
	io.stderr:write("lanner: ", string.format(fmt, ...), "\n")
end

-- Rule files named on the command line or in the configuration: a folder
-- means its *.yaml files in name order, so a packaged rule pack loads in a
-- stable order.  Returns the files and the problems found (a path that
-- does not exist, a folder without rules files), which stop lanner as a
-- broken rules file does (cli/consumers.lua).
local function expand_rule_paths(paths)
	local out, problems = {}, {}
	for _, p in ipairs(paths) do
		local list, errno = base.list_dir(p)
		if list then
			local names = {}
			for _, name in ipairs(list) do
				if name:match("%.ya?ml$") then names[#names + 1] = name end
			end
			table.sort(names)
			for _, n in ipairs(names) do out[#out + 1] = p:gsub("/$", "") .. "/" .. n end
			if #names == 0 then problems[#problems + 1] = p .. ": a rules folder with no .yaml file in it" end
		elseif errno == base.ENOTDIR then
			out[#out + 1] = p	-- a file: loading reads it
		elseif errno == base.ENOENT then
			problems[#problems + 1] = p .. ": no such rules file or folder"
		else
			problems[#problems + 1] = p .. ": " .. ffi.string(ffi.C.strerror(errno))
		end
	end
	return out, problems
end

local function chisel_nargs(name, next_word)
	return require("lanner.chisel").nargs(name, next_word) or 0
end

function M.main(argv)
	-- Start-up (parsing options, loading and compiling rules, chisels)
	-- runs once, and LuaJIT would compile hundreds of traces for it, each
	-- an mprotect of its machine code: `lanner -V -R rules/` took 1.1-1.9 s
	-- with the JIT on and 0.5 s with it off on the CI machine.  The event
	-- loop turns it back on (cli/run.lua, M.loop).
	jit.off()
	local o, err = args.parse(argv, chisel_nargs)
	if not o then
		errf("%s", err)
		return 2
	end
	if o.help then
		io.stdout:write(args.usage)
		return 0
	end
	if o.version then
		local core = require "lanner.core"
		io.stdout:write("lanner ", core.ffi.string(core.C.ln_version()), "\n")
		return 0
	end
	-- The configuration file (Falco's names) and -o key=value overrides
	-- fill in what the command line left open.
	local cf = io.open("/etc/lanner/lanner.yaml")
	if cf then cf:close() end
	if o.config or o.options or cf then
		local ok, cerr = require("lanner.config").apply(o)
		if not ok then
			errf("%s", cerr)
			return 2
		end
	end
	local problems
	o.rules, problems = expand_rule_paths(o.rules)
	if #problems > 0 then o.rules_problems = problems end
	local info = require "lanner.cli.info"
	if o.list_fields then return info.list_fields(o.list_prefix) end
	if o.list_events then return info.list_events() end
	if o.list_chisels then return info.list_chisels() end
	if o.describe_chisel then return info.describe_chisel(o.describe_chisel) end
	if o.validate or o.list_rules then return info.rules(o) end
	if o.test_rules then return require("lanner.cli.testrules").run(o) end
	return require("lanner.cli.run").run(o)
end

return M
