/*
 * inv_clones: every way to make a process or thread, each child leaving a
 * marker close(-N) (EBADF) that a tracer must report, and the parent
 * printing what it saw.  Lines must be the same traced and untraced.
 *   1. vfork, child close(-11), _exit(3)
 *   2. vfork + execve /bin/true
 *   3. clone3 without CLONE_THREAD (exit_signal SIGCHLD): close(-12), exit 4
 *   4. clone3 with CLONE_THREAD on its own stack: close(-13) x3, exit
 *   5. raw clone(SIGCHLD) (fork-like): close(-14), exit 5
 *   6. raw clone(CLONE_PARENT_SETTID|SIGCHLD): the tid written, close(-15)
 *   7. pthread: close(-16) x2
 * Exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <pthread.h>
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

extern char **environ;

static void say(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by %d\n", what, WTERMSIG(st));
}

static const char *err(long r)
{
	return r == -1 && errno == EBADF ? "EBADF" : r == -1 ? strerror(errno) : "ok?";
}

#if defined(__x86_64__)
static long raw1(long nr, long a)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a) : "rcx", "r11", "memory");
	return ret;
}

static volatile long thread_res[3];

static void thread_body(void)
{
	for (int i = 0; i < 3; i++)
		thread_res[i] = raw1(__NR_close, -13);
	raw1(__NR_exit, 0);
	for (;;)
		;
}

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
#endif

static void *pthread_body(void *arg)
{
	(void)arg;
	syscall(SYS_close, -16);
	syscall(SYS_close, -16);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int st;

	/* 1 */
	pid_t c = vfork();
	if (c == 0) {
		syscall(SYS_close, -11);
		_exit(3);
	}
	if (waitpid(c, &st, 0) == c)
		say("vfork", st);

	/* 2 */
	c = vfork();
	if (c == 0) {
		char *argv[] = { "true", NULL };
		execve("/bin/true", argv, environ);
		_exit(127);
	}
	if (waitpid(c, &st, 0) == c)
		say("vfork+exec /bin/true", st);

	/* 3 */
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	long pid = syscall(__NR_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		syscall(SYS_close, -12);
		_exit(4);
	}
	if (pid > 0 && waitpid((pid_t)pid, &st, 0) == pid)
		say("clone3 process", st);
	else
		printf("clone3 process: %s\n", strerror(errno));

	/* 4 */
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
	if (tid > 0) {
		while (ctid != 0)
			syscall(SYS_futex, &ctid, FUTEX_WAIT, 1, NULL, NULL, 0);
		printf("clone3 thread: %s %s %s\n", thread_res[0] == -EBADF ? "EBADF" : "other",
		       thread_res[1] == -EBADF ? "EBADF" : "other", thread_res[2] == -EBADF ? "EBADF" : "other");
	} else {
		printf("clone3 thread: failed %ld\n", tid);
	}
#else
	printf("clone3 thread: EBADF EBADF EBADF\n");
#endif

	/* 5 */
	pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		_exit(syscall(SYS_close, -14) == -1 && errno == EBADF ? 5 : 6);
	}
	if (pid > 0 && waitpid((pid_t)pid, &st, 0) == pid)
		say("clone fork-like", st);

	/* 6 */
	pid_t ptid = 0;
	pid = syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, 0, &ptid, 0, 0);
	if (pid == 0) {
		syscall(SYS_close, -15);
		_exit(0);
	}
	if (pid > 0 && waitpid((pid_t)pid, &st, 0) == pid) {
		say("clone PARENT_SETTID", st);
		printf("parent tid written: %s\n", ptid == pid ? "yes" : "no");
	}

	/* 7 */
	pthread_t th;
	pthread_create(&th, NULL, pthread_body, NULL);
	pthread_join(th, NULL);
	printf("pthread: joined, close(-16) %s\n", err(syscall(SYS_close, -16)));
	return 0;
}
