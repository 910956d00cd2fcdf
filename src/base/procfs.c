/*
 * procfs.c - small readers of /proc/PID/...: a file, a link, the ids and
 * seccomp state of a task.  Called where the kernel is asked, never per
 * syscall on the hot path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/base.h"

ssize_t ln_read_proc_file(pid_t pid, const char *what, char *buf, size_t n)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* A short read is the end: the files read here (seq_file records,
	 * cmdline and environ, which copy page by page until the count or
	 * the end) return less than asked only when nothing follows, so the
	 * read that would return 0 is saved: one syscall per file, eight at
	 * every fork and exec. */
	ssize_t got = 0, r;
	while ((size_t)got < n - 1) {
		size_t want = n - 1 - (size_t)got;
		if ((r = read(fd, buf + got, want)) <= 0)
			break;
		got += r;
		if ((size_t)r < want)
			break;
	}
	close(fd);
	buf[got < 0 ? 0 : got] = '\0';
	return got;
}

char *ln_readlink_proc(pid_t pid, const char *what, char *buf, size_t n)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	ssize_t r = readlink(path, buf, n - 1);
	if (r < 0)
		return NULL;
	buf[r] = '\0';
	return buf;
}

bool ln_pidns_for_children_same(pid_t tid)
{
	char a[64], b[64];
	return ln_readlink_proc(tid, "ns/pid", a, sizeof(a)) &&
	       ln_readlink_proc(tid, "ns/pid_for_children", b, sizeof(b)) && !strcmp(a, b);
}

/* Read /proc/TID/status for the thread group and parent of a tid we have
 * not met; 0 on success. */
int ln_read_ids(pid_t tid, pid_t *tgid, pid_t *ppid)
{
	char buf[2048], *q;
	if (ln_read_proc_file(tid, "status", buf, sizeof(buf)) <= 0)
		return -1;
	*tgid = (q = strstr(buf, "\nTgid:")) ? atoi(q + 6) : tid;
	*ppid = (q = strstr(buf, "\nPPid:")) ? atoi(q + 6) : 0;
	return 0;
}

int ln_status_column(const char *status, const char *key, int depth, int32_t *out)
{
	char find[32];
	snprintf(find, sizeof(find), "\n%s:", key);
	const char *q = strstr(status, find);
	*out = 0;
	if (!q)
		return 0;
	const char *end = strchr(q + 1, '\n');
	int cols = 0;
	for (const char *r = q + strlen(find); r && (!end || r < end); r = strchr(r + 1, '\t')) {
		if (cols == depth || depth < 0)
			*out = atoi(r);
		cols++;
	}
	return cols;
}

void ln_parse_vm(const char *status, uint64_t vm[3])
{
	static const char *const keys[3] = { "\nVmSize:", "\nVmRSS:", "\nVmSwap:" };
	for (int i = 0; i < 3; i++) {
		const char *q = strstr(status, keys[i]);
		/* 32 bits, as Falco's driver has them (and a .scap) */
		vm[i] = q ? (uint32_t)strtoull(q + strlen(keys[i]), NULL, 10) : 0;
	}
}

bool ln_read_vm(pid_t tid, uint64_t vm[3])
{
	char buf[4096];
	if (ln_read_proc_file(tid, "status", buf, sizeof(buf)) <= 0)
		return false;
	ln_parse_vm(buf, vm);
	return true;
}

/* A task's NSpid columns: how many, and its pid at depth. */
static int nspid_at(pid_t tid, int depth, pid_t *out)
{
	char buf[2048];
	*out = 0;
	if (ln_read_proc_file(tid, "status", buf, sizeof(buf)) <= 0)
		return 0;
	return ln_status_column(buf, "NSpid", depth, out);
}

/* The parent of a process, from /proc/PID/stat (after the comm, which may
 * hold spaces and parentheses); 0 if unknown. */
static pid_t ppid_of(pid_t pid)
{
	char buf[512];
	if (ln_read_proc_file(pid, "stat", buf, sizeof(buf)) <= 0)
		return 0;
	char *q = strrchr(buf, ')');
	return q && q[1] == ' ' && q[2] ? atoi(q + 4) : 0;	/* ") S PPID" */
}

/* A task's pid namespace (which: "pid", or "pid_for_children", where its
 * children go) as the inode of its /proc link; 0 if unknown. */
static ino_t pid_ns(pid_t pid, const char *which)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, which);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

pid_t ln_child_from_ns(pid_t creator, pid_t tgid, pid_t alt_parent, pid_t nspid)
{
	pid_t v;
	int cols = nspid_at(creator, 0, &v);
	ino_t child_ns = pid_ns(creator, "pid_for_children");
	if (cols <= 0 || nspid <= 0 || !child_ns)
		return 0;
	int depth = cols - 1;	/* the creator's own namespace */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", tgid);
	for (int pass = 0; pass < 2; pass++) {
		/* its threads first (in its own namespace: CLONE_THREAD cannot
		 * go elsewhere), then every process: a child is a process whose
		 * parent is tgid (alt_parent with CLONE_PARENT) and that lives in
		 * the namespace the creator's children go to, where the pid the
		 * call returned names one process only (the parent's other
		 * children may be in other namespaces, at the same depth) */
		DIR *d = opendir(pass ? "/proc" : path);
		if (!d)
			continue;
		struct dirent *de;
		pid_t found = 0;
		while (!found && (de = readdir(d))) {
			pid_t pid = (pid_t)atoi(de->d_name);
			if (pid <= 0)
				continue;
			if (pass) {
				pid_t pp = ppid_of(pid);
				if (pp <= 0 || (pp != tgid && pp != alt_parent) || pid_ns(pid, "pid") != child_ns)
					continue;
			}
			if (nspid_at(pid, depth, &v) > depth && v == nspid)
				found = pid;
		}
		closedir(d);
		if (found)
			return found;
	}
	return 0;
}

/* Seccomp mode and number of filters of a process (Seccomp_filters in
 * /proc/PID/status); -1 where unknown. */
int ln_seccomp_filters(pid_t pid, int *mode)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "re");
	int n = -1;
	*mode = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Seccomp:", 8))
			*mode = atoi(line + 8);
		else if (!strncmp(line, "Seccomp_filters:", 16))
			n = atoi(line + 16);
	}
	fclose(f);
	return n;
}

int ln_keep_fd_below(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 512;
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 30) ? 1 << 29 : (int)(rl.rlim_cur / 2);
}

/* The CPU a task last ran on: field 39 of /proc/PID/task/TID/stat, read
 * through an fd kept open per thread (*fd, -1 at first; kept if its number
 * is below keep_below) with one pread.  At a stop that is the CPU the
 * syscall was made on.  -1 if unknown. */
int ln_task_cpu(pid_t pid, pid_t tid, int *fd, int keep_below)
{
	int sfd = *fd;
	if (sfd < 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
		sfd = open(path, O_RDONLY | O_CLOEXEC);
		if (sfd < 0)
			return -1;
		if (sfd < keep_below)
			*fd = sfd;
	}
	char buf[1024];
	ssize_t n = pread(sfd, buf, sizeof(buf) - 1, 0);
	if (sfd != *fd)
		close(sfd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* after the comm in parens, which may hold spaces and ')' */
	char *q = strrchr(buf, ')');
	if (!q)
		return -1;
	/* field 3 (state) follows; field 39 is 36 fields further on */
	int field = 2;
	for (; *q && field < 39; q++)
		if (*q == ' ')
			field++;
	return field == 39 ? atoi(q) : -1;
}

/* Tasks running or waiting for a CPU now, system-wide: the fourth field
 * of /proc/loadavg ("0.52 0.58 0.59 3/251 4242"), the caller's own task
 * included.  *fd is kept open between calls (-1 at first); -1 where
 * unknown. */
int ln_nr_running(int *fd)
{
	if (*fd < 0) {
		*fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
		if (*fd < 0)
			return -1;
	}
	char buf[128];
	ssize_t n = pread(*fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *q = buf;
	for (int field = 1; field < 4; field++) {
		q = strchr(q, ' ');
		if (!q)
			return -1;
		q++;
	}
	return atoi(q);
}
