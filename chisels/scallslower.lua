-- system calls slower than a threshold.
local report = require "lib.report"

description = "Prints the system calls that took longer than the given number of milliseconds, with the process, the call and how long it took."
short_description = "Trace slow syscalls"
category = "Performance"
args = {
	{ name = "min_ms", description = "the threshold, in milliseconds", argtype = "int" },
}

report.slower(getfenv(1), "evt.info")
