/*
 * core.h - what the C core's files share and the Lua side never sees.
 */
#ifndef LN_CORE_H
#define LN_CORE_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include "lanner.h"

#define LN_API __attribute__((visibility("default")))
#define LN_VERSION "0.1.0"

/* SECCOMP_RET_DATA of lanner's filter: the tag, and the trace mode in the
 * low bits.  A stop without the tag comes from a filter the program loaded
 * itself: with no tracer of its own, that syscall must fail with ENOSYS. */
enum { LN_DATA_TAG = 0x4c00, LN_DATA_TAG_MASK = 0xff00, LN_DATA_MODE_MASK = 3 };
/* The mode of a syscall that stops only to be checked at its exit. */
enum { LN_TRACE_GUARD = 3 };

/* Index of the result and of derived values in ln_type_info.src. */
enum { LN_SRC_RES = 6, LN_SRC_DERIVED = 7 };

/* Longest path or string read from a tracee, as PATH_MAX. */
enum { LN_STR_MAX = 4096, LN_ARGV_MAX = 4096, LN_ENV_MAX = 8192 };

/* A growable byte area.  Parameters store offsets into it while it may
 * still move; ln_event_finish() turns them into pointers. */
struct ln_arena {
	char *buf;
	size_t len, cap;
};

/* Internal process record: the public part first, so that an ln_proc *
 * handed to Lua is also a struct ln_pstate *. */
struct ln_pstate {
	ln_proc pub;
	struct ln_pstate *hnext;	/* hash chain */
	struct ln_pstate *lnext, *lprev;	/* list of all, for iteration */
	ln_fd **fds;			/* indexed by fd number */
	int nfd_slots;
	int pidfd;			/* for pidfd_getfd, -1 until needed */
	bool launched;			/* started by ln_spawn (killed with us) */
	bool syscall_mode;		/* no seccomp filter: PTRACE_SYSCALL */
	int8_t inject;			/* enum ln_inject_state (attach seccomp mode) */
	bool dead;			/* last thread gone: freed after the event */
	struct ln_pstate *dnext;	/* deferred-free list */
	struct ln_session *sess;	/* for the capture journal */
	/* owned strings behind pub.exe/exepath/args/env/cwd/root/container_id/cmdline */
	char *s_exe, *s_exepath, *s_args, *s_env, *s_cwd, *s_root, *s_cid, *s_cmdline;
};

/* What a thread is doing between its entry and exit stops. */
enum ln_tphase {
	LN_PH_RUNNING = 0,	/* not inside a traced syscall */
	LN_PH_IN_SYSCALL,	/* entry seen, waiting for the exit stop */
	LN_PH_GUARD		/* a clone3 checked at its exit, no event */
};

struct ln_tstate {
	ln_thread pub;
	struct ln_tstate *hnext;
	int phase;			/* enum ln_tphase */
	bool seen_first_stop;		/* the initial stop of a new tracee */
	bool attached;			/* PTRACE_SEIZE'd by ln_attach */
	bool group_stopped;		/* in group-stop, PTRACE_LISTEN'd */
	bool want_exit;			/* resume with PTRACE_SYSCALL */
	bool syscall_mode;		/* no seccomp filter: stops at every syscall */
	bool set_exitkill;		/* filter injected: add PTRACE_O_EXITKILL at the next stop */
	bool c3_rewritten;		/* in a clone3 that runs as clone */
	uint64_t c3_orig[5];		/* its argument registers, to put back */
	int c3_slot;			/* its entry in ln_session.c3 */
	int deny_err;			/* syscall mode: a refused syscall's errno */
	int32_t compat;			/* syscall came through another ABI */
	ln_event ev;			/* the syscall in flight */
	uint32_t off[LN_MAX_PARAMS];	/* param bytes offsets in arena */
	struct ln_arena arena;
	uint64_t entry_mono;		/* monotonic entry time, for latency */
};

struct ln_session;

/* A state update run at a syscall's exit (src/decode/ *.c). */
typedef void (*ln_effect_fn)(struct ln_session *s, struct ln_tstate *t, ln_event *ev);

/* --- table.c --- */
void ln_table_init(void);
ln_effect_fn ln_type_effect(int id);
int ln_kind_of_name(const char *key);
/* Type id of a syscall made through another ABI, or -1; *pages: its
 * argument counted in 4096-byte pages (ln_compat_alias), or -1. */
int ln_type_of_compat_nr(unsigned arch, int nr, int *pages);

/* --- tracee_mem.c: reading the tracee, never trusting its pointers --- */
ssize_t ln_mem_read(pid_t tid, uint64_t addr, void *dst, size_t len);
/* Read a NUL-terminated string into the arena; returns its length (without
 * the NUL, stored after it) or -errno; *truncated set if max was hit. */
ssize_t ln_mem_read_str(pid_t tid, uint64_t addr, struct ln_arena *a, size_t max, bool *truncated);
int ln_arena_reserve(struct ln_arena *a, size_t more);
size_t ln_arena_put(struct ln_arena *a, const void *p, size_t n);

/* --- args.c: parameters by kind --- */
void ln_args_entry(struct ln_session *s, struct ln_tstate *t);
void ln_args_exit(struct ln_session *s, struct ln_tstate *t);
void ln_event_finish(struct ln_tstate *t);
bool ln_event_fdpair(const struct ln_tstate *t, int i, int fds[2]);

/* --- state.c: thread, process and fd tables --- */
struct ln_tstate *ln_thread_find(struct ln_session *s, pid_t tid);
struct ln_pstate *ln_proc_find(struct ln_session *s, pid_t pid);
/* The cwd as Falco shows it: with a trailing '/'. */
void ln_proc_set_cwd(struct ln_pstate *p, const char *dir, size_t len);
/* A new comm without an exec (prctl PR_SET_NAME): the cmdline follows. */
void ln_proc_set_comm(struct ln_pstate *p, const char *comm);
/* A new tracee: its process is looked up (thread) or created from the
 * creator's (fork) or from /proc (launch, attach, unknown parent). */
struct ln_tstate *ln_thread_new(struct ln_session *s, pid_t tid, pid_t creator, int kind);
void ln_thread_gone(struct ln_session *s, struct ln_tstate *t);
void ln_thread_rekey(struct ln_session *s, struct ln_tstate *t, pid_t newtid);
void ln_proc_free_deferred(struct ln_session *s);
void ln_proc_add_ancestors(struct ln_session *s, pid_t pid);
/* Thread group and parent of a tid, from /proc; 0 or -1. */
int ln_read_ids(pid_t tid, pid_t *tgid, pid_t *ppid);
void ln_proc_load_exec(struct ln_session *s, struct ln_pstate *p, uint64_t now);
void ln_proc_load_creds(struct ln_tstate *t);
void ln_proc_scan_fds(struct ln_session *s, struct ln_pstate *p);
ln_fd *ln_fd_set(struct ln_pstate *p, int fd);
void ln_fd_del(struct ln_pstate *p, int fd);
void ln_fd_set_name(ln_fd *f, const char *name);
bool ln_fd_unchanged(struct ln_pstate *p, int fd);
/* Name and type of fd from /proc/PID/fd/N and the socket itself. */
void ln_fd_from_kernel(struct ln_session *s, struct ln_pstate *p, ln_fd *f);
/* decode/net.c: type, protocol, both ends and name of a socket fd. */
void ln_sock_fill(struct ln_session *s, struct ln_pstate *p, ln_fd *f);
int ln_proc_pidfd_getfd(struct ln_session *s, struct ln_pstate *p, int fd);
char *ln_readlink_proc(pid_t pid, const char *what, char *buf, size_t n);
/* seccomp_filter.c: the mode the filter would give this call (for
 * tracees in syscall mode, which have no filter). */
int ln_trace_mode_for(struct ln_session *s, int type, const uint64_t *args, bool compat);
/* overlay.c: the executable is in its overlayfs mount's upper layer. */
bool ln_exe_in_upper_layer(pid_t pid, const char *exepath);
void ln_state_free_all(struct ln_session *s);

/* --- arch.c --- */
int64_t ln_arch_clone_flags(pid_t tid);
/* At a seccomp stop: skip the syscall, which then returns -err. */
int ln_arch_deny_syscall(pid_t tid, int err);
/* At a syscall-entry stop: skip the syscall; at its exit stop, set what
 * it returns. */
int ln_arch_skip_syscall(pid_t tid);
int ln_arch_set_return(pid_t tid, int64_t val);

/* Registers saved around a syscall injection (inject.c); only arch.c
 * looks inside. */
struct ln_regs {
	uint64_t w[48];
};
int ln_arch_get_regs(pid_t tid, struct ln_regs *r);
/* Make the thread run syscall nr(args) next: at its entry stop by
 * changing the syscall in flight, at an exit stop by rewinding to the
 * syscall instruction (saved: its registers at the original entry). */
int ln_arch_set_syscall(pid_t tid, const struct ln_regs *saved, bool at_entry, long nr, const uint64_t args[6]);
/* At a syscall-exit stop: what the syscall returned. */
int ln_arch_get_result(pid_t tid, int64_t *res);
/* Back to the registers of the original entry stop, rewound so that the
 * original syscall runs again (what the kernel does for a restart). */
int ln_arch_restart_syscall(pid_t tid, const struct ln_regs *saved);
uint64_t ln_arch_stack_pointer(const struct ln_regs *r);
/* Syscall numbers of the native ABI that inject.c makes, -1 if none. */
enum ln_inj_call { LN_NR_MMAP, LN_NR_MUNMAP, LN_NR_PRCTL, LN_NR_SECCOMP, LN_NR_SIGPROCMASK,
	LN_NR_CLONE, LN_NR_CLONE3 };
long ln_arch_nr(int call);
/* The syscall number and first five argument registers of a stopped
 * thread; set them at an entry stop; put the arguments back at an exit
 * stop (and the number, restart_nr, if the kernel is to restart it). */
int ln_arch_get_call(pid_t tid, long *nr, uint64_t a[5]);
int ln_arch_set_call(pid_t tid, long nr, const uint64_t a[5]);
int ln_arch_put_args(pid_t tid, const uint64_t a[5], long restart_nr);

/* --- clone3.c: clone3 made race-free by rewriting it as clone --- */
/* At clone3's entry: -EPERM to refuse (CLONE_UNTRACED), 1 if it now runs
 * as clone, 0 if left as it is. */
int ln_clone3_rewrite(struct ln_session *s, struct ln_tstate *t, const uint64_t *args);
/* At its exit stop: the caller's registers as clone3 left them. */
void ln_clone3_exit(struct ln_session *s, struct ln_tstate *t, int64_t res);
/* At a new tracee's first stop: the same for a child of a rewritten one. */
void ln_clone3_child(struct ln_session *s, struct ln_tstate *t, pid_t creator);
/* A child of a rewritten clone3 died before its first stop: free its slot. */
void ln_clone3_gone(struct ln_session *s, pid_t child);

/* --- inject.c: lanner's filter into an attached process --- */
enum ln_inject_state {
	LN_INJ_NONE = 0,	/* launched (filter from the start) or syscall mode */
	LN_INJ_WANTED,		/* --attach-mode=seccomp: at its next syscall entry */
	LN_INJ_DONE,		/* carries lanner's filter: never detachable */
	LN_INJ_FAILED		/* could not: stays in syscall mode */
};
/* At a syscall stop of t, whose process wants the filter: 1 if the stop
 * was used (t left stopped, ready to resume), 0 if not an entry stop
 * where it can be done, -1 if t died meanwhile (its wait status in
 * *dead). */
int ln_inject_filter(struct ln_session *s, struct ln_tstate *t, int *dead);
/* Number of filters of a process (Seccomp_filters in /proc), -1 unknown. */
int ln_seccomp_filters(pid_t pid, int *mode);

/* --- seccomp_filter.c --- */
int ln_filter_build(struct ln_session *s, void **prog, size_t *len);

/* --- state.c, for replaying a capture --- */
struct ln_pstate *ln_proc_obtain(struct ln_session *s, pid_t pid);
struct ln_tstate *ln_thread_obtain(struct ln_session *s, pid_t tid, struct ln_pstate *p);
void ln_proc_set(struct ln_pstate *p, const char *const str[7], const uint32_t len[7]);

/* --- session.c --- */
uint64_t ln_now_mono(void);
/* Signals to lanner: forwarded or acted on between stops. */
void ln_deliver_pending(struct ln_session *s);
void ln_forward_due(struct ln_session *s, bool all);
void ln_forward_cancel(struct ln_session *s, int sig, pid_t sender);
extern volatile sig_atomic_t ln_alarm_fired;
/* Options of every tracee; launched ones add PTRACE_O_EXITKILL. */
#define LN_PTRACE_OPTIONS (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | \
	PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP)
long ln_ptrace(long req, pid_t pid, unsigned long addr, unsigned long data);
void ln_resume(struct ln_tstate *t, int sig);
void ln_install_signals(struct ln_session *s);
/* attach.c: detach t if the session is leaving; true if it did. */
bool ln_detach_if_leaving(struct ln_session *s, struct ln_tstate *t, int status);
void ln_detach_all(struct ln_session *s);
/* session.c: a launched child first seen after ln_stop_all: killed, or
 * with --keep served (and said so). */
void ln_stop_late_child(struct ln_session *s, struct ln_tstate *t);
uint64_t ln_now_realtime(void);
void ln_set_err(struct ln_session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One argument predicate for the seccomp filter (ln_trace_arg). */
struct ln_argpred {
	uint16_t type;
	uint8_t arg;
	uint8_t mode;
	uint64_t mask, value;
};

/* A clone3 rewritten as clone whose child has not had its first stop:
 * the child starts with the caller's registers, rewritten ones included. */
struct ln_c3 {
	pid_t creator;			/* 0: free */
	pid_t child;			/* once clone3 returned it, else 0 */
	uint64_t conv[5], orig[5];
};

enum { LN_THASH = 4096, LN_CREATORS = 256, LN_MAX_FWD = 16, LN_FWD_WAIT_MS = 30 };

/* A signal to lanner waiting to be forwarded to the launched program. */
struct ln_fwd {
	int sig;
	pid_t sender;
	uint64_t due;		/* monotonic ns */
};

/* Who made a child whose first stop has not been seen yet, and how. */
struct ln_creator {
	pid_t child, creator;
	int kind;			/* enum ln_child_kind */
	bool launched;			/* the creator's process was: so is the
					 * child, even if the creator is gone */
};

enum ln_child_kind {
	LN_CHILD_UNKNOWN = 0,		/* ask /proc */
	LN_CHILD_THREAD,		/* CLONE_THREAD: the creator's process */
	LN_CHILD_PROCESS,		/* fork, vfork, clone without CLONE_THREAD */
	LN_CHILD_EXISTING		/* attached: everything comes from /proc */
};

struct ln_session {
	uint8_t mode[512];		/* enum ln_trace_mode per type id */
	struct ln_argpred *preds;
	int npreds;
	uint32_t snaplen;
	struct ln_tstate *threads[LN_THASH];
	struct ln_pstate *procs[LN_THASH];
	struct ln_pstate *plist;	/* all processes */
	struct ln_pstate *deferred;	/* dead, freed at the next ln_next */
	struct ln_tstate *dead_thread;	/* freed at the next ln_next */
	int ntracees;
	struct ln_fwd fwd[LN_MAX_FWD];
	int nfwd;
	struct ln_fwd seen[LN_MAX_FWD];	/* user signals the program got itself */
	unsigned nseen;
	struct ln_creator creators[LN_CREATORS];
	unsigned ncreators;
	struct ln_c3 c3[64];
	int nc3;			/* entries in use */
	pid_t root_pid;
	int root_status;		/* shell-style, -1 while running */
	bool have_caps;			/* CAP_SYS_ADMIN: no NO_NEW_PRIVS */
	bool signals_installed;
	bool detaching;
	bool keep;			/* --keep: never kill launched programs */
	bool stopping;			/* ln_stop_all was called */
	int filter_base;		/* seccomp filters lanner itself runs under */
	int refusals;			/* times lanner was told to go and could not */
	int kept_said;			/* --keep explained once */
	bool fd_lazy;			/* fds read from the kernel per event */
	bool no_upper_check;		/* exec skips ln_exe_in_upper_layer */
	int cpu_policy;			/* enum ln_cpu_policy */
	bool pinned;			/* lanner was moved to one CPU */
	cpu_set_t orig_mask;		/* lanner's CPUs before that */			/* ln_stop_all: detach attached tracees */
	uint64_t evnum;
	ln_stats stats;
	uint64_t *type_counts;
	ln_fd closed_fd;		/* a closed fd, kept for its event */
	char closed_name[LN_STR_MAX];
	ln_event pseudo;		/* procexit and other core-made events */
	ln_thread pseudo_thread;
	struct ln_capw *capw;		/* capture being written, or NULL */
	struct ln_capr *capr;		/* capture being read, or NULL */
	char errmsg[512];
};

#endif
