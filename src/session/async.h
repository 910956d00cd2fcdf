/*
 * async.h - rules off the stop path (async.c): what session.c hands to
 * the tracing thread when a session has a queue.
 */
#ifndef LN_ASYNC_H
#define LN_ASYNC_H
#include "core.h"

int ln_async_new(struct ln_session *s, uint32_t bytes, bool drop);
int ln_async_spawn(struct ln_session *s, const char *const *argv);
int ln_async_attach(struct ln_session *s, int pid, int mode);
void ln_async_stop_all(struct ln_session *s);
int ln_async_next(struct ln_session *s, ln_event **ev, int timeout_ms);
int ln_async_verdict(struct ln_session *s, ln_event *ev, int action, int err);
/* Ends the tracing thread (its tracees killed or detached) and frees the
 * queue and the replica. */
void ln_async_free(struct ln_session *s);

#endif
