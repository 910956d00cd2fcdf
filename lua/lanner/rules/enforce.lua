-- Prevention: the rules that carry an action (lanner/rules/action.lua) and
-- how they are enforced.  doc/writing-a-rule.md, "Prevention".
--
-- With enforcement off (no --enforce), such a rule is an ordinary rule
-- whose alert says what would have been done ("would deny").  With it on:
--
-- - a rule whose whole condition the seccomp filter can decide
--   (lanner/filter/exact.lua) becomes filter verdicts: the kernel refuses
--   the call (or kills) with no Lua in between; the call still stops once
--   so its alert is raised, unless filter_alerts is off;
-- - any other rule has its event types held (Session:hold): the core hands
--   the event out with its thread stopped, decide() runs the prevention
--   rules at once, and the verdict is applied before the thread resumes.
--
-- decide() depends on nothing but the event: it may run in another
-- thread than the tracer's once the core hands events across (issue #16).
local bit = require "bit"
local core = require "lanner.core"
local action = require "lanner.rules.action"
local exact = require "lanner.filter.exact"
local interest = require "lanner.interest"

local M = {}

local C = core.C
local HELD, PRE = tonumber(C.LN_EV_HELD), tonumber(C.LN_EV_PRE)
local DECIDED, DENIED = tonumber(C.LN_EV_DECIDED), tonumber(C.LN_EV_DENIED)
local KILLED, BY_FILTER = tonumber(C.LN_EV_KILLED), tonumber(C.LN_EV_BY_FILTER)
M.FLAGS = { HELD = HELD, PRE = PRE, DECIDED = DECIDED, DENIED = DENIED, KILLED = KILLED, BY_FILTER = BY_FILTER }

-- annotate(ruleset): r.action for every rule with an action tag; a rule
-- with a bad one is dropped, with an error in ruleset.errors (it must not
-- run as a plain alerting rule when its author meant it to block).
function M.annotate(rs)
	local kept = {}
	for _, r in ipairs(rs.rules) do
		local a, err = action.of(r.tags)
		if err then
			rs.errors[#rs.errors + 1] = setmetatable({ file = r.file, line = r.line, item = r.name,
				message = err, code = "bad-action" }, {
				__tostring = function(e)
					return ("%s:%s: rule '%s': %s"):format(e.file or "?", e.line or "?", e.item, e.message)
				end })
		else
			r.action = a
			kept[#kept + 1] = r
		end
	end
	rs.rules = kept
	return rs
end

-- split(rules) -> the rules with an action, the others (load order kept)
function M.split(rules)
	local act, rest = {}, {}
	for _, r in ipairs(rules) do
		if r.action then act[#act + 1] = r else rest[#rest + 1] = r end
	end
	return act, rest
end

local Enforcer = {}
Enforcer.__index = Enforcer

-- new(rules with actions, engine) -> enforcer; engine: a rules engine over
-- exactly these rules (rule_matching "first": the first rule decides).
function M.new(rules, engine)
	return setmetatable({ rules = rules, engine = engine, by_name = {}, held = {}, filtered = {} }, Enforcer)
end

local TF_OPEN, TF_EXEC = tonumber(C.LN_TF_OPEN), tonumber(C.LN_TF_EXEC)

-- classify(fields) -> needs (for lanner.interest), or nil, error: which
-- rules the filter decides (self.filtered, their clauses in self.clauses)
-- and which types are held (self.held).  fields: the field catalogue.
function Enforcer:classify(fields)
	local held, exit_types, folded = {}, {}, {}
	self.clauses = {}
	for _, r in ipairs(self.rules) do
		self.by_name[r.name] = r
		if r.types == nil then
			return nil, ("rule '%s': a prevention rule must bound evt.type (holding every syscall "
				.. "would stop every call)"):format(r.name)
		end
		local d = exact.dnf(r.ast, r.types, fields)
		if d then
			self.filtered[r.name] = true
			self.clauses[#self.clauses + 1] = { rule = r, dnf = d }
		else
			-- the calls that can match (argument predicates) stop, no more
			interest.union_preds(folded, r.types, r.preds)
			for t in pairs(r.types) do
				held[t] = true
				-- execs are decided at their exit, opens at both ends (the
				-- name the kernel resolved): they must stop there
				local f = core.type_info[core.type_id[t]].flags
				if bit.band(f, TF_OPEN + TF_EXEC) ~= 0 then exit_types[t] = true end
			end
		end
	end
	self.held = held
	if next(held) == nil then return {} end
	return { { types = held, needs_exit = next(exit_types) ~= nil, exit_types = exit_types,
		preds = interest.folded_preds(folded) } }
end

-- apply(sess, opts): the verdicts and holds into the session, before it
-- starts.  opts.filter_alerts (default true): filter verdicts stop once
-- for their alert.
function Enforcer:apply(sess, opts)
	opts = opts or {}
	for _, c in ipairs(self.clauses) do
		local a = c.rule.action
		for t, cls in pairs(c.dnf) do
			for _, cl in ipairs(cls) do
				local ok, err = sess:deny_call(t, cl, a.kind, a.errno, opts.filter_alerts ~= false)
				if not ok then return nil, err end
			end
		end
	end
	for t in pairs(self.held) do
		local ok, err = sess:hold(t)
		if not ok then return nil, err end
	end
	return true
end

-- describe() -> lines for --debug-filter: each rule and where it is decided.
function Enforcer:describe()
	local out = {}
	for _, r in ipairs(self.rules) do
		local types = {}
		for t in pairs(r.types or {}) do types[#types + 1] = t end
		table.sort(types)
		out[#out + 1] = ("%s (%s): %s on %s"):format(r.name, r.action.tag,
			self.filtered[r.name] and "by the seccomp filter" or "held", table.concat(types, ","))
	end
	return out
end

-- decide(ev) -> rule, alert (or nil): the first prevention rule that
-- matches the event.
function Enforcer:decide(ev)
	local alerts, n = self.engine:process(ev)
	if n == 0 then return nil end
	local a = alerts[1]
	return self.by_name[a.rule], a
end

-- What a verdict on an event did, from its flags after ln_verdict.
function M.done(ev, r, enforced)
	local f = tonumber(ev.flags)
	if bit.band(f, KILLED) ~= 0 then return "killed" end
	if bit.band(f, DENIED) ~= 0 then return "denied" end
	if r and r.action then return action.done(r.action, enforced) end
	return nil
end

return M
