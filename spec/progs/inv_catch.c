/*
 * inv_catch: catches the signals a process manager or a terminal sends
 * (SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM) and reports them.
 *   inv_catch READYFILE   writes its pid to READYFILE, then waits (at most
 *                         20 s) for a first signal, goes on 0.5 s more to
 *                         catch any that follow, prints how many of each it
 *                         got ("INT 1") and exits 0
 *   inv_catch             exits 0 at once (for spec/asan.sh)
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM };
static const char *const names[] = { "HUP", "INT", "QUIT", "USR1", "USR2", "TERM" };
static volatile sig_atomic_t count[65], any;

static void on_sig(int sig)
{
	count[sig]++;
	any = 1;
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0)
		;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return 1;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	rename(tmp, argv[1]);
	for (int i = 0; i < 2000 && !any; i++)
		nap(10);
	nap(500);
	int n = 0;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (count[sigs[i]]) {
			printf("%s%s %d", n++ ? " " : "", names[i], (int)count[sigs[i]]);
		}
	printf("%s\n", n ? "" : "nothing");
	return 0;
}
