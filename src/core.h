/*
 * core.h - the types every layer of the C core shares and the Lua side
 * never sees: the session, its threads and processes.  Functions are
 * declared by each layer's own header (base/base.h, table/table.h,
 * state/state.h, decode/decode.h, trace/trace.h, capture/capture.h,
 * render/render.h); doc/architecture.md says which may call which.
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

/* A counter of ln_stats (or of type_counts) moved by its one writer: a
 * relaxed atomic store, a plain add in machine code, so that the reader's
 * snapshot (session.c) never races with it. */
#define LN_STAT_ADD(s, field, n) __atomic_store_n(&(s)->stats.field, (s)->stats.field + (n), __ATOMIC_RELAXED)
#define LN_STAT_SET(s, field, v) __atomic_store_n(&(s)->stats.field, (v), __ATOMIC_RELAXED)
#define LN_COUNT_TYPE(s, id) __atomic_store_n(&(s)->type_counts[id], (s)->type_counts[id] + 1, __ATOMIC_RELAXED)

/* Internal process record: the public part first, so that an ln_proc *
 * handed to Lua is also a struct ln_pstate *. */
struct ln_pstate {
	ln_proc pub;
	struct ln_pstate *hnext;	/* hash chain */
	struct ln_pstate *lnext, *lprev;	/* list of all, for iteration */
	/* the fd entries (state/fdmap.c: ln_fd_at, ln_fd_after) */
	ln_fd **fds;			/* the low fds, indexed by number */
	int nfd_slots;
	struct ln_fd_node **fd_top;	/* the others: a radix tree */
	int nfd_top;
	int pidfd;			/* for pidfd_getfd, -1 until needed */
	bool launched;			/* started by ln_spawn (killed with us) */
	bool syscall_mode;		/* no seccomp filter: PTRACE_SYSCALL */
	int8_t inject;			/* enum ln_inject_state (attach seccomp mode) */
	int8_t guard;			/* enum ln_guard_state (trace/pathguard.c) */
	uint64_t guard_addr;		/* where the guard area is mapped in it */
	uint64_t guard_exec;		/* pub.exec_ts then: an exec unmaps it */
	bool dead;			/* last thread gone: freed after the event */
	uint32_t exec_gen;		/* execs seen: an fd entry of an earlier
					 * one is checked at its next use
					 * (trace/stops.c check_fds) */
	bool ns_flat;			/* in /proc's pid namespace: a thread's
					 * vtid is its tid (tasks.c) */
	bool own_filters;		/* may run under seccomp filters lanner
					 * did not put there: their count is
					 * read from /proc (trace/clone3.c) */
	struct ln_pstate *dnext;	/* deferred-free list */
	struct ln_session *sess;	/* for the capture journal */
	/* owned strings behind pub.exe/exepath/args/env/cwd/root/container_id/cmdline */
	char *s_exe, *s_exepath, *s_args, *s_env, *s_cwd, *s_root, *s_cid, *s_cmdline;
};

/* What a thread is doing between its entry and exit stops. */
enum ln_tphase {
	LN_PH_RUNNING = 0,	/* not inside a traced syscall */
	LN_PH_IN_SYSCALL,	/* entry seen, waiting for the exit stop */
	LN_PH_GUARD,		/* a clone3 checked at its exit, no event */
	LN_PH_UNPIN		/* a call on pinned paths: registers back at
				 * its exit, no event (trace/verdict.c) */
};

/* Where a thread waits for a verdict (ln_tstate.held). */
enum ln_held { LN_HELD_NO = 0, LN_HELD_ENTRY, LN_HELD_EXIT };

/* A process's guard area (trace/pathguard.c), ln_pstate.guard. */
enum ln_guard_state { LN_GUARD_NONE = 0, LN_GUARD_MAPPED, LN_GUARD_FAILED };

struct ln_tstate {
	ln_thread pub;			/* first: an ln_thread * from an event is
					 * its ln_tstate (capture/scap_write.c) */
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
	uint64_t c3_flags;		/* the clone flags lanner put in its place */
	bool kids_flat;			/* its children start in /proc's pid
					 * namespace: their vpid is their pid,
					 * known without a read (state/tasks.c) */
	pid_t child_seen;		/* the child a ptrace event reported during
					 * the clone call in progress (ln_child_adopt) */
	bool clone_vm_set;		/* clone_vm: its memory figures at its last
					 * clone's ptrace event, which its clone
					 * event carries in a .scap (ln_set_want_vm) */
	uint64_t clone_vm[3];
	int deny_err;			/* syscall mode: a refused syscall's errno */
	int32_t compat;			/* syscall came through another ABI */
	int8_t held;			/* enum ln_held */
	int8_t held_mode;		/* the call's trace mode, for after the verdict */
	uint32_t vflags;		/* ln_event_flags the exit event inherits */
	int pin_err;			/* its paths could not be pinned: errno */
	int pin_slot;			/* guard slot + 1 its paths are pinned in, 0 none */
	int8_t pin_n;			/* argument registers pointed at it */
	int8_t pin_arg[3];		/* which */
	uint64_t pin_orig[3];		/* their values before */
	ln_event ev;			/* the syscall in flight */
	uint32_t off[LN_MAX_PARAMS];	/* param bytes offsets in arena */
	struct ln_arena arena;
	uint64_t entry_mono;		/* monotonic entry time, for latency */
	bool handoff;			/* launched, its syscalls followed until
					 * its filter's listener is lanner's */
	int handoff_nr;			/* the syscall it is in, meanwhile */
	int stat_fd;			/* /proc/PID/task/TID/stat, for its CPU; -1 */
};

struct ln_session;

/* A state update run at a syscall's exit (src/decode/ *.c). */
typedef void (*ln_effect_fn)(struct ln_session *s, struct ln_tstate *t, ln_event *ev);

/* Registers saved around a syscall injection (trace/inject.c); only
 * base/arch.c looks inside. */
struct ln_regs {
	uint64_t w[48];
};

/* A process's state with respect to lanner's filter (ln_pstate.inject). */
enum ln_inject_state {
	LN_INJ_NONE = 0,	/* launched (filter from the start) or syscall mode */
	LN_INJ_WANTED,		/* --attach-mode=seccomp: at its next syscall entry */
	LN_INJ_DONE,		/* carries lanner's filter: never detachable */
	LN_INJ_FAILED		/* could not: stays in syscall mode */
};

/* Options of every tracee; launched ones add PTRACE_O_EXITKILL. */
#define LN_PTRACE_OPTIONS (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | \
	PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP)

/* The tracer's poll before it sleeps (trace/spin.c). */
struct ln_spin {
	uint32_t budget_ns;		/* 0: never poll */
	uint32_t skip;			/* waits since the last probe */
	uint32_t probe_every;		/* waits between probes, doubled by
					 * each probe that misses */
	uint64_t ewma_ns;		/* recent gaps between stops */
	uint64_t ready_ns;		/* when this wait began */
	bool probing;			/* this poll probes long gaps */
	int load_fd;			/* /proc/loadavg, -1 until read */
	int ncpus;			/* CPUs online */
	bool crowded;			/* more runnable tasks than CPUs */
	uint64_t load_ts;		/* when crowded was last learned */
	const int *own_busy;		/* lanner's rules' thread is running
					 * (session/async.c): not counted */
};

/* One argument predicate for the seccomp filter (ln_trace_arg). */
struct ln_argpred {
	uint16_t type;
	uint8_t arg;
	uint8_t mode;
	uint64_t mask, value;
};

/* A verdict the filter gives (ln_deny_call): all of cmp hold. */
struct ln_denyrule {
	uint16_t type;
	uint8_t action, alert;
	int err;
	int n;
	ln_argcmp cmp[6];
};

/* A clone3 rewritten as clone whose child has not had its first stop:
 * the child starts with the caller's registers, rewritten ones included. */
struct ln_c3 {
	pid_t creator;			/* 0: free */
	pid_t child;			/* once clone3 returned it, else 0 */
	uint64_t conv[5], orig[5];
};

enum { LN_THASH = 4096, LN_CREATORS = 256, LN_MAX_FWD = 16, LN_FWD_WAIT_MS = 30, LN_WRITTEN_SLOTS = 4096 };

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
	bool same_pidns;		/* a process child in the pid namespace
					 * its creator's children go to: the
					 * call's flags, read from registers,
					 * lack CLONE_NEWPID */
	bool clone_parent;		/* CLONE_PARENT: its parent is its
					 * creator's parent */
	bool has_vm;			/* vm: the creator's memory figures at
					 * the creation, the child's first */
	uint64_t vm[3];
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
	bool sees_installs;		/* the filter stops every filter install */
	bool sees_pidns;		/* it stops every unshare(CLONE_NEWPID)
					 * and setns (ln_child_note_pidns) */
	int refusals;			/* times lanner was told to go and could not */
	int kept_said;			/* --keep explained once */
	int refuse;			/* enum ln_refuse mask (trace/refuse.c) */
	bool fd_lazy;			/* fds read from the kernel per event */
	int keep_fd_below;		/* an fd kept open per process or thread
					 * (pidfd, stat_fd) only if its number is
					 * below: half RLIMIT_NOFILE, so that kept
					 * fds never take the last ones */
	bool no_upper_check;		/* exec skips ln_exe_in_upper_layer */
	int cpu_policy;			/* enum ln_cpu_policy */
	struct ln_spin spin;
	bool poll_set;			/* the poll budget was given (--poll) */
	bool want_cpu;			/* evt.cpu is read: the program's CPU per event */
	bool want_vm;			/* proc.vm*: memory figures at exec and fork */
	bool pinned;			/* lanner was moved to one CPU */
	cpu_set_t orig_mask;		/* lanner's CPUs before that */
	uint64_t evnum;
	/* Written by the thread that traces only (LN_STAT_*), read by the
	 * caller's thread through the snapshots ln_get_stats and
	 * ln_type_counts take (with a queue those are two threads). */
	ln_stats stats, stats_view;
	uint64_t *type_counts, *type_counts_view;
	ln_fd closed_fd;		/* a closed fd, kept for its event */
	char closed_name[LN_STR_MAX];
	/* Files traced processes opened for writing, by device and inode,
	 * direct-mapped (a newer file may take an older one's slot): what
	 * proc.exe_writer reports at exec (state/written.c). */
	struct ln_written { uint64_t dev, ino; char comm[16]; } written[LN_WRITTEN_SLOTS];
	ln_event pseudo;		/* procexit and other core-made events */
	ln_thread pseudo_thread;
	struct ln_capw *capw;		/* capture being written, or NULL */
	struct ln_capr *capr;		/* capture being read, or NULL */
	struct ln_scapw *scapw;		/* .scap capture being written, or NULL */
	struct ln_scapr *scapr;		/* .scap capture being read, or NULL */
	/* Where ln_next takes events from: the trace loop, or a capture
	 * being replayed.  Chosen once, when the session gets its source. */
	int (*next_event)(struct ln_session *s, ln_event **ev, int timeout_ms);
	/* Told of every change to the state tables (enum ln_state_change);
	 * a capture writer registers it to journal them.  The state layer
	 * never calls the capture layer itself. */
	void (*on_state_change)(struct ln_session *s, int what, int32_t a, int32_t b);
	/* prevention (trace/verdict.c, trace/pathguard.c) */
	uint8_t hold[512];		/* per type: held for a verdict */
	struct ln_denyrule *denies;
	int ndenies;
	struct ln_tstate *held_t;	/* the thread whose event is out held */
	pid_t tracer_tid;		/* the thread that handles the stops */
	bool tree_killed;		/* kill_tree: every tracee seen later dies */
	uint64_t held_since;		/* monotonic ns, when it was handed out */
	int8_t v_pending;		/* a verdict from another thread: */
	int8_t v_action;		/* the tracer applies it (trace/verdict.c) */
	int v_err;
	uint64_t v_num;			/* the held event it answers (ln_event.num) */
	int guard_fd;			/* lanner's sealed memfd, once guard_map is set */
	char *guard_map;		/* lanner's writable view of it */
	uint64_t guard_used[2];		/* slots in use, a bit each */
	int32_t guard_owner[128];	/* the thread holding each slot */
	/* Rules off the stop path (session/async.c): this session traces on
	 * a thread of its own, and its events and tables reach the caller
	 * of ln_next through a queue, into the replica, whose tables the
	 * state getters and the capture writer then use. */
	struct ln_async *async;
	struct ln_session *replica;
	/* Called by the wait loop on each turn (sleeping false) and just
	 * before it sleeps in waitpid (true), if set. */
	void (*tracer_hook)(struct ln_session *s, bool sleeping);
	/* The user-notification engine (trace/notify.c). */
	struct ln_notif {
		bool want;		/* ln_set_notify: on unless told */
		bool use;		/* the launch's filter sends calls to it */
		bool building;		/* filter.c builds that filter now */
		bool launched;		/* a launch got it: the only one that may */
		char whybuf[160];
		uint8_t routed[512];	/* per type: some calls go to the listener */
		int8_t probed;		/* the kernel was asked, probe_err its answer */
		int probe_err;
		int fd;			/* the listener, -1 none */
		int wake_r, wake_w;	/* the SIGCHLD pipe, -1 none */
		int spare[2];		/* fds kept for the hand-off, -1 none */
		int slot;		/* its write end's slot for the handler */
		unsigned since;		/* stops since the listener was looked at */
		bool more;		/* more waited when the last was served */
		unsigned streak;	/* served in a row on that word */
		pid_t tracer;		/* the thread whose mask blocks SIGCHLD */
		const char *why;	/* on, or why off (--stats) */
		sigset_t oldmask, sleepmask;
	} notif;
	pid_t last_tid;			/* the last event's thread: its argument
					 * area may go at the next ln_next */
	pid_t redo_pid;			/* a wait status an injection took, */
	int redo_status;		/* for the wait loop to handle */
	char errmsg[512];
};

#endif
