/*
 * effects.c - which state update runs at the exit of which event type:
 * the effect column of table/syscalls.def.  The table itself names no
 * decoder, so the table layer does not depend on this one.
 */
#include <pthread.h>
#include <stdlib.h>
#include "decode/decode.h"

#define none NULL
static const struct {
	const char *name;
	ln_effect_fn fn;
} rows[] = {
#define SC(n, cat, fl, eff, p) { #n, (eff) },
#define PSEUDO(n, cat, p)
#define COMPAT(n, native, pages)
#include "table/syscalls.def"
#undef SC
#undef PSEUDO
#undef COMPAT
};

static ln_effect_fn *by_type;
static int ntypes;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
	ntypes = ln_ntypes();
	by_type = calloc((size_t)ntypes, sizeof(*by_type));
	if (!by_type)
		abort();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int id = rows[i].fn ? ln_type_id(rows[i].name) : -1;
		if (id >= 0 && id < ntypes)
			by_type[id] = rows[i].fn;
	}
}

ln_effect_fn ln_type_effect(int id)
{
	pthread_once(&once, build);
	return id >= 0 && id < ntypes ? by_type[id] : NULL;
}
