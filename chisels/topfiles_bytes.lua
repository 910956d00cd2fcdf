-- Files by bytes read and written.
local report = require "lib.report"

description = "Shows the files the traced programs read and wrote the most, by bytes, at the end of the capture (and every N seconds if an interval is given)."
short_description = "Top files by R+W bytes"
category = "I/O"
args = report.TOP_ARGS

on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
	keys = { { field = "fd.name", title = "Filename" } },
	value = { field = "evt.rawres", title = "Bytes", fmt = report.bytes, positive = true },
	filter = "evt.is_io=true and (fd.type=file or fd.type=directory)",
}
