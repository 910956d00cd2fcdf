/*
 * attach.c - tracing processes that are already running (lanner --pid).
 *
 * Every attach starts in syscall mode: PTRACE_SYSCALL stops at every
 * syscall's entry and exit and lanner decides in user space, as the filter
 * would.  Slow, but detachable: on Ctrl-C lanner detaches and the process
 * runs on untouched.  That is the default.
 *
 * --attach-mode=seccomp then injects lanner's filter at the process's next
 * syscall entry (inject.c) and switches it to seccomp mode: only the
 * syscalls the filter picks stop, as for a launched program.  The price:
 * the process can never be detached, since a SECCOMP_RET_TRACE with no
 * tracer fails the syscall with ENOSYS.  So on Ctrl-C/SIGTERM lanner says
 * so and keeps serving it until it exits (every later Ctrl-C repeats why,
 * and what to do: end the process); it gets PTRACE_O_EXITKILL like a
 * launched program, as a process with the filter and no tracer would run
 * on broken.  Children it forks inherit the filter; a process whose filter
 * could not go in stays in syscall mode, detachable.
 *
 * Threads are seized one by one from /proc/PID/task; a thread created while
 * we scan is caught by rescanning until a pass finds nothing new.
 * Attached tracees get no PTRACE_O_EXITKILL until they carry the filter:
 * if lanner dies they run on.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/ptrace.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "trace/trace.h"

static int seize_thread(struct ln_session *s, pid_t tid, int mode)
{
	if (ln_ptrace(PTRACE_SEIZE, tid, 0, LN_PTRACE_OPTIONS) < 0)
		return -errno;
	struct ln_creator existing = { tid, 0, LN_CHILD_EXISTING, false, false, false };
	struct ln_tstate *t = ln_thread_new(s, tid, &existing);
	if (!t) {
		ln_ptrace(PTRACE_DETACH, tid, 0, 0);
		return -ENOMEM;
	}
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	p->pub.flags |= LN_PROC_ATTACHED;
	p->syscall_mode = true;
	if (mode == LN_ATTACH_SECCOMP && p->inject == LN_INJ_NONE)
		p->inject = LN_INJ_WANTED;
	t->attached = true;
	t->syscall_mode = true;
	/* stop it now so that the next resume is a PTRACE_SYSCALL */
	ln_ptrace(PTRACE_INTERRUPT, tid, 0, 0);
	return 0;
}

int ln_trace_attach(struct ln_session *s, int pid, int mode)
{
	if (mode != LN_ATTACH_SYSCALL && mode != LN_ATTACH_SECCOMP) {
		ln_set_err(s, -EINVAL, "unknown attach mode %d", mode);
		return -EINVAL;
	}
	if (pid == getpid()) {
		ln_set_err(s, -EINVAL, "lanner cannot trace itself");
		return -EINVAL;
	}
	ln_install_signals(s);
	char path[64], stat[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "re");
	if (f) {
		int ppid = 0;
		char *rp = fgets(stat, sizeof(stat), f) ? strrchr(stat, ')') : NULL;
		if (rp && sscanf(rp + 1, " %*c %d", &ppid) == 1 && ppid > 0)
			ln_proc_add_ancestors(s, ppid);
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	int seized = 0;
	for (int pass = 0; pass < 100; pass++) {
		DIR *d = opendir(path);
		if (!d) {
			int e = -errno;
			if (seized)
				break;	/* exited while we attached */
			ln_set_err(s, e, "pid %d", pid);
			return e;
		}
		int fresh = 0;
		struct dirent *de;
		while ((de = readdir(d))) {
			pid_t tid = atoi(de->d_name);
			if (tid <= 0 || ln_thread_find(s, tid))
				continue;
			int r = seize_thread(s, tid, mode);
			if (r == -ESRCH)
				continue;	/* the thread ended meanwhile */
			if (r < 0) {
				closedir(d);
				ln_set_err(s, r, "cannot attach to pid %d (thread %d)%s", pid, tid,
					   r == -EPERM ? " (already traced, or not allowed)" : "");
				return r;
			}
			fresh++;
			seized++;
		}
		closedir(d);
		if (!fresh)
			break;
	}
	return 0;
}

static bool undetachable(const struct ln_tstate *t)
{
	const struct ln_pstate *p = (const struct ln_pstate *)t->pub.proc;
	return p && p->inject == LN_INJ_DONE;
}

/* Processes that carry an injected filter stay: say so, the first time
 * in full, then what to do. */
static void refuse(struct ln_session *s)
{
	char pids[256] = "";
	size_t n = 0;
	int count = 0;
	for (struct ln_pstate *p = s->plist; p; p = p->lnext)
		if (p->inject == LN_INJ_DONE && !p->dead && !(p->pub.flags & LN_PROC_EXITED)) {
			if (n < sizeof(pids) - 16)
				n += (size_t)snprintf(pids + n, sizeof(pids) - n, "%s%d", count ? " " : "", p->pub.pid);
			count++;
		}
	if (!count)
		return;
	if (!s->refusals++)
		fprintf(stderr, "lanner: cannot detach from %s %s: %s lanner's seccomp filter "
			"(--attach-mode=seccomp), and without a tracer %s traced syscalls would fail "
			"with ENOSYS; lanner keeps serving %s until %s\n", count > 1 ? "processes" : "process",
			pids, count > 1 ? "they carry" : "it carries", count > 1 ? "their" : "its",
			count > 1 ? "them" : "it", count > 1 ? "they exit" : "it exits");
	else
		fprintf(stderr, "lanner: still serving %s (cannot detach); end %s (kill %s) and lanner "
			"follows\n", pids, count > 1 ? "them" : "it", pids);
}

/* Leaving: launched tracees are killed (ln_stop_all), attached ones are
 * stopped with PTRACE_INTERRUPT and detached at that stop, except those
 * that carry lanner's filter. */
void ln_detach_all(struct ln_session *s)
{
	bool any = false;
	for (int h = 0; h < LN_THASH; h++)
		for (struct ln_tstate *t = s->threads[h]; t; t = t->hnext)
			if (t->attached && !undetachable(t)) {
				ln_ptrace(PTRACE_INTERRUPT, t->pub.tid, 0, 0);
				any = true;
			}
	if (any)
		s->detaching = true;
	refuse(s);
}

bool ln_detach_if_leaving(struct ln_session *s, struct ln_tstate *t, int status)
{
	if (!s->detaching || !t->attached || undetachable(t))
		return false;
	int sig = WSTOPSIG(status), event = status >> 16;
	/* a signal on its way in must not be lost by the detach */
	int deliver = event == 0 && sig != (SIGTRAP | 0x80) ? sig : 0;
	/* inside a call whose path lanner pinned: its own registers back */
	ln_pin_release(s, t, true);
	ln_ptrace(PTRACE_DETACH, t->pub.tid, 0, (unsigned long)deliver);
	ln_thread_gone(s, t);
	return true;
}
