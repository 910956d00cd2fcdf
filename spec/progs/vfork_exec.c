/*
 * vfork_exec: vfork, the child execs /bin/true with argument
 * "from-vfork", the parent waits for it and exits 0 if it exited 0.
 */
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(void)
{
	pid_t p = vfork();
	if (p == 0) {
		char *argv[] = { "true", "from-vfork", NULL };
		execve("/bin/true", argv, environ);
		_exit(127);
	}
	int st;
	if (p < 0 || waitpid(p, &st, 0) != p)
		return 2;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 3;
}
