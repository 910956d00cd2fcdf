/*
 * procstate: state a process changes for itself.
 *   close(-6)                       marker: comm "procstate", cwd "/"
 *   prctl(PR_SET_NAME, "renamed-by-prctl")   comm is cut to 15 bytes
 *   close(-7)                       marker: comm "renamed-by-prct"
 *   chdir("/usr/share")
 *   close(-8)                       marker: cwd "/usr/share"
 *   fchdir(fd of "/etc")
 *   close(-9)                       marker: cwd "/etc"
 * Started with cwd "/" by the spec.
 */
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	syscall(SYS_close, -6);
	if (prctl(PR_SET_NAME, "renamed-by-prctl", 0, 0, 0) != 0)
		return 1;
	syscall(SYS_close, -7);
	if (syscall(SYS_chdir, "/usr/share") != 0)
		return 2;
	syscall(SYS_close, -8);
	int d = open("/etc", O_RDONLY | O_DIRECTORY);
	if (d < 0 || syscall(SYS_fchdir, d) != 0)
		return 3;
	syscall(SYS_close, -9);
	close(d);
	return 0;
}
