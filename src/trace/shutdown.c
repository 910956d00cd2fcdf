/*
 * shutdown.c - ending a session's tracing: launched programs are killed
 * (or, with --keep, served to their end), attached ones detached.
 */
#include <signal.h>
#include <stdio.h>
#include "state/state.h"
#include "trace/trace.h"

/* --keep: a launched program got lanner's filter before its exec, so it
 * cannot be left to run untraced (its traced syscalls would fail with
 * ENOSYS): it is served until it exits instead of killed. */
static void say_kept(struct ln_session *s, pid_t pid, bool more)
{
	if (!s->kept_said++)
		fprintf(stderr, "lanner: --keep: the launched program (pid %d%s) carries lanner's seccomp filter "
			"since its start and cannot run on untraced (its traced syscalls would fail with ENOSYS): "
			"lanner keeps serving it until it exits\n", pid, more ? " and its children" : "");
}

void ln_trace_stop_all(struct ln_session *s)
{
	int kept = 0, first = 0;
	ln_verdict_missing(s);	/* never leave a thread held */
	s->stopping = true;
	for (struct ln_pstate *p = s->plist; p; p = p->lnext) {
		if (!p->launched)
			continue;
		if (!s->keep)
			kill(p->pub.pid, SIGKILL);
		else if (!p->dead && !(p->pub.flags & LN_PROC_EXITED) && !kept++)
			first = p->pub.pid;
	}
	if (kept)
		say_kept(s, first, kept > 1);
	ln_detach_all(s);
}

/* A launched process whose first stop came after ln_stop_all (its fork
 * was reported, the child not yet seen): the same fate as its kin. */
void ln_stop_late_child(struct ln_session *s, struct ln_tstate *t)
{
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	if (s->tree_killed) {
		kill(t->pub.tid, SIGKILL);	/* a prevention verdict: kill_tree */
		return;
	}
	if (!s->stopping || !p || !p->launched)
		return;
	if (!s->keep)
		kill(t->pub.tid, SIGKILL);
	else
		say_kept(s, p->pub.pid, false);
}
