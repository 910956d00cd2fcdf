/*
 * spin_policy.c - when the tracer polls for the next stop and when it
 * sleeps at once: spin.c's choices, apart from its syscalls, so that
 * spec/c/spin_check.c can drive them with made-up timings.
 *
 * A poll that runs out has burnt its whole budget of the tracer's CPU.
 * So the tracer keeps an average of the recent gaps between stops, as its
 * polls see them (a miss counts as twice the budget), and while that is
 * longer than the budget it sleeps at once, probing with a poll only
 * every probe_every waits.  Each probe that misses doubles that count, up
 * to PROBE_MAX, and one that catches a stop sets it back to PROBE_EVERY:
 * with a fixed 1 in 32, a program whose gaps stay long (tar, reading each
 * file it opened) paid a whole budget at every 32nd wait from start to end
 * (bench/RESULTS.md, "Probes that back off").
 */
#include "trace/trace.h"

enum {
	PROBE_EVERY = 32,	/* waits between two probes while the gaps are long */
	PROBE_MAX = 1024,	/* ... once probes keep missing */
};

void ln_spin_policy_init(struct ln_spin *sp, uint32_t budget_ns)
{
	sp->budget_ns = budget_ns;
	sp->ewma_ns = 0;
	sp->skip = 0;
	sp->probe_every = PROBE_EVERY;
	sp->ready_ns = 0;
	sp->probing = false;
}

/* The gap average moves by 1/8 of each new sample. */
static void learn(struct ln_spin *sp, uint64_t gap)
{
	sp->ewma_ns = sp->ewma_ns ? sp->ewma_ns + ((int64_t)gap - (int64_t)sp->ewma_ns) / 8 : gap;
}

bool ln_spin_choose(struct ln_spin *sp, uint64_t now)
{
	sp->ready_ns = now;
	sp->probing = false;
	if (!sp->budget_ns)
		return false;
	if (sp->ewma_ns > sp->budget_ns) {
		if (++sp->skip < sp->probe_every)
			return false;
		sp->skip = 0;
		sp->probing = true;
	}
	return true;
}

void ln_spin_caught(struct ln_spin *sp, uint64_t now)
{
	learn(sp, now - sp->ready_ns);
	sp->probe_every = PROBE_EVERY;
}

/* A miss counts as a gap of twice the budget, so a run of misses turns
 * polling off quickly. */
void ln_spin_missed(struct ln_spin *sp)
{
	learn(sp, 2 * (uint64_t)sp->budget_ns);
	if (sp->probing && sp->probe_every < PROBE_MAX)
		sp->probe_every *= 2;
}
