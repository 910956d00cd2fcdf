/*
 * inv_wait: children ending in every way and what the parent's wait calls
 * say of them, printed line by line; the lines must be the same traced and
 * untraced.
 *   1. exit 0, 1, 42, 255; killed by SIGTERM, SIGKILL, SIGSEGV, SIGABRT,
 *      SIGUSR1 (no core files: RLIMIT_CORE 0): waitpid's status
 *   2. waitid(WEXITED|WNOWAIT): si_code, si_status, the child still a
 *      zombie (state Z) afterwards; then waitpid reaps it and it is gone
 *   3. waitpid(-1, WNOHANG) with a running child (0) and with none (ECHILD)
 *   4. five children ending at once, collected by wait() in any order
 *   5. a grandchild orphaned to us (PR_SET_CHILD_SUBREAPER): we reap it,
 *      it saw us as its new parent
 *   6. SIGCHLD ignored: children are reaped by the kernel, wait() gives
 *      ECHILD
 *   7. wait4 with rusage of a child that used some CPU
 * Exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by %d%s\n", what, WTERMSIG(st), WCOREDUMP(st) ? " (core)" : "");
	else
		printf("%s: status 0x%x\n", what, st);
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return '-';
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' ? rp[2] : '?';
}

static const char *code_name(int c)
{
	return c == CLD_EXITED ? "CLD_EXITED" : c == CLD_KILLED ? "CLD_KILLED" :
	       c == CLD_DUMPED ? "CLD_DUMPED" : "other";
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	int st, e;

	/* 1 */
	static const int codes[] = { 0, 1, 42, 255 };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		pid_t c = fork();
		if (c == 0)
			_exit(codes[i]);
		char what[32];
		snprintf(what, sizeof(what), "exit %d", codes[i]);
		if (waitpid(c, &st, 0) == c)
			say(what, st);
	}
	static const int sigs[] = { SIGTERM, SIGKILL, SIGSEGV, SIGABRT, SIGUSR1 };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		pid_t c = fork();
		if (c == 0) {
			signal(sigs[i], SIG_DFL);
			if (sigs[i] == SIGSEGV)
				*(volatile int *)(uintptr_t)8 = 1;
			else if (sigs[i] == SIGABRT)
				abort();
			else
				kill(getpid(), sigs[i]);
			_exit(99);
		}
		char what[32];
		snprintf(what, sizeof(what), "signal %d", sigs[i]);
		if (waitpid(c, &st, 0) == c)
			say(what, st);
	}

	/* 2 */
	pid_t c = fork();
	if (c == 0)
		_exit(17);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	int r = waitid(P_PID, (id_t)c, &si, WEXITED | WNOWAIT);
	printf("waitid WNOWAIT: %d %s status %d pid %s\n", r, code_name(si.si_code), si.si_status,
	       si.si_pid == c ? "right" : "wrong");
	printf("zombie before reap: %c\n", proc_state(c));
	if (waitpid(c, &st, 0) == c)
		say("then waitpid", st);
	printf("after reap: %c\n", proc_state(c));

	/* 3 */
	int pfd[2];
	if (pipe(pfd) < 0)
		return 1;
	c = fork();
	if (c == 0) {
		char x;
		close(pfd[1]);
		_exit(read(pfd[0], &x, 1) == 0 ? 3 : 4);
	}
	close(pfd[0]);
	printf("WNOHANG while running: %d\n", (int)waitpid(-1, &st, WNOHANG));
	close(pfd[1]);
	if (waitpid(c, &st, 0) == c)
		say("the running one", st);
	errno = 0;
	r = waitpid(-1, &st, WNOHANG);
	e = errno;
	printf("WNOHANG with none: %d %s\n", r, e == ECHILD ? "ECHILD" : "other");

	/* 4 */
	if (pipe(pfd) < 0)
		return 1;
	for (int i = 0; i < 5; i++) {
		if (fork() == 0) {
			char x;
			close(pfd[1]);
			_exit(read(pfd[0], &x, 1) == 0 ? 10 + i : 99);
		}
	}
	close(pfd[0]);
	close(pfd[1]);	/* all five go now */
	int got[5], n = 0;
	while (n < 5 && wait(&st) > 0)
		got[n++] = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (got[j] < got[i]) {
				int t = got[i];
				got[i] = got[j];
				got[j] = t;
			}
	printf("collected %d:", n);
	for (int i = 0; i < n; i++)
		printf(" %d", got[i]);
	printf("\n");

	/* 5 */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	int rep[2], gate[2];
	if (pipe(rep) < 0 || pipe(gate) < 0)
		return 1;
	pid_t me = getpid();
	c = fork();
	if (c == 0) {
		pid_t g = fork();
		if (g == 0) {
			char x;
			close(gate[1]);
			/* wait until our parent is gone */
			for (int i = 0; i < 500 && getppid() != me; i++)
				usleep(10000);
			char msg = getppid() == me ? 'y' : 'n';
			if (write(rep[1], &msg, 1) != 1 || read(gate[0], &x, 1) < 0)
				_exit(98);
			_exit(21);
		}
		_exit(0);
	}
	close(rep[1]);
	close(gate[0]);
	if (waitpid(c, &st, 0) == c)
		say("orphaning parent", st);
	char msg = '?';
	if (read(rep[0], &msg, 1) != 1)
		msg = '?';
	printf("grandchild sees us as its parent: %c\n", msg);
	close(gate[1]);
	pid_t g = wait(&st);
	if (g > 0)
		say("orphaned grandchild", st);
	prctl(PR_SET_CHILD_SUBREAPER, 0);

	/* 6 */
	signal(SIGCHLD, SIG_IGN);
	c = fork();
	if (c == 0)
		_exit(5);
	errno = 0;
	r = wait(&st);
	e = errno;
	char cs = proc_state(c);
	printf("SIGCHLD ignored: wait %d %s, child %c\n", r, e == ECHILD ? "ECHILD" : strerror(e), cs);
	signal(SIGCHLD, SIG_DFL);

	/* 7 */
	c = fork();
	if (c == 0) {
		volatile unsigned long x = 0;
		for (unsigned long i = 0; i < 20000000ul; i++)
			x += i;
		_exit(6);
	}
	struct rusage ru;
	memset(&ru, 0, sizeof(ru));
	if (wait4(c, &st, 0, &ru) == c)
		say("wait4", st);
	printf("wait4 rusage has user time: %s\n",
	       ru.ru_utime.tv_sec > 0 || ru.ru_utime.tv_usec > 0 ? "yes" : "no");
	return 0;
}
