/*
 * arch.c - the only place that reads a tracee's registers.
 *
 * Everything else goes through PTRACE_GET_SYSCALL_INFO; only a fork/clone
 * ptrace-event stop needs the registers, to learn the clone flags (is the
 * child a thread?) when the child may already be gone from /proc, and the
 * syscall injection of --attach-mode=seccomp (trace/inject.c) sets them.  The
 * injection is x86_64 only for now: elsewhere it says -ENOSYS and the
 * attach stays in syscall mode.
 */
#include <errno.h>
#include <linux/sched.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>
#include <linux/elf.h>
#include <string.h>
#include "base/base.h"

#if defined(__x86_64__)
/* PTRACE_GETREGS, not GETREGSET: the regset is the tracee's own view, the
 * 32-bit one (68 bytes, eax first) for a 32-bit program, so writing rax
 * or orig_rax there changed nothing and a refusal let the call through.
 * GETREGS is lanner's view, the same 64-bit layout for every tracee
 * (a 32-bit call's eax is rax, its ebx rbx, its orig_eax orig_rax). */
static int getregs(pid_t tid, struct user_regs_struct *r)
{
	return syscall(SYS_ptrace, PTRACE_GETREGS, tid, 0, r) < 0 ? -errno : 0;
}

static int setregs(pid_t tid, struct user_regs_struct *r)
{
	return syscall(SYS_ptrace, PTRACE_SETREGS, tid, 0, r) < 0 ? -errno : 0;
}
#endif

/* Clone flags of the clone/clone3 the thread is stopped in, at its clone
 * event; -1 if unknown (fork and vfork have none: 0).  *in_regs: they are
 * the registers the kernel read, not clone3's struct in memory, which
 * another thread can have changed since. */
int64_t ln_arch_clone_flags(pid_t tid, bool *in_regs)
{
	*in_regs = false;
#if defined(__x86_64__)
	struct user_regs_struct r;
	if (getregs(tid, &r) < 0)
		return -1;
	uint64_t nr = r.orig_rax, a0 = r.rdi;
	/* The 32-bit ABI's clone family (int 0x80, from a 32-bit program or
	 * not).  At a clone event no other call can be in progress, so its
	 * own numbers tell clone (120, flags in ebx), fork (2) and vfork
	 * (190); clone3 is 435 in both ABIs, its struct in ebx there: the
	 * kernel says which ABI the call came in by. */
	*in_regs = nr != 435;
	if (nr == 120)
		return (int64_t)(uint32_t)r.rbx;
	if (nr == 2 || nr == 190)
		return 0;
	if (nr == 435) {
		struct __ptrace_syscall_info info;
		if (syscall(SYS_ptrace, PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info) <= 0)
			return -1;
		if (info.arch == 0x40000003 /* AUDIT_ARCH_I386 */)
			a0 = (uint32_t)r.rbx;
	}
#elif defined(__aarch64__)
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };
	if (syscall(SYS_ptrace, PTRACE_GETREGSET, tid, NT_PRSTATUS, &io) < 0)
		return -1;
	uint64_t nr = r.regs[8], a0 = r.regs[0];
	*in_regs = true;
#ifdef SYS_clone3
	*in_regs = nr != SYS_clone3;
#endif
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
	int e = getregs(tid, &r);
	if (e)
		return e;
	r.orig_rax = (unsigned long long)-1;	/* no syscall */
	r.rax = (unsigned long long)(long long)-err;
	return setregs(tid, &r);
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
	int e = getregs(tid, &r);
	if (e)
		return e;
	r.orig_rax = (unsigned long long)-1;
	return setregs(tid, &r);
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
#if defined(__x86_64__)
	struct user_regs_struct r;
	int e = getregs(tid, &r);
	if (e)
		return e;
	r.rax = (unsigned long long)val;
	return setregs(tid, &r);
#elif defined(__aarch64__)
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };
	if (syscall(SYS_ptrace, PTRACE_GETREGSET, tid, NT_PRSTATUS, &io) < 0)
		return -errno;
	r.regs[0] = (unsigned long long)val;
	return syscall(SYS_ptrace, PTRACE_SETREGSET, tid, NT_PRSTATUS, &io) < 0 ? -errno : 0;
#else
	(void)tid;
	(void)val;
	return -ENOSYS;
#endif
}

/* The kernel's restart codes, not in the uapi headers. */
enum { K_ERESTARTSYS = 512, K_ERESTARTNOINTR = 513 };

int ln_arch_interrupted_call(pid_t tid, long *nr)
{
#if defined(__x86_64__)
	struct user_regs_struct r;
	int e = getregs(tid, &r);
	if (e)
		return e;
	/* a native call (cs 0x33) that a signal interrupted */
	if ((int64_t)r.rax != -K_ERESTARTSYS || (int64_t)r.orig_rax < 0 || r.cs != 0x33)
		return -ENOENT;
	*nr = (long)r.orig_rax;
	return 0;
#else
	(void)tid; (void)nr;
	return -ENOSYS;
#endif
}

int ln_arch_restart_always(pid_t tid)
{
	return ln_arch_set_return(tid, -K_ERESTARTNOINTR);
}

/* --- syscall injection --- */

#if defined(__x86_64__)
_Static_assert(sizeof(struct user_regs_struct) <= sizeof(struct ln_regs), "struct ln_regs too small");

/* struct ln_regs is plain words: copied, never cast, to stay alias-clean */
static struct user_regs_struct unpack(const struct ln_regs *saved)
{
	struct user_regs_struct r;
	memcpy(&r, saved->w, sizeof(r));
	return r;
}
#endif

int ln_arch_get_regs(pid_t tid, struct ln_regs *r)
{
#if defined(__x86_64__)
	struct user_regs_struct u;
	int e = getregs(tid, &u);
	if (!e)
		memcpy(r->w, &u, sizeof(u));
	return e;
#else
	(void)tid;
	(void)r;
	return -ENOSYS;
#endif
}

uint64_t ln_arch_stack_pointer(const struct ln_regs *r)
{
#if defined(__x86_64__)
	return unpack(r).rsp;
#else
	(void)r;
	return 0;
#endif
}

long ln_arch_nr(int call)
{
#if defined(__x86_64__)
	switch (call) {
	case LN_NR_MMAP: return SYS_mmap;
	case LN_NR_MUNMAP: return SYS_munmap;
	case LN_NR_PRCTL: return SYS_prctl;
	case LN_NR_SECCOMP: return SYS_seccomp;
	case LN_NR_SIGPROCMASK: return SYS_rt_sigprocmask;
	case LN_NR_CLONE: return SYS_clone;
	case LN_NR_CLONE3: return SYS_clone3;
	case LN_NR_OPENAT: return SYS_openat;
	case LN_NR_CLOSE: return SYS_close;
	case LN_NR_MSEAL: return 462;	/* mseal, Linux 6.10; older kernels: -ENOSYS */
	}
#endif
	(void)call;
	return -1;
}

int ln_arch_set_syscall(pid_t tid, const struct ln_regs *saved, bool at_entry, long nr, const uint64_t a[6])
{
#if defined(__x86_64__)
	struct user_regs_struct r = unpack(saved);
	r.rdi = a[0]; r.rsi = a[1]; r.rdx = a[2]; r.r10 = a[3]; r.r8 = a[4]; r.r9 = a[5];
	if (at_entry) {
		/* the kernel takes the number from orig_rax after the stop */
		r.orig_rax = (unsigned long long)nr;
	} else {
		/* back onto the 2-byte syscall instruction, as a restart does;
		 * orig_rax -1: no restart logic may touch rax on the way out */
		r.rip = unpack(saved).rip - 2;
		r.rax = (unsigned long long)nr;
		r.orig_rax = (unsigned long long)-1;
	}
	return setregs(tid, &r);
#else
	(void)tid; (void)saved; (void)at_entry; (void)nr; (void)a;
	return -ENOSYS;
#endif
}

int ln_arch_get_result(pid_t tid, int64_t *res)
{
#if defined(__x86_64__)
	struct user_regs_struct r;
	int e = getregs(tid, &r);
	if (!e)
		*res = (int64_t)r.rax;
	return e;
#else
	(void)tid; (void)res;
	return -ENOSYS;
#endif
}

int ln_arch_restart_syscall(pid_t tid, const struct ln_regs *saved)
{
#if defined(__x86_64__)
	struct user_regs_struct r = unpack(saved);
	/* at the entry stop rax is -ENOSYS and rip is past the instruction */
	r.rip -= 2;
	r.rax = r.orig_rax;
	return setregs(tid, &r);
#else
	(void)tid; (void)saved;
	return -ENOSYS;
#endif
}

/* --- clone3 rewritten as clone (trace/clone3.c) --- */

int ln_arch_get_call(pid_t tid, long *nr, uint64_t a[5], struct ln_regs *keep)
{
#if defined(__x86_64__)
	struct user_regs_struct r;
	int e = getregs(tid, &r);
	if (e)
		return e;
	*nr = (long)r.orig_rax;
	a[0] = r.rdi; a[1] = r.rsi; a[2] = r.rdx; a[3] = r.r10; a[4] = r.r8;
	if (keep)
		memcpy(keep->w, &r, sizeof(r));
	return 0;
#else
	(void)tid; (void)nr; (void)a; (void)keep;
	return -ENOSYS;
#endif
}

#if defined(__x86_64__)
/* The registers of the stop: as get_call kept them, else read now. */
static int regs_of(pid_t tid, const struct ln_regs *from, struct user_regs_struct *r)
{
	if (!from)
		return getregs(tid, r);
	*r = unpack(from);
	return 0;
}
#endif

int ln_arch_set_call(pid_t tid, long nr, const uint64_t a[5], const struct ln_regs *from)
{
#if defined(__x86_64__)
	struct user_regs_struct r;
	int e = regs_of(tid, from, &r);
	if (e)
		return e;
	r.orig_rax = (unsigned long long)nr;
	r.rdi = a[0]; r.rsi = a[1]; r.rdx = a[2]; r.r10 = a[3]; r.r8 = a[4];
	return setregs(tid, &r);
#else
	(void)tid; (void)nr; (void)a; (void)from;
	return -ENOSYS;
#endif
}

int ln_arch_put_args(pid_t tid, const uint64_t a[5], long restart_nr, const struct ln_regs *from)
{
#if defined(__x86_64__)
	struct user_regs_struct r;
	int e = regs_of(tid, from, &r);
	if (e)
		return e;
	r.rdi = a[0]; r.rsi = a[1]; r.rdx = a[2]; r.r10 = a[3]; r.r8 = a[4];
	/* -ERESTARTNOINTR and kin: the kernel will run orig_rax again */
	if ((long long)r.rax <= -512 && (long long)r.rax >= -516)
		r.orig_rax = (unsigned long long)restart_nr;
	return setregs(tid, &r);
#else
	(void)tid; (void)a; (void)restart_nr; (void)from;
	return -ENOSYS;
#endif
}

/* --- paths pinned in the guard area (trace/pathguard.c) --- */

int ln_arch_set_arg(pid_t tid, int arg, uint64_t val)
{
#if defined(__x86_64__)
	struct user_regs_struct r;
	int e = getregs(tid, &r);
	if (e)
		return e;
	unsigned long long *reg[6] = { &r.rdi, &r.rsi, &r.rdx, &r.r10, &r.r8, &r.r9 };
	if (arg < 0 || arg > 5)
		return -EINVAL;
	*reg[arg] = val;
	return setregs(tid, &r);
#else
	(void)tid; (void)arg; (void)val;
	return -ENOSYS;
#endif
}

/* Every register back as saved (after an injection at an exit stop). */
int ln_arch_set_regs(pid_t tid, const struct ln_regs *saved)
{
#if defined(__x86_64__)
	struct user_regs_struct r = unpack(saved);
	return setregs(tid, &r);
#else
	(void)tid; (void)saved;
	return -ENOSYS;
#endif
}
