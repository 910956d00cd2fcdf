-- The traced processes, as each exits.
local report = require "lib.report"

description = "Lists the traced processes as they were when they exited (and those still running at the end of the capture): pid, parent, user, memory, open fds and command line."
short_description = "List (and optionally filter) the machine processes"
category = "System State"
args = {}

local snap_init, snap_event, snapshots = report.exit_snapshots(nil)

on_init, on_event = snap_init, snap_event

function on_capture_end()
	local rows = {}
	for _, p in ipairs(snapshots()) do
		local nfds = 0
		for _ in pairs(p.fdtable) do nfds = nfds + 1 end
		local cmd = p.exe
		if #p.args > 0 then cmd = cmd .. " " .. table.concat(p.args, " ") end
		rows[#rows + 1] = { p.pid, p.ptid, p.username, report.bytes(p.vmsize_kb * 1024),
			report.bytes(p.vmrss_kb * 1024), nfds, cmd }
	end
	report.table({ { title = "PID", width = 8 }, { title = "PPID", width = 8 }, { title = "USER", width = 10 },
		{ title = "VIRT", width = 10 }, { title = "RES", width = 10 }, { title = "FDS", width = -5 },
		{ title = "CMD", width = 0 } }, rows)
	return true
end
