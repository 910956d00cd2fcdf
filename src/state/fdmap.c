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
 * FD_LOW up go in a radix tree of 256-entry nodes, three levels under a
 * top array indexed by fd / 2^24 (at most 128 entries: an fd near INT_MAX
 * must not cost a top array of 256 KB either), and a node is freed when
 * its last entry goes: each such fd costs at most three nodes (6 KB), and
 * a walk in fd order skips the empty ones.
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
	LEVELS = 3,		/* nodes under the top array, the leaf last */
	TOP_SHIFT = LEVELS * NODE_BITS,	/* the top array: fd >> 24, so at most
					 * 128 entries for any int */
};

/* A node of the tree: above the leaves its entries are nodes; in a leaf
 * they are the fd entries. */
struct ln_fd_node {
	int n;			/* entries not NULL */
	void *e[NODE_SIZE];
};

/* fd's entry in a node at level (0: under the top array). */
static int index_at(int64_t fd, int level)
{
	return (int)(fd >> (NODE_BITS * (LEVELS - 1 - level))) & (NODE_SIZE - 1);
}

/* The leaf that holds fd, or NULL. */
static struct ln_fd_node *leaf_of(const struct ln_pstate *p, int fd)
{
	if ((fd >> TOP_SHIFT) >= p->nfd_top)
		return NULL;
	struct ln_fd_node *n = p->fd_top[fd >> TOP_SHIFT];
	for (int l = 0; n && l < LEVELS - 1; l++)
		n = n->e[index_at(fd, l)];
	return n;
}

ln_fd *ln_fd_at(const struct ln_pstate *p, int fd)
{
	if (fd < 0)
		return NULL;
	if (fd < p->nfd_slots)
		return p->fds[fd];
	if (fd < FD_LOW)
		return NULL;
	const struct ln_fd_node *leaf = leaf_of(p, fd);
	return leaf ? leaf->e[index_at(fd, LEVELS - 1)] : NULL;
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

/* Free the nodes on fd's path that hold nothing, the deepest first, and
 * the top array's empty end. */
static void prune(struct ln_pstate *p, int fd)
{
	struct ln_fd_node **at[LEVELS];
	int depth = 0;
	at[0] = &p->fd_top[fd >> TOP_SHIFT];
	while (*at[depth] && depth < LEVELS - 1) {
		at[depth + 1] = (struct ln_fd_node **)&(*at[depth])->e[index_at(fd, depth)];
		depth++;
	}
	for (int l = depth; l >= 0; l--) {
		struct ln_fd_node *n = *at[l];
		if (n && n->n > 0)
			break;
		if (!n)
			continue;	/* never made: its parent did not count it */
		free(n);
		*at[l] = NULL;
		if (l > 0)
			(*at[l - 1])->n--;
	}
	while (p->nfd_top > 0 && !p->fd_top[p->nfd_top - 1])
		p->nfd_top--;
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
	struct ln_fd_node **at = &p->fd_top[top];
	int *parent_n = NULL;
	for (int l = 0; l < LEVELS; l++) {
		if (!*at) {
			if (!(*at = calloc(1, sizeof(**at)))) {
				prune(p, fd);
				return false;
			}
			if (parent_n)
				++*parent_n;
		}
		if (l < LEVELS - 1) {
			parent_n = &(*at)->n;
			at = (struct ln_fd_node **)&(*at)->e[index_at(fd, l)];
		}
	}
	struct ln_fd_node *leaf = *at;
	int i = index_at(fd, LEVELS - 1);
	if (!leaf->e[i])
		leaf->n++;
	leaf->e[i] = f;
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
	struct ln_fd_node *leaf = leaf_of(p, fd);
	leaf->e[index_at(fd, LEVELS - 1)] = NULL;
	leaf->n--;
	prune(p, fd);
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
		const struct ln_fd_node *n = p->fd_top[i >> TOP_SHIFT];
		int l = 0;
		for (; n && l < LEVELS - 1; l++) {
			const struct ln_fd_node *c = n->e[index_at(i, l)];
			if (!c)
				break;
			n = c;
		}
		if (!n) {	/* nothing under this top entry */
			i = ((i >> TOP_SHIFT) + 1) << TOP_SHIFT;
		} else if (l < LEVELS - 1) {	/* nothing under n's entry */
			int shift = NODE_BITS * (LEVELS - 1 - l);
			i = ((i >> shift) + 1) << shift;
		} else if (n->e[index_at(i, LEVELS - 1)]) {
			return n->e[index_at(i, LEVELS - 1)];
		} else {
			i++;
		}
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
