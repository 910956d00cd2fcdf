-- Files by time spent in syscalls on them.
local report = require "lib.report"

description = "Shows the files on which the traced programs spent the most time in system calls (open, read, write, close, seek...), at the end of the capture (and every N seconds if an interval is given)."
short_description = "Top files by time"
category = "I/O"
args = report.TOP_ARGS

on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
	keys = { { field = "fd.name", title = "Filename" } },
	value = { field = "evt.latency", title = "Time", fmt = report.time, positive = true },
	filter = "fd.type=file",
}
