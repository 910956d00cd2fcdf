/*
 * exec_fds: fds across an exec, for the lazy fd table
 * (spec/fd_lazy_spec.lua).  Before the exec, every fd but 0-2 closed:
 *   3  /etc/hostname, close-on-exec
 *   4  /dev/null, kept
 *   20 an eventfd, close-on-exec (written to: an event names it)
 *   21 the directory /etc, close-on-exec (read, EISDIR: an event names it)
 * then the program execs itself with "after", where:
 *   a pipe takes the freed fd 3 (read end) and 5 (write end); fd 3 is
 *   mapped first (a pipe cannot be: ENODEV, but the call names fd 3);
 *   one byte goes through the pipe (a read of fd 3); one byte is written
 *   to fd 4; a memfd is made, sized and mapped;
 *   a timerfd is put on fd 20 and read (EAGAIN): eventfd and timerfd
 *   share one anonymous inode, only their names differ;
 *   a directory of its own, DIR (printed as "dir DIR"), is put on fd 21
 *   and DIR/victim is unlinked relative to it.
 * pipe2, eventfd, timerfd_create, memfd_create, ftruncate and dup3 need
 * not be traced: a tracer that trusts its table of before the exec names
 * /etc/hostname for fd 3, an eventfd for fd 20, /etc for fd 21.  Prints
 * "ok" and exits 0.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* fd moved to number to (dup3 keeps no other copy) */
static int move_fd(int fd, int to, int flags)
{
	if (fd < 0 || dup3(fd, to, flags) != to)
		return -1;
	close(fd);
	return to;
}

static int before(char *self)
{
	uint64_t one = 1;
	char c;
	for (int fd = 3; fd < 1024; fd++)
		close(fd);	/* whatever the caller left open */
	if (open("/etc/hostname", O_RDONLY | O_CLOEXEC) != 3 || open("/dev/null", O_WRONLY) != 4)
		return 1;
	if (move_fd(eventfd(0, 0), 20, O_CLOEXEC) != 20 || write(20, &one, 8) != 8)
		return 1;
	if (move_fd(open("/etc", O_RDONLY | O_DIRECTORY), 21, O_CLOEXEC) != 21 || read(21, &c, 1) != -1)
		return 1;
	execl("/proc/self/exe", self, "after", (char *)NULL);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "after"))
		return before(argv[0]);
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
	uint64_t ticks;
	if (move_fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), 20, 0) != 20 || read(20, &ticks, 8) != -1)
		return 6;
	char dir[] = "/tmp/lanner-exec-fds-XXXXXX", victim[64];
	snprintf(victim, sizeof(victim), "%s/victim", mkdtemp(dir) ? dir : "/nonexistent");
	close(open(victim, O_CREAT | O_WRONLY, 0600));
	printf("dir %s\n", dir);
	if (move_fd(open(dir, O_RDONLY | O_DIRECTORY), 21, 0) != 21 || unlinkat(21, "victim", 0) != 0)
		return 7;
	rmdir(dir);
	puts("ok");
	return 0;
}
