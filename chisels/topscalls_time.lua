-- System calls by time spent in them.
local report = require "lib.report"

description = "Shows the system calls in which the traced programs spent the most time (sum of the latencies of all the calls of a kind). Every system call stops the tracee."
short_description = "Top system calls by time"
category = "Performance"
args = report.TOP_ARGS

on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
	keys = { { field = "evt.type", title = "Syscall" } },
	value = { field = "evt.latency", title = "Time", fmt = report.time, positive = true },
}
