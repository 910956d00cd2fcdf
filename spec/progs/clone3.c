/*
 * clone3: the clone3 syscall made raw, twice.
 *   1. a process: flags 0, exit_signal SIGCHLD; the child makes one
 *      close(-1) and exits 7; the parent checks the status.
 *   2. a thread: CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|
 *      CLONE_SYSVSEM|CLONE_CHILD_CLEARTID on its own stack; it makes
 *      three close(-2) calls with raw syscalls (no libc: it has no TLS of
 *      its own) and exits; the parent waits on the cleared tid.
 * Exits 0 when both went as planned.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif

static long raw1(long nr, long a)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a) : "rcx", "r11", "memory");
	return ret;
}

static void thread_body(void)
{
	for (int i = 0; i < 3; i++)
		raw1(__NR_close, -2);
	raw1(__NR_exit, 0);
	for (;;)
		;
}

/* clone3 whose child runs fn on the stack the args name and never
 * returns into this frame. */
static long clone3_thread(struct clone_args *ca, void (*fn)(void))
{
	long ret;
	register void (*r12)(void) __asm__("r12") = fn;
	__asm__ volatile(
		"syscall\n\t"
		"test %%rax, %%rax\n\t"
		"jnz 1f\n\t"
		"xor %%ebp, %%ebp\n\t"
		"call *%%r12\n\t"
		"ud2\n"
		"1:\n\t"
		: "=a"(ret)
		: "a"((long)__NR_clone3), "D"(ca), "S"(sizeof(*ca)), "r"(r12)
		: "rcx", "r11", "memory");
	return ret;
}

int main(void)
{
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	long pid = syscall(__NR_clone3, &ca, sizeof(ca));
	if (pid < 0)
		return 10;
	if (pid == 0) {
		syscall(SYS_close, -1);
		_exit(7);
	}
	int st;
	if (waitpid((pid_t)pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		return 11;

#if defined(__x86_64__)
	enum { STACK = 64 * 1024 };
	char *stack = malloc(STACK);
	static volatile int32_t ctid;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		   CLONE_SYSVSEM | CLONE_CHILD_CLEARTID;
	ctid = 1;
	ca.child_tid = (uint64_t)(uintptr_t)&ctid;
	ca.stack = (uint64_t)(uintptr_t)stack;
	ca.stack_size = STACK;
	long tid = clone3_thread(&ca, thread_body);
	if (tid < 0)
		return 12;
	/* the kernel clears ctid (1 until then) and wakes us when the thread
	 * is gone; FUTEX_WAIT returns at once if that already happened */
	while (ctid != 0)
		syscall(SYS_futex, &ctid, FUTEX_WAIT, 1, NULL, NULL, 0);
#endif
	return 0;
}
