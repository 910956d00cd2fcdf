/*
 * burst: NTHREADS threads (at once, after a barrier) each make NCALLS
 * close(-1) calls (EBADF); then "done" is written to DONEFILE, if given.
 *   burst [NTHREADS NCALLS [DONEFILE]]	(default 2 threads, 100 calls)
 * What lanner's queue is measured and checked with (spec/queue_spec.lua):
 * a burst of events the rules' side cannot keep up with.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_barrier_t go;
static int ncalls;

static void *body(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&go);
	for (int i = 0; i < ncalls; i++)
		syscall(SYS_close, -1);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[1]) : 2;
	ncalls = argc > 2 ? atoi(argv[2]) : 100;
	if (n < 1 || n > 64 || ncalls < 0)
		return 2;
	pthread_t th[64];
	pthread_barrier_init(&go, NULL, (unsigned)n);
	for (int i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, body, NULL))
			return 1;
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (argc > 3) {
		int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, "done\n", 5) != 5)
			return 1;
		close(fd);
	}
	return 0;
}
