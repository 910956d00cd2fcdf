/*
 * session.c - the API on top: a session, what it traces, where its events
 * come from (the trace loop or a capture being replayed, chosen once),
 * and the state tables as Lua sees them.  The layers below are in base/,
 * table/, state/, decode/, trace/, capture/ and render/
 * (doc/architecture.md).
 *
 * Every tracee is PTRACE_SEIZE'd (so group-stops can be told apart from
 * signals and job control keeps working); launched ones with EXITKILL
 * (nothing survives lanner half-traced).
 */
#include <errno.h>
#include <linux/ptrace.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "base/base.h"
#include "table/table.h"
#include "state/state.h"
#include "trace/trace.h"
#include "capture/capture.h"
#include "session/async.h"

#define pt ln_ptrace

LN_API const char *ln_errmsg(ln_session *s)
{
	return s->errmsg;
}

LN_API ln_session *ln_session_new(void)
{
	ln_table_init();
	struct ln_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->snaplen = LN_DEFAULT_SNAPLEN;
	s->root_status = -1;
	s->refuse = LN_REFUSE_LISTENER;
	s->have_caps = ln_have_cap_sys_admin();
	s->keep_fd_below = ln_keep_fd_below();
	s->type_counts = calloc((size_t)ln_ntypes(), sizeof(uint64_t));
	s->type_counts_view = calloc((size_t)ln_ntypes(), sizeof(uint64_t));
	if (!s->type_counts || !s->type_counts_view) {
		free(s->type_counts);
		free(s->type_counts_view);
		free(s);
		return NULL;
	}
	s->pseudo_thread.proc = NULL;
	s->next_event = ln_trace_next;
	ln_spin_init(&s->spin, LN_DEFAULT_POLL_US * 1000u);
	s->notif.want = true;
	s->notif.fd = s->notif.wake_r = s->notif.wake_w = -1;
	s->notif.spare[0] = s->notif.spare[1] = -1;
	return s;
}

LN_API void ln_session_free(ln_session *s)
{
	if (!s)
		return;
	ln_async_free(s);	/* its thread ended: what it traced is gone */
	ln_stop_all(s);
	/* reap what ln_stop_all killed so no zombie or stopped tracee stays */
	int status;
	while (s->ntracees > 0 && !s->capr && !s->scapr) {	/* replayed threads are not ours */
		pid_t pid = waitpid(-1, &status, __WALL);
		if (pid < 0 && errno != EINTR)
			break;
		struct ln_tstate *t = pid > 0 ? ln_thread_find(s, pid) : NULL;
		if (t && (WIFEXITED(status) || WIFSIGNALED(status)))
			ln_thread_gone(s, t);
		else if (t && WIFSTOPPED(status) && ln_detach_if_leaving(s, t, status))
			continue;
		else if (pid > 0 && WIFSTOPPED(status))
			pt(PTRACE_CONT, pid, 0, 0);
	}
	ln_capture_close(s);
	ln_cap_free_reader(s);
	ln_notif_free(s);
	ln_restore_signals(s);
	ln_state_free_all(s);
	free(s->preds);
	free(s->denies);
	ln_guard_free(s);
	ln_spin_free(&s->spin);
	free(s->type_counts);
	free(s->type_counts_view);
	free(s);
}

LN_API int ln_trace_type(ln_session *s, int type, int mode)
{
	const ln_type_info *ti = ln_type(type);
	if (!ti || mode < LN_TRACE_NONE || mode > LN_TRACE_EXIT) {
		ln_set_err(s, -EINVAL, "ln_trace_type: bad type %d or mode %d", type, mode);
		return -EINVAL;
	}
	/* exit and exit_group never return: an exit stop would never come */
	if (mode == LN_TRACE_EXIT && (!strcmp(ti->name, "exit") || !strcmp(ti->name, "exit_group")))
		mode = LN_TRACE_ENTRY;
	s->mode[type] = (uint8_t)mode;
	return 0;
}

LN_API int ln_trace_arg(ln_session *s, int type, int arg, uint64_t mask, uint64_t value, int mode)
{
	const ln_type_info *ti = ln_type(type);
	if (!ti || arg < 0 || arg > 5 || mode < LN_TRACE_ENTRY || mode > LN_TRACE_EXIT) {
		ln_set_err(s, -EINVAL, "ln_trace_arg: bad arguments");
		return -EINVAL;
	}
	struct ln_argpred *v = realloc(s->preds, (size_t)(s->npreds + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->preds = v;
	v[s->npreds++] = (struct ln_argpred){ (uint16_t)type, (uint8_t)arg, (uint8_t)mode, mask, value };
	return 0;
}

LN_API void ln_set_cpu_policy(ln_session *s, int policy)
{
	s->cpu_policy = policy;
}

LN_API void ln_set_want_cpu(ln_session *s, int on)
{
	s->want_cpu = on != 0;
}

LN_API void ln_set_want_vm(ln_session *s, int on)
{
	s->want_vm = on != 0;
}

LN_API void ln_set_poll(ln_session *s, int us)
{
	ln_spin_init(&s->spin, us > 0 ? (uint32_t)us * 1000u : 0);
	s->poll_set = true;	/* the user's poll: whatever the load (spin.c) */
}

LN_API void ln_set_fd_tracking(ln_session *s, int full)
{
	s->fd_lazy = !full;
}

LN_API void ln_set_upper_layer_check(ln_session *s, int on)
{
	s->no_upper_check = !on;
}

/* Clamped rather than refused: a larger snaplen would make events that
 * no capture reader accepts (LN_CAP_MAX_BLOCK). */
LN_API void ln_set_snaplen(ln_session *s, uint32_t snaplen)
{
	s->snaplen = snaplen < LN_MAX_SNAPLEN ? snaplen : LN_MAX_SNAPLEN;
}

/* Snapshots: with a queue the counters move on the tracing thread while
 * this one reads them (LN_STAT_ADD in core.h). */
_Static_assert(sizeof(ln_stats) % sizeof(uint64_t) == 0, "ln_stats holds uint64_t counters only");

LN_API const ln_stats *ln_get_stats(ln_session *s)
{
	const uint64_t *from = (const uint64_t *)&s->stats;
	uint64_t *to = (uint64_t *)&s->stats_view;
	for (size_t i = 0; i < sizeof(s->stats) / sizeof(uint64_t); i++)
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
	return &s->stats_view;
}

LN_API const uint64_t *ln_type_counts(ln_session *s)
{
	for (int i = 0; i < ln_ntypes(); i++)
		s->type_counts_view[i] = __atomic_load_n(&s->type_counts[i], __ATOMIC_RELAXED);
	return s->type_counts_view;
}

LN_API int ln_exit_status(ln_session *s)
{
	return s->root_status;
}

LN_API void ln_set_keep(ln_session *s, int keep)
{
	s->keep = keep != 0;
}

/* --- where events come from --- */

/* A capture's events count as a live run's do. */
static int replay_next(struct ln_session *s, ln_event **ev, int timeout_ms)
{
	(void)timeout_ms;	/* a file never keeps the reader waiting */
	int r = ln_cap_next(s, ev);
	if (r == LN_NEXT_EVENT) {
		LN_STAT_ADD(s, events, 1);
		LN_COUNT_TYPE(s, (*ev)->type);
	}
	return r;
}

LN_API int ln_capture_read(ln_session *s, const char *path)
{
	int r = ln_cap_open_reader(s, path);
	if (r == 0)
		s->next_event = replay_next;
	return r;
}

LN_API int ln_next(ln_session *s, ln_event **ev, int timeout_ms)
{
	if (s->async)
		return ln_async_next(s, ev, timeout_ms);
	ln_proc_free_deferred(s);
	ln_verdict_missing(s);	/* a held event never answered: denied */
	return s->next_event(s, ev, timeout_ms);
}

/* --- where the tracing runs --- */

LN_API int ln_set_queue(ln_session *s, uint32_t bytes, int drop)
{
	if (s->async || s->ntracees || s->capr || s->scapr) {
		ln_set_err(s, -EBUSY, "ln_set_queue: once, before ln_spawn or ln_attach");
		return -EBUSY;
	}
	/* the stream's header and first tables go into the pipe before any
	 * reader: a smaller one would never take them */
	if (bytes && bytes < LN_MIN_QUEUE) {
		ln_set_err(s, -EINVAL, "ln_set_queue: %u bytes: 0, or at least %u", bytes, (unsigned)LN_MIN_QUEUE);
		return -EINVAL;
	}
	return bytes ? ln_async_new(s, bytes, drop != 0) : 0;
}

LN_API int ln_spawn(ln_session *s, const char *const *argv)
{
	return s->async ? ln_async_spawn(s, argv) : ln_trace_spawn(s, argv);
}

LN_API int ln_attach(ln_session *s, int pid, int mode)
{
	return s->async ? ln_async_attach(s, pid, mode) : ln_trace_attach(s, pid, mode);
}

LN_API void ln_stop_all(ln_session *s)
{
	if (s->async)
		ln_async_stop_all(s);
	else
		ln_trace_stop_all(s);
}

LN_API int ln_verdict(ln_session *s, ln_event *ev, int action, int err)
{
	return s->async ? ln_async_verdict(s, ev, action, err) : ln_trace_verdict(s, ev, action, err);
}

/* --- state access for Lua: with a queue, the replica's tables --- */

LN_API ln_thread *ln_thread_get(ln_session *s, int tid)
{
	if (s->replica)
		s = s->replica;
	struct ln_tstate *t = ln_thread_find(s, tid);
	return t ? &t->pub : NULL;
}

LN_API ln_proc *ln_proc_get(ln_session *s, int pid)
{
	if (s->replica)
		s = s->replica;
	struct ln_pstate *p = ln_proc_find(s, pid);
	return p ? &p->pub : NULL;
}

LN_API ln_proc *ln_proc_next(ln_session *s, ln_proc *prev)
{
	if (s->replica)
		s = s->replica;
	struct ln_pstate *p = prev ? ((struct ln_pstate *)prev)->lnext : s->plist;
	return p ? &p->pub : NULL;
}

LN_API ln_fd *ln_fd_get(ln_session *s, ln_proc *pp, int fd)
{
	struct ln_pstate *p = (struct ln_pstate *)pp;
	(void)s;
	return p ? ln_fd_at(p, fd) : NULL;
}

LN_API ln_fd *ln_fd_next(ln_session *s, ln_proc *pp, ln_fd *prev)
{
	struct ln_pstate *p = (struct ln_pstate *)pp;
	(void)s;
	return p ? ln_fd_after(p, prev ? prev->num : -1) : NULL;
}
