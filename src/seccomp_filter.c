/*
 * seccomp_filter.c - the BPF program that decides which syscalls stop.
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
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "core.h"

/* CLONE_UNTRACED would make a child the tracer never sees, which would
 * still carry the filter: an escape, or a broken child.  clone's flags are
 * a register, so the filter refuses it (EPERM).  clone3's are in memory,
 * which another thread can change between any check and the kernel's own
 * read: clone3 always stops, the tracer refuses the flag at entry, and at
 * the exit seizes a child that got past anyway (LN_TRACE_GUARD: the exit is
 * needed, an event only if asked for). */
static int untraced_guard(scmp_filter_ctx ctx, const ln_type_info *ti, int mode)
{
	if (!strcmp(ti->name, "clone3"))
		return seccomp_rule_add(ctx, SCMP_ACT_TRACE(LN_DATA_TAG | (mode ? LN_TRACE_EXIT : LN_TRACE_GUARD)),
					ti->nr, 0);
	struct scmp_arg_cmp untraced = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_UNTRACED, CLONE_UNTRACED);
	int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), ti->nr, 1, untraced);
	if (!r && mode != LN_TRACE_NONE) {
		struct scmp_arg_cmp traced = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_UNTRACED, 0);
		r = seccomp_rule_add(ctx, SCMP_ACT_TRACE(LN_DATA_TAG | mode), ti->nr, 1, traced);
	}
	return r;
}

static scmp_filter_ctx make_ctx(struct ln_session *s, int *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		*err = -ENOMEM;
		return NULL;
	}
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
#if defined(__x86_64__)
	if (!r)
		r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
#endif
	/* binary search over syscall numbers instead of a linear chain */
	if (!r)
		(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (int id = 0; !r && id < ln_ntypes(); id++) {
		const ln_type_info *ti = ln_type(id);
		int mode = s->mode[id];
		if (ti->nr < 0)
			continue;
		if (!strcmp(ti->name, "clone") || !strcmp(ti->name, "clone3")) {
			r = untraced_guard(ctx, ti, mode);
			continue;
		}
		/* A plain mode covers every call; predicates only narrow a
		 * syscall whose mode is otherwise NONE. */
		if (mode != LN_TRACE_NONE) {
			r = seccomp_rule_add(ctx, SCMP_ACT_TRACE(LN_DATA_TAG | mode), ti->nr, 0);
			continue;
		}
		for (int i = 0; !r && i < s->npreds; i++) {
			const struct ln_argpred *p = &s->preds[i];
			if (p->type != id)
				continue;
			struct scmp_arg_cmp cmp = SCMP_CMP64(p->arg, SCMP_CMP_MASKED_EQ, p->mask, p->value);
			r = seccomp_rule_add(ctx, SCMP_ACT_TRACE(LN_DATA_TAG | p->mode), ti->nr, 1, cmp);
		}
	}
	if (r) {
		seccomp_release(ctx);
		*err = r;
		return NULL;
	}
	return ctx;
}

int ln_filter_build(struct ln_session *s, void **prog, size_t *len)
{
	int err = 0;
	scmp_filter_ctx ctx = make_ctx(s, &err);
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
	scmp_filter_ctx ctx = make_ctx(s, &err);
	if (!ctx)
		return err;
	int r = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	return r;
}
