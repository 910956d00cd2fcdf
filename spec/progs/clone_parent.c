/*
 * clone_parent: children made with CLONE_PARENT, whose parent is their
 * creator's parent (spec/clone_parent_spec.lua).  The program forks a
 * creator, which makes three children that way: with clone (flags in a
 * register), with clone3 (lanner runs it as clone), and with clone3
 * after a seccomp filter of its own (lanner leaves it as it is: the
 * flags it could read are in memory).  Each child calls close(-K) for
 * K 3001..3003 and prints "K getpid() getppid()"; the creator lives
 * until all three are done, the program waits for them (they are its
 * children) and exits 0.
 *   clone_parent orphan   ten times, a process whose parent has ended (it
 *                         was reparented) makes a child with CLONE_PARENT
 *                         (marks 3010..3019): its parent is the reaper,
 *                         not the ended one
 */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif

static int done[2];	/* each child writes a byte: the creator waits for them */

static void child(long k)
{
	close((int)-k);
	printf("%ld %d %d\n", k, getpid(), getppid());
	fflush(stdout);
	_exit(write(done[1], "x", 1) == 1 ? 0 : 1);
}

/* The creator lives until its children are done, so that a tracer meets
 * them with their creator still there. */
static int creator(void)
{
	char b[3];
	if (pipe(done) != 0)
		return 1;
	if (syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0) == 0)
		child(3001);
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_PARENT;	/* exit_signal 0: the creator's, SIGCHLD */
	if (syscall(__NR_clone3, &ca, sizeof(ca)) == 0)
		child(3002);
	static struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_fprog fp = { 1, allow };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) < 0)
		return 1;
	if (syscall(__NR_clone3, &ca, sizeof(ca)) == 0)
		child(3003);
	for (int got = 0, n; got < 3; got += n)
		if ((n = (int)read(done[0], b, sizeof(b) - (size_t)got)) <= 0)
			return 1;
	return 0;
}

/* One round of "orphan": mark k from the child of a reparented process. */
static int orphan_round(long k)
{
	int p[2], q[2];
	char x;
	if (pipe(p) != 0 || pipe(q) != 0)
		return 1;
	pid_t o = fork();
	if (o == 0) {
		pid_t me = getpid(), b = fork();
		if (b == 0) {
			while (getppid() == me)
				usleep(1000);	/* until reparented */
			if (syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0) == 0) {
				close((int)-k);
				printf("%ld %d %d\n", k, getpid(), getppid());
				_exit(write(p[1], "x", 1) == 1 && write(q[1], "x", 1) == 1 ? 0 : 1);
			}
			close(q[1]);
			_exit(read(q[0], &x, 1) != 1);	/* lives until its child is done */
		}
		_exit(b < 0);
	}
	waitpid(o, NULL, 0);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	int ok = read(p[0], &x, 1) == 1;
	close(p[0]);
	return !ok;
}

static int orphan(void)
{
	for (long k = 3010; k < 3020; k++)
		if (orphan_round(k))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "orphan"))
		return orphan();
	pid_t c = fork();
	if (c == 0)
		_exit(creator());
	int st, n = 0, bad = 0;
	pid_t w;
	while ((w = wait(&st)) > 0) {
		n++;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	}
	return bad || n != 4;
}
