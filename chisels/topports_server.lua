-- Server ports by bytes.
local report = require "lib.report"

description = "Shows the server-side TCP/UDP ports that carried the most bytes, whichever end the traced program is, at the end of the capture (and every N seconds if an interval is given)."
short_description = "Top TCP/UDP server ports by R+W bytes"
category = "Net"
args = report.TOP_ARGS

on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
	keys = { { field = "fd.sport", title = "Server port" } },
	value = { field = "evt.rawres", title = "Bytes", fmt = report.bytes, positive = true },
	filter = "evt.is_io=true and fd.type in (ipv4, ipv6) and fd.sport exists",
}
