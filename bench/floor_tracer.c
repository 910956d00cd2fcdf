/*
 * floor_tracer - the cheapest possible seccomp+ptrace tracer, the floor
 * lanner is measured against: it stops on the same syscalls and does
 * nothing but resume.
 *
 *   floor_tracer [-x] -e name,name,... -- COMMAND [ARG...]
 *     -x   also stop at each syscall's exit (PTRACE_SYSCALL), as lanner
 *          does for exit-style events
 *     -p   pin the tracer to the CPU it starts on (the tracee is free)
 *     -d NS  busy-wait NS nanoseconds at each stop before resuming: what
 *          a tracer's own work at a stop costs the program, apart from
 *          the work (bench/RESULTS.md, "A stop's work before the resume")
 *
 * Follows forks, vforks and clones.  Exit status is COMMAND's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long delay_ns;

/* -d: the tracer's work at a stop, as time alone */
static void work_at_stop(void)
{
	struct timespec a, b;
	if (!delay_ns)
		return;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < delay_ns);
}

static long pt(long req, pid_t pid, unsigned long addr, unsigned long data)
{
	return syscall(SYS_ptrace, req, pid, addr, data);
}

int main(int argc, char **argv)
{
	int exits = 0, pin = 0, opt;
	char *names = NULL;
	while ((opt = getopt(argc, argv, "xpe:d:")) != -1) {
		if (opt == 'x')
			exits = 1;
		else if (opt == 'p')
			pin = 1;
		else if (opt == 'e')
			names = optarg;
		else if (opt == 'd')
			delay_ns = atol(optarg);
		else
			return 2;
	}
	if (optind >= argc || !names) {
		fprintf(stderr, "usage: floor_tracer [-x] [-p] [-d NS] -e name,... -- COMMAND [ARG...]\n");
		return 2;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (char *n = strtok(names, ","); n; n = strtok(NULL, ",")) {
		int nr = seccomp_syscall_resolve_name(n);
		if (nr >= 0)
			seccomp_rule_add(ctx, SCMP_ACT_TRACE(0), nr, 0);
	}
	pid_t child = fork();
	if (child == 0) {
		raise(SIGSTOP);
		if (seccomp_load(ctx) < 0)
			_exit(126);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	int status;
	if (pin) {
		/* the tracer alone on its CPU; the tracee keeps every CPU */
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(sched_getcpu(), &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	waitpid(child, &status, WSTOPPED);
	pt(PTRACE_SEIZE, child, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
	   PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
	kill(child, SIGCONT);
	int result = 0;
	for (;;) {
		pid_t pid = waitpid(-1, &status, __WALL);
		if (pid < 0)
			break;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (pid == child)
				result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			continue;
		}
		int sig = WSTOPSIG(status), ev = status >> 16;
		work_at_stop();
		if (ev == PTRACE_EVENT_SECCOMP)
			pt(exits ? PTRACE_SYSCALL : PTRACE_CONT, pid, 0, 0);
		else if (sig == (SIGTRAP | 0x80) || ev)
			pt(ev == PTRACE_EVENT_STOP && sig != SIGTRAP ? PTRACE_LISTEN : PTRACE_CONT, pid, 0, 0);
		else
			pt(PTRACE_CONT, pid, 0, (unsigned long)sig);
	}
	return result;
}
