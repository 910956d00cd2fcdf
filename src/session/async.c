/*
 * async.c - rules off the stop path: a session with a queue traces on a
 * thread of its own and sends each event, with the state it refers to,
 * to the thread that calls ln_next, so that no stop waits while rules,
 * chisels and outputs run (issue #16, item 5).
 *
 * The queue is a pipe carrying a lanner capture stream (capture/write.c,
 * capture/read.c): the tracer's tables are journaled into it as they
 * change, and the reading side rebuilds them in a replica session, as a
 * replay does.  An event's fields therefore read the state as it was at
 * that event however far the tracer has run ahead, and the two threads
 * share no table and no lock per event.  (Shared tables with locks, and
 * events that copy what their fields might read: bench/RESULTS.md,
 * "Designs weighed".)
 *
 * The tracer sends what its writer gathered when 64 KB wait, when an
 * event has waited AGE_NS, at once for a held event, and before it sleeps
 * to a reader that has run dry (the flush handshake below).  A full pipe
 * makes it wait for room, or, in a queue that drops, keeps up to DROP_AT
 * bytes in the writer and then loses events, never the state changes
 * (those are journaled and go with the next event that is sent).
 *
 * ptrace answers only the thread that attached: spawning and attaching
 * are commands the tracer carries out before its loop starts (at the
 * first ln_next); a held event's thread stays stopped while the tracer
 * waits for its verdict (prevention decides before the call goes on,
 * queue or not); ln_stop_all during the loop is a request the wait loop
 * picks up on its next turn (tracer_hook), woken by a SIGALRM.
 *
 * Signals sent to lanner are the tracer's to forward (trace/signals.c):
 * the thread that starts it blocks them, and SIGALRM, until the session
 * is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "base/base.h"
#include "state/state.h"
#include "trace/trace.h"
#include "capture/capture.h"
#include "session/async.h"

enum {
	AGE_NS = 2000000,		/* the longest an event waits in the writer */
	DROP_AT = 64 * 1024,		/* a queue that drops: bytes kept beyond the pipe */
	DROP_FLUSH_EVERY = 64,		/* dropped events between two tries to send */
	ANSWER_WAIT_MS = 10000,		/* a verdict's result, from the tracer */
	STRANDED_MS = 10,		/* the reader's wait for stranded bytes */
	BATCH_MS = 2			/* the reader's quiet wait (ln_async_next) */
};

enum cmd { CMD_NONE = 0, CMD_SPAWN, CMD_ATTACH, CMD_STOP };

struct ln_async {
	struct ln_session *replica;
	bool drop;
	int rfd, wfd;
	pthread_t th;
	bool started, joined;
	pid_t tid;			/* the tracing thread */
	sigset_t oldmask;		/* the starting thread's, given back */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu: a command before the loop */
	int cmd;
	const char *const *argv;
	int pid, mode, result;
	bool go;			/* the loop may run: the first ln_next */
	/* under mu: a held event's verdict, and what it did */
	bool v_given, v_missing;
	int v_action, v_err;
	uint64_t v_num;
	uint64_t a_num;
	uint32_t a_flags;
	int64_t a_res;
	/* the tracer's own */
	int stop_req;			/* atomic: ln_stop_all was asked */
	pid_t tgid;			/* lanner's, set with tid */
	/* The flush handshake, both atomic: the tracer sends what waits in
	 * its writer before it sleeps only to a reader that is hungry (has
	 * read everything); else it leaves it stranded, and the reader that
	 * runs dry wakes it to send it.  So a tracer that sleeps between
	 * every two stops does not wake the reader at every one. */
	int hungry;
	int stranded;
	int reading;			/* atomic: the reader is at work, not in
					 * poll (trace/spin.c leaves it out of
					 * the load) */
	uint64_t oldest;		/* ts of the oldest unsent event, 0 none */
	uint64_t taken_num;		/* under mu: the last held event the reader took */
	bool closing;			/* under mu: the session is being freed */
	/* the reader's own */
	uint64_t held_num;		/* a held event handed out, not answered */
	bool fed;			/* it has had an event */
};

/* The caller's thread leaves these to the tracing thread: the signals
 * lanner forwards or acts on, its timer (trace/signals.c), and SIGCHLD,
 * which wakes the tracer's ppoll when the notification engine is on
 * (trace/notify.c): taken here, a stop's SIGCHLD would wake this thread
 * on another CPU and cut a chisel's sleep short.  The CLI starts
 * programs from this thread with its mask cleared (lanner.sigmask). */
static const int blocked_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD };

/* --- the tracing thread --- */

static void note_queue(struct ln_session *s)
{
	LN_STAT_SET(s, queue_waits, ln_cap_waits(s));
	LN_STAT_SET(s, queue_sent, ln_cap_sent(s));
}

static void send_all(struct ln_session *s, struct ln_async *a)
{
	ln_cap_stream_flush(s, true);
	a->oldest = 0;
	note_queue(s);
	__atomic_store_n(&a->stranded, 0, __ATOMIC_SEQ_CST);
}

/* The wait loop's turn (trace/stops.c). */
static void on_turn(struct ln_session *s, bool sleeping)
{
	struct ln_async *a = s->async;
	if (__atomic_exchange_n(&a->stop_req, 0, __ATOMIC_ACQ_REL))
		ln_trace_stop_all(s);
	if (!sleeping || !(a->oldest || ln_cap_backlog(s)))
		return;
	__atomic_store_n(&a->stranded, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&a->hungry, __ATOMIC_SEQ_CST))
		return;	/* the reader is busy: it wakes us when it runs dry */
	/* a queue that drops does not wait for room: what the pipe cannot
	 * take stays stranded, and the reader wakes us again for it */
	ln_cap_stream_flush(s, !a->drop);
	a->oldest = 0;
	note_queue(s);
	__atomic_store_n(&a->stranded, ln_cap_backlog(s) > 0, __ATOMIC_SEQ_CST);
}

/* The reader's side of stranded. */
static void wake_tracer(struct ln_session *s, struct ln_async *a)
{
	if (!a->joined && s->signals_installed)
		syscall(SYS_tgkill, a->tgid, a->tid, SIGALRM);
}

/* ms from now on clock (the condition variable's is CLOCK_MONOTONIC,
 * pthread_timedjoin_np's CLOCK_REALTIME). */
static void deadline_in(struct timespec *ts, int ms, clockid_t clock)
{
	clock_gettime(clock, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* A held event: sent at once, its thread left stopped until the reader's
 * verdict.  The reader may be a queue's length behind: the verdict's
 * LN_VERDICT_WAIT_MS (then denied, as without a queue) count from when
 * the reader takes the event, not from when it was sent. */
static void hold(struct ln_session *s, struct ln_async *a, ln_event *ev)
{
	ln_cap_stream_event(s, ev);
	send_all(s, a);
	struct timespec ts;
	bool timing = false;
	pthread_mutex_lock(&a->mu);
	while (!(a->v_given && a->v_num == ev->num) && !a->closing) {
		if (!timing && a->taken_num >= ev->num) {
			deadline_in(&ts, LN_VERDICT_WAIT_MS, CLOCK_MONOTONIC);
			timing = true;
		}
		if (!timing)
			pthread_cond_wait(&a->cv, &a->mu);
		else if (pthread_cond_timedwait(&a->cv, &a->mu, &ts) == ETIMEDOUT)
			break;
	}
	bool given = a->v_given && a->v_num == ev->num && !a->v_missing;
	int action = a->v_action, err = a->v_err;
	a->v_given = false;
	pthread_mutex_unlock(&a->mu);
	uint64_t num = ev->num;
	if (given)
		ln_trace_verdict(s, ev, action, err);
	else
		ln_verdict_missing(s);	/* says so, counts it, denies */
	pthread_mutex_lock(&a->mu);
	a->a_num = num;
	a->a_flags = ev->flags;
	a->a_res = ev->res;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

static void trace_loop(struct ln_session *s, struct ln_async *a)
{
	for (;;) {
		ln_event *ev;
		ln_proc_free_deferred(s);
		if (ln_trace_next(s, &ev, -1) != LN_NEXT_EVENT)
			return;
		if (ev->flags & LN_EV_HELD) {
			hold(s, a, ev);
			continue;
		}
		if (a->drop && ln_cap_backlog(s) >= DROP_AT) {
			LN_STAT_ADD(s, dropped, 1);
			/* the reader may be back: what waits goes on now and
			 * then, not only when the tracer next sleeps (a busy
			 * program would keep dropping to its end) */
			if (s->stats.dropped % DROP_FLUSH_EVERY == 0)
				ln_cap_stream_flush(s, false);
			continue;
		}
		ln_cap_stream_event(s, ev);
		note_queue(s);
		if (!ln_cap_backlog(s)) {
			a->oldest = 0;
			continue;
		}
		/* the event's own time: no clock read per event */
		uint64_t now = ev->ts;
		if (!a->oldest) {
			a->oldest = now;
		} else if (now - a->oldest >= AGE_NS || now < a->oldest) {
			ln_cap_stream_flush(s, !a->drop);
			a->oldest = ln_cap_backlog(s) ? now : 0;
		}
	}
}

static void run_command(struct ln_session *s, struct ln_async *a)
{
	switch (a->cmd) {
	case CMD_SPAWN:
		a->result = ln_trace_spawn(s, a->argv);
		break;
	case CMD_ATTACH:
		a->result = ln_trace_attach(s, a->pid, a->mode);
		break;
	case CMD_STOP:
		ln_trace_stop_all(s);
		a->result = 0;
		break;
	}
}

static void *tracer_main(void *arg)
{
	struct ln_session *s = arg;
	struct ln_async *a = s->async;
	sigset_t pipe;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);	/* a reader gone is EPIPE, not death */
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	pthread_mutex_lock(&a->mu);
	a->tid = (pid_t)syscall(SYS_gettid);
	a->tgid = getpid();	/* for the reader's wake-ups: one syscall each, not two */
	s->tracer_tid = a->tid;
	for (;;) {
		while (!a->cmd && !a->go)
			pthread_cond_wait(&a->cv, &a->mu);
		if (!a->cmd)
			break;
		run_command(s, a);
		a->cmd = CMD_NONE;
		pthread_cond_broadcast(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	s->tracer_hook = on_turn;
	trace_loop(s, a);
	s->tracer_hook = NULL;
	send_all(s, a);
	ln_cap_stream_close(s);	/* the reader's end of file */
	return NULL;
}

/* --- the caller's side --- */

int ln_async_new(struct ln_session *s, uint32_t bytes, bool drop)
{
	struct ln_async *a = calloc(1, sizeof(*a));
	int fds[2];
	if (!a)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		int err = -errno;
		ln_set_err(s, err, "the event queue: pipe");
		free(a);
		return err;
	}
	/* as large as asked, or as large as this user may make it */
	int size = bytes > (1u << 30) ? 1 << 30 : (int)bytes;
	while (fcntl(fds[1], F_SETPIPE_SZ, size) < 0 && size > 65536)
		size /= 2;
	int got = fcntl(fds[1], F_GETPIPE_SZ);
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	a->rfd = fds[0];
	a->wfd = fds[1];
	a->drop = drop;
	pthread_mutex_init(&a->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cv, &ca);
	pthread_condattr_destroy(&ca);
	a->replica = ln_session_new();
	int r = a->replica ? ln_cap_stream_open(s, a->wfd, drop) : -ENOMEM;
	if (r < 0)
		close(a->wfd);	/* else the writer owns it */
	if (r == 0 && (r = ln_cap_stream_reader(a->replica, a->rfd)) < 0)
		ln_cap_stream_close(s);
	if (r < 0) {
		ln_set_err(s, r, "the event queue: %s", a->replica ? ln_errmsg(a->replica) : "no memory");
		close(a->rfd);
		ln_session_free(a->replica);
		pthread_cond_destroy(&a->cv);
		pthread_mutex_destroy(&a->mu);
		free(a);
		return r;
	}
	s->async = a;
	s->replica = a->replica;
	a->reading = 1;
	s->spin.own_busy = &a->reading;
	LN_STAT_SET(s, queue_bytes, (uint64_t)(got > 0 ? got : 0) + (drop ? DROP_AT : 0));
	return 0;
}

static int start(struct ln_session *s, struct ln_async *a)
{
	if (a->started)
		return 0;
	int rc = pthread_create(&a->th, NULL, tracer_main, s);
	if (rc) {
		ln_set_err(s, -rc, "the tracing thread");
		return -rc;
	}
	a->started = true;
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(blocked_signals) / sizeof(blocked_signals[0]); i++)
		sigaddset(&set, blocked_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, &a->oldmask);
	return 0;
}

static int command(struct ln_session *s, int cmd)
{
	struct ln_async *a = s->async;
	pthread_mutex_lock(&a->mu);
	if (a->go) {
		pthread_mutex_unlock(&a->mu);
		ln_set_err(s, -EBUSY, "a session with a queue starts its programs before its first event");
		return -EBUSY;
	}
	a->cmd = cmd;
	pthread_cond_broadcast(&a->cv);
	while (a->cmd)
		pthread_cond_wait(&a->cv, &a->mu);
	int r = a->result;
	pthread_mutex_unlock(&a->mu);
	return r;
}

int ln_async_spawn(struct ln_session *s, const char *const *argv)
{
	int r = start(s, s->async);
	if (r < 0)
		return r;
	s->async->argv = argv;
	return command(s, CMD_SPAWN);
}

int ln_async_attach(struct ln_session *s, int pid, int mode)
{
	int r = start(s, s->async);
	if (r < 0)
		return r;
	s->async->pid = pid;
	s->async->mode = mode;
	return command(s, CMD_ATTACH);
}

void ln_async_stop_all(struct ln_session *s)
{
	struct ln_async *a = s->async;
	if (!a->started) {
		ln_trace_stop_all(s);	/* nothing traced yet */
		return;
	}
	pthread_mutex_lock(&a->mu);
	bool looping = a->go;
	pthread_mutex_unlock(&a->mu);
	if (!looping) {
		command(s, CMD_STOP);
		return;
	}
	__atomic_store_n(&a->stop_req, 1, __ATOMIC_RELEASE);
	/* out of a waitpid that would sleep on (signals.c's handler: EINTR) */
	wake_tracer(s, a);
}

/* A stop asked for is sent again until the tracer has it: one SIGALRM
 * may land between its last look and its waitpid. */
static void join(struct ln_session *s, struct ln_async *a)
{
	if (!a->started || a->joined)
		return;
	for (;;) {
		struct timespec ts;
		deadline_in(&ts, STRANDED_MS, CLOCK_REALTIME);
		if (pthread_timedjoin_np(a->th, NULL, &ts) == 0)
			break;
		if (__atomic_load_n(&a->stop_req, __ATOMIC_ACQUIRE))
			wake_tracer(s, a);
	}
	a->joined = true;
}

/* Tell the tracer the verdict on its held event and wait for what it did. */
static int answer(struct ln_async *a, ln_event *ev, int action, int err, bool missing)
{
	struct timespec ts;
	deadline_in(&ts, ANSWER_WAIT_MS, CLOCK_MONOTONIC);
	pthread_mutex_lock(&a->mu);
	a->v_action = action;
	a->v_err = err;
	a->v_missing = missing;
	a->v_num = a->held_num;
	a->v_given = true;
	pthread_cond_broadcast(&a->cv);
	int rc = 0;
	/* event numbers only grow: a later answer means this one was
	 * decided without us (no verdict in time: denied) */
	while (a->a_num < a->held_num && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&a->cv, &a->mu, &ts);
	if (ev && a->a_num == a->held_num) {
		ev->flags = a->a_flags;
		ev->res = a->a_res;
	} else if (ev && a->a_num > a->held_num) {
		ev->flags = (ev->flags & ~(uint32_t)(LN_EV_HELD | LN_EV_PRE)) | LN_EV_DECIDED | LN_EV_DENIED;
	}
	pthread_mutex_unlock(&a->mu);
	a->held_num = 0;
	return rc == ETIMEDOUT ? -ETIMEDOUT : 0;
}

int ln_async_verdict(struct ln_session *s, ln_event *ev, int action, int err)
{
	struct ln_async *a = s->async;
	if (!ev || !a->held_num || ev->num != a->held_num || !(ev->flags & LN_EV_HELD)) {
		ln_set_err(s, -EINVAL, "ln_verdict: this event is not held");
		return -EINVAL;
	}
	if (answer(a, ev, action, err, false) < 0) {
		ln_set_err(s, -ETIMEDOUT, "ln_verdict: the tracer did not answer");
		return -ETIMEDOUT;
	}
	return 0;
}

int ln_async_next(struct ln_session *s, ln_event **ev, int timeout_ms)
{
	struct ln_async *a = s->async;
	struct ln_session *r = a->replica;
	if (a->held_num)
		answer(a, NULL, LN_ACT_DENY, EPERM, true);	/* never answered: denied */
	if (!a->started || a->joined)
		return LN_NEXT_DONE;
	pthread_mutex_lock(&a->mu);
	if (!a->go) {
		a->go = true;
		pthread_cond_broadcast(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	ln_proc_free_deferred(r);
	uint64_t deadline = timeout_ms > 0 ? ln_now_mono() + (uint64_t)timeout_ms * 1000000u : 0;
	int k;
	/* Nothing to read (or state blocks with no event after them yet):
	 * first a quiet wait of BATCH_MS, in which a busy tracer sends what
	 * it gathered (64 KB, or an event AGE_NS old); only then hungry, and
	 * the tracer woken if it sleeps on bytes for us.  A reader that asked
	 * at once would be woken for every event or two.  Never longer than
	 * the caller said.  Not before the first event: the reader has
	 * nothing else to do then, and a short run's first events (the rules
	 * of each type assembled as it comes) would wait BATCH_MS for it. */
	bool quiet = a->fed;
	while ((k = ln_cap_next(r, ev)) == LN_NEXT_TIMEOUT) {
		int ms = timeout_ms;
		if (deadline) {
			uint64_t now = ln_now_mono();
			if (now >= deadline)
				return LN_NEXT_TIMEOUT;
			ms = (int)((deadline - now + 999999) / 1000000);
		}
		int wait = ms;
		if (quiet) {
			if (wait < 0 || wait > BATCH_MS)
				wait = BATCH_MS;
		} else {
			__atomic_store_n(&a->hungry, 1, __ATOMIC_SEQ_CST);
			/* it sleeps on what we want, or on a stop it missed */
			if (__atomic_load_n(&a->stranded, __ATOMIC_SEQ_CST) ||
			    __atomic_load_n(&a->stop_req, __ATOMIC_ACQUIRE)) {
				wake_tracer(s, a);
				if (wait < 0 || wait > STRANDED_MS)
					wait = STRANDED_MS;
			}
		}
		struct pollfd p = { ln_cap_reader_fd(r), POLLIN, 0 };
		__atomic_store_n(&a->reading, 0, __ATOMIC_RELAXED);
		/* SIGCHLD held off while it sleeps: a ptrace stop's SIGCHLD
		 * that the busy tracer blocks must not wake this thread on
		 * another CPU (the notification engine, trace/notify.c); it
		 * waits for the tracer's ppoll, or for this thread's return */
		sigset_t sleeping;
		pthread_sigmask(SIG_SETMASK, NULL, &sleeping);
		sigaddset(&sleeping, SIGCHLD);
		struct timespec tw = { wait / 1000, (long)(wait % 1000) * 1000000 };
		int n = ppoll(&p, 1, wait < 0 ? NULL : &tw, &sleeping);
		__atomic_store_n(&a->reading, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&a->hungry, 0, __ATOMIC_SEQ_CST);
		if (n == 0 && timeout_ms != 0 && (quiet || wait != timeout_ms)) {
			quiet = false;
			continue;	/* not the caller's timeout yet */
		}
		if (n == 0 || (n < 0 && errno != EINTR && timeout_ms >= 0))
			return LN_NEXT_TIMEOUT;
		quiet = true;
		if (n > 0 && (k = ln_cap_fill(r)) < 0) {
			ln_set_err(r, k, "reading the event queue");
			k = LN_NEXT_ERROR;
			break;
		}
	}
	if (k == LN_NEXT_EVENT) {
		a->fed = true;
		if ((*ev)->flags & LN_EV_HELD) {
			a->held_num = (*ev)->num;
			pthread_mutex_lock(&a->mu);
			a->taken_num = a->held_num;	/* its verdict's time starts */
			pthread_cond_broadcast(&a->cv);
			pthread_mutex_unlock(&a->mu);
		}
		return k;
	}
	if (k == LN_NEXT_ERROR) {
		/* nobody reads the queue now: the tracer must not wait for room */
		ln_set_err(s, 0, "%s", ln_errmsg(r));
		ln_async_stop_all(s);
		ln_cap_free_reader(r);
	}
	join(s, a);
	return k;
}

void ln_async_free(struct ln_session *s)
{
	struct ln_async *a = s->async;
	if (!a)
		return;
	if (a->started && !a->joined) {
		pthread_mutex_lock(&a->mu);
		a->go = true;
		a->closing = true;	/* a held thread waits for no verdict now */
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		ln_async_stop_all(s);
		ln_cap_free_reader(a->replica);	/* a writer waiting for room: EPIPE */
		join(s, a);
	}
	if (a->started)
		pthread_sigmask(SIG_SETMASK, &a->oldmask, NULL);
	else
		ln_cap_stream_close(s);	/* the writer never ran */
	/* the replica's threads were never its tracees: nothing to reap
	 * (its waitpid would take the host's children) */
	a->replica->ntracees = 0;
	ln_session_free(a->replica);	/* the reader and the pipe's read end */
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	s->replica = NULL;
	s->async = NULL;
	free(a);
}
