/*
 * exec_fds: fds across an exec.  Before it: /etc/hostname opened
 * close-on-exec (fd 3), /dev/null without (fd 4), then the program execs
 * itself with "after".  After it: a pipe takes the freed fd 3 (read end)
 * and fd 5 (write end), fd 3 is mapped first (a pipe cannot be: ENODEV,
 * but the call names fd 3), one byte goes through the pipe (a read of fd
 * 3), one byte is written to fd 4, and a memfd is made, sized and
 * mapped.  None of
 * pipe2, memfd_create or ftruncate need be traced: a tracer that keeps
 * the table of before the exec names /etc/hostname for fd 3.  Prints
 * "ok" and exits 0.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "after")) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);	/* whatever the caller left open */
		if (open("/etc/hostname", O_RDONLY | O_CLOEXEC) != 3 || open("/dev/null", O_WRONLY) != 4)
			return 1;
		execl("/proc/self/exe", argv[0], "after", (char *)NULL);
		return 1;
	}
	int p[2];
	char c;
	if (pipe2(p, 0) != 0 || p[0] != 3)
		return 2;
	if (mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0) != MAP_FAILED)
		return 3;
	if (write(p[1], "x", 1) != 1 || read(3, &c, 1) != 1 || write(4, "y", 1) != 1)
		return 4;
	int m = memfd_create("lanner-exec-fds", 0);
	if (m < 0 || ftruncate(m, 4096) != 0 || mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, m, 0) == MAP_FAILED)
		return 5;
	puts("ok");
	return 0;
}
