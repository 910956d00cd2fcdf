/*
 * highfd: open fds with the highest numbers the process may have, for the
 * fd table's memory (spec/fdmap_spec.lua).  Raises RLIMIT_NOFILE's soft
 * limit to its hard one (and the hard one to nr_open where it may), puts
 * /dev/null on the highest fd there can be (TOP) and on TOP/2 (MID), /etc
 * on 5000, then makes FORKS children (default 60) that are all alive at
 * once: each writes one byte to both /dev/null fds, then waits on a pipe
 * until the parent has made them all.  The parent then writes once more
 * to TOP, fchdirs to 5000 (an fd made before the forks, as a directory),
 * closes MID, and prints "top TOP", "mid MID" and "ok".
 *   highfd FORKS low   the same with TOP 100 and MID 50
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int nr_open(void)
{
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	int n = 1048576;
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = 1048576;
		fclose(f);
	}
	return n;
}

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	int forks = argc > 1 ? atoi(argv[1]) : 60;
	struct rlimit rl = { (rlim_t)nr_open(), (rlim_t)nr_open() };
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {	/* no CAP_SYS_RESOURCE */
		must(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
		rl.rlim_cur = rl.rlim_max;
		must(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit");
	}
	int top = (int)rl.rlim_cur - 1, mid = top / 2;
	if (argc > 2 && !strcmp(argv[2], "low"))
		top = 100, mid = 50;
	must(top > 5000 || top == 100, "the fd limit is too low");
	int null = open("/dev/null", O_WRONLY);
	int dir = open("/etc", O_RDONLY | O_DIRECTORY);
	must(null >= 0 && dir >= 0, "open");
	must(dup2(null, top) == top && dup2(null, mid) == mid && dup2(dir, 5000) == 5000, "dup2");
	close(null);
	close(dir);
	int gate[2];
	must(pipe(gate) == 0, "pipe");
	for (int i = 0; i < forks; i++) {
		pid_t pid = fork();
		must(pid >= 0, "fork");
		if (pid == 0) {
			char c;
			close(gate[1]);
			must(write(top, "x", 1) == 1 && write(mid, "x", 1) == 1, "write");
			must(read(gate[0], &c, 1) == 0, "read");
			_exit(0);
		}
	}
	close(gate[0]);
	close(gate[1]);	/* every child is made: let them go */
	while (wait(NULL) > 0)
		;
	must(write(top, "y", 1) == 1, "write");
	must(fchdir(5000) == 0, "fchdir");
	must(close(mid) == 0, "close");
	printf("top %d\nmid %d\nok\n", top, mid);
	return 0;
}
