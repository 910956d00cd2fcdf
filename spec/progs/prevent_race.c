#define _GNU_SOURCE
/* The TOCTOU race against prevention (spec/prevent_race_spec.lua).
 *
 *   prevent_race DIR read|create N
 *   prevent_race                    (200 reads in a directory of its own,
 *                                    made and removed: spec/asan.sh)
 *
 * A second thread flips a path buffer between DIR/okay-ok and DIR/deny-no
 * while this one opens the buffer N times, for reading or with
 * O_WRONLY|O_CREAT|O_TRUNC.  The two names differ in one aligned 8-byte
 * word, stored at once, so any read sees one whole name or the other; the
 * flips come every few microseconds (see flipper).  DIR/deny-no is what a prevention rule refuses; it holds "secret"
 * when the program starts.  Every open that
 * succeeds is checked on the fd itself (its inode): the one line printed is
 *
 *   tries N opened-okay A opened-deny D refused R other O deny-size S
 *
 * where opened-deny counts calls the rule should have refused and
 * deny-size is the protected file's size at the end (a truncation that got
 * through leaves 0).  Exit status 0 unless something failed to run. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char buf[4096] __attribute__((aligned(8)));
static char okay[4096], deny[4096];
static _Atomic uint64_t *word;		/* the name's 8 bytes in buf */
static uint64_t wokay, wdeny;
static atomic_int stop;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Flips for as long as the opener runs, a random 0.5-8 us on each name,
 * on a CPU of its own where there are two: a stop lasts some tens of
 * microseconds, so a name the tracer read is often not the one the kernel
 * reads next, unless the tracer pinned it. */
static void *flipper(void *arg)
{
	(void)arg;
	unsigned r = 12345;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		r = r * 1103515245 + 12345;
		atomic_store(word, (r >> 16) & 1 ? wdeny : wokay);
		uint64_t until = now_ns() + 500 + (r >> 8) % 7500;
		while (now_ns() < until)
			;
	}
	return NULL;
}

static ino_t ino_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

int main(int argc, char **argv)
{
	if (argc == 1) {
		char d[] = "/tmp/prevent_race.XXXXXX", cmd[128];
		if (!mkdtemp(d))
			return 2;
		snprintf(cmd, sizeof(cmd), "echo ok > %s/okay-ok && echo secret > %s/deny-no", d, d);
		char *args[] = { argv[0], d, "read", "200", NULL };
		int r = system(cmd) == 0 ? main(4, args) : 2;
		snprintf(cmd, sizeof(cmd), "rm -rf %s", d);
		return system(cmd) == 0 ? r : 2;
	}
	if (argc != 4 || (strcmp(argv[2], "read") && strcmp(argv[2], "create"))) {
		fprintf(stderr, "usage: prevent_race DIR read|create N\n");
		return 2;
	}
	/* slashes pad the directory so that the name starts 8-aligned */
	size_t dl = strlen(argv[1]) + 1, pad = (8 - dl % 8) % 8;
	if (dl + pad + 8 > sizeof(buf))
		return 2;
	snprintf(okay, sizeof(okay), "%s/%.*sokay-ok", argv[1], (int)pad, "///////");
	snprintf(deny, sizeof(deny), "%s/%.*sdeny-no", argv[1], (int)pad, "///////");
	strcpy(buf, okay);
	word = (_Atomic uint64_t *)(buf + dl + pad);
	memcpy(&wokay, okay + dl + pad, 8);
	memcpy(&wdeny, deny + dl + pad, 8);
	int create = !strcmp(argv[2], "create"), n = atoi(argv[3]);
	ino_t deny_ino = ino_of(deny), okay_ino = ino_of(okay);
	if (!deny_ino || !okay_ino) {
		fprintf(stderr, "prevent_race: %s and %s must exist\n", okay, deny);
		return 2;
	}
	pthread_t th;
	if (pthread_create(&th, NULL, flipper, NULL) != 0)
		return 2;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(1, &one);
	pthread_setaffinity_np(th, sizeof(one), &one);	/* fails on one CPU: fine */
	int opened_okay = 0, opened_deny = 0, refused = 0, other = 0;
	for (int i = 0; i < n; i++) {
		int fd = create ? open(buf, O_WRONLY | O_CREAT | O_TRUNC, 0644) : open(buf, O_RDONLY);
		if (fd < 0) {
			if (errno == EPERM || errno == EACCES)
				refused++;
			else
				other++;	/* a mixed name: ENOENT */
			continue;
		}
		struct stat st;
		if (fstat(fd, &st) == 0 && st.st_ino == deny_ino)
			opened_deny++;
		else if (st.st_ino == okay_ino)
			opened_okay++;
		else
			other++;	/* a mixed name created */
		close(fd);
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	struct stat st;
	long size = stat(deny, &st) == 0 ? (long)st.st_size : -1;
	printf("tries %d opened-okay %d opened-deny %d refused %d other %d deny-size %ld\n", n, opened_okay,
	       opened_deny, refused, other, size);
	return 0;
}
