-- System calls by number of calls.  Traces every syscall: the most
-- expensive chisel to run, and the one to find out what a program does.
local report = require "lib.report"

description = "Shows the system calls the traced programs made most often. Every system call stops the tracee, so expect the program to run slower than usual."
short_description = "Top system calls by number of calls"
category = "Performance"
args = report.TOP_ARGS

on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
	keys = { { field = "evt.type", title = "Syscall" } },
	value = { title = "# Calls", fmt = report.count },
}
