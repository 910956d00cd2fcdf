/*
 * badptr: syscalls handed pointers lanner cannot or can only just read.
 *   1. openat with a path at 0x1 (unmapped): -EFAULT
 *   2. openat with a NULL path: -EFAULT
 *   3. write to a pipe from a buffer at 0x1: -EFAULT
 *   4. openat of a 300-byte path whose NUL is the last byte of a mapped
 *      page followed by an unmapped one: -ENOENT, decodes whole
 *   5. openat of a 10-byte path ending the same way
 *   6. openat of bytes that run into the unmapped page with no NUL: -EFAULT
 * spec/core_badptr_spec.lua holds the strings; keep them in step.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fail(int n, long got)
{
	fprintf(stderr, "badptr: step %d: got %ld\n", n, got);
	return n;
}

/* Put s (with its NUL) so that the NUL is the last byte of page 0. */
static char *at_end(char *page, long psz, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = page + psz - n;
	memcpy(p, s, n);
	return p;
}

int main(void)
{
	long psz = sysconf(_SC_PAGESIZE), rv;
	int pfd[2];
	if (pipe(pfd) < 0)
		return 20;
	if ((rv = syscall(SYS_openat, AT_FDCWD, (char *)1, O_RDONLY)) != -1 || errno != EFAULT)
		return fail(1, rv);
	if ((rv = syscall(SYS_openat, AT_FDCWD, NULL, O_RDONLY)) != -1 || errno != EFAULT)
		return fail(2, rv);
	if ((rv = syscall(SYS_write, pfd[1], (void *)1, 10)) != -1 || errno != EFAULT)
		return fail(3, rv);

	char *m = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || munmap(m + psz, psz) < 0)
		return fail(10, 0);
	char longp[301];
	memset(longp, 'p', 300);
	memcpy(longp, "/nonexistent-lanner/", 20);
	longp[300] = '\0';
	if ((rv = syscall(SYS_openat, AT_FDCWD, at_end(m, psz, longp), O_RDONLY)) != -1 || errno != ENOENT)
		return fail(4, rv);
	if ((rv = syscall(SYS_openat, AT_FDCWD, at_end(m, psz, "/nx/short"), O_RDONLY)) != -1 || errno != ENOENT)
		return fail(5, rv);
	memset(m + psz - 64, 'z', 64);	/* no NUL before the hole */
	if ((rv = syscall(SYS_openat, AT_FDCWD, m + psz - 64, O_RDONLY)) != -1 || errno != EFAULT)
		return fail(6, rv);
	close(pfd[0]);
	close(pfd[1]);
	return 0;
}
