-- Echo what the traced programs read on their stdin (fd 0).
local report = require "lib.report"

description = "Prints the data the traced programs read on their stdin, file descriptor 0, wherever it points (terminal, pipe, file)."
short_description = "Print the stdin of processes"
category = "I/O"
args = {}

on_set_arg, on_init, on_event = report.echo { filter = "evt.is_io_read=true and fd.num=0" }
