/*
 * proc.c - process-state effects: credentials, the comm a thread sets for
 * itself, sessions and process groups, memory figures, bpf fds.  fork/clone/exec/exit are
 * not here: they come from ptrace's own events (src/trace/stops.c).
 */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include "decode/decode.h"

/* After any set*id or capset: read what the kernel decided, which covers
 * saved ids, capability side effects and every set*id variant at once. */
EFFECT(effect_creds)
{
	if (ev->res == 0)
		ln_proc_load_creds(t, false);
}

EFFECT(effect_prctl)
{
	if (ev->res != 0 || ev->params[1].val != PR_SET_NAME)
		return;
	/* the new comm is in the tracee's memory at arg2 */
	char buf[LN_COMM_LEN];
	ssize_t n = ln_mem_read(t->pub.tid, ev->rawargs[1], buf, LN_COMM_LEN);
	if (n > 0) {
		buf[n < LN_COMM_LEN ? n : LN_COMM_LEN - 1] = '\0';
		ln_proc_set_comm(PROC(t), buf);
		ln_state_changed(s, LN_TOUCH_COMM, t->pub.proc->pid, 0);
	}
}

/* brk, mmap and munmap change the memory figures, and Falco's driver
 * reports them at these calls' exits as at exec and fork: read them again
 * (even after a failure, as the driver does) if something reads them. */
EFFECT(effect_vm)
{
	(void)ev;
	if (!s->want_vm)
		return;
	ln_thread_load_vm(s, t);	/* the calling thread's, as libsinsp */
	ln_state_changed(s, LN_TOUCH_VM, t->pub.tid, 0);
}

EFFECT(effect_setsid)
{
	if (ev->res < 0)
		return;
	ln_proc *p = t->pub.proc;
	ln_state_changed(s, LN_TOUCH_PROC, p->pid, 0);
	if (!strcmp(ln_type(ev->type)->name, "setsid")) {
		p->sid = (int32_t)ev->res;
		p->pgid = (int32_t)ev->res;
		p->tty = 0;
	} else if (ev->params[1].val == 0 || ev->params[1].val == p->pid) {
		pid_t target = (pid_t)ev->params[2].val;
		if (ev->params[2].val == 0 || target == p->pid)
			p->pgid = p->pid;
		else
			p->pgid = target;
	}
}

EFFECT(effect_bpf)
{
	/* BPF_MAP_CREATE, BPF_PROG_LOAD, ... return fds; other commands 0 */
	if (ev->res <= 0)
		return;
	/* the commands that return a new fd */
	static const int fd_cmds[] = { 0, 5, 7, 13, 14, 18, 19, 28, 29, 32 };
	int cmd = (int)ev->params[1].val;
	bool makes_fd = false;
	for (size_t i = 0; i < sizeof(fd_cmds) / sizeof(fd_cmds[0]); i++)
		makes_fd |= cmd == fd_cmds[i];
	if (!makes_fd)
		return;
	ln_fd *f = ln_fd_set(PROC(t), (int)ev->res);
	if (f)
		ln_fd_from_kernel(s, PROC(t), f);
}
