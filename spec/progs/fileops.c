/*
 * fileops: file syscalls with known arguments, in a directory given as
 * argv[1] (or a mkdtemp one, removed at the end).  Raw syscalls where libc
 * would pick another one (open, creat, pipe, dup2 ...).  fds above 2 are
 * closed first so that the first new fd is 3.  Exits 0 when every call
 * returned what the spec expects, else the number of the step that did not.
 *
 * spec/core_file_spec.lua checks each event; keep the two in step.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static int step;

static long expect(long got, long want)
{
	step++;
	if (got != want) {
		fprintf(stderr, "fileops: step %d: got %ld (errno %d), want %ld\n", step, got, errno, want);
		exit(step);
	}
	return got;
}

/* -errno of a failed raw syscall, for comparing with a result */
static long r(long v)
{
	return v < 0 ? -errno : v;
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/lanner-fileops.XXXXXX";
	const char *dir = argc > 1 ? argv[1] : mkdtemp(tmp);
	if (!dir)
		return 100;
	syscall(SYS_close_range, 3, ~0u, 0);	/* not traced: deterministic fds */
	char buf[64];

	expect(r(syscall(SYS_chdir, dir)), 0);
	long fd = expect(r(syscall(SYS_openat, AT_FDCWD, "a.txt", O_WRONLY | O_CREAT | O_TRUNC, 0640)), 3);
	expect(r(syscall(SYS_write, fd, "hello\n", 6)), 6);
	expect(r(syscall(SYS_pwrite64, fd, "XY", 2, 100)), 2);
	struct iovec wv[2] = { { "ab", 2 }, { "cd", 2 } };
	expect(r(syscall(SYS_writev, fd, wv, 2)), 4);
	expect(r(syscall(SYS_close, fd)), 0);

	fd = expect(r(syscall(SYS_open, "a.txt", O_RDONLY)), 3);
	expect(r(syscall(SYS_read, fd, buf, 6)), 6);
	expect(r(syscall(SYS_pread64, fd, buf, 2, 100)), 2);
	char r1[2], r2[2];
	struct iovec rv[2] = { { r1, 2 }, { r2, 2 } };
	expect(r(syscall(SYS_readv, fd, rv, 2)), 4);
	expect(r(syscall(SYS_dup, fd)), 4);
	expect(r(syscall(SYS_dup2, fd, 100)), 100);
	expect(r(syscall(SYS_dup3, fd, 101, O_CLOEXEC)), 101);
	expect(r(syscall(SYS_fcntl, fd, F_DUPFD, 200)), 200);
	expect(r(syscall(SYS_close, 4)), 0);
	expect(r(syscall(SYS_close, 100)), 0);
	expect(r(syscall(SYS_close, 101)), 0);
	expect(r(syscall(SYS_close, 200)), 0);

	fd = expect(r(syscall(SYS_creat, "b.txt", 0600)), 4);
	expect(r(syscall(SYS_close, fd)), 0);
	expect(r(syscall(SYS_openat, AT_FDCWD, "missing/nofile", O_RDONLY)), -ENOENT);
	expect(r(syscall(SYS_write, 999, "x", 1)), -EBADF);
	expect(r(syscall(SYS_close, 999)), -EBADF);

	int p[2], q[2];
	expect(r(syscall(SYS_pipe, p)), 0);
	expect(r(syscall(SYS_pipe2, q, O_CLOEXEC | O_NONBLOCK)), 0);
	expect(r(syscall(SYS_close, p[0])), 0);
	expect(r(syscall(SYS_close, p[1])), 0);
	expect(r(syscall(SYS_close, q[0])), 0);
	expect(r(syscall(SYS_close, q[1])), 0);

	expect(r(syscall(SYS_mkdir, "d", 0750)), 0);
	expect(r(syscall(SYS_rmdir, "d")), 0);
	expect(r(syscall(SYS_mkdir, "d2", 0755)), 0);
	expect(r(syscall(SYS_rename, "b.txt", "c.txt")), 0);
	expect(r(syscall(SYS_unlink, "c.txt")), 0);
	expect(r(syscall(SYS_unlink, "c.txt")), -ENOENT);
	expect(r(syscall(SYS_symlink, "a.txt", "sl")), 0);
	expect(r(syscall(SYS_link, "a.txt", "hl")), 0);
	fd = expect(r(syscall(SYS_openat, AT_FDCWD, "sl", O_RDONLY)), 4);
	expect(r(syscall(SYS_fchmod, fd, 0644)), 0);
	expect(r(syscall(SYS_close, fd)), 0);
	expect(r(syscall(SYS_chmod, "a.txt", 0600)), 0);
	expect(r(syscall(SYS_truncate, "a.txt", 3)), 0);
	expect(r(syscall(SYS_chdir, "d2")), 0);
	expect(r(syscall(SYS_chdir, "/nonexistent-lanner-dir")), -ENOENT);
	fd = expect(r(syscall(SYS_openat, AT_FDCWD, "../hl", O_RDONLY)), 4);
	expect(r(syscall(SYS_close, fd)), 0);
	/* fd 3 is still a.txt, opened read-only */
	expect(r(syscall(SYS_close, 3)), 0);
	if (argc < 2) {
		static const char *const files[] = { "a.txt", "hl", "sl" };
		if (chdir(dir) != 0)
			return 101;
		for (int i = 0; i < 3; i++)
			unlink(files[i]);
		rmdir("d2");
		rmdir(dir);
	}
	return 0;
}
