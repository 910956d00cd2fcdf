/*
 * vmfigures: memory figures that change after exec, for proc.vmsize and
 * friends (spec/vm_fields_spec.lua).  Each step is marked by an open of a
 * file that names it:
 *   open /dev/null       the process as exec left it
 *   mmap 64 MB, touched; setuid to its own uid
 *   open /dev/zero       after the mmap (its figures change only where
 *                        mmap's exit is traced, not at the setuid)
 *   a thread opens /dev/full     its figures from its creation, after the
 *                        mmap; thread.vmsize is 0 for it
 *   fork; the child opens /etc/hostname   the child as of its fork: 64 MB
 *                        more than the parent at exec
 */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum { BIG = 64 << 20 };

static void *thread_main(void *arg)
{
	(void)arg;
	close(open("/dev/full", O_RDONLY));
	return NULL;
}

int main(void)
{
	close(open("/dev/null", O_RDONLY));
	char *m = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	memset(m, 1, BIG);
	if (setuid(getuid()) != 0)
		return 5;
	close(open("/dev/zero", O_RDONLY));
	pthread_t th;
	if (pthread_create(&th, NULL, thread_main, NULL) != 0)
		return 2;
	pthread_join(th, NULL);
	pid_t c = fork();
	if (c < 0)
		return 3;
	if (c == 0) {
		close(open("/etc/hostname", O_RDONLY));
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 4;
}
