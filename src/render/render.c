/*
 * render.c - parameters as sysdig prints them in evt.args / evt.info:
 * one small renderer per kind, picked from a table.  Addresses and tuples
 * are in addr.c; both write through render.h's clamped buffer.
 */
#include <errno.h>
#include <fcntl.h>		/* AT_FDCWD */
#include <sched.h>		/* CSIGNAL */
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>		/* UTIME_NOW, UTIME_OMIT */
#include <time.h>
#include "table/consts.h"
#include "render/render.h"

/* --- numbers -------------------------------------------------------- */

/* The kernel returns -1..-4095 for errors; anything below is a value
 * (an address from mmap, a huge offset). */
static int is_error(int64_t v)
{
	return v < 0 && v > -4096;
}

static void put_error(struct out *o, int64_t v)
{
	const char *name = ln_errno_name((int)-v);
	out_fmt(o, "%lld", (long long)v);
	if (name)
		out_fmt(o, "(%s)", name);
}

/* --- names from the constant tables --------------------------------- */

static void put_enum(struct out *o, const struct ln_xtable *t, int64_t raw)
{
	uint64_t v = ln_xnorm(t, raw);
	const char *name = ln_xname(t, v);
	if (t->bits == 64 || t->style == LN_XS_ENUM)
		out_fmt(o, "%lld", (long long)v);
	else
		out_fmt(o, "%llu", (unsigned long long)v);
	if (name)
		out_fmt(o, "(%s)", name);
}

static int is_wide(const struct ln_xtable *t, const struct ln_xval *x)
{
	uint64_t val = ln_xnorm(t, (int64_t)x->val);
	return ln_xnorm(t, (int64_t)x->mask) != val || (val & (val - 1)) != 0;
}

static int row_matches(const struct ln_xtable *t, const struct ln_xval *x, uint64_t v)
{
	uint64_t val = ln_xnorm(t, (int64_t)x->val);
	return !x->alias && (v & ln_xnorm(t, (int64_t)x->mask)) == val;
}

/*
 * The names in v, '|' separated, in table order, then the bits no row
 * names as one hex number.  Fields and multi-bit flags (O_SYNC holds
 * O_DSYNC's bit) go first: the single bits they cover are not named again.
 * Returns the number of parts written.
 */
static int put_flag_names(struct out *o, const struct ln_xtable *t, uint64_t v)
{
	uint64_t covered = 0, left = v;
	int parts = 0;
	for (size_t i = 0; i < t->n; i++)
		if (is_wide(t, &t->v[i]) && row_matches(t, &t->v[i], v))
			covered |= ln_xnorm(t, (int64_t)t->v[i].val);
	for (size_t i = 0; i < t->n; i++) {
		const struct ln_xval *x = &t->v[i];
		uint64_t val = ln_xnorm(t, (int64_t)x->val);
		if (!row_matches(t, x, v) || (!is_wide(t, x) && (covered & val)))
			continue;
		out_str(o, parts++ ? "|" : "");
		out_str(o, x->name);
		left &= ~val;
	}
	if (left) {
		out_str(o, parts++ ? "|" : "");
		out_hex(o, left);
	}
	return parts;
}

/* clone()'s low byte is the exit signal: named after the flags. */
static void put_flags(struct out *o, const struct ln_xtable *t, uint64_t v, int has_signal)
{
	uint64_t sig = has_signal ? v & CSIGNAL : 0;
	const char *signame = sig ? ln_xname(&ln_x_signal, sig) : NULL;
	uint64_t bits = signame ? v & ~(uint64_t)CSIGNAL : v;
	out_fmt(o, "%llu", (unsigned long long)v);
	if (bits == 0 && !signame && !ln_xname(t, 0))
		return;
	out_char(o, '(');
	int parts = bits || !signame ? put_flag_names(o, t, bits) : 0;
	if (signame) {
		out_str(o, parts ? "|" : "");
		out_str(o, signame);
	}
	out_char(o, ')');
}

/* --- fds ----------------------------------------------------------- */

static int is_ip_fd(const ln_fd *f)
{
	return f->type == LN_FD_IPV4 || f->type == LN_FD_IPV6;
}

/* "3(<f>/etc/passwd)", "5(<4t>1.2.3.4:5->6.7.8.9:80)": the name only when
 * the event's fd state is this fd. */
static void put_fd(struct out *o, const ln_event *ev, int32_t fd)
{
	const ln_fd *f = ev->fd;
	out_fmt(o, "%d", fd);
	if (fd < 0 || !f || f->num != fd)
		return;
	out_fmt(o, "(<%c", ln_fd_typechar(f->type));
	if (is_ip_fd(f) && f->tuple.l4proto == LN_L4_TCP)
		out_char(o, 't');
	else if (is_ip_fd(f) && f->tuple.l4proto == LN_L4_UDP)
		out_char(o, 'u');
	out_char(o, '>');
	if (f->name && f->name[0])
		out_str(o, f->name);
	else if (is_ip_fd(f))
		ln_put_tuple(o, &f->tuple, f->is_server);
	out_char(o, ')');
}

/* --- bytes from the tracee ------------------------------------------ */

/* NULL and unreadable pointers print the same for every pointer kind.
 * Returns 1 if it printed. */
static int put_ptr_state(struct out *o, const ln_param *p)
{
	if (p->flags & LN_PF_NULL) {
		out_str(o, "NULL");
		return 1;
	}
	if (p->flags & LN_PF_FAULT) {
		out_hex(o, (uint64_t)p->val);
		out_str(o, " (bad address)");
		return 1;
	}
	return 0;
}

/* Nothing was read for a struct pointer: its value, or NULL. */
static void put_unread(struct out *o, const ln_param *p)
{
	if (p->val)
		out_hex(o, (uint64_t)p->val);
	else
		out_str(o, "NULL");
}

static void put_truncated(struct out *o, const ln_param *p)
{
	if (p->flags & LN_PF_TRUNCATED)
		out_str(o, "...");
}

/* str holds "argv0\0argv1\0...": the elements joined by spaces. */
static void put_argv(struct out *o, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i])
			out_char(o, s[i]);
		else if (i + 1 < len)
			out_char(o, ' ');
	}
}

/* First u64 of a struct the tracee passed (open_how, clone_args), or -1
 * when it was not read. */
static int first_u64(const ln_param *p, uint64_t *v)
{
	if (!p->str || p->len < sizeof(*v))
		return -1;
	memcpy(v, p->str, sizeof(*v));
	return 0;
}

/* --- one renderer per kind ------------------------------------------ */

/* What a renderer gets: the parameter, its index, and its event (for the
 * event's fd and for arguments that change what a value means). */
struct arg {
	const ln_event *ev;
	const ln_param *p;
	int i;
};

typedef void render_fn(struct out *o, const struct arg *a);

static void r_int(struct out *o, const struct arg *a)
{
	out_fmt(o, "%lld", (long long)a->p->val);
}

static void r_uint(struct out *o, const struct arg *a)
{
	out_fmt(o, "%llu", (unsigned long long)a->p->val);
}

static void r_hex(struct out *o, const struct arg *a)
{
	out_hex(o, (uint64_t)a->p->val);
}

/* "0644"; 0 stays "0" */
static void r_oct(struct out *o, const struct arg *a)
{
	out_fmt(o, "%#llo", (unsigned long long)a->p->val);
}

static void r_mode(struct out *o, const struct arg *a)
{
	out_fmt(o, "%#o", (unsigned)(uint32_t)a->p->val);
}

/* uid_t is 32 bits; (uid_t)-1 means "unchanged" or "none": "-1". */
static void r_id(struct out *o, const struct arg *a)
{
	uint32_t id = (uint32_t)a->p->val;
	if (id == UINT32_MAX)
		out_str(o, "-1");
	else
		out_fmt(o, "%u", id);
}

/* utimensat/futimesat times as read (timespec[2]): "[atime, mtime]", each
 * S.NNNNNNNNN or UTIME_NOW / UTIME_OMIT; NULL (both now) as NULL. */
static void r_times(struct out *o, const struct arg *a)
{
	const ln_param *p = a->p;
	if (p->flags & LN_PF_NULL) {
		out_str(o, "NULL");
		return;
	}
	if (!(p->flags & LN_PF_READ) || !p->str || p->len != 2 * sizeof(struct timespec)) {
		out_hex(o, (uint64_t)p->val);
		return;
	}
	struct timespec ts[2];
	memcpy(ts, p->str, sizeof(ts));
	out_str(o, "[");
	for (int k = 0; k < 2; k++) {
		if (k)
			out_str(o, ", ");
		if (ts[k].tv_nsec == UTIME_NOW)
			out_str(o, "UTIME_NOW");
		else if (ts[k].tv_nsec == UTIME_OMIT)
			out_str(o, "UTIME_OMIT");
		else
			out_fmt(o, "%lld.%09ld", (long long)ts[k].tv_sec, (long)ts[k].tv_nsec);
	}
	out_str(o, "]");
}

static void r_res(struct out *o, const struct arg *a)
{
	if (is_error(a->p->val))
		put_error(o, a->p->val);
	else
		out_fmt(o, "%lld", (long long)a->p->val);
}

static void r_res_fd(struct out *o, const struct arg *a)
{
	if (is_error(a->p->val))
		put_error(o, a->p->val);
	else
		put_fd(o, a->ev, (int32_t)a->p->val);
}

/* A pid is a result only as the event's first parameter (clone, fork,
 * setsid); as an argument -1 is "every process" (kill), not EPERM. */
static void r_pid(struct out *o, const struct arg *a)
{
	int is_res = a->i == 0 && a->ev->has_res && a->p->val == a->ev->res;
	if (is_res && is_error(a->p->val))
		put_error(o, a->p->val);
	else
		out_fmt(o, "%d", (int32_t)a->p->val);
}

/* fds are ints: a register holding (unsigned)-1 is still fd -1. */
static void r_fd(struct out *o, const struct arg *a)
{
	put_fd(o, a->ev, (int32_t)a->p->val);
}

static void r_dirfd(struct out *o, const struct arg *a)
{
	if ((int32_t)a->p->val == AT_FDCWD)
		put_enum(o, &ln_x_dirfd, a->p->val);
	else
		put_fd(o, a->ev, (int32_t)a->p->val);
}

static void r_flags(struct out *o, const struct arg *a)
{
	const struct ln_xtable *t = ln_xtable_of(a->p->kind);
	put_flags(o, t, ln_xnorm(t, a->p->val), a->p->kind == LN_K_CLONE_FLAGS);
}

static void r_enum(struct out *o, const struct arg *a)
{
	put_enum(o, ln_xtable_of(a->p->kind), a->p->val);
}

/* Value of the event's first parameter of a kind, for names that depend
 * on another argument. */
static int sibling(const ln_event *ev, int kind, int32_t *v)
{
	for (int i = 0; i < ev->nparams && i < LN_MAX_PARAMS; i++)
		if (ev->params[i].kind == kind) {
			*v = (int32_t)ev->params[i].val;
			return 1;
		}
	return 0;
}

/* IPPROTO_* names mean something only for AF_INET and AF_INET6 sockets:
 * protocol 12 of an AF_NETLINK socket is NETLINK_NETFILTER. */
static void r_proto(struct out *o, const struct arg *a)
{
	int32_t domain;
	if (sibling(a->ev, LN_K_SOCK_DOMAIN, &domain) && domain != AF_INET && domain != AF_INET6)
		out_fmt(o, "%d", (int32_t)a->p->val);
	else
		put_enum(o, &ln_x_proto, a->p->val);
}

/* SO_* names are for level SOL_SOCKET only. */
static void r_sockopt(struct out *o, const struct arg *a)
{
	int32_t level;
	if (sibling(a->ev, LN_K_SOCKOPT_LEVEL, &level) && level != SOL_SOCKET)
		out_fmt(o, "%d", (int32_t)a->p->val);
	else
		put_enum(o, &ln_x_sockopt, a->p->val);
}

static void r_str(struct out *o, const struct arg *a)
{
	if (put_ptr_state(o, a->p))
		return;
	if (a->p->str)
		out_cstr(o, a->p->str, a->p->len);
	put_truncated(o, a->p);
}

static void r_argv(struct out *o, const struct arg *a)
{
	if (put_ptr_state(o, a->p))
		return;
	if (a->p->str)
		put_argv(o, a->p->str, a->p->len);
	put_truncated(o, a->p);
}

static void r_buf(struct out *o, const struct arg *a)
{
	if (put_ptr_state(o, a->p))
		return;
	if (a->p->str)
		out_dots(o, a->p->str, a->p->len);
	put_truncated(o, a->p);
}

/* A filter program as its length: "4 insns" (struct sock_filter is 8
 * bytes); the raw argument when it was not read (prctl's other options). */
static void r_bpf_prog(struct out *o, const struct arg *a)
{
	if (a->p->flags & LN_PF_READ)
		out_fmt(o, "%u insns", a->p->len / 8);
	else if (!put_ptr_state(o, a->p))
		out_hex(o, (uint64_t)a->p->val);
}

static void r_sockaddr(struct out *o, const struct arg *a)
{
	if (!put_ptr_state(o, a->p) && ln_put_sockaddr(o, a->p->str, a->p->len) < 0)
		put_unread(o, a->p);
}

/* Unix sockets have no addresses in ln_tuple: their text is the fd's
 * name.  No tuple (an unconnected socket) prints as NULL. */
static void r_tuple(struct out *o, const struct arg *a)
{
	ln_tuple t;
	if (put_ptr_state(o, a->p))
		return;
	if (!a->p->str || a->p->len < sizeof(t)) {
		out_str(o, "NULL");
		return;
	}
	memcpy(&t, a->p->str, sizeof(t));
	if (t.family == AF_UNIX && a->ev->fd && a->ev->fd->name && a->ev->fd->name[0])
		out_str(o, a->ev->fd->name);
	else if (t.family == AF_INET || t.family == AF_INET6)
		ln_put_tuple(o, &t, a->ev->fd ? a->ev->fd->is_server : 0);
	else
		out_str(o, "NULL");
}

static void r_fdpair(struct out *o, const struct arg *a)
{
	int32_t fds[2];
	if (put_ptr_state(o, a->p))
		return;
	if (!a->p->str || a->p->len < sizeof(fds)) {
		put_unread(o, a->p);
		return;
	}
	memcpy(fds, a->p->str, sizeof(fds));
	out_fmt(o, "[%d,%d]", fds[0], fds[1]);
}

/* open_how.flags is a u64: bits above the O_ ones show as hex. */
static void r_open_how(struct out *o, const struct arg *a)
{
	uint64_t flags;
	if (put_ptr_state(o, a->p))
		return;
	if (first_u64(a->p, &flags) < 0)
		put_unread(o, a->p);
	else
		put_flags(o, &ln_x_oflags, flags, 0);
}

/* clone3 keeps the exit signal in its own field: the flags have none. */
static void r_clone_args(struct out *o, const struct arg *a)
{
	uint64_t flags;
	if (put_ptr_state(o, a->p))
		return;
	if (first_u64(a->p, &flags) < 0)
		put_unread(o, a->p);
	else
		put_flags(o, &ln_x_clone, flags, 0);
}

static render_fn *const renderers[LN_K_COUNT] = {
	[LN_K_NONE] = r_int,
	[LN_K_INT] = r_int,
	[LN_K_UINT] = r_uint,
	[LN_K_HEX] = r_hex,
	[LN_K_OCT] = r_oct,
	[LN_K_FD] = r_fd,
	[LN_K_DIRFD] = r_dirfd,
	[LN_K_PID] = r_pid,
	[LN_K_RES] = r_res,
	[LN_K_RES_FD] = r_res_fd,
	[LN_K_PATH] = r_str,
	[LN_K_STR] = r_str,
	[LN_K_BUF_IN] = r_buf,
	[LN_K_BUF_OUT] = r_buf,
	[LN_K_IOV_IN] = r_buf,
	[LN_K_IOV_OUT] = r_buf,
	[LN_K_MSG_IN] = r_buf,
	[LN_K_MSG_OUT] = r_buf,
	[LN_K_SOCKADDR_IN] = r_sockaddr,
	[LN_K_SOCKADDR_OUT] = r_sockaddr,
	[LN_K_TUPLE] = r_tuple,
	[LN_K_ARGV] = r_argv,
	[LN_K_FDPAIR] = r_fdpair,
	[LN_K_OPEN_HOW] = r_open_how,
	[LN_K_CLONE_ARGS] = r_clone_args,
	[LN_K_OFLAGS] = r_flags,
	[LN_K_MODE] = r_mode,
	[LN_K_ATFLAGS] = r_flags,
	[LN_K_SOCK_DOMAIN] = r_enum,
	[LN_K_SOCK_TYPE] = r_flags,
	[LN_K_SOCK_PROTO] = r_proto,
	[LN_K_CLONE_FLAGS] = r_flags,
	[LN_K_SIGNAL] = r_enum,
	[LN_K_FCNTL_CMD] = r_enum,
	[LN_K_PROT] = r_flags,
	[LN_K_MMAP_FLAGS] = r_flags,
	[LN_K_PTRACE_REQ] = r_enum,
	[LN_K_PRCTL_OP] = r_enum,
	[LN_K_MOUNT_FLAGS] = r_flags,
	[LN_K_UMOUNT_FLAGS] = r_flags,
	[LN_K_NS_TYPE] = r_flags,
	[LN_K_RENAME_FLAGS] = r_flags,
	[LN_K_SHUT_HOW] = r_enum,
	[LN_K_SOCKOPT_LEVEL] = r_enum,
	[LN_K_SOCKOPT_NAME] = r_sockopt,
	[LN_K_MSG_FLAGS] = r_flags,
	[LN_K_FD_FLAGS] = r_flags,
	[LN_K_MEMFD_FLAGS] = r_flags,
	[LN_K_CLOCKID] = r_enum,
	[LN_K_BPF_CMD] = r_enum,
	[LN_K_MODULE_FLAGS] = r_flags,
	[LN_K_SECCOMP_OP] = r_enum,
	[LN_K_SECCOMP_FLAGS] = r_flags,
	[LN_K_UID] = r_id,
	[LN_K_GID] = r_id,
	[LN_K_CAPS] = r_hex,
	[LN_K_TIMESPEC2] = r_times,
	[LN_K_TIMEVAL2] = r_times,
	[LN_K_BPF_PROG] = r_bpf_prog,
};

/* --- the API -------------------------------------------------------- */

LN_API int ln_param_format(const ln_event *ev, int i, char *buf, size_t n)
{
	struct out o;
	if (!ev || i < 0 || i >= ev->nparams || i >= LN_MAX_PARAMS || (!buf && n))
		return -EINVAL;
	const ln_param *p = &ev->params[i];
	render_fn *fn = p->kind < LN_K_COUNT ? renderers[p->kind] : NULL;
	out_init(&o, buf, n);
	struct arg a = { ev, p, i };
	(fn ? fn : r_int)(&o, &a);
	return (int)o.len;
}
