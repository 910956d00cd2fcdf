-- Root credentials then a write below a binary directory: a process sets
-- its user id to 0 (setuid, setreuid, setresuid) and later it, or a
-- descendant of it up to four generations down (the shell a setuid helper
-- starts, and what that shell runs; found through the recorded ancestry,
-- so the helper may have exited already), opens a file for writing in
-- /bin, /usr/bin and the like.  Planting or replacing a system binary
-- after taking root is how privilege escalation turns into persistence;
-- installers that write there run as root from the start and do not call
-- setuid(0) first.
--
--   lanner --script rules/detections/setuid_bindir.lua -- ./app
local d = require "lanner.detect"

d.on("evt.type in (setuid, setreuid, setresuid) and evt.rawres = 0 and user.uid = 0",
function(e, proc)
	proc.state.became_root = e.time
end)

d.on([[evt.type in (open, openat, openat2, creat) and evt.is_open_write = true
       and evt.rawres >= 0 and fd.typechar = 'f'
       and fd.directory in (/bin, /sbin, /usr/bin, /usr/sbin, /usr/local/bin, /usr/local/sbin)]],
function(e, proc)
	local root = proc.state.became_root
	for _, a in ipairs(d.ancestors(e.pid, 4)) do
		if root then break end
		local rec = d.proc(a.pid)
		root = rec and rec.start == a.start and rec.state.became_root
	end
	if not root then return end
	d.alert {
		rule = "Write below binary dir after setuid root",
		priority = "critical",
		output = "File below a binary directory opened for writing after the process set its uid to 0 "
			.. "(file=%fd.name process=%proc.name pid=%proc.pid command=%proc.cmdline parent=%proc.pname "
			.. "user=%user.name loginuid=%user.loginuid container=%container.id)",
		tags = { "persistence", "privilege_escalation", "mitre_persistence" },
	}
end)
