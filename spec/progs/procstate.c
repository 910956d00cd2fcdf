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
 * procstate renames N: then N more prctl(PR_SET_NAME) to "worker-1" ...
 * "worker-N", and close(-10) (for what each rename costs lanner's queue).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
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
	int renames = argc == 3 && !strcmp(argv[1], "renames") ? atoi(argv[2]) : 0;
	for (int i = 1; i <= renames; i++) {
		char name[32];
		snprintf(name, sizeof(name), "worker-%d", i);
		if (prctl(PR_SET_NAME, name, 0, 0, 0) != 0)
			return 4;
	}
	if (renames)
		syscall(SYS_close, -10);
	return 0;
}
