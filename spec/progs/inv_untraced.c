/*
 * inv_untraced: children made with CLONE_UNTRACED, which a tracer's
 * PTRACE_O_TRACEFORK/CLONE cannot follow.  A tracer that must not be
 * escaped has to make such a clone fail or trace the child anyway.
 *   1. raw clone(CLONE_UNTRACED|SIGCHLD)
 *   2. clone3 with CLONE_UNTRACED, exit_signal SIGCHLD
 * Each child reports, through a pipe, its TracerPid ("none" or "traced")
 * and the result of close(-77) (EBADF, or ENOSYS when a seccomp filter
 * asks for a tracer that is not there), then makes a grandchild with
 * fork() that reports the same (close(-78)); the parent prints all, or
 * the clone's error.  Exits 0 in every case.
 *   inv_untraced race N   clone3 N times while another thread flips
 *                         CLONE_UNTRACED in the clone_args between the
 *                         tracer's look and the kernel's (a tracer that
 *                         reads the flags at the stop can be raced); each
 *                         child that finds no tracer prints "escaped"; the
 *                         last line counts them
 *   inv_untraced race-own N   the same in a program with a seccomp
 *                         filter of its own (allows all), for which lanner
 *                         keeps clone3 as it is: a child may get past the
 *                         entry check, and lanner must seize it at
 *                         clone3's exit (in a pid namespace too, where
 *                         clone3 returns another pid than lanner's); each
 *                         child that finds no tracer waits up to 2 s for
 *                         one; the last line counts those that found one
 *                         late ("adopted") and those that never did.  N is
 *                         at most: it stops once 5 were adopted or 3
 *                         escaped (the race is won rarely, and unevenly
 *                         from one run to the next), or after 30 s
 *   inv_untraced race-parent N   race-own from a child of the program,
 *                         with CLONE_PARENT: each clone's child is the
 *                         program's, not its creator's (the program reaps
 *                         them), and lanner must find it there
 *   inv_untraced loop DIR writes DIR/ready, then every 100 ms for 30 s a
 *                         clone(CLONE_UNTRACED) child opens
 *                         DIR/untraced.txt and reports as above (for
 *                         lanner --pid)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif

static const char *tracer(void)
{
	char buf[4096];
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return "?";
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *q = strstr(buf, "TracerPid:");
	return q && atoi(q + 10) ? "traced" : "none";
}

static const char *close_res(int fd)
{
	long r = syscall(SYS_close, fd);
	return r == 0 ? "ok" : errno == EBADF ? "EBADF" : errno == ENOSYS ? "ENOSYS" : strerror(errno);
}

/* In the child: report, then the same from a grandchild. */
static void child(int wfd, const char *what)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "%s child (pid %d): tracer %s, close(-77) %s\n", what, (int)getpid(),
			 tracer(), close_res(-77));
	if (write(wfd, msg, (size_t)n) != n)
		_exit(1);
	pid_t g = fork();
	if (g == 0) {
		n = snprintf(msg, sizeof(msg), "%s grandchild (pid %d): tracer %s, close(-78) %s\n", what,
			     (int)getpid(), tracer(), close_res(-78));
		_exit(write(wfd, msg, (size_t)n) == n ? 0 : 1);
	}
	if (g < 0) {
		n = snprintf(msg, sizeof(msg), "%s grandchild: fork %s\n", what, strerror(errno));
		if (write(wfd, msg, (size_t)n) != n)
			_exit(1);
	} else {
		waitpid(g, NULL, 0);
	}
	_exit(0);
}

static void report(int rfd, long pid, const char *what)
{
	if (pid < 0) {
		printf("%s: clone failed: %s\n", what, errno == EPERM ? "EPERM" : strerror(errno));
		return;
	}
	int st;
	waitpid((pid_t)pid, &st, 0);
	char buf[1024];
	ssize_t n = read(rfd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		fputs(buf, stdout);
	}
	printf("%s: child %s %d\n", what, WIFEXITED(st) ? "exited" : "killed by",
	       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static struct clone_args race_ca;
static volatile int racing = 1;
static uint64_t race_base;	/* flags every clone has */

static void *flipper(void *arg)
{
	(void)arg;
	volatile __typeof__(race_ca.flags) *flags = &race_ca.flags;
	while (racing) {
		*flags = race_base | CLONE_UNTRACED;
		*flags = race_base;
	}
	return NULL;
}

/* The flipper on a CPU of its own, the cloning thread on another, where
 * two are allowed: the race is won only while the flipper runs during the
 * kernel's read, and sharing the cloner's CPU (the scheduler may put it
 * there while the cloner waits at its stop) it often does not: a run of
 * 100,000 clone3 once won no race at all. */
static void spread(pthread_t flipper_thread)
{
	cpu_set_t all, one;
	if (sched_getaffinity(0, sizeof(all), &all) < 0 || CPU_COUNT(&all) < 2)
		return;
	int cpus[2], k = 0;
	for (int c = 0; c < CPU_SETSIZE && k < 2; c++)
		if (CPU_ISSET(c, &all))
			cpus[k++] = c;
	CPU_ZERO(&one);
	CPU_SET(cpus[0], &one);
	sched_setaffinity(0, sizeof(one), &one);
	CPU_ZERO(&one);
	CPU_SET(cpus[1], &one);
	pthread_setaffinity_np(flipper_thread, sizeof(one), &one);
}

/* the child's verdict: 't' traced from the start, 'a' traced late, 'e'
 * never (own: wait for a late tracer) */
static char traced_how(int own)
{
	if (strcmp(tracer(), "none"))
		return 't';
	if (!own)
		return 'e';
	for (int i = 0; i < 2000; i++) {
		if (strcmp(tracer(), "none"))
			return 'a';
		usleep(1000);
	}
	return 'e';
}

static int race(int n, int own)
{
	int p[2];
	if (pipe(p) < 0)
		return 1;
	/* CLONE_PARENT takes the creator's exit signal: clone3 wants none */
	race_ca.exit_signal = race_base & CLONE_PARENT ? 0 : SIGCHLD;
	race_ca.flags = race_base;
	if (own) {
		static struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
		struct sock_fprog fp = { 1, allow };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) < 0) {
			perror("seccomp");
			return 1;
		}
	}
	pthread_t th;
	pthread_create(&th, NULL, flipper, NULL);
	spread(th);
	int escaped = 0, made = 0, refused = 0, adopted = 0;
	time_t until = time(NULL) + 30;
	for (int i = 0; i < n; i++) {
		if (own && (adopted >= 5 || escaped >= 3 || time(NULL) > until))
			break;
		long pid = syscall(__NR_clone3, &race_ca, sizeof(race_ca));
		if (pid == 0) {
			char c = traced_how(own);
			_exit(write(p[1], &c, 1) == 1 ? 0 : 1);
		}
		if (pid < 0) {
			refused++;
			continue;
		}
		made++;
		char c = 0;
		if (read(p[0], &c, 1) == 1 && c == 'e')
			escaped++;
		adopted += c == 'a';
		if (!(race_base & CLONE_PARENT))
			waitpid((pid_t)pid, NULL, 0);
	}
	racing = 0;
	pthread_join(th, NULL);
	if (own)
		printf("%s: %d clones, %d refused, %d adopted, %d escaped\n",
		       race_base & CLONE_PARENT ? "race-parent" : "race-own", made, refused, adopted, escaped);
	else
		printf("race: %d clones, %d refused, %d escaped\n", made, refused, escaped);
	return 0;
}

static int loop(const char *dir)
{
	char path[4200], tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s/ready.tmp", dir);
	snprintf(path, sizeof(path), "%s/ready", dir);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return 1;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	rename(tmp, path);
	snprintf(path, sizeof(path), "%s/untraced.txt", dir);
	for (int i = 0; i < 300; i++) {
		int p[2];
		if (pipe(p) < 0)
			return 1;
		long pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
		if (pid == 0) {
			int fd = open(path, O_RDONLY | O_CREAT, 0644);
			char msg[128];
			int n = snprintf(msg, sizeof(msg), "tracer %s, open %s\n", tracer(),
					 fd >= 0 ? "ok" : strerror(errno));
			_exit(write(p[1], msg, (size_t)n) == n ? 0 : 1);
		}
		close(p[1]);
		if (pid < 0) {
			printf("%d clone failed: %s\n", i, errno == EPERM ? "EPERM" : strerror(errno));
		} else {
			char buf[128];
			ssize_t n = read(p[0], buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = '\0';
			printf("%d child: %s", i, n > 0 ? buf : "nothing\n");
			waitpid((pid_t)pid, NULL, 0);
		}
		close(p[0]);
		usleep(100000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "race"))
		return race(atoi(argv[2]), 0);
	if (argc > 2 && !strcmp(argv[1], "race-own"))
		return race(atoi(argv[2]), 1);
	if (argc > 2 && !strcmp(argv[1], "race-parent")) {
		/* the racing creator is a child: its children are ours */
		race_base = CLONE_PARENT;
		pid_t c = fork();
		if (c == 0)
			_exit(race(atoi(argv[2]), 1));
		int st, rc = 1;
		pid_t w;
		while ((w = waitpid(-1, &st, 0)) > 0)
			if (w == c)
				rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
		return rc;
	}
	if (argc > 2 && !strcmp(argv[1], "loop"))
		return loop(argv[2]);
	int p[2];
	if (pipe(p) < 0)
		return 1;
	long pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		child(p[1], "clone");
	report(p[0], pid, "clone");

	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_UNTRACED;
	ca.exit_signal = SIGCHLD;
	pid = syscall(__NR_clone3, &ca, sizeof(ca));
	if (pid == 0)
		child(p[1], "clone3");
	report(p[0], pid, "clone3");
	return 0;
}
