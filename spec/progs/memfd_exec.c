#define _GNU_SOURCE
/*
 * memfd_exec: copies /bin/true into memfd_create("lanner-memfd", 0) with
 * sendfile, then fexecve()s it (execveat(fd, "", argv, envp,
 * AT_EMPTY_PATH)) with argv {"memfd-true", "x"}.  The exec'd program
 * exits 0; any failure before the exec exits non-zero.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

int main(void)
{
	int src = open("/bin/true", O_RDONLY);
	struct stat st;
	if (src < 0 || fstat(src, &st) < 0)
		return 1;
	int m = (int)syscall(SYS_memfd_create, "lanner-memfd", 0);
	if (m < 0)
		return 2;
	off_t left = st.st_size;
	while (left > 0) {
		ssize_t n = sendfile(m, src, NULL, (size_t)left);
		if (n <= 0)
			return 3;
		left -= n;
	}
	close(src);
	char *argv[] = { "memfd-true", "x", NULL };
	syscall(SYS_execveat, m, "", argv, environ, AT_EMPTY_PATH);
	return 4;
}
