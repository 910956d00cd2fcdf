-- Burst of denied opens or execs: 20 opens or execs refused with EACCES or
-- EPERM within 5 seconds, by the processes of one user.  Enumeration tools
-- (privilege escalation checkers, credential hunters) probe files they may
-- not read; ordinary programs are refused now and then, not in bursts.
-- ENOENT is left out: the loader and locale code miss files all the time.
--
--   lanner --script rules/detections/denied_burst.lua -- ./app
local d = require "lanner.detect"

local THRESHOLD, SECONDS = 20, 5
local by_user = d.rate(THRESHOLD, SECONDS, 4096)

d.on([[evt.type in (open, openat, openat2, creat, execve, execveat)
       and evt.rawres < 0 and evt.res in (EACCES, EPERM)]],
function(e)
	if not by_user:hit(e["user.uid"]) then return end
	local path = e["evt.arg.name"] or e["evt.arg.filename"] or "?"
	d.alert {
		rule = "Burst of denied file accesses",
		priority = "warning",
		output = THRESHOLD .. " opens or execs denied within " .. SECONDS .. " s (last=%evt.type "
			.. d.quote(path) .. " error=%evt.res process=%proc.name pid=%proc.pid user=%user.name"
			.. " uid=%user.uid container=%container.id)",
		tags = { "discovery", "mitre_discovery" },
		fields = { count = THRESHOLD, seconds = SECONDS, ["last.path"] = path },
	}
end)
