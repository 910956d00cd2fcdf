/*
 * inv_catch: catches the signals a process manager or a terminal sends
 * (SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM) and reports them.
 *   inv_catch READYFILE   writes its pid to READYFILE, then waits (at most
 *                         20 s) for a first signal, goes on 0.5 s more to
 *                         catch any that follow, prints how many of each it
 *                         got ("INT 1") and exits 0
 *   inv_catch READYFILE rt
 *                         counts SIGRTMIN+1 (real-time signals queue, none
 *                         merge) until a SIGUSR2, then prints "RT n"
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

static volatile sig_atomic_t rt_count, usr2;

static void on_rt(int sig)
{
	if (sig == SIGUSR2)
		usr2 = 1;
	else
		rt_count++;
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
	int rt = argc > 2 && !strcmp(argv[2], "rt");
	if (rt) {
		sa.sa_handler = on_rt;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGRTMIN + 1, &sa, NULL);
		sigaction(SIGUSR2, &sa, NULL);
	} else {
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &sa, NULL);
	}
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return 1;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	rename(tmp, argv[1]);
	if (rt) {
		for (int i = 0; i < 6000 && !usr2; i++)
			nap(10);
		nap(200);
		printf("RT %d\n", (int)rt_count);
		return 0;
	}
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
