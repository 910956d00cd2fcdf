-- The login shells the traced commands descend from, and what ran under each.
local report = require "lib.report"

description = "Lists the login shell IDs (proc.loginshellid: the oldest shell among a process's ancestors) of the commands the traced programs execute, with the user, the terminal, the number of commands run under each shell and the shell's command line."
short_description = "List the login shell IDs"
category = "Security"
args = {}

local h = {}
local shells, order = {}, {}

function on_init()
	h.pid = chisel.request_field("proc.pid")
	h.user = chisel.request_field("user.name")
	h.tty = chisel.request_field("proc.tty")
	h.cmd = chisel.request_field("proc.cmdline")
	h.shell = chisel.request_field("proc.loginshellid")
	chisel.set_filter("evt.type in (execve, execveat) and evt.failed=false")
	return true
end

-- The shell's command line when it was started before the capture.
local function cmdline_of(pid)
	local f = io.open("/proc/" .. pid .. "/cmdline", "rb")
	if not f then return "?" end
	local s = f:read("*a"):gsub("%z$", ""):gsub("%z", " ")
	f:close()
	return s ~= "" and s or "?"
end

function on_event()
	local pid, lid = evt.field(h.pid), evt.field(h.shell)
	if lid == nil then return true end
	local s = shells[lid]
	if s == nil then
		s = { user = evt.field(h.user), tty = evt.field(h.tty), commands = 0 }
		shells[lid] = s
		order[#order + 1] = lid
	end
	if pid == lid then
		s.cmd = evt.field(h.cmd) -- the shell itself, started in the capture
	else
		s.commands = s.commands + 1
	end
	return true
end

function on_capture_end()
	local rows = {}
	table.sort(order)
	for _, lid in ipairs(order) do
		local s = shells[lid]
		rows[#rows + 1] = { lid, s.user, s.tty, s.commands, s.cmd or cmdline_of(lid) }
	end
	report.table({ { title = "Shell ID", width = 9 }, { title = "User", width = 10 }, { title = "TTY", width = 6 },
		{ title = "Commands", width = -8 }, { title = "Shell command line", width = 0 } }, rows)
	return true
end
