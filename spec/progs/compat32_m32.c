/*
 * compat32_m32 - a 32-bit x86 program (built -m32: the int 0x80 ABI) that
 * makes the calls a 32-bit libc makes under names of its own, mmap2 and
 * fcntl64, through syscall() so that the numbers are exactly those.
 * argv[1]: a directory to work in.  Exits 0 if every call gave what the
 * program expected, else the number of the step that failed.
 *
 * Built natively (without -m32) it makes mmap and fcntl instead, with the
 * same arguments: the twin a spec can check its own expectations on.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__i386__)
#define MMAP_NR SYS_mmap2
#define FCNTL_NR SYS_fcntl64
#define PAGES(n) (n)		/* mmap2's offset is in 4096-byte pages */
#else
#define MMAP_NR SYS_mmap
#define FCNTL_NR SYS_fcntl
#define PAGES(n) ((n) * 4096L)
#endif

int main(int argc, char **argv)
{
	char page[4096];
	if (argc < 2 || chdir(argv[1]) < 0)
		return 1;
	int fd = open("m.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 2;
	memset(page, 'A', sizeof(page));
	if (write(fd, page, sizeof(page)) != sizeof(page))
		return 3;
	memset(page, 'B', sizeof(page));
	if (write(fd, page, sizeof(page)) != sizeof(page))
		return 4;

	/* the file's second page: offset 4096 bytes */
	long p = syscall(MMAP_NR, 0L, 4096L, (long)PROT_READ, (long)MAP_SHARED, (long)fd, PAGES(1));
	if (p == -1 || *(volatile char *)p != 'B')
		return 5;
	/* anonymous and executable: what a PROT_EXEC predicate stops */
	long q = syscall(MMAP_NR, 0L, 12288L, (long)(PROT_READ | PROT_EXEC),
			 (long)(MAP_PRIVATE | MAP_ANONYMOUS), -1L, 0L);
	if (q == -1)
		return 6;

	/* a new fd, 300 or above, for the same file */
	long nfd = syscall(FCNTL_NR, (long)fd, (long)F_DUPFD, 300L);
	if (nfd < 300)
		return 7;
	if (write((int)nfd, "dup", 3) != 3)
		return 8;
	close((int)nfd);
	close(fd);
	return 0;
}
