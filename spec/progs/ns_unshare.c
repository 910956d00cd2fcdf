/*
 * ns_unshare: a program that moves its children into other pid
 * namespaces itself, to hold lanner's proc.vpid against
 * (spec/ns_pid_spec.lua).  lanner knows a child's pid namespace without
 * reading /proc when its creator cannot have changed where its children
 * go: these are the calls that can.  Each marked process calls close(-K)
 * and prints "K getpid() gettid()":
 *
 *   U, a child, makes thread T0, then unshare(CLONE_NEWPID)s:
 *     2001  U's next child A: pid 1 of the new namespace (kept alive)
 *     2002  U's child after A: pid 2 there
 *     2003  a child of T0, made before the unshare: where children go
 *           is the thread's, so this one is in U's own namespace (no
 *           thread can be made after the unshare: the kernel refuses)
 *   main:
 *     2004  a child made with clone(CLONE_NEWPID): pid 1 of its own
 *     2005  a child made after setns() (by pidfd) into a namespace whose
 *           pid 1 is another child of main: pid 2 there
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns_mark.h"

/* fork a child that marks k and exits; wait for it; 0 if it did */
static int marked_child(long k)
{
	pid_t c = fork();
	if (c < 0)
		return -1;
	if (c == 0) {
		mark(k);
		_exit(0);
	}
	int st;
	return waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* A child in a new pid namespace, its pid 1: marks k and ends, or with
 * k 0 waits until the pipe's write end (fds[1]) is closed. */
static pid_t holder(const int fds[2], long k)
{
	pid_t c = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (c == 0) {
		char b;
		if (k) {
			mark(k);
			_exit(0);
		}
		close(fds[1]);
		while (read(fds[0], &b, 1) > 0)
			;
		_exit(0);
	}
	return c;
}

static pthread_mutex_t go_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;
static int go;

static void *t0_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&go_lock);
	while (!go)
		pthread_cond_wait(&go_cond, &go_lock);
	pthread_mutex_unlock(&go_lock);
	return (void *)(long)marked_child(2003);
}

static int in_u(void)
{
	pthread_t t0;
	void *r0;
	int p[2];
	if (pthread_create(&t0, NULL, t0_main, NULL) != 0 || pipe(p) != 0)
		return 1;
	if (unshare(CLONE_NEWPID) != 0) {
		perror("unshare");
		return 1;
	}
	pid_t a = fork();	/* pid 1 there: the namespace lives while it does */
	if (a == 0) {
		char b;
		close(p[1]);
		mark(2001);
		while (read(p[0], &b, 1) > 0)
			;
		_exit(0);
	}
	if (a < 0 || marked_child(2002) != 0)
		return 1;
	pthread_mutex_lock(&go_lock);
	go = 1;
	pthread_cond_signal(&go_cond);
	pthread_mutex_unlock(&go_lock);
	if (pthread_join(t0, &r0) != 0)
		return 1;
	close(p[1]);
	int st;
	waitpid(a, &st, 0);
	return r0 || !WIFEXITED(st);
}

int main(void)
{
	pid_t u = fork();
	if (u == 0)
		_exit(in_u());
	int st;
	if (u < 0 || waitpid(u, &st, 0) != u || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 1;

	pid_t c = holder(NULL, 2004);
	if (c < 0 || waitpid(c, &st, 0) != c)
		return 1;

	int p[2];
	if (pipe(p) != 0)
		return 1;
	pid_t h = holder(p, 0);
	/* by pidfd: /proc may be another namespace's (unshare --pid) */
	int ns = (int)syscall(SYS_pidfd_open, h, 0);
	if (h < 0 || ns < 0 || setns(ns, CLONE_NEWPID) != 0) {
		perror("setns");
		return 1;
	}
	int bad = marked_child(2005);
	close(p[1]);
	waitpid(h, &st, 0);
	return bad ? 1 : 0;
}
