/*
 * tasks.c - the thread and process tables (fds: fdtable.c, sockets: socket.c).
 *
 * Threads and processes live in two hash tables keyed by tid and pid.
 * A process is filled from /proc when lanner first meets it without a
 * known creator (launch, attach, a child whose parent event has not arrived
 * yet), and copied from its creator on fork.  /proc is read only at those
 * moments and at exec, never per syscall.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "state/state.h"

static unsigned hash(pid_t id)
{
	return (unsigned)id * 2654435761u % LN_THASH;
}

struct ln_tstate *ln_thread_find(struct ln_session *s, pid_t tid)
{
	for (struct ln_tstate *t = s->threads[hash(tid)]; t; t = t->hnext)
		if (t->pub.tid == tid)
			return t;
	return NULL;
}

struct ln_pstate *ln_proc_find(struct ln_session *s, pid_t pid)
{
	for (struct ln_pstate *p = s->procs[hash(pid)]; p; p = p->hnext)
		if (p->pub.pid == pid && !p->dead)
			return p;
	return NULL;
}

static void load_container_id(struct ln_pstate *p)
{
	char buf[4096], id[80] = "host";	/* the full id: Falco's container.full_id */
	int rt = 0;
	if (ln_read_proc_file(p->pub.pid, "cgroup", buf, sizeof(buf)) > 0)
		rt = ln_container_id(buf, id, sizeof(id));
	ln_rec_cstr(&p->s_cid, &p->pub.container_id, id);
	p->pub.flags = (p->pub.flags & ~(uint32_t)LN_PROC_CT_MASK) |
		((uint32_t)(rt > 0 ? rt : 0) << LN_PROC_CT_SHIFT);
}

/* ppid, pgid, sid, tty from /proc/PID/stat (after the comm in parens). */
static void load_stat(struct ln_pstate *p)
{
	char buf[1024];
	if (ln_read_proc_file(p->pub.pid, "stat", buf, sizeof(buf)) <= 0)
		return;
	char *rp = strrchr(buf, ')');
	if (!rp)
		return;
	char state;
	int ppid, pgid, sid, tty;
	if (sscanf(rp + 1, " %c %d %d %d %d", &state, &ppid, &pgid, &sid, &tty) == 5) {
		p->pub.ppid = ppid;
		p->pub.pgid = pgid;
		p->pub.sid = sid;
		p->pub.tty = (uint32_t)tty;
	}
}

/* The pids in the task's innermost pid namespace (NSpid, NStgid: their
 * last column); *flat (may be NULL) says whether that namespace is
 * /proc's own (one column), where every thread's vtid is its tid. */
static void load_ns_pid(pid_t tid, int32_t *vpid, int32_t *vtid, bool *flat)
{
	char buf[2048];
	*vpid = *vtid = 0;
	if (flat)
		*flat = false;
	if (ln_read_proc_file(tid, "status", buf, sizeof(buf)) <= 0)
		return;
	int cols = ln_status_column(buf, "NSpid", -1, vtid);
	if (flat)
		*flat = cols == 1;
	ln_status_column(buf, "NStgid", -1, vpid);
}

static void set_vm(ln_thread *d, const uint64_t vm[3]);

void ln_proc_load_creds(struct ln_tstate *t, bool vm)
{
	char buf[4096];
	if (ln_read_proc_file(t->pub.tid, "status", buf, sizeof(buf)) <= 0)
		return;
	unsigned r, e, sv, fs;
	char *q;
	if ((q = strstr(buf, "\nUid:")) && sscanf(q + 5, "%u %u %u %u", &r, &e, &sv, &fs) == 4) {
		t->pub.ruid = r;
		t->pub.uid = e;
	}
	if ((q = strstr(buf, "\nGid:")) && sscanf(q + 5, "%u %u %u %u", &r, &e, &sv, &fs) == 4) {
		t->pub.rgid = r;
		t->pub.gid = e;
	}
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	if (vm && p && p->sess && p->sess->want_vm) {
		uint64_t vm[3];
		ln_parse_vm(buf, vm);
		set_vm(&t->pub, vm);
	}
	unsigned long long c;
	if ((q = strstr(buf, "\nCapInh:")) && sscanf(q + 8, "%llx", &c) == 1)
		t->pub.cap_inheritable = c;
	if ((q = strstr(buf, "\nCapPrm:")) && sscanf(q + 8, "%llx", &c) == 1)
		t->pub.cap_permitted = c;
	if ((q = strstr(buf, "\nCapEff:")) && sscanf(q + 8, "%llx", &c) == 1)
		t->pub.cap_effective = c;
	if (p && p->sess)
		ln_state_changed(p->sess, LN_TOUCH_THREAD, t->pub.tid, 0);
}

/* The memory figures a thread's events are reported with (proc.vmsize,
 * vmrss, vmswap): VmSize, VmRSS and VmSwap of /proc/TID/status, read
 * where Falco's driver reads them, at a thread's creation (its creator's,
 * at the clone: trace/children.c) and exec (with the credentials, from the
 * same read) and at a traced brk, mmap or munmap (here), kept per thread
 * as libsinsp keeps them, so that an event shows them as of then and not
 * as of whenever a rule runs: with the queue that can be after the
 * process ended or its pid went to another.  Only if something reads them
 * (ln_set_want_vm); a read that fails leaves them as they were. */
static void set_vm(ln_thread *d, const uint64_t vm[3])
{
	d->vm_size_kb = vm[0];
	d->vm_rss_kb = vm[1];
	d->vm_swap_kb = vm[2];
}

void ln_thread_load_vm(struct ln_session *s, struct ln_tstate *t)
{
	uint64_t vm[3];
	if (s->want_vm && ln_read_vm(t->pub.tid, vm))
		set_vm(&t->pub, vm);
}

/* Everything exec replaces: comm, exe, exepath, args, env, the
 * executable's properties, and the container (the cgroup it runs in).  Called at launch, attach and PTRACE_EVENT_EXEC. */
void ln_proc_load_exec(struct ln_session *s, struct ln_pstate *p, uint64_t now)
{
	pid_t pid = p->pub.pid;
	char buf[LN_ENV_MAX];
	ssize_t n;

	if ((n = ln_read_proc_file(pid, "comm", buf, sizeof(p->pub.comm) + 1)) > 0) {
		if (buf[n - 1] == '\n')
			buf[--n] = '\0';
		buf[sizeof(p->pub.comm) - 1] = '\0';
		memcpy(p->pub.comm, buf, sizeof(p->pub.comm));
	}
	n = ln_read_proc_file(pid, "cmdline", buf, LN_ARGV_MAX);
	if (n > 0) {
		size_t l0 = strnlen(buf, (size_t)n);
		ln_rec_str(&p->s_exe, &p->pub.exe, buf, l0);
		/* "argv0\0argv1\0...\0": the last NUL ends the list */
		size_t rest = (size_t)n > l0 + 1 ? (size_t)n - l0 - 1 : 0;
		if (rest && buf[l0 + rest] == '\0')
			rest--;
		ln_rec_str(&p->s_args, &p->pub.args, buf + l0 + 1, rest);
		p->pub.args_len = (uint32_t)rest;
	} else {
		ln_rec_cstr(&p->s_exe, &p->pub.exe, p->pub.comm);
		ln_rec_str(&p->s_args, &p->pub.args, "", 0);
		p->pub.args_len = 0;
	}
	n = ln_read_proc_file(pid, "environ", buf, sizeof(buf));
	if (n < 0)
		n = 0;
	if (n > 0 && buf[n - 1] == '\0')
		n--;
	ln_rec_str(&p->s_env, &p->pub.env, buf, (size_t)n);
	p->pub.env_len = (uint32_t)n;
	ln_proc_build_cmdline(p);
	/* at every exec, as Falco: a runtime moves its init into the
	 * container's cgroup and then execs the container's program */
	load_container_id(p);

	p->pub.flags &= ~(uint32_t)(LN_PROC_EXE_FROM_MEMFD | LN_PROC_EXE_WRITABLE | LN_PROC_EXE_UPPER);
	if (ln_readlink_proc(pid, "exe", buf, sizeof(buf))) {
		ln_rec_cstr(&p->s_exepath, &p->pub.exepath, buf);
		if (!strncmp(buf, "/memfd:", 7))
			p->pub.flags |= LN_PROC_EXE_FROM_MEMFD;
		else if (!s->no_upper_check && ln_exe_in_upper_layer(pid, buf))
			p->pub.flags |= LN_PROC_EXE_UPPER;
	} else {
		ln_rec_cstr(&p->s_exepath, &p->pub.exepath, "");
	}
	/* The file's identity and times, and who in the traced tree wrote it.
	 * Writable by its owner's uid: the exe's mode bits as stat tells. */
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	int st_ok = stat(path, &st) == 0;
	p->pub.live_comm[0] = '\0';
	p->pub.exe_writer[0] = '\0';
	p->pub.exe_ino = st_ok ? st.st_ino : 0;
	p->pub.exe_dev = st_ok ? st.st_dev : 0;
	p->pub.exe_mtime = st_ok ? (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec : 0;
	p->pub.exe_ctime = st_ok ? (uint64_t)st.st_ctim.tv_sec * 1000000000u + (uint64_t)st.st_ctim.tv_nsec : 0;
	const char *writer = st_ok ? ln_written_by(s, st.st_dev, st.st_ino) : NULL;
	if (writer)
		snprintf(p->pub.exe_writer, sizeof(p->pub.exe_writer), "%s", writer);
	if (st_ok && (st.st_mode & (S_IWOTH | S_IWGRP | S_IWUSR)) &&
	    !(p->pub.flags & LN_PROC_EXE_FROM_MEMFD)) {
		struct ln_tstate *lead = ln_thread_find(s, pid);
		uint32_t uid = lead ? lead->pub.uid : 0;
		if ((st.st_mode & S_IWOTH) || (st.st_uid == uid && (st.st_mode & S_IWUSR)) || uid == 0)
			p->pub.flags |= LN_PROC_EXE_WRITABLE;
	}
	p->pub.exec_ts = now;
	ln_state_changed(s, LN_TOUCH_PROC, pid, 0);
}

/* announce: journal the new process as a PROC change; a fork's copy is
 * journaled as a FORK instead (its record and fds are its creator's). */
static void proc_link(struct ln_session *s, struct ln_pstate *p, bool announce)
{
	unsigned h = hash(p->pub.pid);
	p->hnext = s->procs[h];
	s->procs[h] = p;
	p->lnext = s->plist;
	if (s->plist)
		s->plist->lprev = p;
	s->plist = p;
	LN_STAT_ADD(s, procs_seen, 1);
	p->sess = s;
	if (announce)
		ln_state_changed(s, LN_TOUCH_PROC, p->pub.pid, 0);
}

static struct ln_pstate *proc_alloc(pid_t pid)
{
	struct ln_pstate *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pub.pid = pid;
	p->pidfd = -1;
	p->pub.loginuid = 4294967295u;
	p->own_filters = true;	/* until a creator says otherwise */
	return p;
}

/* A process met for the first time with no creator to copy from. */
static struct ln_pstate *proc_from_proc(struct ln_session *s, pid_t pid, bool fds)
{
	struct ln_pstate *p = proc_alloc(pid);
	if (!p)
		return NULL;
	char buf[LN_STR_MAX];
	load_stat(p);
	int32_t vtid;
	load_ns_pid(pid, &p->pub.vpid, &vtid, &p->ns_flat);
	if (ln_read_proc_file(pid, "loginuid", buf, 32) > 0)
		p->pub.loginuid = (uint32_t)strtoul(buf, NULL, 10);
	const char *cwd = ln_readlink_proc(pid, "cwd", buf, sizeof(buf));
	ln_proc_set_cwd(p, cwd ? cwd : "/", cwd ? strlen(cwd) : 1);
	ln_rec_cstr(&p->s_root, &p->pub.root, ln_readlink_proc(pid, "root", buf, sizeof(buf)) ? buf : "/");
	/* start time: field 22 of stat is in clock ticks since boot; the
	 * creation moment is close enough to "now" for launched programs,
	 * and attach uses it as "first seen". */
	p->pub.start_ts = ln_now_realtime();
	proc_link(s, p, true);
	ln_proc_load_exec(s, p, p->pub.start_ts);
	if (fds)
		ln_proc_scan_fds(s, p);
	return p;
}

/* --- replaying a capture: records made from blocks, not from /proc --- */

struct ln_pstate *ln_proc_obtain(struct ln_session *s, pid_t pid)
{
	struct ln_pstate *p = ln_proc_find(s, pid);
	if (p)
		return p;
	p = proc_alloc(pid);
	if (p)
		proc_link(s, p, true);
	return p;
}

struct ln_tstate *ln_thread_obtain(struct ln_session *s, pid_t tid, struct ln_pstate *p)
{
	struct ln_tstate *t = ln_thread_find(s, tid);
	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->stat_fd = -1;
	t->pub.tid = tid;
	t->pub.proc = &p->pub;
	p->pub.nthreads++;
	unsigned h = hash(tid);
	t->hnext = s->threads[h];
	s->threads[h] = t;
	s->ntracees++;
	LN_STAT_ADD(s, threads_seen, 1);
	return t;
}

/* lanner and its ancestors (or an attached process's), read once from
 * /proc, so that the ancestry of a traced program reaches past where
 * tracing began: proc.pname of a launched command is "lanner", aname[2]
 * the shell that ran lanner.  Never traced, never updated. */
void ln_proc_add_ancestors(struct ln_session *s, pid_t pid)
{
	for (int depth = 0; pid > 0 && depth < 64 && !ln_proc_find(s, pid); depth++) {
		struct ln_pstate *p = proc_from_proc(s, pid, false);
		if (!p)
			return;
		p->pub.flags |= LN_PROC_UNTRACED;
		LN_STAT_SET(s, procs_seen, s->stats.procs_seen - 1);	/* context, not a traced process */
		pid = p->pub.ppid;
	}
}

/* fork: the child starts as a copy of its creator.  flat: the child is
 * known to be in /proc's pid namespace (its creator's children go there
 * and it was not made with CLONE_NEWPID): its vpid is its pid, no
 * /proc/PID/status read (half the /proc work of a fork).  ppid: its
 * parent, which is not its creator after CLONE_PARENT (0: the creator).
 * Journaled as one FORK change: a capture that its reader keeps in
 * step (the queue) sends the few fields above, not the record and every
 * fd again. */
static struct ln_pstate *proc_fork(struct ln_session *s, pid_t pid, struct ln_pstate *parent, uint64_t now,
				   bool flat, pid_t ppid)
{
	struct ln_pstate *p = proc_alloc(pid);
	if (!p)
		return NULL;
	ln_proc *d = &p->pub;
	const ln_proc *o = &parent->pub;
	d->ppid = ppid > 0 ? ppid : o->pid;
	/* children of an attached process are attached the same way */
	d->flags = o->flags & ~(uint32_t)LN_PROC_EXITED;
	d->start_ts = now;
	ln_proc_copy(p, parent);
	if (flat) {
		d->vpid = pid;
		p->ns_flat = true;
	} else {
		int32_t vtid;
		load_ns_pid(pid, &d->vpid, &vtid, &p->ns_flat);
	}
	d->nfds = (uint32_t)ln_fd_copy_all(p, parent);
	p->launched = parent->launched;
	p->syscall_mode = parent->syscall_mode;
	p->own_filters = parent->own_filters;	/* a fork copies the creator's */
	p->exec_gen = parent->exec_gen;		/* and its fds, checked as they were */
	proc_link(s, p, false);
	ln_state_changed(s, LN_TOUCH_FORK, pid, o->pid);
	return p;
}

struct ln_pstate *ln_proc_fork_of(struct ln_session *s, pid_t pid, struct ln_pstate *parent, pid_t ppid,
				  int32_t vpid, uint64_t start_ts, uint32_t flags)
{
	struct ln_pstate *p = ln_proc_find(s, pid);
	if (p) {
		ln_proc_clear(p);	/* a record the pid's last user left */
	} else {
		if (!(p = proc_alloc(pid)))
			return NULL;
		proc_link(s, p, false);
	}
	ln_proc_copy(p, parent);
	p->pub.ppid = ppid;
	p->pub.vpid = vpid;
	p->pub.start_ts = start_ts;
	p->pub.flags = flags;
	p->pub.nfds = (uint32_t)ln_fd_copy_all(p, parent);
	ln_state_changed(s, LN_TOUCH_FORK, pid, parent->pub.pid);
	return p;
}

/* Whether a new process is known to be in /proc's pid namespace, its
 * children too, as it is made: made by a thread whose children go there
 * (kids_flat), with flags lanner read in registers (no CLONE_NEWPID), and
 * every call that could have moved them since stopped: the filter's
 * (sees_pidns) or syscall mode's.  Not in a process with a seccomp filter
 * of its own, whose answer could keep such a call from lanner
 * (USER_NOTIF), nor where such a filter could have been installed
 * unseen (sees_installs), nor under filters lanner itself ran under. */
static bool born_flat(struct ln_session *s, const struct ln_tstate *ct, const struct ln_creator *c,
		      const struct ln_pstate *parent)
{
	return ct && c && c->same_pidns && ct->kids_flat &&
	       (parent->syscall_mode || (s->sees_pidns && s->sees_installs)) &&
	       s->filter_base == 0 && !parent->own_filters;
}

/* A process met in /proc: its leader's children go to /proc's pid
 * namespace if it is in it and has not moved its children elsewhere. */
static bool leader_kids_flat(struct ln_pstate *p)
{
	return p->ns_flat && ln_pidns_for_children_same(p->pub.pid);
}

struct ln_tstate *ln_thread_new(struct ln_session *s, pid_t tid, const struct ln_creator *c)
{
	pid_t creator = c ? c->creator : 0;
	int kind = c ? c->kind : LN_CHILD_UNKNOWN;
	bool read_leader = false;
	struct ln_tstate *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->stat_fd = -1;
	uint64_t now = ln_now_realtime();
	pid_t tgid = tid, ppid = 0;
	struct ln_tstate *ct = creator > 0 ? ln_thread_find(s, creator) : NULL;
	/* The creator's event says what the child is; /proc is asked only
	 * without it (a quick thread may already be gone from /proc). */
	if (ct && kind == LN_CHILD_THREAD)
		tgid = ct->pub.proc->pid;
	else if (!ct || kind != LN_CHILD_PROCESS)
		ln_read_ids(tid, &tgid, &ppid);
	else if (c->clone_parent)
		ln_read_ids(tid, &tgid, &ppid);	/* the creator's parent's child:
						 * lanner's ppid of the creator
						 * may predate a reparenting */

	struct ln_pstate *p = ln_proc_find(s, tgid);
	if (!p) {
		struct ln_pstate *parent = ct ? ct->pub.proc ? (struct ln_pstate *)ct->pub.proc : NULL : NULL;
		/* A parent known only from /proc (an ancestor, or a process we
		 * attach to) says nothing of this one: read it from /proc too. */
		if (!parent && ppid > 0)
			parent = ln_proc_find(s, ppid);
		if (parent && ((parent->pub.flags & LN_PROC_UNTRACED) || kind == LN_CHILD_EXISTING))
			parent = NULL;
		if (parent && tgid == tid) {
			t->kids_flat = born_flat(s, ct, c, parent);
			p = proc_fork(s, tgid, parent, now, t->kids_flat, ppid);
		} else {
			p = proc_from_proc(s, tgid, true);
			read_leader = p && tgid == tid;
		}
		if (!p) {
			free(t);
			return NULL;
		}
		/* a parent found by ppid need not be the creator (CLONE_PARENT),
		 * whose filters the child has */
		if (!ct)
			p->own_filters = true;
	}
	t->pub.tid = tid;
	t->pub.proc = &p->pub;
	t->syscall_mode = p->syscall_mode;
	t->attached = p->pub.flags & LN_PROC_ATTACHED;
	t->pub.start_ts = now;
	/* A thread is in its process's pid namespace: its vtid is known
	 * without a /proc/TID/status read (the leader's is the vpid read a
	 * moment ago; in /proc's own namespace it is the tid).  That read
	 * was most of what a new thread cost lanner (bench_spawn). */
	if (tid == p->pub.pid && p->pub.vpid > 0) {
		t->pub.vtid = p->pub.vpid;
	} else if (p->ns_flat) {
		t->pub.vtid = tid;
	} else {
		int32_t vpid;
		load_ns_pid(tid, &vpid, &t->pub.vtid, NULL);
	}
	/* Where its children go: a thread's is its creator's (the kernel
	 * makes no thread after the creator moved them); a process leader
	 * read from /proc asks /proc; anything else is read at each fork. */
	if (ct && kind == LN_CHILD_THREAD && ct->pub.proc == &p->pub)
		t->kids_flat = ct->kids_flat;
	else if (read_leader && kind != LN_CHILD_EXISTING)
		t->kids_flat = leader_kids_flat(p);
	/* Credentials are per thread: copy the creator's, else read them. */
	if (ct) {
		t->pub.uid = ct->pub.uid; t->pub.gid = ct->pub.gid;
		t->pub.ruid = ct->pub.ruid; t->pub.rgid = ct->pub.rgid;
		t->pub.cap_effective = ct->pub.cap_effective;
		t->pub.cap_permitted = ct->pub.cap_permitted;
		t->pub.cap_inheritable = ct->pub.cap_inheritable;
	} else {
		ln_proc_load_creds(t, true);	/* and the memory figures */
	}
	/* the memory figures its creator had at the clone, as Falco's driver
	 * reports them with the clone (a forked child's own RSS is lower:
	 * file pages are not copied) */
	if (c && c->has_vm)
		set_vm(&t->pub, c->vm);
	else if (ct)
		ln_thread_load_vm(s, t);
	p->pub.nthreads++;
	unsigned h = hash(tid);
	t->hnext = s->threads[h];
	s->threads[h] = t;
	s->ntracees++;
	LN_STAT_ADD(s, threads_seen, 1);
	ln_state_changed(s, LN_TOUCH_THREAD, tid, 0);
	return t;
}

static void thread_free(struct ln_tstate *t)
{
	if (t->stat_fd >= 0)
		close(t->stat_fd);
	free(t->arena.buf);
	free(t);
}

static void thread_unlink(struct ln_session *s, struct ln_tstate *t)
{
	struct ln_tstate **pp = &s->threads[hash(t->pub.tid)];
	while (*pp && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = t->hnext;
}

void ln_thread_rekey(struct ln_session *s, struct ln_tstate *t, pid_t newtid)
{
	pid_t oldtid = t->pub.tid;
	thread_unlink(s, t);
	if (t->stat_fd >= 0)
		close(t->stat_fd);	/* it named the old tid */
	t->stat_fd = -1;
	t->pub.tid = newtid;
	/* it took the leader's tid (an exec from a thread): and its vtid */
	if (t->pub.proc && newtid == t->pub.proc->pid && t->pub.proc->vpid > 0)
		t->pub.vtid = t->pub.proc->vpid;
	unsigned h = hash(newtid);
	t->hnext = s->threads[h];
	s->threads[h] = t;
	/* the new record first: the process never has no thread */
	ln_state_changed(s, LN_TOUCH_THREAD, newtid, 0);
	ln_state_changed(s, LN_TOUCH_THREAD_GONE, oldtid, 0);
}

static void proc_unlink(struct ln_session *s, struct ln_pstate *p)
{
	struct ln_pstate **pp = &s->procs[hash(p->pub.pid)];
	while (*pp && *pp != p)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = p->hnext;
	if (p->lprev)
		p->lprev->lnext = p->lnext;
	else
		s->plist = p->lnext;
	if (p->lnext)
		p->lnext->lprev = p->lprev;
}

static void proc_destroy(struct ln_pstate *p)
{
	ln_fd_free_all(p);
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p->s_exe); free(p->s_exepath); free(p->s_args); free(p->s_env);
	free(p->s_cwd); free(p->s_root); free(p->s_cid); free(p->s_cmdline);
	free(p);
}

/* The thread is gone.  Its memory is freed at the next ln_next, since the
 * event that reports its end may still point at it. */
void ln_thread_gone(struct ln_session *s, struct ln_tstate *t)
{
	ln_state_changed(s, LN_TOUCH_THREAD_GONE, t->pub.tid, 0);
	thread_unlink(s, t);
	s->ntracees--;
	struct ln_pstate *p = (struct ln_pstate *)t->pub.proc;
	if (p && --p->pub.nthreads == 0) {
		proc_unlink(s, p);
		p->dead = true;
		p->dnext = s->deferred;
		s->deferred = p;
	}
	if (s->dead_thread)
		thread_free(s->dead_thread);
	s->dead_thread = t;
}

void ln_proc_free_deferred(struct ln_session *s)
{
	while (s->deferred) {
		struct ln_pstate *p = s->deferred;
		s->deferred = p->dnext;
		proc_destroy(p);
	}
	if (s->dead_thread) {
		thread_free(s->dead_thread);
		s->dead_thread = NULL;
	}
}

void ln_state_free_all(struct ln_session *s)
{
	ln_proc_free_deferred(s);
	for (int h = 0; h < LN_THASH; h++) {
		while (s->threads[h]) {
			struct ln_tstate *t = s->threads[h];
			s->threads[h] = t->hnext;
			thread_free(t);
		}
	}
	while (s->plist) {
		struct ln_pstate *p = s->plist;
		s->plist = p->lnext;
		proc_destroy(p);
	}
	memset(s->procs, 0, sizeof(s->procs));
}
