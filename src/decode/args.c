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
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include "decode/decode.h"

enum { IOV_MAX_READ = 16, SOCKADDR_MAX = 128, ARGV_MAX_PTRS = 1024, ARGV_BLOCK = 64, PAGE_SIZE_ = 4096 };

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

/* utimensat's timespec[2], futimesat's timeval[2]: kept as timespec[2]
 * (atime, mtime); val is the new mtime in ns since the epoch, -1 for now
 * (NULL or UTIME_NOW), -2 for unchanged (UTIME_OMIT): what tells a back-dated
 * file from a touched one. */
static void read_times(struct ln_tstate *t, int i, uint64_t addr, bool timeval)
{
	ln_param *p = &t->ev.params[i];
	p->val = -1;
	if (!addr) {
		p->flags |= LN_PF_NULL;
		return;
	}
	read_bytes(t, i, addr, 2 * sizeof(struct timespec), 2 * sizeof(struct timespec));
	if (!(p->flags & LN_PF_READ) || p->len != 2 * sizeof(struct timespec))
		return;
	struct timespec ts[2];
	memcpy(ts, t->arena.buf + t->off[i], sizeof(ts));
	if (timeval) {
		/* same size on 64-bit ABIs: tv_usec where tv_nsec is */
		for (int k = 0; k < 2; k++)
			ts[k].tv_nsec *= 1000;
		memcpy(t->arena.buf + t->off[i], ts, sizeof(ts));
	}
	if (ts[1].tv_nsec == UTIME_NOW)
		p->val = -1;
	else if (ts[1].tv_nsec == UTIME_OMIT)
		p->val = -2;
	else
		p->val = (int64_t)ts[1].tv_sec * 1000000000 + ts[1].tv_nsec;
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

/* argv: strings joined with NULs, bounded in count and bytes.  The
 * pointers are read a block at a time (up to the end of the page), not
 * one process_vm_readv each. */
static void read_argv(struct ln_tstate *t, int i, uint64_t addr)
{
	ln_param *p = &t->ev.params[i];
	if (!addr) {
		p->flags |= LN_PF_NULL;
		return;
	}
	size_t off = t->arena.len;
	bool trunc = false, done = false;
	uint64_t ptrs[ARGV_BLOCK];
	for (int k = 0; k < ARGV_MAX_PTRS && !done;) {
		uint64_t at = addr + 8u * (unsigned)k;
		size_t want = (PAGE_SIZE_ - (at & (PAGE_SIZE_ - 1))) / 8;
		if (want == 0)
			want = 1;	/* a pointer that straddles pages */
		if (want > ARGV_BLOCK)
			want = ARGV_BLOCK;
		ssize_t got = ln_mem_read(t->pub.tid, at, ptrs, want * 8);
		if (got < 8) {
			if (k == 0) {
				p->flags |= LN_PF_FAULT;
				return;
			}
			break;
		}
		for (size_t m = 0; m < (size_t)got / 8 && k < ARGV_MAX_PTRS; m++, k++) {
			if (!ptrs[m]) {
				done = true;
				break;
			}
			size_t used = t->arena.len - off;
			if (used >= LN_ARGV_MAX) {
				trunc = done = true;
				break;
			}
			bool t2;
			if (ln_mem_read_str(t->pub.tid, ptrs[m], &t->arena, LN_ARGV_MAX - used, &t2) < 0) {
				done = true;
				break;
			}
			trunc |= t2;
		}
		if ((size_t)got < want * 8)
			break;	/* the array ran into an unreadable page */
	}
	t->off[i] = (uint32_t)off;
	/* drop the last NUL so that len covers "a\0b\0c" */
	p->len = t->arena.len > off ? (uint32_t)(t->arena.len - off - 1) : 0;
	p->flags |= LN_PF_READ | (trunc ? LN_PF_TRUNCATED : 0);
}

/* An iovec array as the tracee gave it: read once, its entries clipped
 * to IOV_MAX_READ.  Returns the number of entries, -1 if unreadable. */
static int get_iov(struct ln_tstate *t, uint64_t iov_addr, uint64_t cnt, struct iovec iov[IOV_MAX_READ])
{
	size_t n = cnt < IOV_MAX_READ ? (size_t)cnt : IOV_MAX_READ;
	if (!iov_addr)
		return -1;
	if (ln_mem_read(t->pub.tid, iov_addr, iov, n * sizeof(iov[0])) != (ssize_t)(n * sizeof(iov[0])))
		return -1;
	return (int)n;
}

static uint64_t iov_sum(const struct iovec *iov, int n)
{
	uint64_t sum = 0;
	for (int k = 0; k < n; k++)
		sum += iov[k].iov_len;
	return sum;
}

/* Gather up to snaplen of the total meaningful bytes (the result, for
 * reads) from the n pieces, all in one process_vm_readv: it copies piece
 * after piece and stops at the first that faults. */
static void gather_iov(struct ln_tstate *t, int i, const struct iovec *iov, int n, uint64_t total, uint32_t snaplen)
{
	ln_param *p = &t->ev.params[i];
	struct ln_arena *a = &t->arena;
	size_t keep = total < snaplen ? (size_t)total : snaplen;
	if (ln_arena_reserve(a, keep + 1) < 0)
		return;
	size_t off = a->len, want = 0;
	struct iovec local = { a->buf + off, keep }, remote[IOV_MAX_READ];
	int nr = 0;
	for (int k = 0; k < n && want < keep; k++) {
		size_t l = iov[k].iov_len < keep - want ? iov[k].iov_len : keep - want;
		if (!l)
			continue;
		remote[nr].iov_base = iov[k].iov_base;
		remote[nr++].iov_len = l;
		want += l;
	}
	ssize_t got = want ? process_vm_readv(t->pub.tid, &local, 1, remote, (unsigned long)nr, 0) : 0;
	if (got < 0)
		got = 0;
	a->buf[off + (size_t)got] = '\0';
	a->len = off + (size_t)got + 1;
	t->off[i] = (uint32_t)off;
	p->len = (uint32_t)got;
	p->flags |= LN_PF_READ | (total > (uint64_t)got ? LN_PF_TRUNCATED : 0);
}

/* total: the bytes that mean something, or -1 for all the iovecs hold
 * (a write: the data is there before the call). */
static void read_iov(struct ln_tstate *t, int i, uint64_t iov_addr, uint64_t cnt, int64_t total, uint32_t snaplen)
{
	struct iovec iov[IOV_MAX_READ];
	int n = get_iov(t, iov_addr, cnt, iov);
	if (n < 0) {
		t->ev.params[i].flags |= iov_addr ? LN_PF_FAULT : LN_PF_NULL;
		return;
	}
	gather_iov(t, i, iov, n, total < 0 ? iov_sum(iov, n) : (uint64_t)total, snaplen);
}

static void read_msg(struct ln_tstate *t, int i, uint64_t addr, int64_t total, uint32_t snaplen)
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
			read_iov(t, i, raw, next, -1, s->snaplen);
			break;
		case LN_K_MSG_IN:
			read_msg(t, i, raw, -1, s->snaplen);
			break;
		case LN_K_SOCKADDR_IN:
			if (raw)
				read_bytes(t, i, raw, next, SOCKADDR_MAX);
			break;
		case LN_K_TIMESPEC2: case LN_K_TIMEVAL2:
			read_times(t, i, raw, p->kind == LN_K_TIMEVAL2);
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
	if (ln_filter_install_op(ti) >= 0)
		ln_args_bpf_prog(t, ti);
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
				read_iov(t, i, raw, next, (int64_t)got, s->snaplen);
			break;
		case LN_K_MSG_OUT:
			if (ev->res >= 0)
				read_msg(t, i, raw, (int64_t)got, s->snaplen);
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
		} else if (p->kind == LN_K_PATH && ev->fd->name) {
			/* the kernel's name of the fd (open_by_handle_at) */
			size_t n = strlen(ev->fd->name);
			t->off[i] = (uint32_t)ln_arena_put(&t->arena, ev->fd->name, n);
			if (t->off[i] != (uint32_t)-1) {
				p->len = (uint32_t)n;
				p->flags |= LN_PF_READ;
			}
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
			LN_STAT_ADD(s, read_faults, 1);
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
