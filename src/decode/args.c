/*
 * args.c - reading an event's parameters from the tracee, by kind.
 *
 * What the tracee hands in (paths, written buffers, sockaddrs) is read at
 * the entry stop, before the kernel acts on it; what the kernel hands back
 * (read buffers, accepted addresses, pipe fds) at the exit stop.  Every
 * read is bounded and a bad pointer is recorded as LN_PF_FAULT.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "decode/decode.h"

enum { IOV_MAX_READ = 16, SOCKADDR_MAX = 128, ARGV_MAX_PTRS = 1024 };

/* Integer kinds whose C type is int: the upper half of the register is not
 * part of the value (AT_FDCWD arrives as 0x00000000ffffff9c). */
static bool is_int32_kind(int k)
{
	switch (k) {
	case LN_K_FD: case LN_K_DIRFD: case LN_K_PID: case LN_K_SIGNAL:
	case LN_K_UID: case LN_K_GID: case LN_K_SOCK_DOMAIN:
	case LN_K_SOCK_TYPE: case LN_K_SOCK_PROTO: case LN_K_FCNTL_CMD:
	case LN_K_OFLAGS: case LN_K_MODE: case LN_K_ATFLAGS:
	case LN_K_SHUT_HOW: case LN_K_SOCKOPT_LEVEL: case LN_K_SOCKOPT_NAME:
	case LN_K_FD_FLAGS: case LN_K_MEMFD_FLAGS: case LN_K_CLOCKID:
	case LN_K_BPF_CMD: case LN_K_MODULE_FLAGS: case LN_K_RENAME_FLAGS:
	case LN_K_NS_TYPE: case LN_K_UMOUNT_FLAGS: case LN_K_MSG_FLAGS:
	case LN_K_PROT: case LN_K_MMAP_FLAGS: case LN_K_PRCTL_OP:
	case LN_K_SECCOMP_OP: case LN_K_SECCOMP_FLAGS:
		return true;
	}
	return false;
}

static int64_t arg_value(int kind, uint64_t raw)
{
	if (kind == LN_K_UID || kind == LN_K_GID)
		return (int64_t)(uint32_t)raw;
	return is_int32_kind(kind) ? (int64_t)(int32_t)raw : (int64_t)raw;
}

static void fault(ln_param *p, int err)
{
	p->flags |= err == -EFAULT && p->val == 0 ? LN_PF_NULL : LN_PF_FAULT;
}

/* Copy len bytes from the tracee into the arena as param i. */
static void read_bytes(struct ln_tstate *t, int i, uint64_t addr, size_t len, size_t keep)
{
	ln_param *p = &t->ev.params[i];
	if (!addr) {
		p->flags |= LN_PF_NULL;
		return;
	}
	size_t n = len < keep ? len : keep;
	struct ln_arena *a = &t->arena;
	if (ln_arena_reserve(a, n + 1) < 0)
		return;
	ssize_t got = n ? ln_mem_read(t->pub.tid, addr, a->buf + a->len, n) : 0;
	if (got < 0) {
		p->flags |= LN_PF_FAULT;
		return;
	}
	t->off[i] = (uint32_t)a->len;
	a->buf[a->len + (size_t)got] = '\0';
	a->len += (size_t)got + 1;
	p->len = (uint32_t)got;
	p->flags |= LN_PF_READ | (len > keep ? LN_PF_TRUNCATED : 0);
}

static void read_string(struct ln_tstate *t, int i, uint64_t addr)
{
	ln_param *p = &t->ev.params[i];
	bool trunc;
	size_t off = t->arena.len;
	ssize_t n = ln_mem_read_str(t->pub.tid, addr, &t->arena, LN_STR_MAX, &trunc);
	if (n < 0) {
		fault(p, (int)n);
		return;
	}
	t->off[i] = (uint32_t)off;
	p->len = (uint32_t)n;
	p->flags |= LN_PF_READ | (trunc ? LN_PF_TRUNCATED : 0);
}

/* argv: strings joined with NULs, bounded in count and bytes. */
static void read_argv(struct ln_tstate *t, int i, uint64_t addr)
{
	ln_param *p = &t->ev.params[i];
	if (!addr) {
		p->flags |= LN_PF_NULL;
		return;
	}
	size_t off = t->arena.len;
	bool trunc = false;
	for (int k = 0; k < ARGV_MAX_PTRS; k++) {
		uint64_t ptr = 0;
		if (ln_mem_read(t->pub.tid, addr + 8u * (unsigned)k, &ptr, 8) != 8) {
			if (k == 0) {
				p->flags |= LN_PF_FAULT;
				return;
			}
			break;
		}
		if (!ptr)
			break;
		size_t used = t->arena.len - off;
		if (used >= LN_ARGV_MAX) {
			trunc = true;
			break;
		}
		bool t2;
		if (ln_mem_read_str(t->pub.tid, ptr, &t->arena, LN_ARGV_MAX - used, &t2) < 0)
			break;
		trunc |= t2;
	}
	t->off[i] = (uint32_t)off;
	/* drop the last NUL so that len covers "a\0b\0c" */
	p->len = t->arena.len > off ? (uint32_t)(t->arena.len - off - 1) : 0;
	p->flags |= LN_PF_READ | (trunc ? LN_PF_TRUNCATED : 0);
}

/* Gather up to snaplen bytes from an iovec array of cnt entries, of which
 * total bytes are meaningful (the result, for reads). */
static void read_iov(struct ln_tstate *t, int i, uint64_t iov_addr, uint64_t cnt, uint64_t total, uint32_t snaplen)
{
	ln_param *p = &t->ev.params[i];
	struct iovec iov[IOV_MAX_READ];
	size_t n = cnt < IOV_MAX_READ ? (size_t)cnt : IOV_MAX_READ;
	if (!iov_addr) {
		p->flags |= LN_PF_NULL;
		return;
	}
	if (ln_mem_read(t->pub.tid, iov_addr, iov, n * sizeof(iov[0])) != (ssize_t)(n * sizeof(iov[0]))) {
		p->flags |= LN_PF_FAULT;
		return;
	}
	struct ln_arena *a = &t->arena;
	size_t keep = total < snaplen ? (size_t)total : snaplen;
	if (ln_arena_reserve(a, keep + 1) < 0)
		return;
	size_t off = a->len, got = 0;
	for (size_t k = 0; k < n && got < keep; k++) {
		size_t want = iov[k].iov_len < keep - got ? iov[k].iov_len : keep - got;
		ssize_t r = want ? ln_mem_read(t->pub.tid, (uint64_t)(uintptr_t)iov[k].iov_base, a->buf + off + got, want) : 0;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	a->buf[off + got] = '\0';
	a->len = off + got + 1;
	t->off[i] = (uint32_t)off;
	p->len = (uint32_t)got;
	p->flags |= LN_PF_READ | (total > got ? LN_PF_TRUNCATED : 0);
}

static void read_msg(struct ln_tstate *t, int i, uint64_t addr, uint64_t total, uint32_t snaplen)
{
	struct msghdr m;
	if (!addr) {
		t->ev.params[i].flags |= LN_PF_NULL;
		return;
	}
	if (ln_mem_read(t->pub.tid, addr, &m, sizeof(m)) != sizeof(m)) {
		t->ev.params[i].flags |= LN_PF_FAULT;
		return;
	}
	read_iov(t, i, (uint64_t)(uintptr_t)m.msg_iov, m.msg_iovlen, total, snaplen);
}

static uint64_t iov_total(struct ln_tstate *t, uint64_t iov_addr, uint64_t cnt)
{
	struct iovec iov[IOV_MAX_READ];
	size_t n = cnt < IOV_MAX_READ ? (size_t)cnt : IOV_MAX_READ;
	uint64_t sum = 0;
	if (ln_mem_read(t->pub.tid, iov_addr, iov, n * sizeof(iov[0])) != (ssize_t)(n * sizeof(iov[0])))
		return 0;
	for (size_t k = 0; k < n; k++)
		sum += iov[k].iov_len;
	return sum;
}

/* Arguments whose meaning depends on another argument. */
static void entry_fixups(struct ln_tstate *t, const ln_type_info *ti)
{
	ln_event *ev = &t->ev;
	if (ti->flags & LN_TF_OPEN) {
		/* mode is only read by the kernel with O_CREAT or O_TMPFILE;
		 * otherwise the register holds garbage, shown as 0 (Falco) */
		int64_t flags = -1;
		for (int i = 0; i < ti->nparams; i++)
			if (ti->kind[i] == LN_K_OFLAGS)
				flags = ev->params[i].val;
		for (int i = 0; flags >= 0 && i < ti->nparams; i++)
			if (ti->kind[i] == LN_K_MODE && !(flags & O_CREAT) &&
			    (flags & __O_TMPFILE) != __O_TMPFILE)
				ev->params[i].val = 0;
	} else if (!strcmp(ti->name, "prctl") && (ev->rawargs[0] == PR_SET_NAME)) {
		/* arg2_str is the new name for PR_SET_NAME, a number otherwise */
		for (int i = 0; i < ti->nparams; i++)
			if (!strcmp(ti->pname[i], "arg2_str")) {
				ev->params[i].kind = LN_K_STR;
				read_string(t, i, ev->rawargs[1]);
			}
	}
}

void ln_args_entry(struct ln_session *s, struct ln_tstate *t)
{
	ln_event *ev = &t->ev;
	const ln_type_info *ti = ln_type(ev->type);
	t->arena.len = 0;
	ev->nparams = ti->nparams;
	for (int i = 0; i < ti->nparams; i++) {
		ln_param *p = &ev->params[i];
		int src = ti->src[i];
		memset(p, 0, sizeof(*p));
		p->kind = ti->kind[i];
		if (src >= 6)
			continue;
		uint64_t raw = ev->rawargs[src], next = src < 5 ? ev->rawargs[src + 1] : 0;
		p->val = arg_value(p->kind, raw);
		switch (p->kind) {
		case LN_K_PATH: case LN_K_STR:
			read_string(t, i, raw);
			break;
		case LN_K_ARGV:
			read_argv(t, i, raw);
			break;
		case LN_K_BUF_IN:
			read_bytes(t, i, raw, next, s->snaplen);
			break;
		case LN_K_IOV_IN:
			read_iov(t, i, raw, next, iov_total(t, raw, next), s->snaplen);
			break;
		case LN_K_MSG_IN: {
			struct msghdr m;
			uint64_t total = 0;
			if (raw && ln_mem_read(t->pub.tid, raw, &m, sizeof(m)) == sizeof(m))
				total = iov_total(t, (uint64_t)(uintptr_t)m.msg_iov, m.msg_iovlen);
			read_msg(t, i, raw, total, s->snaplen);
			break;
		}
		case LN_K_SOCKADDR_IN:
			if (raw)
				read_bytes(t, i, raw, next, SOCKADDR_MAX);
			break;
		case LN_K_OPEN_HOW: case LN_K_CLONE_ARGS:
			/* The first u64 of both structs is the flags word:
			 * keep it as the value, so flag fields work. */
			read_bytes(t, i, raw, p->kind == LN_K_OPEN_HOW ? 24 : 8, 24);
			if (p->flags & LN_PF_READ && p->len >= 8)
				memcpy(&p->val, t->arena.buf + t->off[i], 8);
			break;
		}
	}
	entry_fixups(t, ti);
}

void ln_args_exit(struct ln_session *s, struct ln_tstate *t)
{
	ln_event *ev = &t->ev;
	const ln_type_info *ti = ln_type(ev->type);
	for (int i = 0; i < ti->nparams; i++) {
		ln_param *p = &ev->params[i];
		int src = ti->src[i];
		if (src == LN_SRC_RES) {
			p->val = ev->res;
			continue;
		}
		if (src >= 6)
			continue;
		uint64_t raw = ev->rawargs[src], next = src < 5 ? ev->rawargs[src + 1] : 0;
		uint64_t got = ev->res > 0 ? (uint64_t)ev->res : 0;
		switch (p->kind) {
		case LN_K_BUF_OUT:
			if (ev->res >= 0)
				read_bytes(t, i, raw, got, s->snaplen);
			break;
		case LN_K_IOV_OUT:
			if (ev->res >= 0)
				read_iov(t, i, raw, next, got, s->snaplen);
			break;
		case LN_K_MSG_OUT:
			if (ev->res >= 0)
				read_msg(t, i, raw, got, s->snaplen);
			break;
		case LN_K_SOCKADDR_OUT: {
			uint32_t alen = 0;
			if (ev->res < 0 || !raw || !next)
				break;
			if (ln_mem_read(t->pub.tid, next, &alen, 4) == 4)
				read_bytes(t, i, raw, alen, SOCKADDR_MAX);
			break;
		}
		case LN_K_FDPAIR:
			if (ev->res == 0)
				read_bytes(t, i, raw, 8, 8);
			break;
		}
	}
}

/* Parameters that come from the fd table after the effect ran. */
static void derived(struct ln_tstate *t)
{
	ln_event *ev = &t->ev;
	const ln_type_info *ti = ln_type(ev->type);
	for (int i = 0; i < ti->nparams; i++) {
		ln_param *p = &ev->params[i];
		if (ti->src[i] != LN_SRC_DERIVED || !ev->fd)
			continue;
		const char *nm = ti->pname[i];
		if (p->kind == LN_K_TUPLE) {
			t->off[i] = (uint32_t)ln_arena_put(&t->arena, &ev->fd->tuple, sizeof(ln_tuple));
			if (t->off[i] != (uint32_t)-1) {
				p->len = sizeof(ln_tuple);
				p->flags |= LN_PF_READ;
			}
		} else if (!strcmp(nm, "dev")) {
			p->val = (int64_t)ev->fd->dev;
		} else if (!strcmp(nm, "ino")) {
			p->val = (int64_t)ev->fd->ino;
		}
	}
}

void ln_event_finish(struct ln_session *s, struct ln_tstate *t)
{
	ln_event *ev = &t->ev;
	derived(t);
	for (int i = 0; i < ev->nparams; i++) {
		ln_param *p = &ev->params[i];
		p->str = p->flags & LN_PF_READ ? t->arena.buf + t->off[i] : NULL;
		/* a pointer the tracee gave that could not be read (not NULL) */
		if (p->flags & LN_PF_FAULT)
			s->stats.read_faults++;
	}
}

/* The two fds of a successful pipe or socketpair (an LN_K_FDPAIR param). */
bool ln_event_fdpair(const struct ln_tstate *t, int i, int fds[2])
{
	const ln_param *p = &t->ev.params[i];
	if (t->ev.res < 0 || !(p->flags & LN_PF_READ) || p->len < 2 * sizeof(int))
		return false;
	memcpy(fds, t->arena.buf + t->off[i], 2 * sizeof(int));
	return true;
}
