-- file I/O calls (open, read, write, close, seek...) slower than a threshold.
local report = require "lib.report"

description = "Prints the file I/O calls (open, read, write, close, seek...) that took longer than the given number of milliseconds, with the process, the call and how long it took."
short_description = "Trace slow file I/O"
category = "Performance"
args = {
	{ name = "min_ms", description = "the threshold, in milliseconds", argtype = "int" },
}

local min_ms
local h = {}

function on_set_arg(name, val)
	min_ms = tonumber(val)
	return min_ms ~= nil and min_ms >= 0
end

function on_init()
	h.lat = chisel.request_field("evt.latency")
	h.type = chisel.request_field("evt.type")
	h.proc = chisel.request_field("proc.name")
	h.pid = chisel.request_field("proc.pid")
	h.last = chisel.request_field("fd.name")
	chisel.set_filter("fd.type in (file, directory) and evt.latency > " .. string.format("%d", min_ms * 1000000))
	print(string.format("%-16s %-16s %-8s %-12s %-10s %s", "Time", "Process", "PID", "Syscall", "Latency", "fd.name"))
	return true
end

function on_event()
	local s, ns = evt.get_ts()
	print(string.format("%-16s %-16s %-8s %-12s %-10s %s", report.clock(s, ns), tostring(evt.field(h.proc)),
		tostring(evt.field(h.pid)), tostring(evt.field(h.type)), report.time(evt.field(h.lat)),
		tostring(evt.field(h.last) or "")))
	return true
end
