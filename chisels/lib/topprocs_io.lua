-- topprocs_file and topprocs_net: processes by bytes of I/O on one kind of
-- descriptor.
--
--   require("lib.topprocs_io")("file")   -- or "net"
--
-- Runs in the requiring chisel's environment, so the globals it sets are
-- that chisel's.
local report = require "lib.report"

local VARIANTS = {
	file = {
		what = "read and wrote the most bytes to files",
		short = "Top processes by R+W disk bytes", category = "I/O",
		filter = "evt.is_io=true and fd.type=file",
	},
	net = {
		what = "sent and received the most bytes over IPv4/IPv6 sockets",
		short = "Top processes by network I/O", category = "Net",
		filter = "evt.is_io=true and fd.type in (ipv4, ipv6)",
	},
}

return function(variant)
	local v = assert(VARIANTS[variant], variant)
	description = "Shows the processes that " .. v.what .. ", at the end of the capture (and every N seconds "
		.. "if an interval is given)."
	short_description = v.short
	category = v.category
	args = report.TOP_ARGS

	on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
		keys = { { field = "proc.pid", title = "PID", width = 8 }, { field = "proc.name", title = "Process" } },
		value = { field = "evt.rawres", title = "Bytes", fmt = report.bytes, positive = true },
		filter = v.filter,
	}
end
