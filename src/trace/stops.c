/*
 * stops.c - the wait loop and the ptrace stops it turns into events.
 *
 * Syscalls stop at entry through the seccomp filter (PTRACE_EVENT_SECCOMP),
 * or, for tracees attached without a filter, at PTRACE_SYSCALL entry stops.
 * An attached process in --attach-mode=seccomp gets the filter injected at
 * its first such entry stop (inject.c) and its threads switch over; a
 * thread's entry stop that comes after the switch is passed on.
 * When the exit is wanted the tracee is resumed with PTRACE_SYSCALL so that
 * its next stop is the syscall's exit (but a fork or clone, whose event
 * ends at its ptrace event: ends_at_event).  fork/vfork/clone/exec come
 * from ptrace's own events; group-stops are left stopped with PTRACE_LISTEN.
 * The tracee is resumed before its event is handed out, but for a call a
 * prevention rule may refuse: held until ln_verdict (verdict.c).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/ptrace.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "trace/trace.h"

#define pt ln_ptrace

enum {
#if defined(__x86_64__)
	NATIVE_ARCH = AUDIT_ARCH_X86_64,
#elif defined(__aarch64__)
	NATIVE_ARCH = AUDIT_ARCH_AARCH64,
#endif
};


/* Tracees attached without a seccomp filter (syscall mode) stop at every
 * syscall's entry and exit; the others only where the filter says. */
void ln_resume(struct ln_tstate *t, int sig)
{
	pt(t->want_exit || t->syscall_mode || t->handoff ? PTRACE_SYSCALL : PTRACE_CONT, t->pub.tid, 0,
	   (unsigned long)sig);
}
#define resume ln_resume

/* The fd an event is about: the new fd, or the first fd argument. */
void ln_event_attach_fd(struct ln_session *s, struct ln_tstate *t, ln_event *ev)
{
	const ln_type_info *ti = ln_type(ev->type);
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	ev->fdnum = -1;
	ev->fd = NULL;
	if (!strcmp(ti->name, "close") && ev->has_res && s->closed_fd.num == (int)ev->params[1].val) {
		ev->fdnum = s->closed_fd.num;
		ev->fd = &s->closed_fd;
		return;
	}
	if ((ti->flags & LN_TF_FD_CREATE) && ev->has_res && ev->res >= 0 &&
	    ti->kind[0] == LN_K_RES_FD) {
		ev->fdnum = (int32_t)ev->res;
	} else if (ti->flags & (LN_TF_USES_FD | LN_TF_FD_CREATE)) {
		for (int i = 0; i < ti->nparams; i++)
			if (ti->kind[i] == LN_K_FD && ti->src[i] < 6) {
				ev->fdnum = (int32_t)ev->params[i].val;
				break;
			}
	} else {
		/* mmap's fd, for file-backed maps */
		for (int i = 0; i < ti->nparams; i++)
			if (ti->kind[i] == LN_K_FD && ti->src[i] < 6 && ev->params[i].val >= 0) {
				ev->fdnum = (int32_t)ev->params[i].val;
				break;
			}
	}
	ev->fd = ln_fd_at(p, ev->fdnum);
}

/* One fd as the kernel has it now: the entry kept if it still names the
 * same open file (what lanner learned of it stays, such as an accepted
 * socket's server role, which the kernel cannot tell), else read again,
 * or dropped if the fd is not open (EBADF ahead). */
static void check_fd(struct ln_session *s, struct ln_pstate *p, int fd)
{
	if (ln_fd_unchanged(p, fd)) {
		ln_fd_at(p, fd)->exec_gen = p->exec_gen;
		return;
	}
	/* a number that is not open (a call bound for EBADF, fd 1000000)
	 * must not grow the table to its size first */
	if (!ln_fd_at(p, fd)) {
		char what[32], buf[16];
		snprintf(what, sizeof(what), "fd/%d", fd);
		if (!ln_readlink_proc(p->pub.pid, what, buf, sizeof(buf)))
			return;
	}
	ln_fd *f = ln_fd_set(p, fd);
	if (f)
		ln_fd_from_kernel(s, p, f);
	if (f && f->type == LN_FD_UNKNOWN)
		ln_fd_del(p, fd);
}

/* Lazy fd tracking: the fds this syscall names, as the kernel has them
 * now, before it runs (a close still sees what it closes).  The table is
 * not kept exact: it may hold fds closed or replaced since by calls lanner
 * does not trace (dup2, a received fd), and an exec does not read it
 * again (on_exec).  So the fd a call acts on (its first fd argument;
 * mmap's too) and an *at call's directory fd, which its path fields are
 * made from, are checked at every call; any other fd argument when its
 * entry dates from before the process's last exec, when close-on-exec
 * fds went and the numbers may name other files since. */
static void check_fds(struct ln_session *s, struct ln_tstate *t, ln_event *ev)
{
	const ln_type_info *ti = ln_type(ev->type);
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	if (!p)
		return;
	/* the first fd argument is the one the call acts on */
	bool acts = (ti->flags & LN_TF_USES_FD) || !(ti->flags & LN_TF_FD_CREATE);
	for (int i = 0; i < ti->nparams; i++) {
		if ((ti->kind[i] != LN_K_FD && ti->kind[i] != LN_K_DIRFD) || ti->src[i] >= 6)
			continue;
		int fd = (int)ev->params[i].val;
		if (fd < 0)
			continue;	/* none, or AT_FDCWD */
		bool acted_on = acts && ti->kind[i] == LN_K_FD;
		if (acted_on)
			acts = false;
		const ln_fd *known = ln_fd_at(p, fd);
		bool before_exec = known && known->exec_gen != p->exec_gen;
		if (acted_on || ti->kind[i] == LN_K_DIRFD || before_exec)
			check_fd(s, p, fd);
	}
}

/* evt.cpu: the CPU the program made the call on, read at the stop that
 * ends the event, and only if something reads it (a field, a capture):
 * one pread of the thread's stat file. */
static void stamp_cpu(struct ln_session *s, struct ln_tstate *t, ln_event *ev)
{
	if (s->want_cpu)
		ev->cpu = ln_task_cpu(t->pub.proc ? t->pub.proc->pid : t->pub.tid, t->pub.tid, &t->stat_fd, s->keep_fd_below);
}

/* *pages: the argument a 32-bit call counts in pages (mmap2's offset), or
 * -1 (ln_compat_alias). */
static int type_of(uint32_t arch, int nr, int *pages)
{
	*pages = -1;
	return arch == NATIVE_ARCH ? ln_type_of_nr(nr) : ln_type_of_compat_nr(arch, nr, pages);
}

/* An event's fields at a syscall's entry, read while the thread waits. */
static void entry_fields(struct ln_session *s, struct ln_tstate *t, uint32_t arch, int type,
			 const uint64_t *args, int pages)
{
	ln_event *ev = &t->ev;
	ev->type = (uint16_t)type;
	ev->tid = t->pub.tid;
	ev->ts = ln_now_realtime();
	ev->latency = 0;
	ev->res = 0;
	ev->has_res = 0;
	ev->cpu = -1;
	ev->thread = &t->pub;
	t->compat = arch != NATIVE_ARCH;
	for (int i = 0; i < 6; i++)
		ev->rawargs[i] = t->compat ? (uint32_t)args[i] : args[i];
	/* in bytes, as the native call has it: mmap2's page is 4096 bytes
	 * whatever the kernel's page size, and the product fits 64 bits */
	if (pages >= 0)
		ev->rawargs[pages] <<= 12;
	ln_args_entry(s, t);
	if (s->fd_lazy)
		check_fds(s, t, ev);
}

void ln_entry_event(struct ln_session *s, struct ln_tstate *t, int type, const uint64_t *args)
{
	entry_fields(s, t, NATIVE_ARCH, type, args, -1);
	ln_event_attach_fd(s, t, &t->ev);
	stamp_cpu(s, t, &t->ev);
	ln_event_finish(s, t);
}

/* A syscall's entry, from a seccomp stop or a syscall-entry stop. */
static bool begin(struct ln_session *s, struct ln_tstate *t, uint32_t arch, int type,
		  const uint64_t *args, int pages, int mode)
{
	ln_event *ev = &t->ev;
	entry_fields(s, t, arch, type, args, pages);
	int dead, held = ln_hold_entry(s, t, mode, &dead);	/* prevention: verdict.c */
	if (held)
		return held > 0;
	if (mode == LN_TRACE_EXIT) {
		t->phase = LN_PH_IN_SYSCALL;
		t->want_exit = true;
		t->entry_mono = ln_now_mono();
		resume(t, 0);
		return false;
	}
	ln_event_attach_fd(s, t, ev);
	stamp_cpu(s, t, ev);
	ln_event_finish(s, t);
	resume(t, 0);
	return true;
}

static bool is_clone(int type)
{
	return ln_type(type)->flags & LN_TF_CLONE;
}

/* The event of a call in progress gets its result and ends; the thread
 * runs on.  At the call's exit stop, or at the ptrace event of a clone
 * (whose result is known there: ends_at_event). */
static bool finish_exit(struct ln_session *s, struct ln_tstate *t, int64_t res)
{
	ln_event *ev = &t->ev;
	ev->res = res;
	if (t->compat)
		ev->res = (int32_t)ev->res;
	ev->has_res = 1;
	/* An event with a result is stamped when the syscall returned (the
	 * "<" of sysdig's output): stamped at entry, a blocking call such as
	 * wait4 would come out dated before the events it waited for. */
	ev->ts = ln_now_realtime();
	ev->latency = ln_now_mono() - t->entry_mono;
	ev->thread = &t->pub;
	ev->tid = t->pub.tid;
	ln_args_exit(s, t);
	ln_effect_fn eff = ln_type_effect(ev->type);
	if (eff)
		eff(s, t, ev);
	if (is_clone(ev->type))
		ln_child_adopt(s, t, ev->res);
	ln_event_attach_fd(s, t, ev);
	stamp_cpu(s, t, ev);
	ln_event_finish(s, t);
	if (ln_hold_exit(s, t))
		return true;	/* stopped until ln_verdict */
	t->phase = LN_PH_RUNNING;
	t->want_exit = false;
	resume(t, 0);
	return true;
}

static bool on_seccomp(struct ln_session *s, struct ln_tstate *t)
{
	struct ptrace_syscall_info info;
	LN_STAT_ADD(s, stops_entry, 1);
	if (pt(PTRACE_GET_SYSCALL_INFO, t->pub.tid, sizeof(info), (unsigned long)&info) <= 0 ||
	    info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
		resume(t, 0);
		return false;
	}
	/* not lanner's verdict: the program's own filter said TRACE, and
	 * without lanner it would have no tracer, so the call fails */
	if ((info.seccomp.ret_data & LN_DATA_TAG_MASK) != LN_DATA_TAG) {
		ln_arch_deny_syscall(t->pub.tid, ENOSYS);
		resume(t, 0);
		return false;
	}
	int pages;
	int type = type_of(info.arch, (int)info.seccomp.nr, &pages);
	if (type < 0) {
		resume(t, 0);
		return false;
	}
	const uint64_t *args = (const uint64_t *)info.seccomp.args;
	ln_clone3_note_install(t, type, args);
	ln_child_note_pidns(t, type, args);
	int mode = ln_stop_mode(s, type, args, info.arch != NATIVE_ARCH,
				(int)(info.seccomp.ret_data & LN_DATA_MODE_MASK));
	if (is_clone(type))
		t->child_seen = 0;
	if (is_clone(type) && ln_child_refused(s, t, info.arch == NATIVE_ARCH, type, args)) {
		ln_arch_deny_syscall(t->pub.tid, EPERM);
		resume(t, 0);
		return false;
	}
	int deny = ln_refusal(s, type, args);	/* refuse.c */
	if (deny && ln_arch_deny_syscall(t->pub.tid, deny) == 0 && mode)
		mode = LN_TRACE_EXIT;	/* the event shows the refusal */
	if (mode == LN_TRACE_NONE) {
		resume(t, 0);
		return false;
	}
	if (mode == LN_TRACE_GUARD) {
		t->phase = LN_PH_GUARD;
		t->want_exit = true;
		resume(t, 0);
		return false;
	}
	return begin(s, t, info.arch, type, args, pages, mode);
}

static bool on_syscall_stop(struct ln_session *s, struct ln_tstate *t)
{
	struct ptrace_syscall_info info;
	long r = pt(PTRACE_GET_SYSCALL_INFO, t->pub.tid, sizeof(info), (unsigned long)&info);
	if (r > 0 && info.op == PTRACE_SYSCALL_INFO_ENTRY && t->syscall_mode &&
	    t->phase == LN_PH_RUNNING) {
		LN_STAT_ADD(s, stops_entry, 1);
		int pages;
		int type = type_of(info.arch, (int)info.entry.nr, &pages);
		const uint64_t *args = (const uint64_t *)info.entry.args;
		ln_clone3_note_install(t, type, args);
		ln_child_note_pidns(t, type, args);
		if (type >= 0 && is_clone(type))
			t->child_seen = 0;
		int deny = type < 0 ? 0 : is_clone(type) ? ln_child_refused(s, t, info.arch == NATIVE_ARCH, type, args)
			: ln_refusal(s, type, args);
		if (deny && ln_arch_skip_syscall(t->pub.tid) == 0)
			t->deny_err = deny;	/* the exit stop sets the result */
		int mode = type >= 0 ? ln_trace_mode_for(s, type, args, info.arch != NATIVE_ARCH) : 0;
		if (mode && type >= 0 && (is_clone(type) || deny))
			mode = LN_TRACE_EXIT;	/* ln_child_adopt, or the refusal, at the exit */
		if (mode)
			return begin(s, t, info.arch, type, args, pages, mode);
		if (type >= 0 && is_clone(type))
			t->phase = LN_PH_GUARD;
		resume(t, 0);
		return false;
	}
	LN_STAT_ADD(s, stops_exit, 1);
	if (ln_unpin_exit(s, t, r > 0 && info.op == PTRACE_SYSCALL_INFO_EXIT, info.exit.rval))
		return false;
	if (t->c3_rewritten && r > 0 && info.op == PTRACE_SYSCALL_INFO_EXIT)
		/* the child as lanner knows it (its clone event), not the pid
		 * returned in the program's own pid namespace */
		ln_clone3_exit(s, t, info.exit.rval > 0 && t->child_seen ? t->child_seen : info.exit.rval);
	if (t->deny_err && r > 0 && info.op == PTRACE_SYSCALL_INFO_EXIT) {
		ln_arch_set_return(t->pub.tid, -t->deny_err);
		info.exit.rval = -t->deny_err;
		t->deny_err = 0;
		if (t->phase == LN_PH_GUARD)
			t->phase = LN_PH_RUNNING;
	}
	if (t->phase == LN_PH_GUARD && r > 0 && info.op == PTRACE_SYSCALL_INFO_EXIT) {
		ln_child_adopt(s, t, info.exit.rval);
		t->phase = LN_PH_RUNNING;
		t->want_exit = false;
		resume(t, 0);
		return false;
	}
	if (r <= 0 || info.op != PTRACE_SYSCALL_INFO_EXIT || t->phase != LN_PH_IN_SYSCALL) {
		/* an entry stop we did not ask for, after an exec or signal */
		t->want_exit = t->phase == LN_PH_IN_SYSCALL;
		resume(t, 0);
		return false;
	}
	return finish_exit(s, t, info.exit.rval);
}

/* exec: the process image changed.  From a non-leader thread, the execing
 * thread takes the leader's tid and every other thread is gone. */
static void on_exec(struct ln_session *s, struct ln_tstate *t)
{
	unsigned long former = 0;
	pt(PTRACE_GETEVENTMSG, t->pub.tid, 0, (unsigned long)&former);
	if ((pid_t)former != t->pub.tid && former > 0) {
		struct ln_tstate *old = ln_thread_find(s, (pid_t)former);
		if (old && old != t) {
			pid_t leader = t->pub.tid;
			ln_thread_gone(s, t);	/* the leader's record ends */
			ln_thread_rekey(s, old, leader);
			t = old;
		}
	}
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	ln_proc_load_exec(s, p, ln_now_realtime());
	ln_proc_load_creds(t, true);	/* and the memory figures */
	/* close-on-exec fds are gone: an exact table is read again (a listing
	 * and a stat per fd); a lazy one's entries are checked at their next
	 * use instead (check_fds) */
	p->exec_gen++;
	if (!s->fd_lazy)
		ln_proc_scan_fds(s, p);
	resume(t, 0);
}

static bool on_death(struct ln_session *s, struct ln_tstate *t, int status)
{
	ln_proc *p = t->pub.proc;
	bool last = p && p->nthreads == 1;
	int type = ln_type_id("procexit");
	bool emit = last && type >= 0 && s->mode[type] != LN_TRACE_NONE;
	if (emit) {
		ln_event *ev = &s->pseudo;
		const ln_type_info *ti = ln_type(type);
		memset(ev, 0, sizeof(*ev));
		ev->type = (uint16_t)type;
		ev->ts = ln_now_realtime();
		ev->tid = t->pub.tid;
		ev->cpu = t->ev.cpu;	/* where its last traced syscall ran */
		ev->fdnum = -1;
		ev->thread = &t->pub;
		ev->nparams = ti->nparams;
		for (int i = 0; i < ti->nparams; i++)
			ev->params[i].kind = ti->kind[i];
		ev->params[0].val = status;
		ev->params[1].val = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		ev->params[2].val = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		ev->params[3].val = WIFSIGNALED(status) && WCOREDUMP(status);
		ev->res = 0;
	}
	if (p)
		p->flags |= last ? LN_PROC_EXITED : 0;
	ln_thread_gone(s, t);
	return emit;
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* A fork or clone whose event waits for its result: the result is the
 * child this ptrace event names, and nothing can fail after it, so the
 * event ends here and the call needs no exit stop.  The parent's event
 * then usually comes before the child's first ones, as the kernel's order
 * has it (at the exit stop it came after whatever the child did while the
 * parent waited for a CPU; the child's first stop can still be reported
 * first).  Not for vfork, whose call returns only once the child has
 * exec'd or ended; not where the result is a pid in another namespace
 * than lanner's; not in syscall mode, which stops at every exit anyway;
 * not for a type prevention holds (a precaution: ln_hold_exit holds no
 * clone today, and a pinned path, undone at the exit stop, is never a
 * clone's). */
static bool ends_at_event(struct ln_session *s, struct ln_tstate *t, int event, pid_t child)
{
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	return event != PTRACE_EVENT_VFORK && child > 0 && t->phase == LN_PH_IN_SYSCALL && !t->syscall_mode &&
	       !t->deny_err && p && p->ns_flat && is_clone(t->ev.type) && !s->hold[t->ev.type];
}

/* One waitpid result; true if it made an event (in *out). */
static bool handle(struct ln_session *s, pid_t pid, int status, ln_event **out)
{
	struct ln_tstate *t = ln_thread_find(s, pid);
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (pid == s->root_pid)
			s->root_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (!t) {
			struct ln_creator c;
			ln_child_creator(s, pid, &c);	/* gone before its first stop */
			ln_clone3_gone(s, pid);
			return false;
		}
		*out = &s->pseudo;
		return on_death(s, t, status);
	}
	if (!WIFSTOPPED(status))
		return false;
	if (!t) {
		/* a new child at its first stop */
		struct ln_creator c;
		pid_t creator = ln_child_creator(s, pid, &c);
		t = ln_thread_new(s, pid, &c);
		if (!t) {
			pt(PTRACE_CONT, pid, 0, 0);
			return false;
		}
		/* a creator that exited meanwhile left /proc to describe it */
		if (c.launched)
			((struct ln_pstate *)t->pub.proc)->launched = true;
		ln_child_inherit_inject(s, t, creator);
		ln_clone3_child(s, t, creator);
		ln_stop_late_child(s, t);
	}
	if (t->set_exitkill) {
		/* it carries lanner's filter now: it must not outlive lanner */
		t->set_exitkill = false;
		pt(PTRACE_SETOPTIONS, pid, 0, LN_PTRACE_OPTIONS | PTRACE_O_EXITKILL);
	}
	/* inside a clone3 run as clone: detached only once its registers
	 * are back (its exit stop), at the interrupt stop that follows */
	if (!t->c3_rewritten && ln_detach_if_leaving(s, t, status))
		return false;
	int sig = WSTOPSIG(status), event = status >> 16;
	if (t->handoff && sig == (SIGTRAP | 0x80)) {
		ln_notif_handoff_stop(s, t);	/* before its exec: no event */
		resume(t, 0);
		return false;
	}
	if (sig == (SIGTRAP | 0x80)) {
		struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
		if (p && p->inject == LN_INJ_WANTED && !s->detaching && t->phase == LN_PH_RUNNING) {
			int dead = 0;
			int r = ln_inject_filter(s, t, &dead);
			if (r < 0)
				return handle(s, pid, dead, out);	/* died or exec'd meanwhile */
			if (r > 0) {
				resume(t, 0);
				return false;
			}
		}
		*out = &t->ev;
		return on_syscall_stop(s, t);
	}
	switch (event) {
	case PTRACE_EVENT_SECCOMP:
		*out = &t->ev;
		return on_seccomp(s, t);
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE: {
		LN_STAT_ADD(s, stops_ptrace, 1);
		pid_t child = ln_child_created(s, t);
		if (ends_at_event(s, t, event, child)) {
			if (t->c3_rewritten)
				ln_clone3_exit(s, t, child);	/* its registers back */
			*out = &t->ev;
			return finish_exit(s, t, child);
		}
		resume(t, 0);
		return false;
	}
	case PTRACE_EVENT_EXEC:
		LN_STAT_ADD(s, stops_ptrace, 1);
		on_exec(s, t);
		return false;
	case PTRACE_EVENT_STOP:
		LN_STAT_ADD(s, stops_signal, 1);
		if (is_stop_signal(sig)) {
			/* group-stop: stay stopped, but let SIGCONT through */
			t->group_stopped = true;
			pt(PTRACE_LISTEN, pid, 0, 0);
		} else {
			t->seen_first_stop = true;
			resume(t, 0);
		}
		return false;
	case 0:
		/* signal-delivery-stop: pass the signal on unchanged */
		LN_STAT_ADD(s, stops_signal, 1);
		ln_notif_signal_stop(s, t);
		if (pid == s->root_pid && sig != SIGTRAP) {
			siginfo_t si;
			if (pt(PTRACE_GETSIGINFO, pid, 0, (unsigned long)&si) == 0 && si.si_code <= 0)
				ln_forward_cancel(s, sig, si.si_pid);
		}
		t->group_stopped = false;
		resume(t, sig);
		return false;
	default:
		LN_STAT_ADD(s, stops_ptrace, 1);
		resume(t, 0);
		return false;
	}
}

/* A child whose creation was reported but whose first stop was not seen
 * yet is a tracee too: when the last known one exits (a shell that leaves
 * a background job behind), lanner must wait for it, not end and take it
 * down with PTRACE_O_EXITKILL. */
static bool children_pending(struct ln_session *s)
{
	for (int i = 0; i < LN_CREATORS; i++)
		if (s->creators[i].child > 0)
			return true;
	return false;
}

/* ms > 0 arms the one-shot timer that interrupts a blocking waitpid, 0
 * disarms it. */
static void arm_alarm(int ms)
{
	struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

/* deadline: monotonic ns for the caller's timeout, 0 for none.  The timer
 * is armed only when something must happen at a time: the caller's
 * timeout, or a held signal to forward. */
static int wait_next(struct ln_session *s, ln_event **ev, int timeout_ms, uint64_t deadline, bool *armed)
{
	for (;;) {
		/* no event of this call is out yet: the processes that ended
		 * since the last one can go (a program that forks and exits
		 * with no event between must not pile them up) */
		ln_proc_free_deferred(s);
		if (s->tracer_hook)
			s->tracer_hook(s, false);
		ln_verdict_pending(s);	/* prevention: trace/verdict.c */
		ln_deliver_pending(s);
		ln_forward_due(s, false);
		if (s->ntracees <= 0 && !children_pending(s))
			return LN_NEXT_DONE;
		uint64_t wake = deadline;
		for (int i = 0; i < s->nfwd; i++)
			if (!wake || s->fwd[i].due < wake)
				wake = s->fwd[i].due;
		if (deadline && timeout_ms != 0 && ln_now_mono() >= deadline)
			return LN_NEXT_TIMEOUT;
		int status;
		bool notif = false;	/* a notification waits (trace/notify.c) */
		pid_t pid = s->redo_pid;	/* a wait status an injection took */
		if (pid)
			status = s->redo_status, s->redo_pid = 0;
		else if (ln_notif_due(s))
			notif = true;
		else
			pid = timeout_ms != 0 ? ln_spin_wait(s, &s->spin, &status, &notif) : 0;
		if (pid == 0 && !notif) {
			/* about to sleep: only now is a timer needed to wake us */
			if (wake && timeout_ms != 0) {
				uint64_t now = ln_now_mono();
				if (deadline && now >= deadline)
					return LN_NEXT_TIMEOUT;
				arm_alarm(wake > now ? (int)((wake - now) / 1000000) + 1 : 1);
				*armed = true;
			}
			if (s->tracer_hook && timeout_ms != 0)
				s->tracer_hook(s, true);
			ln_alarm_fired = 0;
			if (s->notif.fd < 0)
				pid = waitpid(-1, &status, __WALL | (timeout_ms == 0 ? WNOHANG : 0));
			else if ((pid = waitpid(-1, &status, __WALL | WNOHANG)) == 0 &&
				 !(notif = ln_notif_sleep(s, timeout_ms == 0) == 1)) {
				/* woken by SIGCHLD, another signal or nothing */
				pid = waitpid(-1, &status, __WALL | WNOHANG);
				if (pid == 0 && timeout_ms != 0)
					continue;
			}
		}
		if (pid == 0 && !notif)
			return LN_NEXT_TIMEOUT;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			s->ntracees = 0;	/* ECHILD: nobody left */
			return LN_NEXT_DONE;
		}
		uint64_t t0 = ln_now_mono();
		ln_event *out = NULL;
		bool made = notif ? ln_notif_serve(s, &out) : handle(s, pid, status, &out);
		LN_STAT_ADD(s, tracer_ns, ln_now_mono() - t0);
		if (made && out) {
			out->num = ++s->evnum;
			/* a look before a call is not a call: its event follows */
			if (!(out->flags & LN_EV_PRE)) {
				LN_STAT_ADD(s, events, 1);
				LN_COUNT_TYPE(s, out->type);
			}
			*ev = out;
			return LN_NEXT_EVENT;
		}
	}
}

/* A thread's argument area grows to its largest event (a 64 KB read under
 * -s 65536) and stays for its next: 300 threads that each read once and
 * then wait kept 300 such areas.  Past AREA_KEEP it goes once its event is
 * consumed, which the caller's coming back for the next one says (the
 * queue's tracer has written it out, the rules have run), unless the
 * thread is inside a call whose exit reads it or waits for a verdict.
 * (At the thread's next entry was tried: too late to lower the peak.) */
enum { AREA_KEEP = 16 * 1024 };

static void release_area(struct ln_session *s)
{
	struct ln_tstate *t = s->last_tid ? ln_thread_find(s, s->last_tid) : NULL;
	s->last_tid = 0;
	if (!t || t->phase != LN_PH_RUNNING || t->held != LN_HELD_NO || t->arena.cap <= AREA_KEEP)
		return;
	free(t->arena.buf);
	t->arena.buf = NULL;
	t->arena.len = t->arena.cap = 0;
}

int ln_trace_next(struct ln_session *s, ln_event **ev, int timeout_ms)
{
	release_area(s);
	uint64_t deadline = timeout_ms > 0 ? ln_now_mono() + (uint64_t)timeout_ms * 1000000u : 0;
	bool armed = false;
	int r = wait_next(s, ev, timeout_ms, deadline, &armed);
	/* disarmed on every return: no SIGALRM may reach the caller later */
	if (armed)
		arm_alarm(0);
	if (r == LN_NEXT_DONE)
		ln_forward_due(s, true);
	if (r == LN_NEXT_EVENT && *ev != &s->pseudo)
		s->last_tid = (*ev)->tid;
	return r;
}

