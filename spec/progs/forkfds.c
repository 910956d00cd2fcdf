/*
 * forkfds DIR N M: a directory under DIR whose path is about 3,800 bytes
 * long, opened N times, then M children alive at once, each of which
 * fchdirs to the last of those fds and waits until all have; prints
 * "ok".  For the fd names a fork copies (spec/fdname_spec.lua): each
 * child has the N fds of its creator, all named by that long path.
 * Without arguments: a directory of its own under /tmp, N 100, M 4, and
 * the directories removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	char own[] = "/tmp/forkfds.XXXXXX";
	const char *dir = argc > 1 ? argv[1] : mkdtemp(own);
	int n = argc > 2 ? atoi(argv[2]) : 100, m = argc > 3 ? atoi(argv[3]) : 4;
	must(dir != NULL, "mkdtemp");
	char path[4096], part[251];
	memset(part, 'd', sizeof(part) - 1);
	part[sizeof(part) - 1] = '\0';
	size_t len = (size_t)snprintf(path, sizeof(path), "%s", dir);
	while (len + 1 + strlen(part) < 3800) {
		len += (size_t)snprintf(path + len, sizeof(path) - len, "/%s", part);
		must(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir");
	}
	int last = -1;
	for (int i = 0; i < n; i++)
		must((last = open(path, O_RDONLY | O_DIRECTORY)) >= 0, "open");
	int gate[2];
	must(pipe(gate) == 0, "pipe");
	for (int i = 0; i < m; i++) {
		pid_t pid = fork();
		must(pid >= 0, "fork");
		if (pid == 0) {
			char c;
			close(gate[1]);
			must(fchdir(last) == 0, "fchdir");
			must(read(gate[0], &c, 1) == 0, "gate");
			_exit(0);
		}
	}
	close(gate[0]);
	close(gate[1]);
	while (wait(NULL) > 0)
		;
	if (argc <= 1) {	/* ours: remove it, deepest first */
		for (int i = 0; i <= n; i++)
			close(3 + i);
		while (strlen(path) > strlen(dir)) {
			must(rmdir(path) == 0, "rmdir");
			*strrchr(path, '/') = '\0';
		}
		must(rmdir(dir) == 0, "rmdir");
	}
	printf("ok\n");
	return 0;
}
