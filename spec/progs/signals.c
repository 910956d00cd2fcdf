/*
 * signals: signals lanner must pass through unchanged.
 *   1. sigaction(SIGUSR1) + kill(getpid(), SIGUSR1): the handler runs
 *   2. sigaction(SIGUSR2) + tgkill(getpid(), gettid(), SIGUSR2): same
 *   3. a child that exits 5: SIGCHLD reaches the parent's handler
 *   4. a child that stops itself (SIGSTOP), is seen stopped by the
 *      parent (WUNTRACED), is continued with kill(SIGCONT), exits 6
 * Exits 0 when all happened, else the number of the step that did not.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got_usr1, got_usr2, got_chld;

static void on_sig(int sig)
{
	if (sig == SIGUSR1)
		got_usr1++;
	else if (sig == SIGUSR2)
		got_usr2++;
	else if (sig == SIGCHLD)
		got_chld++;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);

	if (syscall(SYS_kill, getpid(), SIGUSR1) != 0 || got_usr1 != 1)
		return 1;
	if (syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR2) != 0 || got_usr2 != 1)
		return 2;

	pid_t c = fork();
	if (c == 0)
		_exit(5);
	int st;
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 5)
		return 3;
	for (int i = 0; i < 1000 && !got_chld; i++)
		usleep(1000);
	if (got_chld < 1)
		return 3;

	c = fork();
	if (c == 0) {
		raise(SIGSTOP);
		_exit(6);
	}
	if (waitpid(c, &st, WUNTRACED) != c || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP)
		return 4;
	if (syscall(SYS_kill, c, SIGCONT) != 0)
		return 4;
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 6)
		return 4;
	return 0;
}
