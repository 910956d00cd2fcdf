/*
 * ns_threads: the pids a program sees of itself, to hold lanner's
 * proc.vpid and thread.vtid against (spec/ns_pid_spec.lua).  The main
 * thread, two threads, a forked child and a thread of that child each call
 * close(-K) for their own K and print "K getpid() gettid()".  Run under
 * `unshare --pid --fork` these are the pids of a namespace of its own.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns_mark.h"

static void *thread_main(void *arg)
{
	mark((long)arg);
	return NULL;
}

static void with_thread(long self, long other)
{
	pthread_t th;
	mark(self);
	if (pthread_create(&th, NULL, thread_main, (void *)other) != 0)
		exit(1);
	pthread_join(th, NULL);
}

int main(void)
{
	with_thread(1001, 1002);
	pthread_t th;
	if (pthread_create(&th, NULL, thread_main, (void *)1003L) != 0)
		return 1;
	pthread_join(th, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		with_thread(1004, 1005);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
