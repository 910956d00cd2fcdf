/*
 * hello_static: linked with -static (no dynamic loader).  Opens
 * /etc/hostname, reads up to 64 bytes, closes it, exits 0.
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	char buf[64];
	long fd = syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
	if (fd < 0)
		return 1;
	if (syscall(SYS_read, fd, buf, sizeof(buf)) < 0)
		return 2;
	return syscall(SYS_close, fd) == 0 ? 0 : 3;
}
