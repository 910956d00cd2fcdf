/*
 * verdict.c - prevention: holding a thread for a verdict, and applying it.
 *
 * Every other event is handed out after its thread was resumed.  A call of
 * a type a prevention rule can match (ln_hold_type) is handed out with
 * LN_EV_HELD instead, its thread left stopped until ln_verdict().  Where it
 * is held decides what the verdict can rest on:
 *
 * - an exec: at the exit stop, on /proc/PID/exe, which no thread can change
 *   any more; a denied exec kills the new image before its first
 *   instruction (an exec cannot be undone);
 * - every other call (open, unlink, rename, chmod...): at the entry stop,
 *   its paths pinned first (pathguard.c), so the kernel reads exactly what
 *   the rules were shown.  An open allowed there is looked at again at its
 *   exit, on the name the kernel resolved (a symlink may have led it
 *   elsewhere): if refused then, its fd is closed inside the program (an
 *   injected close) and it returns -errno.  An exec's paths are pinned
 *   too, for evt.arg.*.
 *
 * A held event left without a verdict when ln_next is called again (the
 * caller raised, or forgot) is denied: holding fails closed.
 *
 * Rules whose whole condition is integer comparisons of registers become
 * filter verdicts (ln_deny_call): filter.c turns them into seccomp actions,
 * and a call that still stops here (its type traced for something else,
 * or its event wanted for the alert) is refused on the same comparisons,
 * with no Lua in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "trace/trace.h"

LN_API int ln_hold_type(ln_session *s, int type)
{
	if (type < 0 || type >= ln_ntypes() || type >= (int)sizeof(s->hold)) {
		ln_set_err(s, -EINVAL, "ln_hold_type: no event type %d", type);
		return -EINVAL;
	}
	s->hold[type] = 1;
	return 0;
}

LN_API int ln_deny_call(ln_session *s, int type, int n, const ln_argcmp *cmp, int action, int err, int alert)
{
	if (type < 0 || type >= ln_ntypes() || ln_type(type)->nr < 0) {
		ln_set_err(s, -EINVAL, "ln_deny_call: no syscall type %d", type);
		return -EINVAL;
	}
	if (n < 0 || n > 6 || (n && !cmp) || action < LN_ACT_DENY || action > LN_ACT_KILL_TREE ||
	    err < 0 || err > 4095) {
		ln_set_err(s, -EINVAL, "ln_deny_call(%s): bad comparisons, action or errno", ln_type(type)->name);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++)
		if (cmp[i].arg > 5) {
			ln_set_err(s, -EINVAL, "ln_deny_call(%s): no argument %u", ln_type(type)->name, cmp[i].arg);
			return -EINVAL;
		}
	struct ln_denyrule *d = realloc(s->denies, (size_t)(s->ndenies + 1) * sizeof(*d));
	if (!d) {
		ln_set_err(s, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	s->denies = d;
	d += s->ndenies++;
	*d = (struct ln_denyrule){ .type = (uint16_t)type, .action = (uint8_t)action, .alert = alert != 0,
				   .err = err ? err : EPERM, .n = n };
	memcpy(d->cmp, cmp, (size_t)n * sizeof(*cmp));
	return 0;
}

bool ln_deny_rules_for(struct ln_session *s, int type)
{
	for (int i = 0; i < s->ndenies; i++)
		if (s->denies[i].type == type)
			return true;
	return false;
}

/* The filter verdict a call meets, from its registers (a 32-bit call's
 * cut to 32 bits, as the filter compares them), or NULL.  On an ABI where
 * the registers do not line up with the native call's, the comparisons
 * cannot be checked: the first rule of the type holds (fail closed). */
static const struct ln_denyrule *deny_match(struct ln_session *s, struct ln_tstate *t, int type)
{
	bool lined_up = !t->compat || ln_preds_hold_in(ln_type(type)->name, true);
	for (int i = 0; i < s->ndenies; i++) {
		const struct ln_denyrule *d = &s->denies[i];
		if (d->type != type)
			continue;
		bool all = true;
		for (int k = 0; all && lined_up && k < d->n; k++)
			all = (t->ev.rawargs[d->cmp[k].arg] & d->cmp[k].mask) == d->cmp[k].value;
		if (all)
			return d;
	}
	return NULL;
}

/* SIGKILL to the caller's process, or to every process lanner traces.
 * The process table also holds ancestors known from /proc that lanner
 * does not trace (its own among them): never those. */
static void kill_for(struct ln_session *s, struct ln_tstate *t, int action)
{
	ln_proc *p = t->pub.proc;
	if (action == LN_ACT_KILL_TREE) {
		/* and children made but not seen yet: at their first stop */
		s->tree_killed = true;
		for (int i = 0; i < LN_CREATORS; i++)
			if (s->creators[i].child > 0)
				kill(s->creators[i].child, SIGKILL);
		for (struct ln_pstate *q = s->plist; q; q = q->lnext)
			if (!q->dead && q->pub.pid > 0 && q->pub.pid != getpid() &&
			    !(q->pub.flags & (LN_PROC_EXITED | LN_PROC_UNTRACED)) && q->pub.nthreads > 0)
				kill(q->pub.pid, SIGKILL);
	} else if (p && p->pid > 0) {
		kill(p->pid, SIGKILL);
	}
	LN_STAT_ADD(s, killed, 1);
}

/* Refuse the call t is stopped at the entry of. */
static void refuse_entry(struct ln_session *s, struct ln_tstate *t, int err)
{
	if (t->syscall_mode) {
		/* without a filter the result can only be set at the exit */
		if (ln_arch_skip_syscall(t->pub.tid) == 0)
			t->deny_err = err;
	} else {
		ln_arch_deny_syscall(t->pub.tid, err);
	}
	t->ev.res = -err;
	t->ev.has_res = 1;
	LN_STAT_ADD(s, denied, 1);
}

/* The calls decided at their exit only: an exec, once the kernel has
 * loaded the image.  Every open is decided at its entry on its pinned,
 * absolute name (so that a refused one never makes an fd, which another
 * thread sharing the fd table could dup before lanner closes it), and an
 * open allowed there again at its exit on the name the kernel resolved. */
static bool decided_at_exit(const ln_event *ev)
{
	return ln_type(ev->type)->flags & LN_TF_EXEC;
}

static void hand_out_held(struct ln_session *s, struct ln_tstate *t, int where)
{
	t->held = (int8_t)where;
	t->ev.flags |= LN_EV_HELD;
	s->held_t = t;
	s->held_since = ln_now_mono();
	s->tracer_tid = (pid_t)syscall(SYS_gettid);
	s->v_pending = 0;
	LN_STAT_ADD(s, held, 1);
}

int ln_hold_entry(struct ln_session *s, struct ln_tstate *t, int mode, int *dead)
{
	ln_event *ev = &t->ev;
	ev->flags = 0;
	t->vflags = 0;
	t->pin_err = 0;
	const struct ln_denyrule *d = s->ndenies ? deny_match(s, t, ev->type) : NULL;
	if (d) {
		refuse_entry(s, t, d->err);
		ev->flags = LN_EV_DENIED | LN_EV_BY_FILTER | LN_EV_DECIDED;
		if (d->action != LN_ACT_DENY) {
			kill_for(s, t, d->action);
			ev->flags |= LN_EV_KILLED;
			mode = LN_TRACE_ENTRY;
		}
		t->entry_mono = ln_now_mono();
		if (mode == LN_TRACE_EXIT) {
			/* the event comes from the exit, with the errno */
			t->vflags = ev->flags;
			t->phase = LN_PH_IN_SYSCALL;
			t->want_exit = true;
			ln_resume(t, 0);
			return -1;
		}
		ln_event_attach_fd(s, t, ev);
		ln_event_finish(s, t);
		ln_resume(t, 0);
		return 1;
	}
	if (!s->hold[ev->type])
		return 0;
	/* Paths pinned for the call even where the verdict waits for the
	 * exit: evt.arg.* then say what the kernel was given, not what the
	 * program's memory held when lanner read it. */
	int r = ln_pin_paths(s, t, dead);
	if (r == 1) {
		ln_resume(t, 0);	/* restarted: it stops again, area mapped */
		return -1;
	}
	if (r == 2) {
		/* died or exec'd while the area was mapped in: stops.c sees
		 * that wait status next */
		s->redo_pid = t->pub.tid;
		s->redo_status = *dead;
		return -1;
	}
	if (decided_at_exit(ev)) {
		/* the verdict rests on the kernel's names: a path that could
		 * not be pinned only leaves evt.arg.* as read */
		if (r < 0)
			ln_pin_release(s, t, true);
		return 0;
	}
	if (r < 0)
		t->pin_err = -r;	/* no verdict can allow it (ln_verdict) */
	t->entry_mono = ln_now_mono();
	t->held_mode = (int8_t)mode;
	if (mode == LN_TRACE_EXIT)
		ev->flags |= LN_EV_PRE;
	ln_event_attach_fd(s, t, ev);
	ln_event_finish(s, t);
	hand_out_held(s, t, LN_HELD_ENTRY);
	return 1;
}

int ln_hold_exit(struct ln_session *s, struct ln_tstate *t)
{
	ln_event *ev = &t->ev;
	ev->flags = t->vflags;
	t->vflags = 0;
	/* An open allowed at its entry on the name it was given is looked at
	 * again on the name the kernel resolved: a symlink may have led it
	 * into a protected place.  What O_CREAT or O_TRUNC did there is done,
	 * but the program gets no fd to write through. */
	bool again = (ev->flags & LN_EV_DECIDED) && !(ev->flags & LN_EV_DENIED) &&
		(ln_type(ev->type)->flags & LN_TF_OPEN);
	if (!s->hold[ev->type] || (!again && ((ev->flags & LN_EV_DECIDED) || !decided_at_exit(ev))))
		return 0;
	bool exec = ln_type(ev->type)->flags & LN_TF_EXEC;
	/* a failed call did nothing: nothing to decide */
	if (ev->res < 0 || (exec && ev->res != 0))
		return 0;
	t->phase = LN_PH_RUNNING;
	t->want_exit = false;
	hand_out_held(s, t, LN_HELD_EXIT);
	return 1;
}

/* A denied open that succeeded: its fd closed inside the program (an
 * injected close, from this exit stop), and -err returned instead. */
static int undo_open(struct ln_session *s, struct ln_tstate *t, int err)
{
	ln_event *ev = &t->ev;
	struct ln_inj j = { .tid = t->pub.tid, .first = false };
	if (ln_arch_get_regs(t->pub.tid, &j.saved) < 0)
		return -ESRCH;
	bool broken = false;
	ln_inj_call(&j, LN_NR_CLOSE, (uint64_t)ev->res, 0, 0, 0, 0, 0, &broken);
	if (broken) {
		if (j.handback) {
			s->redo_pid = t->pub.tid;
			s->redo_status = j.status;
		} else {
			kill(t->pub.proc ? t->pub.proc->pid : t->pub.tid, SIGKILL);
		}
		return -ESRCH;
	}
	ln_arch_set_regs(t->pub.tid, &j.saved);
	ln_arch_set_return(t->pub.tid, -err);
	ln_inj_resend(&j, t->pub.proc ? t->pub.proc->pid : t->pub.tid);
	if (t->pub.proc)
		ln_fd_del((struct ln_pstate *)t->pub.proc, (int)ev->res);
	ev->res = -err;
	LN_STAT_ADD(s, denied, 1);
	return 0;
}

static void verdict_exit(struct ln_session *s, struct ln_tstate *t, int action, int err)
{
	ln_event *ev = &t->ev;
	bool exec = ln_type(ev->type)->flags & LN_TF_EXEC;
	/* the injected close is a native call: a 32-bit open cannot be
	 * undone that way, and is refused by killing (fail closed) */
	if (action == LN_ACT_DENY && t->compat)
		action = LN_ACT_KILL;
	/* With other threads sharing the fd table, one of them could dup the
	 * fd between the open's return and lanner's close (or swap another
	 * file under its number before lanner's look): no undo is safe, so the
	 * refusal kills, failing closed. */
	if (action == LN_ACT_DENY && !exec && t->pub.proc && t->pub.proc->nthreads > 1)
		action = LN_ACT_KILL;
	if (action == LN_ACT_DENY && !exec) {
		if (undo_open(s, t, err) < 0)
			return;		/* gone, or killed: not resumed */
		ev->flags |= LN_EV_DENIED;
	} else if (action != LN_ACT_ALLOW) {
		/* the old image is gone: killing the new one before its first
		 * instruction is the only refusal left */
		kill_for(s, t, action == LN_ACT_DENY ? LN_ACT_KILL : action);
		ev->flags |= LN_EV_KILLED;
	}
	ln_resume(t, 0);
}

static void verdict_entry(struct ln_session *s, struct ln_tstate *t, int action, int err)
{
	ln_event *ev = &t->ev;
	if (action == LN_ACT_ALLOW) {
		t->vflags = LN_EV_DECIDED;
		if (t->held_mode == LN_TRACE_EXIT) {
			t->phase = LN_PH_IN_SYSCALL;
			t->want_exit = true;
		} else if (t->pin_slot) {
			t->phase = LN_PH_UNPIN;	/* registers back at the exit */
			t->want_exit = true;
		}
		ln_resume(t, 0);
		return;
	}
	ln_pin_release(s, t, true);
	refuse_entry(s, t, err);
	ev->flags |= LN_EV_DENIED;
	if (action != LN_ACT_DENY) {
		kill_for(s, t, action);
		ev->flags |= LN_EV_KILLED;
	}
	t->vflags = ev->flags | LN_EV_DECIDED;
	t->vflags &= ~(uint32_t)(LN_EV_HELD | LN_EV_PRE);
	if (t->held_mode == LN_TRACE_EXIT && action == LN_ACT_DENY) {
		t->phase = LN_PH_IN_SYSCALL;
		t->want_exit = true;
	}
	ln_resume(t, 0);
}

int ln_trace_verdict(struct ln_session *s, ln_event *ev, int action, int err)
{
	struct ln_tstate *t = s->held_t;
	if (!t || !ev || ev != &t->ev) {
		ln_set_err(s, -EINVAL, "ln_verdict: this event is not held");
		return -EINVAL;
	}
	if (action < LN_ACT_ALLOW || action > LN_ACT_KILL_TREE || err < 0 || err > 4095) {
		action = LN_ACT_DENY;	/* a bad verdict still resumes: closed */
		err = EPERM;
	}
	if (!err)
		err = EPERM;
	if (t->pin_err && action == LN_ACT_ALLOW) {
		action = LN_ACT_DENY;	/* its paths could not be pinned */
		err = t->pin_err;
	}
	/* ptrace answers only the tracing thread: a verdict given in another
	 * (rules evaluated off the stop path, issue #16) is applied by the
	 * tracer's wait loop (ln_verdict_pending) */
	if ((pid_t)syscall(SYS_gettid) != s->tracer_tid) {
		s->v_action = (int8_t)action;
		s->v_err = err;
		s->v_num = ev->num;	/* for this held event, not the next one */
		__atomic_store_n(&s->v_pending, 1, __ATOMIC_RELEASE);
		return 0;
	}
	s->held_t = NULL;
	ev->flags &= ~(uint32_t)LN_EV_HELD;
	int where = t->held;
	t->held = LN_HELD_NO;
	if (where == LN_HELD_EXIT)
		verdict_exit(s, t, action, err);
	else
		verdict_entry(s, t, action, err);
	return 0;
}

void ln_verdict_pending(struct ln_session *s)
{
	struct ln_tstate *t = s->held_t;
	if (!t)
		return;
	if (__atomic_load_n(&s->v_pending, __ATOMIC_ACQUIRE)) {
		s->v_pending = 0;
		if (s->v_num == t->ev.num) {
			ln_trace_verdict(s, &t->ev, s->v_action, s->v_err);
			return;
		}
	}
	if (ln_now_mono() - s->held_since > (uint64_t)LN_VERDICT_WAIT_MS * 1000000u) {
		ln_verdict_missing(s);	/* fails closed */
	}
}

void ln_verdict_missing(struct ln_session *s)
{
	struct ln_tstate *t = s->held_t;
	if (!t)
		return;
	/* a verdict given from another thread that the wait loop has not
	 * applied yet is the answer, not a missing one */
	if (__atomic_load_n(&s->v_pending, __ATOMIC_ACQUIRE) && s->v_num == t->ev.num) {
		s->v_pending = 0;
		ln_trace_verdict(s, &t->ev, s->v_action, s->v_err);
		return;
	}
	LN_STAT_ADD(s, no_verdict, 1);
	fprintf(stderr, "lanner: no verdict on held event %llu (%s, tid %d): denied\n",
		(unsigned long long)t->ev.num, ln_type(t->ev.type)->name, t->pub.tid);
	ln_trace_verdict(s, &t->ev, LN_ACT_DENY, EPERM);
}

bool ln_unpin_exit(struct ln_session *s, struct ln_tstate *t, bool at_exit, int64_t rval)
{
	if (!t->pin_slot || !at_exit)
		return false;
	/* a successful exec's registers are the new image's: leave them */
	bool execd = (ln_type(t->ev.type)->flags & LN_TF_EXEC) && rval == 0;
	ln_pin_release(s, t, !execd);
	if (t->phase != LN_PH_UNPIN)
		return false;
	t->phase = LN_PH_RUNNING;
	t->want_exit = false;
	ln_resume(t, 0);
	return true;
}
