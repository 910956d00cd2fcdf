-- fdbytes_by, fdtime_by and fdcount_by: one value summed over fd activity,
-- grouped by the field given as argument.  They differ only in the value
-- summed and the events that count.
--
--   require("lib.fd_by")("bytes")   -- or "time", "count"
--
-- Runs in the requiring chisel's environment (lib.report says why), so the
-- globals it sets are that chisel's.
local report = require "lib.report"

local GROUPED = " and groups them by the field given as argument (%s), then prints the top rows at the end "
	.. "of the capture (and every N seconds if an interval is given)."

local VARIANTS = {
	bytes = {
		what = "Sums the I/O bytes", examples = "proc.name, fd.name, fd.type, fd.sport, user.name...",
		short = "Bytes of FD activity, grouped by any field", key = "proc.name or fd.directory",
		value = { field = "evt.rawres", title = "Bytes", fmt = report.bytes, positive = true },
		filter = "evt.is_io=true",
	},
	time = {
		what = "Sums the time spent in system calls on file descriptors",
		examples = "proc.name, fd.name, fd.type, fd.sport, user.name...",
		short = "Time of FD activity, grouped by any field", key = "proc.name or fd.directory",
		value = { field = "evt.latency", title = "Time", fmt = report.time, positive = true },
		-- every syscall on an fd, not only reads and writes, takes time
		filter = "fd.type exists",
	},
	count = {
		what = "Counts the file descriptors the traced programs create (open, socket, accept, pipe, dup...)",
		examples = "proc.name, fd.type, fd.directory...",
		short = "FD count, grouped by any field", key = "proc.name or fd.type",
		value = { title = "Count", fmt = report.count },
		filter = "evt.failed=false and evt.type in (open, openat, openat2, creat, socket, accept, accept4, "
			.. "socketpair, pipe, pipe2, dup, dup2, dup3, eventfd, eventfd2, memfd_create, epoll_create, "
			.. "epoll_create1, inotify_init, inotify_init1, signalfd, signalfd4, timerfd_create)",
	},
}

return function(variant)
	local v = assert(VARIANTS[variant], variant)
	description = v.what .. GROUPED:format(v.examples)
	short_description = v.short
	category = "I/O"
	args = {
		{ name = "key", description = "the field to group by, e.g. " .. v.key, argtype = "string" },
		report.TOP_ARGS[1], report.TOP_ARGS[2],
	}

	local key = { title = "key" }
	on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
		keys = { key },
		value = v.value,
		filter = v.filter,
		on_set_arg = function(_, val)
			key.field, key.title = val, val
			return true
		end,
	}
end
