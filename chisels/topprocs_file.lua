-- Processes by bytes of file I/O.
local report = require "lib.report"

description = "Shows the processes that read and wrote the most bytes to files, at the end of the capture (and every N seconds if an interval is given)."
short_description = "Top processes by R+W disk bytes"
category = "I/O"
args = report.TOP_ARGS

on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
	keys = { { field = "proc.pid", title = "PID", width = 8 }, { field = "proc.name", title = "Process" } },
	value = { field = "evt.rawres", title = "Bytes", fmt = report.bytes, positive = true },
	filter = "evt.is_io=true and fd.type=file",
}
