/*
 * session.c - a tracing session: what to trace, signals to lanner itself,
 * launching a program, and the state tables as Lua sees them.  The stops
 * and the wait loop are in stops.c.
 *
 * Every tracee is PTRACE_SEIZE'd (so group-stops can be told apart from
 * signals and job control keeps working); launched ones with EXITKILL
 * (nothing survives lanner half-traced).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/ptrace.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "core.h"
#include "capture.h"

/* glibc's <sys/ptrace.h> clashes with <linux/ptrace.h>; call it raw. */
long ln_ptrace(long req, pid_t pid, unsigned long addr, unsigned long data)
{
	return syscall(SYS_ptrace, req, pid, addr, data);
}
#define pt ln_ptrace


uint64_t ln_now_realtime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ln_now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ln_set_err(struct ln_session *s, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	if (err < 0 && n >= 0 && (size_t)n < sizeof(s->errmsg))
		snprintf(s->errmsg + n, sizeof(s->errmsg) - (size_t)n, "%s%s",
			 n ? ": " : "", strerror(-err));
}

LN_API const char *ln_errmsg(ln_session *s)
{
	return s->errmsg;
}

/* --- signals to lanner itself --- */

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

/* A library must not leave its handlers behind: the host process (a Lua
 * program using the core through the FFI) may unload it. */
static void restore_signals(struct ln_session *s)
{
	if (!s->signals_installed)
		return;
	s->signals_installed = false;
	if (--sessions_with_signals)
		return;
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &old_actions[forwarded[i]], NULL);
	sigaction(SIGALRM, &old_actions[SIGALRM], NULL);
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
				ln_stop_all(s);	/* attached only: detach */
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

/* --- session --- */

static bool have_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return d[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32));
}

LN_API ln_session *ln_session_new(void)
{
	ln_table_init();
	struct ln_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->snaplen = LN_DEFAULT_SNAPLEN;
	s->root_status = -1;
	s->have_caps = have_cap_sys_admin();
	s->type_counts = calloc((size_t)ln_ntypes(), sizeof(uint64_t));
	if (!s->type_counts) {
		free(s);
		return NULL;
	}
	s->pseudo_thread.proc = NULL;
	return s;
}

LN_API void ln_session_free(ln_session *s)
{
	if (!s)
		return;
	ln_stop_all(s);
	/* reap what ln_stop_all killed so no zombie or stopped tracee stays */
	int status;
	while (s->ntracees > 0 && !s->capr) {	/* replayed threads are not ours */
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
	restore_signals(s);
	ln_state_free_all(s);
	free(s->preds);
	free(s->type_counts);
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

LN_API const ln_stats *ln_get_stats(ln_session *s)
{
	return &s->stats;
}

LN_API const uint64_t *ln_type_counts(ln_session *s)
{
	return s->type_counts;
}

LN_API int ln_exit_status(ln_session *s)
{
	return s->root_status;
}

LN_API void ln_set_keep(ln_session *s, int keep)
{
	s->keep = keep != 0;
}

/* --keep: a launched program got lanner's filter before its exec, so it
 * cannot be left to run untraced (its traced syscalls would fail with
 * ENOSYS): it is served until it exits instead of killed. */
static void say_kept(struct ln_session *s, pid_t pid, bool more)
{
	if (!s->kept_said++)
		fprintf(stderr, "lanner: --keep: the launched program (pid %d%s) carries lanner's seccomp filter "
			"since its start and cannot run on untraced (its traced syscalls would fail with ENOSYS): "
			"lanner keeps serving it until it exits\n", pid, more ? " and its children" : "");
}

LN_API void ln_stop_all(ln_session *s)
{
	int kept = 0, first = 0;
	s->stopping = true;
	for (struct ln_pstate *p = s->plist; p; p = p->lnext) {
		if (!p->launched)
			continue;
		if (!s->keep)
			kill(p->pub.pid, SIGKILL);
		else if (!p->dead && !(p->pub.flags & LN_PROC_EXITED) && !kept++)
			first = p->pub.pid;
	}
	if (kept)
		say_kept(s, first, kept > 1);
	ln_detach_all(s);
}

/* A launched process whose first stop came after ln_stop_all (its fork
 * was reported, the child not yet seen): the same fate as its kin. */
void ln_stop_late_child(struct ln_session *s, struct ln_tstate *t)
{
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	if (!s->stopping || !p || !p->launched)
		return;
	if (!s->keep)
		kill(t->pub.tid, SIGKILL);
	else
		say_kept(s, p->pub.pid, false);
}

/* --- launching --- */

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

LN_API int ln_spawn(ln_session *s, const char *const *argv)
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
	r = ln_filter_build(s, &prog, &len);
	if (r < 0)
		return r;
	int smode, nf = ln_seccomp_filters(getpid(), &smode);
	s->filter_base = nf > 0 ? nf : 0;	/* the program inherits them */
	ln_install_signals(s);
	place_cpus(s);
	/* with LN_CPU_TRACER the program keeps every CPU lanner was given */
	bool restore = s->pinned && s->cpu_policy == LN_CPU_TRACER;
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
		/* Wait for the tracer: it seizes us while we are stopped. */
		raise(SIGSTOP);
		struct sock_fprog fp = { (unsigned short)(len / sizeof(struct sock_filter)), prog };
		if (!s->have_caps && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(126);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0) {
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
	struct ln_tstate *t = ln_thread_new(s, pid, 0, LN_CHILD_UNKNOWN);
	if (!t) {
		kill(pid, SIGKILL);
		ln_set_err(s, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	t->seen_first_stop = true;
	((struct ln_pstate *)t->pub.proc)->launched = true;
	if (s->root_pid == 0)
		s->root_pid = pid;
	kill(pid, SIGCONT);
	return pid;
}

/* --- state access for Lua --- */

LN_API ln_thread *ln_thread_get(ln_session *s, int tid)
{
	struct ln_tstate *t = ln_thread_find(s, tid);
	return t ? &t->pub : NULL;
}

LN_API ln_proc *ln_proc_get(ln_session *s, int pid)
{
	struct ln_pstate *p = ln_proc_find(s, pid);
	return p ? &p->pub : NULL;
}

LN_API ln_proc *ln_proc_next(ln_session *s, ln_proc *prev)
{
	struct ln_pstate *p = prev ? ((struct ln_pstate *)prev)->lnext : s->plist;
	return p ? &p->pub : NULL;
}

LN_API ln_fd *ln_fd_get(ln_session *s, ln_proc *pp, int fd)
{
	struct ln_pstate *p = (struct ln_pstate *)pp;
	(void)s;
	return p && fd >= 0 && fd < p->nfd_slots ? p->fds[fd] : NULL;
}

LN_API ln_fd *ln_fd_next(ln_session *s, ln_proc *pp, ln_fd *prev)
{
	struct ln_pstate *p = (struct ln_pstate *)pp;
	(void)s;
	for (int i = prev ? prev->num + 1 : 0; p && i < p->nfd_slots; i++)
		if (p->fds[i])
			return p->fds[i];
	return NULL;
}
