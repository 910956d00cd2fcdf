/*
 * inv_seccomp: a program that installs a seccomp filter of its own (as
 * sandboxes, browsers and container runtimes do), then makes the calls it
 * filters.  Its own filter, stacked on lanner's, must act as it does
 * without lanner:
 *   uname          SECCOMP_RET_ERRNO(EPERM)
 *   getppid        SECCOMP_RET_TRAP with data 7 (SIGSYS to its handler)
 *   getpgid        SECCOMP_RET_TRACE: with no tracer of its own, ENOSYS
 *   sync           SECCOMP_RET_KILL_PROCESS (in a child: killed by SIGSYS)
 *   everything else allowed: close(-99) is EBADF, fork + exec /bin/true
 *   works and the filter follows into the child
 * Prints one line per call; exits 0.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

static volatile int trap_nr = -1, trap_data = -1, traps;

static void on_sys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	traps++;
	trap_nr = si->si_syscall;
	trap_data = si->si_errno;
}

static const char *err(long r)
{
	if (r >= 0)
		return "ok";
	return errno == EPERM ? "EPERM" : errno == ENOSYS ? "ENOSYS" : errno == EBADF ? "EBADF" : strerror(errno);
}

#define NR(n, action) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (n), 0, 1), BPF_STMT(BPF_RET | BPF_K, (action))

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		NR(__NR_uname, SECCOMP_RET_ERRNO | EPERM),
		NR(__NR_getppid, SECCOMP_RET_TRAP | 7),
		NR(__NR_getpgid, SECCOMP_RET_TRACE | 0x123),
		NR(__NR_sync, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
		printf("seccomp: %s\n", strerror(errno));
		return 1;
	}
	printf("filter installed\n");

	struct utsname u;
	printf("uname: %s\n", err(syscall(SYS_uname, &u)));
	long r = syscall(SYS_getppid);
	printf("getppid: returned %s, SIGSYS %d times, si_syscall %s, data %d\n", r == getpid() ? "?" : "something",
	       traps, trap_nr == __NR_getppid ? "getppid" : "other", trap_data);
	printf("getpgid: %s\n", err(syscall(SYS_getpgid, 0)));
	printf("close(-99): %s\n", err(syscall(SYS_close, -99)));

	int st;
	pid_t c = fork();
	if (c == 0) {
		sync();
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("child sync: %s %d\n", WIFSIGNALED(st) ? "killed by" : "exited", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));

	c = fork();
	if (c == 0) {
		struct utsname u2;
		if (syscall(SYS_uname, &u2) == 0)
			_exit(3);	/* the filter must follow into the child */
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(c, &st, 0);
	printf("child exec /bin/true: %s %d\n", WIFSIGNALED(st) ? "killed by" : "exited",
	       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	return 0;
}
