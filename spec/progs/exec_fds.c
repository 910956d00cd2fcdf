/*
 * exec_fds: fds across an exec, for the lazy fd table
 * (spec/fd_lazy_spec.lua).  Before the exec, every fd but 0-2 closed:
 *   3  /etc/hostname, close-on-exec
 *   4  /dev/null, kept
 *   20 an eventfd, close-on-exec (written to: an event names it)
 *   21 the directory /etc, close-on-exec (read, EISDIR: an event names it)
 *   22 a directory of its own, KEPT, put there by dup3: no event names it
 * then the program execs itself with "after KEPT", where:
 *   a pipe takes the freed fd 3 (read end) and 5 (write end); fd 3 is
 *   mapped first (a pipe cannot be: ENODEV, but the call names fd 3);
 *   one byte goes through the pipe (a read of fd 3); one byte is written
 *   to fd 4; a memfd is made, sized and mapped;
 *   a timerfd is put on fd 20 and read (EAGAIN): eventfd and timerfd
 *   share one anonymous inode, only their names differ;
 *   a directory of its own, DIR (printed as "dir DIR"), is put on fd 21
 *   and DIR/victim is unlinked relative to it; then another, DIR2
 *   ("dir2 DIR2"), on fd 21 again, and DIR2/victim2 unlinked the same
 *   way; then KEPT/victim3 relative to fd 22 ("kept KEPT").
 * pipe2, eventfd, timerfd_create, memfd_create, ftruncate and dup3 need
 * not be traced: a tracer that trusts its table of before the exec names
 * /etc/hostname for fd 3, an eventfd for fd 20, /etc for fd 21.  Prints
 * "ok" and exits 0.
 *   exec_fds huge   a read of fd 999999, which is not open, then ten forks
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
#include <sys/wait.h>
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
	char c, kept[] = "/tmp/lanner-exec-fds-XXXXXX";
	for (int fd = 3; fd < 1024; fd++)
		close(fd);	/* whatever the caller left open */
	if (open("/etc/hostname", O_RDONLY | O_CLOEXEC) != 3 || open("/dev/null", O_WRONLY) != 4)
		return 1;
	if (move_fd(eventfd(0, 0), 20, O_CLOEXEC) != 20 || write(20, &one, 8) != 8)
		return 1;
	if (move_fd(open("/etc", O_RDONLY | O_DIRECTORY), 21, O_CLOEXEC) != 21 || read(21, &c, 1) != -1)
		return 1;
	if (!mkdtemp(kept) || move_fd(open(kept, O_RDONLY | O_DIRECTORY), 22, 0) != 22)
		return 1;
	execl("/proc/self/exe", self, "after", kept, (char *)NULL);
	return 1;
}

/* unlink DIR/name relative to fd at (a directory), DIR printed first
 * as "LABEL DIR" */
static int unlink_in(const char *label, const char *dir, int at, const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	printf("%s %s\n", label, dir);
	return unlinkat(at, name, 0);
}

/* "huge": a read of fd 999999, not open (EBADF), then ten forks */
static int huge(void)
{
	char c;
	if (read(999999, &c, 1) != -1)
		return 1;
	for (int i = 0; i < 10; i++) {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		if (p < 0 || waitpid(p, NULL, 0) != p)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "huge"))
		return huge();
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
	char dir[] = "/tmp/lanner-exec-fds-XXXXXX", dir2[] = "/tmp/lanner-exec-fds-XXXXXX";
	if (!mkdtemp(dir) || !mkdtemp(dir2) || argc < 3)
		return 7;
	if (move_fd(open(dir, O_RDONLY | O_DIRECTORY), 21, 0) != 21 || unlink_in("dir", dir, 21, "victim") != 0)
		return 8;
	if (move_fd(open(dir2, O_RDONLY | O_DIRECTORY), 21, 0) != 21 || unlink_in("dir2", dir2, 21, "victim2") != 0)
		return 9;
	if (unlink_in("kept", argv[2], 22, "victim3") != 0)
		return 10;
	rmdir(dir);
	rmdir(dir2);
	rmdir(argv[2]);
	puts("ok");
	return 0;
}
