-- Process spawning many shells: one process starts 10 shells within 10
-- seconds.  Web shells, worms and brute-force scripts run each command in
-- a fresh shell; most programs start a shell once, if ever.  Build tools
-- (make) do it too: raise LIMIT or filter them out where they run.
--
--   lanner --script rules/detections/shell_spawner.lua -- ./app
local d = require "lanner.detect"

local LIMIT, SECONDS = 10, 10

d.on([[evt.type in (execve, execveat) and evt.rawres = 0
       and proc.name in (sh, bash, dash, zsh, ksh, ash, mksh, fish, csh, tcsh, busybox)]],
function(e)
	-- the spawner is the parent that started the process that became a
	-- shell (the recorded one: a reparented shell still counts for it)
	local lin = d.lineage(e.pid)
	local parent = d.proc(lin and lin.ppid or e["proc.ppid"] or 0)
	if not parent then return end
	local w = parent.state.shells
	if not w then
		w = d.window(SECONDS, LIMIT)
		parent.state.shells = w
	end
	if w:add(e.pid) < LIMIT then return end
	w:clear()
	d.alert {
		rule = "Process spawned many shells",
		priority = "warning",
		output = LIMIT .. " shells started within " .. SECONDS .. " s by one process (spawner=%proc.pname"
			.. " spawner_command=%proc.pcmdline ppid=%proc.ppid last_shell=%proc.cmdline user=%user.name"
			.. " container=%container.id)",
		tags = { "execution", "mitre_execution" },
		fields = { count = LIMIT, seconds = SECONDS },
	}
end)
