/*
 * crash_segv: makes one close(-5) (a marker), then writes through a NULL
 * pointer and dies of SIGSEGV; lanner must exit 139.  No core file.
 */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	struct rlimit no = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no);
	syscall(SYS_close, -5);
	volatile int *volatile p = NULL;
	*p = 1;
	return 0;
}
