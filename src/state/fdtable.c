/*
 * fdtable.c - a process's fd table: entries set and removed by the effects
 * of syscalls, and filled from what the kernel says (/proc/PID/fd/N, a stat
 * of it, and for sockets the socket itself) rather than from the tracee's
 * memory.
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

ln_fd *ln_fd_set(struct ln_pstate *p, int fd)
{
	ln_fd *f = ln_fd_at(p, fd);
	if (f) {
		ln_name_drop(f->name);
	} else {
		if (fd < 0 || !(f = malloc(sizeof(*f))))
			return NULL;
		if (!ln_fd_put(p, fd, f)) {
			free(f);
			return NULL;
		}
		p->pub.nfds++;
	}
	memset(f, 0, sizeof(*f));
	f->num = fd;
	f->exec_gen = p->exec_gen;
	f->name = ln_name_make("");
	if (p->sess)
		ln_state_changed(p->sess, LN_TOUCH_FD, p->pub.pid, fd);
	return f;
}

void ln_fd_del(struct ln_pstate *p, int fd)
{
	ln_fd *f = ln_fd_take(p, fd);
	if (!f)
		return;
	ln_name_drop(f->name);
	free(f);
	p->pub.nfds--;
	if (p->sess)
		ln_state_changed(p->sess, LN_TOUCH_FD, p->pub.pid, fd);
}

/* Kinds of file made on the one anonymous inode the kernel shares
 * (anon_inode_getfd): the inode tells none of them apart, their name
 * does.  (io_uring, userfaultfd and pidfd files may have inodes of their
 * own: the inode is compared too.) */
static bool shared_anon(const char *name)
{
	static const char *const shared[] = { "anon_inode:[eventfd]", "anon_inode:[timerfd]",
		"anon_inode:[eventpoll]", "anon_inode:[signalfd]", "anon_inode:inotify", "anon_inode:bpf" };
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++)
		if (!strncmp(name, shared[i], strlen(shared[i])))
			return true;
	return false;
}

/* The entry for fd names the same open file the kernel has now: one
 * stat, or for an anonymous file one readlink (and a stat where the
 * inode can tell more). */
bool ln_fd_unchanged(struct ln_pstate *p, int fd)
{
	const ln_fd *f = ln_fd_at(p, fd);
	if (!f || !f->ino)
		return false;
	if (!strncmp(f->name, "anon_inode:", 11)) {
		char what[32], buf[256];
		snprintf(what, sizeof(what), "fd/%d", fd);
		if (!ln_readlink_proc(p->pub.pid, what, buf, sizeof(buf)) || strcmp(buf, f->name))
			return false;
		if (shared_anon(f->name))
			return true;
	}
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pub.pid, fd);
	return stat(path, &st) == 0 && st.st_ino == f->ino && st.st_dev == f->dev;
}

void ln_fd_set_name(ln_fd *f, const char *name)
{
	const char *c = ln_name_make(name);
	if (!c)
		return;
	ln_name_drop(f->name);
	f->name = c;
}

void ln_fd_share_name(ln_fd *f, const char *name)
{
	const char *c = ln_name_dup(name);
	ln_name_drop(f->name);
	f->name = c;
}

/* The pidfd is kept for the process's next socket if its number is low
 * enough (ln_keep_fd_below): a program of thousands of processes with
 * sockets must not take every fd lanner may have. */
int ln_proc_pidfd_getfd(struct ln_session *s, struct ln_pstate *p, int fd)
{
	int pidfd = p->pidfd;
	if (pidfd < 0 && (pidfd = (int)syscall(SYS_pidfd_open, p->pub.pid, 0)) < 0)
		return -errno;
	int r = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	int e = errno;
	if (p->pidfd < 0 && pidfd < s->keep_fd_below)
		p->pidfd = pidfd;
	else if (p->pidfd < 0)
		close(pidfd);
	return r < 0 ? -e : r;
}

struct anon_type { const char *prefix; int type; };
static const struct anon_type anon_types[] = {
	{ "pipe:", LN_FD_PIPE },
	{ "anon_inode:[eventfd]", LN_FD_EVENT },
	{ "anon_inode:[signalfd]", LN_FD_SIGNALFD },
	{ "anon_inode:[eventpoll]", LN_FD_EVENTPOLL },
	{ "anon_inode:inotify", LN_FD_INOTIFY },
	{ "anon_inode:[timerfd]", LN_FD_TIMERFD },
	{ "anon_inode:bpf", LN_FD_BPF },
	{ "anon_inode:[userfaultfd]", LN_FD_USERFAULTFD },
	{ "anon_inode:[io_uring]", LN_FD_IO_URING },
	{ "anon_inode:[pidfd]", LN_FD_PIDFD },
	{ "/memfd:", LN_FD_MEMFD },
};

/* Name and type as the kernel tells them: /proc/PID/fd/N, stat of it, and
 * for sockets the socket itself (src/decode/net.c). */
void ln_fd_from_kernel(struct ln_session *s, struct ln_pstate *p, ln_fd *f)
{
	char what[32], buf[LN_STR_MAX];
	snprintf(what, sizeof(what), "fd/%d", f->num);
	if (!ln_readlink_proc(p->pub.pid, what, buf, sizeof(buf)))
		return;
	struct stat st;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pub.pid, f->num);
	int st_ok = stat(path, &st) == 0;
	if (st_ok) {
		f->ino = st.st_ino;
		f->dev = st.st_dev;
	}
	if (!strncmp(buf, "socket:", 7)) {
		ln_sock_fill(s, p, f);
		return;
	}
	for (size_t i = 0; i < sizeof(anon_types) / sizeof(anon_types[0]); i++)
		if (!strncmp(buf, anon_types[i].prefix, strlen(anon_types[i].prefix))) {
			f->type = (uint8_t)anon_types[i].type;
			ln_fd_set_name(f, buf);
			return;
		}
	/* A FIFO is a pipe with a name: a shell fed through one (mkfifo)
	 * is a shell fed through a pipe. */
	if (buf[0] == '/' && st_ok && S_ISFIFO(st.st_mode))
		f->type = LN_FD_PIPE;
	else if (buf[0] == '/')
		f->type = st_ok && S_ISDIR(st.st_mode) ? LN_FD_DIRECTORY : LN_FD_FILE;
	else
		f->type = LN_FD_OTHER;
	ln_fd_set_name(f, buf);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Rebuild the fd table from /proc/PID/fd: at launch, attach and exec (where
 * close-on-exec fds vanish).  Known fds keep what lanner learned of them. */
void ln_proc_scan_fds(struct ln_session *s, struct ln_pstate *p)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", p->pub.pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	int dfd = dirfd(d);
	int *seen = NULL, nseen = 0, cap = 0;
	bool complete = true;	/* every fd there is in seen */
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		int fd = atoi(de->d_name);
		if (fd == dfd && p->pub.pid == getpid())
			continue;
		if (nseen == cap) {
			int more = cap ? 2 * cap : 64;
			int *v = realloc(seen, (size_t)more * sizeof(*v));
			if (v)
				seen = v, cap = more;
		}
		if (nseen < cap)
			seen[nseen++] = fd;
		else
			complete = false;
		/* A known fd keeps what lanner learned of it (a socket's role)
		 * only if it is still the same file: after a dup2 lanner did
		 * not see, the number names another one. */
		ln_fd *known = ln_fd_at(p, fd);
		if (known) {
			struct stat st;
			char path[64];
			snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pub.pid, fd);
			if (stat(path, &st) == 0 && st.st_ino == known->ino && st.st_dev == known->dev)
				continue;
		}
		ln_fd *f = ln_fd_set(p, fd);
		if (f)
			ln_fd_from_kernel(s, p, f);
	}
	closedir(d);
	/* fds known before but no longer there were close-on-exec */
	if (complete) {
		qsort(seen, (size_t)nseen, sizeof(*seen), cmp_int);
		for (ln_fd *f = ln_fd_after(p, -1), *next; f; f = next) {
			next = ln_fd_after(p, f->num);
			if (!bsearch(&f->num, seen, (size_t)nseen, sizeof(*seen), cmp_int))
				ln_fd_del(p, f->num);
		}
	}
	free(seen);
}
