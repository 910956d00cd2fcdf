/*
 * bpfprog.c - the BPF program a seccomp filter install hands the kernel,
 * read at the call's entry for the seccomp.* fields.
 *
 * What is read here is informational only: another thread can change the
 * program between this read and the kernel's copy, so no verdict of
 * lanner's rests on it (refusals look at registers, trace/refuse.c).  It
 * is read for seccomp(SECCOMP_SET_MODE_FILTER, ...) and
 * prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ...), the two calls that take
 * a struct sock_fprog; the parameter keeps the instructions (8 bytes each).
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include "decode/decode.h"

/* The most instructions the kernel accepts in one program. */
enum { PROG_MAX = BPF_MAXINSNS };

/* The calls that install a seccomp filter, the one list of them: the
 * types with a bpf_prog parameter (syscalls.def), and the value of their
 * first argument that makes them install one (seccomp(2)'s operation,
 * prctl's option); -1 for any other type.  filter.c makes these stop
 * always, clone3.c keeps count of who made them. */
int64_t ln_filter_install_op(const ln_type_info *ti)
{
	bool prog = false;
	for (int i = 0; i < ti->nparams; i++)
		prog |= ti->kind[i] == LN_K_BPF_PROG;
	if (!prog)
		return -1;
	if (!strcmp(ti->name, "seccomp"))
		return SECCOMP_SET_MODE_FILTER;
	if (!strcmp(ti->name, "prctl"))
		return PR_SET_SECCOMP;
	return -1;
}

/* Whether the call hands the kernel a struct sock_fprog (its third argument). */
bool ln_installs_filter(const ln_type_info *ti, const uint64_t *a)
{
	int64_t op = ln_filter_install_op(ti);
	if (op < 0 || (uint32_t)a[0] != (uint32_t)op)
		return false;
	/* prctl(PR_SET_SECCOMP) takes the mode next (strict mode has no filter) */
	return strcmp(ti->name, "prctl") || (uint32_t)a[1] == SECCOMP_MODE_FILTER;
}

/* struct sock_fprog is { u16 len; pointer filter; }: 16 bytes on a 64-bit
 * ABI, 8 on the 32-bit one (the pointer at offset 4). */
static bool read_fprog(struct ln_tstate *t, uint64_t addr, uint32_t *len, uint64_t *insns)
{
	unsigned char b[16];
	size_t n = t->compat ? 8 : 16;
	if (ln_mem_read(t->pub.tid, addr, b, n) != (ssize_t)n)
		return false;
	uint16_t l;
	memcpy(&l, b, 2);
	if (t->compat) {
		uint32_t p;
		memcpy(&p, b + 4, 4);
		*insns = p;
	} else {
		memcpy(insns, b + 8, 8);
	}
	*len = l;
	return true;
}

void ln_args_bpf_prog(struct ln_tstate *t, const ln_type_info *ti)
{
	ln_event *ev = &t->ev;
	for (int i = 0; i < ti->nparams; i++) {
		ln_param *p = &ev->params[i];
		if (ti->kind[i] != LN_K_BPF_PROG || ti->src[i] >= 6)
			continue;
		p->val = (int64_t)ev->rawargs[ti->src[i]];
		if (!ln_installs_filter(ti, ev->rawargs))
			continue;
		if (!p->val) {
			p->flags |= LN_PF_NULL;
			continue;
		}
		uint32_t len;
		uint64_t insns;
		if (!read_fprog(t, (uint64_t)p->val, &len, &insns) || !insns) {
			p->flags |= LN_PF_FAULT;
			continue;
		}
		if (len > PROG_MAX)
			continue;	/* the kernel says EINVAL: shown as the pointer */
		size_t bytes = (size_t)len * sizeof(struct sock_filter);
		struct ln_arena *a = &t->arena;
		if (ln_arena_reserve(a, bytes + 1) < 0)
			continue;
		if (bytes && ln_mem_read(t->pub.tid, insns, a->buf + a->len, bytes) != (ssize_t)bytes) {
			p->flags |= LN_PF_FAULT;
			continue;
		}
		t->off[i] = (uint32_t)a->len;
		a->buf[a->len + bytes] = '\0';
		a->len += bytes + 1;
		p->len = (uint32_t)bytes;
		p->flags |= LN_PF_READ;
	}
}
