/*
 * inv_attach_busy: a target for lanner --pid --attach-mode=seccomp.
 *   inv_attach_busy DIR ITERS NTHREADS
 * Writes its pid to DIR/ready, then waits (polling every 10 ms) for
 * DIR/go.  Then the main thread and NTHREADS threads each do ITERS rounds
 * of 1000 getppid() (never traced) and one openat(DIR/busy.txt) + close
 * (threads: DIR/thread.txt); then the main thread forks a child that opens
 * DIR/newchild.txt, reaps it, prints what it did and how long the rounds
 * took, and exits 7.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[512];
static int iters;

static void touch_open(const char *name)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_RDONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
}

static long rounds(const char *name)
{
	long calls = 0;
	for (int i = 0; i < iters; i++) {
		for (int k = 0; k < 1000; k++)
			calls += syscall(SYS_getppid) > 0;
		touch_open(name);
	}
	return calls;
}

static void *thread_main(void *arg)
{
	(void)arg;
	return (void *)rounds("thread.txt");
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	iters = atoi(argv[2]);
	int nthreads = atoi(argv[3]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	char p[600], tmp[600];
	snprintf(tmp, sizeof(tmp), "%s/ready.tmp", dir);
	snprintf(p, sizeof(p), "%s/ready", dir);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return 2;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	rename(tmp, p);
	snprintf(p, sizeof(p), "%s/go", dir);
	while (access(p, F_OK) != 0)
		usleep(10000);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_t th[16];
	if (nthreads > 16)
		nthreads = 16;
	for (int i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, thread_main, NULL);
	long calls = rounds("busy.txt");
	for (int i = 0; i < nthreads; i++) {
		void *r;
		pthread_join(th[i], &r);
		calls += (long)r;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pid_t c = fork();
	if (c == 0) {
		touch_open("newchild.txt");
		_exit(5);
	}
	int st = 0;
	waitpid(c, &st, 0);
	printf("getppid %ld, opens %d, threads %d, child exit %d\n", calls, iters * (nthreads + 1), nthreads,
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	fprintf(stderr, "rounds took %ld ms\n",
		(long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return 7;
}
