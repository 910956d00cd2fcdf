/* regcalls: N kill(self, 0) calls, one thread.  A call whose event needs
 * only registers and no result: what the user-notification engine serves
 * (src/trace/notify.c) against a ptrace stop per call (bench/RESULTS.md,
 * "Engines"). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	if (n < 1) {
		fprintf(stderr, "usage: regcalls CALLS\n");
		return 2;
	}
	pid_t me = getpid();
	for (long i = 0; i < n; i++)
		kill(me, 0);
	return 0;
}
