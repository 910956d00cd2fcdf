#define _GNU_SOURCE
/* The attacks rules/prevent/ refuses (spec/prevent_spec.lua).
 *
 *   prevent_attacks io_uring | listener | module | ptrace PID | mount DIR
 *
 * (with no argument, io_uring: what spec/asan.sh runs)
 *
 * Each makes its calls, prints one line per call, "NAME ok" or "NAME
 * ERRNO", then "carried on" (a refused call is an error the program
 * survives), and exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOSYS: return "ENOSYS";
	case EINVAL: return "EINVAL";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case ESRCH: return "ESRCH";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case ENOENT: return "ENOENT";
	}
	return "E?";
}

static void say(const char *name, long r)
{
	if (r < 0)
		printf("%s %s\n", name, ename(errno));
	else
		printf("%s ok\n", name);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *what = argc < 2 ? "io_uring" : argv[1];
	if (!strcmp(what, "io_uring")) {
		char params[120] = { 0 };	/* struct io_uring_params */
		long fd = syscall(SYS_io_uring_setup, 4, params);
		say("io_uring_setup", fd);
		if (fd >= 0)
			close((int)fd);
	} else if (!strcmp(what, "listener")) {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = { 1, &allow };
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		say("seccomp_listener", fd);
		/* a filter without a listener is not this rule's business */
		say("seccomp_plain", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
	} else if (!strcmp(what, "module")) {
		static char image[64];	/* not an ELF module: the kernel says ENOEXEC */
		say("init_module", syscall(SYS_init_module, image, sizeof(image), ""));
		int fd = open("/dev/null", O_RDONLY);
		say("finit_module", syscall(SYS_finit_module, fd, "", 0));
	} else if (!strcmp(what, "ptrace") && argc > 2) {
		pid_t pid = atoi(argv[2]);
		long r = ptrace(PTRACE_ATTACH, pid, 0, 0);
		say("ptrace_attach", r);
		if (r == 0) {
			waitpid(pid, NULL, __WALL);
			ptrace(PTRACE_DETACH, pid, 0, 0);
		}
	} else if (!strcmp(what, "mount") && argc > 2) {
		/* a namespace of its own first, so that nothing outside changes */
		say("unshare", unshare(CLONE_NEWNS));
		say("mount_private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
		say("mount_tmpfs", mount("none", argv[2], "tmpfs", 0, NULL));
		say("umount", umount2(argv[2], 0));
	} else {
		return 2;
	}
	printf("carried on\n");
	return 0;
}
