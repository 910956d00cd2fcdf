/*
 * container.c - the container a process runs in, told by its cgroup
 * paths (/proc/PID/cgroup), with no runtime socket to ask.
 */
#include <string.h>
#include "state/state.h"

/* "/kubepods/.../<64 hex>" style cgroup paths name a container; the id is
 * the last 64-hex component, shortened to 12 as Falco shows it.  "host"
 * when no line names one. */
LN_API int ln_container_id(const char *cgroup, char *id, size_t n)
{
	if (n < 13)
		return -1;
	strcpy(id, "host");
	for (const char *q = cgroup; *q; q++) {
		int k = 0;
		while (k < 64 && ((q[k] >= '0' && q[k] <= '9') || (q[k] >= 'a' && q[k] <= 'f')))
			k++;
		if (k == 64 && (q == cgroup || q[-1] == '/' || q[-1] == '-' || q[-1] == ':')) {
			memcpy(id, q, 12);
			id[12] = '\0';
			return 1;
		}
	}
	return 0;
}
