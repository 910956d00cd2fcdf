/*
 * effects.h - state-table updates run at a syscall's exit, one per row of
 * src/syscalls.def that names one.  Grouped by family: file.c, net.c, proc.c.
 */
#ifndef LN_EFFECTS_H
#define LN_EFFECTS_H
#include "core.h"

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
EFFECT(effect_setsid);
EFFECT(effect_bpf);

#define none NULL
#endif
