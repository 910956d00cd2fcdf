-- The run loop's part in prevention: a held event gets its verdict at
-- once, from the prevention rules only (lanner/rules/enforce.lua), and the
-- alert says what was done.  A Lua error while deciding denies the call
-- (holding fails closed) and is said once per rule set.
local bit = require "bit"
local enforce = require "lanner.rules.enforce"

local M = {}

local F = enforce.FLAGS
local band = bit.band
local EPERM = 1

-- handler(enforcer, sess, alert) -> function(ev) -> true when the event was
-- only a look before its call (LN_EV_PRE): nothing else is to see it.
function M.handler(enforcer, sess, alert)
	local said = false
	local function raise(r, a, ev)
		if not a then return end
		a.action = enforce.done(ev, r, true)
		a.output_fields["lanner.action"] = a.action
		alert(a)
	end
	return function(ev)
		local f = tonumber(ev.flags)
		if band(f, F.HELD) ~= 0 then
			local ok, r, a = pcall(enforcer.decide, enforcer, ev)
			if not ok then
				if not said then
					io.stderr:write("lanner: prevention rules failed (", tostring(r), "): the call is denied\n")
					said = true
				end
				sess:verdict(ev, "deny", EPERM)
			elseif r then
				sess:verdict(ev, r.action.kind, r.action.errno)
				raise(r, a, ev)
			else
				sess:verdict(ev, "allow")
			end
			return band(f, F.PRE) ~= 0
		end
		if band(f, F.BY_FILTER) ~= 0 then
			-- the kernel's verdict: the rule is found again for the alert
			local ok, r, a = pcall(enforcer.decide, enforcer, ev)
			if ok then raise(r, a, ev) end
		end
		return false
	end
end

return M
