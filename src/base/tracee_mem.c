/*
 * tracee_mem.c - reading a tracee's memory with process_vm_readv.
 *
 * A tracee's pointers are never trusted: a read that faults returns what
 * could be read and an error, never a crash.  Strings are read a page-bounded
 * chunk at a time, so a short string near the end of a mapping still reads
 * (process_vm_readv stops at the first unmapped page).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "base/base.h"

enum { PAGE = 4096, FIRST_CHUNK = 256 };

int ln_arena_reserve(struct ln_arena *a, size_t more)
{
	if (a->len + more <= a->cap)
		return 0;
	size_t cap = a->cap ? a->cap : 1024;
	while (cap < a->len + more)
		cap *= 2;
	char *p = realloc(a->buf, cap);
	if (!p)
		return -ENOMEM;
	a->buf = p;
	a->cap = cap;
	return 0;
}

size_t ln_arena_put(struct ln_arena *a, const void *p, size_t n)
{
	if (ln_arena_reserve(a, n + 1) < 0)
		return (size_t)-1;
	size_t off = a->len;
	memcpy(a->buf + off, p, n);
	a->buf[off + n] = '\0';
	a->len += n + 1;
	return off;
}

ssize_t ln_mem_read(pid_t tid, uint64_t addr, void *dst, size_t len)
{
	if (!addr)
		return -EFAULT;
	struct iovec local = { dst, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
	return n < 0 ? -errno : n;
}

ssize_t ln_mem_read_str(pid_t tid, uint64_t addr, struct ln_arena *a, size_t max, bool *truncated)
{
	size_t start = a->len, got = 0;
	*truncated = false;
	if (!addr)
		return -EFAULT;
	for (;;) {
		/* Up to the end of the current page, at most FIRST_CHUNK at
		 * first: most paths are short. */
		size_t want = PAGE - ((addr + got) & (PAGE - 1));
		if (got == 0 && want > FIRST_CHUNK)
			want = FIRST_CHUNK;
		if (want > max - got)
			want = max - got;
		a->len = start + got;
		if (ln_arena_reserve(a, want + 1) < 0) {
			a->len = start;
			return -ENOMEM;
		}
		ssize_t n = ln_mem_read(tid, addr + got, a->buf + start + got, want);
		if (n <= 0) {
			/* No NUL before an unreadable page: the kernel would
			 * fault on this string too, so it is a bad pointer,
			 * as strace shows it. */
			a->len = start;
			return n < 0 ? n : -EFAULT;
		}
		char *nul = memchr(a->buf + start + got, '\0', (size_t)n);
		if (nul) {
			got = (size_t)(nul - (a->buf + start));
			break;
		}
		got += (size_t)n;
		if (got >= max) {
			*truncated = true;
			break;
		}
	}
	a->buf[start + got] = '\0';
	a->len = start + got + 1;
	return (ssize_t)got;
}
