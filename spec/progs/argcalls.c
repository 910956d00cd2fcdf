/*
 * argcalls: makes the syscalls named on the command line, each with
 * arguments that the seccomp filter's predicates tell apart, as raw
 * syscalls (libc may pick another one).  "name:N" repeats a call N times.
 * Every call is harmless: kills go to a pid that does not exist, files are
 * /dev/null or a file in $TMPDIR, mappings are anonymous.
 *
 * spec/seccomp_args_spec.lua runs it under lanner: keep the two in step.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A pid above pid_max (at most 2^22): kill() fails with ESRCH. */
#define NOPID 0x7ffffff0

static char tmpfile_path[4096];

static void closefd(long fd)
{
	if (fd >= 0)
		syscall(SYS_close, fd);
}

static void unmap(long p)
{
	if (p != -1)
		munmap((void *)p, 4096);
}

static int call(const char *name)
{
	long p;
	if (!strcmp(name, "openat_rdonly"))
		closefd(syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY));
	else if (!strcmp(name, "openat_wronly"))
		closefd(syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY));
	else if (!strcmp(name, "openat_rdwr"))
		closefd(syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR));
	else if (!strcmp(name, "openat_creat"))
		closefd(syscall(SYS_openat, AT_FDCWD, tmpfile_path, O_WRONLY | O_CREAT | O_TRUNC, 0600));
	else if (!strcmp(name, "open_rdonly"))
		closefd(syscall(SYS_open, "/dev/null", O_RDONLY));
	else if (!strcmp(name, "open_wronly"))
		closefd(syscall(SYS_open, "/dev/null", O_WRONLY));
	else if (!strcmp(name, "socket_inet"))
		closefd(syscall(SYS_socket, AF_INET, SOCK_STREAM, 0));
	else if (!strcmp(name, "socket_unix"))
		closefd(syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0));
	else if (!strcmp(name, "socket_packet"))
		closefd(syscall(SYS_socket, AF_PACKET, SOCK_RAW, 0));	/* EPERM unprivileged */
	else if (!strcmp(name, "kill_kill"))
		syscall(SYS_kill, NOPID, SIGKILL);
	else if (!strcmp(name, "kill_usr1"))
		syscall(SYS_kill, NOPID, SIGUSR1);
	else if (!strcmp(name, "tgkill_kill"))
		syscall(SYS_tgkill, NOPID, NOPID, SIGKILL);
	else if (!strcmp(name, "tgkill_usr1"))
		syscall(SYS_tgkill, NOPID, NOPID, SIGUSR1);
	else if (!strcmp(name, "mmap_exec")) {
		p = syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unmap(p);
	} else if (!strcmp(name, "mmap_rw")) {
		p = syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unmap(p);
	} else if (!strcmp(name, "mprotect_exec") || !strcmp(name, "mprotect_ro")) {
		p = (long)mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		syscall(SYS_mprotect, p, 4096, strcmp(name, "mprotect_ro") ? PROT_READ | PROT_EXEC : PROT_READ);
		unmap(p);
	} else if (!strcmp(name, "fcntl_getfl"))
		syscall(SYS_fcntl, 0, F_GETFL);
	else if (!strcmp(name, "fcntl_dupfd"))
		closefd(syscall(SYS_fcntl, 0, F_DUPFD_CLOEXEC, 10));
	else if (!strcmp(name, "getppid"))
		syscall(SYS_getppid);
	else {
		fprintf(stderr, "argcalls: unknown call %s\n", name);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(tmpfile_path, sizeof(tmpfile_path), "%s/argcalls.%d", tmp ? tmp : "/tmp", (int)getpid());
	for (int i = 1; i < argc; i++) {
		char name[64];
		long n = 1;
		const char *colon = strchr(argv[i], ':');
		size_t len = colon ? (size_t)(colon - argv[i]) : strlen(argv[i]);
		if (len >= sizeof(name))
			return 2;
		memcpy(name, argv[i], len);
		name[len] = 0;
		if (colon)
			n = atol(colon + 1);
		for (long k = 0; k < n; k++)
			if (call(name) < 0)
				return 2;
	}
	unlink(tmpfile_path);
	return 0;
}
