/*
 * procfs.c - small readers of /proc/PID/...: a file, a link, the ids and
 * seccomp state of a task.  Called where the kernel is asked, never per
 * syscall on the hot path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/base.h"

ssize_t ln_read_proc_file(pid_t pid, const char *what, char *buf, size_t n)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t got = 0, r;
	while ((size_t)got < n - 1 && (r = read(fd, buf + got, n - 1 - (size_t)got)) > 0)
		got += r;
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

/* The CPU a task last ran on: field 39 of /proc/PID/task/TID/stat, read
 * through an fd kept open per thread (*fd, -1 at first) with one pread.
 * At a stop that is the CPU the syscall was made on.  -1 if unknown. */
int ln_task_cpu(pid_t pid, pid_t tid, int *fd)
{
	if (*fd < 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
		*fd = open(path, O_RDONLY | O_CLOEXEC);
		if (*fd < 0)
			return -1;
	}
	char buf[1024];
	ssize_t n = pread(*fd, buf, sizeof(buf) - 1, 0);
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
