/*
 * read_state.c - a capture's state blocks (PROC, THREAD, FD, FD_DEL,
 * THREAD_GONE, and the queue's RESET, FORK, CWD and COMM) applied to the
 * session's process, thread and fd tables, for read.c.
 *
 * A state block applied here is journaled (ln_state_changed) as the live
 * tracer journals the change it records, so that a capture written while
 * this one is read (lanner -r A -w B) gets the state its events refer to.
 * The fd table's own setters journal FD and FD_DEL, ln_thread_gone
 * THREAD_GONE, ln_proc_fork_of FORK; PROC, THREAD, CWD and COMM are
 * journaled below.
 */
#include <stdio.h>
#include <string.h>
#include "capture/capture.h"

static void apply_proc(struct ln_session *s, struct ln_cur *c)
{
	pid_t pid = (pid_t)U32(c);
	ln_proc v;
	memset(&v, 0, sizeof(v));
	v.ppid = (int32_t)U32(c);
	v.vpid = (int32_t)U32(c);
	v.sid = (int32_t)U32(c);
	v.pgid = (int32_t)U32(c);
	v.tty = U32(c);
	v.loginuid = U32(c);
	v.flags = U32(c);
	v.start_ts = U64(c);
	v.exec_ts = U64(c);
	uint32_t cl;
	const char *comm = ln_cur_str(c, &cl);
	const char *str[7];
	uint32_t len[7];
	for (int i = 0; i < 7; i++)
		str[i] = ln_cur_str(c, &len[i]);
	if (c->bad)
		return;
	struct ln_pstate *p = ln_proc_obtain(s, pid);
	if (!p)
		return;
	ln_proc *d = &p->pub;
	d->ppid = v.ppid; d->vpid = v.vpid; d->sid = v.sid; d->pgid = v.pgid;
	d->tty = v.tty; d->loginuid = v.loginuid; d->flags = v.flags;
	d->start_ts = v.start_ts; d->exec_ts = v.exec_ts;
	snprintf(d->comm, sizeof(d->comm), "%.*s", (int)(cl < 15 ? cl : 15), comm);
	/* later writers append what earlier ones left out */
	if (c->pos < c->len) {
		uint32_t ll, wl;
		const char *live = ln_cur_str(c, &ll), *writer = ln_cur_str(c, &wl);
		uint64_t ino = U64(c), dev = U64(c), mtime = U64(c), ctime = U64(c);
		if (!c->bad) {
			snprintf(d->live_comm, sizeof(d->live_comm), "%.*s", (int)(ll < 15 ? ll : 15), live);
			snprintf(d->exe_writer, sizeof(d->exe_writer), "%.*s", (int)(wl < 15 ? wl : 15), writer);
			d->exe_ino = ino; d->exe_dev = dev; d->exe_mtime = mtime; d->exe_ctime = ctime;
		}
	}
	ln_proc_set(p, str, len);
	ln_state_changed(s, LN_TOUCH_PROC, pid, 0);
}

static void apply_thread(struct ln_session *s, struct ln_cur *c)
{
	pid_t tid = (pid_t)U32(c), pid = (pid_t)U32(c);
	ln_thread v;
	v.vtid = (int32_t)U32(c);
	v.uid = U32(c); v.gid = U32(c); v.ruid = U32(c); v.rgid = U32(c);
	v.cap_effective = U64(c); v.cap_permitted = U64(c); v.cap_inheritable = U64(c);
	v.start_ts = U64(c);
	v.vm_size_kb = v.vm_rss_kb = v.vm_swap_kb = 0;
	bool clone_set = false;
	uint64_t clone_vm[3] = { 0, 0, 0 };
	if (c->pos < c->len) {	/* written since the memory figures were kept */
		v.vm_size_kb = U64(c);
		v.vm_rss_kb = U64(c);
		v.vm_swap_kb = U64(c);
		clone_set = U32(c) != 0;
		for (int i = 0; i < 3; i++)
			clone_vm[i] = U64(c);
	}
	if (c->bad)
		return;
	struct ln_pstate *p = ln_proc_obtain(s, pid);
	struct ln_tstate *t = p ? ln_thread_obtain(s, tid, p) : NULL;
	if (!t)
		return;
	t->clone_vm_set = clone_set;
	memcpy(t->clone_vm, clone_vm, sizeof(clone_vm));
	v.tid = tid;
	v.proc = t->pub.proc;
	t->pub = v;
	ln_state_changed(s, LN_TOUCH_THREAD, tid, 0);
}

void ln_cap_get_fd(struct ln_cur *c, ln_fd *f, const char **name, uint32_t *nlen)
{
	f->num = (int32_t)U32(c);
	f->type = U8(c);
	f->is_server = U8(c);
	f->connected = U8(c);
	f->flags = U32(c);
	f->ino = U64(c);
	f->dev = U64(c);
	f->tuple.family = U16(c);
	f->tuple.lport = U16(c);
	f->tuple.rport = U16(c);
	f->tuple.l4proto = U8(c);
	ln_cur_bytes(c, f->tuple.lip, 16);
	ln_cur_bytes(c, f->tuple.rip, 16);
	*name = ln_cur_str(c, nlen);
}

static void apply_fd(struct ln_session *s, struct ln_cur *c)
{
	pid_t pid = (pid_t)U32(c);
	ln_fd v;
	const char *name;
	uint32_t nlen;
	memset(&v, 0, sizeof(v));
	ln_cap_get_fd(c, &v, &name, &nlen);
	struct ln_pstate *p = c->bad ? NULL : ln_proc_find(s, pid);
	if (!p || v.num < 0 || v.num >= LN_CAP_MAX_FD)
		return;
	ln_fd *f = ln_fd_set(p, v.num);
	if (!f)
		return;
	const char *keep = f->name;
	v.name = keep;
	*f = v;
	char buf[LN_STR_MAX];
	snprintf(buf, sizeof(buf), "%.*s", (int)(nlen < sizeof(buf) - 1 ? nlen : sizeof(buf) - 1), name);
	/* a forked child's fds come as its creator's do: share their names,
	 * as the tracer does (state/fdname.c) */
	struct ln_pstate *pp = p->pub.ppid > 0 ? ln_proc_find(s, p->pub.ppid) : NULL;
	const ln_fd *same = pp ? ln_fd_at(pp, v.num) : NULL;
	if (same && !strcmp(same->name, buf))
		ln_fd_share_name(f, same->name);
	else
		ln_fd_set_name(f, buf);
}

/* The queue's FORK (capture/write.c): the child as a copy of its creator
 * as the stream has brought it so far.  A creator this reader never had
 * leaves the child a bare record, as a PROC block of a pid alone would. */
static void apply_fork(struct ln_session *s, struct ln_cur *c)
{
	pid_t pid = (pid_t)U32(c), creator = (pid_t)U32(c), ppid = (pid_t)U32(c);
	int32_t vpid = (int32_t)U32(c);
	uint32_t flags = U32(c);
	uint64_t start_ts = U64(c);
	if (c->bad)
		return;
	struct ln_pstate *parent = ln_proc_find(s, creator);
	if (parent && parent->pub.pid != pid) {
		ln_proc_fork_of(s, pid, parent, ppid, vpid, start_ts, flags);
		return;
	}
	struct ln_pstate *p = ln_proc_find(s, pid);
	if (p)
		ln_proc_clear(p);	/* a record the pid's last user left */
	else
		p = ln_proc_obtain(s, pid);
	if (p) {
		p->pub.ppid = ppid;
		p->pub.vpid = vpid;
		p->pub.start_ts = start_ts;
		p->pub.flags = flags;
		ln_state_changed(s, LN_TOUCH_PROC, pid, 0);
	}
}

/* The queue's CWD, COMM and VM: one field of a process's record. */
static void apply_one(struct ln_session *s, struct ln_cur *c, uint32_t type)
{
	pid_t pid = (pid_t)U32(c);
	if (type == LN_BLK_VM) {	/* pid is a tid here */
		uint64_t size = U64(c), rss = U64(c), swap = U64(c);
		struct ln_tstate *t = c->bad ? NULL : ln_thread_find(s, pid);
		if (t) {
			t->pub.vm_size_kb = size; t->pub.vm_rss_kb = rss; t->pub.vm_swap_kb = swap;
			ln_state_changed(s, LN_TOUCH_VM, pid, 0);
		}
		return;
	}
	uint32_t len;
	const char *str = ln_cur_str(c, &len);
	struct ln_pstate *p = c->bad ? NULL : ln_proc_find(s, pid);
	if (!p)
		return;
	if (type == LN_BLK_CWD) {
		ln_proc_set_cwd(p, str, len);
		ln_state_changed(s, LN_TOUCH_CWD, pid, 0);
		return;
	}
	char buf[LN_COMM_LEN];
	snprintf(buf, sizeof(buf), "%.*s", (int)(len < LN_COMM_LEN - 1 ? len : LN_COMM_LEN - 1), str);
	ln_proc_set_comm(p, buf);
	ln_state_changed(s, LN_TOUCH_COMM, pid, 0);
}

void ln_cap_apply_state(struct ln_session *s, uint32_t type, struct ln_cur *c)
{
	switch (type) {
	case LN_BLK_PROC:
		apply_proc(s, c);
		break;
	case LN_BLK_THREAD:
		apply_thread(s, c);
		break;
	case LN_BLK_FD:
		apply_fd(s, c);
		break;
	case LN_BLK_FD_DEL: {
		pid_t pid = (pid_t)U32(c);
		int fd = (int)U32(c);
		struct ln_pstate *p = c->bad ? NULL : ln_proc_find(s, pid);
		if (p)
			ln_fd_del(p, fd);
		break;
	}
	case LN_BLK_FORK:
		apply_fork(s, c);
		break;
	case LN_BLK_CWD:
	case LN_BLK_COMM:
	case LN_BLK_VM:
		apply_one(s, c, type);
		break;
	case LN_BLK_RESET:
		ln_state_free_all(s);
		s->ntracees = 0;
		break;
	case LN_BLK_THREAD_GONE: {
		pid_t tid = (pid_t)U32(c);
		struct ln_tstate *t = c->bad ? NULL : ln_thread_find(s, tid);
		if (t) {
			/* no event is out while blocks are read: the ended
			 * processes before this one can go */
			ln_proc_free_deferred(s);
			ln_thread_gone(s, t);	/* freed at the next ln_next */
		}
		break;
	}
	}
}
