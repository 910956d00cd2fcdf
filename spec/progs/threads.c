/*
 * threads: 100 pthreads, each makes exactly 10 close(-1) calls (EBADF),
 * all started before any begins (a barrier), so they run at once.  The
 * main thread is in the barrier too: no thread starts its calls before
 * every pthread_create returned.  Under a tracer the creator's clone
 * exit is reported when its exit stop comes; without this, the last
 * threads could run and end before their creator's clone3 was reported,
 * and sysdig, reading such a capture, counts the ended thread again at
 * that clone (scap_diff_spec compares proc.nthreads with sysdig's).
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
	pthread_barrier_init(&go, NULL, NTHREADS + 1);
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, body, NULL) != 0) {
			fprintf(stderr, "threads: pthread_create %d failed\n", i);
			return 1;
		}
	pthread_barrier_wait(&go);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	return 0;
}
