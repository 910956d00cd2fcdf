/* OSBench-like file creation: create, write a byte, close and delete N files
 * in a fresh directory.  bench_filecreate DIR [count] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	long n = argc > 2 ? atol(argv[2]) : 20000;
	char path[4096];
	mkdir(argv[1], 0700);
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", argv[1], i);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			return 1;
		if (write(fd, "x", 1) != 1)
			return 1;
		close(fd);
	}
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", argv[1], i);
		unlink(path);
	}
	rmdir(argv[1]);
	return 0;
}
