-- Echo what the traced programs write on their stderr (fd 2).
local report = require "lib.report"

description = "Prints the data the traced programs write on their stderr, file descriptor 2, wherever it points (terminal, pipe, file)."
short_description = "Print the stderr of processes"
category = "I/O"
args = {}

on_set_arg, on_init, on_event = report.echo { filter = "evt.is_io_write=true and fd.num=2" }
