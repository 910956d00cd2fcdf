/*
 * scap_write.c - recording a capture in sysdig's .scap format, as libscap
 * of sysdig 0.29.3 reads it (falcosecurity/libs e5c53d648:
 * userspace/libscap/scap_savefile.c, scap_fds.c, driver/event_table.c).
 *
 * A .scap file has no state blocks after its start: libsinsp rebuilds its
 * tables from the events (clone, execve, open, close, ...).  So the file
 * starts with the tables as they are at the first event (the launched
 * program exists by then), and each lanner event becomes the enter and
 * exit events of the driver's table, with the parameters each side has.
 * Derived parameters (a clone's or execve's process fields, an open's
 * dev, a socket's tuple) come from the state lanner kept.  An event whose
 * exit was not seen (stopped at entry only) is written as its enter event
 * alone, as the driver does when the exit is lost.
 *
 * The driver also reports a new thread's own side of clone (it returns 0
 * there) before anything the thread does; lanner reports only the
 * creator's side, which may come after the child's first syscalls.  So a
 * thread's first event is preceded by that child-side clone exit, made
 * from lanner's state and marked state-only (EVF flag 1): libsinsp then
 * knows the thread without showing an event lanner did not have.
 * Likewise every thread's end: the driver reports a procexit for each,
 * lanner (when asked) for a process's last thread; the others become
 * state-only procexits, so that libsinsp's tables lose them too.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "capture/capture.h"
#include "capture/scap.h"

enum { FLUSH_AT = 64 * 1024, DATA_MAX = 32768 };

struct ln_scapw {
	char *path;
	int fd;
	bool started;		/* the header blocks are out */
	struct ln_buf out;
	struct scap_tidset known;	/* tids the reader knows of */
	struct scap_tidset ended;	/* tids whose procexit was written */
	struct scap_tidset execs;	/* pid: the exec_ts the reader knows */
	struct gone { int32_t tid; int32_t cpu; uint64_t ts; } gone[64];	/* ended, procexit not written */
	size_t ngone;
	uint64_t last_ts;	/* of the last event written */
	int err;
};

/* --- events --- */

static const ln_param *param(const ln_event *ev, const char *name)
{
	const ln_type_info *ti = ln_type(ev->type);
	for (int i = 0; ti && i < ti->nparams && i < ev->nparams; i++)
		if (!strcmp(ti->pname[i], name))
			return &ev->params[i];
	return NULL;
}

/* A sockaddr read from the tracee as libscap's: family, address, port. */
static void sockaddr(struct ln_buf *b, const ln_param *p)
{
	uint16_t fam = 0;
	if (p && (p->flags & LN_PF_READ) && p->len >= 2)
		memcpy(&fam, p->str, 2);
	if (fam == AF_INET && p->len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in;
		memcpy(&in, p->str, sizeof(in));
		ln_buf_u8(b, AF_INET);
		ln_buf_bytes(b, &in.sin_addr, 4);
		ln_buf_u16(b, ntohs(in.sin_port));
	} else if (fam == AF_INET6 && p->len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 in6;
		memcpy(&in6, p->str, sizeof(in6));
		ln_buf_u8(b, AF_INET6);
		ln_buf_bytes(b, &in6.sin6_addr, 16);
		ln_buf_u16(b, ntohs(in6.sin6_port));
	} else if (fam == AF_UNIX) {
		size_t n = strnlen(p->str + 2, p->len - 2);
		ln_buf_u8(b, AF_UNIX);
		ln_buf_bytes(b, p->str + 2, n);
		ln_buf_u8(b, 0);
	} else {
		ln_buf_u8(b, (uint8_t)fam);
	}
}

static void socktuple(struct ln_buf *b, const ln_fd *f)
{
	if (!f || (f->tuple.family != AF_INET && f->tuple.family != AF_INET6 && f->tuple.family != AF_UNIX))
		return;
	ln_buf_u8(b, (uint8_t)f->tuple.family);
	if (f->tuple.family == AF_UNIX) {
		ln_buf_u64(b, 0);
		ln_buf_u64(b, 0);
		ln_buf_bytes(b, f->name ? f->name : "", f->name ? strlen(f->name) : 0);
		ln_buf_u8(b, 0);
		return;
	}
	const uint8_t *sip, *dip;
	uint16_t sport, dport;
	scap_ends(f, &sip, &sport, &dip, &dport);
	size_t alen = f->tuple.family == AF_INET ? 4 : 16;
	ln_buf_bytes(b, sip, alen);
	ln_buf_u16(b, sport);
	ln_buf_bytes(b, dip, alen);
	ln_buf_u16(b, dport);
}

static int fixed_size(int type)
{
	switch (type) {
	case PT_INT8: case PT_UINT8: case PT_FLAGS8: case PT_SIGTYPE: case PT_L4PROTO:
	case PT_SOCKFAMILY:
		return 1;
	case PT_INT16: case PT_UINT16: case PT_FLAGS16: case PT_PORT: case PT_SYSCALLID:
		return 2;
	case PT_INT32: case PT_UINT32: case PT_FLAGS32: case PT_UID: case PT_GID: case PT_BOOL:
	case PT_SIGSET: case PT_MODE: case PT_IPV4ADDR:
		return 4;
	case PT_INT64: case PT_UINT64: case PT_ERRNO: case PT_FD: case PT_PID: case PT_RELTIME:
	case PT_ABSTIME: case PT_DOUBLE:
		return 8;
	default:
		return 0;
	}
}

static void bytes_or_str(struct ln_buf *b, int type, const char *s, size_t n)
{
	bool str = type == PT_CHARBUF || type == PT_FSPATH || type == PT_FSRELPATH;
	if (n > (str ? LN_STR_MAX : DATA_MAX))
		n = str ? LN_STR_MAX : DATA_MAX;
	if (str)
		n = strnlen(s, n);
	ln_buf_bytes(b, s, n);
	if (str)
		ln_buf_u8(b, 0);
}

/* Process fields of clone and execve exits, from the state after them. */
static bool proc_param(struct ln_buf *b, const ln_event *ev, const char *name, int type)
{
	const ln_thread *t = ev->thread;
	const ln_proc *p = t ? t->proc : NULL;
	if (!p)
		return false;
	int64_t v;
	if (!strcmp(name, "exe"))
		return bytes_or_str(b, type, p->exe ? p->exe : "", p->exe ? strlen(p->exe) : 0), true;
	if (!strcmp(name, "args") || !strcmp(name, "env")) {
		const char *s = name[0] == 'a' ? p->args : p->env;
		uint32_t n = name[0] == 'a' ? p->args_len : p->env_len;
		if (s && n) {
			ln_buf_bytes(b, s, n > DATA_MAX ? DATA_MAX : n);
			ln_buf_u8(b, 0);
		}
		return true;
	}
	if (!strcmp(name, "cwd"))
		return bytes_or_str(b, type, p->cwd ? p->cwd : "", p->cwd ? strlen(p->cwd) : 0), true;
	if (!strcmp(name, "comm")) {
		const char *comm = p->live_comm[0] ? p->live_comm : p->comm;
		return bytes_or_str(b, type, comm, strnlen(comm, sizeof(p->comm))), true;
	}
	if (!strcmp(name, "cgroups"))
		return true;
	if (!strcmp(name, "tid")) v = t->tid;
	else if (!strcmp(name, "pid")) v = p->pid;
	else if (!strcmp(name, "ptid")) v = p->ppid;
	else if (!strcmp(name, "vtid")) v = t->vtid;
	else if (!strcmp(name, "vpid")) v = p->vpid;
	else if (!strcmp(name, "uid")) v = t->uid;
	else if (!strcmp(name, "gid")) v = t->gid;
	else if (!strcmp(name, "tty")) v = p->tty;
	else if (!strcmp(name, "pgid")) v = p->pgid;
	else if (!strcmp(name, "loginuid")) v = (int32_t)p->loginuid;
	else if (!strcmp(name, "flags") && (ln_type(ev->type)->flags & LN_TF_EXEC))
		v = (p->flags & LN_PROC_EXE_WRITABLE) ? 1 : 0;	/* PPM_EXE_WRITABLE */
	else if (!strcmp(name, "fdlimit") || !strncmp(name, "pgft_", 5))
		v = 0;		/* not kept by lanner */
	else
		return false;
	ln_buf_bytes(b, &v, (size_t)fixed_size(type));
	return true;
}

/* The memory figures of clone, execve, brk, mmap and munmap exits, as
 * lanner has them for the thread after the event (effect_vm and exec read
 * them before it was written).  A creator's clone exit carries its figures
 * at the clone (trace/children.c), from which libsinsp makes the child's,
 * as lanner made its own; a capture read again has the child's. */
static void vm_param(struct ln_buf *b, const ln_event *ev, const char *name, int fs)
{
	const ln_thread *t = ev->thread;
	const struct ln_tstate *ts = (const struct ln_tstate *)t;	/* pub is first */
	uint64_t vm[3] = { t->vm_size_kb, t->vm_rss_kb, t->vm_swap_kb };
	if ((ln_type(ev->type)->flags & LN_TF_CLONE) && ev->has_res && ev->res > 0) {
		const struct ln_pstate *p = (const struct ln_pstate *)t->proc;
		const struct ln_tstate *child = p && p->sess ? ln_thread_find(p->sess, (pid_t)ev->res) : NULL;
		if (ts->clone_vm_set)
			memcpy(vm, ts->clone_vm, sizeof(vm));
		else if (child)
			vm[0] = child->pub.vm_size_kb, vm[1] = child->pub.vm_rss_kb, vm[2] = child->pub.vm_swap_kb;
	}
	int64_t v = (int64_t)vm[!strcmp(name, "vm_size") ? 0 : !strcmp(name, "vm_rss") ? 1 : 2];
	ln_buf_bytes(b, &v, (size_t)fs);
}

/* pipe's ino: its first fd's, in the table (the event has no fd). */
static int64_t pair_ino(const ln_event *ev)
{
	const ln_param *fds = param(ev, "fds");
	int32_t pair[2];
	const struct ln_pstate *p = ev->thread ? (const struct ln_pstate *)ev->thread->proc : NULL;
	if (!p || !fds || !(fds->flags & LN_PF_READ) || fds->len < sizeof(pair))
		return 0;
	memcpy(pair, fds->str, sizeof(pair));
	const ln_fd *f = ln_fd_at(p, pair[0]);
	return f ? (int64_t)f->ino : 0;
}

/* One parameter of libscap's event from lanner's event. */
static void put_param(struct ln_buf *b, const ln_event *ev, const char *evname, const struct scap_param *sp,
		      bool proc_event)
{
	const ln_param *p = param(ev, scap_lanner_pname(evname, sp->name));
	int fs = fixed_size(sp->type);
	if (!strcmp(sp->name, "res") && ev->has_res) {
		ln_buf_bytes(b, &ev->res, 8);
		return;
	}
	if (!strncmp(sp->name, "vm_", 3) && ev->thread) {
		vm_param(b, ev, sp->name, fs);
		return;
	}
	if (proc_event && proc_param(b, ev, sp->name, sp->type))
		return;
	if (sp->type == PT_SOCKTUPLE)
		return socktuple(b, ev->fd);
	if (sp->type == PT_SOCKADDR)
		return sockaddr(b, p);
	if (sp->type == PT_FDLIST) {
		ln_buf_u16(b, 0);
		return;
	}
	int64_t v = 0;
	if (p) {
		v = p->val;
		if (p->kind == LN_K_CLONE_ARGS || p->kind == LN_K_OPEN_HOW) {
			/* struct clone_args and open_how start with their flags */
			v = 0;
			if ((p->flags & LN_PF_READ) && p->len >= 8)
				memcpy(&v, p->str, 8);
		}
		if (fs == 0 && p->flags & LN_PF_READ)
			return bytes_or_str(b, sp->type, p->str, p->len);
	} else if (!strcmp(sp->name, "fd1") || !strcmp(sp->name, "fd2")) {
		/* pipe, socketpair: lanner's int[2] */
		const ln_param *fds = param(ev, "fds");
		int32_t pair[2] = { -1, -1 };
		if (fds && (fds->flags & LN_PF_READ) && fds->len >= sizeof(pair))
			memcpy(pair, fds->str, sizeof(pair));
		v = pair[sp->name[2] == '2'];
	} else if (!strcmp(sp->name, "fd")) {
		v = ev->fdnum;
	} else if (ev->fd && !strcmp(sp->name, "dev")) {
		v = (int64_t)ev->fd->dev;
	} else if (!strcmp(sp->name, "ino")) {
		v = ev->fd ? (int64_t)ev->fd->ino : pair_ino(ev);
	} else if (!strcmp(sp->name, "size") && (p = param(ev, "data")) && (p->flags & LN_PF_READ)) {
		v = p->len;
	}
	if (fs) {
		if (sp->ftab != SF_NONE)
			v = scap_flags_to(sp->ftab, (uint64_t)v);
		ln_buf_bytes(b, &v, (size_t)fs);
	} else if (sp->type == PT_CHARBUF || sp->type == PT_FSPATH || sp->type == PT_FSRELPATH) {
		ln_buf_u8(b, 0);
	} else if (sp->type == PT_DYN) {
		ln_buf_u8(b, 0);	/* index 0: a value of no known type */
	}
}

/* An EVF block: cpu, flags, then the event (header, lengths, values). */
static void event_block(struct ln_buf *b, const ln_event *ev, int id, uint64_t ts, const char *gen_name,
			uint32_t dump_flags)
{
	const struct scap_evinfo *e = scap_event(id);
	const ln_type_info *ti = ln_type(ev->type);
	bool proc_event = (ti->flags & (LN_TF_EXEC | LN_TF_CLONE)) && (id & 1);
	size_t at = scap_block_begin(b, SCAP_EVF_V2);
	ln_buf_u16(b, (uint16_t)(ev->cpu < 0 ? 0 : ev->cpu));
	ln_buf_u32(b, dump_flags);
	size_t h = b->len;
	ln_buf_u64(b, ts);
	ln_buf_u64(b, (uint64_t)(int64_t)ev->tid);
	ln_buf_u32(b, 0);		/* len, below */
	ln_buf_u16(b, (uint16_t)id);
	ln_buf_u32(b, e->nparams);
	size_t lens = b->len;
	for (int i = 0; i < e->nparams; i++)
		ln_buf_u16(b, 0);
	for (int i = 0; i < e->nparams && !b->oom; i++) {
		size_t start = b->len;
		if (id <= SCAP_GENERIC_X) {
			/* generic: the syscall's PPM_SC code, then its native number */
			int16_t v = (int16_t)(i == 0 ? scap_code_of_syscall(gen_name) : ti->nr);
			ln_buf_bytes(b, &v, 2);
		} else {
			put_param(b, ev, e->name, &e->p[i], proc_event);
		}
		uint16_t n = (uint16_t)(b->len - start);
		if (!b->oom)
			memcpy(b->p + lens + 2 * (size_t)i, &n, 2);
	}
	uint32_t len = (uint32_t)(b->len - h);
	if (!b->oom)
		memcpy(b->p + h + 16, &len, 4);
	scap_block_end(b, at);
}


/* An exit that carries every parameter of its enter (openat, clone) is
 * written alone, as Falco's drivers do since they dropped enter events:
 * one line per syscall in sysdig as in lanner.  libsinsp 0.29 parses
 * these exits without their enter; the others need it (a read's fd). */
static bool exit_alone(int id)
{
	const struct scap_evinfo *e = scap_event(id), *x = scap_event(id + 1);
	if (id == SCAP_PROCEXIT_1_E || id <= SCAP_GENERIC_X || !x)
		return false;
	for (int i = 0; i < e->nparams; i++) {
		bool found = false;
		for (int k = 0; k < x->nparams && !found; k++)
			found = !strcmp(e->p[i].name, x->p[k].name);
		if (!found)
			return false;
	}
	return true;
}

static int flush(struct ln_scapw *w)
{
	size_t off = 0;
	while (off < w->out.len) {
		ssize_t n = write(w->fd, w->out.p + off, w->out.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return w->err = -errno;
		off += (size_t)n;
	}
	w->out.len = 0;
	return 0;
}

/* An event of `type` that succeeded (res 0) on ev's thread, at ts when
 * that is known and not after ev: the state-only events made below. */
static ln_event made_event(const ln_event *ev, int type, uint64_t ts)
{
	ln_event c;
	const ln_type_info *ti = ln_type(type);
	memset(&c, 0, sizeof(c));
	c.num = ev->num;
	c.ts = ts && ts <= ev->ts ? ts : ev->ts;
	c.tid = ev->tid;
	c.cpu = ev->cpu;
	c.type = (uint16_t)type;
	c.has_res = 1;
	c.fdnum = -1;
	c.thread = ev->thread;
	c.nparams = ti->nparams;
	for (int i = 0; i < ti->nparams; i++)
		c.params[i].kind = ti->kind[i];
	return c;
}

/* The child's side of the clone that made ev's thread, state-only; its
 * parent's first when that one is new too (the tree libsinsp builds). */
static void announce(struct ln_session *s, struct ln_scapw *w, const ln_event *ev, int depth)
{
	int type = ln_type_id("clone"), id = scap_event_of("clone");
	const ln_thread *t = ev->thread;
	if (!t || !t->proc || type < 0 || id < 0)
		return;
	struct ln_tstate *pt = ln_thread_find(s, t->proc->ppid);
	if (pt && !scap_tidset_has(&w->known, pt->pub.tid) && depth < 64) {
		ln_event pe = *ev;
		pe.tid = pt->pub.tid;
		pe.thread = &pt->pub;
		announce(s, w, &pe, depth + 1);
	}
	ln_event c = made_event(ev, type, t->start_ts);
	const ln_type_info *ti = ln_type(type);
	for (int i = 0; i < ti->nparams; i++) {
		if (!strcmp(ti->pname[i], "flags") && t->tid != t->proc->pid)
			c.params[i].val = CLONE_THREAD | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND;
	}
	event_block(&w->out, &c, id + 1, c.ts, "clone", SCAP_EVF_STATE_ONLY);
	scap_tidset_set(&w->known, ev->tid, true);
	scap_tidset_set(&w->ended, ev->tid, false);
}

/* An exec the reader has not seen (lanner learns of execs from ptrace,
 * with no execve event unless execve is traced): a state-only execve
 * from the process's state, so that the reader's process is the new
 * program. */
static void announce_exec(struct ln_scapw *w, const ln_event *ev)
{
	int type = ln_type_id("execve"), id = scap_event_of_syscall("execve");
	const ln_proc *p = ev->thread->proc;
	if (type < 0 || id < 0)
		return;
	ln_event c = made_event(ev, type, p->exec_ts);
	const ln_type_info *ti = ln_type(type);
	for (int i = 0; i < ti->nparams; i++) {
		if (!strcmp(ti->pname[i], "filename") && p->exepath) {
			c.params[i].str = p->exepath;
			c.params[i].len = (uint32_t)strlen(p->exepath);
			c.params[i].flags = LN_PF_READ;
		}
	}
	event_block(&w->out, &c, id, c.ts, "execve", SCAP_EVF_STATE_ONLY);
	event_block(&w->out, &c, id + 1, c.ts, "execve", SCAP_EVF_STATE_ONLY);
}

/* The state-only procexits of ended threads, except `except`'s. */
static void flush_gone(struct ln_scapw *w, int32_t except)
{
	int type = ln_type_id("procexit");
	for (size_t i = 0; i < w->ngone && type >= 0; i++) {
		if (w->gone[i].tid == except || !scap_tidset_has(&w->known, w->gone[i].tid))
			continue;
		ln_event e;
		memset(&e, 0, sizeof(e));
		e.ts = w->gone[i].ts;
		e.tid = w->gone[i].tid;
		e.cpu = w->gone[i].cpu;
		e.type = (uint16_t)type;
		e.fdnum = -1;
		event_block(&w->out, &e, SCAP_PROCEXIT_1_E, e.ts, "procexit", SCAP_EVF_STATE_ONLY);
		scap_tidset_set(&w->known, e.tid, false);
		scap_tidset_set(&w->ended, e.tid, true);
	}
	w->ngone = 0;
}

/* The session's on_state_change hook while a .scap is written: a
 * thread's end goes out as a procexit before the next event (state-only
 * unless lanner's own procexit event is that one); the rest travels in
 * the events themselves. */
static void thread_gone(struct ln_session *s, int what, int32_t tid, int32_t unused)
{
	struct ln_scapw *w = s->scapw;
	(void)unused;
	if (what != LN_TOUCH_THREAD_GONE || !w->started)
		return;		/* the tables at the first event will not have it */
	if (w->ngone == sizeof(w->gone) / sizeof(w->gone[0]))
		flush_gone(w, 0);
	/* replaying, the end is known to come after the last event only */
	uint64_t ts = s->capr || s->scapr ? w->last_ts : ln_now_realtime();
	w->gone[w->ngone++] = (struct gone){ tid, -1, ts };
}

static void start(struct ln_session *s, struct ln_scapw *w)
{
	scap_write_head(s, &w->out);
	for (int h = 0; h < LN_THASH; h++)
		for (struct ln_tstate *t = s->threads[h]; t; t = t->hnext)
			scap_tidset_set(&w->known, t->pub.tid, true);
	/* the process list says what each process runs now */
	for (struct ln_pstate *p = s->plist; p; p = p->lnext)
		scap_tidset_put(&w->execs, p->pub.pid, p->pub.exec_ts);
	w->started = true;
}

int ln_scap_open(struct ln_session *s, const char *path, const ln_capture_opts *o)
{
	if (o && (o->compress || o->rotate_bytes || o->rotate_secs)) {
		ln_set_err(s, -EINVAL, "%s: a .scap capture is written without compression or rotation", path);
		return -EINVAL;
	}
	struct ln_scapw *w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path))) {
		free(w);
		return -ENOMEM;
	}
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (w->fd < 0) {
		int r = -errno;
		ln_set_err(s, r, "%s", path);
		free(w->path);
		free(w);
		return r;
	}
	s->scapw = w;
	s->on_state_change = thread_gone;
	return 0;
}

/* The event a lanner event type makes (procexit's, a native syscall's,
 * else the generic one), or -1 for a type this format cannot say. */
static int event_id(const char *name)
{
	int id = !strcmp(name, "procexit") ? SCAP_PROCEXIT_1_E : scap_event_of_syscall(name);
	if (id < 0 && scap_code_of_syscall(name) >= 0)
		id = SCAP_GENERIC_E;
	return id;
}

static int write_ev(struct ln_session *s, struct ln_scapw *w, const ln_event *ev, int id, uint32_t dump_flags)
{
	const ln_type_info *ti = ln_type(ev->type);
	const char *name = ti->name;
	flush_gone(w, id == SCAP_PROCEXIT_1_E ? ev->tid : 0);
	if (!scap_tidset_has(&w->known, ev->tid))
		announce(s, w, ev, 0);
	const ln_proc *p = ev->thread ? ev->thread->proc : NULL;
	uint64_t seen = 0;
	if (p && p->exec_ts && !(ti->flags & LN_TF_EXEC) &&
	    (!scap_tidset_get(&w->execs, p->pid, &seen) || seen != p->exec_ts)) {
		announce_exec(w, ev);
		scap_tidset_put(&w->execs, p->pid, p->exec_ts);
	}
	if (p && (ti->flags & LN_TF_EXEC) && ev->has_res && ev->res == 0)
		scap_tidset_put(&w->execs, p->pid, p->exec_ts);
	/* an event with a result is stamped at the return (lanner.h): its
	 * enter came latency earlier */
	uint64_t entered = ev->has_res && ev->latency <= ev->ts ? ev->ts - ev->latency : ev->ts;
	if (!ev->has_res || !exit_alone(id))
		event_block(&w->out, ev, id, entered, name, dump_flags);
	if (ev->has_res && id != SCAP_PROCEXIT_1_E)
		event_block(&w->out, ev, id + 1, ev->ts, name, dump_flags);
	/* a creator's clone seen after its child ended does not revive it */
	if ((ti->flags & LN_TF_CLONE) && ev->has_res && ev->res > 0 &&
	    !scap_tidset_has(&w->ended, (int32_t)ev->res) &&
	    scap_tidset_set(&w->known, (int32_t)ev->res, true) < 0)
		w->err = -ENOMEM;
	w->last_ts = ev->ts;
	if (id == SCAP_PROCEXIT_1_E) {
		scap_tidset_set(&w->known, ev->tid, false);
		scap_tidset_set(&w->ended, ev->tid, true);
	}
	if (w->out.oom)
		w->err = -ENOMEM;
	if (!w->err && w->out.len >= FLUSH_AT)
		flush(w);
	if (w->err) {
		ln_set_err(s, w->err, "writing %s", w->path);
		return w->err;
	}
	return 0;
}

int ln_scap_event(struct ln_session *s, const ln_event *ev)
{
	struct ln_scapw *w = s->scapw;
	if (!w->started)
		start(s, w);
	int id = event_id(ln_type(ev->type)->name);
	if (id < 0)
		return 0;	/* no way to say it in this format: doc/compatibility.md */
	return write_ev(s, w, ev, id, 0);
}

int ln_scap_state_event(struct ln_session *s, const ln_event *ev)
{
	struct ln_scapw *w = s->scapw;
	int id = event_id(ln_type(ev->type)->name);
	const struct scap_evinfo *e = id > SCAP_GENERIC_X ? scap_event(id) : NULL;
	if (!e || !(e->flags & SCAP_EF_MODIFIES_STATE))
		return 0;
	if (!w->started)
		start(s, w);
	return write_ev(s, w, ev, id, SCAP_EVF_STATE_ONLY);
}

int ln_scap_close(struct ln_session *s)
{
	struct ln_scapw *w = s->scapw;
	if (!w->started)
		start(s, w);
	flush_gone(w, 0);
	int r = w->out.oom ? -ENOMEM : w->err ? w->err : flush(w);
	if (close(w->fd) < 0 && !r)
		r = -errno;
	if (r < 0)
		ln_set_err(s, r, "writing %s", w->path);
	free(w->out.p);
	scap_tidset_free(&w->known);
	scap_tidset_free(&w->ended);
	scap_tidset_free(&w->execs);
	free(w->path);
	free(w);
	s->scapw = NULL;
	s->on_state_change = NULL;
	return r;
}
