/*
 * spin_check: the tracer's poll policy (src/trace/spin_policy.c) driven
 * with made-up timings, under ASan and UBSan (spec/spin_policy_spec.lua
 * runs it).  Each case plays a run of waits: the policy says poll or
 * sleep, and a poll is told it caught a stop after a given gap or ran out.
 * Prints "ok" or the first case that failed, and exits 1 on one.
 */
#include <stdio.h>
#include <string.h>
#include "trace/trace.h"

enum { BUDGET = 100000 };	/* ns, lanner's default poll */

static int failed;

static void check(int ok, const char *what, long got)
{
	if (!ok && !failed++)
		printf("FAIL %s (got %ld)\n", what, got);
}

/* Plays n waits whose stops come gap_ns after each wait began (a poll
 * catches one within the budget, misses the others); returns the polls. */
static long play(struct ln_spin *sp, uint64_t *now, long n, uint64_t gap_ns)
{
	long polls = 0;
	for (long i = 0; i < n; i++) {
		if (ln_spin_choose(sp, *now)) {
			polls++;
			if (gap_ns <= sp->budget_ns)
				ln_spin_caught(sp, *now + gap_ns);
			else
				ln_spin_missed(sp);
		}
		*now += gap_ns;
	}
	return polls;
}

int main(void)
{
	struct ln_spin sp;
	uint64_t now = 1000000000;

	/* short gaps: every wait polls */
	memset(&sp, 0, sizeof(sp));
	ln_spin_policy_init(&sp, BUDGET);
	long polls = play(&sp, &now, 10000, 10000);
	check(polls == 10000, "short gaps: every wait polls", polls);

	/* no budget: never */
	memset(&sp, 0, sizeof(sp));
	ln_spin_policy_init(&sp, 0);
	polls = play(&sp, &now, 1000, 10000);
	check(polls == 0, "no budget: no poll", polls);

	/* long gaps: the probes back off (1 in 32 would be 313 polls) */
	memset(&sp, 0, sizeof(sp));
	ln_spin_policy_init(&sp, BUDGET);
	polls = play(&sp, &now, 10000, 5 * BUDGET);
	check(polls >= 8 && polls <= 20, "long gaps: probes back off to 1 in 1024", polls);
	polls = play(&sp, &now, 4096, 5 * BUDGET);
	check(polls >= 3 && polls <= 5, "long gaps: at most 1 in 1024 once backed off", polls);

	/* a probe that catches a stop sets the count back: the gaps turn
	 * short and polling resumes within one backed-off wait and a few
	 * probes 32 waits apart (the average has to come under the budget) */
	long waits = 0;
	while (!ln_spin_choose(&sp, now) && waits < 5000)
		waits++, now += 10000;
	ln_spin_caught(&sp, now + 10000);
	now += 10000;
	check(waits <= 1024, "backed off: a probe within 1024 waits", waits);
	polls = play(&sp, &now, 32 * 12, 10000);
	check(polls >= 8, "short gaps again: probes 32 waits apart", polls);
	polls = play(&sp, &now, 1000, 10000);
	check(polls == 1000, "short gaps again: every wait polls", polls);

	/* one long gap among short ones does not stop the poll */
	memset(&sp, 0, sizeof(sp));
	ln_spin_policy_init(&sp, BUDGET);
	polls = play(&sp, &now, 100, 10000);
	polls += play(&sp, &now, 1, 5 * BUDGET);
	polls += play(&sp, &now, 100, 10000);
	check(polls == 201, "one long gap: polling goes on", polls);

	if (failed)
		return 1;
	printf("ok\n");
	return 0;
}
