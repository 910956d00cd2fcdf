/*
 * fdmap_check: src/state/fdmap.c against a plain list, under ASan and
 * UBSan (spec/fdmap_unit_spec.lua runs it).  Random puts, takes, copies
 * and walks over fds drawn near the places the tree's shape changes (the
 * array's end at 1024, node edges at multiples of 256, 65536 and 2^24,
 * INT_MAX), each step checked: every fd's entry, the walk in fd order,
 * and at the end nothing left allocated.  Prints "ok N" (steps) or the
 * first difference, and exits 1 on one.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state/state.h"

enum { NFD = 400, STEPS = 20000 };

static int fds[NFD];			/* the fds this run uses, sorted */
static ln_fd *want[2][NFD];		/* two processes' entries, by index */

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int pick_fd(void)
{
	static const int64_t edges[] = { 0, 1023, 1024, 65535, 65536, 1 << 24, (1 << 24) - 1,
		1 << 30, INT_MAX - 300, INT_MAX };
	int64_t base = edges[rand() % (sizeof(edges) / sizeof(edges[0]))];
	int64_t fd = base + (rand() % 600) - 300;
	if (fd < 0 || fd > INT_MAX)
		fd = base;
	return (int)fd;
}

static int fail(const char *what, int step, int fd)
{
	printf("step %d fd %d: %s\n", step, fd, what);
	return 1;
}

static int check(struct ln_pstate *p, ln_fd **w, int step)
{
	for (int i = 0; i < NFD; i++)
		if (ln_fd_at(p, fds[i]) != w[i])
			return fail("ln_fd_at differs", step, fds[i]);
	/* the walk meets exactly the entries, in fd order */
	int i = 0;
	for (const ln_fd *f = ln_fd_after(p, -1); f; f = ln_fd_after(p, f->num)) {
		while (i < NFD && !w[i])
			i++;
		if (i == NFD || w[i] != f)
			return fail("walk differs", step, f->num);
		i++;
	}
	while (i < NFD && !w[i])
		i++;
	return i == NFD ? 0 : fail("walk ended early", step, fds[i]);
}

/* fds[i]'s entry taken out and freed: it must be the one expected */
static int take(struct ln_pstate *p, ln_fd **w, int i, int step)
{
	ln_fd *old = ln_fd_take(p, fds[i]);
	if (old != w[i])
		return fail("take returned another entry", step, fds[i]);
	if (old) {
		ln_name_drop(old->name);
		free(old);
	}
	w[i] = NULL;
	return 0;
}

int main(int argc, char **argv)
{
	srand(argc > 1 ? (unsigned)atoi(argv[1]) : 1);
	for (int i = 0; i < NFD; i++)
		fds[i] = pick_fd();
	qsort(fds, NFD, sizeof(int), cmp_int);
	int n = 0;	/* without repeats */
	for (int i = 0; i < NFD; i++)
		if (!n || fds[n - 1] != fds[i])
			fds[n++] = fds[i];
	for (int i = n; i < NFD; i++)
		fds[i] = -1 - i;	/* never an fd: ln_fd_at says NULL */
	struct ln_pstate *p[2] = { calloc(1, sizeof(struct ln_pstate)), calloc(1, sizeof(struct ln_pstate)) };
	for (int step = 0; step < STEPS; step++) {
		int k = rand() % 2, i = rand() % n, op = rand() % 10;
		if (op < 5) {	/* put (replacing what was there) */
			ln_fd *f = calloc(1, sizeof(*f));
			f->num = fds[i];
			f->name = ln_name_make("x");
			if (take(p[k], want[k], i, step))
				return 1;
			if (!ln_fd_put(p[k], fds[i], f))
				return fail("put failed", step, fds[i]);
			want[k][i] = f;
		} else if (op < 9) {	/* take */
			if (take(p[k], want[k], i, step))
				return 1;
		} else {	/* the other process becomes a copy (a fork) */
			ln_fd_free_all(p[!k]);
			memset(want[!k], 0, sizeof(want[!k]));
			int copied = ln_fd_copy_all(p[!k], p[k]), count = 0;
			for (int j = 0; j < n; j++) {
				if (!want[k][j])
					continue;
				count++;
				want[!k][j] = ln_fd_at(p[!k], fds[j]);
				if (!want[!k][j] || want[!k][j] == want[k][j] || want[!k][j]->name != want[k][j]->name)
					return fail("copy differs", step, fds[j]);
			}
			if (copied != count)
				return fail("copy count differs", step, -1);
		}
		if (check(p[0], want[0], step) || check(p[1], want[1], step))
			return 1;
	}
	for (int k = 0; k < 2; k++) {
		ln_fd_free_all(p[k]);
		if (p[k]->nfd_top || p[k]->fd_top || p[k]->fds)
			return fail("free_all left memory", STEPS, -1);
		free(p[k]);
	}
	printf("ok %d\n", STEPS);
	return 0;
}
