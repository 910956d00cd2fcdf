-- Echo the data of every read and write, whatever the fd.
local report = require "lib.report"

description = "Prints the data the traced programs read and write on any file descriptor: files, pipes, sockets, terminals. Combine with a filter to narrow it (lanner -c echo_fds fd.type=ipv4 -- ...)."
short_description = "Print the data read and written by processes"
category = "I/O"
args = {}

on_set_arg, on_init, on_event = report.echo { filter = "evt.is_io=true" }
