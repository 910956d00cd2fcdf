/*
 * web.c - the web server behind Falco's webserver.* keys: /healthz (the
 * k8s_healthz_endpoint) and /metrics, on a thread of its own, so that they
 * answer while the tracer sleeps in waitpid or is busy with a stop.
 *
 * The thread never touches the session.  The event loop publishes a text
 * snapshot now and then (ln_web_publish, not per event); the figures that
 * must be live are read from the kernel by the thread itself: lanner's
 * CPU time and RSS, and the age of the last snapshot (a loop that stopped
 * publishing shows as a growing age).  Requests are served one at a time,
 * each with a one-second time-out: two endpoints for probes and scrapers,
 * not a general server.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>	/* snprintf, sscanf: no locks */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "core.h"

struct ln_web {
	int lfd;		/* listening socket */
	int stop[2];		/* a byte on stop[1] ends the thread */
	int port;
	int metrics;		/* serve /metrics */
	char healthz[128];
	pthread_t thread;
	pthread_mutex_t mu;	/* guards the three below */
	char *snap;
	size_t snap_len;
	uint64_t snap_ns;	/* CLOCK_MONOTONIC when published, 0: never */
	int ready;
};

enum { REQ_MAX = 4096, IO_TIMEOUT_S = 1 };

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void respond(int fd, int code, const char *reason, const char *type,
		    const char *body, size_t len, int head_only)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof hdr, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 code, reason, type, len);
	if (send_all(fd, hdr, (size_t)n) == 0 && !head_only && len > 0)
		send_all(fd, body, len);
}

/* The first n-1 bytes of a /proc file, NUL-terminated; length or -1.
 * open/read, not stdio: nothing here may take a lock of libc's that a
 * fork in the tracer's thread could copy held. */
static ssize_t read_proc(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = 0;
	return r;
}

/* lanner's resident set, in bytes, from /proc/self/statm; -1 if unknown. */
static long long rss_bytes(void)
{
	char buf[256];
	long long pages_total, pages_rss;
	if (read_proc("/proc/self/statm", buf, sizeof buf) <= 0 ||
	    sscanf(buf, "%lld %lld", &pages_total, &pages_rss) != 2)
		return -1;
	return pages_rss * sysconf(_SC_PAGESIZE);
}

/* Seconds since lanner started (/proc/self/stat's start time against the
 * boot clock, which is what it counts from); 0 if unknown. */
static double process_age(void)
{
	char buf[1024];
	if (read_proc("/proc/self/stat", buf, sizeof buf) <= 0)
		return 0;
	/* the command name may hold spaces and parentheses: fields are
	 * counted after its last ')'; starttime is field 22 */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	unsigned long long start = 0;
	int field = 2;
	char *save;
	for (char *tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (++field == 22) {
			start = strtoull(tok, NULL, 10);
			break;
		}
	}
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	double age = (double)ts.tv_sec + ts.tv_nsec / 1e9 - (double)start / (double)sysconf(_SC_CLK_TCK);
	return age > 0 ? age : 0;
}

/* The figures the thread reads itself, in Prometheus' text format. */
static int live_metrics(struct ln_web *w, char *out, size_t cap)
{
	struct timespec cpu;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	double cpu_s = (double)cpu.tv_sec + cpu.tv_nsec / 1e9;
	double age = process_age();
	pthread_mutex_lock(&w->mu);
	uint64_t snap_ns = w->snap_ns;
	pthread_mutex_unlock(&w->mu);
	double snap_age = snap_ns ? (double)(mono_ns() - snap_ns) / 1e9 : -1;
	return snprintf(out, cap,
		"# HELP falcosecurity_falco_cpu_usage_ratio CPU time of lanner over its run time (1 = one CPU busy).\n"
		"# TYPE falcosecurity_falco_cpu_usage_ratio gauge\n"
		"falcosecurity_falco_cpu_usage_ratio %.6f\n"
		"# HELP lanner_cpu_seconds_total CPU time lanner used, tracer and Lua side together.\n"
		"# TYPE lanner_cpu_seconds_total counter\n"
		"lanner_cpu_seconds_total %.6f\n"
		"# HELP falcosecurity_falco_memory_rss_bytes lanner's resident set size.\n"
		"# TYPE falcosecurity_falco_memory_rss_bytes gauge\n"
		"falcosecurity_falco_memory_rss_bytes %lld\n"
		"# HELP lanner_metrics_snapshot_age_seconds Seconds since the event loop published the other figures (-1: never).\n"
		"# TYPE lanner_metrics_snapshot_age_seconds gauge\n"
		"lanner_metrics_snapshot_age_seconds %.3f\n",
		age > 0 ? cpu_s / age : 0.0, cpu_s, rss_bytes(), snap_age);
}

static void serve_metrics(struct ln_web *w, int fd, int head_only)
{
	char live[1024];
	int nlive = live_metrics(w, live, sizeof live);
	if (nlive < 0 || (size_t)nlive >= sizeof live)
		nlive = 0;
	pthread_mutex_lock(&w->mu);
	size_t n = w->snap_len;
	/* a copy, so that a slow client never holds the lock the event
	 * loop takes to publish */
	char *body = malloc(n + (size_t)nlive + 1);
	if (body && n)
		memcpy(body, w->snap, n);
	pthread_mutex_unlock(&w->mu);
	if (!body) {
		respond(fd, 503, "Service Unavailable", "text/plain", "out of memory\n", 14, head_only);
		return;
	}
	memcpy(body + n, live, (size_t)nlive);
	respond(fd, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, n + (size_t)nlive, head_only);
	free(body);
}

/* Reads one request's head (a probe sends no body) and answers it. */
static void serve(struct ln_web *w, int fd)
{
	char req[REQ_MAX + 1];
	size_t len = 0;
	/* one deadline for the whole request, not one per recv: a client
	 * sending a byte a second must not hold the only thread (and the
	 * health probe behind it) for an hour */
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (len < REQ_MAX) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= IO_TIMEOUT_S + 1)
			break;
		ssize_t r = recv(fd, req + len, REQ_MAX - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		req[len] = 0;
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[len] = 0;
	char method[8], path[1024];
	if (sscanf(req, "%7s %1023s HTTP/", method, path) != 2) {
		respond(fd, 400, "Bad Request", "text/plain", "bad request\n", 12, 0);
		return;
	}
	int head_only = strcmp(method, "HEAD") == 0;
	if (!head_only && strcmp(method, "GET") != 0) {
		respond(fd, 405, "Method Not Allowed", "text/plain", "GET or HEAD\n", 12, 0);
		return;
	}
	path[strcspn(path, "?#")] = 0;
	if (w->healthz[0] && strcmp(path, w->healthz) == 0) {
		pthread_mutex_lock(&w->mu);
		int ready = w->ready;
		pthread_mutex_unlock(&w->mu);
		if (ready)
			respond(fd, 200, "OK", "application/json", "{\"status\": \"ok\"}\n", 17, head_only);
		else
			respond(fd, 503, "Service Unavailable", "application/json",
				"{\"status\": \"not tracing\"}\n", 26, head_only);
	} else if (w->metrics && strcmp(path, "/metrics") == 0) {
		serve_metrics(w, fd, head_only);
	} else {
		respond(fd, 404, "Not Found", "text/plain", "not found\n", 10, head_only);
	}
}

static void *web_main(void *arg)
{
	struct ln_web *w = arg;
	struct pollfd pfd[2] = { { .fd = w->lfd, .events = POLLIN }, { .fd = w->stop[0], .events = POLLIN } };
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		int fd = accept4(w->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			/* out of fds: the connection stays queued and poll says
			 * so again at once; wait instead of spinning */
			if (errno == EMFILE || errno == ENFILE)
				poll(&pfd[1], 1, 100);
			continue;
		}
		struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		serve(w, fd);
		close(fd);
	}
	return NULL;
}

static int listen_on(const char *addr, int port, char *err, size_t errlen)
{
	char portstr[16];
	snprintf(portstr, sizeof portstr, "%d", port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res;
	int rc = getaddrinfo(addr && *addr ? addr : NULL, portstr, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "webserver.listen_address '%s': %s", addr ? addr : "", gai_strerror(rc));
		return -EINVAL;
	}
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		snprintf(err, errlen, "webserver: cannot listen on %s port %d: %s", addr ? addr : "*", port, strerror(e));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -e;
	}
	freeaddrinfo(res);
	return fd;
}

LN_API ln_web *ln_web_start(const char *addr, int port, const char *healthz, int metrics,
			    char *err, size_t errlen)
{
	if (port < 0 || port > 65535 || (healthz && strlen(healthz) >= sizeof(((struct ln_web *)0)->healthz))) {
		snprintf(err, errlen, "webserver: bad port or endpoint");
		return NULL;
	}
	struct ln_web *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "webserver: out of memory");
		return NULL;
	}
	w->lfd = listen_on(addr, port, err, errlen);
	if (w->lfd < 0) {
		free(w);
		return NULL;
	}
	struct sockaddr_storage sa;
	socklen_t salen = sizeof sa;
	getsockname(w->lfd, (struct sockaddr *)&sa, &salen);
	w->port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
						 : ((struct sockaddr_in *)&sa)->sin_port);
	w->metrics = metrics;
	snprintf(w->healthz, sizeof w->healthz, "%s", healthz ? healthz : "");
	pthread_mutex_init(&w->mu, NULL);
	if (pipe2(w->stop, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "webserver: pipe: %s", strerror(errno));
		close(w->lfd);
		free(w);
		return NULL;
	}
	/* Every signal blocked in the thread: the session's handlers
	 * (SIGCHLD, the signals forwarded to the program, the timer) belong
	 * to the tracer's thread. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&w->thread, NULL, web_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "webserver: pthread_create: %s", strerror(rc));
		close(w->stop[0]);
		close(w->stop[1]);
		close(w->lfd);
		free(w);
		return NULL;
	}
	return w;
}

LN_API int ln_web_port(const ln_web *w)
{
	return w->port;
}

LN_API void ln_web_set_ready(ln_web *w, int ready)
{
	pthread_mutex_lock(&w->mu);
	w->ready = ready;
	pthread_mutex_unlock(&w->mu);
}

LN_API int ln_web_publish(ln_web *w, const char *text, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = 0;
	pthread_mutex_lock(&w->mu);
	char *old = w->snap;
	w->snap = copy;
	w->snap_len = len;
	w->snap_ns = mono_ns();
	pthread_mutex_unlock(&w->mu);
	free(old);
	return 0;
}

LN_API void ln_web_stop(ln_web *w)
{
	if (!w)
		return;
	char b = 1;
	while (write(w->stop[1], &b, 1) < 0 && errno == EINTR)
		;
	pthread_join(w->thread, NULL);
	close(w->stop[0]);
	close(w->stop[1]);
	close(w->lfd);
	pthread_mutex_destroy(&w->mu);
	free(w->snap);
	free(w);
}
