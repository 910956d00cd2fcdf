/*
 * clone3_sandbox: a program with a seccomp filter of its own that refuses
 * clone (EPERM) and lets clone3 through, then starts threads (glibc's
 * pthread_create uses clone3).  lanner turns clone3 into clone only for a
 * process whose filters are all its own (trace/clone3.c): here it must
 * not, or the program's filter would refuse the thread.
 *   prctl    installs the filter with prctl(PR_SET_SECCOMP)
 *   seccomp  with seccomp(SECCOMP_SET_MODE_FILTER)
 *   tsync    a second thread installs it for the whole process (TSYNC),
 *            then the main thread starts one
 *   child    installs it with prctl, then forks with a raw clone3; the
 *            child (which inherits the filter) starts a thread
 * Prints "threads ok" and exits 0 when every thread started.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif

static struct sock_filter insns[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};
static struct sock_fprog prog = { sizeof(insns) / sizeof(insns[0]), insns };

static int install(const char *how)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	if (!strcmp(how, "seccomp"))
		return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
	if (!strcmp(how, "tsync"))
		return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static void *nothing(void *arg)
{
	return arg;
}

static void *installer(void *arg)
{
	return (void *)(long)install((const char *)arg);
}

/* start and join one thread; 0 if it ran */
static int one_thread(const char *who)
{
	pthread_t th;
	int e = pthread_create(&th, NULL, nothing, NULL);
	if (e) {
		fprintf(stderr, "%s: pthread_create: %s\n", who, strerror(e));
		return -1;
	}
	pthread_join(th, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "prctl";
	if (!strcmp(how, "tsync")) {
		pthread_t th;
		void *r;
		/* started before any filter of the program's own */
		if (pthread_create(&th, NULL, installer, (void *)how) || (pthread_join(th, &r), r != NULL)) {
			perror("install (tsync)");
			return 2;
		}
	} else if (install(!strcmp(how, "child") ? "prctl" : how) < 0) {
		perror("install");
		return 2;
	}
	if (one_thread("main") < 0)
		return 1;
	if (!strcmp(how, "child")) {
		struct clone_args ca;
		memset(&ca, 0, sizeof(ca));
		ca.exit_signal = SIGCHLD;
		long pid = syscall(__NR_clone3, &ca, sizeof(ca));
		if (pid < 0) {
			perror("clone3");
			return 1;
		}
		if (pid == 0)
			_exit(one_thread("child") < 0 ? 1 : 0);
		int st;
		if (waitpid((pid_t)pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return 1;
	}
	puts("threads ok");
	return 0;
}
