/*
 * inv_many: many short-lived processes, then many short-lived threads, for
 * checking that a tracer's state stays bounded.
 *   inv_many [NPROCS [NTHREADS]]   (default 20 20)
 * Children are made 20 at a time; each makes one close(-1), opens a UDP
 * socket to 127.0.0.1:9 (connect, no traffic) and exits 0.  Threads are
 * made 50 at a time; each makes one close(-1).  Prints the counts; exits 0
 * when every child exited 0.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *body(void *arg)
{
	(void)arg;
	syscall(SYS_close, -1);
	return NULL;
}

static void child(void)
{
	syscall(SYS_close, -1);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		_exit(2);
	close(s);
	_exit(0);
}

int main(int argc, char **argv)
{
	int nprocs = argc > 1 ? atoi(argv[1]) : 20;
	int nthreads = argc > 2 ? atoi(argv[2]) : 20;
	int bad = 0, made = 0;
	while (made < nprocs) {
		int batch = nprocs - made < 20 ? nprocs - made : 20;
		for (int i = 0; i < batch; i++) {
			pid_t c = fork();
			if (c == 0)
				child();
			if (c < 0)
				bad++;
		}
		for (int i = 0; i < batch; i++) {
			int st;
			if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
				bad++;
		}
		made += batch;
	}
	int tmade = 0;
	while (tmade < nthreads) {
		pthread_t th[50];
		int batch = nthreads - tmade < 50 ? nthreads - tmade : 50;
		for (int i = 0; i < batch; i++)
			if (pthread_create(&th[i], NULL, body, NULL) != 0)
				return 3;
		for (int i = 0; i < batch; i++)
			pthread_join(th[i], NULL);
		tmade += batch;
	}
	printf("processes %d threads %d failed %d\n", made, tmade, bad);
	return bad ? 1 : 0;
}
