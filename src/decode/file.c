/*
 * file.c - fd table effects of file syscalls: open family, close, dup,
 * fcntl(F_DUPFD), pipes and the other fd-making syscalls, chdir, chroot.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "decode/decode.h"

/* open, openat, openat2, creat: the fd's name is what the kernel says it
 * opened (/proc/PID/fd/N), which resolves dirfd, cwd and symlinks. */
EFFECT(effect_open)
{
	if (ev->res < 0)
		return;
	ln_fd *f = ln_fd_set(PROC(t), (int)ev->res);
	if (!f)
		return;
	const ln_type_info *ti = ln_type(ev->type);
	for (int i = 0; i < ti->nparams; i++)
		if (ti->kind[i] == LN_K_OFLAGS || ti->kind[i] == LN_K_OPEN_HOW)
			f->flags = (uint32_t)ev->params[i].val;
	if (!strcmp(ti->name, "creat"))
		f->flags = O_CREAT | O_WRONLY | O_TRUNC;
	ln_fd_from_kernel(s, PROC(t), f);
	if (f->flags & (O_WRONLY | O_RDWR))
		ln_written_note(s, f, PROC(t)->pub.comm);
}

/* futimens(fd) is utimensat(fd, NULL, ...): the times went to the fd's own
 * file, which the fd table must name even if the open or dup that made
 * the fd did not stop (fs.path.name reads it). */
EFFECT(effect_utimes)
{
	if (ev->res != 0 || !(ev->params[2].flags & LN_PF_NULL))
		return;
	int fd = (int)ev->params[1].val;
	if (fd < 0 || ln_fd_unchanged(PROC(t), fd))
		return;
	ln_fd *f = ln_fd_set(PROC(t), fd);
	if (f)
		ln_fd_from_kernel(s, PROC(t), f);
}

EFFECT(effect_close)
{
	struct ln_pstate *p = PROC(t);
	int fd = (int)ev->params[1].val;
	const ln_fd *f = ln_fd_at(p, fd);
	if (!f)
		return;
	/* The event still shows the fd it closed: keep a copy. */
	s->closed_fd = *f;
	snprintf(s->closed_name, sizeof(s->closed_name), "%s", f->name);
	s->closed_fd.name = s->closed_name;
	if (ev->res == 0 || ev->res == -9 /* EBADF: gone anyway */)
		ln_fd_del(p, fd);
}

static void copy_fd(struct ln_pstate *p, int from, int to, uint32_t cloexec)
{
	if (!ln_fd_at(p, from) || from == to)
		return;
	ln_fd tmp = *ln_fd_at(p, from);
	const char *name = ln_name_dup(tmp.name);
	ln_fd *f = ln_fd_set(p, to);
	if (!f) {
		ln_name_drop(name);
		return;
	}
	ln_name_drop(f->name);
	*f = tmp;
	f->num = to;
	f->name = name;
	f->flags = (f->flags & ~(uint32_t)O_CLOEXEC) | cloexec;
}

EFFECT(effect_dup)
{
	if (ev->res < 0)
		return;
	const ln_type_info *ti = ln_type(ev->type);
	uint32_t cloexec = ti->nparams > 3 ? (uint32_t)ev->params[3].val & O_CLOEXEC : 0;
	copy_fd(PROC(t), (int)ev->params[1].val, (int)ev->res, cloexec);
}

EFFECT(effect_fcntl)
{
	int cmd = (int)ev->params[2].val;
	if (ev->res < 0 || (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC))
		return;
	copy_fd(PROC(t), (int)ev->params[1].val, (int)ev->res, cmd == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0);
}

/* Any other syscall whose result is a new fd: the kernel names it. */
EFFECT(effect_newfd)
{
	if (ev->res < 0)
		return;
	ln_fd *f = ln_fd_set(PROC(t), (int)ev->res);
	if (f)
		ln_fd_from_kernel(s, PROC(t), f);
}

EFFECT(effect_pipe)
{
	int fds[2];
	if (!ln_event_fdpair(t, 1, fds))
		return;
	for (int i = 0; i < 2; i++) {
		ln_fd *f = ln_fd_set(PROC(t), fds[i]);
		if (f)
			ln_fd_from_kernel(s, PROC(t), f);
	}
}

EFFECT(effect_cwd)
{
	char buf[LN_STR_MAX];
	struct ln_pstate *p = PROC(t);
	if (ev->res < 0 || !ln_readlink_proc(t->pub.tid, "cwd", buf, sizeof(buf)))
		return;
	ln_proc_set_cwd(p, buf, strlen(buf));
	ln_state_changed(s, LN_TOUCH_CWD, p->pub.pid, 0);
}

EFFECT(effect_chroot)
{
	char buf[LN_STR_MAX];
	struct ln_pstate *p = PROC(t);
	if (ev->res < 0 || !ln_readlink_proc(t->pub.tid, "root", buf, sizeof(buf)))
		return;
	char *c = strdup(buf);
	if (!c)
		return;
	free(p->s_root);
	p->s_root = c;
	p->pub.root = c;
	ln_state_changed(s, LN_TOUCH_PROC, p->pub.pid, 0);
}
