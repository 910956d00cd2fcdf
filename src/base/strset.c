/*
 * strset.c - a set of byte strings for the filter's `in`.
 *
 * `proc.name in (sshd, sudo, ...)` is the commonest clause of a Falco rule.
 * In Lua it needs the name as a Lua string: a strlen, a hash and an intern
 * lookup per event before the table lookup.  Here the name is tested where
 * the core keeps it, in one FFI call.  Open addressing, FNV-1a; the table
 * is at most half full, so a miss ends at the first empty slot.
 */
#include <stdlib.h>
#include <string.h>
#include "base/base.h"

struct slot {
	char *s;		/* NULL: empty */
	size_t n;
	uint32_t hash;
};

struct ln_strset {
	struct slot *slots;
	uint32_t mask;		/* number of slots - 1 (a power of two) */
	uint32_t count;
};

enum { FNV_OFFSET = 2166136261u, FNV_PRIME = 16777619u };

static uint32_t hash_n(const char *s, size_t n)
{
	uint32_t h = FNV_OFFSET;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
	return h;
}

LN_API ln_strset *ln_strset_new(void)
{
	ln_strset *set = calloc(1, sizeof(*set));
	if (!set)
		return NULL;
	set->slots = calloc(8, sizeof(*set->slots));
	if (!set->slots) {
		free(set);
		return NULL;
	}
	set->mask = 7;
	return set;
}

static struct slot *find(const ln_strset *set, const char *s, size_t n, uint32_t h)
{
	for (uint32_t i = h & set->mask;; i = (i + 1) & set->mask) {
		struct slot *sl = &set->slots[i];
		if (!sl->s || (sl->hash == h && sl->n == n && !memcmp(sl->s, s, n)))
			return sl;
	}
}

static int grow(ln_strset *set)
{
	uint32_t size = (set->mask + 1) * 2;
	struct slot *old = set->slots, *slots = calloc(size, sizeof(*slots));
	if (!slots)
		return -1;
	uint32_t oldsize = set->mask + 1;
	set->slots = slots;
	set->mask = size - 1;
	for (uint32_t i = 0; i < oldsize; i++)
		if (old[i].s)
			*find(set, old[i].s, old[i].n, old[i].hash) = old[i];
	free(old);
	return 0;
}

LN_API int ln_strset_add(ln_strset *set, const char *s, size_t n)
{
	if ((set->count + 1) * 2 > set->mask + 1 && grow(set) < 0)
		return -1;
	uint32_t h = hash_n(s, n);
	struct slot *sl = find(set, s, n, h);
	if (sl->s)
		return 0;
	/* +1: a NUL after the bytes, so a copy is also a C string */
	char *c = malloc(n + 1);
	if (!c)
		return -1;
	memcpy(c, s, n);
	c[n] = '\0';
	*sl = (struct slot){ c, n, h };
	set->count++;
	return 0;
}

LN_API int ln_strset_has(const ln_strset *set, const char *s, int64_t n)
{
	size_t len;
	uint32_t h;
	if (n < 0) {
		/* length and hash in one pass */
		h = FNV_OFFSET;
		for (len = 0; s[len]; len++)
			h = (h ^ (unsigned char)s[len]) * FNV_PRIME;
	} else {
		len = (size_t)n;
		h = hash_n(s, len);
	}
	return find(set, s, len, h)->s != NULL;
}

LN_API void ln_strset_free(ln_strset *set)
{
	if (!set)
		return;
	for (uint32_t i = 0; i <= set->mask; i++)
		free(set->slots[i].s);
	free(set->slots);
	free(set);
}
