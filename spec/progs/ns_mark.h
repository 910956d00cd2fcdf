/*
 * ns_mark.h - the mark of spec/progs/ns_threads.c and ns_unshare.c:
 * close(-K), an event lanner's filter picks out, then "K getpid()
 * gettid()" printed, the pids the program sees of itself, to hold
 * lanner's proc.vpid and thread.vtid against (spec/ns_pid_spec.lua).
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t mark_out = PTHREAD_MUTEX_INITIALIZER;

static void mark(long k)
{
	close((int)-k);
	pthread_mutex_lock(&mark_out);
	printf("%ld %d %d\n", k, getpid(), gettid());
	fflush(stdout);
	pthread_mutex_unlock(&mark_out);
}
