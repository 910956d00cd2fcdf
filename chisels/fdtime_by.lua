-- time spent in system calls on file descriptors, summed by any field given as argument.
local report = require "lib.report"

description = "Sums the time spent in system calls on file descriptors and groups them by the field given as argument (proc.name, fd.name, fd.type, fd.sport, user.name...), then prints the top rows at the end of the capture (and every N seconds if an interval is given)."
short_description = "Time of FD activity, grouped by any field"
category = "I/O"
args = {
	{ name = "key", description = "the field to group by, e.g. proc.name or fd.directory", argtype = "string" },
	report.TOP_ARGS[1], report.TOP_ARGS[2],
}

local key = { title = "key" }

on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
	keys = { key },
	value = { field = "evt.latency", title = "Time", fmt = report.time, positive = true },
	filter = "fd.type exists",
	on_set_arg = function(_, val)
		key.field, key.title = val, val
		return true
	end,
}
