/*
 * deny_open_static_m32: a static 32-bit x86 program that opens argv[1]
 * (O_RDONLY | O_CREAT; /dev/null without one) and prints "open: ok" or
 * "open: <errno name>", exits 0.  For prevention in the 32-bit ABI
 * (spec/compat32_spec.lua): a refusal is a register write at the call's
 * stop, which must reach a 32-bit tracee's registers.  Static, since
 * lanner refuses every 32-bit open under an open-prevention rule (its
 * path cannot be pinned), a dynamic loader's among them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/null";
	int fd = open(path, O_RDONLY | O_CREAT, 0644);
	if (fd >= 0) {
		printf("open: ok\n");
		close(fd);
	} else {
		printf("open: %s\n", errno == EPERM ? "EPERM" : errno == EACCES ? "EACCES" : "other");
	}
	return 0;
}
