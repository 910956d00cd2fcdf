-- The shells the traced programs started, and how much ran under each.
local report = require "lib.report"

description = "Lists the shells (sh, bash, zsh, dash...) the traced programs started, with their user, terminal and start time, and the number of commands run from each (their proc.loginshellid)."
short_description = "List the login shell IDs"
category = "Security"
args = {}

local SHELLS = { sh = true, bash = true, zsh = true, dash = true, ksh = true, mksh = true, fish = true,
	tcsh = true, csh = true, ash = true, busybox = true }
local h = {}
local shells, order = {}, {}

function on_init()
	h.name = chisel.request_field("proc.name")
	h.pid = chisel.request_field("proc.pid")
	h.user = chisel.request_field("user.name")
	h.tty = chisel.request_field("proc.tty")
	h.cmd = chisel.request_field("proc.cmdline")
	h.shell = chisel.request_field("proc.loginshellid")
	chisel.set_filter("evt.type in (execve, execveat) and evt.failed=false")
	return true
end

function on_event()
	local pid, name = evt.field(h.pid), evt.field(h.name)
	local s, ns = evt.get_ts()
	if SHELLS[name] and shells[pid] == nil then
		shells[pid] = { user = evt.field(h.user), tty = evt.field(h.tty), cmd = evt.field(h.cmd),
			start = report.clock(s, ns), commands = 0 }
		order[#order + 1] = pid
	end
	local owner = shells[evt.field(h.shell)]
	if owner and evt.field(h.shell) ~= pid then owner.commands = owner.commands + 1 end
	return true
end

function on_capture_end()
	local rows = {}
	for _, pid in ipairs(order) do
		local s = shells[pid]
		rows[#rows + 1] = { pid, s.user, s.tty, s.start, s.commands, s.cmd }
	end
	report.table({ { title = "Shell ID", width = 9 }, { title = "User", width = 10 }, { title = "TTY", width = 6 },
		{ title = "Started", width = 16 }, { title = "Commands", width = -8 }, { title = "Command line", width = 0 } },
		rows)
	return true
end
