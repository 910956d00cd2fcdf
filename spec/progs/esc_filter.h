/*
 * esc_filter.h - the seccomp filter the escape programs install: every
 * syscall allowed but openat, which gets `action`.  Returns what
 * seccomp(SECCOMP_SET_MODE_FILTER, flags, ...) returned (a listener fd
 * with SECCOMP_FILTER_FLAG_NEW_LISTENER), -1 with errno on failure.
 */
#ifndef ESC_FILTER_H
#define ESC_FILTER_H
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ESC_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ESC_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define ESC_ARCH AUDIT_ARCH_I386	/* esc_listener_m32: the 32-bit ABI's openat */
#endif

static long esc_openat_filter(unsigned action, unsigned flags)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ESC_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}
#endif
