/*
 * fdname.c - fd names kept once for all the entries that have them.
 *
 * A fork gives the child a copy of its creator's fd table, and a copy of
 * every name was the child's own: a process with 1,000 fds named by 4 KB
 * paths cost lanner 4 MB per child it forked, where the kernel shares the
 * open files (bench/RESULTS.md, "Costs a traced program could blow up").
 * A name is a counted string: a copy of an entry counts it up, and an
 * entry that goes or is renamed counts it down.  The empty name is one
 * static string, never counted.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "state/state.h"

struct name {
	uint32_t refs;
	char s[];
};

static const char empty[1];

static struct name *blob(const char *name)
{
	return (struct name *)(void *)((char *)(uintptr_t)name - offsetof(struct name, s));
}

const char *ln_name_make(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (!n)
		return empty;
	struct name *b = malloc(sizeof(*b) + n + 1);
	if (!b)
		return NULL;
	b->refs = 1;
	memcpy(b->s, s, n + 1);
	return b->s;
}

const char *ln_name_dup(const char *name)
{
	if (!name || name == empty)
		return empty;
	blob(name)->refs++;
	return name;
}

void ln_name_drop(const char *name)
{
	if (!name || name == empty)
		return;
	struct name *b = blob(name);
	if (--b->refs == 0)
		free(b);
}
