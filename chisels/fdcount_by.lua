-- File descriptors opened, counted by any field given as argument.
local report = require "lib.report"

description = "Counts the file descriptors the traced programs create (open, socket, accept, pipe, dup...) and groups them by the field given as argument (proc.name, fd.type, fd.directory...), then prints the top rows at the end of the capture (and every N seconds if an interval is given)."
short_description = "FD count, grouped by any field"
category = "I/O"
args = {
	{ name = "key", description = "the field to group by, e.g. proc.name or fd.type", argtype = "string" },
	report.TOP_ARGS[1], report.TOP_ARGS[2],
}

local key = { title = "key" }

on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
	keys = { key },
	value = { title = "Count", fmt = report.count },
	filter = "evt.failed=false and evt.type in (open, openat, openat2, creat, socket, accept, accept4, "
		.. "socketpair, pipe, pipe2, dup, dup2, dup3, eventfd, eventfd2, memfd_create, epoll_create, "
		.. "epoll_create1, inotify_init, inotify_init1, signalfd, signalfd4, timerfd_create)",
	on_set_arg = function(_, val)
		key.field, key.title = val, val
		return true
	end,
}
