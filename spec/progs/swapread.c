/*
 * swapread N: two files, A holding "a" and B holding "b", in a directory
 * of its own whose path is about 3,800 bytes long; N times, fds 3 and 4
 * are put on A and B (dup2, untraced under a filter on read), swapped
 * each time, and one byte is read from each.  Each read's fd names a
 * file other than the last read of that number did: lanner learns it
 * again, a change of state with a long name.  For a queue that drops
 * while its reader stalls (spec/queue_resync_spec.lua).  The directory
 * is removed at the end; prints "ok".
 *   swapread N DONE   writes the file DONE after N rounds, then makes N
 *                     more (after a stall that ends at DONE, the reader
 *                     sees the second half)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(2);
	}
}

static int make(const char *dir, const char *name, const char *data, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	must(fd >= 0 && write(fd, data, 1) == 1, "file");
	return fd;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	char top[] = "/tmp/swapread.XXXXXX", dir[4096], part[251], pa[4200], pb[4200];
	must(mkdtemp(top) != NULL, "mkdtemp");
	memset(part, 'd', sizeof(part) - 1);
	part[sizeof(part) - 1] = '\0';
	size_t len = (size_t)snprintf(dir, sizeof(dir), "%s", top);
	while (len + 1 + strlen(part) < 3800) {
		len += (size_t)snprintf(dir + len, sizeof(dir) - len, "/%s", part);
		must(mkdir(dir, 0755) == 0, "mkdir");
	}
	int fa = make(dir, "A", "a", pa, sizeof(pa)), fb = make(dir, "B", "b", pb, sizeof(pb));
	must(fa > 4 || (fa = dup2(fa, 10)) == 10, "dup2");
	must(fb > 4 || (fb = dup2(fb, 11)) == 11, "dup2");
	for (int i = 0; i < (argc > 2 ? 2 * n : n); i++) {
		char c;
		if (argc > 2 && i == n) {
			int d = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
			must(d >= 0, "done file");
			close(d);
		}
		must(dup2(i % 2 ? fb : fa, 3) == 3 && dup2(i % 2 ? fa : fb, 4) == 4, "dup2");
		for (int fd = 3; fd <= 4; fd++)
			must(lseek(fd, 0, SEEK_SET) == 0 && read(fd, &c, 1) == 1, "read");
	}
	must(unlink(pa) == 0 && unlink(pb) == 0, "unlink");
	while (strlen(dir) > strlen(top)) {
		must(rmdir(dir) == 0, "rmdir");
		*strrchr(dir, '/') = '\0';
	}
	must(rmdir(top) == 0, "rmdir");
	printf("ok\n");
	return 0;
}
