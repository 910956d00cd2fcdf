/*
 * setuid: as root, a child drops to 1000:1000 with setresgid and
 * setresuid, then writes 2 bytes to /dev/null (an event with the new
 * ids) and exits 0; the parent writes 3 bytes (still root) after the
 * child is gone.  Not root: exits 0 having done nothing but the writes.
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0)
		return 1;
	pid_t c = fork();
	if (c == 0) {
		if (getuid() == 0) {
			if (syscall(SYS_setresgid, 1000, 1000, 1000) != 0)
				_exit(2);
			if (syscall(SYS_setresuid, 1000, 1000, 1000) != 0)
				_exit(3);
		}
		_exit(write(fd, "ch", 2) == 2 ? 0 : 4);
	}
	int st;
	if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st))
		return 5;
	if (WEXITSTATUS(st) != 0)
		return WEXITSTATUS(st);
	return write(fd, "par", 3) == 3 ? 0 : 6;
}
