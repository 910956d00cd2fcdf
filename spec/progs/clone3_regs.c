/*
 * clone3_regs: the syscall ABI keeps every register but rax, rcx and r11
 * across a syscall, and lanner turns a clone3 into a clone at its entry
 * (src/trace/clone3.c), which puts other values in rdi, rsi, rdx, r10 and
 * r8.  They must be back by the time the parent and the child run on.
 * A raw clone3 of a process (exit_signal SIGCHLD, no stack of its own)
 * with known values in those registers; parent and child each compare
 * what they hold after the call.  Prints "parent ok" / "child ok" (or
 * which register differs) and exits 0 when both held.
 *   clone3_regs fail: flags the kernel refuses (CLONE_SIGHAND without
 *   CLONE_VM: EINVAL, after lanner's rewrite): no child, the parent's
 *   registers checked all the same; exits 0 when they held.
 */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif

#define RDX_V 0x1111222233334444L
#define R10_V 0x5555666677778888L
#define R8_V 0x0123456789abcdefL

static int check(const char *who, long rdi, long rsi, long rdx, long r10, long r8,
		 const struct clone_args *ca)
{
	const char *bad = rdi != (long)ca ? "rdi" : rsi != (long)sizeof(*ca) ? "rsi" : rdx != RDX_V ? "rdx"
		: r10 != R10_V ? "r10" : r8 != R8_V ? "r8" : NULL;
	if (bad)
		printf("%s: %s changed\n", who, bad);
	else
		printf("%s ok\n", who);
	fflush(stdout);
	return bad != NULL;
}

int main(int argc, char **argv)
{
	static struct clone_args ca;
	bool fail = argc > 1 && !strcmp(argv[1], "fail");
	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	if (fail)
		ca.flags = CLONE_SIGHAND;
	long ret, rdi = (long)&ca, rsi = sizeof(ca), rdx = RDX_V;
	register long r10 __asm__("r10") = R10_V;
	register long r8 __asm__("r8") = R8_V;
	__asm__ volatile("syscall"
			 : "=a"(ret), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8)
			 : "a"((long)__NR_clone3)
			 : "rcx", "r11", "memory");
	/* out of the register variables at once: a call reuses r10 and r8 */
	long v10 = r10, v8 = r8;
	if (ret < 0) {
		printf("clone3: %s\n", strerror((int)-ret));
		if (fail && ret == -EINVAL)
			return check("parent", rdi, rsi, rdx, v10, v8, &ca);
		return 2;
	}
	if (ret == 0)
		_exit(check("child", rdi, rsi, rdx, v10, v8, &ca) ? 3 : 0);
	int bad = check("parent", rdi, rsi, rdx, v10, v8, &ca);
	printf("child pid %ld\n", ret);	/* what a clone3 event's result must be */
	fflush(stdout);
	int st;
	if (waitpid((pid_t)ret, &st, 0) != ret || !WIFEXITED(st) || WEXITSTATUS(st))
		bad = 1;
	return bad;
}
