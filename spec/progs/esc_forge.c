/*
 * esc_forge: a filter of the program's own that forges lanner's
 * SECCOMP_RET_DATA tag.  It returns SECCOMP_RET_TRACE with data argv[1]
 * (hex, default 0x4c03: lanner's tag and mode bits 3, the clone3 guard)
 * for openat; the newest filter wins among equal actions, so the stop
 * carries this data instead of lanner's.  Then it opens argv[2] (default
 * /etc/hostname).  Without a tracer the open fails with ENOSYS.
 * Prints "install: ok" and "open: ok" or "open: <error>".
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	unsigned data = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 16) : 0x4c03;
	const char *path = argc > 2 ? argv[2] : "/etc/hostname";
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | (data & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		printf("install: %s\n", strerror(errno));
		return 1;
	}
	printf("install: ok\n");
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
	printf("open: %s\n", fd >= 0 ? "ok" : errno == ENOSYS ? "ENOSYS" : strerror(errno));
	return 0;
}
