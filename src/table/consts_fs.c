/*
 * consts_fs.c - names of file-system constants: open flags, *at() flags,
 * fcntl commands, rename, fd-creation, mount and module flags.
 *
 * Rows are printed in table order; fields and multi-bit flags (O_SYNC
 * holds O_DSYNC's bit, O_TMPFILE holds O_DIRECTORY's) win over the single
 * bits they contain, see render.c.
 */
#include <fcntl.h>
#include <stdio.h>		/* RENAME_* */
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <linux/module.h>	/* MODULE_INIT_* */
#include <linux/userfaultfd.h>	/* UFFD_USER_MODE_ONLY */
#include "table/consts.h"

/*
 * glibc defines O_LARGEFILE as 0 for 64-bit programs (they never need it),
 * but the kernel has a real bit for it, and it shows up in flags of
 * programs built for 32-bit file offsets and in /proc/PID/fdinfo.
 */
#if defined(__x86_64__) || defined(__i386__)
#define LN_O_LARGEFILE 0100000
#elif defined(__aarch64__) || defined(__arm__)
#define LN_O_LARGEFILE 0400000
#endif

static const struct ln_xval oflags[] = {
	LN_XF(O_RDONLY, O_ACCMODE),
	LN_XF(O_WRONLY, O_ACCMODE),
	LN_XF(O_RDWR, O_ACCMODE),
	LN_X(O_CREAT),
	LN_X(O_EXCL),
	LN_X(O_NOCTTY),
	LN_X(O_TRUNC),
	LN_X(O_APPEND),
	LN_X(O_NONBLOCK),
	LN_X(O_DSYNC),
	LN_X(O_ASYNC),
	LN_X(O_DIRECT),
#ifdef LN_O_LARGEFILE
	LN_XN(LN_O_LARGEFILE, "O_LARGEFILE"),
#endif
	LN_X(O_DIRECTORY),
	LN_X(O_NOFOLLOW),
	LN_X(O_NOATIME),
	LN_X(O_CLOEXEC),
	LN_X(O_SYNC),
	LN_X(O_PATH),
	LN_X(O_TMPFILE),
	LN_XA(O_NDELAY),
	LN_XA(O_FSYNC),
	LN_XA(O_RSYNC),
	LN_XA(FASYNC),
};
const struct ln_xtable ln_x_oflags = LN_XTABLE(oflags, LN_XS_FLAGS, 32);

static const struct ln_xval atflags[] = {
	LN_X(AT_SYMLINK_NOFOLLOW),
	LN_X(AT_REMOVEDIR),
	LN_X(AT_SYMLINK_FOLLOW),
	LN_X(AT_NO_AUTOMOUNT),
	LN_X(AT_EMPTY_PATH),
	LN_X(AT_STATX_FORCE_SYNC),
	LN_X(AT_STATX_DONT_SYNC),
	LN_X(AT_RECURSIVE),
	/* same bit as AT_REMOVEDIR: faccessat's meaning of it */
	LN_XA(AT_EACCESS),
};
const struct ln_xtable ln_x_atflags = LN_XTABLE(atflags, LN_XS_FLAGS, 32);

static const struct ln_xval dirfd[] = {
	LN_X(AT_FDCWD),
};
const struct ln_xtable ln_x_dirfd = LN_XTABLE(dirfd, LN_XS_ENUM, 32);

static const struct ln_xval fcntl_cmd[] = {
	LN_X(F_DUPFD),
	LN_X(F_GETFD),
	LN_X(F_SETFD),
	LN_X(F_GETFL),
	LN_X(F_SETFL),
	LN_X(F_GETLK),
	LN_X(F_SETLK),
	LN_X(F_SETLKW),
	LN_X(F_SETOWN),
	LN_X(F_GETOWN),
	LN_X(F_SETSIG),
	LN_X(F_GETSIG),
	LN_X(F_SETOWN_EX),
	LN_X(F_GETOWN_EX),
	LN_X(F_OFD_GETLK),
	LN_X(F_OFD_SETLK),
	LN_X(F_OFD_SETLKW),
	LN_X(F_SETLEASE),
	LN_X(F_GETLEASE),
	LN_X(F_NOTIFY),
	LN_XN(1029, "F_CANCELLK"),	/* kernel-only, not in <fcntl.h> */
	LN_X(F_DUPFD_CLOEXEC),
	LN_X(F_SETPIPE_SZ),
	LN_X(F_GETPIPE_SZ),
	LN_X(F_ADD_SEALS),
	LN_X(F_GET_SEALS),
	LN_X(F_GET_RW_HINT),
	LN_X(F_SET_RW_HINT),
	LN_X(F_GET_FILE_RW_HINT),
	LN_X(F_SET_FILE_RW_HINT),
	LN_XA(F_GETLK64),
	LN_XA(F_SETLK64),
	LN_XA(F_SETLKW64),
};
const struct ln_xtable ln_x_fcntl = LN_XTABLE(fcntl_cmd, LN_XS_ENUM, 32);

static const struct ln_xval rename_flags[] = {
	LN_X(RENAME_NOREPLACE),
	LN_X(RENAME_EXCHANGE),
	LN_X(RENAME_WHITEOUT),
};
const struct ln_xtable ln_x_rename = LN_XTABLE(rename_flags, LN_XS_FLAGS, 32);

/*
 * Flags of syscalls that make an fd (dup3, pipe2, eventfd2, inotify_init1,
 * signalfd4, timerfd_create, userfaultfd): each family has its own names
 * for O_CLOEXEC and O_NONBLOCK with the same values, so the O_ names are
 * printed and the others are aliases.  Value 1 is EFD_SEMAPHORE for eventfd2
 * and UFFD_USER_MODE_ONLY for userfaultfd; eventfd's name is printed.
 */
static const struct ln_xval fdflags[] = {
	LN_X(EFD_SEMAPHORE),
	LN_X(O_DIRECT),		/* pipe2: packet mode */
	LN_X(O_NONBLOCK),
	LN_X(O_CLOEXEC),
	LN_XA(EFD_CLOEXEC),
	LN_XA(EFD_NONBLOCK),
	LN_XA(IN_CLOEXEC),
	LN_XA(IN_NONBLOCK),
	LN_XA(SFD_CLOEXEC),
	LN_XA(SFD_NONBLOCK),
	LN_XA(TFD_CLOEXEC),
	LN_XA(TFD_NONBLOCK),
	LN_XA(UFFD_USER_MODE_ONLY),
};
const struct ln_xtable ln_x_fdflags = LN_XTABLE(fdflags, LN_XS_FLAGS, 32);

/*
 * mount(2) flags.  Before 2.4 the top 16 bits had to hold the magic
 * MS_MGC_VAL; the kernel still strips it, so it is a field here, and it
 * keeps the bits it covers from being read as MS_ACTIVE and friends.
 * The argument is an unsigned long but every flag fits in 32 bits (and
 * glibc's MS_NOUSER is a negative int), so the table is 32 bits wide.
 */
static const struct ln_xval mount_flags[] = {
	LN_XF(MS_MGC_VAL, MS_MGC_MSK),
	LN_X(MS_RDONLY),
	LN_X(MS_NOSUID),
	LN_X(MS_NODEV),
	LN_X(MS_NOEXEC),
	LN_X(MS_SYNCHRONOUS),
	LN_X(MS_REMOUNT),
	LN_X(MS_MANDLOCK),
	LN_X(MS_DIRSYNC),
	LN_X(MS_NOSYMFOLLOW),
	LN_X(MS_NOATIME),
	LN_X(MS_NODIRATIME),
	LN_X(MS_BIND),
	LN_X(MS_MOVE),
	LN_X(MS_REC),
	LN_X(MS_SILENT),
	LN_X(MS_POSIXACL),
	LN_X(MS_UNBINDABLE),
	LN_X(MS_PRIVATE),
	LN_X(MS_SLAVE),
	LN_X(MS_SHARED),
	LN_X(MS_RELATIME),
	LN_X(MS_KERNMOUNT),
	LN_X(MS_I_VERSION),
	LN_X(MS_STRICTATIME),
	LN_X(MS_LAZYTIME),
	LN_X(MS_ACTIVE),
	LN_X(MS_NOUSER),
};
const struct ln_xtable ln_x_mount = LN_XTABLE(mount_flags, LN_XS_FLAGS, 32);

static const struct ln_xval umount_flags[] = {
	LN_X(MNT_FORCE),
	LN_X(MNT_DETACH),
	LN_X(MNT_EXPIRE),
	LN_X(UMOUNT_NOFOLLOW),
};
const struct ln_xtable ln_x_umount = LN_XTABLE(umount_flags, LN_XS_FLAGS, 32);

/* finit_module takes MODULE_INIT_*, delete_module O_NONBLOCK|O_TRUNC:
 * the two sets do not overlap, so one table serves both. */
static const struct ln_xval module_flags[] = {
	LN_X(MODULE_INIT_IGNORE_MODVERSIONS),
	LN_X(MODULE_INIT_IGNORE_VERMAGIC),
	LN_X(MODULE_INIT_COMPRESSED_FILE),
	LN_X(O_TRUNC),
	LN_X(O_NONBLOCK),
};
const struct ln_xtable ln_x_module = LN_XTABLE(module_flags, LN_XS_FLAGS, 32);
