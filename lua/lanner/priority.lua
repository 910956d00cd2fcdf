-- Falco's rule priorities (falco_common.h), most severe first.  They are
-- syslog's severities in the same order, so the number doubles as one.
-- Rules, detection scripts, the config file, -m and the syslog output all
-- read priority names through here, so they accept and refuse the same words.
--
--   priority.parse("warning") -> 4, "Warning"      (nil for an unknown one)
--   priority.check(v, what, level) -> num, name    (raises for an unknown one)
local M = {}

local NAMES = { "Emergency", "Alert", "Critical", "Error", "Warning",
                "Notice", "Informational", "Debug" }
M.NAMES = NAMES

-- The accepted words, for messages.
-- ("informational" is accepted too.)
M.WORDS = "emergency, alert, critical, error, warning, notice, info, debug"

-- Case-insensitive; "info" is accepted for Informational, as
-- falco_common::parse_priority does.  A number 0 (Emergency) .. 7 (Debug)
-- passes through.
function M.parse(s)
	if type(s) == "number" then
		if NAMES[s + 1] then return s, NAMES[s + 1] end
		return nil
	end
	if type(s) ~= "string" then return nil end
	local l = s:lower()
	if l == "info" then l = "informational" end
	for i, p in ipairs(NAMES) do
		if p:lower() == l then return i - 1, p end
	end
	return nil
end

-- "unknown priority 'loud'", prefixed by what ("alert: ").
function M.unknown(s, what)
	return (what or "") .. "unknown priority '" .. tostring(s) .. "'"
end

-- parse, or raise the message above with the accepted words, at level as
-- the caller would give it to error() (default 2: the caller's caller).
function M.check(s, what, level)
	local n, name = M.parse(s)
	if not n then
		level = level or 2
		error(M.unknown(s, what) .. " (" .. M.WORDS .. ")", level > 0 and level + 1 or 0)
	end
	return n, name
end

return M
