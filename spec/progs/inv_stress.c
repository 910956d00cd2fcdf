/*
 * inv_stress: workers with threads, and signals flying, for checking that
 * a tracer loses no event and leaves nothing stopped.
 *   inv_stress [NWORKERS [NTHREADS [K [STATUS]]]]   (default 4 2 5 0)
 * The parent forks NWORKERS workers at once.  Each worker starts NTHREADS
 * threads; the worker's main thread and every thread make exactly K
 * close(-1) calls (the marker), with short sleeps between, while threads
 * tgkill each other with SIGUSR2 and the parent sends SIGUSR1 to workers,
 * and SIGSTOP then SIGCONT to some of them.  Worker i exits with status
 * i % 100 after reporting, through a pipe, how many markers it made.
 * The parent prints the total of markers and of bad exit statuses, and
 * exits STATUS when every worker ended as expected (else 1).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int K = 5, NT = 2;
static volatile sig_atomic_t usr1, usr2;
static pid_t *tids;
static volatile int markers_made;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void on_sig(int sig)
{
	if (sig == SIGUSR1)
		usr1++;
	else
		usr2++;
}

static void nap(long us)
{
	struct timespec ts = { 0, us * 1000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void markers(int self, int n)
{
	for (int i = 0; i < K; i++) {
		syscall(SYS_close, -1);
		pthread_mutex_lock(&mu);
		markers_made++;
		pthread_mutex_unlock(&mu);
		/* poke a sibling thread */
		pid_t t = tids[(self + i) % n];
		if (t > 0)
			syscall(SYS_tgkill, getpid(), t, SIGUSR2);
		nap(200 + (i % 3) * 300);
	}
}

struct targ { int self, n; };

static void *thread_body(void *arg)
{
	struct targ *a = arg;
	tids[a->self] = (pid_t)syscall(SYS_gettid);
	markers(a->self, a->n);
	return NULL;
}

static void worker(int idx, int wfd)
{
	int n = NT + 1;
	tids = calloc((size_t)n, sizeof(pid_t));
	tids[0] = (pid_t)syscall(SYS_gettid);
	pthread_t *th = calloc((size_t)NT, sizeof(pthread_t));
	struct targ *args = calloc((size_t)NT, sizeof(struct targ));
	for (int i = 0; i < NT; i++) {
		args[i] = (struct targ){ i + 1, n };
		if (pthread_create(&th[i], NULL, thread_body, &args[i]) != 0)
			_exit(200);
	}
	markers(0, n);
	for (int i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	int m = markers_made;
	if (write(wfd, &m, sizeof(m)) != sizeof(m))
		_exit(201);
	_exit(idx % 100);
}

int main(int argc, char **argv)
{
	int nw = argc > 1 ? atoi(argv[1]) : 4;
	if (argc > 2)
		NT = atoi(argv[2]);
	if (argc > 3)
		K = atoi(argv[3]);
	int status = argc > 4 ? atoi(argv[4]) : 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	int p[2];
	if (pipe(p) < 0)
		return 1;
	pid_t *w = calloc((size_t)nw, sizeof(pid_t));
	for (int i = 0; i < nw; i++) {
		w[i] = fork();
		if (w[i] == 0) {
			close(p[0]);
			worker(i, p[1]);
		}
		if (w[i] < 0)
			return 1;
	}
	close(p[1]);
	/* signals while they work */
	for (int round = 0; round < 5; round++) {
		for (int i = round % 3; i < nw; i += 3)
			kill(w[i], SIGUSR1);
		for (int i = round; i < nw; i += 7)
			kill(w[i], SIGSTOP);
		nap(2000);
		for (int i = round; i < nw; i += 7)
			kill(w[i], SIGCONT);
		nap(1000);
	}
	long total = 0;
	int m;
	while (read(p[0], &m, sizeof(m)) == sizeof(m))
		total += m;
	int bad = 0;
	for (int i = 0; i < nw; i++) {
		int st;
		if (waitpid(w[i], &st, 0) != w[i] || !WIFEXITED(st) || WEXITSTATUS(st) != i % 100)
			bad++;
	}
	printf("markers %ld expected %ld bad statuses %d\n", total, (long)nw * (NT + 1) * K, bad);
	return bad == 0 && total == (long)nw * (NT + 1) * K ? status : 1;
}
