/*
 * ptrace.c - the one ptrace entry point of the core.
 */
#include <sys/syscall.h>
#include <unistd.h>
#include "base/base.h"

/* glibc's <sys/ptrace.h> clashes with <linux/ptrace.h>; call it raw. */
long ln_ptrace(long req, pid_t pid, unsigned long addr, unsigned long data)
{
	return syscall(SYS_ptrace, req, pid, addr, data);
}
