/*
 * spawn.c - launching the program to trace: it stops itself, is seized
 * with EXITKILL, installs lanner's filter and execs, so no syscall of the
 * program runs untraced and nothing survives lanner half-traced.
 */
#include <errno.h>
#include <pthread.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "base/base.h"
#include "state/state.h"
#include "trace/trace.h"

#define pt ln_ptrace

/* Pins lanner (and, with LN_CPU_SHARED, what it forks next) to the CPU it
 * runs on now.  bench/RESULTS.md has the measurements behind the default. */
static void place_cpus(struct ln_session *s)
{
	if (s->cpu_policy == LN_CPU_FREE || s->pinned ||
	    sched_getaffinity(0, sizeof(s->orig_mask), &s->orig_mask) < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	int cpu = sched_getcpu();
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	s->pinned = sched_setaffinity(0, sizeof(set), &set) == 0;
}

/* The poll (spin.c) waits for a stop made on another CPU.  When the
 * program can run only on the one CPU lanner runs on (--cpu shared, or
 * both started under `taskset -c N`), every poll only delays it: measured
 * under taskset -c 0, --poll 0 took 0.83x the default's time (bench/
 * RESULTS.md).  An explicit --poll still wins. */
static void no_poll_on_one_cpu(struct ln_session *s, bool restore)
{
	cpu_set_t mine;
	if (s->poll_set || sched_getaffinity(0, sizeof(mine), &mine) < 0)
		return;
	const cpu_set_t *prog = restore ? &s->orig_mask : &mine;
	if (CPU_COUNT(prog) == 1 && CPU_EQUAL(prog, &mine))
		ln_spin_init(&s->spin, 0);
}

/* Search PATH in lanner, as strace does, so the tracee makes one execve
 * and not one per PATH entry. */
static int find_program(const char *name, char *out, size_t n)
{
	if (strchr(name, '/')) {
		snprintf(out, n, "%s", name);
		return 0;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	int err = -ENOENT;
	while (*path) {
		const char *end = strchrnul(path, ':');
		int len = (int)(end - path);
		snprintf(out, n, "%.*s%s%s", len, path, len ? "/" : "", name);
		if (access(out, X_OK) == 0)
			return 0;
		if (errno == EACCES)
			err = -EACCES;
		path = *end ? end + 1 : end;
	}
	return err;
}

int ln_trace_spawn(struct ln_session *s, const char *const *argv)
{
	void *prog;
	size_t len;
	if (!argv || !argv[0]) {
		ln_set_err(s, -EINVAL, "nothing to run");
		return -EINVAL;
	}
	char file[4096];
	int r = find_program(argv[0], file, sizeof(file));
	if (r < 0) {
		ln_set_err(s, r, "%s", argv[0]);
		return r;
	}
	ln_notif_prepare(s);	/* the user-notification engine: notify.c */
	r = ln_filter_build(s, &prog, &len, true);
	if (r < 0)
		return r;
	int smode, nf = ln_seccomp_filters(getpid(), &smode);
	s->filter_base = nf > 0 ? nf : 0;	/* the program inherits them */
	ln_install_signals(s);
	place_cpus(s);
	/* with LN_CPU_TRACER the program keeps every CPU lanner was given */
	bool restore = s->pinned && s->cpu_policy == LN_CPU_TRACER;
	no_poll_on_one_cpu(s, restore);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		free(prog);
		ln_set_err(s, -errno, "fork");
		return -errno;
	}
	if (pid == 0) {
		if (restore)
			sched_setaffinity(0, sizeof(s->orig_mask), &s->orig_mask);
		/* the mask lanner had before it blocked SIGCHLD (notify.c):
		 * an exec keeps a mask, and the program must not start with
		 * its SIGCHLD blocked */
		if (s->notif.wake_r >= 0)
			pthread_sigmask(SIG_SETMASK, &s->notif.oldmask, NULL);
		/* Wait for the tracer: it seizes us while we are stopped. */
		raise(SIGSTOP);
		struct sock_fprog fp = { (unsigned short)(len / sizeof(struct sock_filter)), prog };
		if (!s->have_caps && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(126);
		/* the listener, if any, is taken by the tracer at this call's
		 * exit (t->handoff); after a recv only a fatal signal may
		 * take the call back, so no event is made twice */
		unsigned flags = s->notif.use ? SECCOMP_FILTER_FLAG_NEW_LISTENER |
			SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0;
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fp) < 0) {
			fprintf(stderr, "lanner: cannot install the seccomp filter: %s\n", strerror(errno));
			_exit(126);
		}
		execv(file, (char *const *)argv);
		int e = errno;
		fprintf(stderr, "lanner: %s: %s\n", argv[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	free(prog);
	int status;
	if (waitpid(pid, &status, WSTOPPED) < 0 || !WIFSTOPPED(status)) {
		ln_set_err(s, -ECHILD, "the child did not stop");
		kill(pid, SIGKILL);
		return -ECHILD;
	}
	if (pt(PTRACE_SEIZE, pid, 0, LN_PTRACE_OPTIONS | PTRACE_O_EXITKILL) < 0) {
		int e = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ln_set_err(s, e, "PTRACE_SEIZE");
		return e;
	}
	ln_proc_add_ancestors(s, getpid());
	struct ln_tstate *t = ln_thread_new(s, pid, NULL);
	if (!t) {
		kill(pid, SIGKILL);
		ln_set_err(s, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	t->seen_first_stop = true;
	t->handoff = s->notif.use;
	t->handoff_nr = -1;
	((struct ln_pstate *)t->pub.proc)->launched = true;
	((struct ln_pstate *)t->pub.proc)->own_filters = false;	/* lanner's, over its own */
	if (s->root_pid == 0)
		s->root_pid = pid;
	kill(pid, SIGCONT);
	return pid;
}
