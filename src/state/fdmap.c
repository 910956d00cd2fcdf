/*
 * fdmap.c - where a process's fd entries are kept: by number, in memory
 * that grows with the number of fds open, not with the highest number.
 *
 * Most fds are small numbers: those below FD_LOW are an array indexed by
 * fd, grown by doubling.  But a program may open or dup2 to any number up
 * to the kernel's nr_open (a million by default, more where raised): an
 * array up to it cost 8 MB per process and a walk of a million slots per
 * fork and exec, which a traced program could make lanner pay over and
 * over (bench/RESULTS.md, "An fd numbered a million").  The fds from
 * FD_LOW up go in a radix tree of 256-entry nodes, two levels under a top
 * array indexed by fd / 65536, and a node is freed when its last entry
 * goes: each such fd costs at most two nodes (4 KB), and a walk in fd
 * order skips the empty ones.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "state/state.h"

enum {
	FD_LOW = 1024,		/* fds below: the array */
	FD_FIRST_SLOTS = 64,	/* its first length */
	NODE_BITS = 8,
	NODE_SIZE = 1 << NODE_BITS,
	TOP_SHIFT = 2 * NODE_BITS,
};

/* A node of the tree: under the top array, its entries are leaves; in a
 * leaf, they are the fd entries. */
struct ln_fd_node {
	int n;			/* entries not NULL */
	void *e[NODE_SIZE];
};

static int mid_index(int fd) { return (fd >> NODE_BITS) & (NODE_SIZE - 1); }
static int leaf_index(int fd) { return fd & (NODE_SIZE - 1); }

ln_fd *ln_fd_at(const struct ln_pstate *p, int fd)
{
	if (fd < 0)
		return NULL;
	if (fd < p->nfd_slots)
		return p->fds[fd];
	if (fd < FD_LOW || (fd >> TOP_SHIFT) >= p->nfd_top)
		return NULL;
	const struct ln_fd_node *mid = p->fd_top[fd >> TOP_SHIFT];
	const struct ln_fd_node *leaf = mid ? mid->e[mid_index(fd)] : NULL;
	return leaf ? leaf->e[leaf_index(fd)] : NULL;
}

static bool grow_low(struct ln_pstate *p, int fd)
{
	int n = p->nfd_slots ? p->nfd_slots : FD_FIRST_SLOTS;
	while (n <= fd)
		n *= 2;
	ln_fd **v = realloc(p->fds, (size_t)n * sizeof(*v));
	if (!v)
		return false;
	memset(v + p->nfd_slots, 0, (size_t)(n - p->nfd_slots) * sizeof(*v));
	p->fds = v;
	p->nfd_slots = n;
	return true;
}

static bool grow_top(struct ln_pstate *p, int top)
{
	struct ln_fd_node **v = realloc(p->fd_top, (size_t)(top + 1) * sizeof(*v));
	if (!v)
		return false;
	memset(v + p->nfd_top, 0, (size_t)(top + 1 - p->nfd_top) * sizeof(*v));
	p->fd_top = v;
	p->nfd_top = top + 1;
	return true;
}

/* A node at *at, made if missing; NULL when memory ran out. */
static struct ln_fd_node *node(struct ln_fd_node **at, int *parent_n)
{
	if (!*at) {
		if (!(*at = calloc(1, sizeof(**at))))
			return NULL;
		if (parent_n)
			++*parent_n;
	}
	return *at;
}

bool ln_fd_put(struct ln_pstate *p, int fd, ln_fd *f)
{
	if (fd < 0)
		return false;
	if (fd < FD_LOW) {
		if (fd >= p->nfd_slots && !grow_low(p, fd))
			return false;
		p->fds[fd] = f;
		return true;
	}
	int top = fd >> TOP_SHIFT;
	if (top >= p->nfd_top && !grow_top(p, top))
		return false;
	struct ln_fd_node *mid = node(&p->fd_top[top], NULL);
	struct ln_fd_node *leaf = mid ? node((struct ln_fd_node **)&mid->e[mid_index(fd)], &mid->n) : NULL;
	if (!leaf) {
		if (mid && !mid->n) {
			free(mid);
			p->fd_top[top] = NULL;
		}
		return false;
	}
	if (!leaf->e[leaf_index(fd)])
		leaf->n++;
	leaf->e[leaf_index(fd)] = f;
	return true;
}

ln_fd *ln_fd_take(struct ln_pstate *p, int fd)
{
	ln_fd *f = ln_fd_at(p, fd);
	if (!f)
		return NULL;
	if (fd < p->nfd_slots) {
		p->fds[fd] = NULL;
		return f;
	}
	int top = fd >> TOP_SHIFT;
	struct ln_fd_node *mid = p->fd_top[top], *leaf = mid->e[mid_index(fd)];
	leaf->e[leaf_index(fd)] = NULL;
	if (--leaf->n == 0) {
		free(leaf);
		mid->e[mid_index(fd)] = NULL;
		if (--mid->n == 0) {
			free(mid);
			p->fd_top[top] = NULL;
			while (p->nfd_top > 0 && !p->fd_top[p->nfd_top - 1])
				p->nfd_top--;
		}
	}
	return f;
}

ln_fd *ln_fd_after(const struct ln_pstate *p, int fd)
{
	int64_t i = fd < 0 ? 0 : (int64_t)fd + 1;	/* past INT_MAX: none */
	for (; i < p->nfd_slots; i++)
		if (p->fds[i])
			return p->fds[i];
	if (i < FD_LOW)
		i = FD_LOW;
	while ((i >> TOP_SHIFT) < p->nfd_top) {
		const struct ln_fd_node *mid = p->fd_top[i >> TOP_SHIFT];
		const struct ln_fd_node *leaf = mid ? mid->e[mid_index((int)i)] : NULL;
		if (!mid)
			i = ((i >> TOP_SHIFT) + 1) << TOP_SHIFT;
		else if (!leaf)
			i = ((i >> NODE_BITS) + 1) << NODE_BITS;
		else if (leaf->e[leaf_index((int)i)])
			return leaf->e[leaf_index((int)i)];
		else
			i++;
	}
	return NULL;
}

void ln_fd_free_all(struct ln_pstate *p)
{
	for (ln_fd *f = ln_fd_after(p, -1), *next; f; f = next) {
		next = ln_fd_after(p, f->num);
		ln_name_drop(f->name);
		free(ln_fd_take(p, f->num));
	}
	free(p->fds);
	free(p->fd_top);
	p->fds = NULL;
	p->fd_top = NULL;
	p->nfd_slots = p->nfd_top = 0;
	p->pub.nfds = 0;
}

int ln_fd_copy_all(struct ln_pstate *dst, const struct ln_pstate *src)
{
	int n = 0;
	if (src->nfd_slots && !grow_low(dst, src->nfd_slots - 1))
		return 0;
	for (const ln_fd *f = ln_fd_after(src, -1); f; f = ln_fd_after(src, f->num)) {
		ln_fd *c = malloc(sizeof(*c));
		if (!c)
			break;
		*c = *f;
		c->name = ln_name_dup(f->name);	/* shared: fdname.c */
		if (!ln_fd_put(dst, f->num, c)) {
			ln_name_drop(c->name);
			free(c);
			continue;
		}
		n++;
	}
	return n;
}
