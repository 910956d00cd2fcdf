/*
 * container.c - the container a process runs in, told by its cgroup
 * paths (/proc/PID/cgroup), with no runtime socket to ask.
 *
 * runc-based runtimes name a container's cgroup after its id, 64 hex
 * digits, in one of a few shapes, as Falco recognises them: the id alone
 * as the last component (cgroupfs drivers: /docker/<id>,
 * /kubepods/.../pod<uid>/<id>, /ecs/<task>/<id>), or wrapped by a systemd
 * scope (docker-<id>.scope, crio-<id>.scope, cri-containerd-<id>.scope,
 * libpod-<id>.scope and podman's nested libpod-<id>.scope/container), or
 * containerd's "slice:cri-containerd:<id>" when the kubelet uses systemd
 * slices without the systemd cgroup driver.  The id must end the path: a
 * cgroup below a container's (or a conmon monitor's, libpod-conmon-<id>)
 * is not the container.
 */
#include <string.h>
#include "state/state.h"

struct layout {
	const char *prefix;	/* right before the id */
	const char *suffix;	/* right after it, to the end of the path */
	int runtime;		/* enum ln_container_runtime; 0: by the path */
};

static const struct layout LAYOUTS[] = {
	{ "/docker-", ".scope", LN_CT_DOCKER },
	{ "/crio-", ".scope", LN_CT_CRIO },
	{ "/crio-", "", LN_CT_CRIO },
	{ "/cri-containerd-", ".scope", LN_CT_CONTAINERD },
	{ ":cri-containerd:", "", LN_CT_CONTAINERD },
	{ "/libpod-", ".scope/container", LN_CT_PODMAN },
	{ "/libpod-", ".scope", LN_CT_PODMAN },
	{ "/libpod-", "", LN_CT_PODMAN },
	{ "/", "", 0 },
};

enum { ID_LEN = 64 };

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A bare id: the runtime that made it is told by the path above it.
 * Kubernetes' cgroupfs layout is the CRI's (containerd or cri-o, the path
 * does not say which); anything else is docker's, which is what Falco's
 * docker engine, tried first, would claim. */
static int runtime_of_bare(const char *path, size_t len)
{
	for (size_t i = 0; i + 8 <= len; i++)
		if (!memcmp(path + i, "kubepods", 8))
			return LN_CT_CRI;
	return LN_CT_DOCKER;
}

/* The container one cgroup path names: its runtime, the id copied to id
 * (ID_LEN + 1 bytes); 0 if none. */
static int match_path(const char *path, size_t len, char *id)
{
	for (size_t k = 0; k < sizeof(LAYOUTS) / sizeof(LAYOUTS[0]); k++) {
		const struct layout *l = &LAYOUTS[k];
		size_t np = strlen(l->prefix), ns = strlen(l->suffix);
		if (len < np + ID_LEN + ns || memcmp(path + len - ns, l->suffix, ns))
			continue;
		const char *q = path + len - ns - ID_LEN;
		if (memcmp(q - np, l->prefix, np))
			continue;
		int i = 0;
		while (i < ID_LEN && is_hex(q[i]))
			i++;
		if (i < ID_LEN)
			continue;
		memcpy(id, q, ID_LEN);
		id[ID_LEN] = '\0';
		return l->runtime ? l->runtime : runtime_of_bare(path, len);
	}
	return 0;
}

LN_API int ln_container_id(const char *cgroup, char *id, size_t n)
{
	if (n < ID_LEN + 1)
		return -1;
	strcpy(id, "host");
	/* one "hierarchy:controllers:path" a line; the first line that names
	 * a container wins (cgroup v1 repeats it per controller) */
	for (const char *line = cgroup; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t llen = end ? (size_t)(end - line) : strlen(line);
		const char *c1 = memchr(line, ':', llen);
		const char *c2 = c1 ? memchr(c1 + 1, ':', llen - (size_t)(c1 + 1 - line)) : NULL;
		if (c2) {
			const char *path = c2 + 1;
			size_t plen = llen - (size_t)(path - line);
			while (plen > 1 && path[plen - 1] == '/')
				plen--;	/* a trailing slash names the same cgroup */
			char found[ID_LEN + 1];
			int rt = match_path(path, plen, found);
			if (rt > 0) {
				memcpy(id, found, sizeof(found));
				return rt;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return 0;
}
