/*
 * inv_signals: what a program sees of signals it sends itself; every line
 * it prints must be the same traced and untraced.
 *   1. SIGUSR1, SIGUSR2, SIGHUP by kill(self): handler runs once, si_code
 *      SI_USER, si_pid self
 *   2. SIGUSR1 x3 while blocked: delivered once (standard signals merge)
 *   3. real-time signals queued with sigqueue while blocked: all of them,
 *      lowest signal first, FIFO within one, with their values, SI_QUEUE
 *   4. SIGCHLD (SA_SIGINFO) for a child that exits 7, one killed by
 *      SIGTERM, one that stops (SIGSTOP), is continued, exits 0: si_code
 *      and si_status of each, and what waitpid says
 *   5. with the argument "group" only (it signals its whole process
 *      group, so run it in a group of its own): kill(0, SIGINT), the
 *      program and its child (same process group) each get it once
 *   6. sigtimedwait on a blocked signal sent by a child with sigqueue
 * Exits 0 once all ran (the lines tell what happened).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t n_usr1, n_usr2, n_hup, n_int;
static volatile int last_code, last_pid;

struct rt { int sig, val, code; };
static struct rt rts[16];
static volatile sig_atomic_t nrt;

struct chld { int code, status, pid; };
static struct chld chlds[16];
static volatile sig_atomic_t nchld;

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGUSR1)
		n_usr1++;
	else if (sig == SIGUSR2)
		n_usr2++;
	else if (sig == SIGHUP)
		n_hup++;
	else if (sig == SIGINT)
		n_int++;
	else if (sig == SIGCHLD) {
		if (nchld < 16)
			chlds[nchld++] = (struct chld){ si->si_code, si->si_status, si->si_pid };
		return;
	} else if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		if (nrt < 16)
			rts[nrt++] = (struct rt){ sig - SIGRTMIN, si->si_value.sival_int, si->si_code };
		return;
	}
	last_code = si->si_code;
	last_pid = si->si_pid;
}

static void handle(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static const char *code_name(int c)
{
	switch (c) {
	case SI_USER: return "SI_USER";
	case SI_QUEUE: return "SI_QUEUE";
	case SI_TKILL: return "SI_TKILL";
	case SI_KERNEL: return "SI_KERNEL";
	case CLD_EXITED: return "CLD_EXITED";
	case CLD_KILLED: return "CLD_KILLED";
	case CLD_DUMPED: return "CLD_DUMPED";
	case CLD_STOPPED: return "CLD_STOPPED";
	case CLD_CONTINUED: return "CLD_CONTINUED";
	case CLD_TRAPPED: return "CLD_TRAPPED";
	}
	static char buf[32];
	snprintf(buf, sizeof(buf), "code%d", c);
	return buf;
}

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, NULL);
}

/* Wait (up to 5 s) until the SIGCHLD count reaches n. */
static void await_chld(int n)
{
	for (int i = 0; i < 500 && nchld < n; i++) {
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
}

static void status_line(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by %d%s\n", what, WTERMSIG(st), WCOREDUMP(st) ? " (core)" : "");
	else if (WIFSTOPPED(st))
		printf("%s: stopped by %d\n", what, WSTOPSIG(st));
	else if (WIFCONTINUED(st))
		printf("%s: continued\n", what);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid_t me = getpid();

	/* 1 */
	handle(SIGUSR1);
	handle(SIGUSR2);
	handle(SIGHUP);
	kill(me, SIGUSR1);
	printf("usr1 %d %s %s\n", n_usr1, code_name(last_code), last_pid == me ? "self" : "other");
	kill(me, SIGUSR2);
	printf("usr2 %d %s %s\n", n_usr2, code_name(last_code), last_pid == me ? "self" : "other");
	kill(me, SIGHUP);
	printf("hup %d %s %s\n", n_hup, code_name(last_code), last_pid == me ? "self" : "other");

	/* 2 */
	n_usr1 = 0;
	block(SIGUSR1, SIG_BLOCK);
	kill(me, SIGUSR1);
	kill(me, SIGUSR1);
	kill(me, SIGUSR1);
	block(SIGUSR1, SIG_UNBLOCK);
	printf("usr1 x3 blocked: %d\n", n_usr1);

	/* 3 */
	for (int i = 1; i <= 3; i++) {
		handle(SIGRTMIN + i);
		block(SIGRTMIN + i, SIG_BLOCK);
	}
	int vals[][2] = { { 2, 200 }, { 1, 100 }, { 3, 300 }, { 1, 101 }, { 2, 201 }, { 1, 102 } };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		sigqueue(me, SIGRTMIN + vals[i][0], (union sigval){ .sival_int = vals[i][1] });
	for (int i = 1; i <= 3; i++)
		block(SIGRTMIN + i, SIG_UNBLOCK);
	for (int i = 0; i < nrt; i++)
		printf("rt SIGRTMIN+%d value %d %s\n", rts[i].sig, rts[i].val, code_name(rts[i].code));

	/* 4 */
	handle(SIGCHLD);
	int st;
	pid_t c = fork();
	if (c == 0)
		_exit(7);
	await_chld(1);
	waitpid(c, &st, 0);
	status_line("child exit 7", st);
	c = fork();
	if (c == 0) {
		signal(SIGTERM, SIG_DFL);
		raise(SIGTERM);
		_exit(99);
	}
	await_chld(2);
	waitpid(c, &st, 0);
	status_line("child SIGTERM", st);
	int go[2];
	if (pipe(go) < 0)
		return 1;
	c = fork();
	if (c == 0) {
		char x;
		close(go[1]);
		raise(SIGSTOP);
		/* exit only once the parent saw the continue */
		_exit(read(go[0], &x, 1) == 1 ? 0 : 1);
	}
	close(go[0]);
	await_chld(3);
	waitpid(c, &st, WUNTRACED);
	status_line("child SIGSTOP", st);
	kill(c, SIGCONT);
	await_chld(4);
	waitpid(c, &st, WCONTINUED);
	status_line("child SIGCONT", st);
	if (write(go[1], "g", 1) != 1)
		return 1;
	close(go[1]);
	await_chld(5);
	waitpid(c, &st, 0);
	status_line("child after SIGCONT", st);
	for (int i = 0; i < nchld; i++)
		printf("SIGCHLD %d: %s status %d\n", i + 1, code_name(chlds[i].code), chlds[i].status);

	/* 5 */
	if (argc < 2 || strcmp(argv[1], "group"))
		goto six;
	handle(SIGINT);
	int pfd[2];
	if (pipe(pfd) < 0)
		return 1;
	c = fork();
	if (c == 0) {
		close(pfd[0]);
		if (write(pfd[1], "r", 1) != 1)
			_exit(100);
		for (int i = 0; i < 50; i++)
			usleep(10000);
		_exit(n_int);
	}
	close(pfd[1]);
	char b;
	if (read(pfd[0], &b, 1) != 1)
		return 1;
	kill(0, SIGINT);
	for (int i = 0; i < 50; i++)
		usleep(10000);
	waitpid(c, &st, 0);
	printf("kill(0, SIGINT): parent got %d, child got %d\n", n_int,
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);

six:
	/* 6 */
	block(SIGUSR2, SIG_BLOCK);
	c = fork();
	if (c == 0) {
		sigqueue(getppid(), SIGUSR2, (union sigval){ .sival_int = 4242 });
		_exit(0);
	}
	siginfo_t si;
	struct timespec ts = { 5, 0 };
	sigset_t w;
	sigemptyset(&w);
	sigaddset(&w, SIGUSR2);
	int s = sigtimedwait(&w, &si, &ts);
	waitpid(c, &st, 0);
	printf("sigtimedwait: %s value %d %s from %s\n", s == SIGUSR2 ? "SIGUSR2" : "none",
	       si.si_value.sival_int, code_name(si.si_code), si.si_pid == c ? "child" : "other");
	return 0;
}
