-- Files by number of failed syscalls.
local report = require "lib.report"

description = "Shows the files on which system calls failed most often (ENOENT on open, EACCES, EBADF...), at the end of the capture (and every N seconds if an interval is given)."
short_description = "Top files by number of errors"
category = "Errors"
args = report.TOP_ARGS

on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {
	keys = { { field = "fd.name", title = "Filename" } },
	value = { title = "#Errors", fmt = report.count },
	filter = "evt.failed=true and fd.name exists and (fd.type=file or fd.type=directory or evt.type in (open, openat, openat2, creat, stat, lstat, newfstatat, statx, access, faccessat, faccessat2, readlink, readlinkat, unlink, unlinkat, mkdir, mkdirat, rmdir, rename, renameat, renameat2, chmod, fchmodat, chown, fchownat, truncate, execve, execveat))",
}
