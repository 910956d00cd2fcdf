/* topen: T threads, each opening and closing /dev/null N times.  The
 * two-thread throughput against one thread's, under a tracer, shows
 * whether one thread's stops wait for another's (bench/RESULTS.md). */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static long n;

static void *loop(void *arg)
{
	(void)arg;
	for (long i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int t = argc > 1 ? atoi(argv[1]) : 1;
	n = argc > 2 ? atol(argv[2]) : 10000;
	if (t < 1 || t > 64 || n < 1) {
		fprintf(stderr, "usage: topen THREADS OPENS_PER_THREAD\n");
		return 2;
	}
	pthread_t th[64];
	for (int i = 0; i < t; i++)
		pthread_create(&th[i], NULL, loop, NULL);
	for (int i = 0; i < t; i++)
		pthread_join(th[i], NULL);
	return 0;
}
