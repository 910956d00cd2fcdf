/*
 * error.c - a session's last error message: C returns -errno and fills
 * it; the Lua side reads it with ln_errmsg().
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "base/base.h"

void ln_set_err(struct ln_session *s, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	if (err < 0 && n >= 0 && (size_t)n < sizeof(s->errmsg))
		snprintf(s->errmsg + n, sizeof(s->errmsg) - (size_t)n, "%s%s",
			 n ? ": " : "", strerror(-err));
}
