-- The commands the traced programs run, by user, as a tree.
local report = require "lib.report"

description = "Prints every command the traced programs execute (successful execve), with the user, the login shell it descends from, and an indentation that follows the process tree."
short_description = "Display interactive user activity"
category = "Security"
args = {}

local h = {}
local depth = {}

function on_init()
	h.user = chisel.request_field("user.name")
	h.pid = chisel.request_field("proc.pid")
	h.ppid = chisel.request_field("proc.ppid")
	h.cmd = chisel.request_field("proc.cmdline")
	h.shell = chisel.request_field("proc.loginshellid")
	h.cwd = chisel.request_field("proc.cwd")
	chisel.set_filter("evt.type in (execve, execveat) and evt.failed=false")
	return true
end

function on_event()
	local pid, ppid = evt.field(h.pid), evt.field(h.ppid)
	local d = depth[pid] or ((depth[ppid] or -1) + 1)
	depth[pid] = d
	local s, ns = evt.get_ts()
	print(string.format("%s %-10s shell=%-7s %-7s %s%s  [%s]", report.clock(s, ns), tostring(evt.field(h.user)),
		tostring(evt.field(h.shell) or "-"), tostring(pid), string.rep("  ", d), tostring(evt.field(h.cmd)),
		tostring(evt.field(h.cwd))))
	return true
end
