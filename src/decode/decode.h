/*
 * decode.h - a syscall's parameters read by kind at its stops (args.c),
 * and the state-table updates run at its exit, one per row of
 * table/syscalls.def that names one, grouped by family: file.c, net.c,
 * proc.c (effects.c maps types to them).  Uses base/, table/, state/.
 */
#ifndef LN_DECODE_H
#define LN_DECODE_H
#include "base/base.h"
#include "table/table.h"
#include "state/state.h"

/* A state update run at a syscall's exit. */
typedef void (*ln_effect_fn)(struct ln_session *s, struct ln_tstate *t, ln_event *ev);

/* args.c: parameters by kind */
void ln_args_entry(struct ln_session *s, struct ln_tstate *t);
void ln_args_exit(struct ln_session *s, struct ln_tstate *t);
void ln_event_finish(struct ln_session *s, struct ln_tstate *t);
bool ln_event_fdpair(const struct ln_tstate *t, int i, int fds[2]);
/* bpfprog.c: an LN_K_BPF_PROG parameter read at entry (a filter install) */
/* The first argument that makes a type's call install a seccomp filter, or
 * -1; whether these arguments do. */
int64_t ln_filter_install_op(const ln_type_info *ti);
bool ln_installs_filter(const ln_type_info *ti, const uint64_t *args);
void ln_args_bpf_prog(struct ln_tstate *t, const ln_type_info *ti);

/* effects.c: the effect of a type id, NULL for none. */
ln_effect_fn ln_type_effect(int id);

#define EFFECT(name) void name(struct ln_session *s, struct ln_tstate *t, ln_event *ev)
/* The thread's process as the core's own record. */
#define PROC(t) ((struct ln_pstate *)(t)->pub.proc)

/* file.c */
EFFECT(effect_open);
EFFECT(effect_close);
EFFECT(effect_dup);
EFFECT(effect_fcntl);
EFFECT(effect_cwd);
EFFECT(effect_chroot);
EFFECT(effect_newfd);
EFFECT(effect_pipe);
EFFECT(effect_utimes);
/* net.c */
EFFECT(effect_socket);
EFFECT(effect_socketpair);
EFFECT(effect_connect);
EFFECT(effect_accept);
EFFECT(effect_bind);
EFFECT(effect_listen);
EFFECT(effect_sendto);
EFFECT(effect_recvfrom);
/* proc.c */
EFFECT(effect_creds);
EFFECT(effect_prctl);
EFFECT(effect_vm);
EFFECT(effect_setsid);
EFFECT(effect_bpf);

#endif
