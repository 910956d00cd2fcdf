/*
 * inv_ptrace: a tracee that tries to use ptrace itself.
 *   inv_ptrace           a child does PTRACE_TRACEME; the program does
 *                        PTRACE_ATTACH and PTRACE_SEIZE on another child of
 *                        its own; prints each result ("ok" or the errno
 *                        name) and exits 0 either way.  Untraced all are
 *                        "ok"; under a tracer (which holds the children
 *                        too) they fail with EPERM.
 *   inv_ptrace hold FILE a child does PTRACE_TRACEME (its parent is now
 *                        its tracer), writes its pid to FILE and sleeps;
 *                        the parent sleeps too: a process another tracer
 *                        holds, for lanner --pid to be refused.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *res(long r, int e)
{
	if (r == 0)
		return "ok";
	return e == EPERM ? "EPERM" : e == ESRCH ? "ESRCH" : strerror(e);
}

static pid_t sleeper(void)
{
	pid_t c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	return c;
}

static void try_attach(const char *what, int req)
{
	pid_t c = sleeper();
	long r = ptrace(req, c, 0, 0);
	int e = errno;
	printf("%s: %s\n", what, res(r, e));
	if (r == 0) {
		int st;
		if (req == PTRACE_ATTACH)
			waitpid(c, &st, __WALL);	/* its SIGSTOP */
		else
			ptrace(PTRACE_INTERRUPT, c, 0, 0), waitpid(c, &st, __WALL);
		ptrace(PTRACE_DETACH, c, 0, 0);
	}
	kill(c, SIGKILL);
	waitpid(c, NULL, __WALL);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "hold")) {
		pid_t c = fork();
		if (c == 0) {
			if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
				_exit(3);
			char tmp[4200];
			snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
			FILE *f = fopen(tmp, "w");
			if (!f)
				_exit(4);
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
			rename(tmp, argv[2]);
			for (;;)
				sleep(1);
		}
		for (int i = 0; i < 120; i++)
			sleep(1);
		kill(c, SIGKILL);
		return 0;
	}

	int pfd[2];
	if (pipe(pfd) < 0)
		return 1;
	pid_t c = fork();
	if (c == 0) {
		long r = ptrace(PTRACE_TRACEME, 0, 0, 0);
		int e = errno;
		char msg[64];
		int n = snprintf(msg, sizeof(msg), "traceme: %s\n", res(r, e));
		if (write(pfd[1], msg, (size_t)n) != n)
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	char buf[64] = "";
	ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
	int st;
	waitpid(c, &st, 0);
	if (n > 0)
		fputs(buf, stdout);
	printf("traceme child: %s %d\n", WIFEXITED(st) ? "exit" : "signal",
	       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	try_attach("attach", PTRACE_ATTACH);
	try_attach("seize", PTRACE_SEIZE);
	return 0;
}
