-- Processes by number of failed syscalls.
local report = require "lib.report"

description = "Shows the processes whose system calls failed most often, at the end of the capture (and every N seconds if an interval is given)."
short_description = "Top processes by number of errors"
category = "Errors"
args = report.TOP_ARGS

on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
	keys = { { field = "proc.pid", title = "PID", width = 8 }, { field = "proc.name", title = "Process" } },
	value = { title = "#Errors", fmt = report.count },
	filter = "evt.failed=true",
}
