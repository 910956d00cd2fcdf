/*
 * fork_tree: 200 processes in a binary tree.  Node i (root 0) forks nodes
 * 2i+1 and 2i+2 when they are below 200, waits for both, and checks each
 * exited with its own number; node i exits with i (root: 0), or 255 when
 * a child's status was wrong, which makes the root exit 1.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

enum { N = 200 };

static int node(int i)
{
	pid_t kids[2];
	int bad = 0;
	for (int k = 0; k < 2; k++) {
		int c = 2 * i + 1 + k;
		kids[k] = 0;
		if (c >= N)
			continue;
		pid_t p = fork();
		if (p < 0)
			return 255;
		if (p == 0)
			_exit(node(c));
		kids[k] = p;
	}
	for (int k = 0; k < 2; k++) {
		int st;
		if (!kids[k])
			continue;
		if (waitpid(kids[k], &st, 0) != kids[k] || !WIFEXITED(st) || WEXITSTATUS(st) != 2 * i + 1 + k)
			bad = 1;
	}
	return bad ? 255 : i;
}

int main(void)
{
	return node(0) == 0 ? 0 : 1;
}
