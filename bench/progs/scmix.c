/* Syscall mix: GETPPID calls nobody traces, then OPENS open/close pairs of
 * /dev/null.  bench_scmix [getppid-count] [open-close-count] */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	long n1 = argc > 1 ? atol(argv[1]) : 1000000, n2 = argc > 2 ? atol(argv[2]) : 100000;
	for (long i = 0; i < n1; i++)
		syscall(SYS_getppid);
	for (long i = 0; i < n2; i++) {
		int fd = open("/dev/null", O_RDONLY);
		close(fd);
	}
	return 0;
}
