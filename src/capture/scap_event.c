/*
 * scap_event.c - a .scap enter/exit pair as one lanner event: the type
 * by name (generic events by their syscall code or native number), each
 * of lanner's parameters from the libscap parameter of the same name,
 * converted back to what lanner's renderers and fields expect (native
 * flag bits, raw sockaddrs, ln_tuple bytes, argv lists).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "capture/scap_event.h"

static int find(const struct scap_ev *e, const char *name)
{
	const struct scap_evinfo *info = e ? scap_event(e->type) : NULL;
	for (uint32_t i = 0; info && i < e->nparams && i < info->nparams; i++)
		if (!strcmp(info->p[i].name, name))
			return (int)i;
	return -1;
}

const uint8_t *scap_arg(const struct scap_ev *en, const struct scap_ev *ex, const char *name,
			uint32_t *len, int *type)
{
	const struct scap_ev *side[2] = { ex, en };
	for (int k = 0; k < 2; k++) {
		int i = find(side[k], name);
		if (i >= 0) {
			*len = side[k]->len[i];
			if (type)
				*type = scap_event(side[k]->type)->p[i].type;
			return side[k]->val[i];
		}
	}
	return NULL;
}

static int64_t as_int(const uint8_t *v, uint32_t len, int type)
{
	bool sign = type == PT_INT8 || type == PT_INT16 || type == PT_INT32 || type == PT_INT64 ||
		    type == PT_ERRNO || type == PT_FD || type == PT_PID;
	switch (len) {
	case 1: return sign ? (int64_t)(int8_t)v[0] : (int64_t)v[0];
	case 2: { uint16_t x; memcpy(&x, v, 2); return sign ? (int64_t)(int16_t)x : (int64_t)x; }
	case 4: { uint32_t x; memcpy(&x, v, 4); return sign ? (int64_t)(int32_t)x : (int64_t)x; }
	case 8: { int64_t x; memcpy(&x, v, 8); return x; }
	default: return 0;
	}
}

int64_t scap_int(const struct scap_ev *en, const struct scap_ev *ex, const char *name, int64_t dflt)
{
	uint32_t len;
	int type;
	const uint8_t *v = scap_arg(en, ex, name, &len, &type);
	return v && (len == 1 || len == 2 || len == 4 || len == 8) ? as_int(v, len, type) : dflt;
}

bool scap_str(const struct scap_ev *en, const struct scap_ev *ex, const char *name, char *buf, size_t n)
{
	uint32_t len;
	const uint8_t *v = scap_arg(en, ex, name, &len, NULL);
	if (!v)
		return false;
	size_t k = strnlen((const char *)v, len);
	if (k >= n)
		k = n - 1;
	memcpy(buf, v, k);
	buf[k] = 0;
	return true;
}

static int put(struct scap_build *b, int i, const void *p, size_t n)
{
	size_t off = ln_arena_put(&b->arena, p, n);
	if (off == (size_t)-1)
		return -1;
	b->off[i] = (uint32_t)off;
	b->ev.params[i].len = (uint32_t)n;
	b->ev.params[i].flags |= LN_PF_READ;
	return 0;
}

/* libscap's sockaddr (family, address, port) as the raw struct. */
static int put_sockaddr(struct scap_build *b, int i, const uint8_t *v, uint32_t len)
{
	if (len >= 7 && v[0] == AF_INET) {
		struct sockaddr_in in = { .sin_family = AF_INET };
		memcpy(&in.sin_addr, v + 1, 4);
		uint16_t port;
		memcpy(&port, v + 5, 2);
		in.sin_port = htons(port);
		return put(b, i, &in, sizeof(in));
	}
	if (len >= 19 && v[0] == AF_INET6) {
		struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
		memcpy(&in6.sin6_addr, v + 1, 16);
		uint16_t port;
		memcpy(&port, v + 17, 2);
		in6.sin6_port = htons(port);
		return put(b, i, &in6, sizeof(in6));
	}
	if (len >= 1 && v[0] == AF_UNIX) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };
		size_t n = strnlen((const char *)v + 1, len - 1);
		if (n >= sizeof(un.sun_path))
			n = sizeof(un.sun_path) - 1;
		memcpy(un.sun_path, v + 1, n);
		return put(b, i, &un, offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

/* libscap's tuple (client, then server) as ln_tuple (local, remote). */
bool scap_tuple(const uint8_t *v, uint32_t len, bool server, ln_tuple *t)
{
	memset(t, 0, sizeof(*t));
	size_t alen = len >= 1 && v[0] == AF_INET ? 4 : len >= 1 && v[0] == AF_INET6 ? 16 : 0;
	if (len >= 1 && v[0] == AF_UNIX) {
		t->family = AF_UNIX;
		return true;
	}
	if (!alen || len < 1 + 2 * (alen + 2))
		return false;
	const uint8_t *sip = v + 1, *dip = v + 1 + alen + 2;
	uint16_t sport, dport;
	memcpy(&sport, v + 1 + alen, 2);
	memcpy(&dport, dip + alen, 2);
	t->family = v[0];
	memcpy(server ? t->rip : t->lip, sip, alen);
	memcpy(server ? t->lip : t->rip, dip, alen);
	t->lport = server ? dport : sport;
	t->rport = server ? sport : dport;
	return true;
}

static int param(struct scap_build *b, const ln_type_info *ti, int i, const char *evname,
		 const struct scap_ev *en, const struct scap_ev *ex)
{
	ln_param *p = &b->ev.params[i];
	const char *name = scap_pname_of(evname, ti->pname[i]);
	uint32_t len;
	int type;
	memset(p, 0, sizeof(*p));
	p->kind = ti->kind[i];
	if (ti->src[i] == LN_SRC_RES && b->ev.has_res) {
		p->val = b->ev.res;
		return 0;
	}
	switch (p->kind) {
	case LN_K_ARGV: {
		/* libscap splits argv: exe is argv[0], args the rest */
		char exe[LN_STR_MAX];
		const uint8_t *a = scap_arg(en, ex, "args", &len, NULL);
		if (!a || !scap_str(en, ex, "exe", exe, sizeof(exe)))
			return 0;
		size_t n = strlen(exe) + 1;
		if (put(b, i, exe, n) < 0 || ln_arena_put(&b->arena, a, len) == (size_t)-1)
			return -1;
		p->len = (uint32_t)(n + len);
		return 0;
	}
	case LN_K_FDPAIR: {
		int32_t fds[2] = { (int32_t)scap_int(en, ex, "fd1", -1), (int32_t)scap_int(en, ex, "fd2", -1) };
		return fds[0] < 0 ? 0 : put(b, i, fds, sizeof(fds));
	}
	case LN_K_TUPLE: {
		ln_tuple t;
		const uint8_t *v = scap_arg(en, ex, "tuple", &len, NULL);
		bool server = (ti->flags & LN_TF_FD_CREATE) && strcmp(ti->name, "socket");
		return v && scap_tuple(v, len, server, &t) ? put(b, i, &t, sizeof(t)) : 0;
	}
	}
	const uint8_t *v = scap_arg(en, ex, name, &len, &type);
	if (!v)
		return 0;
	if (type == PT_SOCKADDR)
		return put_sockaddr(b, i, v, len);
	if (type == PT_CHARBUF || type == PT_FSPATH || type == PT_FSRELPATH)
		return put(b, i, v, strnlen((const char *)v, len));
	if (type == PT_BYTEBUF)
		return put(b, i, v, len);
	if (len == 1 || len == 2 || len == 4 || len == 8)
		p->val = as_int(v, len, type);
	const struct scap_evinfo *info = scap_event(ex && find(ex, name) >= 0 ? ex->type : en->type);
	int k = find(ex && find(ex, name) >= 0 ? ex : en, name);
	if (info && k >= 0 && info->p[k].ftab != SF_NONE)
		p->val = (int64_t)scap_flags_from(info->p[k].ftab, (uint32_t)p->val);
	if (ti->src[i] < 6)
		b->ev.rawargs[ti->src[i]] = (uint64_t)p->val;
	return 0;
}

/* The lanner type of an event: by name, generic ones by their syscall. */
static int lanner_type(const struct scap_ev *en, const struct scap_ev *ex)
{
	const struct scap_ev *e = ex ? ex : en;
	if (e->type > SCAP_GENERIC_X)
		return ln_type_id(scap_event_syscall(e->type));
	int64_t native = en ? scap_int(en, NULL, "nativeID", -1) : -1;
	int id = native >= 0 ? ln_type_of_nr((int)native) : -1;
	const char *sc = scap_code_syscall((int)scap_int(en, ex, "ID", 0));
	return id >= 0 ? id : sc ? ln_type_id(sc) : -1;
}

static void keep_fd(struct scap_build *b, const ln_fd *f)
{
	b->fd = *f;
	snprintf(b->fd_name, sizeof(b->fd_name), "%s", f->name ? f->name : "");
	b->fd.name = b->fd_name;
	b->ev.fd = &b->fd;
}

int scap_make_event(struct ln_session *s, struct scap_build *b, const struct scap_ev *en,
		    const struct scap_ev *ex, uint64_t num)
{
	int type = lanner_type(en, ex);
	if (type < 0)
		return 0;
	const ln_type_info *ti = ln_type(type);
	const struct scap_ev *e = en ? en : ex;
	ln_event *ev = &b->ev;
	memset(ev, 0, sizeof(*ev));
	ev->num = num;
	/* stamped at the return where the exit is known, as live events are */
	ev->ts = ex ? ex->ts : e->ts;
	ev->latency = en && ex ? ex->ts - en->ts : 0;
	ev->tid = (int32_t)e->tid;
	ev->cpu = e->cpu;
	ev->type = (uint16_t)type;
	ev->nparams = ti->nparams;
	ev->fdnum = -1;
	const char *evname = scap_event((ex ? ex : en)->type)->name;
	if (ex && find(ex, "res") >= 0) {
		ev->res = scap_int(NULL, ex, "res", 0);
		ev->has_res = 1;
	} else if (ex && find(ex, "fd") == 0) {
		ev->res = scap_int(NULL, ex, "fd", 0);	/* open, socket, accept: the new fd */
		ev->has_res = 1;
	} else if (!strcmp(ti->name, "procexit")) {
		ev->has_res = 0;
	}
	/* a generic event carries its syscall's number and nothing else */
	if ((ex ? ex : en)->type <= SCAP_GENERIC_X)
		ev->nparams = 0;
	b->arena.len = 0;
	for (int i = 0; i < ev->nparams; i++)
		if (param(b, ti, i, evname, en, ex) < 0)
			return -1;
	for (int i = 0; i < ev->nparams; i++)
		if (ev->params[i].flags & LN_PF_READ)
			ev->params[i].str = b->arena.buf + b->off[i];
	bool res_fd = false;	/* the result is the new fd (not pipe's 0) */
	for (int i = 0; i < ti->nparams; i++)
		res_fd |= ti->src[i] == LN_SRC_RES && ti->kind[i] == LN_K_RES_FD;
	if (res_fd && ev->has_res && ev->res >= 0)
		ev->fdnum = (int32_t)ev->res;
	else if (!(ti->flags & LN_TF_FD_CREATE) || !ev->has_res)
		for (int i = 0; i < ev->nparams && ev->fdnum < 0; i++)
			if (ti->kind[i] == LN_K_FD)
				ev->fdnum = (int32_t)ev->params[i].val;
	struct ln_tstate *t = ln_thread_find(s, ev->tid);
	struct ln_pstate *p = t ? (struct ln_pstate *)t->pub.proc : NULL;
	/* the fd as it was: a close takes it out of the table */
	if (p && ln_fd_at(p, ev->fdnum))
		keep_fd(b, ln_fd_at(p, ev->fdnum));
	if (ex || !strcmp(ti->name, "procexit"))
		scap_effects(s, ti->name, ev, en, ex, &b->ended);
	t = ln_thread_find(s, ev->tid);
	if (!t && s->dead_thread && s->dead_thread->pub.tid == ev->tid)
		t = s->dead_thread;
	ev->thread = t ? &t->pub : NULL;
	p = t ? (struct ln_pstate *)t->pub.proc : NULL;
	if (p && ln_fd_at(p, ev->fdnum) && strcmp(ti->name, "close"))
		keep_fd(b, ln_fd_at(p, ev->fdnum));
	return 1;
}

void scap_build_free(struct scap_build *b)
{
	free(b->arena.buf);
	scap_tidset_free(&b->ended);
}
