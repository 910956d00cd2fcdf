/*
 * session.c - a tracing session: launching, the wait loop, and the ptrace
 * stops it turns into events.
 *
 * Every tracee is PTRACE_SEIZE'd (so group-stops can be told apart from
 * signals and job control keeps working) with EXITKILL (nothing survives
 * lanner half-traced).  Syscalls stop at entry through the seccomp filter
 * (PTRACE_EVENT_SECCOMP); when the exit is wanted the tracee is resumed
 * with PTRACE_SYSCALL so that the next stop is the syscall's exit.  Process
 * life cycle comes from ptrace's own fork/vfork/clone/exec events, which
 * need no seccomp rule.
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

enum {
#if defined(__x86_64__)
	NATIVE_ARCH = AUDIT_ARCH_X86_64,
#elif defined(__aarch64__)
	NATIVE_ARCH = AUDIT_ARCH_AARCH64,
#endif
};

uint64_t ln_now_realtime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_mono(void)
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
 * forwarded to the launched program (lanner as a container entrypoint);
 * the same signals from the terminal reach the program without us. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
static volatile sig_atomic_t pending_fwd[65];
static volatile sig_atomic_t pending_any, alarm_fired, kill_requests;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGALRM) {
		alarm_fired = 1;
		return;
	}
	if (si->si_code == SI_USER || si->si_code == SI_QUEUE || si->si_code == SI_TKILL)
		pending_fwd[sig] = 1;
	else if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT)
		kill_requests++;	/* terminal: the program got it too */
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
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	s->signals_installed = true;
}

static void deliver_pending(struct ln_session *s)
{
	if (!pending_any)
		return;
	pending_any = 0;
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
		int sig = forwarded[i];
		if (pending_fwd[sig]) {
			pending_fwd[sig] = 0;
			if (s->root_pid > 0 && s->root_status < 0) {
				if (kill_requests++ > 0)
					ln_stop_all(s);	/* asked twice: stop now */
				else
					kill(s->root_pid, sig);
			}
		}
	}
	if (kill_requests > 1)
		ln_stop_all(s);
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
	while (s->ntracees > 0) {
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

LN_API void ln_set_snaplen(ln_session *s, uint32_t snaplen)
{
	s->snaplen = snaplen;
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

LN_API void ln_stop_all(ln_session *s)
{
	for (struct ln_pstate *p = s->plist; p; p = p->lnext)
		if (p->launched)
			kill(p->pub.pid, SIGKILL);
	ln_detach_all(s);
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

/* --- stops --- */

/* Tracees attached without a seccomp filter (syscall mode) stop at every
 * syscall's entry and exit; the others only where the filter says. */
void ln_resume(struct ln_tstate *t, int sig)
{
	pt(t->want_exit || t->syscall_mode ? PTRACE_SYSCALL : PTRACE_CONT, t->pub.tid, 0, (unsigned long)sig);
}
#define resume ln_resume

/* The fd an event is about: the new fd, or the first fd argument. */
static void attach_fd(struct ln_session *s, struct ln_tstate *t, ln_event *ev)
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
	if (ev->fdnum >= 0 && ev->fdnum < p->nfd_slots)
		ev->fd = p->fds[ev->fdnum];
}

/* Lazy fd tracking: the fd this syscall acts on, as the kernel has it now,
 * before the syscall runs (a close still sees what it closes). */
static void refresh_fd(struct ln_session *s, struct ln_tstate *t, ln_event *ev)
{
	const ln_type_info *ti = ln_type(ev->type);
	if (!(ti->flags & LN_TF_USES_FD))
		return;
	int fd = -1;
	for (int i = 0; i < ti->nparams; i++)
		if (ti->kind[i] == LN_K_FD && ti->src[i] < 6) {
			fd = (int)ev->params[i].val;
			break;
		}
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	if (fd < 0 || !p)
		return;
	ln_fd *f = ln_fd_set(p, fd);
	if (f)
		ln_fd_from_kernel(s, p, f);
	if (f && f->type == LN_FD_UNKNOWN)
		ln_fd_del(p, fd);	/* not open: EBADF ahead */
}

/* The mode a syscall gets when no filter chose it (syscall mode): the
 * same decision the seccomp filter would take, made here. */
static int mode_for(struct ln_session *s, int type, const uint64_t *args)
{
	int mode = s->mode[type];
	for (int i = 0; !mode && i < s->npreds; i++) {
		const struct ln_argpred *p = &s->preds[i];
		if (p->type == type && (args[p->arg] & p->mask) == p->value)
			mode = p->mode;
	}
	return mode;
}

static int type_of(uint32_t arch, int nr)
{
	return arch == NATIVE_ARCH ? ln_type_of_nr(nr) : ln_type_of_compat_nr(arch, nr);
}

/* A syscall's entry, from a seccomp stop or a syscall-entry stop. */
static bool begin(struct ln_session *s, struct ln_tstate *t, uint32_t arch, int type,
		  const uint64_t *args, int mode)
{
	ln_event *ev = &t->ev;
	ev->type = (uint16_t)type;
	ev->tid = t->pub.tid;
	ev->ts = ln_now_realtime();
	ev->latency = 0;
	ev->res = 0;
	ev->has_res = 0;
	ev->cpu = sched_getcpu();
	ev->thread = &t->pub;
	t->compat = arch != NATIVE_ARCH;
	for (int i = 0; i < 6; i++)
		ev->rawargs[i] = t->compat ? (uint32_t)args[i] : args[i];
	ln_args_entry(s, t);
	if (s->fd_lazy)
		refresh_fd(s, t, ev);
	if (mode == LN_TRACE_EXIT) {
		t->phase = LN_PH_IN_SYSCALL;
		t->want_exit = true;
		t->entry_mono = now_mono();
		resume(t, 0);
		return false;
	}
	attach_fd(s, t, ev);
	ln_event_finish(t);
	resume(t, 0);
	return true;
}

/* clone3 with CLONE_UNTRACED: refused, as the filter refuses clone's. */
static bool refuse_untraced(struct ln_tstate *t, uint64_t args_ptr)
{
	uint64_t flags;
	if (ln_mem_read(t->pub.tid, args_ptr, &flags, sizeof(flags)) != sizeof(flags) ||
	    !(flags & CLONE_UNTRACED))
		return false;
	if (ln_arch_deny_syscall(t->pub.tid, EPERM) < 0)
		return false;
	resume(t, 0);
	return true;
}

static bool on_seccomp(struct ln_session *s, struct ln_tstate *t)
{
	struct ptrace_syscall_info info;
	s->stats.stops_entry++;
	if (pt(PTRACE_GET_SYSCALL_INFO, t->pub.tid, sizeof(info), (unsigned long)&info) <= 0 ||
	    info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
		resume(t, 0);
		return false;
	}
	int type = type_of(info.arch, (int)info.seccomp.nr);
	if (type < 0) {
		resume(t, 0);
		return false;
	}
	int mode = (int)(info.seccomp.ret_data & 3);
	if (!strcmp(ln_type(type)->name, "clone3") && refuse_untraced(t, info.seccomp.args[0]))
		return false;
	if (mode == LN_TRACE_GUARD) {
		resume(t, 0);
		return false;
	}
	return begin(s, t, info.arch, type, (const uint64_t *)info.seccomp.args, mode);
}

static bool on_syscall_stop(struct ln_session *s, struct ln_tstate *t)
{
	struct ptrace_syscall_info info;
	long r = pt(PTRACE_GET_SYSCALL_INFO, t->pub.tid, sizeof(info), (unsigned long)&info);
	if (r > 0 && info.op == PTRACE_SYSCALL_INFO_ENTRY && t->syscall_mode &&
	    t->phase == LN_PH_RUNNING) {
		s->stats.stops_entry++;
		int type = type_of(info.arch, (int)info.entry.nr);
		int mode = type >= 0 ? mode_for(s, type, (const uint64_t *)info.entry.args) : 0;
		if (mode)
			return begin(s, t, info.arch, type, (const uint64_t *)info.entry.args, mode);
		resume(t, 0);
		return false;
	}
	s->stats.stops_exit++;
	if (r <= 0 || info.op != PTRACE_SYSCALL_INFO_EXIT || t->phase != LN_PH_IN_SYSCALL) {
		/* an entry stop we did not ask for, after an exec or signal */
		t->want_exit = t->phase == LN_PH_IN_SYSCALL;
		resume(t, 0);
		return false;
	}
	ln_event *ev = &t->ev;
	ev->res = info.exit.rval;
	if (t->compat)
		ev->res = (int32_t)ev->res;
	ev->has_res = 1;
	ev->latency = now_mono() - t->entry_mono;
	ev->thread = &t->pub;
	ev->tid = t->pub.tid;
	ln_args_exit(s, t);
	ln_effect_fn eff = ln_type_effect(ev->type);
	if (eff)
		eff(s, t, ev);
	attach_fd(s, t, ev);
	ln_event_finish(t);
	t->phase = LN_PH_RUNNING;
	t->want_exit = false;
	resume(t, 0);
	return true;
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
	ln_proc_load_creds(t);
	ln_proc_scan_fds(s, p);
	resume(t, 0);
}

/* A new child is only recorded at its own first stop: if it has already
 * stopped (or even ended) by now, a record made here would be a ghost.
 * Until then remember who made it, so its state is copied from its real
 * creator (PPid would name the grandparent after CLONE_PARENT). */
static void on_new_child(struct ln_session *s, struct ln_tstate *t)
{
	unsigned long child = 0;
	pt(PTRACE_GETEVENTMSG, t->pub.tid, 0, (unsigned long)&child);
	if (child > 0 && !ln_thread_find(s, (pid_t)child)) {
		struct ln_creator *c = &s->creators[s->ncreators++ % LN_CREATORS];
		int64_t flags = ln_arch_clone_flags(t->pub.tid);
		c->child = (pid_t)child;
		c->creator = t->pub.tid;
		c->kind = flags < 0 ? LN_CHILD_UNKNOWN
			: flags & CLONE_THREAD ? LN_CHILD_THREAD : LN_CHILD_PROCESS;
	}
	resume(t, 0);
}

static pid_t creator_of(struct ln_session *s, pid_t child, int *kind)
{
	*kind = LN_CHILD_UNKNOWN;
	for (int i = 0; i < LN_CREATORS; i++)
		if (s->creators[i].child == child) {
			s->creators[i].child = 0;
			*kind = s->creators[i].kind;
			return s->creators[i].creator;
		}
	return 0;
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
		ev->cpu = sched_getcpu();
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

/* One waitpid result; true if it made an event (in *out). */
static bool handle(struct ln_session *s, pid_t pid, int status, ln_event **out)
{
	struct ln_tstate *t = ln_thread_find(s, pid);
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (pid == s->root_pid)
			s->root_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (!t)
			return false;
		*out = &s->pseudo;
		return on_death(s, t, status);
	}
	if (!WIFSTOPPED(status))
		return false;
	if (!t) {
		/* a new child at its first stop */
		int kind;
		pid_t creator = creator_of(s, pid, &kind);
		t = ln_thread_new(s, pid, creator, kind);
		if (!t) {
			pt(PTRACE_CONT, pid, 0, 0);
			return false;
		}
	}
	if (ln_detach_if_leaving(s, t, status))
		return false;
	int sig = WSTOPSIG(status), event = status >> 16;
	if (sig == (SIGTRAP | 0x80)) {
		*out = &t->ev;
		return on_syscall_stop(s, t);
	}
	switch (event) {
	case PTRACE_EVENT_SECCOMP:
		*out = &t->ev;
		return on_seccomp(s, t);
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		s->stats.stops_ptrace++;
		on_new_child(s, t);
		return false;
	case PTRACE_EVENT_EXEC:
		s->stats.stops_ptrace++;
		on_exec(s, t);
		return false;
	case PTRACE_EVENT_STOP:
		s->stats.stops_signal++;
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
		s->stats.stops_signal++;
		t->group_stopped = false;
		resume(t, sig);
		return false;
	default:
		s->stats.stops_ptrace++;
		resume(t, 0);
		return false;
	}
}

/* ms > 0 arms the one-shot timer behind ln_next's timeout, 0 disarms. */
static void arm_alarm(int ms)
{
	struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static int wait_next(struct ln_session *s, ln_event **ev, int timeout_ms)
{
	for (;;) {
		deliver_pending(s);
		if (s->ntracees <= 0)
			return LN_NEXT_DONE;
		int status;
		pid_t pid = waitpid(-1, &status, __WALL | (timeout_ms == 0 ? WNOHANG : 0));
		if (pid == 0)
			return LN_NEXT_TIMEOUT;
		if (pid < 0) {
			if (errno == EINTR) {
				if (alarm_fired)
					return LN_NEXT_TIMEOUT;
				continue;
			}
			s->ntracees = 0;	/* ECHILD: nobody left */
			return LN_NEXT_DONE;
		}
		uint64_t t0 = now_mono();
		ln_event *out = NULL;
		bool made = handle(s, pid, status, &out);
		s->stats.tracer_ns += now_mono() - t0;
		if (made && out) {
			out->num = ++s->evnum;
			s->stats.events++;
			s->type_counts[out->type]++;
			*ev = out;
			return LN_NEXT_EVENT;
		}
	}
}

LN_API int ln_next(ln_session *s, ln_event **ev, int timeout_ms)
{
	ln_proc_free_deferred(s);
	if (s->capr) {
		int r = ln_cap_next(s, ev);
		if (r == LN_NEXT_EVENT) {
			s->stats.events++;
			s->type_counts[(*ev)->type]++;
		}
		return r;
	}
	alarm_fired = 0;
	/* The timer interrupts a blocking waitpid; it is disarmed on every
	 * return so that no SIGALRM reaches the caller later. */
	bool armed = timeout_ms > 0;
	if (armed)
		arm_alarm(timeout_ms);
	int r = wait_next(s, ev, timeout_ms);
	if (armed)
		arm_alarm(0);
	return r;
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
