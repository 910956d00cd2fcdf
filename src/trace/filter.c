/*
 * filter.c - the BPF program that decides which syscalls stop.
 *
 * Built with libseccomp from the trace modes and argument predicates the
 * Lua side set (ln_trace_type, ln_trace_arg): SCMP_ACT_TRACE(mode) for the
 * syscalls in the set, ALLOW for the rest.  SECCOMP_RET_DATA carries the
 * mode so the entry stop knows whether the exit is wanted, with a tag that
 * tells lanner's verdicts from those of a filter the program loaded itself.  Syscalls made
 * through the 32-bit ABI get the same rules (a tracee cannot slip past with
 * int 0x80); any other ABI fails with ENOSYS instead of libseccomp's
 * default of killing the process.
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "trace/trace.h"

/* The 32-bit x86 ABI passes these syscalls' arguments in the same
 * registers, as ints, as x86_64 does: their predicates hold there too.
 * Any other syscall with predicates stops on every 32-bit call, which is
 * always sound: "mmap" there is old_mmap, whose arguments are in memory,
 * and 64-bit arguments take two registers, shifting the ones after them.
 * socket through socketcall(2) has its arguments in memory as well:
 * libseccomp drops the comparisons of that variant by itself. */
static const char *const compat_same[] = {
	"open", "openat", "socket", "socketpair", "kill", "tkill", "tgkill", "fcntl",
	"mprotect", "clone", "unshare", "ptrace", "bpf", "prctl", "setns", "ftruncate",
};

bool ln_preds_hold_in(const char *name, bool compat)
{
	if (!compat)
		return true;
	for (size_t i = 0; i < sizeof(compat_same) / sizeof(compat_same[0]); i++)
		if (!strcmp(compat_same[i], name))
			return true;
	return false;
}

/* The mode of a type's predicates, LN_TRACE_NONE if it has none. */
static int pred_mode(struct ln_session *s, int id)
{
	int mode = LN_TRACE_NONE;
	for (int i = 0; i < s->npreds; i++)
		if (s->preds[i].type == id && s->preds[i].mode > mode)
			mode = s->preds[i].mode;
	return mode;
}

/* The mode a syscall gets without the filter (syscall mode, stops.c): the
 * decision the filter would take, on the same registers.  On an ABI where
 * the type's predicates do not hold, the filter stops on every call. */
int ln_trace_mode_for(struct ln_session *s, int type, const uint64_t *args, bool compat)
{
	int mode = s->mode[type];
	if (mode)
		return mode;
	if (ln_deny_rules_for(s, type))
		mode = LN_TRACE_ENTRY;	/* verdict.c checks them */
	if (!ln_preds_hold_in(ln_type(type)->name, compat))
		return pred_mode(s, type) > mode ? pred_mode(s, type) : mode;
	for (int i = 0; i < s->npreds; i++) {
		const struct ln_argpred *p = &s->preds[i];
		if (p->type == type && (args[p->arg] & p->mask) == p->value && p->mode > mode)
			mode = p->mode;
	}
	return mode;
}

/* The action of a stop in this mode: the listener's where the type can go
 * there (trace/notify.c; the launch's filter only, and the native ABI's),
 * else a ptrace stop with the mode in RET_DATA. */
static uint32_t stop_action(struct ln_session *s, int id, int mode, bool compat)
{
	if (!compat && mode == LN_TRACE_ENTRY && s->notif.building && ln_notif_eligible(s, id)) {
		s->notif.routed[id] = 1;
		return SCMP_ACT_NOTIFY;
	}
	return SCMP_ACT_TRACE(LN_DATA_TAG | mode);
}

/* One TRACE rule per predicate of the type; extra: a comparison every rule
 * also needs (clone's CLONE_UNTRACED clear), or NULL.  A predicate on
 * extra's argument is folded into it (libseccomp takes one comparison per
 * argument); one that contradicts it can never stop and is left out. */
static int add_preds(scmp_filter_ctx ctx, struct ln_session *s, int id, int nr,
		     const struct scmp_arg_cmp *extra, bool compat)
{
	int r = 0;
	for (int i = 0; !r && i < s->npreds; i++) {
		const struct ln_argpred *p = &s->preds[i];
		if (p->type != id)
			continue;
		struct scmp_arg_cmp cmp[2];
		unsigned n = 0;
		uint64_t mask = p->mask, value = p->value & p->mask;
		if (extra && extra->arg == p->arg) {
			uint64_t common = mask & extra->datum_a;
			if ((value & common) != (extra->datum_b & common))
				continue;
			mask |= extra->datum_a;
			value |= extra->datum_b;
		} else if (extra) {
			cmp[n++] = *extra;
		}
		cmp[n++] = SCMP_CMP64(p->arg, SCMP_CMP_MASKED_EQ, mask, value);
		r = seccomp_rule_add_array(ctx, stop_action(s, id, p->mode, compat), nr, n, cmp);
	}
	return r;
}

/* CLONE_UNTRACED would make a child the tracer never sees, which would
 * still carry the filter: an escape, or a broken child.  clone's flags are
 * a register, so the filter refuses it (EPERM).  clone3's are in memory,
 * which another thread can change between any check and the kernel's own
 * read: clone3 always stops, and the tracer turns it into a clone with the
 * flags it checked in registers (src/trace/clone3.c); a call clone cannot express
 * is refused at entry if it asks for the flag, and a child that got past
 * anyway is seized at the exit (LN_TRACE_GUARD: the exit is needed, an
 * event only if asked for).  clone3's predicates, if any, could
 * not be checked here either: it stops on every call. */
static int untraced_guard(scmp_filter_ctx ctx, struct ln_session *s, int id, bool compat)
{
	const ln_type_info *ti = ln_type(id);
	int mode = s->mode[id];
	if (!strcmp(ti->name, "clone3")) {
		if (!mode)
			mode = pred_mode(s, id);
		return seccomp_rule_add(ctx, SCMP_ACT_TRACE(LN_DATA_TAG | (mode ? LN_TRACE_EXIT : LN_TRACE_GUARD)),
					ti->nr, 0);
	}
	struct scmp_arg_cmp untraced = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_UNTRACED, CLONE_UNTRACED);
	struct scmp_arg_cmp traced = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_UNTRACED, 0);
	int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), ti->nr, 1, untraced);
	if (r)
		return r;
	if (mode == LN_TRACE_NONE && !ln_preds_hold_in(ti->name, compat))
		mode = pred_mode(s, id);
	if (mode != LN_TRACE_NONE)
		return seccomp_rule_add(ctx, SCMP_ACT_TRACE(LN_DATA_TAG | mode), ti->nr, 1, traced);
	return add_preds(ctx, s, id, ti->nr, &traced, compat);
}

static bool has_pred_on(struct ln_session *s, int id, int arg)
{
	for (int i = 0; i < s->npreds; i++)
		if (s->preds[i].type == id && s->preds[i].arg == arg)
			return true;
	return false;
}

/* A call that installs a seccomp filter stops (its first argument says:
 * seccomp's operation, prctl's option), with no event unless one is asked
 * for, so that lanner sees every filter a program installs: clone3.c then
 * knows which processes can only have lanner's filters without a /proc
 * read per clone3.  Only those calls: prctl is common (PR_SET_NAME for
 * every new thread in some programs).  A predicate of the rules that
 * stops them already is enough.  prctl's mode (strict or filter) is not
 * tested: a strict-mode call stops too, which is harmless and rare. */
static int install_guard(scmp_filter_ctx ctx, struct ln_session *s, int id, int nr, uint32_t op)
{
	for (int i = 0; i < s->npreds; i++) {
		const struct ln_argpred *p = &s->preds[i];
		if (p->type == id && p->arg == 0 && ((uint64_t)op & p->mask) == (p->value & p->mask))
			return 0;
	}
	struct scmp_arg_cmp set = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffff, op);
	return seccomp_rule_add(ctx, SCMP_ACT_TRACE(LN_DATA_TAG | LN_TRACE_GUARD), nr, 1, set);
}

/* Where a thread's children go (their pid namespace) changes only with
 * unshare(CLONE_NEWPID) and setns: both stop, with no event unless one is
 * asked for, so that a fork's child is known to be in lanner's pid
 * namespace without a /proc read (state/tasks.c born_flat,
 * trace/children.c ln_child_note_pidns).  setns stops on every call: an
 * nstype of 0 takes a namespace of any type, a pidfd several.  A rule
 * libseccomp will not take (one of the rules' own predicates in the way)
 * costs the shortcut, not the filter: sees_pidns says which. */
static void pidns_guard(scmp_filter_ctx ctx, struct ln_session *s, const ln_type_info *ti)
{
	int r;
	if (!strcmp(ti->name, "setns")) {
		r = seccomp_rule_add(ctx, SCMP_ACT_TRACE(LN_DATA_TAG | LN_TRACE_GUARD), ti->nr, 0);
	} else if (!strcmp(ti->name, "unshare")) {
		struct scmp_arg_cmp newpid = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWPID, CLONE_NEWPID);
		r = seccomp_rule_add(ctx, SCMP_ACT_TRACE(LN_DATA_TAG | LN_TRACE_GUARD), ti->nr, 1, newpid);
	} else {
		return;
	}
	if (r)
		s->sees_pidns = false;
}

static bool moves_pidns(const ln_type_info *ti)
{
	return !strcmp(ti->name, "unshare") || !strcmp(ti->name, "setns");
}

/* The 32-bit ABI's own names for native types (mmap2, fcntl64: COMPAT rows
 * of syscalls.def) take their type's rules.  Their registers line up with
 * the native call's, but for an argument counted in pages: a predicate on
 * that one cannot be checked, and every call stops. */
static int add_compat_aliases(scmp_filter_ctx ctx, struct ln_session *s)
{
	int r = 0, id, pages;
	const char *name;
	for (int i = 0; !r && (name = ln_compat_alias(i, &id, &pages)); i++) {
		/* a pseudo number on x86_64, which libseccomp turns into the
		 * 32-bit one by name */
		int nr = seccomp_syscall_resolve_name(name);
		if (id < 0 || nr == __NR_SCMP_ERROR)
			continue;
		int mode = s->mode[id];
		if (mode == LN_TRACE_NONE && pages >= 0 && has_pred_on(s, id, pages))
			mode = pred_mode(s, id);
		if (mode != LN_TRACE_NONE)
			r = seccomp_rule_add(ctx, SCMP_ACT_TRACE(LN_DATA_TAG | mode), nr, 0);
		else
			r = add_preds(ctx, s, id, nr, NULL, true);
	}
	return r;
}

/* A type that prevention rules refuse some calls of (ln_deny_call).
 * libseccomp keeps one action per syscall once a rule covers every call,
 * and refuses a rule less specific than one it holds (EEXIST): so when the
 * type stops for anything else too, or its rules do not fit, every call
 * stops and trace/verdict.c compares the same registers; otherwise each
 * rule is an action of its own: RET_ERRNO or RET_KILL_PROCESS with no stop
 * at all, or a stop only for the refused calls when their alert is wanted
 * (and for KILL_TREE, which the kernel cannot do). */
static int add_denies(scmp_filter_ctx ctx, struct ln_session *s, int id, int nr, bool compat)
{
	int mode = s->mode[id] ? s->mode[id] : pred_mode(s, id);
	/* a type refuse.c checks stops on every call already */
	bool own = mode == LN_TRACE_NONE && !ln_refusable(s, id) && ln_preds_hold_in(ln_type(id)->name, compat);
	for (int i = 0; own && i < s->ndenies; i++) {
		const struct ln_denyrule *d = &s->denies[i];
		if (d->type != id)
			continue;
		struct scmp_arg_cmp cmp[6];
		for (int k = 0; k < d->n; k++)
			cmp[k] = SCMP_CMP64(d->cmp[k].arg, SCMP_CMP_MASKED_EQ, d->cmp[k].mask, d->cmp[k].value);
		uint32_t act = d->alert || d->action == LN_ACT_KILL_TREE ? SCMP_ACT_TRACE(LN_DATA_TAG | LN_TRACE_ENTRY)
			: d->action == LN_ACT_DENY ? SCMP_ACT_ERRNO((uint32_t)d->err) : SCMP_ACT_KILL_PROCESS;
		if (seccomp_rule_add_array(ctx, act, nr, (unsigned)d->n, cmp) < 0)
			own = false;
	}
	if (own)
		return 0;
	return seccomp_rule_add(ctx, SCMP_ACT_TRACE(LN_DATA_TAG | (mode ? mode : LN_TRACE_ENTRY)), nr, 0);
}

/* The rules of one ABI.  compat: the 32-bit x86 ABI, whose registers do
 * not always line up with the native ones (preds_hold_in), and which has
 * names of its own for some native types. */
static int add_rules(scmp_filter_ctx ctx, struct ln_session *s, bool compat)
{
	int r = 0;
	for (int id = 0; !r && id < ln_ntypes(); id++) {
		const ln_type_info *ti = ln_type(id);
		int mode = s->mode[id];
		if (ti->nr < 0)
			continue;
		if (!strcmp(ti->name, "clone") || !strcmp(ti->name, "clone3")) {
			r = untraced_guard(ctx, s, id, compat);
			continue;
		}
		int64_t install_op = ln_filter_install_op(ti);
		if (s->ndenies && ln_deny_rules_for(s, id)) {
			if (install_op >= 0)
				s->sees_installs = false;	/* not worked out there */
			if (moves_pidns(ti))
				s->sees_pidns = false;
			r = add_denies(ctx, s, id, ti->nr, compat);
			continue;
		}
		/* A plain mode covers every call; predicates only narrow a
		 * syscall whose mode is otherwise NONE. */
		if (mode == LN_TRACE_NONE && !ln_preds_hold_in(ti->name, compat))
			mode = pred_mode(s, id);
		if (mode == LN_TRACE_NONE && ln_refusable(s, id))
			mode = LN_TRACE_GUARD;	/* stops to be refused (refuse.c) */
		if (mode != LN_TRACE_NONE)
			r = seccomp_rule_add(ctx, stop_action(s, id, mode, compat), ti->nr, 0);
		else
			r = add_preds(ctx, s, id, ti->nr, NULL, compat);
		if (!r && mode == LN_TRACE_NONE && install_op >= 0)
			r = install_guard(ctx, s, id, ti->nr, (uint32_t)install_op);
		if (!r && mode == LN_TRACE_NONE)
			pidns_guard(ctx, s, ti);
	}
	if (!r && compat)
		r = add_compat_aliases(ctx, s);
	return r;
}

/* An empty filter for one ABI, with the attributes every part shares
 * (seccomp_merge wants them equal). */
static scmp_filter_ctx new_ctx(uint32_t arch, int *r)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		*r = -ENOMEM;
		return NULL;
	}
	*r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
	if (!*r && arch != SCMP_ARCH_NATIVE) {
		*r = seccomp_arch_add(ctx, arch);
		if (!*r)
			*r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
	}
	/* binary search over syscall numbers instead of a linear chain */
	if (!*r)
		(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (*r) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/* The native ABI's filter, merged with the 32-bit one's on x86_64 (one
 * filter per ABI: their rules differ where the registers do). */
static scmp_filter_ctx make_ctx(struct ln_session *s, int *err)
{
	int r = 0;
	scmp_filter_ctx ctx = new_ctx(SCMP_ARCH_NATIVE, &r);
	if (ctx)
		r = add_rules(ctx, s, false);
#if defined(__x86_64__)
	if (ctx && !r) {
		scmp_filter_ctx c32 = new_ctx(SCMP_ARCH_X86, &r);
		if (c32)
			r = add_rules(c32, s, true);
		if (c32 && !r)
			r = seccomp_merge(ctx, c32);	/* takes c32 over */
		else if (c32)
			seccomp_release(c32);
	}
#endif
	if (r || !ctx) {
		if (ctx)
			seccomp_release(ctx);
		*err = r ? r : -ENOMEM;
		return NULL;
	}
	return ctx;
}

int ln_filter_build(struct ln_session *s, void **prog, size_t *len, bool notify)
{
	int err = 0;
	s->sees_installs = true;	/* until add_rules finds a type it cannot guard */
	s->sees_pidns = true;
	s->notif.building = notify && s->notif.use;
	if (s->notif.building)
		memset(s->notif.routed, 0, sizeof(s->notif.routed));
	scmp_filter_ctx ctx = make_ctx(s, &err);
	s->notif.building = false;
	if (!ctx) {
		ln_set_err(s, err, "building the seccomp filter: %s", strerror(-err));
		return err;
	}
	/* libseccomp 2.5 exports to an fd only: go through a memfd. */
	int fd = memfd_create("lanner-bpf", MFD_CLOEXEC);
	if (fd < 0 || seccomp_export_bpf(ctx, fd) < 0) {
		err = fd < 0 ? -errno : -EIO;
		if (fd >= 0)
			close(fd);
		seccomp_release(ctx);
		ln_set_err(s, err, "exporting the seccomp filter");
		return err;
	}
	seccomp_release(ctx);
	off_t n = lseek(fd, 0, SEEK_END);
	void *buf = n > 0 ? malloc((size_t)n) : NULL;
	if (!buf || pread(fd, buf, (size_t)n, 0) != n) {
		free(buf);
		close(fd);
		ln_set_err(s, -EIO, "reading back the seccomp filter");
		return -EIO;
	}
	close(fd);
	*prog = buf;
	*len = (size_t)n;
	return 0;
}

LN_API int ln_debug_filter(ln_session *s, int fd)
{
	int err = 0;
	/* the filter a launch would get */
	ln_notif_decide(s);
	s->notif.building = s->notif.use;
	scmp_filter_ctx ctx = make_ctx(s, &err);
	s->notif.building = false;
	if (!ctx)
		return err;
	int r = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	return r;
}

LN_API int ln_filter_export(ln_session *s, void *buf, size_t n)
{
	void *prog;
	size_t len;
	int r = ln_filter_build(s, &prog, &len, false);
	if (r < 0)
		return r;
	if (buf && n >= len)
		memcpy(buf, prog, len);
	free(prog);
	return (int)len;
}
