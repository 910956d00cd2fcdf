/*
 * lanner.h - the one contract between the C core and the Lua side.
 *
 * Plain structs, enums and prototypes only: the build runs this file through
 * the preprocessor with LN_CDEF defined and hands the result to ffi.cdef
 * (build/lua/lanner/cdef.lua).  No macros, no static inline, no bitfields.
 * spec/abi_spec.lua checks ffi.sizeof/ffi.offsetof against the C compiler.
 *
 * Conventions: every function is prefixed ln_; functions that can fail
 * return 0 (or a count) on success and -errno on failure, with a message
 * available from ln_errmsg().  Pointers handed out by the core stay valid
 * until the next call to ln_next() unless said otherwise.
 */
#ifndef LANNER_H
#define LANNER_H
#ifndef LN_CDEF
#include <stddef.h>
#include <stdint.h>
#endif

/* Bumped whenever a struct layout or a prototype below changes; the Lua side
 * refuses to run against a core of another version. */
enum { LN_ABI_VERSION = 12 };

enum ln_limits {
	LN_MAX_PARAMS = 8,	/* most parameters an event carries */
	LN_COMM_LEN = 16,	/* TASK_COMM_LEN */
	LN_DEFAULT_SNAPLEN = 80,	/* bytes of I/O buffers kept, as sysdig */
	LN_MAX_SNAPLEN = 65536	/* the most ln_set_snaplen keeps: the largest
				 * power of two for which an event with
				 * every parameter that long still fits a
				 * capture block (capture/write.c checks) */
};

/* What a parameter is, which decides how it is read and rendered. */
enum ln_kind {
	LN_K_NONE = 0,
	LN_K_INT,		/* signed decimal */
	LN_K_UINT,		/* unsigned decimal */
	LN_K_HEX,		/* address or opaque value, rendered 0x... */
	LN_K_OCT,		/* octal number */
	LN_K_FD,		/* file descriptor: "3(<f>/etc/passwd)" */
	LN_K_DIRFD,		/* dirfd: AT_FDCWD or an fd */
	LN_K_PID,		/* process or thread id */
	LN_K_RES,		/* result: number, or "-2 ENOENT" */
	LN_K_RES_FD,		/* result that is a new fd on success */
	LN_K_PATH,		/* NUL-terminated path read from the tracee */
	LN_K_STR,		/* NUL-terminated string read from the tracee */
	LN_K_BUF_IN,		/* bytes the tracee hands in (write): read at entry */
	LN_K_BUF_OUT,		/* bytes the kernel hands back (read): read at exit */
	LN_K_IOV_IN,		/* struct iovec[] handed in (writev) */
	LN_K_IOV_OUT,		/* struct iovec[] filled in (readv) */
	LN_K_MSG_IN,		/* struct msghdr handed in (sendmsg) */
	LN_K_MSG_OUT,		/* struct msghdr filled in (recvmsg) */
	LN_K_SOCKADDR_IN,	/* sockaddr + length handed in (connect, bind) */
	LN_K_SOCKADDR_OUT,	/* sockaddr + length pointer filled in (accept) */
	LN_K_TUPLE,		/* socket tuple of the event's fd (ln_tuple bytes) */
	LN_K_ARGV,		/* NULL-terminated string array (execve) */
	LN_K_FDPAIR,		/* int[2] filled in (pipe, socketpair) */
	LN_K_OPEN_HOW,		/* struct open_how (openat2) */
	LN_K_CLONE_ARGS,	/* struct clone_args (clone3) */
	LN_K_OFLAGS,		/* O_* */
	LN_K_MODE,		/* file mode, octal */
	LN_K_ATFLAGS,		/* AT_* */
	LN_K_SOCK_DOMAIN,	/* AF_* */
	LN_K_SOCK_TYPE,		/* SOCK_* with flags */
	LN_K_SOCK_PROTO,	/* IPPROTO_* */
	LN_K_CLONE_FLAGS,	/* CLONE_* (clone, unshare) */
	LN_K_SIGNAL,		/* SIG* */
	LN_K_FCNTL_CMD,		/* F_* */
	LN_K_PROT,		/* PROT_* */
	LN_K_MMAP_FLAGS,	/* MAP_* */
	LN_K_PTRACE_REQ,	/* PTRACE_* */
	LN_K_PRCTL_OP,		/* PR_* */
	LN_K_MOUNT_FLAGS,	/* MS_* */
	LN_K_UMOUNT_FLAGS,	/* MNT_*, UMOUNT_* */
	LN_K_NS_TYPE,		/* CLONE_NEW* (setns) */
	LN_K_RENAME_FLAGS,	/* RENAME_* */
	LN_K_SHUT_HOW,		/* SHUT_* */
	LN_K_SOCKOPT_LEVEL,	/* SOL_* */
	LN_K_SOCKOPT_NAME,	/* SO_* */
	LN_K_MSG_FLAGS,		/* MSG_* */
	LN_K_FD_FLAGS,		/* O_CLOEXEC|O_NONBLOCK style flags (dup3, pipe2,
				   eventfd2, inotify_init1, signalfd4, timerfd,
				   userfaultfd, accept4 as SOCK_*) */
	LN_K_MEMFD_FLAGS,	/* MFD_* */
	LN_K_CLOCKID,		/* CLOCK_* */
	LN_K_BPF_CMD,		/* BPF_* command */
	LN_K_MODULE_FLAGS,	/* MODULE_INIT_* (finit_module), O_* (delete) */
	LN_K_UID,		/* uid, -1 rendered as -1 */
	LN_K_GID,		/* gid */
	LN_K_CAPS,		/* capability mask */
	LN_K_TIMESPEC2,		/* struct timespec[2] handed in (utimensat): the
				   bytes, as timespec[2]; val is the new mtime in
				   ns since the epoch, -1 now (NULL or UTIME_NOW),
				   -2 unchanged (UTIME_OMIT) */
	LN_K_TIMEVAL2,		/* struct timeval[2] (futimesat): the same, read
				   as timespec[2] */
	LN_K_BPF_PROG,		/* struct sock_fprog: the instructions, read at
				   entry when the call installs a filter */
	LN_K_SECCOMP_OP,	/* SECCOMP_SET_MODE_* (seccomp) */
	LN_K_SECCOMP_FLAGS,	/* SECCOMP_FILTER_FLAG_* */
	LN_K_COUNT
};

/* Where a parameter value came from and how reading it went. */
enum ln_param_flags {
	LN_PF_READ = 1,		/* str/len hold bytes read from the tracee */
	LN_PF_TRUNCATED = 2,	/* more bytes existed than were kept */
	LN_PF_FAULT = 4,	/* the pointer could not be read (val is it) */
	LN_PF_NULL = 8		/* the pointer was NULL */
};

typedef struct ln_param {
	int64_t val;		/* integer value, or the raw pointer */
	const char *str;	/* bytes read (strings, buffers, sockaddrs) */
	uint32_t len;		/* number of bytes at str */
	uint16_t kind;		/* enum ln_kind */
	uint16_t flags;		/* enum ln_param_flags */
} ln_param;

/* Event categories, Falco's evt.category names. */
enum ln_category {
	LN_CAT_UNKNOWN = 0, LN_CAT_OTHER, LN_CAT_FILE, LN_CAT_NET, LN_CAT_IPC,
	LN_CAT_MEMORY, LN_CAT_PROCESS, LN_CAT_SIGNAL, LN_CAT_USER,
	LN_CAT_SYSTEM, LN_CAT_COUNT
};

/* Properties of an event type, from the syscall table. */
enum ln_type_flags {
	LN_TF_FD_CREATE = 1,	/* a successful result is a new fd */
	LN_TF_IO_READ = 2,	/* reads data (evt.is_io_read) */
	LN_TF_IO_WRITE = 4,	/* writes data (evt.is_io_write) */
	LN_TF_OPEN = 8,		/* open family: flags say read/write/create */
	LN_TF_USES_FD = 16,	/* acts on an existing fd (first fd param) */
	LN_TF_EXEC = 32,	/* execve family */
	LN_TF_CLONE = 64,	/* process or thread creation */
	LN_TF_PSEUDO = 128	/* not a syscall (procexit) */
};

typedef struct ln_type_info {
	const char *name;	/* Falco's evt.type name */
	int32_t nr;		/* native syscall number, -1 for pseudo events */
	uint16_t category;	/* enum ln_category */
	uint16_t flags;		/* enum ln_type_flags */
	uint8_t nparams;
	uint8_t src[LN_MAX_PARAMS];   /* arg index 0-5, 6 = result, 7 = derived */
	uint16_t kind[LN_MAX_PARAMS]; /* enum ln_kind */
	const char *pname[LN_MAX_PARAMS]; /* Falco's argument names */
} ln_type_info;

/* fd.type */
enum ln_fd_type {
	LN_FD_UNKNOWN = 0, LN_FD_FILE, LN_FD_DIRECTORY, LN_FD_IPV4, LN_FD_IPV6,
	LN_FD_UNIX, LN_FD_PIPE, LN_FD_EVENT, LN_FD_SIGNALFD, LN_FD_EVENTPOLL,
	LN_FD_INOTIFY, LN_FD_TIMERFD, LN_FD_NETLINK, LN_FD_MEMFD, LN_FD_BPF,
	LN_FD_USERFAULTFD, LN_FD_IO_URING, LN_FD_PIDFD, LN_FD_OTHER, LN_FD_TYPE_COUNT
};

enum ln_l4proto { LN_L4_UNKNOWN = 0, LN_L4_TCP, LN_L4_UDP, LN_L4_ICMP, LN_L4_RAW };

/* Both ends of a socket.  IPv4 addresses sit in the first 4 bytes. */
typedef struct ln_tuple {
	uint16_t family;	/* AF_INET, AF_INET6, AF_UNIX, 0 unknown */
	uint16_t lport;		/* local port, host order */
	uint16_t rport;		/* remote port, host order */
	uint8_t l4proto;	/* enum ln_l4proto */
	uint8_t pad;
	uint8_t lip[16];
	uint8_t rip[16];
} ln_tuple;

typedef struct ln_fd {
	int32_t num;
	uint8_t type;		/* enum ln_fd_type */
	uint8_t is_server;	/* 1: listening or accepted side */
	uint8_t connected;	/* 1: connect/accept succeeded */
	uint8_t pad;
	uint32_t flags;		/* open flags (O_*) the fd was created with */
	uint32_t exec_gen;	/* the core's: the exec of its process it was
				 * last checked after (lazy fd tracking) */
	uint64_t ino;
	uint64_t dev;
	ln_tuple tuple;
	const char *name;	/* path, tuple text, "pipe:[ino]", ... ("" if none) */
} ln_fd;

/* What threads of one process share.  Owned by the core. */
typedef struct ln_proc {
	int32_t pid;		/* thread group id */
	int32_t ppid;		/* parent's pid (the reaper after reparenting) */
	int32_t vpid;		/* pid in its own pid namespace */
	int32_t sid;
	int32_t pgid;
	uint32_t tty;		/* tty_nr from /proc/PID/stat, 0 none */
	uint32_t loginuid;	/* 4294967295 when unset */
	uint32_t nthreads;
	uint32_t nfds;		/* fds open, as far as lanner knows */
	uint32_t flags;		/* enum ln_proc_flags */
	uint64_t start_ts;	/* process creation, ns since the epoch */
	uint64_t exec_ts;	/* last successful exec, ns since the epoch */
	char comm[16];		/* LN_COMM_LEN: the name exec gave it (what the
				 * kernel ran); prctl(PR_SET_NAME) leaves it */
	char live_comm[16];	/* the name it gave itself since with
				 * prctl(PR_SET_NAME), "" if none */
	char exe_writer[16];	/* comm of the traced process that last opened
				 * the executable file for writing, "" if none */
	uint64_t exe_ino;	/* the executable file at the last exec (stat of */
	uint64_t exe_dev;	/* /proc/PID/exe), 0 when unknown */
	uint64_t exe_mtime;	/* its modification and status-change times */
	uint64_t exe_ctime;	/* then, ns since the epoch */
	const char *exe;	/* argv[0] at the last exec */
	const char *exepath;	/* /proc/PID/exe at the last exec */
	const char *args;	/* argv[1..], NUL separated */
	uint32_t args_len;
	uint32_t env_len;
	const char *env;	/* environment at exec, NUL separated */
	const char *cwd;	/* ends with '/', as Falco's proc.cwd */
	const char *root;	/* chroot, "/" unless changed */
	const char *container_id; /* "host" when not in a container */
	const char *cmdline;	/* comm, then " " and the args joined by spaces
				 * when there are any (Falco's proc.cmdline) */
} ln_proc;

enum ln_proc_flags {
	LN_PROC_EXE_FROM_MEMFD = 1,	/* executable is a memfd */
	LN_PROC_EXE_WRITABLE = 2,	/* executable writable by its user */
	LN_PROC_ATTACHED = 4,		/* state came from /proc at attach */
	LN_PROC_EXITED = 8,		/* the leader has exited */
	LN_PROC_EXE_UPPER = 16,		/* executable in an overlayfs upper layer */
	LN_PROC_UNTRACED = 32,		/* an ancestor known from /proc, not traced */
	/* bits 8-10: the container runtime its cgroup names (enum
	 * ln_container_runtime), kept in the flags so that captures, which
	 * record them, keep it too */
	LN_PROC_CT_SHIFT = 8,
	LN_PROC_CT_MASK = 0x700
};

typedef struct ln_thread {
	int32_t tid;
	int32_t vtid;
	uint32_t uid, gid;	/* effective ids (user.uid, group.gid) */
	uint32_t ruid, rgid;	/* real ids */
	uint64_t cap_effective;
	uint64_t cap_permitted;
	uint64_t cap_inheritable;
	uint64_t start_ts;	/* thread creation, ns since the epoch */
	uint64_t vm_size_kb;	/* VmSize, VmRSS and VmSwap of its process as of */
	uint64_t vm_rss_kb;	/* this thread's creation, exec, or its last brk, */
	uint64_t vm_swap_kb;	/* mmap or munmap, as libsinsp keeps them per
				 * thread (ln_set_want_vm; 0 unknown) */
	ln_proc *proc;
} ln_thread;

/* One event: one syscall (arguments read at entry, result at exit) or a
 * pseudo event.  Valid until the next ln_next(). */
typedef struct ln_event {
	uint64_t num;		/* 1, 2, 3 ... */
	uint64_t ts;		/* ns since the epoch: the syscall's return for an
				 * event with a result (has_res), else its entry */
	uint64_t latency;	/* exit - entry in ns, 0 if the exit was not seen
				 * (the entry was ts - latency) */
	int64_t res;		/* result, -errno on failure (if has_res) */
	int32_t tid;
	int32_t cpu;		/* CPU the program made the call on, -1 unknown (ln_set_want_cpu) */
	uint16_t type;		/* event type id (ln_type_info index) */
	uint8_t nparams;
	uint8_t has_res;	/* 0: entry-only stop, evt.res is <NA> */
	int32_t fdnum;		/* the fd the event acts on or made, -1 none */
	uint32_t flags;		/* enum ln_event_flags */
	uint64_t rawargs[6];
	ln_thread *thread;	/* state after the event */
	ln_fd *fd;		/* fdnum's state after the event (for close: before) */
	ln_param params[8];	/* LN_MAX_PARAMS */
} ln_event;

/* ln_event.flags: prevention (doc/writing-a-rule.md, "Prevention"). */
enum ln_event_flags {
	LN_EV_HELD = 1,		/* the thread waits, stopped, for ln_verdict() */
	LN_EV_PRE = 2,		/* held before the call runs, for the verdict
				 * only: the event with the result follows */
	LN_EV_DECIDED = 4,	/* its verdict was given on its held event */
	LN_EV_DENIED = 8,	/* lanner refused the call (-errno in res) */
	LN_EV_KILLED = 16,	/* lanner killed the caller (or its tree) */
	LN_EV_BY_FILTER = 32	/* the verdict came from a filter rule
				 * (ln_deny_call), with no Lua in between */
};

/* ln_verdict() and ln_deny_call() actions. */
enum ln_action {
	LN_ACT_ALLOW = 0,
	LN_ACT_DENY = 1,	/* the call fails with -errno, nothing done */
	LN_ACT_KILL = 2,	/* SIGKILL to the calling process */
	LN_ACT_KILL_TREE = 3	/* SIGKILL to every process lanner traces */
};

/* One masked comparison of a syscall argument register. */
typedef struct ln_argcmp {
	uint32_t arg;		/* 0-5 */
	uint32_t pad;
	uint64_t mask, value;	/* holds if (arg & mask) == value */
} ln_argcmp;

/* ln_next() results. */
enum ln_next_result {
	LN_NEXT_EVENT = 1,	/* *ev is set */
	LN_NEXT_TIMEOUT = 0,	/* nothing within the timeout */
	LN_NEXT_DONE = -1,	/* no tracee left, or the capture's end */
	LN_NEXT_ERROR = -2	/* a capture being read is damaged: ln_errmsg */
};

/* What the traced program gets: per event type. */
enum ln_trace_mode {
	LN_TRACE_NONE = 0,	/* never stops */
	LN_TRACE_ENTRY = 1,	/* stops at entry, event without result */
	LN_TRACE_EXIT = 2	/* stops at entry and exit, event with result */
};

typedef struct ln_stats {
	uint64_t events;	/* handed out by ln_next */
	uint64_t stops_entry;	/* seccomp stops */
	uint64_t stops_exit;	/* syscall-exit stops */
	uint64_t stops_ptrace;	/* fork/clone/exec/exit ptrace-event stops */
	uint64_t stops_signal;	/* signal-delivery and group stops */
	uint64_t stops_polled;	/* stops caught while polling, no sleep */
	uint64_t tracer_ns;	/* time spent handling stops */
	uint64_t threads_seen;
	uint64_t procs_seen;
	uint64_t read_faults;	/* event parameters whose pointer could not be read */
	uint64_t held;		/* events handed out held for a verdict */
	uint64_t denied;	/* calls lanner refused */
	uint64_t killed;	/* processes killed by a verdict */
	uint64_t no_verdict;	/* held events denied for want of a verdict */
	uint64_t dropped;	/* events a full queue lost (ln_set_queue) */
	uint64_t queue_waits;	/* times the tracer waited for room in it */
	uint64_t queue_bytes;	/* its bound, 0: rules run on the tracer */
	uint64_t stops_notif;	/* seccomp user notifications served */
	uint64_t polls_missed;	/* polls that ended with no stop, then slept */
	uint64_t queue_sent;	/* bytes the queue's pipe took */
} ln_stats;

typedef struct ln_session ln_session;

/* Version of this contract compiled into the core (LN_ABI_VERSION). */
int ln_abi_version(void);
/* lanner's version, "0.1.0". */
const char *ln_version(void);

/* The syscall table: event type ids run from 0 to ln_ntypes()-1. */
int ln_ntypes(void);
const ln_type_info *ln_type(int id);
/* Type id of a name ("openat", "procexit"), or -1. */
int ln_type_id(const char *name);
/* Type id of a native syscall number, or -1 if the table lacks it. */
int ln_type_of_nr(int nr);
/* The i-th 32-bit x86 syscall reported as a native type (syscalls.def's
 * COMPAT rows: mmap2 as mmap): its name, the type in *type (-1 if this
 * core lacks it), the argument counted in pages in *pages (or -1); NULL
 * past the last. */
const char *ln_compat_alias(int i, int *type, int *pages);
/* Name of a constant of a kind (flag tables, errno names), or NULL. */
const char *ln_const_name(int kind, int64_t value);
/* Value of a constant by name for a kind ("O_WRONLY", "SIGKILL"): 0 and
 * *out set, or -ENOENT. */
int ln_const_value(int kind, const char *name, int64_t *out);
/* errno name ("ENOENT") or NULL. */
const char *ln_errno_name(int err);

/* Session life cycle. */
ln_session *ln_session_new(void);
void ln_session_free(ln_session *s);
/* Last error message of the session (never NULL). */
const char *ln_errmsg(ln_session *s);

/* What to trace; before ln_spawn.  Events not set are LN_TRACE_NONE. */
int ln_trace_type(ln_session *s, int type, int mode);
/* Stop on a syscall only when (arg & mask) == value, for one arg.  May be
 * called several times for a type: the syscall stops if any holds. */
int ln_trace_arg(ln_session *s, int type, int arg, uint64_t mask, uint64_t value, int mode);
/* How the fd table is kept.  1 (default): every syscall that makes or
 * closes an fd is traced, and the table is exact.  0: those are not all
 * traced, so an fd an event uses is read from the kernel at the event's
 * entry (/proc/PID/fd/N, the socket itself): cheap when fd-using events
 * are rare, and never stale. */
void ln_set_fd_tracking(ln_session *s, int full);
/* Prevention (doc/writing-a-rule.md).  Hold the calls of a type for a
 * verdict: ln_next hands the event out with LN_EV_HELD and the thread
 * waits until ln_verdict().  Where the core holds it depends on the call:
 * an open that only reads and an exec at their exit (on the name the
 * kernel resolved, before the caller sees the fd or runs a single
 * instruction of the new image), every other call at its entry, its path
 * arguments first copied where the program cannot change them.  Before
 * ln_spawn/ln_attach. */
int ln_hold_type(ln_session *s, int type);
/* Apply the verdict on a held event and resume its thread: action (enum
 * ln_action), err the errno of a denial (0: EPERM).  A held event left
 * without a verdict when ln_next is called again is denied (EPERM) and
 * counted (ln_stats.no_verdict): holding fails closed. */
int ln_verdict(ln_session *s, ln_event *ev, int action, int err);
/* A verdict the seccomp filter gives by itself: a call of type whose
 * registers meet all n comparisons is refused (action DENY, KILL, or
 * KILL_TREE), with no Lua in between.  alert != 0: the call still stops
 * once so that ln_next hands out its event (LN_EV_DENIED|LN_EV_BY_FILTER);
 * alert == 0: SECCOMP_RET_ERRNO / RET_KILL_PROCESS, no stop at all and no
 * event (KILL_TREE always stops).  Before ln_spawn/ln_attach. */
int ln_deny_call(ln_session *s, int type, int n, const ln_argcmp *cmp, int action, int err, int alert);

/* Whether exec looks for the executable in its overlay's upper layer
 * (proc.is_exe_upper_layer; default 1): a statfs per exec, and a read of
 * mountinfo when the executable is on an overlay. */
void ln_set_upper_layer_check(ln_session *s, int on);
/* Where lanner and its tracees run.  A stop wakes the tracer; in a VM a
 * wake-up on another CPU costs about twice one on the same CPU. */
enum ln_cpu_policy {
	LN_CPU_FREE = 0,	/* leave it to the scheduler */
	LN_CPU_TRACER = 1,	/* pin lanner to the CPU it starts on */
	LN_CPU_SHARED = 2	/* lanner and a launched program on one CPU
				   (the program sees a one-CPU affinity mask) */
};
/* Before ln_spawn/ln_attach. */
void ln_set_cpu_policy(ln_session *s, int policy);
/* How long the tracer polls for the next stop before it sleeps, in
 * microseconds (0: never).  The default, LN_DEFAULT_POLL_US, gives way
 * while more tasks are runnable than there are CPUs; a poll set here
 * runs whatever the load. */
void ln_set_poll(ln_session *s, int us);
enum { LN_DEFAULT_POLL_US = 100 };
/* The user-notification engine (before ln_spawn; on by default): entry-
 * only events whose parameters are all registers, of calls that never
 * wait (kill, setuid, dup, lseek...), reach lanner through a seccomp
 * listener with synchronous wake-up instead of a ptrace stop, in the same
 * stream, with the same fields.  A session's first launched program
 * only, Linux 6.6 or later, x86_64. */
void ln_set_notify(ln_session *s, int on);
/* "on (...)" or "off (why)", for --stats. */
const char *ln_notify_state(ln_session *s);
/* Where the rules run.  bytes > 0 (before ln_spawn/ln_attach): the
 * session traces on a thread of its own and hands its events, with the
 * state they refer to, through a queue of about that many bytes to the
 * thread that calls ln_next, so that no stop waits while rules, chisels
 * and outputs run (session/async.c).  A full queue makes the tracer wait
 * for room, or, with drop != 0, loses events (never state changes) and
 * counts them (ln_stats.dropped).  A held event (ln_hold_type) still
 * waits for its verdict.  0: events are handed out by the tracing thread
 * itself (the default).  With a queue the calling thread blocks the
 * signals the tracer handles (INT, TERM, HUP, QUIT, USR1, USR2, ALRM,
 * CHLD) from the launch on: programs it starts inherit that mask. */
int ln_set_queue(ln_session *s, uint32_t bytes, int drop);
enum { LN_MIN_QUEUE = 65536 };	/* the least ln_set_queue takes, but 0 */
/* Whether events carry the program's CPU (ln_event.cpu, evt.cpu): it
 * costs a read per event, so only when something reads it. */
void ln_set_want_cpu(ln_session *s, int on);
/* Whether threads carry their process's memory figures (ln_thread.vm_*_kb,
 * proc.vmsize and friends): a /proc/TID/status read at each exec and
 * thread or process creation, so only when something reads them. */
void ln_set_want_vm(ln_session *s, int on);
/* What lanner refuses with EPERM at the call's entry, where the call would
 * take later syscalls out of its sight (trace/refuse.c).  The decision
 * reads registers only; the refused call is still an event. */
enum ln_refuse {
	LN_REFUSE_LISTENER = 1,	/* seccomp(SET_MODE_FILTER) with
				   SECCOMP_FILTER_FLAG_NEW_LISTENER: its
				   USER_NOTIF verdicts outrank lanner's (default) */
	LN_REFUSE_IO_URING = 2	/* io_uring_setup: its I/O makes no syscalls */
};
/* Before ln_spawn/ln_attach: a mask of enum ln_refuse. */
void ln_set_refusals(ln_session *s, int what);
/* Bytes of I/O buffers kept per event (default LN_DEFAULT_SNAPLEN);
 * more than LN_MAX_SNAPLEN keeps LN_MAX_SNAPLEN. */
void ln_set_snaplen(ln_session *s, uint32_t snaplen);
/* Write the seccomp filter as libseccomp's PFC text to fd. */
int ln_debug_filter(ln_session *s, int fd);
/* The BPF program the session would load (struct sock_filter[]): its size
 * in bytes, the program copied to buf if n is enough; or -errno. */
int ln_filter_export(ln_session *s, void *buf, size_t n);

/* Start argv[0] (searched in PATH) traced.  Returns its pid or -errno. */
int ln_spawn(ln_session *s, const char *const *argv);
/* How an attached process is traced. */
enum ln_attach_mode {
	LN_ATTACH_SYSCALL = 0,	/* stop at every syscall; detachable */
	LN_ATTACH_SECCOMP = 1	/* inject the filter; fast, never detachable */
};
/* Attach to a running process (all its threads, and every child it makes
 * from then on).  Returns 0 or -errno. */
int ln_attach(ln_session *s, int pid, int mode);

/* Wait for the next event: LN_NEXT_EVENT with *ev set, LN_NEXT_TIMEOUT after
 * timeout_ms (-1: wait for ever), LN_NEXT_DONE when no tracee is left. */
int ln_next(ln_session *s, ln_event **ev, int timeout_ms);

/* Kill every launched tracee (SIGKILL) and detach attached ones; those
 * that carry lanner's filter and may not die (--keep, --attach-mode=seccomp)
 * are served on until they exit, and lanner says so on stderr. */
void ln_stop_all(ln_session *s);
/* keep != 0: ln_stop_all never kills launched tracees (--keep). */
void ln_set_keep(ln_session *s, int keep);
/* Exit status of the first launched program as a shell reports it
 * (128+N if killed by signal N), -1 if it has not ended. */
int ln_exit_status(ln_session *s);

/* The counters as they are now: a snapshot the next call overwrites, for
 * the thread that calls ln_next (the tracing thread may be another). */
const ln_stats *ln_get_stats(ln_session *s);
/* Events handed out per type: an array of ln_ntypes() counters, a
 * snapshot as ln_get_stats's. */
const uint64_t *ln_type_counts(ln_session *s);

/* Capture files (doc/capture-format.md). */
enum ln_compress {
	LN_COMPRESS_NONE = 0,
	LN_COMPRESS_ZLIB = 1,	/* RFC 1950 streams */
	LN_COMPRESS_ZSTD = 2	/* RFC 8878 frames */
};
typedef struct ln_capture_opts {
	uint64_t rotate_bytes;	/* start a new file past this size, 0 never */
	uint32_t rotate_secs;	/* start a new file after this long, 0 never */
	uint32_t rotate_files;	/* with rotation: keep this many, 0 all */
	uint32_t compress;	/* enum ln_compress: blocks after the HEADER */
	uint32_t format;	/* enum ln_capture_format */
} ln_capture_opts;
/* The file format written: by the path's extension (".scap": sysdig's),
 * or as said.  Reading tells them by their magic. */
enum ln_capture_format {
	LN_CAPFMT_AUTO = 0,
	LN_CAPFMT_LCAP = 1,	/* lanner's (doc/capture-format.md) */
	LN_CAPFMT_SCAP = 2	/* sysdig 0.29's .scap (libs e5c53d648) */
};
/* Record to path: a header and a snapshot of the state tables now, then
 * every state change, and the events handed to ln_capture_event. */
int ln_capture_open(ln_session *s, const char *path, const ln_capture_opts *o);
int ln_capture_event(ln_session *s, const ln_event *ev);
/* An event the recording's filter left out: a .scap, whose state travels
 * in events, gets it marked state-only if it changes state (readers apply
 * it and show it to no one); a .lcap journals state already: nothing. */
int ln_capture_state(ln_session *s, const ln_event *ev);
int ln_capture_close(ln_session *s);
/* Replay: ln_next returns the capture's events, with the state tables as
 * they were, instead of tracing.  Call instead of ln_spawn/ln_attach. */
int ln_capture_read(ln_session *s, const char *path);
/* Fraction of the capture read so far, 0..1. */
double ln_capture_progress(ln_session *s);
/* Notes about a capture being read (unknown blocks skipped, a truncated
 * end): "" when none. */
const char *ln_capture_notes(ln_session *s);

/* State tables.  Pointers stay valid until the next ln_next(). */
ln_thread *ln_thread_get(ln_session *s, int tid);
ln_proc *ln_proc_get(ln_session *s, int pid);
/* Iterate processes: pass NULL first, then the previous one. */
ln_proc *ln_proc_next(ln_session *s, ln_proc *prev);
ln_fd *ln_fd_get(ln_session *s, ln_proc *p, int fd);
/* Iterate a process's fds in fd order: pass NULL first. */
ln_fd *ln_fd_next(ln_session *s, ln_proc *p, ln_fd *prev);

/* Render parameter i of ev as sysdig prints it (flags as names, fds with
 * their names, errors as "-2 ENOENT").  Returns the length written (output
 * is truncated to n-1 bytes and NUL terminated), or -errno. */
int ln_param_format(const ln_event *ev, int i, char *buf, size_t n);
/* Render a tuple as Falco does ("1.2.3.4:80->5.6.7.8:9000", unix paths). */
int ln_tuple_format(const ln_tuple *t, int is_server, char *buf, size_t n);
/* Render an address (4 or 16 bytes by family) as text. */
int ln_ip_format(int family, const uint8_t *ip, char *buf, size_t n);
/* Container runtimes, as a cgroup path's shape tells them. */
enum ln_container_runtime {
	LN_CT_HOST = 0,		/* no container */
	LN_CT_DOCKER = 1,
	LN_CT_CONTAINERD = 2,
	LN_CT_CRIO = 3,
	LN_CT_PODMAN = 4,
	LN_CT_CRI = 5		/* Kubernetes' cgroupfs layout: containerd or cri-o */
};
/* The container that cgroup lines (/proc/PID/cgroup's text) name, by
 * Falco's layouts (state/container.c): its full 64-hex id into id, or
 * "host".  Returns the runtime (> 0), 0 for none, -1 if n < 65. */
int ln_container_id(const char *cgroup, char *id, size_t n);
/* fd.type name ("file", "ipv4", ...) and sysdig's one-letter type. */
const char *ln_fd_type_name(int type);
char ln_fd_typechar(int type);
/* Event category name ("file", "net", ...), Falco's evt.category. */
const char *ln_category_name(int category);

/* A set of byte strings, for a filter's `in` on a field the core holds as
 * bytes (proc.name, fd.filename, ...): the test runs on those bytes, with
 * no Lua string made per event.  ln_strset_add copies s; ln_strset_has
 * takes n < 0 for a NUL-terminated s.  Returns 1 when s is in the set. */
typedef struct ln_strset ln_strset;
ln_strset *ln_strset_new(void);
int ln_strset_add(ln_strset *set, const char *s, size_t n);
int ln_strset_has(const ln_strset *set, const char *s, int64_t n);
void ln_strset_free(ln_strset *set);

/* Files kept between runs (base/cachefile.c).  ln_hash64: FNV-1a over
 * len bytes, continuing from h (0 to start).  ln_tree_stamp: a hash of
 * every name, size, inode and modification time at and below path.
 * ln_cache_read: the contents of a regular file (not a symlink) that
 * only the effective user owns and can write, malloc'd (ln_cache_free),
 * or NULL and *err = -errno (-EPERM: someone else could have written it).
 * ln_cache_dir: makes dir (0700), 0 if it is private to the effective
 * user.  ln_cache_write: data to path via a 0600 temporary file renamed
 * into place.  ln_cache_prune: in dir, removes the files named PREFIX*
 * but the newest keep, and temporary files left an hour.  All return 0
 * or -errno. */
uint64_t ln_hash64(const void *data, size_t len, uint64_t h);
uint64_t ln_tree_stamp(const char *path, uint64_t seed);
char *ln_cache_read(const char *path, size_t *len, int *err);
void ln_cache_free(char *buf);
int ln_cache_prune(const char *dir, const char *prefix, int keep);
int ln_cache_dir(const char *dir);
int ln_cache_write(const char *path, const void *data, size_t len);

/* The web server of Falco's webserver.* keys, on a thread of its own so
 * that it answers while the tracer waits or works: `healthz` (a path, ""
 * for none) answers 200 once ln_web_set_ready(w, 1), 503 before; with
 * metrics != 0, /metrics serves the last text given to ln_web_publish
 * followed by figures the thread reads itself (CPU time, RSS, the
 * snapshot's age).  port 0 picks a free port (ln_web_port says which).
 * ln_web_start returns NULL with a message in err on failure. */
typedef struct ln_web ln_web;
ln_web *ln_web_start(const char *addr, int port, const char *healthz, int metrics, char *err, size_t errlen);
int ln_web_port(const ln_web *w);
void ln_web_set_ready(ln_web *w, int ready);
int ln_web_publish(ln_web *w, const char *text, size_t len);
void ln_web_stop(ln_web *w);

#endif
