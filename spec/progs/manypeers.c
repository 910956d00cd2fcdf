/*
 * manypeers: many tasks alive at once, each making one traced call, for
 * the fds lanner keeps per process and per thread (spec/kept_fds_spec.lua).
 *   manypeers procs N    N child processes each connect a TCP socket to
 *                        a listener on 127.0.0.1, then wait until all
 *                        have; the parent accepts them all
 *   manypeers threads N  N threads each make close(-1), all started
 *                        before any does, and none ends before all have
 *                        (barriers)
 *   manypeers reads N    the same with a read of 64 KB from /dev/zero
 * Prints "ok" and exits 0.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_barrier_t go;
static int zero = -1;	/* /dev/zero: the threads read it, or -1 */

static void *one(void *arg)
{
	static char buf[65536];	/* what they read is not looked at */
	(void)arg;
	pthread_barrier_wait(&go);
	if (zero >= 0) {
		if (read(zero, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			perror("read");
	} else {
		close(-1);
	}
	pthread_barrier_wait(&go);	/* none ends before all have called */
	return NULL;
}

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 10;
	if (argc > 1 && !strcmp(argv[1], "reads"))
		must((zero = open("/dev/zero", O_RDONLY)) >= 0, "open");
	if (argc > 1 && (!strcmp(argv[1], "threads") || zero >= 0)) {
		pthread_t *th = calloc((size_t)n, sizeof(*th));
		must(th && pthread_barrier_init(&go, NULL, (unsigned)n + 1) == 0, "barrier");
		for (int i = 0; i < n; i++)
			must(pthread_create(&th[i], NULL, one, NULL) == 0, "pthread_create");
		pthread_barrier_wait(&go);
		pthread_barrier_wait(&go);
		for (int i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		printf("ok\n");
		return 0;
	}
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	must(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, n + 16) == 0 &&
	     getsockname(l, (struct sockaddr *)&a, &alen) == 0, "listener");
	int gate[2];
	must(pipe(gate) == 0, "pipe");
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		must(pid >= 0, "fork");
		if (pid == 0) {
			char c;
			close(gate[1]);
			int s = socket(AF_INET, SOCK_STREAM, 0);
			must(s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0, "connect");
			must(read(gate[0], &c, 1) == 0, "gate");
			_exit(0);
		}
	}
	close(gate[0]);
	for (int i = 0; i < n; i++) {
		int c = accept(l, NULL, NULL);
		must(c >= 0, "accept");
		close(c);
	}
	close(gate[1]);	/* every child has connected: let them go */
	while (wait(NULL) > 0)
		;
	printf("ok\n");
	return 0;
}
