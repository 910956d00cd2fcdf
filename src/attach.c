/*
 * attach.c - tracing processes that are already running (lanner --pid).
 *
 * A running process cannot be asked to install a seccomp filter, so an
 * attached process is traced in syscall mode: PTRACE_SYSCALL stops at every
 * syscall's entry and exit and lanner decides in user space, as the filter
 * would.  Slower, but detachable: on Ctrl-C lanner detaches and the process
 * runs on untouched.  (Injecting the filter would make it fast but
 * un-detachable: a SECCOMP_RET_TRACE with no tracer fails with ENOSYS.)
 *
 * Threads are seized one by one from /proc/PID/task; a thread created while
 * we scan is caught by rescanning until a pass finds nothing new.
 * Attached tracees get no PTRACE_O_EXITKILL: if lanner dies they run on.
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
#include "core.h"

static int seize_thread(struct ln_session *s, pid_t tid)
{
	if (ln_ptrace(PTRACE_SEIZE, tid, 0, LN_PTRACE_OPTIONS) < 0)
		return -errno;
	struct ln_tstate *t = ln_thread_new(s, tid, 0, LN_CHILD_EXISTING);
	if (!t) {
		ln_ptrace(PTRACE_DETACH, tid, 0, 0);
		return -ENOMEM;
	}
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	p->pub.flags |= LN_PROC_ATTACHED;
	p->syscall_mode = true;
	t->attached = true;
	t->syscall_mode = true;
	/* stop it now so that the next resume is a PTRACE_SYSCALL */
	ln_ptrace(PTRACE_INTERRUPT, tid, 0, 0);
	return 0;
}

LN_API int ln_attach(ln_session *s, int pid, int mode)
{
	if (mode != LN_ATTACH_SYSCALL) {
		ln_set_err(s, -EOPNOTSUPP, "attach mode seccomp (filter injection) is not available; "
			   "use the syscall mode");
		return -EOPNOTSUPP;
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
			int r = seize_thread(s, tid);
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

/* Leaving: launched tracees are killed (ln_stop_all), attached ones are
 * stopped with PTRACE_INTERRUPT and detached at that stop. */
void ln_detach_all(struct ln_session *s)
{
	bool any = false;
	for (int h = 0; h < LN_THASH; h++)
		for (struct ln_tstate *t = s->threads[h]; t; t = t->hnext)
			if (t->attached) {
				ln_ptrace(PTRACE_INTERRUPT, t->pub.tid, 0, 0);
				any = true;
			}
	if (any)
		s->detaching = true;
}

bool ln_detach_if_leaving(struct ln_session *s, struct ln_tstate *t, int status)
{
	if (!s->detaching || !t->attached)
		return false;
	int sig = WSTOPSIG(status), event = status >> 16;
	/* a signal on its way in must not be lost by the detach */
	int deliver = event == 0 && sig != (SIGTRAP | 0x80) ? sig : 0;
	ln_ptrace(PTRACE_DETACH, t->pub.tid, 0, (unsigned long)deliver);
	ln_thread_gone(s, t);
	return true;
}
