/*
 * base.h - the lowest layer: clocks, errors, the ptrace call, register
 * access by architecture, reading tracee memory, small /proc readers.
 * Uses nothing above it.
 */
#ifndef LN_BASE_H
#define LN_BASE_H
#include "core.h"

/* clock.c */
uint64_t ln_now_realtime(void);
uint64_t ln_now_mono(void);

/* error.c: C returns -errno and fills the session's message. */
void ln_set_err(struct ln_session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ptrace.c: glibc's <sys/ptrace.h> clashes with <linux/ptrace.h>. */
long ln_ptrace(long req, pid_t pid, unsigned long addr, unsigned long data);

/* caps.c: CAP_SYS_ADMIN in lanner's own user namespace. */
bool ln_have_cap_sys_admin(void);

/* tracee_mem.c: reading the tracee, never trusting its pointers. */
ssize_t ln_mem_read(pid_t tid, uint64_t addr, void *dst, size_t len);
/* Read a NUL-terminated string into the arena; returns its length (without
 * the NUL, stored after it) or -errno; *truncated set if max was hit. */
ssize_t ln_mem_read_str(pid_t tid, uint64_t addr, struct ln_arena *a, size_t max, bool *truncated);
int ln_arena_reserve(struct ln_arena *a, size_t more);
size_t ln_arena_put(struct ln_arena *a, const void *p, size_t n);

/* procfs.c */
/* /proc/PID/WHAT into buf, NUL-terminated; bytes read or -errno. */
ssize_t ln_read_proc_file(pid_t pid, const char *what, char *buf, size_t n);
char *ln_readlink_proc(pid_t pid, const char *what, char *buf, size_t n);
/* A pid-namespace line of /proc/PID/status text (key "NSpid", "NStgid":
 * the pid in each namespace, lanner's first): how many columns it has, and
 * the one at depth in *out (depth < 0: the last, the task's own). */
int ln_status_column(const char *status, const char *key, int depth, int32_t *out);
/* VmSize, VmRSS and VmSwap in kB (0 where absent), cut to 32 bits as
 * Falco's driver reports them: of a /proc/TID/status text, or read (false,
 * and vm untouched, if the file could not be). */
void ln_parse_vm(const char *status, uint64_t vm[3]);
bool ln_read_vm(pid_t tid, uint64_t vm[3]);
/* Thread group and parent of a tid, from /proc; 0 or -1. */
int ln_read_ids(pid_t tid, pid_t *tgid, pid_t *ppid);
/* The task's children go to its own pid namespace (no unshare or setns
 * of CLONE_NEWPID since it was made). */
bool ln_pidns_for_children_same(pid_t tid);
/* The pid in lanner's namespace of a child that thread creator of process
 * tgid made, from the pid clone returned to it (creator's namespace): one
 * of tgid's threads, or a process whose parent is tgid or alt_parent
 * (CLONE_PARENT).  A scan of /proc, for the rare path that needs it; 0 if
 * none matches. */
pid_t ln_child_from_ns(pid_t creator, pid_t tgid, pid_t alt_parent, pid_t nspid);
/* Number of filters of a process (Seccomp_filters in /proc), -1 unknown. */
int ln_seccomp_filters(pid_t pid, int *mode);

int ln_task_cpu(pid_t pid, pid_t tid, int *fd, int keep_below);
/* Half of lanner's RLIMIT_NOFILE now: fds it keeps open between events
 * (one per process or thread) stay below, so that a program with
 * thousands of them cannot leave lanner without fds for its own work. */
int ln_keep_fd_below(void);
/* Tasks runnable system-wide now (/proc/loadavg), -1 if unknown. */
int ln_nr_running(int *fd);

/* overlay.c: the executable is in its overlayfs mount's upper layer. */
bool ln_exe_in_upper_layer(pid_t pid, const char *exepath);

/* arch.c: registers by architecture, the one place that knows them. */
int64_t ln_arch_clone_flags(pid_t tid, bool *in_regs);
/* At a seccomp stop: skip the syscall, which then returns -err. */
int ln_arch_deny_syscall(pid_t tid, int err);
/* At a syscall-entry stop: skip the syscall; at its exit stop, set what
 * it returns. */
int ln_arch_skip_syscall(pid_t tid);
int ln_arch_set_return(pid_t tid, int64_t val);
/* At a signal-delivery stop: 0 and the call's number if a signal
 * interrupted a native syscall that would restart only with SA_RESTART
 * (-ERESTARTSYS); ln_arch_restart_always makes it restart anyway. */
int ln_arch_interrupted_call(pid_t tid, long *nr);
int ln_arch_restart_always(pid_t tid);
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
/* Syscall numbers of the native ABI that trace/inject.c makes, -1 if none. */
enum ln_inj_call { LN_NR_MMAP, LN_NR_MUNMAP, LN_NR_PRCTL, LN_NR_SECCOMP, LN_NR_SIGPROCMASK,
	LN_NR_CLONE, LN_NR_CLONE3, LN_NR_OPENAT, LN_NR_CLOSE, LN_NR_MSEAL };
long ln_arch_nr(int call);
/* The syscall number and first five argument registers of a stopped
 * thread; set them at an entry stop; put the arguments back at an exit
 * stop (and the number, restart_nr, if the kernel is to restart it). */
/* keep: the registers read, for a set_call/put_args that follows at the
 * same stop (from: NULL reads them again); a ptrace call fewer each. */
int ln_arch_get_call(pid_t tid, long *nr, uint64_t a[5], struct ln_regs *keep);
int ln_arch_set_call(pid_t tid, long nr, const uint64_t a[5], const struct ln_regs *from);
int ln_arch_put_args(pid_t tid, const uint64_t a[5], long restart_nr, const struct ln_regs *from);
/* Set one argument register (0-5) of a stopped thread. */
int ln_arch_set_arg(pid_t tid, int arg, uint64_t val);
int ln_arch_set_regs(pid_t tid, const struct ln_regs *saved);

#endif
