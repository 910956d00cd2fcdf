/*
 * notify.c - the second capture engine: seccomp user notification with
 * synchronous wake-up, for calls whose event needs neither the result nor
 * anything read from the program's memory.
 *
 * A ptrace stop wakes the sleeping tracer on an idle CPU and then the
 * program on another: 54 us a round trip in this VM, 19-22 us with the
 * tracer polling.  A notification on a listener flagged
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6) wakes the tracer on the
 * program's CPU and the program on the tracer's: 6-7 us
 * (../shared/probes/stop_roundtrip.c; bench/RESULTS.md).  It has no exit
 * and lanner answers it with SECCOMP_USER_NOTIF_FLAG_CONTINUE, so it
 * serves only entry-only events whose parameters are all registers, of
 * calls that never wait in the kernel (the kill and setuid families, dup,
 * lseek, getppid, exit...): ln_notif_eligible.
 * Everything else stops by ptrace as before, and both kinds of event are
 * made on the tracing thread, into the one stream, with the same fields.
 *
 * Only a session's first launched program: the child installs lanner's filter with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER, and the tracer, which follows that
 * child's syscalls with PTRACE_SYSCALL until then, takes the listener
 * from the seccomp() exit (pidfd_getfd).  The fd is close-on-exec: the
 * program never sees it.  Forks and threads inherit the filter, so one
 * listener serves the whole tree.  An attached process gets the ptrace
 * filter (inject.c).
 *
 * The engine stays off, and --stats says why, when the kernel lacks the
 * synchronous wake-up (a notification would then cost what a sleeping
 * ptrace stop does), when a filter lanner runs under has a listener (only
 * one per filter stack: lanner under lanner), when the program may make
 * listeners of its own (--allow-seccomp-listener), or when asked
 * (ln_set_notify).
 *
 * The wait: the tracer sleeps in ppoll on the listener instead of in
 * waitpid.  A ptrace stop sends the tracer SIGCHLD: the tracing thread
 * keeps it blocked but inside ppoll, whose EINTR then says "look with
 * waitpid", and a SIGCHLD another thread takes writes a pipe ppoll also
 * watches.  Before it sleeps the tracer looks with waitpid(WNOHANG) once:
 * a stop after that look leaves SIGCHLD pending, which ppoll takes at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "trace/trace.h"

/* Linux 6.6 names, absent from older headers */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#if defined(__x86_64__)
#define NOTIF_ARCH AUDIT_ARCH_X86_64	/* only the native ABI is routed */
#else
#define NOTIF_ARCH 0u
#endif

enum {
	MAX_WAKE = 8,		/* sessions with the engine on at once */
	CHECK_EVERY = 16,	/* ptrace stops handled between two looks at the listener */
};

/* The write ends of the engines' wake pipes, for the SIGCHLD handler. */
static volatile int wake_w[MAX_WAKE] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static __thread volatile sig_atomic_t in_ppoll;
static int handlers;
static struct sigaction old_chld;

static void on_sigchld(int sig)
{
	(void)sig;
	if (in_ppoll)
		return;	/* the tracer's own ppoll returns EINTR */
	int e = errno;
	for (int i = 0; i < MAX_WAKE; i++)
		if (wake_w[i] >= 0)
			(void)!write(wake_w[i], "", 1);
	errno = e;
}

/* A parameter the kernel hands lanner in a register, not behind a
 * pointer: the kinds a notification can decode.  A kind added later
 * stays on ptrace until it is listed here. */
static bool in_registers(int kind)
{
	switch (kind) {
	case LN_K_NONE: case LN_K_INT: case LN_K_UINT: case LN_K_HEX: case LN_K_OCT:
	case LN_K_FD: case LN_K_PID: case LN_K_RES: case LN_K_RES_FD:
	case LN_K_OFLAGS: case LN_K_MODE: case LN_K_ATFLAGS: case LN_K_SOCK_DOMAIN:
	case LN_K_SOCK_TYPE: case LN_K_SOCK_PROTO: case LN_K_CLONE_FLAGS: case LN_K_SIGNAL:
	case LN_K_FCNTL_CMD: case LN_K_PROT: case LN_K_MMAP_FLAGS: case LN_K_PTRACE_REQ:
	case LN_K_MOUNT_FLAGS: case LN_K_UMOUNT_FLAGS: case LN_K_NS_TYPE:
	case LN_K_RENAME_FLAGS: case LN_K_SHUT_HOW: case LN_K_SOCKOPT_LEVEL:
	case LN_K_SOCKOPT_NAME: case LN_K_MSG_FLAGS: case LN_K_FD_FLAGS: case LN_K_MEMFD_FLAGS:
	case LN_K_CLOCKID: case LN_K_BPF_CMD: case LN_K_MODULE_FLAGS: case LN_K_UID:
	case LN_K_GID: case LN_K_CAPS: case LN_K_SECCOMP_OP: case LN_K_SECCOMP_FLAGS:
		return true;
	default:
		return false;
	}
}

/* Calls that never wait in the kernel, so never end in -ERESTARTSYS of
 * their own: the signal fix-up (ln_notif_signal_stop) then restarts only
 * calls a signal took off the listener.  A call that can block (fcntl's
 * F_SETLKW, ioctl, ftruncate, close on NFS...) answered and then
 * interrupted by a handler lacking SA_RESTART must fail with EINTR, as
 * untraced: forced to restart it ran again, with a second event, and
 * could hang a program that relies on alarm() to time it out (a
 * reviewer's F_SETLKW).  Not listed, whatever their arguments: on
 * ptrace. */
static const char *const never_wait[] = {
	"kill", "tkill", "tgkill", "setuid", "setgid", "setreuid", "setregid", "setresuid",
	"setresgid", "setfsuid", "setfsgid", "dup", "lseek", "getpid", "getppid", "exit", "exit_group",
};

static bool waits_never(const char *name)
{
	for (size_t i = 0; i < sizeof(never_wait) / sizeof(never_wait[0]); i++)
		if (!strcmp(never_wait[i], name))
			return true;
	return false;
}

bool ln_notif_eligible(struct ln_session *s, int id)
{
	const ln_type_info *ti = ln_type(id);
	if (!s->notif.use || !ti || ti->nr < 0 || !waits_never(ti->name))
		return false;
	/* a clone needs its exit (ln_child_adopt), an exec its ptrace
	 * event; a filter install is guarded (clone3.c); prevention and
	 * refusals act on a stop */
	if ((ti->flags & (LN_TF_CLONE | LN_TF_EXEC | LN_TF_PSEUDO)) || ln_filter_install_op(ti) >= 0 ||
	    ln_deny_rules_for(s, id) || ln_refusable(s, id) || s->hold[id])
		return false;
	if (s->mode[id] != LN_TRACE_NONE && s->mode[id] != LN_TRACE_ENTRY)
		return false;
	for (int i = 0; i < s->npreds; i++)
		if (s->preds[i].type == id && s->preds[i].mode != LN_TRACE_ENTRY)
			return false;
	for (int i = 0; i < ti->nparams; i++)
		if (ti->src[i] < 6 && !in_registers(ti->kind[i]))
			return false;
	return true;
}

/* The wake pipe, the SIGCHLD handler and the tracing thread's mask. */
static int start_waiting(struct ln_session *s)
{
	if (s->notif.wake_r >= 0)
		return 0;	/* set up already */
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	int slot = -1;
	for (int i = 0; i < MAX_WAKE && slot < 0; i++)
		if (wake_w[i] < 0)
			slot = i;
	if (slot < 0) {
		close(p[0]);
		close(p[1]);
		return -EBUSY;
	}
	/* two fds kept for pidfd_open and pidfd_getfd at the hand-off: once
	 * the child has its filter, lanner must be able to take the listener
	 * (a reviewer's `prlimit --nofile=8` ran the program with every
	 * routed call failing ENOSYS) */
	for (int i = 0; i < 2; i++)
		s->notif.spare[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (s->notif.spare[0] < 0 || s->notif.spare[1] < 0) {
		for (int i = 0; i < 2; i++)
			if (s->notif.spare[i] >= 0)
				close(s->notif.spare[i]);
		s->notif.spare[0] = s->notif.spare[1] = -1;
		close(p[0]);
		close(p[1]);
		return -EMFILE;
	}
	s->notif.wake_r = p[0];
	s->notif.wake_w = p[1];
	s->notif.slot = slot;
	wake_w[slot] = p[1];
	if (!handlers++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigchld;
		sa.sa_flags = SA_RESTART;	/* other threads' calls go on */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGCHLD, &sa, &old_chld);
	}
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, &s->notif.oldmask);
	pthread_sigmask(SIG_SETMASK, NULL, &s->notif.sleepmask);
	sigdelset(&s->notif.sleepmask, SIGCHLD);
	s->notif.tracer = (pid_t)syscall(SYS_gettid);
	return 0;
}

static bool traced(struct ln_session *s, int id)
{
	if (s->mode[id] != LN_TRACE_NONE)
		return true;
	for (int i = 0; i < s->npreds; i++)
		if (s->preds[i].type == id)
			return true;
	return false;
}

/* What the kernel can do, tried on a throwaway thread: a filter with a
 * listener there binds only that thread, and the listener's flags say
 * whether the synchronous wake-up exists.  EBUSY: a filter above lanner
 * has a listener, and the child's would fail the same way. */
struct probe { int err; };

static void *probe_main(void *arg)
{
	struct probe *pr = arg;
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog fp = { 1, &allow };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		pr->err = errno;
		return NULL;
	}
	int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fp);
	if (fd < 0) {
		pr->err = errno;
		return NULL;
	}
	uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
	pr->err = ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) < 0 ? (errno == EBUSY ? EIO : errno) : 0;
	close(fd);
	return NULL;
}

void ln_notif_decide(struct ln_session *s)
{
	s->notif.use = false;
#if !defined(__x86_64__)
	s->notif.why = "off (x86_64 only: the signal fix-up is not ported)";
	return;
#endif
	if (!s->notif.want) {
		s->notif.why = "off (--engine ptrace)";
		return;
	}
	if (!(s->refuse & LN_REFUSE_LISTENER)) {
		s->notif.why = "off (--allow-seccomp-listener: the program may need the listener)";
		return;
	}
	if (s->notif.probed != 1) {
		struct probe pr = { ENOSYS };
		pthread_t th;
		if (pthread_create(&th, NULL, probe_main, &pr) == 0)
			pthread_join(th, NULL);
		s->notif.probed = 1;
		s->notif.probe_err = pr.err;
	}
	switch (s->notif.probe_err) {
	case 0:
		break;
	case EBUSY:
		s->notif.why = "off (a filter lanner runs under has a listener)";
		return;
	case EINVAL: case ENOTTY:
		s->notif.why = "off (no synchronous wake-up: Linux 6.6 or later)";
		return;
	default:
		s->notif.why = "off (seccomp user notification unavailable)";
		return;
	}
	s->notif.use = true;
	bool any = false;
	for (int id = 0; id < ln_ntypes() && !any; id++)
		any = traced(s, id) && ln_notif_eligible(s, id);
	if (!any) {
		s->notif.use = false;
		s->notif.why = "off (no traced call fits: each needs its result or the program's memory, or may wait)";
	} else {
		s->notif.why = "on (seccomp user notification, synchronous wake-up)";
	}
}

void ln_notif_prepare(struct ln_session *s)
{
	if (s->notif.launched) {
		/* one listener per session: a second launch gets the ptrace
		 * filter (its routed calls would wait on a listener nobody
		 * reads) */
		s->notif.use = false;
		return;
	}
	ln_notif_decide(s);
	s->notif.launched = s->notif.use;
	if (s->notif.use && start_waiting(s) < 0) {
		s->notif.use = false;
		s->notif.launched = false;
		s->notif.why = "off (no fd left for its pipe and hand-off)";
	}
}

void ln_notif_take_listener(struct ln_session *s, pid_t child, int fd)
{
	for (int i = 0; i < 2; i++) {
		if (s->notif.spare[i] >= 0)
			close(s->notif.spare[i]);
		s->notif.spare[i] = -1;
	}
	int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	int mine = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	int err = errno;
	if (pidfd >= 0)
		close(pidfd);
	if (mine < 0) {
		/* its routed calls would fail with ENOSYS once the child's
		 * copy closes at its exec, with no event: it must not run */
		kill(child, SIGKILL);
		snprintf(s->notif.whybuf, sizeof(s->notif.whybuf),
			 "off (the listener could not be taken: %s; the program was killed)", strerror(err));
		s->notif.why = s->notif.whybuf;
		return;
	}
	uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
	s->notif.why = ioctl(mine, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) < 0
		? "on, without synchronous wake-up" : "on (seccomp user notification, synchronous wake-up)";
	s->notif.fd = mine;
}

/* The handoff: the launched child's syscalls, followed until the
 * seccomp() that installed lanner's filter returns the listener. */
void ln_notif_handoff_stop(struct ln_session *s, struct ln_tstate *t)
{
	struct ptrace_syscall_info info;
	if (ln_ptrace(PTRACE_GET_SYSCALL_INFO, t->pub.tid, sizeof(info), (unsigned long)&info) <= 0)
		return;
	if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
		t->handoff_nr = (int)info.entry.nr;
	} else if (info.op == PTRACE_SYSCALL_INFO_EXIT && t->handoff_nr == SYS_seccomp &&
		   !info.exit.is_error) {
		/* the fd may be 0, where lanner was started without stdin */
		t->handoff = false;
		ln_notif_take_listener(s, t->pub.tid, (int)info.exit.rval);
	}
}

/* A signal that comes while a call waits on the listener, before lanner
 * has received it, takes the call back with -ERESTARTSYS: with a handler
 * lacking SA_RESTART the program would see EINTR from a kill() or a
 * setuid() that never fails so untraced (measured: 36647 of 200000
 * kill()s with a 50 us timer).  The signal's delivery stop comes first:
 * such a call is made to restart whatever the handler says, and the new
 * notification makes its one event.  (After the receive only a fatal
 * signal takes it back: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV.)  A call
 * of a routed type that the kernel itself interrupted restarts too,
 * where untraced it might fail with EINTR: ftruncate on some network
 * filesystems. */
void ln_notif_signal_stop(struct ln_session *s, struct ln_tstate *t)
{
	long nr;
	struct ptrace_syscall_info info;
	if (s->notif.fd < 0 || ln_arch_interrupted_call(t->pub.tid, &nr) < 0)
		return;
	/* int 0x80 from 64-bit code has the native cs, and orig_rax holds an
	 * i386 number there (read 3 would pass for close); the kernel knows
	 * (TS_COMPAT, which it keeps until the signal's restart is done) */
	if (ln_ptrace(PTRACE_GET_SYSCALL_INFO, t->pub.tid, sizeof(info), (unsigned long)&info) <= 0 ||
	    info.arch != NOTIF_ARCH)
		return;
	int type = ln_type_of_nr((int)nr);
	if (type >= 0 && s->notif.routed[type])
		ln_arch_restart_always(t->pub.tid);
}

static void stop_engine(struct ln_session *s)
{
	if (s->notif.fd >= 0)
		close(s->notif.fd);
	s->notif.fd = -1;
}

/* POLLHUP: every task that had the filter is gone.  Not POLLERR, which
 * the listener reports while a signal is pending (its lock is taken
 * interruptibly): a SIGCHLD arriving in ppoll does that, and closing the
 * listener then left every waiting call hanging. */
static bool gone(struct ln_session *s, short revents)
{
	if (!(revents & (POLLHUP | POLLNVAL)) || (revents & POLLIN))
		return false;
	stop_engine(s);
	return true;
}

/* A look at the listener without sleeping: 1 if a notification waits. */
static int ready(struct ln_session *s)
{
	struct pollfd pf = { s->notif.fd, POLLIN, 0 };
	if (poll(&pf, 1, 0) <= 0)
		return 0;
	return gone(s, pf.revents) ? 0 : (pf.revents & POLLIN) != 0;
}

bool ln_notif_due(struct ln_session *s)
{
	if (s->notif.fd < 0)
		return false;
	/* more were waiting at the last one: served on, but a waitpid look
	 * every CHECK_EVERY so that stops do not starve either */
	if (s->notif.more && ++s->notif.streak % CHECK_EVERY)
		return true;
	s->notif.more = false;
	if (++s->notif.since < CHECK_EVERY)
		return false;
	s->notif.since = 0;
	return ready(s);
}

bool ln_notif_ready(struct ln_session *s)
{
	return s->notif.fd >= 0 && ready(s);
}

int ln_notif_sleep(struct ln_session *s, bool nonblock)
{
	struct pollfd pf[2] = { { s->notif.fd, POLLIN, 0 }, { s->notif.wake_r, POLLIN, 0 } };
	struct timespec zero = { 0, 0 };
	in_ppoll = 1;
	int n = ppoll(pf, 2, nonblock ? &zero : NULL, &s->notif.sleepmask);
	in_ppoll = 0;
	if (n <= 0)
		return 0;
	if (pf[1].revents) {
		char buf[64];
		while (read(s->notif.wake_r, buf, sizeof(buf)) > 0)
			;
	}
	return gone(s, pf[0].revents) ? 0 : (pf[0].revents & POLLIN) != 0;
}

bool ln_notif_serve(struct ln_session *s, ln_event **out)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	memset(&req, 0, sizeof(req));
	s->notif.since = 0;
	if (ioctl(s->notif.fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
		s->notif.more = false;
		return false;	/* ENOENT: the caller died meanwhile */
	}
	LN_STAT_ADD(s, stops_notif, 1);
	struct ln_tstate *t = ln_thread_find(s, (pid_t)req.pid);
	bool made = false;
	int type = ln_type_of_nr(req.data.nr);
	/* a thread lanner does not trace (left with --keep) runs on */
	if (t && type >= 0 && req.data.arch == NOTIF_ARCH && t->phase == LN_PH_RUNNING &&
	    s->notif.routed[type]) {
		const uint64_t *args = (const uint64_t *)req.data.args;
		ln_child_note_pidns(t, type, args);
		if (ln_trace_mode_for(s, type, args, false) != LN_TRACE_NONE) {
			ln_entry_event(s, t, type, args);
			*out = &t->ev;
			made = true;
		}
	}
	/* Whether more wait, asked while this one is held: the listener's
	 * poll walks its list until it has seen a waiting and a held
	 * notification, so with this one held at the head it stops at the
	 * second; with none held it walks every waiting one (1,200 threads
	 * of spec/progs/inv_stress: 22% of the machine in
	 * seccomp_notify_poll, the run 6x slower than by ptrace). */
	struct pollfd pf = { s->notif.fd, POLLIN, 0 };
	s->notif.more = poll(&pf, 1, 0) > 0 && (pf.revents & POLLIN);
	/* answered before the event is handed out, as a stop is resumed */
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	(void)ioctl(s->notif.fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	return made;
}

void ln_notif_free(struct ln_session *s)
{
	stop_engine(s);
	for (int i = 0; i < 2; i++) {
		if (s->notif.spare[i] >= 0)
			close(s->notif.spare[i]);
		s->notif.spare[i] = -1;
	}
	if (s->notif.wake_r < 0)
		return;
	wake_w[s->notif.slot] = -1;
	close(s->notif.wake_r);
	close(s->notif.wake_w);
	s->notif.wake_r = s->notif.wake_w = -1;
	if (s->notif.tracer == (pid_t)syscall(SYS_gettid))
		pthread_sigmask(SIG_SETMASK, &s->notif.oldmask, NULL);
	if (!--handlers)
		sigaction(SIGCHLD, &old_chld, NULL);
}

LN_API void ln_set_notify(ln_session *s, int on)
{
	s->notif.want = on != 0;
}

LN_API const char *ln_notify_state(ln_session *s)
{
	return s->notif.why ? s->notif.why : "off (no program launched)";
}
