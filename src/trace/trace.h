/*
 * trace.h - the trace engine: the seccomp filter, the wait loop and its
 * stops, attaching and detaching, filter injection, clone3, signals to
 * lanner, launching.  Uses base/, table/, state/, decode/.
 */
#ifndef LN_TRACE_H
#define LN_TRACE_H
#include <signal.h>
#include "base/base.h"
#include "table/table.h"
#include "state/state.h"
#include "decode/decode.h"

/* stops.c */
/* The live source of ln_next: the next event of the traced programs. */
int ln_trace_next(struct ln_session *s, ln_event **ev, int timeout_ms);
/* What lanner.h's ln_spawn, ln_attach, ln_stop_all and ln_verdict do, on
 * the thread that traces (session/ hands them there when it is another). */
int ln_trace_spawn(struct ln_session *s, const char *const *argv);
int ln_trace_attach(struct ln_session *s, int pid, int mode);
void ln_trace_stop_all(struct ln_session *s);
int ln_trace_verdict(struct ln_session *s, ln_event *ev, int action, int err);
void ln_resume(struct ln_tstate *t, int sig);
/* ev->fd and ev->fdnum: the fd the event is about. */
void ln_event_attach_fd(struct ln_session *s, struct ln_tstate *t, ln_event *ev);

/* spin.c: poll waitpid (and the listener, *notif) for a bounded,
 * adaptive time before sleeping.  Returns what waitpid returned, or 0 if
 * nothing came in time or a notification waits. */
void ln_spin_init(struct ln_spin *sp, uint32_t budget_ns);
void ln_spin_free(struct ln_spin *sp);
pid_t ln_spin_wait(struct ln_session *s, struct ln_spin *sp, int *status, bool *notif);

/* spin_policy.c: spin.c's choices, apart from its syscalls (spec/c/
 * spin_check.c drives them with made-up timings). */
void ln_spin_policy_init(struct ln_spin *sp, uint32_t budget_ns);
bool ln_spin_choose(struct ln_spin *sp, uint64_t now);	/* true: poll */
void ln_spin_caught(struct ln_spin *sp, uint64_t now);	/* the poll saw a stop */
void ln_spin_missed(struct ln_spin *sp);	/* it ran out */

/* children.c: the tasks a tracee makes */
/* At a clone's entry: the errno refusing it (CLONE_UNTRACED), or 0;
 * native: the call came through the native ABI (clone3 made clone). */
int ln_child_refused(struct ln_session *s, struct ln_tstate *t, bool native, int type, const uint64_t *args);
/* A clone's event ends (its exit stop, or its ptrace event, where this only
 * clears child_seen): seize a child no ptrace event reported. */
void ln_child_adopt(struct ln_session *s, struct ln_tstate *t, int64_t res);
/* A fork/vfork/clone ptrace event: remember the child's creator; the
 * child's pid (lanner's namespace), or 0.  The caller resumes the thread. */
pid_t ln_child_created(struct ln_session *s, struct ln_tstate *t);
/* A new task's creator (0 if unknown), and its record in *out (kind,
 * launched, same_pidns; all unknown without one); the record is used up. */
pid_t ln_child_creator(struct ln_session *s, pid_t child, struct ln_creator *out);
/* An unshare or setns entry (any thread, any mode): its children's pid
 * namespace is no longer known without a read. */
void ln_child_note_pidns(struct ln_tstate *t, int type, const uint64_t *args);
/* A new process's share of its creator's --attach-mode=seccomp state. */
void ln_child_inherit_inject(struct ln_session *s, struct ln_tstate *t, pid_t creator);

/* notify.c: the user-notification engine */
/* Whether the launch's filter sends this type to the listener. */
bool ln_notif_eligible(struct ln_session *s, int type);
/* Whether the engine would serve this session's launch, and why not
 * (--debug-filter); the same, ready to serve (before the launch's filter
 * is built). */
void ln_notif_decide(struct ln_session *s);
void ln_notif_prepare(struct ln_session *s);
/* A stop of the launched child before its listener is lanner's. */
void ln_notif_handoff_stop(struct ln_session *s, struct ln_tstate *t);
/* The wait loop: a look at the listener every few stops (true: one
 * waits), a look now, a sleep on both kinds of event (1: a
 * notification waits; 0: look with waitpid), and one notification
 * served: true if it made an event (in *out). */
bool ln_notif_due(struct ln_session *s);
bool ln_notif_ready(struct ln_session *s);
int ln_notif_sleep(struct ln_session *s, bool nonblock);
bool ln_notif_serve(struct ln_session *s, ln_event **out);
void ln_notif_free(struct ln_session *s);
/* At a signal-delivery stop: a call the signal took off the listener
 * restarts, not EINTR. */
void ln_notif_signal_stop(struct ln_session *s, struct ln_tstate *t);
/* stops.c: an entry-only event of t, whose call waits in the kernel. */
void ln_entry_event(struct ln_session *s, struct ln_tstate *t, int type, const uint64_t *args);

/* filter.c */
/* notify: the launch's filter, which sends what it can to the listener
 * (notify.c) once ln_notif_decide turned it on. */
int ln_filter_build(struct ln_session *s, void **prog, size_t *len, bool notify);
/* The mode the filter would give this call (for tracees in syscall
 * mode, which have no filter). */
int ln_trace_mode_for(struct ln_session *s, int type, const uint64_t *args, bool compat);
/* Whether a type's argument registers line up on the 32-bit ABI. */
bool ln_preds_hold_in(const char *name, bool compat);

/* verdict.c: prevention.  At a call's entry, after its arguments are
 * read (mode: its trace mode): 0 carry on; 1 the event is ready to hand
 * out (held, or refused by a filter verdict and resumed); -1 resumed (or
 * gone) with nothing to hand out. */
int ln_hold_entry(struct ln_session *s, struct ln_tstate *t, int mode, int *dead);
/* How long the tracer waits for a verdict given in another thread before
 * it denies the call. */
enum { LN_VERDICT_WAIT_MS = 2000 };
/* At an exit stop, its event finished: 1 if held (not resumed). */
int ln_hold_exit(struct ln_session *s, struct ln_tstate *t);
/* At any exit stop, first: pinned registers put back; true if that was
 * all the stop was for (resumed). */
bool ln_unpin_exit(struct ln_session *s, struct ln_tstate *t, bool at_exit, int64_t rval);
/* ln_next with an event still held: denied, and said. */
void ln_verdict_missing(struct ln_session *s);
/* In the wait loop: a verdict another thread gave, applied; one that does
 * not come within LN_VERDICT_WAIT_MS, a denial. */
void ln_verdict_pending(struct ln_session *s);
bool ln_deny_rules_for(struct ln_session *s, int type);

/* pathguard.c: at a held entry, the call's paths copied into the guard
 * area and its registers pointed there: 0 done (or no paths), 1 the call
 * was restarted to map the area first (resume it), 2 the thread died or
 * exec'd meanwhile (wait status in *dead), -errno if it cannot be done. */
int ln_pin_paths(struct ln_session *s, struct ln_tstate *t, int *dead);
/* The slot freed, the registers put back if regs. */
void ln_pin_release(struct ln_session *s, struct ln_tstate *t, bool regs);
/* lanner's side of the guard area, at the session's end. */
void ln_guard_free(struct ln_session *s);

/* refuse.c: calls refused at entry, and the mode of a stop */
/* Whether a refusal is on for this type (the filter must stop on it). */
bool ln_refusable(struct ln_session *s, int type);
/* The errno to refuse this call with, 0 if none: from registers only. */
int ln_refusal(struct ln_session *s, int type, const uint64_t *args);
/* The mode of a stop of lanner's filter: data_mode is what RET_DATA says,
 * which a filter of the program could forge; never less than lanner's own
 * decision for these registers. */
int ln_stop_mode(struct ln_session *s, int type, const uint64_t *args, bool compat, int data_mode);

/* clone3.c: clone3 made race-free by rewriting it as clone */
/* A seccomp filter install by the program, seen at its entry stop. */
void ln_clone3_note_install(struct ln_tstate *t, int type, const uint64_t *args);
/* At clone3's entry: -EPERM to refuse (CLONE_UNTRACED), 1 if it now runs
 * as clone, 0 if left as it is. */
int ln_clone3_rewrite(struct ln_session *s, struct ln_tstate *t, const uint64_t *args);
/* At its exit stop: the caller's registers as clone3 left them. */
void ln_clone3_exit(struct ln_session *s, struct ln_tstate *t, int64_t res);
/* At a new tracee's first stop: the same for a child of a rewritten one. */
void ln_clone3_child(struct ln_session *s, struct ln_tstate *t, pid_t creator);
/* A child of a rewritten clone3 died before its first stop: free its slot. */
void ln_clone3_gone(struct ln_session *s, pid_t child);

/* inject.c: lanner's filter into an attached process.  At a syscall stop
 * of t, whose process wants the filter: 1 if the stop was used (t left
 * stopped, ready to resume), 0 if not an entry stop where it can be done,
 * -1 if t died meanwhile (its wait status in *dead). */
int ln_inject_filter(struct ln_session *s, struct ln_tstate *t, int *dead);
/* One injection in progress (also trace/pathguard.c's). */
struct ln_inj {
	pid_t tid;
	struct ln_regs saved;
	bool first;			/* still at the original entry stop */
	bool installed;			/* seccomp() returned 0 */
	bool handback;			/* a stop for stops.c: died, or exec'd */
	int status;			/* that stop's wait status */
	int nsig;			/* stop signals held back meanwhile */
	int sigs[8];
};
/* One injected syscall (which: enum ln_inj_call); its result, or -errno
 * of the injection itself (then *broken is set: the thread is not where
 * we left it, and j->handback says if stops.c must see j->status). */
int64_t ln_inj_call(struct ln_inj *j, int which, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		    uint64_t a4, uint64_t a5, bool *broken);
/* Send again the signals held back during the injection. */
void ln_inj_resend(const struct ln_inj *j, pid_t pid);
/* Write len bytes at addr in the tracee; bytes written or -1. */
ssize_t ln_poke(pid_t tid, uint64_t addr, const void *src, size_t len);

/* signals.c: signals to lanner, forwarded or acted on between stops. */
void ln_install_signals(struct ln_session *s);
void ln_restore_signals(struct ln_session *s);
void ln_deliver_pending(struct ln_session *s);
void ln_forward_due(struct ln_session *s, bool all);
void ln_forward_cancel(struct ln_session *s, int sig, pid_t sender);
extern volatile sig_atomic_t ln_alarm_fired;

/* attach.c: detach t if the session is leaving; true if it did. */
bool ln_detach_if_leaving(struct ln_session *s, struct ln_tstate *t, int status);
void ln_detach_all(struct ln_session *s);

/* shutdown.c: a launched child first seen after ln_stop_all: killed, or
 * with --keep served (and said so). */
void ln_stop_late_child(struct ln_session *s, struct ln_tstate *t);

#endif
