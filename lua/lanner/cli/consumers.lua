-- Everything that reads events, built from the command line: the event
-- printer (filter + format), the rules engine, the chisels and the detection
-- scripts.  Each says what it needs (a "need" for lanner.interest).
local fields = require "lanner.fields"
local filter = require "lanner.filter"
local format = require "lanner.format"

local M = {}

M.DEFAULT_FORMAT = "%evt.num %evt.outputtime %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.info"

local function warn(o, msg)
	if not o.quiet then io.stderr:write("lanner: warning: ", msg, "\n") end
end

-- Fail closed: a security tool that starts with rules missing protects
-- less than its user believes, so any rules file that cannot be read or has
-- errors stops lanner before it starts anything (exit status 1), as Falco
-- refuses to start; --ignore-broken-rules (ignore_broken_rules) goes on
-- with the rules that loaded.
local function load_rules(o, c)
	local rules = require "lanner.rules"
	local rs
	if o.no_rules_cache then
		rs = rules.load(o.rules, { min_priority = o.min_priority })
		c.rules_cache = "off: --no-rules-cache"
	else
		rs, c.rules_cache, c.keep_rules = rules.load_cached(o.rules, { min_priority = o.min_priority })
	end
	require("lanner.rules.enforce").annotate(rs)
	for _, w in ipairs(rs.warnings or {}) do warn(o, tostring(w)) end
	local errs = rs.errors or {}
	for _, e in ipairs(o.rules_problems or {}) do table.insert(errs, e) end
	for _, e in ipairs(errs) do io.stderr:write("lanner: error: ", tostring(e), "\n") end
	if #errs > 0 then
		if not o.ignore_broken_rules then
			return nil, ("refusing to start: %d error%s in the rules (nothing was started); "
				.. "--ignore-broken-rules runs without the broken ones"):format(#errs, #errs == 1 and "" or "s"), 1
		end
		warn(o, ("%d error%s in the rules: the broken ones are skipped, %d rules loaded (--ignore-broken-rules)")
			:format(#errs, #errs == 1 and "" or "s", #rs.rules))
	end
	c.env = rs.env or c.env
	if not o.enforce then
		c.engine = rules.engine(rs, { rule_matching = o.rule_matching })
		local need = rs:interest()
		need.what = "rules"
		c.needs[#c.needs + 1] = need
		return true
	end
	-- --enforce: the rules with an action run apart, on held events
	-- (lanner/rules/enforce.lua), and the others as usual
	local enforce = require "lanner.rules.enforce"
	local act, rest = enforce.split(rs.rules)
	local function subset(list) return { rules = list, fields_module = rs.fields_module } end
	c.engine = #rest > 0 and rules.engine(subset(rest), { rule_matching = o.rule_matching }) or nil
	if #act > 0 then
		c.enforcer = enforce.new(act, rules.engine(subset(act), { rule_matching = "first" }))
		local needs, err = c.enforcer:classify(fields)
		if not needs then return nil, err, 1 end
		for _, n in ipairs(needs) do c.needs[#c.needs + 1] = n end
	end
	-- the filter refuses calls of its verdicts by itself: its rules are
	-- not traced (a type traced for anything would stop on every call)
	local traced = {}
	for _, r in ipairs(rest) do traced[#traced + 1] = r end
	for _, r in ipairs(act) do
		if not c.enforcer.filtered[r.name] then traced[#traced + 1] = r end
	end
	if #traced > 0 then
		local need = rs.interest(subset(traced))
		need.what = "rules"
		c.needs[#c.needs + 1] = need
	end
	return true
end

local function compile_filter(o, c)
	local ast, err = filter.parse(o.filter)
	if ast then
		local ok, cerr = require("lanner.cli.check").filter(ast, c.env)
		if not ok then return nil, "filter: " .. cerr end
		for _, w in ipairs(cerr) do warn(o, "filter: " .. w) end
		ast, err = filter.expand(ast, c.env)
	end
	local fn
	if ast then fn, err = filter.compile(ast, fields) end
	if not fn then return nil, "filter: " .. tostring(err) end
	c.filter = fn
	c.filter_need = filter.analyze(ast, fields)
	c.filter_need.what = "filter"
	return true
end

local function load_chisels(o, c, out)
	local chisel = require "lanner.chisel"
	for _, spec in ipairs(o.chisels) do
		local ch, err = chisel.load(spec.name, spec.args, { output = out, filter = o.filter,
			read_file = o.read_file })
		if not ch then return nil, err end
		c.chisels[#c.chisels + 1] = ch
		c.needs[#c.needs + 1] = ch:interest()
	end
	return true
end

local function load_scripts(o, c, alert)
	local detect = require "lanner.detect.host"
	local host, err = detect.load(o.scripts, { env = c.env, alert = alert, quiet = o.quiet,
		min_priority = o.min_priority })
	if not host then return nil, err end
	c.scripts = host
	for _, need in ipairs(host:interest()) do c.needs[#c.needs + 1] = need end
	return true
end

-- The event printer: -p, -j, or sysdig's default line.
local function make_printer(o, c)
	local f = o.print or M.DEFAULT_FORMAT
	local fn, err
	if o.print then
		local ok, cerr = require("lanner.cli.check").format(f)
		if not ok then return nil, "format: " .. tostring(cerr) end
	end
	if o.json and not o.print then
		fn = function(ev) return format.json(ev) end
	elseif o.json then
		fn, err = format.compile_json(f)
	else
		fn, err = format.compile(f)
	end
	if not fn then return nil, "format: " .. tostring(err) end
	c.printer = fn
	local used = {}
	for _, n in ipairs(format.fields_of(f)) do used[n] = true end
	local fn_need = c.filter_need
	local need = { types = fn_need and fn_need.types, fields = used, preds = fn_need and fn_need.preds }
	-- The exit stop only where the filter or a printed field reads what the
	-- syscall returns (`-p '%evt.num %proc.name' 'evt.type=unlink'` stops at
	-- entry only, as strace cannot).
	local exit_all = fn_need ~= nil and fn_need.needs_exit and fn_need.exit_types == nil
	local exit_types = {}
	for t in pairs(fn_need and fn_need.exit_types or {}) do exit_types[t] = true end
	for n in pairs(used) do
		local spec = fields.resolve(n)
		local ne = spec and spec.needs_exit
		if ne == true or spec == nil then
			exit_all = true
		elseif type(ne) == "table" then
			for t in pairs(ne) do exit_types[t] = true end
		end
	end
	need.needs_exit = exit_all or next(exit_types) ~= nil
	need.exit_types = not exit_all and exit_types or nil
	if fn_need then
		for k in pairs(fn_need.fields or {}) do used[k] = true end
	end
	c.needs[#c.needs + 1] = need
	return true
end

-- Returns the consumers or nil, message[, exit status].  alert(a) receives
-- every alert.
function M.build(o, out, alert)
	local c = { needs = {}, chisels = {}, env = { macros = {}, lists = {} } }
	local ok, err, code = true, nil, nil
	if #o.rules > 0 or o.rules_problems then ok, err, code = load_rules(o, c) end
	if not ok then return nil, err, code end
	if o.filter then ok, err = compile_filter(o, c) end
	if ok and #o.chisels > 0 then ok, err = load_chisels(o, c, out) end
	if ok and o.scripts and #o.scripts > 0 then ok, err = load_scripts(o, c, alert) end
	if not ok then return nil, err end
	-- Events print unless something else answers: rules, chisels, scripts,
	-- or a capture being written (sysdig -w prints nothing).
	local answered = c.engine or c.enforcer or #c.chisels > 0 or c.scripts or o.write_file
	if o.print or not answered then
		ok, err = make_printer(o, c)
		if not ok then return nil, err end
	elseif c.filter_need then
		-- the filter still narrows what is recorded: its fields count
		c.needs[#c.needs + 1] = { types = c.filter_need.types, fields = c.filter_need.fields,
			preds = c.filter_need.preds }
	end
	if o.write_file then
		-- A capture must let any field be evaluated later: every event
		-- (or what the filter matches) and all the state syscalls.
		c.needs[#c.needs + 1] = {
			types = c.filter_need and c.filter_need.types,
			preds = c.filter_need and c.filter_need.preds,
			fields = { ["fd.types"] = true, ["proc.cwd"] = true, ["user.name"] = true,
				["group.name"] = true, ["thread.cap_effective"] = true, ["proc.name"] = true,
				["proc.sid"] = true, ["proc.pgid"] = true },
		}
	end
	return c
end

return M
