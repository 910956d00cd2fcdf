/*
 * longpath: paths near and past PATH_MAX (4096 with its NUL).
 *   1. 4000 bytes  -> -ENOENT, lanner decodes all 4000
 *   2. 4095 bytes  -> -ENOENT, the longest path the kernel takes
 *   3. 4096 bytes  -> -ENAMETOOLONG, lanner keeps 4096 and flags truncation
 *   4. 5000 bytes  -> -ENAMETOOLONG, same
 * Each path is "/nonexistent-lanner" then "/xxxxxxx" components, then
 * 'y' to the length.  spec/core_badptr_spec.lua rebuilds them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *make(size_t len)
{
	char *p = malloc(len + 1);
	size_t n = 0;
	const char *head = "/nonexistent-lanner";
	memcpy(p, head, strlen(head));
	n = strlen(head);
	while (n + 8 <= len) {
		memcpy(p + n, "/xxxxxxx", 8);
		n += 8;
	}
	while (n < len)
		p[n++] = 'y';
	p[len] = '\0';
	return p;
}

int main(void)
{
	static const struct { size_t len; int err; } cases[] = {
		{ 4000, ENOENT }, { 4095, ENOENT }, { 4096, ENAMETOOLONG }, { 5000, ENAMETOOLONG },
	};
	for (int i = 0; i < 4; i++) {
		char *p = make(cases[i].len);
		long rv = syscall(SYS_openat, AT_FDCWD, p, O_RDONLY);
		if (rv != -1 || errno != cases[i].err) {
			fprintf(stderr, "longpath: %zu: got %ld errno %d\n", cases[i].len, rv, errno);
			return i + 1;
		}
		free(p);
	}
	return 0;
}
