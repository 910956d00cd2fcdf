-- Processes by bytes of network I/O.
local report = require "lib.report"

description = "Shows the processes that sent and received the most bytes over IPv4/IPv6 sockets, at the end of the capture (and every N seconds if an interval is given)."
short_description = "Top processes by network I/O"
category = "Net"
args = report.TOP_ARGS

on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
	keys = { { field = "proc.pid", title = "PID", width = 8 }, { field = "proc.name", title = "Process" } },
	value = { field = "evt.rawres", title = "Bytes", fmt = report.bytes, positive = true },
	filter = "evt.is_io=true and fd.type in (ipv4, ipv6)",
}
