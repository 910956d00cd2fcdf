/*
 * inv_attach_busy: a target for lanner --pid --attach-mode=seccomp.
 *   inv_attach_busy DIR ITERS NTHREADS [own-filter | thread-filter | wait-filter]
 * Writes its pid to DIR/ready, then waits (polling every 10 ms) for
 * DIR/go.  Then the main thread and NTHREADS threads each do ITERS rounds
 * of 1000 getppid() (never traced) and one openat(DIR/busy.txt) + close
 * (threads: DIR/thread.txt); then the main thread forks a child that opens
 * DIR/newchild.txt, reaps it, prints what it did and how long the rounds
 * took, and exits 7.  With own-filter it first installs a seccomp filter
 * of its own that allows everything (as a sandboxed program would); with
 * thread-filter one more thread, started before DIR/ready, does that for
 * itself alone and then its rounds (on DIR/sandbox.txt) after DIR/go; with
 * wait-filter it waits for a seccomp filter to appear on itself instead of
 * DIR/go.  With no arguments: 3 rounds at once in a temporary directory,
 * exit 0 (for spec/asan.sh's run of every program).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int allow_all(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog fp = { 1, &allow };
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0
		? -1 : 0;
}

static volatile int go;

static void *sandboxed(void *arg)
{
	(void)arg;
	if (allow_all() < 0)
		return (void *)-1L;
	while (!go)
		usleep(10000);
	return (void *)rounds("sandbox.txt");
}

static void *thread_main(void *arg)
{
	(void)arg;
	return (void *)rounds("thread.txt");
}

static int filtered(void)
{
	char buf[4096];
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *q = strstr(buf, "Seccomp:");
	return q && atoi(q + 8) == 2;
}

int main(int argc, char **argv)
{
	int standalone = argc < 4;
	if (standalone) {
		strcpy(dir, "/tmp/inv_attach_busy.XXXXXX");
		if (!mkdtemp(dir))
			return 2;
	} else {
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	}
	iters = standalone ? 3 : atoi(argv[2]);
	int nthreads = standalone ? 1 : atoi(argv[3]);
	int wait_filter = argc > 4 && !strcmp(argv[4], "wait-filter");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 4 && !strcmp(argv[4], "own-filter") && allow_all() < 0)
		return 3;
	pthread_t sb;
	int thread_filter = argc > 4 && !strcmp(argv[4], "thread-filter");
	if (thread_filter)
		pthread_create(&sb, NULL, sandboxed, NULL);
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
	while (!standalone && !(wait_filter ? filtered() : access(p, F_OK) == 0))
		usleep(10000);

	go = 1;
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
	if (thread_filter) {
		void *r;
		pthread_join(sb, &r);
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
	if (standalone) {
		const char *names[] = { "ready", "busy.txt", "thread.txt", "newchild.txt" };
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
			unlink(p);
		}
		rmdir(dir);
		return 0;
	}
	return 7;
}
