/*
 * signals.c - signals sent to lanner itself: forwarded to the launched
 * program, or acted on (detach) between stops; SIGALRM wakes a waitpid
 * that has a deadline.
 */
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include "base/base.h"
#include "trace/trace.h"

/* Signals that a process manager sends to stop or poke the workload are
 * forwarded to the launched program (lanner as a container entrypoint).
 * The same signal may also have reached the program itself (Ctrl-C from
 * the terminal, kill to the process group, the program's own kill(0, ..)):
 * a user-sent signal is therefore held for LN_FWD_WAIT_MS, and dropped if
 * the program's signal-delivery stop shows the same signal from the same
 * sender (stops.c).  Without a launched program, INT/TERM/HUP/QUIT detach
 * from the attached ones. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
static volatile sig_atomic_t pending_sender[65];	/* sender pid + 1, 0 none */
static volatile sig_atomic_t pending_tty[65];
static volatile sig_atomic_t pending_any;
static struct sigaction old_actions[65];
static int sessions_with_signals;
volatile sig_atomic_t ln_alarm_fired;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGALRM) {
		ln_alarm_fired = 1;
		return;
	}
	if (si->si_code == SI_USER || si->si_code == SI_QUEUE || si->si_code == SI_TKILL)
		pending_sender[sig] = si->si_pid + 1;
	else
		pending_tty[sig] = 1;
	pending_any = 1;
}

void ln_install_signals(struct ln_session *s)
{
	if (s->signals_installed)
		return;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;	/* no SA_RESTART: waitpid must see EINTR */
	sigemptyset(&sa.sa_mask);
	s->signals_installed = true;
	if (sessions_with_signals++)
		return;	/* another session's handlers serve this one too */
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, &old_actions[forwarded[i]]);
	sigaction(SIGALRM, &sa, &old_actions[SIGALRM]);
}

/* Put back what was there before, unless the host has set an action of its
 * own since (lanner's main ignores late signals before freeing). */
static void restore_one(int sig)
{
	struct sigaction now;
	if (sigaction(sig, NULL, &now) == 0 && (now.sa_flags & SA_SIGINFO) && now.sa_sigaction == on_signal)
		sigaction(sig, &old_actions[sig], NULL);
}

/* A library must not leave its handlers behind: the host process (a Lua
 * program using the core through the FFI) may unload it. */
void ln_restore_signals(struct ln_session *s)
{
	if (!s->signals_installed)
		return;
	s->signals_installed = false;
	if (--sessions_with_signals)
		return;
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		restore_one(forwarded[i]);
	restore_one(SIGALRM);
}

static bool program_alive(struct ln_session *s)
{
	return s->root_pid > 0 && s->root_status < 0;
}

/* The program's own delivery of the signal may be seen before lanner's
 * handler has run: remember those for a moment. */
static bool seen_lately(struct ln_session *s, int sig, pid_t sender)
{
	uint64_t now = ln_now_mono();
	for (int i = 0; i < LN_MAX_FWD; i++)
		if (s->seen[i].sig == sig && s->seen[i].sender == sender &&
		    now - s->seen[i].due < 4 * LN_FWD_WAIT_MS * 1000000ull)
			return true;
	return false;
}

void ln_deliver_pending(struct ln_session *s)
{
	if (!pending_any)
		return;
	pending_any = 0;
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
		int sig = forwarded[i];
		pid_t sender = (pid_t)pending_sender[sig] - 1;
		bool tty = pending_tty[sig];
		pending_sender[sig] = 0;
		pending_tty[sig] = 0;
		bool stops = sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT;
		if ((sender >= 0 || tty) && !program_alive(s)) {
			if (stops)
				ln_trace_stop_all(s);	/* attached only: detach */
		} else if (sender >= 0 && s->nfwd < LN_MAX_FWD && !seen_lately(s, sig, sender)) {
			s->fwd[s->nfwd++] = (struct ln_fwd){ sig, sender,
				ln_now_mono() + LN_FWD_WAIT_MS * 1000000ull };
		}
	}
}

void ln_forward_due(struct ln_session *s, bool all)
{
	uint64_t now = ln_now_mono();
	for (int i = 0; i < s->nfwd;) {
		if (all || now >= s->fwd[i].due) {
			if (program_alive(s))
				kill(s->root_pid, s->fwd[i].sig);
			s->fwd[i] = s->fwd[--s->nfwd];
		} else {
			i++;
		}
	}
}

/* The program got the signal from this sender itself: no forward. */
void ln_forward_cancel(struct ln_session *s, int sig, pid_t sender)
{
	s->seen[s->nseen++ % LN_MAX_FWD] = (struct ln_fwd){ sig, sender, ln_now_mono() };
	for (int i = 0; i < s->nfwd; i++)
		if (s->fwd[i].sig == sig && s->fwd[i].sender == sender) {
			s->fwd[i] = s->fwd[--s->nfwd];
			return;
		}
}
