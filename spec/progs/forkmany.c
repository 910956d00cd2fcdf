/*
 * forkmany N: N children one after another, each gone at once
 * (_exit(0)), each waited for; prints "ok".  For the memory of ended
 * processes (spec/proc_reap_spec.lua): with no event between them,
 * lanner must still free each one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, NULL, 0) != pid) {
			perror("waitpid");
			return 2;
		}
	}
	printf("ok\n");
	return 0;
}
