/*
 * inv_files: opens files from the main thread and from 4 threads, and
 * prints what it read.  inv_files_static.c is the same program linked
 * statically (its syscalls come from the binary itself, not libc.so).
 *   inv_files [DIR]   opens DIR/main.txt (creates, writes, reads back),
 *                     DIR/thread-N.txt from thread N, /etc/hostname;
 *                     without DIR, a temporary directory
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[512];

static int write_read(const char *name, const char *text, char *out, size_t n)
{
	char p[700];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, text, strlen(text));
	ssize_t r = pread(fd, out, n - 1, 0);
	close(fd);
	out[r > 0 ? r : 0] = '\0';
	return w == (ssize_t)strlen(text) && r == w ? 0 : -1;
}

static void *body(void *arg)
{
	long i = (long)arg;
	char name[32], text[64], got[64];
	snprintf(name, sizeof(name), "thread-%ld.txt", i);
	snprintf(text, sizeof(text), "from thread %ld", i);
	return (void *)(long)(write_read(name, text, got, sizeof(got)) == 0 && !strcmp(got, text));
}

int main(int argc, char **argv)
{
	int tmp = argc < 2;
	if (tmp) {
		strcpy(dir, "/tmp/inv_files.XXXXXX");
		if (!mkdtemp(dir))
			return 1;
	} else {
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	}
	char got[64];
	if (write_read("main.txt", "from main", got, sizeof(got)) != 0)
		return 2;
	printf("main: %s\n", got);
	pthread_t th[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, body, (void *)i);
	for (int i = 0; i < 4; i++) {
		void *ok;
		pthread_join(th[i], &ok);
		printf("thread %d: %s\n", i, ok ? "ok" : "failed");
	}
	int fd = open("/etc/hostname", O_RDONLY);
	printf("hostname: %s\n", fd >= 0 ? "opened" : "not opened");
	if (fd >= 0)
		close(fd);
	if (tmp) {
		char p[700];
		snprintf(p, sizeof(p), "%s/main.txt", dir);
		unlink(p);
		for (int i = 0; i < 4; i++) {
			snprintf(p, sizeof(p), "%s/thread-%d.txt", dir, i);
			unlink(p);
		}
		rmdir(dir);
	}
	return 0;
}
