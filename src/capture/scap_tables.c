/*
 * scap_tables.c - the process and fd lists a .scap capture starts with
 * (libscap's PL_V9 and FDL_V2 blocks, userspace/libscap/scap_savefile.c
 * and scap_fds.c of libs e5c53d648) as lanner's state tables.
 *
 * Every entry carries its own length, which is checked against the block
 * before anything is read from it; fields a later libscap appended are
 * skipped by it.  State set here is journaled (ln_state_changed) as the
 * live tracer's is, so that `lanner -r x.scap -w y.lcap` writes it; the
 * fd table's setters journal themselves.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "capture/capture.h"
#include "capture/scap_event.h"

static uint64_t get(struct ln_cur *c, int n)
{
	return ln_cur_le(c, n);
}

/* A u16-length string; *n its length without a final NUL. */
static const char *str16(struct ln_cur *c, uint32_t *n)
{
	uint32_t k = (uint32_t)get(c, 2);
	if (c->bad || c->len - c->pos < k) {
		c->bad = true;
		*n = 0;
		return "";
	}
	const char *s = (const char *)c->p + c->pos;
	c->pos += k;
	*n = k && s[k - 1] == 0 ? k - 1 : k;
	return s;
}

/* The name exec gave the process (a .scap has no other); ln_proc_set
 * builds the cmdline from it after. */
void scap_set_comm(struct ln_pstate *p, const char *s, size_t n)
{
	snprintf(p->pub.comm, sizeof(p->pub.comm), "%.*s", (int)(n < 15 ? n : 15), s);
	p->pub.live_comm[0] = 0;
}

/* One entry of a process list: a thread, and its process's fields. */
static const char *proc_entry(struct ln_session *s, struct ln_cur *c)
{
	size_t start = c->pos;
	uint32_t elen = (uint32_t)get(c, 4);
	int64_t tid = (int64_t)get(c, 8), pid = (int64_t)get(c, 8), ptid = (int64_t)get(c, 8);
	int64_t sid = (int64_t)get(c, 8), pgid = (int64_t)get(c, 8);
	const char *str[7];
	uint32_t len[7], cl;
	const char *comm = str16(c, &cl);
	str[0] = str16(c, &len[0]);	/* exe */
	str[1] = str16(c, &len[1]);	/* exepath */
	str[2] = str16(c, &len[2]);	/* args */
	str[4] = str16(c, &len[4]);	/* cwd */
	get(c, 8);			/* fdlimit */
	get(c, 4);			/* flags */
	uint32_t uid = (uint32_t)get(c, 4), gid = (uint32_t)get(c, 4);
	uint64_t vm[3];
	for (int i = 0; i < 3; i++)
		vm[i] = get(c, 4);	/* vm size, rss, swap (kB) */
	get(c, 8);			/* page faults, major and minor */
	get(c, 8);
	str[3] = str16(c, &len[3]);	/* env */
	int64_t vtid = (int64_t)get(c, 8), vpid = (int64_t)get(c, 8);
	uint32_t n;
	str16(c, &n);			/* cgroups */
	str[5] = str16(c, &len[5]);	/* root */
	uint32_t loginuid = c->pos - start + 4 <= elen ? (uint32_t)get(c, 4) : ~0u;
	bool writable = c->pos - start + 1 <= elen && get(c, 1);
	if (c->bad)
		return "process list entry shorter than its fields";
	if (elen < c->pos - start || elen > c->len - start)
		return "process list entry length does not match its fields";
	c->pos = start + elen;		/* fields a later libscap appended */
	if (tid <= 0 || pid <= 0 || tid > INT32_MAX || pid > INT32_MAX)
		return "process list entry with a tid or pid out of range";
	str[6] = "host";
	len[6] = 4;
	struct ln_pstate *p = ln_proc_obtain(s, (pid_t)pid);
	struct ln_tstate *t = p ? ln_thread_obtain(s, (pid_t)tid, p) : NULL;
	if (!t)
		return "out of memory";
	if (tid == pid || !p->pub.exe) {
		ln_proc *d = &p->pub;
		d->ppid = (int32_t)ptid;
		d->sid = (int32_t)sid;
		d->pgid = (int32_t)pgid;
		d->vpid = vpid > 0 ? (int32_t)vpid : (int32_t)pid;
		d->loginuid = loginuid;
		d->flags = writable ? d->flags | LN_PROC_EXE_WRITABLE : d->flags & ~(uint32_t)LN_PROC_EXE_WRITABLE;
		if (!str[5][0])
			str[5] = "/", len[5] = 1;
		scap_set_comm(p, comm, cl);
		ln_proc_set(p, str, len);
		ln_state_changed(s, LN_TOUCH_PROC, (int32_t)pid, 0);
	}
	t->pub.vtid = vtid > 0 ? (int32_t)vtid : (int32_t)tid;
	t->pub.uid = t->pub.ruid = uid;
	t->pub.gid = t->pub.rgid = gid;
	t->pub.vm_size_kb = vm[0]; t->pub.vm_rss_kb = vm[1]; t->pub.vm_swap_kb = vm[2];
	ln_state_changed(s, LN_TOUCH_THREAD, (int32_t)tid, 0);
	return NULL;
}

const char *scap_read_procs(struct ln_session *s, const uint8_t *p, uint32_t len)
{
	struct ln_cur c = { p, len, 0, false };
	while (c.len - c.pos >= 4 + 8) {
		const char *why = proc_entry(s, &c);
		if (why)
			return why;
	}
	return NULL;
}

void scap_fd_name(ln_fd *f)
{
	char buf[128];
	if (ln_tuple_format(&f->tuple, f->is_server, buf, sizeof(buf)) > 0)
		ln_fd_set_name(f, buf);
}

/* One fd of an fd list, into p's table. */
static const char *fd_entry(struct ln_pstate *p, struct ln_cur *c)
{
	size_t start = c->pos;
	uint32_t elen = (uint32_t)get(c, 4);
	int64_t num = (int64_t)get(c, 8);
	uint64_t ino = get(c, 8);
	uint8_t type = (uint8_t)get(c, 1);
	ln_fd v = { .num = (int32_t)num, .ino = ino, .type = (uint8_t)scap_fdtype_from(type) };
	const char *name = "";
	uint32_t n = 0;
	size_t alen = type == SFD_IPV4_SOCK || type == SFD_IPV4_SERVSOCK ? 4 : 16;
	switch (type) {
	case SFD_IPV4_SOCK: case SFD_IPV6_SOCK: {
		uint8_t sip[16], dip[16];
		for (size_t i = 0; i < alen; i++)
			sip[i] = (uint8_t)get(c, 1);
		for (size_t i = 0; i < alen; i++)
			dip[i] = (uint8_t)get(c, 1);
		v.tuple.lport = (uint16_t)get(c, 2);
		v.tuple.rport = (uint16_t)get(c, 2);
		uint8_t l4 = (uint8_t)get(c, 1);
		v.tuple.l4proto = l4 >= 2 ? (uint8_t)(l4 - 1) : 0;
		memcpy(v.tuple.lip, sip, alen);
		memcpy(v.tuple.rip, dip, alen);
		v.tuple.family = alen == 4 ? AF_INET : AF_INET6;
		v.connected = 1;
		break;
	}
	case SFD_IPV4_SERVSOCK: case SFD_IPV6_SERVSOCK: {
		for (size_t i = 0; i < alen; i++)
			v.tuple.lip[i] = (uint8_t)get(c, 1);
		v.tuple.lport = (uint16_t)get(c, 2);
		uint8_t l4 = (uint8_t)get(c, 1);
		v.tuple.l4proto = l4 >= 2 ? (uint8_t)(l4 - 1) : 0;
		v.tuple.family = alen == 4 ? AF_INET : AF_INET6;
		v.is_server = 1;
		break;
	}
	case SFD_UNIX_SOCK:
		get(c, 8);		/* the kernel's socket addresses */
		get(c, 8);
		v.tuple.family = AF_UNIX;
		name = str16(c, &n);
		break;
	case SFD_FILE_V2:
		v.flags = (uint32_t)scap_flags_from(SF_FILE, (uint32_t)get(c, 4));
		name = str16(c, &n);
		v.dev = get(c, 4);
		break;
	case SFD_FILE: case SFD_DIRECTORY: case SFD_FIFO: case SFD_EVENT: case SFD_UNSUPPORTED:
	case SFD_SIGNALFD: case SFD_EVENTPOLL: case SFD_INOTIFY: case SFD_TIMERFD: case SFD_NETLINK:
		name = str16(c, &n);
		break;
	default:
		return "fd list entry of an unknown fd type";
	}
	if (c->bad)
		return "fd list entry shorter than its fields";
	if (elen < c->pos - start || elen > c->len - start)
		return "fd list entry length does not match its fields";
	c->pos = start + elen;
	if (num < 0 || num >= LN_CAP_MAX_FD)
		return "fd list entry with an fd number out of range";
	ln_fd *f = ln_fd_set(p, (int)num);
	if (!f)
		return "out of memory";
	const char *keep = f->name;
	v.name = keep;
	*f = v;
	char buf[LN_STR_MAX];
	snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) - 1 ? n : sizeof(buf) - 1), name);
	ln_fd_set_name(f, buf);
	if (f->type == LN_FD_IPV4 || f->type == LN_FD_IPV6)
		scap_fd_name(f);
	return NULL;
}

const char *scap_read_fds(struct ln_session *s, const uint8_t *p, uint32_t len)
{
	struct ln_cur c = { p, len, 0, false };
	int64_t tid = (int64_t)get(&c, 8);
	struct ln_tstate *t = c.bad ? NULL : ln_thread_find(s, (pid_t)tid);
	if (!t || tid <= 0 || tid > INT32_MAX)
		return "fd list of a thread the process list does not have";
	while (c.len - c.pos >= 4 + 8) {
		const char *why = fd_entry((struct ln_pstate *)t->pub.proc, &c);
		if (why)
			return why;
	}
	return NULL;
}
