/*
 * notify_calls - calls whose events the user-notification engine serves
 * (entry-only, every argument a register), for spec/notify_spec.lua and
 * spec/asan.sh (with no argument: order 2 20).
 *
 *   notify_calls calls          one of each such call, on bad fds and pids
 *                               so that none has an effect; prints the
 *                               number of fds it has; exits 3
 *   notify_calls order T N      T threads and a forked child, each making
 *                               N pairs: openat("/nonexistent/lanner-
 *                               notify/I") (a path: a ptrace stop) then
 *                               lseek(-1, I, SEEK_SET) (a notification)
 *   notify_calls lockwait       fcntl(F_SETLKW) on a lock a child holds,
 *                               cut short by alarm(1) without SA_RESTART:
 *                               prints its result (EINTR untraced)
 *   notify_calls int80          the same for an i386 wait4 (number 114,
 *                               setregid's on x86_64) made with int 0x80
 *                               from 64-bit code
 *   notify_calls signals N      N kill(-999999, 0) under a 50 us SIGALRM
 *                               timer whose handler lacks SA_RESTART;
 *                               prints how many failed with EINTR
 *   notify_calls listener CMD.. CMD run under an allow-all seccomp filter
 *                               whose listener this process holds open
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1;	/* the directory's own */
}

static int calls(void)
{
	printf("fds %d\n", count_fds());
	fflush(stdout);
	kill(-999999, 0);
	syscall(SYS_tgkill, -999999, -999999, 0);
	if (ftruncate(-1, 7) == 0)
		return 1;
	dup(-1);
	setuid(getuid());
	setgid(getgid());
	fcntl(-1, F_GETFD);
	lseek(-1, 5, SEEK_SET);
	shutdown(-1, SHUT_RD);
	unshare(0);
	setns(-1, CLONE_NEWNET);
	getppid();
	return 3;
}

static int pairs;

static void *pair_loop(void *arg)
{
	(void)arg;
	char path[64];
	for (int i = 0; i < pairs; i++) {
		snprintf(path, sizeof(path), "/nonexistent/lanner-notify/%d", i);
		if (open(path, O_RDONLY) >= 0)
			abort();
		syscall(SYS_lseek, -1, (long)i, SEEK_SET);
	}
	return NULL;
}

static int order(int nthreads, int n)
{
	pairs = n;
	pid_t kid = fork();
	if (kid == 0) {
		pair_loop(NULL);
		_exit(0);
	}
	pthread_t th[16];
	if (nthreads > 16)
		nthreads = 16;
	for (int i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, pair_loop, NULL);
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	int st;
	waitpid(kid, &st, 0);
	return 0;
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static int signals(int n)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 50 }, { 0, 50 } };
	setitimer(ITIMER_REAL, &it, NULL);
	int eintr = 0, other = 0;
	for (int i = 0; i < n; i++)
		if (kill(-999999, 0) < 0 && errno != ESRCH)
			errno == EINTR ? eintr++ : other++;
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	printf("calls %d eintr %d other %d alarms %d\n", n, eintr, other, (int)alarms);
	return 0;
}

static void on_alarm_quiet(int sig)
{
	(void)sig;
}

static void alarm_no_restart(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm_quiet;	/* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
}

static int lockwait(void)
{
	char path[] = "/tmp/lanner-notify-lockXXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 2;
	unlink(path);
	int ready[2];
	if (pipe(ready) < 0)
		return 2;
	pid_t kid = fork();
	if (kid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		fcntl(fd, F_SETLK, &fl);
		(void)!write(ready[1], "x", 1);
		sleep(5);
		_exit(0);
	}
	char c;
	(void)!read(ready[0], &c, 1);
	alarm_no_restart();
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int r = fcntl(fd, F_SETLKW, &fl);
	printf("setlkw %d %s\n", r, r < 0 ? strerror(errno) : "ok");
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	return 0;
}

static int int80(void)
{
#if defined(__x86_64__)
	pid_t kid = fork();
	if (kid == 0) {
		sleep(5);
		_exit(0);
	}
	alarm_no_restart();
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(114L), "b"((long)kid), "c"(0L), "d"(0L), "S"(0L)
			 : "memory");
	printf("int80 wait4 %ld\n", r);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
#endif
	return 0;
}

static int listener(char **argv)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog fp = { 1, &allow };
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fp);
	if (fd < 0) {
		perror("seccomp");
		return 2;
	}
	/* the listener lives while this process holds it (a supervisor): the
	 * command runs in a child, which inherits the filter */
	pid_t kid = fork();
	if (kid == 0) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	int st;
	if (waitpid(kid, &st, 0) < 0)
		return 2;
	close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "calls"))
		return calls();
	if (argc >= 4 && !strcmp(argv[1], "order"))
		return order(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "signals"))
		return signals(atoi(argv[2]));
	if (argc >= 2 && !strcmp(argv[1], "lockwait"))
		return lockwait();
	if (argc >= 2 && !strcmp(argv[1], "int80"))
		return int80();
	if (argc >= 3 && !strcmp(argv[1], "listener"))
		return listener(argv + 2);
	if (argc == 1)
		return order(2, 20);	/* spec/asan.sh runs every program bare */
	fprintf(stderr, "usage: notify_calls [calls | order T N | signals N | lockwait | int80 | listener CMD...]\n");
	return 2;
}
