/*
 * consts.h - constant tables of the core: names of flags, enums and errnos
 * per enum ln_kind.  Internal to the C core (the FFI sees only lanner.h).
 *
 * The tables live in consts_fs.c, consts_net.c, consts_proc.c and
 * consts_mem.c, one array per kind, one constant a line, built from the
 * system headers' macros so the values are right for the architecture
 * being compiled.  consts.c maps kinds to tables and holds errno names;
 * render.c prints with them.
 */
#ifndef LN_CONSTS_H
#define LN_CONSTS_H

#include <stddef.h>
#include <stdint.h>
#include "lanner.h"

/* The build hides every symbol (-fvisibility=hidden); what lanner.h
 * declares is marked with this. */
#ifndef LN_API
#define LN_API __attribute__((visibility("default")))
#endif

/*
 * One named value.  "(v & mask) == val" says whether it applies to v:
 *   a plain flag has mask == val (O_CREAT);
 *   a value of a multi-bit field has the field as mask (O_RDWR in
 *   O_ACCMODE, MAP_PRIVATE in MAP_TYPE), so O_RDONLY can match 0;
 *   a name for the whole value being 0 has an all-ones mask (PROT_NONE).
 * An alias is found by name (ln_const_value) but never printed.
 */
struct ln_xval {
	uint64_t val;
	uint64_t mask;
	const char *name;
	int alias;
};

enum ln_xstyle {
	LN_XS_ENUM,	/* one value: "9(SIGKILL)" */
	LN_XS_FLAGS	/* bits and fields: "577(O_WRONLY|O_CREAT|O_TRUNC)" */
};

struct ln_xtable {
	const struct ln_xval *v;
	size_t n;
	uint8_t style;	/* enum ln_xstyle */
	uint8_t bits;	/* 32: the kernel reads an int, so registers are cut
			   to 32 bits (enums sign-extended); 64: a long */
};

#define LN_X(c)		{ (uint64_t)(c), (uint64_t)(c), #c, 0 }
#define LN_XF(c, m)	{ (uint64_t)(c), (uint64_t)(m), #c, 0 }
#define LN_XZ(c)	{ (uint64_t)(c), ~(uint64_t)0, #c, 0 }
#define LN_XA(c)	{ (uint64_t)(c), (uint64_t)(c), #c, 1 }
/* For values the installed headers lack or do not export. */
#define LN_XN(v, s)	{ (uint64_t)(v), (uint64_t)(v), s, 0 }
#define LN_XNA(v, s)	{ (uint64_t)(v), (uint64_t)(v), s, 1 }
#define LN_XTABLE(a, style, bits) { a, sizeof(a) / sizeof((a)[0]), style, bits }

/* consts_fs.c */
extern const struct ln_xtable ln_x_oflags, ln_x_atflags, ln_x_dirfd,
	ln_x_fcntl, ln_x_rename, ln_x_fdflags, ln_x_mount, ln_x_umount,
	ln_x_module;
/* consts_net.c */
extern const struct ln_xtable ln_x_domain, ln_x_socktype, ln_x_proto,
	ln_x_shut, ln_x_level, ln_x_sockopt, ln_x_msgflags;
/* consts_proc.c */
extern const struct ln_xtable ln_x_signal, ln_x_clone, ln_x_nstype,
	ln_x_ptrace, ln_x_prctl, ln_x_bpf, ln_x_clockid, ln_x_seccomp_op,
	ln_x_seccomp_flags;
/* consts_mem.c */
extern const struct ln_xtable ln_x_prot, ln_x_mmap, ln_x_memfd;

/* Table of a kind, or NULL if the kind has no names. */
const struct ln_xtable *ln_xtable_of(int kind);
/* v cut to the table's width: the value its names are matched against. */
uint64_t ln_xnorm(const struct ln_xtable *t, int64_t v);
/* Printed (non-alias) name of exactly v (already ln_xnorm'ed), or NULL. */
const char *ln_xname(const struct ln_xtable *t, uint64_t v);

#endif
