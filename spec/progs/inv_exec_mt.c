/*
 * inv_exec_mt: execve from a thread that is not the leader while other
 * threads exit and others are busy in syscalls.
 *   inv_exec_mt [leader-exits]
 * 4 threads exit (pthread_exit) at the moment of the exec, 4 loop on
 * close(-6); the exec'ing thread makes close(-3), then execs this program
 * again as "inv_exec_mt after PID".  With leader-exits the leader has
 * called pthread_exit first (a zombie leader while another thread execs).
 * The new image checks that its pid is the old pid, that it is single-
 * threaded and that its tid is its pid, makes close(-7), prints, exits 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static pthread_barrier_t go;
static char self[4096], pidarg[32];

static void *quitter(void *arg)
{
	(void)arg;
	syscall(SYS_close, -5);
	pthread_barrier_wait(&go);
	pthread_exit(NULL);
}

static void *busy(void *arg)
{
	(void)arg;
	for (;;) {
		syscall(SYS_close, -6);
		usleep(1000);
	}
	return NULL;
}

static void *execer(void *arg)
{
	(void)arg;
	syscall(SYS_close, -3);
	usleep(20000);
	pthread_barrier_wait(&go);
	char *argv[] = { "inv_exec_mt", "after", pidarg, NULL };
	execve(self, argv, environ);
	perror("execve");
	_exit(127);
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "after")) {
		int old = atoi(argv[2]);
		syscall(SYS_close, -7);
		printf("after exec: same pid %s, tid is pid %s, threads %d\n", getpid() == old ? "yes" : "no",
		       syscall(SYS_gettid) == getpid() ? "yes" : "no", count_threads());
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	snprintf(pidarg, sizeof(pidarg), "%d", (int)getpid());
	printf("before exec: %s\n", argc > 1 ? "leader exits first" : "leader waits");
	pthread_barrier_init(&go, NULL, 5);
	pthread_t th;
	for (int i = 0; i < 4; i++)
		pthread_create(&th, NULL, quitter, NULL);
	for (int i = 0; i < 4; i++)
		pthread_create(&th, NULL, busy, NULL);
	pthread_create(&th, NULL, execer, NULL);
	if (argc > 1)
		pthread_exit(NULL);
	for (;;)
		pause();
}
