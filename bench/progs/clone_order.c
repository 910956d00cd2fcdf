/*
 * bench_clone_order (bench/clone_order.lua): 40 threads and 40 processes, made as fast as one thread
 * can, each child's first act a failing open of
 * /nonexistent/clone_order/<its tid>.  The kernel reports the parent's
 * clone and the child's first stop in either order (the newer tracee
 * first, when both wait); a tracer that lets the child run before it has
 * seen the clone emits the child's events first.  Prints "child TID" per
 * child and "done" at the end; exits 0.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { N = 40 };

static void first_act(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/nonexistent/clone_order/%ld", (long)syscall(SYS_gettid));
	open(path, O_RDONLY);
}

static void *thread_main(void *arg)
{
	(void)arg;
	first_act();
	return NULL;
}

int main(void)
{
	pthread_t th[N];
	pid_t kids[N];
	for (int i = 0; i < N; i++)
		if (pthread_create(&th[i], NULL, thread_main, NULL) != 0)
			return 1;
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			return 1;
		if (kids[i] == 0) {
			first_act();
			_exit(0);
		}
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N; i++) {
		int st;
		if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return 1;
	}
	puts("done");
	return 0;
}
