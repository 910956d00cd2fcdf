-- Connections by bytes.
local report = require "lib.report"

description = "Shows the network connections (protocol, client and server ends) that carried the most bytes, at the end of the capture (and every N seconds if an interval is given)."
short_description = "Top network connections by total bytes"
category = "Net"
args = report.TOP_ARGS

on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
	keys = {
		{ field = "fd.l4proto", title = "Proto", width = 6 },
		{ field = "fd.cip", title = "Client IP", width = 16 },
		{ field = "fd.cport", title = "CPort", width = 6 },
		{ field = "fd.sip", title = "Server IP", width = 16 },
		{ field = "fd.sport", title = "SPort", width = 6 },
		{ field = "proc.name", title = "Process" },
	},
	value = { field = "evt.rawres", title = "Bytes", fmt = report.bytes, positive = true },
	filter = "evt.is_io=true and fd.type in (ipv4, ipv6)",
}
