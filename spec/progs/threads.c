/*
 * threads: 100 pthreads, each makes exactly 10 close(-1) calls (EBADF),
 * all started before any begins (a barrier), so they run at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { NTHREADS = 100, NCALLS = 10 };

static pthread_barrier_t go;

static void *body(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&go);
	for (int i = 0; i < NCALLS; i++)
		syscall(SYS_close, -1);
	return NULL;
}

int main(void)
{
	pthread_t th[NTHREADS];
	pthread_barrier_init(&go, NULL, NTHREADS);
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, body, NULL) != 0) {
			fprintf(stderr, "threads: pthread_create %d failed\n", i);
			return 1;
		}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	return 0;
}
