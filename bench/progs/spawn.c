/* Process launch and thread creation: N fork+exec of /bin/true, then T
 * threads that start and join.  bench_spawn [procs] [threads] */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *noop(void *p)
{
	return p;
}

int main(int argc, char **argv)
{
	long np = argc > 1 ? atol(argv[1]) : 300, nt = argc > 2 ? atol(argv[2]) : 2000;
	for (long i = 0; i < np; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		int st;
		waitpid(pid, &st, 0);
	}
	for (long i = 0; i < nt; i++) {
		pthread_t th;
		if (pthread_create(&th, NULL, noop, NULL) == 0)
			pthread_join(th, NULL);
	}
	return 0;
}
