/*
 * exec_thread: a thread that is not the leader calls close(-3) (a marker
 * with its own tid) and then execve("/bin/true", {"true", "from-thread"});
 * the leader waits in pause().  After the exec the process is /bin/true
 * and its only thread has the leader's tid.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static void *body(void *arg)
{
	(void)arg;
	syscall(SYS_close, -3);
	char *argv[] = { "true", "from-thread", NULL };
	execve("/bin/true", argv, environ);
	_exit(127);
}

int main(void)
{
	pthread_t th;
	syscall(SYS_close, -4);	/* marker from the leader */
	if (pthread_create(&th, NULL, body, NULL) != 0)
		return 1;
	for (;;)
		pause();
}
