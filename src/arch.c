/*
 * arch.c - the only place that reads a tracee's registers.
 *
 * Everything else goes through PTRACE_GET_SYSCALL_INFO; only a fork/clone
 * ptrace-event stop needs the registers, to learn the clone flags (is the
 * child a thread?) when the child may already be gone from /proc.
 */
#include <errno.h>
#include <linux/sched.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>
#include <linux/elf.h>
#include "core.h"

/* Clone flags of the clone/clone3 the thread is stopped in; -1 if unknown
 * (fork and vfork have none: 0). */
int64_t ln_arch_clone_flags(pid_t tid)
{
#if defined(__x86_64__)
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };
	if (syscall(SYS_ptrace, PTRACE_GETREGSET, tid, NT_PRSTATUS, &io) < 0)
		return -1;
	uint64_t nr = r.orig_rax, a0 = r.rdi;
#elif defined(__aarch64__)
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };
	if (syscall(SYS_ptrace, PTRACE_GETREGSET, tid, NT_PRSTATUS, &io) < 0)
		return -1;
	uint64_t nr = r.regs[8], a0 = r.regs[0];
#else
	return -1;
#endif
	if (nr == SYS_clone)
		return (int64_t)a0;
#ifdef SYS_clone3
	if (nr == SYS_clone3) {
		uint64_t flags;
		return ln_mem_read(tid, a0, &flags, sizeof(flags)) == sizeof(flags) ? (int64_t)flags : -1;
	}
#endif
	return 0;
}

int ln_arch_deny_syscall(pid_t tid, int err)
{
#if defined(__x86_64__)
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };
	if (syscall(SYS_ptrace, PTRACE_GETREGSET, tid, NT_PRSTATUS, &io) < 0)
		return -errno;
	r.orig_rax = (unsigned long long)-1;	/* no syscall */
	r.rax = (unsigned long long)(long long)-err;
	return syscall(SYS_ptrace, PTRACE_SETREGSET, tid, NT_PRSTATUS, &io) < 0 ? -errno : 0;
#elif defined(__aarch64__)
	int nr = -1;
	struct iovec sc = { &nr, sizeof(nr) };
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };
	if (syscall(SYS_ptrace, PTRACE_SETREGSET, tid, NT_ARM_SYSTEM_CALL, &sc) < 0 ||
	    syscall(SYS_ptrace, PTRACE_GETREGSET, tid, NT_PRSTATUS, &io) < 0)
		return -errno;
	r.regs[0] = (unsigned long long)(long long)-err;
	return syscall(SYS_ptrace, PTRACE_SETREGSET, tid, NT_PRSTATUS, &io) < 0 ? -errno : 0;
#else
	(void)tid;
	(void)err;
	return -ENOSYS;
#endif
}

int ln_arch_skip_syscall(pid_t tid)
{
#if defined(__x86_64__)
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };
	if (syscall(SYS_ptrace, PTRACE_GETREGSET, tid, NT_PRSTATUS, &io) < 0)
		return -errno;
	r.orig_rax = (unsigned long long)-1;
	return syscall(SYS_ptrace, PTRACE_SETREGSET, tid, NT_PRSTATUS, &io) < 0 ? -errno : 0;
#elif defined(__aarch64__)
	int nr = -1;
	struct iovec sc = { &nr, sizeof(nr) };
	return syscall(SYS_ptrace, PTRACE_SETREGSET, tid, NT_ARM_SYSTEM_CALL, &sc) < 0 ? -errno : 0;
#else
	(void)tid;
	return -ENOSYS;
#endif
}

int ln_arch_set_return(pid_t tid, int64_t val)
{
#if defined(__x86_64__) || defined(__aarch64__)
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };
	if (syscall(SYS_ptrace, PTRACE_GETREGSET, tid, NT_PRSTATUS, &io) < 0)
		return -errno;
#if defined(__x86_64__)
	r.rax = (unsigned long long)val;
#else
	r.regs[0] = (unsigned long long)val;
#endif
	return syscall(SYS_ptrace, PTRACE_SETREGSET, tid, NT_PRSTATUS, &io) < 0 ? -errno : 0;
#else
	(void)tid;
	(void)val;
	return -ENOSYS;
#endif
}
