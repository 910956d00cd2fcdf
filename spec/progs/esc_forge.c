/*
 * esc_forge: a filter of the program's own that forges lanner's
 * SECCOMP_RET_DATA tag.  It returns SECCOMP_RET_TRACE with data argv[1]
 * (hex, default 0x4c03: lanner's tag and mode bits 3, the clone3 guard)
 * for openat; the newest filter wins among equal actions, so the stop
 * carries this data instead of lanner's.  Then it opens argv[2] (default
 * /etc/hostname).  Without a tracer the open fails with ENOSYS.
 * Prints "install: ok" and "open: ok" or "open: <error>".
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "esc_filter.h"


int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	unsigned data = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 16) : 0x4c03;
	const char *path = argc > 2 ? argv[2] : "/etc/hostname";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    esc_openat_filter(SECCOMP_RET_TRACE | (data & SECCOMP_RET_DATA), 0) != 0) {
		printf("install: %s\n", strerror(errno));
		return 1;
	}
	printf("install: ok\n");
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
	printf("open: %s\n", fd >= 0 ? "ok" : errno == ENOSYS ? "ENOSYS" : strerror(errno));
	return 0;
}
