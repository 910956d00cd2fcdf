/*
 * clone3.c - CLONE_UNTRACED must not be a way out, and clone3 keeps its
 * flags in memory.
 *
 * clone's flags are a register: the seccomp filter refuses CLONE_UNTRACED
 * itself.  clone3's are in a struct clone_args that the kernel reads after
 * lanner's look at the entry stop, so another thread can set the flag in
 * between (spec/progs/inv_untraced race): the child then starts with no
 * tracer, and only clone3's exit stop could seize it, after it ran.
 *
 * So at the entry stop lanner reads clone_args once and, when clone can
 * say the same thing (no set_tid, no cgroup, no clone3-only flag: what
 * libc's pthread_create and fork use), turns the call into clone with
 * those values in registers.  The kernel then never reads the struct
 * again: what lanner checked is what runs.  The filter is run again on the
 * new call (the kernel does that after a tracer changes the syscall), and
 * the event is still the clone3 the program made.
 *
 * The rewritten registers are the caller's argument registers, which the
 * syscall ABI preserves: they are put back at the clone event's stop (the
 * child exists then, so the call cannot restart; an event asked for ends
 * there too, but in another pid namespace, in syscall mode or for a type
 * prevention holds), or at clone3's exit stop if it failed or in those
 * cases, and in the child (which starts
 * with a copy of them) at its first stop, found by its registers matching
 * the rewritten ones.  Calls clone cannot express,
 * and those of a program with a seccomp filter of its own, stay clone3,
 * checked as before and covered by the seizure at the exit.
 */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include "trace/trace.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* The clone arguments saying what ca says, or false if clone cannot. */
static bool as_clone(const struct clone_args *ca, size_t size, uint64_t out[5])
{
	uint64_t f = ca->flags;
	if (size < 64 || size > sizeof(*ca) || (f >> 32) || (f & (CSIGNAL | CLONE_NEWTIME | CLONE_DETACHED)) ||
	    ca->exit_signal > 64 || (ca->exit_signal && (f & (CLONE_THREAD | CLONE_PARENT))))
		return false;
	if (size > offsetof(struct clone_args, set_tid) && (ca->set_tid || ca->set_tid_size))
		return false;
	if (size > offsetof(struct clone_args, cgroup) && ca->cgroup)
		return false;
	if (!ca->stack != !ca->stack_size || ca->stack + ca->stack_size < ca->stack)
		return false;
	/* clone takes the pidfd where the parent tid would go */
	if ((f & CLONE_PIDFD) && (f & CLONE_PARENT_SETTID))
		return false;
	out[0] = f | ca->exit_signal;
	out[1] = ca->stack ? ca->stack + ca->stack_size : 0;
	out[2] = f & CLONE_PIDFD ? ca->pidfd : ca->parent_tid;
	out[3] = ca->child_tid;
	out[4] = ca->tls;
	return true;
}

/* A filter of the program's own (a sandbox) would see the call as clone
 * and might treat it otherwise than clone3: then no rewrite.  The kernel's
 * count of the thread's filters against those lanner knows of: the ones
 * lanner itself ran under when it launched the program, plus its own.
 * Reading the count is a /proc/TID/status read per clone3 (3.6% of
 * bench_spawn's time); it is needed only for a process that may have
 * installed a filter: one lanner saw do so (ln_clone3_note_install),
 * one made by such a process, or one lanner met already running.  The
 * filter stops every install where it can (filter.c, sees_installs). */
static bool only_known_filters(struct ln_session *s, struct ln_tstate *t)
{
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	int expect = p->syscall_mode ? 0 : p->inject == LN_INJ_DONE ? 1 : s->filter_base + 1;
	/* (a filter lanner itself ran under could take installs out of its
	 * sight, with USER_NOTIF: then the count, always) */
	if (!p->own_filters && s->filter_base == 0 && (p->syscall_mode || s->sees_installs))
		return true;
	int mode, n = ln_seccomp_filters(t->pub.tid, &mode);
	return n == expect;
}

void ln_clone3_note_install(struct ln_tstate *t, int type, const uint64_t *args)
{
	if (type < 0 || !ln_installs_filter(ln_type(type), args))
		return;
	/* seen at its entry, whether or not it succeeds; with TSYNC it
	 * reaches every thread of the process, so the mark is the process's */
	if (t->pub.proc)
		((struct ln_pstate *)t->pub.proc)->own_filters = true;
}

int ln_clone3_rewrite(struct ln_session *s, struct ln_tstate *t, const uint64_t *args)
{
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	size_t size = args[1];
	size_t want = size < sizeof(ca) ? size : sizeof(ca);
	if (size < 64 || ln_mem_read(t->pub.tid, args[0], &ca, want) != (ssize_t)want)
		return 0;	/* the kernel says EINVAL or EFAULT itself */
	if (ca.flags & CLONE_UNTRACED)
		return -EPERM;
	uint64_t conv[5], orig[5];
	long nr;
	struct ln_regs regs;
	/* Only for tracees that die with lanner (launched, or carrying its
	 * injected filter): an attached process in syscall mode runs on if
	 * lanner dies, and a child it made would start with the rewritten
	 * registers, which its clone3 code does not expect. */
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	if (!p || (p->syscall_mode && t->attached))
		return 0;
	if (!as_clone(&ca, size, conv) || ln_arch_nr(LN_NR_CLONE) < 0 || !only_known_filters(s, t) ||
	    ln_arch_get_call(t->pub.tid, &nr, orig, &regs) < 0)
		return 0;
	int slot = -1;
	for (int i = 0; i < 64 && slot < 0; i++)
		if (!s->c3[i].creator)
			slot = i;
	if (slot < 0)
		return 0;	/* 64 children not yet seen: leave it be */
	if (ln_arch_set_call(t->pub.tid, ln_arch_nr(LN_NR_CLONE), conv, &regs) < 0)
		return 0;
	s->c3[slot].creator = t->pub.tid;
	s->c3[slot].child = 0;
	memcpy(s->c3[slot].conv, conv, sizeof(conv));
	memcpy(s->c3[slot].orig, orig, sizeof(orig));
	s->nc3++;
	t->c3_rewritten = true;
	t->c3_slot = slot;
	t->c3_flags = conv[0];
	memcpy(t->c3_orig, orig, sizeof(orig));
	return 1;
}


void ln_clone3_exit(struct ln_session *s, struct ln_tstate *t, int64_t res)
{
	if (!t->c3_rewritten)
		return;
	t->c3_rewritten = false;
	/* a restart (signal during the fork) runs clone3 again, afresh */
	ln_arch_put_args(t->pub.tid, t->c3_orig, ln_arch_nr(LN_NR_CLONE3), NULL);
	struct ln_c3 *c = &s->c3[t->c3_slot];
	if (res < 0 && c->creator == t->pub.tid) {
		c->creator = 0;	/* no child will come */
		s->nc3--;
	} else if (c->creator == t->pub.tid) {
		c->child = (pid_t)res;	/* if it dies before its first stop */
	}
}

void ln_clone3_gone(struct ln_session *s, pid_t child)
{
	for (int i = 0; s->nc3 && i < 64; i++)
		if (s->c3[i].creator && s->c3[i].child == child) {
			s->c3[i].creator = s->c3[i].child = 0;
			s->nc3--;
		}
}

void ln_clone3_child(struct ln_session *s, struct ln_tstate *t, pid_t creator)
{
	if (!s->nc3)
		return;
	long nr;
	uint64_t a[5];
	struct ln_regs regs;
	if (ln_arch_get_call(t->pub.tid, &nr, a, &regs) < 0 || nr != ln_arch_nr(LN_NR_CLONE))
		return;
	/* two forks may look alike: the creator's own entry first, when
	 * its clone event told who it is */
	struct ln_c3 *found = NULL;
	for (int i = 0; i < 64; i++) {
		struct ln_c3 *c = &s->c3[i];
		if (c->creator && !memcmp(c->conv, a, sizeof(a)) && (!found || c->creator == creator))
			found = c;
	}
	if (found) {
		ln_arch_put_args(t->pub.tid, found->orig, -1, &regs);
		found->creator = found->child = 0;
		s->nc3--;
	}
}
