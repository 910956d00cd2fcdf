-- file I/O calls (open, read, write, close, seek...) slower than a threshold.
local report = require "lib.report"

description = "Prints the file I/O calls (open, read, write, close, seek...) that took longer than the given number of milliseconds, with the process, the call and how long it took."
short_description = "Trace slow file I/O"
category = "Performance"
args = {
	{ name = "min_ms", description = "the threshold, in milliseconds", argtype = "int" },
}

report.slower(getfenv(1), "fd.name", "fd.type in (file, directory)")
