/*
 * cachefile.c - files lanner keeps between runs (the compiled rule set),
 * and the hashes that say whether one is still good.
 *
 * A cache file is loaded as LuaJIT bytecode, which is code: whoever can
 * write it runs code in lanner, as root, next to every traced program.
 * So a cache is used only where nobody else could have written it: the
 * file and its folder owned by lanner's effective user and writable by no
 * group or other user, the file not a symlink (checked on the open file).
 * Writes go to a private
 * temporary file renamed into place, so a reader sees a whole file or
 * none.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "base/base.h"

#define FNV_PRIME 0x100000001b3ULL

LN_API uint64_t ln_hash64(const void *data, size_t len, uint64_t h)
{
	const unsigned char *p = data;
	if (!h)
		h = 0xcbf29ce484222325ULL;	/* FNV-1a's offset basis */
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

static uint64_t hash_stat(uint64_t h, const char *name, const struct stat *st)
{
	uint64_t v[4] = { (uint64_t)st->st_mtim.tv_sec, (uint64_t)st->st_mtim.tv_nsec,
			  (uint64_t)st->st_size, (uint64_t)st->st_ino };
	h = ln_hash64(name, strlen(name) + 1, h);
	return ln_hash64(v, sizeof(v), h);
}

/* Every name, size and modification time below path, in a fixed order
 * (readdir's order is the file system's: names are sorted first). */
static uint64_t stamp_tree(const char *path, uint64_t h, int depth)
{
	struct stat st;
	if (depth > 8 || stat(path, &st) < 0)
		return h;
	h = hash_stat(h, path, &st);
	if (!S_ISDIR(st.st_mode))
		return h;
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return h;
	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name;
		if (d[0] != '.') {
			char sub[PATH_MAX];
			if (snprintf(sub, sizeof(sub), "%s/%s", path, d) < (int)sizeof(sub))
				h = stamp_tree(sub, h, depth + 1);
		}
		free(names[i]);
	}
	free(names);
	return h;
}

LN_API uint64_t ln_tree_stamp(const char *path, uint64_t seed)
{
	return stamp_tree(path, seed ? seed : 0xcbf29ce484222325ULL, 0);
}

static bool private_stat(const struct stat *st)
{
	return st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* The contents of path (malloc'd, *len bytes, to be freed), or NULL with
 * *err = -errno: -EPERM for a file that is not regular, is a symlink, or
 * that (or whose folder) someone but the effective user owns or could
 * write.  The checks are on the folder and the file opened, not on their
 * names, so nothing swapped between the check and the read is read. */
LN_API char *ln_cache_read(const char *path, size_t *len, int *err)
{
	char dir[PATH_MAX];
	struct stat st;
	*err = 0;
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : path;
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	/* the folder first, then the file in that very folder */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		*err = -errno;
		return NULL;
	}
	if (fstat(dfd, &st) < 0 || !private_stat(&st)) {
		close(dfd);
		*err = -EPERM;
		return NULL;
	}
	int fd = openat(dfd, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		*err = errno == ELOOP ? -EPERM : -errno;
	close(dfd);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !private_stat(&st) || st.st_size > (64 << 20)) {
		*err = -EPERM;
		close(fd);
		return NULL;
	}
	size_t n = (size_t)st.st_size, got = 0;
	char *buf = malloc(n ? n : 1);
	while (buf && got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!buf || got != n) {
		free(buf);
		*err = buf ? -EIO : -ENOMEM;
		return NULL;
	}
	*len = n;
	return buf;
}

LN_API void ln_cache_free(char *buf)
{
	free(buf);
}

/* Make dir (and missing parents, mode 0700); 0 if it then is private to
 * the effective user, -errno otherwise. */
LN_API int ln_cache_dir(const char *dir)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		*c = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return -errno;
	struct stat st;
	if (lstat(p, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) && private_stat(&st) ? 0 : -EPERM;
}

/* Write data to path through a temporary file (mode 0600) renamed into
 * place; 0 or -errno. */
LN_API int ln_cache_write(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	const char *p = data;
	size_t left = len;
	int err = 0;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? -errno : -EIO;
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

struct aged {
	char name[256];
	struct timespec mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct timespec *x = &((const struct aged *)a)->mtime, *y = &((const struct aged *)b)->mtime;
	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? 1 : -1;
	return x->tv_nsec < y->tv_nsec ? 1 : x->tv_nsec > y->tv_nsec ? -1 : 0;
}

/* Keep a cache folder bounded: every run with new rules files (a test's
 * temporary rules, say) leaves a file, so only the newest keep files
 * named prefix* stay, and temporary files older than an hour (a writer
 * that died) go. */
LN_API int ln_cache_prune(const char *dir, const char *prefix, int keep)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct aged *list = NULL;
	size_t n = 0, cap = 0;
	size_t plen = strlen(prefix);
	time_t now = time(NULL);
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		size_t len = strlen(e->d_name);
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (len > 4 && !strcmp(e->d_name + len - 4, ".tmp")) {
			if (now - st.st_mtim.tv_sec > 3600)
				unlinkat(dirfd(d), e->d_name, 0);
			continue;
		}
		if (strncmp(e->d_name, prefix, plen) || len >= sizeof(list->name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			struct aged *grown = realloc(list, cap * sizeof(*list));
			if (!grown)
				break;
			list = grown;
		}
		memcpy(list[n].name, e->d_name, len + 1);
		list[n++].mtime = st.st_mtim;
	}
	if (n > (size_t)keep) {
		qsort(list, n, sizeof(*list), newest_first);
		for (size_t i = (size_t)keep; i < n; i++)
			unlinkat(dirfd(d), list[i].name, 0);
	}
	free(list);
	closedir(d);
	return 0;
}
