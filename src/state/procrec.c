/*
 * procrec.c - a process record's fields that lanner sets from more than
 * one place: its strings (each owned by the record, the public pointer
 * beside it), the cwd and comm a process changes for itself, the
 * cmdline built from them, a fork's copy of its creator, and a capture's
 * record set or cleared.  Reading them from /proc is tasks.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state/state.h"

void ln_rec_str(char **slot, const char **pub, const char *v, size_t len)
{
	char *c = malloc(len + 1);
	if (!c)
		return;
	memcpy(c, v, len);
	c[len] = '\0';
	free(*slot);
	*slot = c;
	*pub = c;
}

void ln_rec_cstr(char **slot, const char **pub, const char *v)
{
	ln_rec_str(slot, pub, v, strlen(v));
}

/* Stored with its trailing '/': the filter then compares proc.cwd where it
 * lies, with no string built per event.  Old captures have it without. */
void ln_proc_set_cwd(struct ln_pstate *p, const char *dir, size_t len)
{
	if (len == 0 || dir[len - 1] == '/') {
		ln_rec_str(&p->s_cwd, &p->pub.cwd, len ? dir : "/", len ? len : 1);
		return;
	}
	char *c = malloc(len + 2);
	if (!c)
		return;
	memcpy(c, dir, len);
	memcpy(c + len, "/", 2);
	free(p->s_cwd);
	p->s_cwd = c;
	p->pub.cwd = c;
}

/* proc.cmdline as sinsp builds it: comm, then the args after a space,
 * joined by spaces (a last NUL ends the list, it is no empty argument).
 * Built when comm or args change, so the filter finds it ready. */
void ln_proc_build_cmdline(struct ln_pstate *p)
{
	const ln_proc *d = &p->pub;
	size_t cl = strnlen(d->comm, sizeof(d->comm));
	size_t al = d->args ? d->args_len : 0;
	if (al && d->args[al - 1] == '\0')
		al--;
	char *c = malloc(cl + 1 + al + 1);
	if (!c)
		return;
	memcpy(c, d->comm, cl);
	size_t n = cl;
	if (al) {
		c[n++] = ' ';
		for (size_t i = 0; i < al; i++)
			c[n++] = d->args[i] ? d->args[i] : ' ';
	}
	c[n] = '\0';
	free(p->s_cmdline);
	p->s_cmdline = c;
	p->pub.cmdline = c;
}

/* comm stays the exec's: a process that renames itself to a trusted name
 * must not pass a rule's exception on proc.name (issue #17). */
void ln_proc_set_comm(struct ln_pstate *p, const char *comm)
{
	snprintf(p->pub.live_comm, sizeof(p->pub.live_comm), "%s", comm);
}

/* str/len: exe, exepath, args, env, cwd, root, container_id */
void ln_proc_set(struct ln_pstate *p, const char *const str[7], const uint32_t len[7])
{
	ln_proc *d = &p->pub;
	ln_rec_str(&p->s_exe, &d->exe, str[0], len[0]);
	ln_rec_str(&p->s_exepath, &d->exepath, str[1], len[1]);
	ln_rec_str(&p->s_args, &d->args, str[2], len[2]);
	d->args_len = len[2];
	ln_rec_str(&p->s_env, &d->env, str[3], len[3]);
	d->env_len = len[3];
	ln_proc_set_cwd(p, str[4], len[4]);
	ln_rec_str(&p->s_root, &d->root, str[5], len[5]);
	ln_rec_str(&p->s_cid, &d->container_id, str[6], len[6]);
	ln_proc_build_cmdline(p);
}

/* What a fork's child has of its creator's record: all but its pid,
 * ppid, vpid, start time and flags, and its fds. */
void ln_proc_copy(struct ln_pstate *p, const struct ln_pstate *parent)
{
	ln_proc *d = &p->pub;
	const ln_proc *o = &parent->pub;
	d->sid = o->sid;
	d->pgid = o->pgid;
	d->tty = o->tty;
	d->loginuid = o->loginuid;
	memcpy(d->comm, o->comm, sizeof(d->comm));
	memcpy(d->live_comm, o->live_comm, sizeof(d->live_comm));
	memcpy(d->exe_writer, o->exe_writer, sizeof(d->exe_writer));
	d->exe_ino = o->exe_ino;
	d->exe_dev = o->exe_dev;
	d->exe_mtime = o->exe_mtime;
	d->exe_ctime = o->exe_ctime;
	d->exec_ts = o->exec_ts;
	ln_rec_cstr(&p->s_exe, &d->exe, o->exe ? o->exe : "");
	ln_rec_cstr(&p->s_exepath, &d->exepath, o->exepath ? o->exepath : "");
	ln_rec_str(&p->s_args, &d->args, o->args ? o->args : "", o->args_len);
	d->args_len = o->args_len;
	ln_rec_str(&p->s_env, &d->env, o->env ? o->env : "", o->env_len);
	d->env_len = o->env_len;
	ln_proc_set_cwd(p, o->cwd ? o->cwd : "/", o->cwd ? strlen(o->cwd) : 1);
	ln_rec_cstr(&p->s_root, &d->root, o->root ? o->root : "/");
	ln_rec_cstr(&p->s_cid, &d->container_id, o->container_id ? o->container_id : "host");
	ln_proc_build_cmdline(p);
}

/* A replica's record made anew for its pid: no fds (each one's end
 * journaled), no strings. */
void ln_proc_clear(struct ln_pstate *p)
{
	for (ln_fd *f = ln_fd_after(p, -1), *next; f; f = next) {
		next = ln_fd_after(p, f->num);
		ln_fd_del(p, f->num);
	}
	static const char *const none[7] = { "", "", "", "", "", "", "" };
	static const uint32_t zero[7];
	ln_proc_set(p, none, zero);
	memset(p->pub.comm, 0, sizeof(p->pub.comm));
	memset(p->pub.live_comm, 0, sizeof(p->pub.live_comm));
	memset(p->pub.exe_writer, 0, sizeof(p->pub.exe_writer));
}
