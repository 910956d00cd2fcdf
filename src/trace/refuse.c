/*
 * refuse.c - calls that would take later syscalls out of lanner's sight,
 * refused at their entry stop, and the trace mode of a stop decided by
 * lanner rather than by whoever wrote the stop's SECCOMP_RET_DATA.
 *
 * A filter the program installs itself runs before lanner's (the newest
 * filter runs first) and the kernel keeps the most restrictive verdict:
 *
 *  - USER_NOTIF outranks TRACE.  A filter that sends a syscall to its own
 *    listener, answered with SECCOMP_USER_NOTIF_FLAG_CONTINUE, runs that
 *    syscall with no ptrace stop at all.  A listener exists only through
 *    SECCOMP_FILTER_FLAG_NEW_LISTENER, a flag in a register: lanner
 *    refuses such an install with EPERM (LN_REFUSE_LISTENER, on unless the
 *    user allows it).  The program is not read from memory for this: a
 *    thread could change it after lanner looked.
 *  - io_uring runs I/O without syscalls: with LN_REFUSE_IO_URING its three
 *    calls fail with EPERM, as container runtimes' default profiles do.
 *  - KILL, TRAP and ERRNO outrank TRACE too, but the call then does not
 *    run: nothing happens that lanner does not see.
 *  - TRACE from the program's filter wins over lanner's own TRACE (same
 *    rank, newest first).  Without lanner's tag the call fails with ENOSYS
 *    as it would with no tracer (stops.c).  With lanner's tag forged, its
 *    mode bits could ask for less than lanner wants (an entry-only stop
 *    for an open loses the result and the fd's name): so the mode of a
 *    stop is what lanner's own filter decides for these registers
 *    (ln_trace_mode_for), never less.
 *
 * The refused call is an event (res EPERM) when its type is traced, so a
 * rule sees the attempt; the filter stops on it even when no rule asks
 * (ln_refusable, filter.c).
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <string.h>
#include "trace/trace.h"

LN_API void ln_set_refusals(ln_session *s, int what)
{
	s->refuse = what & (LN_REFUSE_LISTENER | LN_REFUSE_IO_URING);
}

/* Type ids of the calls refusable here, looked up once: the check runs at
 * every stop, a name comparison there would be work per stop. */
static int id_seccomp = -2, id_uring[3];

static void ids(void)
{
	if (id_seccomp != -2)
		return;
	id_uring[0] = ln_type_id("io_uring_setup");
	id_uring[1] = ln_type_id("io_uring_enter");
	id_uring[2] = ln_type_id("io_uring_register");
	id_seccomp = ln_type_id("seccomp");
}

static bool is_io_uring(int type)
{
	return type >= 0 && (type == id_uring[0] || type == id_uring[1] || type == id_uring[2]);
}

bool ln_refusable(struct ln_session *s, int type)
{
	if (!s->refuse)
		return false;
	ids();
	if (type == id_seccomp)
		return s->refuse & LN_REFUSE_LISTENER;
	return (s->refuse & LN_REFUSE_IO_URING) && is_io_uring(type);
}

int ln_refusal(struct ln_session *s, int type, const uint64_t *args)
{
	if (!ln_refusable(s, type))
		return 0;
	if (type != id_seccomp)
		return EPERM;	/* io_uring */
	/* seccomp(2) takes op and flags as unsigned int */
	if ((uint32_t)args[0] == SECCOMP_SET_MODE_FILTER &&
	    ((uint32_t)args[1] & SECCOMP_FILTER_FLAG_NEW_LISTENER))
		return EPERM;
	return 0;
}

int ln_stop_mode(struct ln_session *s, int type, const uint64_t *args, bool compat, int data_mode)
{
	int want = ln_trace_mode_for(s, type, args, compat);
	if (data_mode == LN_TRACE_GUARD) {
		/* only clone3 is guarded; elsewhere the mode is forged */
		if (!(ln_type(type)->flags & LN_TF_CLONE))
			return want;
		return want ? LN_TRACE_EXIT : LN_TRACE_GUARD;
	}
	return data_mode > want ? data_mode : want;
}
