/*
 * children.c - the tasks a tracee makes: CLONE_UNTRACED refused, the
 * creator of each new task remembered until its first stop (its state is
 * copied from there), a child that got past the check seized at the
 * clone's exit, and the injection state an --attach-mode=seccomp process
 * hands down.  stops.c calls these from its stops.
 */
#include <errno.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include "trace/trace.h"

#define pt ln_ptrace
#define resume ln_resume

/* CLONE_UNTRACED is refused (EPERM): by the filter for clone, here for
 * clone3 (whose flags are in memory) and for tracees without a filter. */
static int refusal(struct ln_tstate *t, int type, const uint64_t *args)
{
	const char *name = ln_type(type)->name;
	uint64_t flags = args[0];
	if (!strcmp(name, "clone3") &&
	    ln_mem_read(t->pub.tid, args[0], &flags, sizeof(flags)) != sizeof(flags))
		return 0;
	if ((!strcmp(name, "clone") || !strcmp(name, "clone3")) && (flags & CLONE_UNTRACED))
		return EPERM;
	return 0;
}

/* clone3 is made race-free first where clone can do the same (clone3.c);
 * what is left is checked here. */
int ln_child_refused(struct ln_session *s, struct ln_tstate *t, bool native, int type, const uint64_t *args)
{
	if (native && !strcmp(ln_type(type)->name, "clone3")) {
		int r = ln_clone3_rewrite(s, t, args);
		if (r)
			return r < 0 ? EPERM : 0;
	}
	return refusal(t, type, args);
}

/* At a clone's exit: a child whose creation no ptrace event reported got
 * past the CLONE_UNTRACED check (another thread rewrote clone3's flags after
 * it): seize it now.  Until then its traced syscalls failed with ENOSYS.
 * The call returned the child's pid in the creator's pid namespace, which
 * in a container is not the one lanner knows: found through /proc then. */
void ln_child_adopt(struct ln_session *s, struct ln_tstate *t, int64_t res)
{
	pid_t seen = t->child_seen;
	t->child_seen = 0;
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	if (res <= 0 || seen || !p)
		return;
	pid_t child = p->ns_flat ? (pid_t)res : ln_child_from_ns(t->pub.tid, p->pub.pid, p->pub.ppid, (pid_t)res);
	if (child <= 0 || ln_thread_find(s, child))
		return;
	for (int i = 0; i < LN_CREATORS; i++)
		if (s->creators[i].child == child)
			return;
	pid_t tgid, ppid;
	/* only the creator's own child or thread (or its sibling, made with
	 * CLONE_PARENT): the pid may be reused */
	if (ln_read_ids(child, &tgid, &ppid) < 0 ||
	    (tgid != p->pub.pid && ppid != p->pub.pid && !(ppid == p->pub.ppid && ppid > 0)))
		return;
	long opts = LN_PTRACE_OPTIONS | (p->launched ? PTRACE_O_EXITKILL : 0);
	if (pt(PTRACE_SEIZE, child, 0, (unsigned long)opts) < 0)
		return;
	struct ln_creator *c = &s->creators[s->ncreators++ % LN_CREATORS];
	*c = (struct ln_creator){ child, t->pub.tid, LN_CHILD_UNKNOWN, p->launched, false, false };
	pt(PTRACE_INTERRUPT, child, 0, 0);
}

/* A new child is only recorded at its own first stop: if it has already
 * stopped (or even ended) by now, a record made here would be a ghost.
 * Until then remember who made it, so its state is copied from its real
 * creator (PPid would name the grandparent after CLONE_PARENT). */
pid_t ln_child_created(struct ln_session *s, struct ln_tstate *t)
{
	unsigned long child = 0;
	pt(PTRACE_GETEVENTMSG, t->pub.tid, 0, (unsigned long)&child);
	t->child_seen = (pid_t)child;	/* the call's exit has nobody to adopt */
	/* the memory figures at the clone, which its event carries (a .scap's
	 * clone exit) and the child starts with, as Falco's driver has them */
	t->clone_vm_set = s->want_vm && ln_read_vm(t->pub.tid, t->clone_vm);
	if (t->clone_vm_set)	/* a queue's reader may write the .scap */
		ln_state_changed(s, LN_TOUCH_THREAD, t->pub.tid, 0);
	if (child > 0 && !ln_thread_find(s, (pid_t)child)) {
		struct ln_creator *c = &s->creators[s->ncreators++ % LN_CREATORS];
		/* The flags the kernel used: registers, or what lanner put there
		 * (a clone3 run as clone).  clone3's struct in memory is not:
		 * another thread can rewrite it once the kernel has read it, and
		 * make a process pass for a thread of its creator (then /proc
		 * says what the child is). */
		bool in_regs = t->c3_rewritten;
		int64_t flags = t->c3_rewritten ? (int64_t)t->c3_flags : ln_arch_clone_flags(t->pub.tid, &in_regs);
		bool known = in_regs && flags >= 0;
		c->child = (pid_t)child;
		c->creator = t->pub.tid;
		c->kind = !known ? LN_CHILD_UNKNOWN
			: flags & CLONE_THREAD ? LN_CHILD_THREAD : LN_CHILD_PROCESS;
		c->launched = t->pub.proc && ((struct ln_pstate *)t->pub.proc)->launched;
		c->same_pidns = known && !(flags & CLONE_NEWPID);
		c->clone_parent = known && (flags & CLONE_PARENT);
		c->has_vm = t->clone_vm_set;
		memcpy(c->vm, t->clone_vm, sizeof(c->vm));
	}
	/* A clone3 lanner made a clone, stopped for the guard alone: its
	 * registers go back now and it runs on without an exit stop.  The
	 * child exists, so the call cannot restart, and this event seized it:
	 * the exit has nothing left to check.  (A pthread_create was four
	 * stops, clone3's entry and exit among them: now three.) */
	if (t->c3_rewritten && t->phase == LN_PH_GUARD && child > 0) {
		ln_clone3_exit(s, t, (int64_t)child);
		t->phase = LN_PH_RUNNING;
		t->want_exit = false;
	}
	return (pid_t)child;
}

pid_t ln_child_creator(struct ln_session *s, pid_t child, struct ln_creator *out)
{
	*out = (struct ln_creator){ child, 0, LN_CHILD_UNKNOWN, false, false, false };
	for (int i = 0; i < LN_CREATORS; i++)
		if (s->creators[i].child == child) {
			*out = s->creators[i];
			s->creators[i].child = 0;
			return out->creator;
		}
	return 0;
}

/* Where a thread's children go changes with unshare(CLONE_NEWPID) and
 * setns (a pid namespace's fd, a pidfd, or an fd of any type with nstype
 * 0): the filter stops both in every configuration (filter.c
 * pidns_guard), and lanner forgets what it knew, at the entry, whether
 * or not the call succeeds.  The thread's own: each thread has its own
 * namespaces, and the kernel makes no thread after such an unshare. */
void ln_child_note_pidns(struct ln_tstate *t, int type, const uint64_t *args)
{
	static int unshare = -2, setns = -2;
	if (unshare == -2) {
		unshare = ln_type_id("unshare");
		setns = ln_type_id("setns");
	}
	if (type >= 0 && ((type == unshare && (args[0] & CLONE_NEWPID)) || type == setns))
		t->kids_flat = false;
}

/* A new process made by one of an --attach-mode=seccomp process: it has
 * lanner's filter if it was forked after the injection (the kernel's count
 * of its filters says), else it gets its own injection. */
void ln_child_inherit_inject(struct ln_session *s, struct ln_tstate *t, pid_t creator)
{
	struct ln_tstate *ct = creator > 0 ? ln_thread_find(s, creator) : NULL;
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	struct ln_pstate *cp = ct ? (struct ln_pstate *)ct->pub.proc : NULL;
	if (cp && cp == p && p->inject == LN_INJ_DONE)
		t->set_exitkill = true;	/* its creator may not have had it yet */
	/* The creating thread may be gone already (a short-lived forking
	 * thread): its process then says, through the parent pid. */
	if (!cp && p && p->pub.ppid > 0) {
		struct ln_pstate *pp = ln_proc_find(s, p->pub.ppid);
		if (pp && pp != p)
			cp = pp;
	}
	if (!cp && p && !p->launched && !p->syscall_mode && p->inject == LN_INJ_NONE &&
	    p->pub.nthreads == 1) {
		/* The parent is gone too (a double fork): its state, copied at
		 * the fork, was seccomp mode, so it came from an injected
		 * process.  With a filter (the kernel counts them) it carries
		 * lanner's: it can never be detached. */
		int mode, n = ln_seccomp_filters(p->pub.pid, &mode);
		if (n > 0) {
			p->inject = LN_INJ_DONE;
			t->set_exitkill = true;
		}
		return;
	}
	if (!cp || !p || cp == p || cp->inject == LN_INJ_NONE || p->pub.nthreads != 1)
		return;
	int mode, n = ln_seccomp_filters(p->pub.pid, &mode);
	/* injection is refused while any thread has a filter: lanner's is the
	 * first, so any filter at all came with the fork */
	if (cp->inject == LN_INJ_DONE && n > 0) {
		p->inject = LN_INJ_DONE;
		p->syscall_mode = t->syscall_mode = false;
		t->set_exitkill = true;
	} else {
		p->inject = cp->inject == LN_INJ_FAILED ? LN_INJ_FAILED : LN_INJ_WANTED;
		p->syscall_mode = t->syscall_mode = true;
	}
}
