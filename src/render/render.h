/*
 * render.h - the clamped output buffer that render.c and addr.c
 * write into.  Internal to the C core.
 *
 * Output is cut at n-1 bytes and always NUL terminated (when n > 0),
 * nothing is allocated, and len is what was written: the value the
 * ln_*_format functions return.
 */
#ifndef LN_RENDER_H
#define LN_RENDER_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "table/consts.h"	/* lanner.h has no include guard of its own */

struct out {
	char *buf;
	size_t cap;		/* bytes at buf, NUL included */
	size_t len;		/* bytes written, < cap unless cap is 0 */
};

static inline void out_init(struct out *o, char *buf, size_t n)
{
	o->buf = buf;
	o->cap = n;
	o->len = 0;
	if (n > 0)
		buf[0] = 0;
}

static inline void out_mem(struct out *o, const void *s, size_t k)
{
	if (o->cap == 0)
		return;
	size_t room = o->cap - 1 - o->len;
	if (k > room)
		k = room;
	memcpy(o->buf + o->len, s, k);
	o->len += k;
	o->buf[o->len] = 0;
}

static inline void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static inline void out_char(struct out *o, char c)
{
	out_mem(o, &c, 1);
}

__attribute__((format(printf, 2, 3)))
static inline void out_fmt(struct out *o, const char *fmt, ...)
{
	if (o->cap == 0)
		return;
	size_t room = o->cap - o->len;
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(o->buf + o->len, room, fmt, ap);
	va_end(ap);
	if (r < 0)
		o->buf[o->len] = 0;
	else
		o->len += (size_t)r < room ? (size_t)r : room - 1;
}

static inline void out_hex(struct out *o, uint64_t v)
{
	out_fmt(o, "0x%llx", (unsigned long long)v);
}

/* Like sysdig's default buffer format: printable ASCII as is, every other
 * byte as '.' (not isprint(): the locale must not change the output). */
static inline void out_dots(struct out *o, const char *s, size_t len)
{
	for (size_t i = 0; i < len && o->len + 1 < o->cap; i++) {
		unsigned char c = (unsigned char)s[i];
		out_char(o, c >= 0x20 && c < 0x7f ? (char)c : '.');
	}
}

/* The bytes up to the first NUL: strings from the tracee are not always
 * terminated inside len (a path cut at the read limit). */
static inline void out_cstr(struct out *o, const char *s, size_t len)
{
	const char *nul = len ? memchr(s, 0, len) : NULL;
	out_mem(o, s, nul ? (size_t)(nul - s) : len);
}

/* addr.c */
/* Falco's fd.name of an IP socket, client->server; nothing for others. */
void ln_put_tuple(struct out *o, const ln_tuple *t, int is_server);
/* A raw struct sockaddr_* as sysdig prints it; -1 (nothing written) when
 * len cannot hold even the family. */
int ln_put_sockaddr(struct out *o, const char *sa, size_t len);

#endif
