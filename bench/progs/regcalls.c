/* regcalls: CALLS kill(self, 0) calls on each of THREADS threads (default
 * 1).  A call whose event needs only registers and no result: what the
 * user-notification engine serves (src/trace/notify.c) against a ptrace
 * stop per call (bench/RESULTS.md, "Engines"). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static long n;

static void *loop(void *arg)
{
	(void)arg;
	pid_t me = getpid();
	for (long i = 0; i < n; i++)
		kill(me, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	n = argc > 1 ? atol(argv[1]) : 100000;
	int t = argc > 2 ? atoi(argv[2]) : 1;
	if (n < 1 || t < 1 || t > 64) {
		fprintf(stderr, "usage: regcalls CALLS [THREADS]\n");
		return 2;
	}
	pthread_t th[64];
	for (int i = 1; i < t; i++)
		pthread_create(&th[i], NULL, loop, NULL);
	loop(NULL);
	for (int i = 1; i < t; i++)
		pthread_join(th[i], NULL);
	return 0;
}
