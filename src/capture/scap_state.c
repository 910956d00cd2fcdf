/*
 * scap_state.c - the changes a .scap capture's events make to lanner's
 * state tables (a .scap has no state blocks after its start, scap_tables.c
 * reads those): libsinsp's parsers work the same way, and this follows
 * what they do (userspace/libsinsp/parsers.cpp of libs e5c53d648) for the
 * events lanner knows.
 *
 * State changed here is journaled (ln_state_changed) as the live tracer's is,
 * so that `lanner -r x.scap -w y.lcap` writes it; the fd table's setters
 * journal themselves.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "capture/capture.h"
#include "capture/scap_event.h"

/* A capture's fd numbers are 64-bit: one no fd can have names none. */
static ln_fd *fd_at(struct ln_pstate *p, int64_t fd)
{
	return fd >= 0 && fd <= INT32_MAX ? ln_fd_at(p, (int)fd) : NULL;
}

static struct ln_pstate *proc_of(struct ln_session *s, int32_t tid)
{
	struct ln_tstate *t = ln_thread_find(s, tid);
	return t ? (struct ln_pstate *)t->pub.proc : NULL;
}

/* A new process as a copy of its creator: fields and fd table. */
static struct ln_pstate *fork_proc(struct ln_session *s, struct ln_pstate *o, pid_t pid, uint64_t ts)
{
	struct ln_pstate *p = ln_proc_obtain(s, pid);
	if (!p || p == o)
		return p;
	const ln_proc *f = &o->pub;
	ln_proc *d = &p->pub;
	d->ppid = f->pid;
	d->vpid = pid;
	d->sid = f->sid;
	d->pgid = f->pgid;
	d->tty = f->tty;
	d->loginuid = f->loginuid;
	d->flags = f->flags & ~(uint32_t)(LN_PROC_EXITED | LN_PROC_UNTRACED);
	d->start_ts = ts;
	d->exec_ts = f->exec_ts;
	const char *str[7] = { f->exe, f->exepath, f->args, f->env, f->cwd, f->root, f->container_id };
	uint32_t len[7];
	for (int i = 0; i < 7; i++) {
		if (!str[i])
			str[i] = "";
		len[i] = i == 2 ? f->args_len : i == 3 ? f->env_len : (uint32_t)strlen(str[i]);
	}
	scap_set_comm(p, f->comm, strnlen(f->comm, sizeof(f->comm)));
	memcpy(d->live_comm, f->live_comm, sizeof(d->live_comm));
	ln_proc_set(p, str, len);
	ln_state_changed(s, LN_TOUCH_PROC, pid, 0);
	for (const ln_fd *src = ln_fd_after(o, -1); src; src = ln_fd_after(o, src->num)) {
		ln_fd *dst = ln_fd_set(p, src->num);
		if (dst) {
			const char *keep = dst->name;	/* ln_fd_set's own copy */
			*dst = *src;
			dst->name = keep;
			ln_fd_share_name(dst, src->name);
		}
	}
	return p;
}

static void new_thread(struct ln_session *s, struct ln_pstate *p, pid_t tid, const struct ln_tstate *like,
		       uint64_t ts)
{
	struct ln_tstate *t = ln_thread_obtain(s, tid, p);
	if (!t)
		return;
	if (like) {
		t->pub.uid = like->pub.uid; t->pub.gid = like->pub.gid;
		t->pub.ruid = like->pub.ruid; t->pub.rgid = like->pub.rgid;
		t->pub.cap_effective = like->pub.cap_effective;
		t->pub.cap_permitted = like->pub.cap_permitted;
		t->pub.cap_inheritable = like->pub.cap_inheritable;
	}
	t->pub.vtid = tid;
	t->pub.start_ts = ts;
	ln_state_changed(s, LN_TOUCH_THREAD, tid, 0);
}

static void set_exec_fields(struct ln_pstate *p, const struct scap_ev *en, const struct scap_ev *ex);
static void set_vm(struct ln_session *s, pid_t tid, const struct scap_ev *en, const struct scap_ev *ex);

/* A process known only from a clone or execve event's own fields. */
static struct ln_pstate *proc_from_event(struct ln_session *s, pid_t pid, const ln_event *ev,
					 const struct scap_ev *en, const struct scap_ev *ex)
{
	struct ln_pstate *p = ln_proc_obtain(s, pid);
	if (!p)
		return NULL;
	p->pub.ppid = (int32_t)scap_int(en, ex, "ptid", 0);
	p->pub.vpid = (int32_t)scap_int(en, ex, "vpid", pid);
	p->pub.start_ts = p->pub.exec_ts = ev->ts;
	p->pub.loginuid = ~0u;
	set_exec_fields(p, en, ex);
	return p;
}

/* A child first seen from its own side: its ids from the event. */
static void child_ids(struct ln_session *s, pid_t tid, const struct scap_ev *en, const struct scap_ev *ex)
{
	struct ln_tstate *t = ln_thread_find(s, tid);
	if (!t)
		return;
	t->pub.uid = t->pub.ruid = (uint32_t)scap_int(en, ex, "uid", 0);
	t->pub.gid = t->pub.rgid = (uint32_t)scap_int(en, ex, "gid", 0);
	t->pub.vtid = (int32_t)scap_int(en, ex, "vtid", tid);
}

static void do_clone(struct ln_session *s, const ln_event *ev, const struct scap_ev *en, const struct scap_ev *ex)
{
	uint64_t flags = scap_flags_from(SF_CLONE, (uint32_t)scap_int(en, ex, "flags", 0));
	struct ln_tstate *me = ln_thread_find(s, ev->tid);
	pid_t child = ev->res > 0 ? (pid_t)ev->res : ev->tid;
	if (ln_thread_find(s, child))
		return;
	if (ev->res == 0 && !me) {
		/* the child's side, first seen: a thread of pid's process, or a
		 * new process made from its parent's (ptid) */
		pid_t pid = (pid_t)scap_int(en, ex, "pid", child);
		struct ln_pstate *p = ln_proc_find(s, pid), *o = ln_proc_find(s, (pid_t)scap_int(en, ex, "ptid", -1));
		if (!p && o)
			p = fork_proc(s, o, pid, ev->ts);
		else if (!p)
			p = proc_from_event(s, pid, ev, en, ex);
		if (p)
			new_thread(s, p, child, NULL, ev->ts);
		if (p)
			child_ids(s, child, en, ex);
		set_vm(s, child, en, ex);
		return;
	}
	struct ln_pstate *o = me ? (struct ln_pstate *)me->pub.proc : NULL;
	if (!o || ev->res <= 0)
		return;
	struct ln_pstate *p = flags & CLONE_THREAD ? o : fork_proc(s, o, child, ev->ts);
	if (p)
		new_thread(s, p, child, me, ev->ts);
	set_vm(s, child, en, ex);	/* the caller's exit gives the child's */
}

/* The memory figures a clone, execve, brk, mmap or munmap exit carries
 * (kB), kept per thread as libsinsp keeps them: what the event said, until
 * the next one. */
static void set_vm(struct ln_session *s, pid_t tid, const struct scap_ev *en, const struct scap_ev *ex)
{
	struct ln_tstate *t = ln_thread_find(s, tid);
	if (!t)
		return;
	ln_thread *d = &t->pub;
	d->vm_size_kb = (uint64_t)scap_int(en, ex, "vm_size", (int64_t)d->vm_size_kb);
	d->vm_rss_kb = (uint64_t)scap_int(en, ex, "vm_rss", (int64_t)d->vm_rss_kb);
	d->vm_swap_kb = (uint64_t)scap_int(en, ex, "vm_swap", (int64_t)d->vm_swap_kb);
	ln_state_changed(s, LN_TOUCH_VM, tid, 0);
}

/* A process's program fields from a clone or execve exit. */
static void set_exec_fields(struct ln_pstate *p, const struct scap_ev *en, const struct scap_ev *ex)
{
	char exe[LN_STR_MAX], path[LN_STR_MAX], comm[LN_COMM_LEN], cwd[LN_STR_MAX];
	uint32_t alen = 0, elen = 0;
	const uint8_t *args = scap_arg(en, ex, "args", &alen, NULL);
	const uint8_t *env = scap_arg(en, ex, "env", &elen, NULL);
	const ln_proc *d = &p->pub;
	if (!scap_str(en, ex, "exe", exe, sizeof(exe)))
		exe[0] = 0;
	if (!scap_str(en, ex, "filename", path, sizeof(path)) && !scap_str(en, ex, "pathname", path, sizeof(path)))
		snprintf(path, sizeof(path), "%s", d->exepath && !env ? d->exepath : exe);
	if (scap_str(en, ex, "comm", comm, sizeof(comm)))
		scap_set_comm(p, comm, strlen(comm));
	if (!scap_str(en, ex, "cwd", cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "%s", d->cwd ? d->cwd : "/");
	if (alen && args[alen - 1] == 0)
		alen--;
	if (elen && env[elen - 1] == 0)
		elen--;
	if (!env && d->env) {
		env = (const uint8_t *)d->env;	/* clone has no env: inherited */
		elen = d->env_len;
	}
	const char *str[7] = { exe, path, args ? (const char *)args : "", env ? (const char *)env : "",
		cwd, d->root ? d->root : "/", d->container_id ? d->container_id : "host" };
	uint32_t len[7] = { (uint32_t)strlen(exe), (uint32_t)strlen(path), alen, elen,
		(uint32_t)strlen(cwd), 0, 0 };
	len[5] = (uint32_t)strlen(str[5]);
	len[6] = (uint32_t)strlen(str[6]);
	ln_proc_set(p, str, len);
}

static void do_exec(struct ln_session *s, const ln_event *ev, const struct scap_ev *en, const struct scap_ev *ex)
{
	struct ln_pstate *p = proc_of(s, ev->tid);
	if (!p)
		return;
	p->pub.exec_ts = ev->ts;
	p->pub.loginuid = (uint32_t)scap_int(en, ex, "loginuid", (int32_t)p->pub.loginuid);
	if (scap_int(en, ex, "flags", 0) & 1)	/* PPM_EXE_WRITABLE */
		p->pub.flags |= LN_PROC_EXE_WRITABLE;
	else
		p->pub.flags &= ~(uint32_t)LN_PROC_EXE_WRITABLE;
	set_exec_fields(p, en, ex);
	set_vm(s, ev->tid, en, ex);
	/* the kernel closes O_CLOEXEC fds at exec */
	for (ln_fd *f = ln_fd_after(p, -1), *next; f; f = next) {
		next = ln_fd_after(p, f->num);
		if (f->flags & O_CLOEXEC)
			ln_fd_del(p, f->num);
	}
	ln_state_changed(s, LN_TOUCH_PROC, p->pub.pid, 0);
}

/* "/a/./b//c/../d" as "/a/b/d", in place: libsinsp names fds so. */
static void normalize(char *path)
{
	char *out = path, *in = path;
	while (*in) {
		while (*in == '/')
			in++;
		size_t len = strcspn(in, "/");
		if (len == 1 && in[0] == '.') {
			/* nothing */
		} else if (len == 2 && in[0] == '.' && in[1] == '.') {
			while (out > path && *--out != '/')
				;
		} else if (len) {
			*out++ = '/';
			memmove(out, in, len);
			out += len;
		}
		in += len;
	}
	if (out == path)
		*out++ = '/';
	*out = 0;
}

/* A path an event names, made absolute against its dirfd or the cwd. */
static void abs_path(struct ln_pstate *p, int64_t dirfd, const char *name, char *out, size_t n)
{
	const char *dir = p->pub.cwd ? p->pub.cwd : "/";
	if (fd_at(p, dirfd))
		dir = fd_at(p, dirfd)->name;
	if (name[0] == '/' || !dir[0])
		snprintf(out, n, "%s", name);
	else
		snprintf(out, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
	if (out[0] == '/')
		normalize(out);
}

static ln_fd *new_fd(struct ln_pstate *p, int64_t fd, int type, const char *name)
{
	ln_fd *f = fd >= 0 && fd < LN_CAP_MAX_FD ? ln_fd_set(p, (int)fd) : NULL;
	if (f) {
		f->type = (uint8_t)type;
		ln_fd_set_name(f, name);
	}
	return f;
}

static void do_open(struct ln_pstate *p, const ln_event *ev, const struct scap_ev *en, const struct scap_ev *ex)
{
	char name[LN_STR_MAX], path[LN_STR_MAX];
	if (!scap_str(en, ex, "name", name, sizeof(name)))
		return;
	abs_path(p, scap_int(en, ex, "dirfd", -100), name, path, sizeof(path));
	uint64_t flags = scap_flags_from(SF_FILE, (uint32_t)scap_int(en, ex, "flags", 0));
	ln_fd *f = new_fd(p, ev->res, flags & O_DIRECTORY ? LN_FD_DIRECTORY : LN_FD_FILE, path);
	if (f) {
		f->flags = (uint32_t)flags;
		f->dev = (uint64_t)scap_int(en, ex, "dev", 0);
		f->ino = (uint64_t)scap_int(en, ex, "ino", 0);
	}
}

static void do_socket(struct ln_pstate *p, const ln_event *ev, const struct scap_ev *en, const struct scap_ev *ex)
{
	int64_t dom = scap_int(en, ex, "domain", 0), type = scap_int(en, ex, "type", 0) & 0xf;
	int t = dom == AF_INET ? LN_FD_IPV4 : dom == AF_INET6 ? LN_FD_IPV6 : dom == AF_UNIX ? LN_FD_UNIX
		: dom == AF_NETLINK ? LN_FD_NETLINK : LN_FD_OTHER;
	ln_fd *f = new_fd(p, ev->res, t, "");
	if (f) {
		f->tuple.family = (uint16_t)(t == LN_FD_IPV4 ? AF_INET : t == LN_FD_IPV6 ? AF_INET6
			: t == LN_FD_UNIX ? AF_UNIX : 0);
		bool inet = t == LN_FD_IPV4 || t == LN_FD_IPV6;
		f->tuple.l4proto = !inet ? LN_L4_UNKNOWN : type == SOCK_STREAM ? LN_L4_TCP
			: type == SOCK_DGRAM ? LN_L4_UDP : type == SOCK_RAW ? LN_L4_RAW : LN_L4_UNKNOWN;
	}
}

/* connect and accept: the fd's two ends, from the event's tuple. */
static void set_tuple(ln_fd *f, const struct scap_ev *en, const struct scap_ev *ex, bool server)
{
	uint32_t len;
	const uint8_t *v = scap_arg(en, ex, "tuple", &len, NULL);
	ln_tuple t;
	if (!f || !v || !scap_tuple(v, len, server, &t))
		return;
	uint8_t l4 = f->tuple.l4proto;
	if (t.family == AF_UNIX) {
		char name[LN_STR_MAX];
		size_t n = len > 17 ? strnlen((const char *)v + 17, len - 17) : 0;
		snprintf(name, sizeof(name), "%.*s", (int)n, n ? (const char *)v + 17 : "");
		f->type = LN_FD_UNIX;
		f->tuple.family = AF_UNIX;
		f->tuple.l4proto = LN_L4_UNKNOWN;	/* accept made it an inet one */
		ln_fd_set_name(f, name);
	} else {
		f->tuple = t;
		f->tuple.l4proto = l4 ? l4 : LN_L4_TCP;
		f->type = t.family == AF_INET ? LN_FD_IPV4 : LN_FD_IPV6;
		f->is_server = server;
		scap_fd_name(f);
	}
	f->connected = 1;
}

/* bind: the socket's own end, named "ip:port" (libsinsp does so too);
 * it is a server once listen says so. */
static void do_bind(ln_fd *f, const struct scap_ev *en, const struct scap_ev *ex)
{
	uint32_t len;
	const uint8_t *v = scap_arg(en, ex, "addr", &len, NULL);
	size_t alen = v && len >= 7 && v[0] == AF_INET ? 4 : v && len >= 19 && v[0] == AF_INET6 ? 16 : 0;
	if (!alen)
		return;
	memcpy(f->tuple.lip, v + 1, alen);
	memcpy(&f->tuple.lport, v + 1 + alen, 2);
	f->tuple.family = v[0];
	/* a socket whose enter a filter left out (sysdig -w FILTER) */
	f->type = alen == 4 ? LN_FD_IPV4 : LN_FD_IPV6;
	char ip[64], name[80];
	if (ln_ip_format(v[0], f->tuple.lip, ip, sizeof(ip)) > 0) {
		snprintf(name, sizeof(name), "%s:%u", ip, f->tuple.lport);
		ln_fd_set_name(f, name);
	}
}

static void copy_fd(struct ln_pstate *p, int64_t from, int64_t to)
{
	if (!fd_at(p, from) || from == to)
		return;
	ln_fd src = *fd_at(p, from);
	char name[LN_STR_MAX];
	snprintf(name, sizeof(name), "%s", src.name ? src.name : "");
	ln_fd *f = to >= 0 && to < LN_CAP_MAX_FD ? ln_fd_set(p, (int)to) : NULL;
	if (f) {
		const char *keep = f->name;
		*f = src;
		f->num = (int32_t)to;
		f->name = keep;
		ln_fd_set_name(f, name);
		f->flags &= ~(uint32_t)O_CLOEXEC;
	}
}

/* Syscalls that make an fd of a kind with no other state. */
static const struct { const char *name; int type; } fd_makers[] = {
	{ "eventfd", LN_FD_EVENT }, { "eventfd2", LN_FD_EVENT }, { "signalfd", LN_FD_SIGNALFD },
	{ "signalfd4", LN_FD_SIGNALFD }, { "timerfd_create", LN_FD_TIMERFD },
	{ "inotify_init", LN_FD_INOTIFY }, { "inotify_init1", LN_FD_INOTIFY },
	{ "epoll_create", LN_FD_EVENTPOLL }, { "epoll_create1", LN_FD_EVENTPOLL },
	{ "userfaultfd", LN_FD_USERFAULTFD }, { "memfd_create", LN_FD_MEMFD },
};

void scap_effects(struct ln_session *s, const char *name, const ln_event *ev,
		  const struct scap_ev *en, const struct scap_ev *ex, struct scap_tidset *ended)
{
	if (!strcmp(name, "procexit")) {
		struct ln_tstate *t = ln_thread_find(s, ev->tid);
		scap_tidset_set(ended, ev->tid, true);
		if (t)
			ln_thread_gone(s, t);
		return;
	}
	if (!ev->has_res || ev->res < 0)
		return;
	const ln_type_info *ti = ln_type(ev->type);
	if (ti->flags & LN_TF_CLONE) {
		/* the creator's side can come after its child ended: no ghost */
		pid_t child = ev->res > 0 ? (pid_t)ev->res : ev->tid;
		if (ev->res > 0 && scap_tidset_has(ended, child))
			return;
		scap_tidset_set(ended, child, false);
		return do_clone(s, ev, en, ex);
	}
	if (ti->flags & LN_TF_EXEC)
		return do_exec(s, ev, en, ex);
	struct ln_pstate *p = proc_of(s, ev->tid);
	if (!p)
		return;
	if (ti->flags & LN_TF_OPEN)
		return do_open(p, ev, en, ex);
	if (!strcmp(name, "close"))
		return ln_fd_del(p, (int)scap_int(en, ex, "fd", -1));
	if (!strcmp(name, "brk") || !strcmp(name, "mmap") || !strcmp(name, "munmap"))
		return set_vm(s, ev->tid, en, ex);	/* parse_brk_mmap_mmap2_munmap__exit */
	uint64_t cmd = scap_flags_from(SF_FCNTL, (uint32_t)scap_int(en, ex, "cmd", 0));
	if (!strncmp(name, "dup", 3) || (!strcmp(name, "fcntl") && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)))
		return copy_fd(p, scap_int(en, ex, "oldfd", scap_int(en, ex, "fd", -1)), ev->res);
	if (!strcmp(name, "socket"))
		return do_socket(p, ev, en, ex);
	if (!strcmp(name, "connect"))
		return set_tuple(fd_at(p, ev->fdnum), en, ex, false);
	if (!strcmp(name, "accept") || !strcmp(name, "accept4")) {
		ln_fd *f = new_fd(p, ev->res, LN_FD_IPV4, "");
		if (f)
			f->tuple.l4proto = LN_L4_TCP;
		return set_tuple(f, en, ex, true);
	}
	ln_fd *f = fd_at(p, ev->fdnum);
	if (!strcmp(name, "bind") && f)
		return do_bind(f, en, ex);
	if (f && f->tuple.l4proto == LN_L4_UDP && !f->connected && scap_arg(en, ex, "tuple", &(uint32_t){ 0 }, NULL))
		return set_tuple(f, en, ex, !strncmp(name, "recv", 4));
	if (!strcmp(name, "listen")) {
		int64_t fd = scap_int(en, ex, "fd", -1);
		if (fd_at(p, fd))
			fd_at(p, fd)->is_server = 1;
		return;
	}
	if (!strcmp(name, "pipe") || !strcmp(name, "pipe2") || !strcmp(name, "socketpair")) {
		int type = name[0] == 'p' ? LN_FD_PIPE : LN_FD_UNIX;
		char pname[64] = "";
		if (type == LN_FD_PIPE)
			snprintf(pname, sizeof(pname), "pipe:[%llu]", (unsigned long long)scap_int(en, ex, "ino", 0));
		uint64_t ino = (uint64_t)scap_int(en, ex, "ino", 0);
		ln_fd *a = new_fd(p, scap_int(en, ex, "fd1", -1), type, pname);
		ln_fd *b = new_fd(p, scap_int(en, ex, "fd2", -1), type, pname);
		if (a && b && type == LN_FD_PIPE)
			a->ino = b->ino = ino;
		return;
	}
	if (!strcmp(name, "chdir") || !strcmp(name, "fchdir")) {
		char dir[LN_STR_MAX], path[LN_STR_MAX];
		int64_t fd = scap_int(en, ex, "fd", -1);
		if (fd_at(p, fd))
			snprintf(path, sizeof(path), "%s", fd_at(p, fd)->name);
		else if (scap_str(en, ex, "path", dir, sizeof(dir)))
			abs_path(p, -100, dir, path, sizeof(path));
		else
			return;
		ln_proc_set_cwd(p, path, strlen(path));
		ln_state_changed(s, LN_TOUCH_PROC, p->pub.pid, 0);
		return;
	}
	for (size_t i = 0; i < sizeof(fd_makers) / sizeof(fd_makers[0]); i++)
		if (!strcmp(name, fd_makers[i].name))
			new_fd(p, ev->res, fd_makers[i].type, "");
}
