-- Root gained after a run of refusals: the processes of one session are
-- refused (EACCES, EPERM) ten times or more, and then, within a minute, a
-- process of that session becomes root: a setuid-root program run by a
-- user who is not root, or set*id(0) succeeding in a process that was not.
-- That is privilege escalation after enumeration: probing what may not be
-- read, then the exploit or the misconfigured helper that works.  A user
-- who runs sudo is refused nothing first; a scan that finds nothing gains
-- nothing.  Neither step alone raises a rule.
--
--   lanner --script rules/detections/refusals_then_root.lua -- ./app
local d = require "lanner.detect"

local REFUSALS, SECONDS = 10, 60
local refusals = d.map(4096, SECONDS)   -- per session: a window of refusals

d.on([[evt.type in (open, openat, openat2, creat, execve, execveat, setuid, setreuid, setresuid)
       and evt.rawres < 0 and evt.res in (EACCES, EPERM)]],
function(e)
	local sid = e["proc.sid"] or e.pid
	local w = refusals:get(sid)
	if not w then
		w = d.window(SECONDS, REFUSALS * 4)
		refusals:set(sid, w)
	end
	w:add(e["evt.arg.name"] or e["evt.arg.filename"] or e.type)
end)

-- The uid the process had before it became root, as the host's lineage
-- recorded it: its own earlier one, or its parent's (a setuid program's
-- exec can be the first event of its process).
local function uid_before(pid)
	local own = d.lineage(pid)
	if own == nil then return nil end
	if own.uid_was and own.uid_was ~= 0 then return own.uid_was end
	local parent = d.lineage(own.ppid)
	return parent and parent.uid
end

d.on([[((evt.type in (execve, execveat) and evt.rawres = 0)
        or (evt.type in (setuid, setreuid, setresuid) and evt.rawres = 0))
       and user.uid = 0]],
function(e, proc)
	local before = uid_before(e.pid)
	if not before or before == 0 then return end
	local w = refusals:get(e["proc.sid"] or e.pid)
	local n = w and w:count() or 0
	if n < REFUSALS or proc.state.alerted then return end
	proc.state.alerted = true
	w:clear()
	d.alert {
		rule = "Root gained after a run of refusals",
		priority = "critical",
		output = n .. " accesses refused in this session within " .. SECONDS .. " s, then uid " .. before
			.. " became root (%evt.type process=%proc.name pid=%proc.pid command=%proc.cmdline exe=%proc.exepath"
			.. " parent=%proc.pname session=%proc.sid loginuid=%user.loginuid container=%container.id)",
		tags = { "privilege_escalation", "mitre_privilege_escalation", "T1068", "T1548.001" },
		fields = { refusals = n, ["uid.before"] = before },
	}
end)
