/*
 * write_state.c - what a capture writer sends of the state tables
 * (doc/capture-format.md): the PROC, THREAD and FD blocks, the queue's
 * FORK, CWD, COMM and RESET, a snapshot of it all, and the journal of
 * changes (the session's on_state_change hook while a capture is
 * written), resolved against the tables and encoded before the next
 * recorded event.  For write.c.
 */
#include <stdlib.h>
#include <string.h>
#include "capture/capture.h"
#include "capture/write.h"

static void proc_block(struct ln_capw *w, const ln_proc *p)
{
	struct ln_buf *b = &w->blk;
	ln_buf_u32(b, (uint32_t)p->pid);
	ln_buf_u32(b, (uint32_t)p->ppid);
	ln_buf_u32(b, (uint32_t)p->vpid);
	ln_buf_u32(b, (uint32_t)p->sid);
	ln_buf_u32(b, (uint32_t)p->pgid);
	ln_buf_u32(b, p->tty);
	ln_buf_u32(b, p->loginuid);
	ln_buf_u32(b, p->flags);
	ln_buf_u64(b, p->start_ts);
	ln_buf_u64(b, p->exec_ts);
	ln_buf_str(b, p->comm, strnlen(p->comm, sizeof(p->comm)));
	ln_capw_cstr(b, p->exe);
	ln_capw_cstr(b, p->exepath);
	ln_buf_str(b, p->args ? p->args : "", p->args ? p->args_len : 0);
	ln_buf_str(b, p->env ? p->env : "", p->env ? p->env_len : 0);
	ln_capw_cstr(b, p->cwd);
	ln_capw_cstr(b, p->root);
	ln_capw_cstr(b, p->container_id);
	/* since lanner 0.1.0's queue: what readers before it did not keep */
	ln_buf_str(b, p->live_comm, strnlen(p->live_comm, sizeof(p->live_comm)));
	ln_buf_str(b, p->exe_writer, strnlen(p->exe_writer, sizeof(p->exe_writer)));
	ln_buf_u64(b, p->exe_ino);
	ln_buf_u64(b, p->exe_dev);
	ln_buf_u64(b, p->exe_mtime);
	ln_buf_u64(b, p->exe_ctime);
	ln_capw_emit(w, LN_BLK_PROC);
}

/* A thread's memory figures: in THREAD and the queue's VM blocks. */
static void vm_figures(struct ln_buf *b, const ln_thread *t)
{
	ln_buf_u64(b, t->vm_size_kb);
	ln_buf_u64(b, t->vm_rss_kb);
	ln_buf_u64(b, t->vm_swap_kb);
}

static void thread_block(struct ln_capw *w, const ln_thread *t)
{
	struct ln_buf *b = &w->blk;
	ln_buf_u32(b, (uint32_t)t->tid);
	ln_buf_u32(b, (uint32_t)(t->proc ? t->proc->pid : t->tid));
	ln_buf_u32(b, (uint32_t)t->vtid);
	ln_buf_u32(b, t->uid);
	ln_buf_u32(b, t->gid);
	ln_buf_u32(b, t->ruid);
	ln_buf_u32(b, t->rgid);
	ln_buf_u64(b, t->cap_effective);
	ln_buf_u64(b, t->cap_permitted);
	ln_buf_u64(b, t->cap_inheritable);
	ln_buf_u64(b, t->start_ts);
	/* since ABI 12: its process's memory figures as it last saw them, and
	 * as they were at its last clone (which a .scap's clone exit carries,
	 * written on the far side of a queue too) */
	const struct ln_tstate *ts = (const struct ln_tstate *)t;	/* pub is first */
	vm_figures(b, t);
	ln_buf_u32(b, ts->clone_vm_set ? 1 : 0);
	for (int i = 0; i < 3; i++)
		ln_buf_u64(b, ts->clone_vm[i]);
	ln_capw_emit(w, LN_BLK_THREAD);
}

/* An fd's fields, in FD blocks and inline in EVENT blocks. */
void ln_capw_fd_fields(struct ln_buf *b, const ln_fd *f)
{
	ln_buf_u32(b, (uint32_t)f->num);
	ln_buf_u8(b, f->type);
	ln_buf_u8(b, f->is_server);
	ln_buf_u8(b, f->connected);
	ln_buf_u32(b, f->flags);
	ln_buf_u64(b, f->ino);
	ln_buf_u64(b, f->dev);
	ln_buf_u16(b, f->tuple.family);
	ln_buf_u16(b, f->tuple.lport);
	ln_buf_u16(b, f->tuple.rport);
	ln_buf_u8(b, f->tuple.l4proto);
	ln_buf_bytes(b, f->tuple.lip, 16);
	ln_buf_bytes(b, f->tuple.rip, 16);
	ln_capw_cstr(b, f->name);
}

static void fd_block(struct ln_capw *w, pid_t pid, const ln_fd *f)
{
	ln_buf_u32(&w->blk, (uint32_t)pid);
	ln_capw_fd_fields(&w->blk, f);
	ln_capw_emit(w, LN_BLK_FD);
}

/* A queue's reader keeps in step with the tables (session/async.c): a
 * fork goes as a FORK block, from which it copies the creator's record
 * and fds as they stand at that point of the stream, a chdir as a CWD
 * block and a prctl(PR_SET_NAME) as a COMM block.  A file gets the whole PROC and FD blocks, which any
 * reader applies. */
static void fork_block(struct ln_capw *w, const ln_proc *p, pid_t creator)
{
	struct ln_buf *b = &w->blk;
	ln_buf_u32(b, (uint32_t)p->pid);
	ln_buf_u32(b, (uint32_t)creator);
	ln_buf_u32(b, (uint32_t)p->ppid);
	ln_buf_u32(b, (uint32_t)p->vpid);
	ln_buf_u32(b, p->flags);
	ln_buf_u64(b, p->start_ts);
	ln_capw_emit(w, LN_BLK_FORK);
}

/* The journal resolves each change to the tables as they are when it is
 * flushed.  A FORK copied in the reader from the creator's state at that
 * point is right only if the creator did not change after the fork, in
 * this batch: a change after it is journaled after it (looked for in at
 * most FORK_LOOK entries; past that, the whole blocks go).  A journal
 * flushed because it is full is flushed by a change made but not yet in
 * it: the whole blocks too. */
enum { FORK_LOOK = 256 };

static bool fork_copies(const struct ln_capw *w, size_t i)
{
	int32_t creator = w->journal[i].b;
	if (!w->stream || w->full)
		return false;
	for (size_t k = i + 1; k < w->njournal; k++) {
		const struct touch *j = &w->journal[k];
		if (k - i > FORK_LOOK)
			return false;
		if (j->a == creator && j->what != LN_TOUCH_THREAD && j->what != LN_TOUCH_THREAD_GONE &&
		    j->what != LN_TOUCH_VM)
			return false;
	}
	return true;
}

void ln_capw_snapshot(struct ln_session *s, struct ln_capw *w)
{
	for (struct ln_pstate *p = s->plist; p; p = p->lnext) {
		proc_block(w, &p->pub);
		for (const ln_fd *f = ln_fd_after(p, -1); f; f = ln_fd_after(p, f->num))
			fd_block(w, p->pub.pid, f);
	}
	for (int h = 0; h < LN_THASH; h++)
		for (struct ln_tstate *t = s->threads[h]; t; t = t->hnext)
			thread_block(w, &t->pub);
}

void ln_capw_flush_journal(struct ln_session *s, struct ln_capw *w)
{
	for (size_t i = 0; i < w->njournal; i++) {
		struct touch *j = &w->journal[i];
		if (i > 0 && !memcmp(j, &w->journal[i - 1], sizeof(*j)))
			continue;
		switch (j->what) {
		case LN_TOUCH_PROC: {
			struct ln_pstate *p = ln_proc_find(s, j->a);
			if (p)
				proc_block(w, &p->pub);
			break;
		}
		case LN_TOUCH_THREAD: {
			struct ln_tstate *t = ln_thread_find(s, j->a);
			if (t)
				thread_block(w, &t->pub);
			break;
		}
		case LN_TOUCH_FD: {
			struct ln_pstate *p = ln_proc_find(s, j->a);
			if (!p)
				break;
			if (ln_fd_at(p, j->b)) {
				fd_block(w, j->a, ln_fd_at(p, j->b));
			} else {
				ln_buf_u32(&w->blk, (uint32_t)j->a);
				ln_buf_u32(&w->blk, (uint32_t)j->b);
				ln_capw_emit(w, LN_BLK_FD_DEL);
			}
			break;
		}
		case LN_TOUCH_THREAD_GONE:
			ln_buf_u32(&w->blk, (uint32_t)j->a);
			ln_capw_emit(w, LN_BLK_THREAD_GONE);
			break;
		case LN_TOUCH_FORK: {
			struct ln_pstate *p = ln_proc_find(s, j->a);
			if (!p)
				break;
			if (fork_copies(w, i)) {
				fork_block(w, &p->pub, j->b);
				break;
			}
			proc_block(w, &p->pub);
			for (const ln_fd *f = ln_fd_after(p, -1); f; f = ln_fd_after(p, f->num))
				fd_block(w, j->a, f);
			break;
		}
		case LN_TOUCH_VM: {
			struct ln_tstate *t = ln_thread_find(s, j->a);
			if (t && w->stream) {
				ln_buf_u32(&w->blk, (uint32_t)j->a);
				vm_figures(&w->blk, &t->pub);
				ln_capw_emit(w, LN_BLK_VM);
			} else if (t) {
				thread_block(w, &t->pub);
			}
			break;
		}
		case LN_TOUCH_CWD:
		case LN_TOUCH_COMM: {
			struct ln_pstate *p = ln_proc_find(s, j->a);
			if (p && w->stream) {
				ln_buf_u32(&w->blk, (uint32_t)j->a);
				if (j->what == LN_TOUCH_CWD)
					ln_capw_cstr(&w->blk, p->pub.cwd);
				else
					ln_buf_str(&w->blk, p->pub.live_comm,
						   strnlen(p->pub.live_comm, sizeof(p->pub.live_comm)));
				ln_capw_emit(w, j->what == LN_TOUCH_CWD ? LN_BLK_CWD : LN_BLK_COMM);
			} else if (p) {
				proc_block(w, &p->pub);
			}
			break;
		}
		}
	}
	w->njournal = 0;
}

/* A queue that drops, whose reader stalled: the state once it drains. */
bool ln_capw_resynced(struct ln_session *s, struct ln_capw *w)
{
	if (!w->resync)
		return true;
	if (ln_capw_pending(w) > DRAINED_AT)
		return false;
	ln_capw_emit(w, LN_BLK_RESET);
	ln_capw_snapshot(s, w);
	w->njournal = 0;	/* the snapshot has it all */
	w->resync = false;
	return true;
}

/* The session's on_state_change hook while a capture is written. */
void ln_capw_journal(struct ln_session *s, int what, int32_t a, int32_t b)
{
	struct ln_capw *w = s->capw;
	if (!w)
		return;
	if (w->drop && !w->resync && ln_capw_pending(w) >= RESYNC_AT) {
		w->resync = true;
		w->njournal = 0;
	}
	if (!ln_capw_resynced(s, w))
		return;
	if (w->njournal == JOURNAL_MAX) {
		/* the change being journaled is made already, and not in the
		 * batch: no FORK may be copied past it (fork_copies) */
		w->full = true;
		ln_capw_flush_journal(s, w);
		w->full = false;
		if (ln_capw_pending(w) >= FLUSH_AT)
			ln_capw_flush_out(w);
	}
	if (!w->journal) {
		w->journal = malloc(JOURNAL_MAX * sizeof(*w->journal));
		if (!w->journal)
			return;
	}
	/* what is pending about the thread and its process must be written
	 * while they exist: they are unlinked right after this */
	if (what == LN_TOUCH_THREAD_GONE)
		ln_capw_flush_journal(s, w);
	w->journal[w->njournal++] = (struct touch){ what, a, b };
}
