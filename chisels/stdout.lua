-- Echo what the traced programs write on their stdout (fd 1).
local report = require "lib.report"

description = "Prints the data the traced programs write on their stdout, file descriptor 1, wherever it points (terminal, pipe, file)."
short_description = "Print the stdout of processes"
category = "I/O"
args = {}

on_set_arg, on_init, on_event = report.echo { filter = "evt.is_io_write=true and fd.num=1" }
