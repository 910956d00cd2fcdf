/*
 * inv_loop: a target for lanner --pid.  Usage:
 *   inv_loop [DIR [ITERS [NTHREADS [KIDS]]]]
 * Before its loop it opens DIR/before.txt as fd 20 and a TCP connection on
 * 127.0.0.1 (listener fd 21, client fd 22, accepted fd 23), starts
 * NTHREADS threads and KIDS child processes (which die with it), then
 * writes "PID SERVERPORT CLIENTPORT" to DIR/ready.  Each iteration (50 ms):
 * openat(DIR/loop.txt) + close, pwrite(20), write(22) + read(23), and
 * "count N" on stdout.  Threads openat DIR/thread.txt, kids DIR/kid.txt.
 * When DIR/spawn appears it is removed and one more thread (openat
 * DIR/newthread.txt) and one child (openat DIR/newchild.txt) are made.
 * ITERS 0 loops for ever.  With no arguments: a temp dir, 3 iterations.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[512];
static volatile int stop;

static void path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static void touch_open(const char *name)
{
	char p[600];
	path(p, sizeof(p), name);
	int fd = open(p, O_RDONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
}

static void *thread_loop(void *arg)
{
	const char *name = arg;
	while (!stop) {
		touch_open(name);
		usleep(50000);
	}
	return NULL;
}

static void kid_loop(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		touch_open("kid.txt");
		usleep(50000);
	}
}

int main(int argc, char **argv)
{
	int iters = 3, nthreads = 1, kids = 0;
	int tmp = 0;
	if (argc > 1) {
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	} else {
		strcpy(dir, "/tmp/inv_loop.XXXXXX");
		if (!mkdtemp(dir))
			return 1;
		tmp = 1;
	}
	if (argc > 2)
		iters = atoi(argv[2]);
	if (argc > 3)
		nthreads = atoi(argv[3]);
	if (argc > 4)
		kids = atoi(argv[4]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	char p[600];
	path(p, sizeof(p), "before.txt");
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dup2(fd, 20) != 20)
		return 1;
	close(fd);

	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 4) < 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) < 0 || dup2(ls, 21) != 21)
		return 1;
	close(ls);
	int cs = socket(AF_INET, SOCK_STREAM, 0);
	if (cs < 0 || connect(cs, (struct sockaddr *)&sa, sizeof(sa)) < 0 || dup2(cs, 22) != 22)
		return 1;
	close(cs);
	int as = accept(21, NULL, NULL);
	if (as < 0 || dup2(as, 23) != 23)
		return 1;
	close(as);
	struct sockaddr_in ca;
	socklen_t cl = sizeof(ca);
	getsockname(22, (struct sockaddr *)&ca, &cl);

	pthread_t th[64];
	if (nthreads > 64)
		nthreads = 64;
	for (int i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, thread_loop, "thread.txt");
	for (int i = 0; i < kids; i++)
		if (fork() == 0)
			kid_loop();

	char ready[600], tmpready[600];
	path(ready, sizeof(ready), "ready");
	path(tmpready, sizeof(tmpready), "ready.tmp");
	FILE *f = fopen(tmpready, "w");
	if (!f)
		return 1;
	fprintf(f, "%d %d %d\n", (int)getpid(), ntohs(sa.sin_port), ntohs(ca.sin_port));
	fclose(f);
	rename(tmpready, ready);

	pthread_t extra;
	int have_extra = 0;
	for (int i = 1; iters == 0 || i <= iters; i++) {
		touch_open("loop.txt");
		pwrite(20, "x", 1, 0);
		char buf[8];
		if (write(22, "ping", 4) != 4 || read(23, buf, 4) != 4)
			return 2;
		printf("count %d\n", i);
		char sp[600];
		path(sp, sizeof(sp), "spawn");
		if (access(sp, F_OK) == 0) {
			unlink(sp);
			if (!have_extra && pthread_create(&extra, NULL, thread_loop, "newthread.txt") == 0)
				have_extra = 1;
			pid_t c = fork();
			if (c == 0) {
				touch_open("newchild.txt");
				_exit(0);
			}
			if (c > 0)
				waitpid(c, NULL, 0);
		}
		usleep(50000);
	}
	stop = 1;
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	if (have_extra)
		pthread_join(extra, NULL);
	if (tmp) {
		const char *names[] = { "before.txt", "loop.txt", "thread.txt", "ready", "kid.txt" };
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			path(p, sizeof(p), names[i]);
			unlink(p);
		}
		rmdir(dir);
	}
	return 0;
}
