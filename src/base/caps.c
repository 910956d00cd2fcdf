/*
 * caps.c - lanner's own capabilities: with CAP_SYS_ADMIN a seccomp filter
 * goes in without NO_NEW_PRIVS, which would change what setuid execs do.
 */
#include <linux/capability.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "base/base.h"

bool ln_have_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return d[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32));
}
