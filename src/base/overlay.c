/*
 * overlay.c - is a process's executable in an overlayfs upper layer?
 *
 * Falco's proc.is_exe_upper_layer: a container that runs a binary that is
 * not in its image (written, or copied up and changed, since it started)
 * has it in the overlay's upper layer.  The kernel knows (Falco's probe
 * reads the overlay inode); from user space lanner finds the overlay mount
 * the executable is on in the process's /proc/PID/mountinfo, takes its
 * upperdir= option and looks for the same relative path there.
 *
 * The upperdir is a path in the namespace that mounted the overlay (the
 * host, for a container runtime).  Where lanner cannot see it (lanner runs
 * inside that container) the answer is "no": the README says so.  Only
 * executables on an overlay (statfs) cost the mountinfo read.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "base/base.h"

#define OVERLAYFS_MAGIC 0x794c7630

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
}

/* The value of key= in a comma-separated option list, into out. */
static bool option(const char *opts, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);
	for (const char *p = opts; p && *p; ) {
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			const char *v = p + kl + 1;
			size_t l = 0;
			/* overlay escapes a comma in a path as "\," */
			while (v[l] && !(v[l] == ',' && (l == 0 || v[l - 1] != '\\')) && v[l] != '\n')
				l++;
			if (l >= n)
				return false;
			memcpy(out, v, l);
			out[l] = '\0';
			return true;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/* The overlay mount of mountinfo whose mount point is the longest prefix of
 * path (the mount the executable is on): its mount point and upperdir. */
static bool find_overlay(pid_t pid, const char *path, char *mnt, size_t mn, char *upper, size_t un)
{
	char file[64];
	snprintf(file, sizeof(file), "/proc/%d/mountinfo", pid);
	FILE *f = fopen(file, "re");
	if (!f)
		return false;
	char *line = NULL;
	size_t cap = 0, best = 0;
	bool found = false;
	while (getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		char fstype[32], mp[4096];
		if (sscanf(sep + 3, "%31s", fstype) != 1 || strcmp(fstype, "overlay"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		unescape(mp);
		size_t l = strlen(mp);
		bool under = !strcmp(mp, "/") || (!strncmp(path, mp, l) && path[l] == '/');
		if (!under || (found && l <= best))
			continue;
		char *super = strrchr(sep, ' ');
		char up[4096];
		if (!super || !option(super + 1, "upperdir", up, sizeof(up)))
			continue;
		unescape(up);
		if (l >= mn || strlen(up) >= un)
			continue;
		memcpy(mnt, mp, l + 1);
		memcpy(upper, up, strlen(up) + 1);
		best = l;
		found = true;
	}
	free(line);
	fclose(f);
	return found;
}

bool ln_exe_in_upper_layer(pid_t pid, const char *exepath)
{
	char exe[64];
	struct statfs sfs;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	if (!exepath || exepath[0] != '/' || statfs(exe, &sfs) != 0 || sfs.f_type != OVERLAYFS_MAGIC)
		return false;
	char mnt[4096], upper[4096];
	if (!find_overlay(pid, exepath, mnt, sizeof(mnt), upper, sizeof(upper)))
		return false;
	const char *rel = !strcmp(mnt, "/") ? exepath + 1 : exepath + strlen(mnt) + 1;
	char cand[8192];
	if ((size_t)snprintf(cand, sizeof(cand), "%s/%s", upper, rel) >= sizeof(cand))
		return false;
	/* a whiteout (a 0:0 character device) hides a lower file: not there */
	struct stat st;
	return lstat(cand, &st) == 0 && S_ISREG(st.st_mode);
}
