/* gather: arguments lanner reads in pieces: a writev and a sendmsg whose
 * iovecs have an empty piece in the middle, and an execve whose argv
 * array crosses a page boundary and holds more pointers than one block
 * (spec/core_gather_spec.lua). */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
	int fd = open("/dev/null", O_WRONLY);
	struct iovec w[3] = { { "abc", 3 }, { "", 0 }, { "def", 3 } };
	if (writev(fd, w, 3) != 6)
		return 1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 1;
	struct iovec m[3] = { { "gh", 2 }, { "", 0 }, { "ij", 2 } };
	struct msghdr msg = { .msg_iov = m, .msg_iovlen = 3 };
	if (sendmsg(sv[0], &msg, 0) != 4)
		return 1;
	/* 100 arguments; the pointer array starts 10 pointers before a page
	 * boundary, so it is read in several blocks */
	enum { N = 100 };
	char *pages = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		return 1;
	char **argv = (char **)(pages + 4096 - 10 * sizeof(char *));
	static char store[N][8];
	argv[0] = "true";
	for (int i = 1; i < N; i++) {
		snprintf(store[i], sizeof(store[i]), "a%d", i);
		argv[i] = store[i];
	}
	argv[N] = NULL;
	char *envp[] = { NULL };
	execve("/bin/true", argv, envp);
	return 1;
}
