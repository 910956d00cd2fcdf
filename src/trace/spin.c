/*
 * spin.c - a bounded, adaptive poll before the tracer sleeps in waitpid.
 *
 * In a VM much of a stop's price can be waking an idle virtual CPU: a
 * tracer asleep in waitpid was woken in 54 us a round trip on the VM of
 * issue #16's figures, 19-22 us when it polled (../shared/probes/
 * stop_roundtrip.c; bench/RESULTS.md).  So after a stop the tracer may
 * poll waitpid(WNOHANG) for a while before it sleeps.  The program's CPUs
 * are not touched.  When a poll is worth its CPU, spin_policy.c decides
 * from the gaps the tracer's own polls see.
 *
 * Nor does the default poll run while the machine is crowded, more tasks
 * runnable than CPUs (/proc/loadavg, read at most every LOAD_EVERY_NS): a
 * CPU is then taken from one of them, as when make -j2 keeps two
 * compilers busy on two CPUs, and a sleeping tracer is woken on a CPU
 * that is not idle, which is cheap.  Polling pays where a CPU would
 * otherwise idle.  A poll the user set (--poll) runs whatever the load.
 */
#include <errno.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>
#include "trace/trace.h"

enum {
	LOAD_EVERY_NS = 2000000,	/* how long a reading of the load holds */
};

/* (again by ln_set_poll: an open load_fd is kept; a calloc'd session
 * comes with 0 there, which ln_session_new's first call marks unread) */
void ln_spin_init(struct ln_spin *sp, uint32_t budget_ns)
{
	ln_spin_policy_init(sp, budget_ns);
	if (!sp->ncpus) {
		sp->load_fd = -1;
		sp->ncpus = get_nprocs();
	}
	sp->crowded = false;
	sp->load_ts = 0;
}

void ln_spin_free(struct ln_spin *sp)
{
	if (sp->ncpus && sp->load_fd >= 0)
		close(sp->load_fd);
	sp->load_fd = -1;
}

/* lanner counts itself: more than ncpus means a task waits for a CPU. */
static bool crowded(struct ln_spin *sp)
{
	uint64_t now = ln_now_mono();
	if (now - sp->load_ts >= LOAD_EVERY_NS) {
		sp->load_ts = now;
		int n = ln_nr_running(&sp->load_fd);
		/* lanner's rules' thread catches up in batches and can wait
		 * for a CPU: it does not make the machine crowded */
		if (sp->own_busy && __atomic_load_n(sp->own_busy, __ATOMIC_RELAXED))
			n--;
		sp->crowded = sp->ncpus > 0 && n > sp->ncpus;
	}
	return sp->crowded;
}

pid_t ln_spin_wait(struct ln_session *s, struct ln_spin *sp, int *status, bool *notif)
{
	/* the default poll minds the load; a --poll the user set does not */
	if (!sp->budget_ns || (!s->poll_set && crowded(sp)))
		return 0;
	uint64_t t0 = ln_now_mono(), t = t0;
	if (!ln_spin_choose(sp, t0))
		return 0;
	do {
		pid_t pid = waitpid(-1, status, __WALL | WNOHANG);
		if (pid != 0) {
			if (pid > 0) {
				LN_STAT_ADD(s, stops_polled, 1);
				ln_spin_caught(sp, ln_now_mono());
			}
			return pid < 0 && errno == EINTR ? 0 : pid;
		}
		if (ln_notif_ready(s)) {
			*notif = true;	/* a call waits on the listener */
			ln_spin_caught(sp, ln_now_mono());
			return 0;
		}
		t = ln_now_mono();
	} while (t - t0 < sp->budget_ns);
	LN_STAT_ADD(s, polls_missed, 1);
	ln_spin_missed(sp);
	return 0;
}
