-- A rule's prevention action, named by a tag so that the file stays a
-- Falco rules file: Falco's schema refuses keys it does not know
-- (additionalProperties: false, Falco 0.39+), but tags are free strings that
-- Falco only selects on (-T/-t).  doc/writing-a-rule.md says why.
--
--   lanner.deny            the call fails with EPERM
--   lanner.deny.EACCES     ... with the errno named (any errno name)
--   lanner.kill            the calling process is killed (SIGKILL)
--   lanner.kill_tree       every process lanner traces is killed
--
-- A rule carries at most one; any other tag that starts with "lanner.deny"
-- or "lanner.kill" is an error, not a silently ignored typo.
local core = require "lanner.core"

local M = {}

local C = core.C

-- The errno value of a name ("EACCES" -> 13), or nil.
function M.errno(name)
	local out = core.ffi.new("int64_t[1]")
	if C.ln_const_value(C.LN_K_RES, name, out) ~= 0 then return nil end
	local v = -tonumber(out[0])
	if v <= 0 or v > 4095 then return nil end
	return v
end

-- of(tags) -> action or nil, or nil and an error message.
-- action = { kind = "deny"|"kill"|"kill_tree", errno = N, ename = "EPERM",
--            tag = the tag }
function M.of(tags)
	local found
	for _, t in ipairs(tags or {}) do
		if type(t) == "string" and (t:sub(1, 11) == "lanner.deny" or t:sub(1, 11) == "lanner.kill") then
			local a
			if t == "lanner.deny" then
				a = { kind = "deny", errno = 1, ename = "EPERM" }
			elseif t == "lanner.kill" then
				a = { kind = "kill" }
			elseif t == "lanner.kill_tree" then
				a = { kind = "kill_tree" }
			else
				local name = t:match "^lanner%.deny%.(E[A-Z0-9]+)$"
				local v = name and M.errno(name)
				if not v then
					return nil, "tag '" .. t .. "': not a lanner action (lanner.deny, lanner.deny.ERRNO, "
						.. "lanner.kill, lanner.kill_tree)"
				end
				a = { kind = "deny", errno = v, ename = name }
			end
			if found then
				return nil, "tags '" .. found.tag .. "' and '" .. t .. "': a rule has one action"
			end
			a.tag = t
			found = a
		end
	end
	return found
end

-- What an alert says was done: "denied", "killed", or with enforce off
-- "would deny", "would kill".
function M.done(a, enforced)
	local verb = a.kind == "deny" and "deny" or "kill"
	if not enforced then return "would " .. verb end
	return verb == "deny" and "denied" or "killed"
end

return M
