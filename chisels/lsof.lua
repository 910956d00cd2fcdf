-- The open files of each traced process, as it exits.
local report = require "lib.report"

description = "Lists the file descriptors each traced process holds when it exits (and those of processes still running at the end of the capture): command, pid, user, fd number, type and name. An optional filter selects the fds, e.g. 'fd.type=ipv4' or 'fd.name contains /etc'."
short_description = "List (and optionally filter) the open file descriptors"
category = "System State"
args = {
	{ name = "filter", description = "a filter on the fds to list", argtype = "filter", optional = true },
}

local fdfilter
local snap_init, snap_event, snapshots

function on_set_arg(name, val)
	fdfilter = val
	return true
end

function on_init()
	snap_init, snap_event, snapshots = report.exit_snapshots(fdfilter)
	return snap_init()
end

function on_event() return snap_event() end

function on_capture_end()
	local rows = {}
	for _, p in ipairs(snapshots()) do
		local fds = {}
		for fd in pairs(p.fdtable) do fds[#fds + 1] = fd end
		table.sort(fds)
		for _, fd in ipairs(fds) do
			local f = p.fdtable[fd]
			rows[#rows + 1] = { p.comm, p.pid, p.tid, p.username, fd, f.type, f.name }
		end
	end
	report.table({ { title = "COMMAND", width = 16 }, { title = "PID", width = 8 }, { title = "TID", width = 8 },
		{ title = "USER", width = 10 }, { title = "FD", width = 6 }, { title = "TYPE", width = 10 },
		{ title = "NAME", width = 0 } }, rows)
	return true
end
