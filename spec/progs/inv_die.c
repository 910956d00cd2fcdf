/*
 * inv_die: ends as told, for comparing exit statuses.
 *   inv_die exit N     exit(N)
 *   inv_die signal N   killed by signal N (default action, unblocked)
 *   inv_die            exit 0
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 0;
	int n = atoi(argv[2]);
	if (!strcmp(argv[1], "exit"))
		exit(n);
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	signal(n, SIG_DFL);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, n);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	kill(getpid(), n);
	for (int i = 0; i < 100; i++)
		usleep(10000);
	return 100;	/* the signal did not end it */
}
