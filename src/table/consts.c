/*
 * consts.c - constants by kind (ln_const_name, ln_const_value), errno
 * names, and the names of fd types and event categories.
 */
#include <errno.h>
#include <string.h>
#include "table/consts.h"

/* Which table names the values of a kind.  Kinds that carry a struct
 * name its flags field: open_how.flags, clone_args.flags. */
static const struct ln_xtable *const kind_tables[LN_K_COUNT] = {
	[LN_K_DIRFD] = &ln_x_dirfd,
	[LN_K_OPEN_HOW] = &ln_x_oflags,
	[LN_K_CLONE_ARGS] = &ln_x_clone,
	[LN_K_OFLAGS] = &ln_x_oflags,
	[LN_K_ATFLAGS] = &ln_x_atflags,
	[LN_K_SOCK_DOMAIN] = &ln_x_domain,
	[LN_K_SOCK_TYPE] = &ln_x_socktype,
	[LN_K_SOCK_PROTO] = &ln_x_proto,
	[LN_K_CLONE_FLAGS] = &ln_x_clone,
	[LN_K_SIGNAL] = &ln_x_signal,
	[LN_K_FCNTL_CMD] = &ln_x_fcntl,
	[LN_K_PROT] = &ln_x_prot,
	[LN_K_MMAP_FLAGS] = &ln_x_mmap,
	[LN_K_PTRACE_REQ] = &ln_x_ptrace,
	[LN_K_PRCTL_OP] = &ln_x_prctl,
	[LN_K_MOUNT_FLAGS] = &ln_x_mount,
	[LN_K_UMOUNT_FLAGS] = &ln_x_umount,
	[LN_K_NS_TYPE] = &ln_x_nstype,
	[LN_K_RENAME_FLAGS] = &ln_x_rename,
	[LN_K_SHUT_HOW] = &ln_x_shut,
	[LN_K_SOCKOPT_LEVEL] = &ln_x_level,
	[LN_K_SOCKOPT_NAME] = &ln_x_sockopt,
	[LN_K_MSG_FLAGS] = &ln_x_msgflags,
	[LN_K_FD_FLAGS] = &ln_x_fdflags,
	[LN_K_MEMFD_FLAGS] = &ln_x_memfd,
	[LN_K_CLOCKID] = &ln_x_clockid,
	[LN_K_BPF_CMD] = &ln_x_bpf,
	[LN_K_MODULE_FLAGS] = &ln_x_module,
	[LN_K_SECCOMP_OP] = &ln_x_seccomp_op,
	[LN_K_SECCOMP_FLAGS] = &ln_x_seccomp_flags,
};

const struct ln_xtable *ln_xtable_of(int kind)
{
	if (kind < 0 || kind >= LN_K_COUNT)
		return NULL;
	return kind_tables[kind];
}

/* A 32-bit enum is sign-extended so that AT_FDCWD (-100) matches however
 * the register held it; 32-bit flags are cut to the int the kernel reads.
 * Table rows go through here too: glibc's MS_NOUSER is (int)1 << 31. */
uint64_t ln_xnorm(const struct ln_xtable *t, int64_t v)
{
	if (t->bits == 64)
		return (uint64_t)v;
	if (t->style == LN_XS_ENUM)
		return (uint64_t)(int64_t)(int32_t)v;
	return (uint32_t)v;
}

const char *ln_xname(const struct ln_xtable *t, uint64_t v)
{
	for (size_t i = 0; i < t->n; i++)
		if (!t->v[i].alias && ln_xnorm(t, (int64_t)t->v[i].val) == v)
			return t->v[i].name;
	return NULL;
}

/* Linux errnos, indexed by value. */
#define LN_E(e) [e] = #e
static const char *const errnames[] = {
	LN_E(EPERM),
	LN_E(ENOENT),
	LN_E(ESRCH),
	LN_E(EINTR),
	LN_E(EIO),
	LN_E(ENXIO),
	LN_E(E2BIG),
	LN_E(ENOEXEC),
	LN_E(EBADF),
	LN_E(ECHILD),
	LN_E(EAGAIN),
	LN_E(ENOMEM),
	LN_E(EACCES),
	LN_E(EFAULT),
	LN_E(ENOTBLK),
	LN_E(EBUSY),
	LN_E(EEXIST),
	LN_E(EXDEV),
	LN_E(ENODEV),
	LN_E(ENOTDIR),
	LN_E(EISDIR),
	LN_E(EINVAL),
	LN_E(ENFILE),
	LN_E(EMFILE),
	LN_E(ENOTTY),
	LN_E(ETXTBSY),
	LN_E(EFBIG),
	LN_E(ENOSPC),
	LN_E(ESPIPE),
	LN_E(EROFS),
	LN_E(EMLINK),
	LN_E(EPIPE),
	LN_E(EDOM),
	LN_E(ERANGE),
	LN_E(EDEADLK),
	LN_E(ENAMETOOLONG),
	LN_E(ENOLCK),
	LN_E(ENOSYS),
	LN_E(ENOTEMPTY),
	LN_E(ELOOP),
	LN_E(ENOMSG),
	LN_E(EIDRM),
	LN_E(ECHRNG),
	LN_E(EL2NSYNC),
	LN_E(EL3HLT),
	LN_E(EL3RST),
	LN_E(ELNRNG),
	LN_E(EUNATCH),
	LN_E(ENOCSI),
	LN_E(EL2HLT),
	LN_E(EBADE),
	LN_E(EBADR),
	LN_E(EXFULL),
	LN_E(ENOANO),
	LN_E(EBADRQC),
	LN_E(EBADSLT),
	LN_E(EBFONT),
	LN_E(ENOSTR),
	LN_E(ENODATA),
	LN_E(ETIME),
	LN_E(ENOSR),
	LN_E(ENONET),
	LN_E(ENOPKG),
	LN_E(EREMOTE),
	LN_E(ENOLINK),
	LN_E(EADV),
	LN_E(ESRMNT),
	LN_E(ECOMM),
	LN_E(EPROTO),
	LN_E(EMULTIHOP),
	LN_E(EDOTDOT),
	LN_E(EBADMSG),
	LN_E(EOVERFLOW),
	LN_E(ENOTUNIQ),
	LN_E(EBADFD),
	LN_E(EREMCHG),
	LN_E(ELIBACC),
	LN_E(ELIBBAD),
	LN_E(ELIBSCN),
	LN_E(ELIBMAX),
	LN_E(ELIBEXEC),
	LN_E(EILSEQ),
	LN_E(ERESTART),
	LN_E(ESTRPIPE),
	LN_E(EUSERS),
	LN_E(ENOTSOCK),
	LN_E(EDESTADDRREQ),
	LN_E(EMSGSIZE),
	LN_E(EPROTOTYPE),
	LN_E(ENOPROTOOPT),
	LN_E(EPROTONOSUPPORT),
	LN_E(ESOCKTNOSUPPORT),
	LN_E(EOPNOTSUPP),
	LN_E(EPFNOSUPPORT),
	LN_E(EAFNOSUPPORT),
	LN_E(EADDRINUSE),
	LN_E(EADDRNOTAVAIL),
	LN_E(ENETDOWN),
	LN_E(ENETUNREACH),
	LN_E(ENETRESET),
	LN_E(ECONNABORTED),
	LN_E(ECONNRESET),
	LN_E(ENOBUFS),
	LN_E(EISCONN),
	LN_E(ENOTCONN),
	LN_E(ESHUTDOWN),
	LN_E(ETOOMANYREFS),
	LN_E(ETIMEDOUT),
	LN_E(ECONNREFUSED),
	LN_E(EHOSTDOWN),
	LN_E(EHOSTUNREACH),
	LN_E(EALREADY),
	LN_E(EINPROGRESS),
	LN_E(ESTALE),
	LN_E(EUCLEAN),
	LN_E(ENOTNAM),
	LN_E(ENAVAIL),
	LN_E(EISNAM),
	LN_E(EREMOTEIO),
	LN_E(EDQUOT),
	LN_E(ENOMEDIUM),
	LN_E(EMEDIUMTYPE),
	LN_E(ECANCELED),
	LN_E(ENOKEY),
	LN_E(EKEYEXPIRED),
	LN_E(EKEYREVOKED),
	LN_E(EKEYREJECTED),
	LN_E(EOWNERDEAD),
	LN_E(ENOTRECOVERABLE),
	LN_E(ERFKILL),
	LN_E(EHWPOISON),
};
#define LN_NERRNAMES (sizeof(errnames) / sizeof(errnames[0]))

/*
 * Kernel-internal errnos (include/linux/errno.h, not exported).  A program
 * never gets them, but a tracer does: at a syscall-exit stop the result
 * register holds -ERESTARTSYS and friends when a signal interrupts a
 * syscall that the kernel will restart or turn into EINTR.
 */
static const struct ln_xval kernel_errnos[] = {
	LN_XN(512, "ERESTARTSYS"),
	LN_XN(513, "ERESTARTNOINTR"),
	LN_XN(514, "ERESTARTNOHAND"),
	LN_XN(515, "ENOIOCTLCMD"),
	LN_XN(516, "ERESTART_RESTARTBLOCK"),
	LN_XN(517, "EPROBE_DEFER"),
	LN_XN(518, "EOPENSTALE"),
	LN_XN(519, "ENOPARAM"),
	LN_XN(521, "EBADHANDLE"),
	LN_XN(522, "ENOTSYNC"),
	LN_XN(523, "EBADCOOKIE"),
	LN_XN(524, "ENOTSUPP"),
	LN_XN(525, "ETOOSMALL"),
	LN_XN(526, "ESERVERFAULT"),
	LN_XN(527, "EBADTYPE"),
	LN_XN(528, "EJUKEBOX"),
	LN_XN(529, "EIOCBQUEUED"),
	LN_XN(530, "ERECALLCONFLICT"),
	LN_XN(531, "ENOGRACE"),
	LN_XA(EWOULDBLOCK),
	LN_XA(EDEADLOCK),
	LN_XA(ENOTSUP),
};
static const struct ln_xtable ln_x_kerrno =
	LN_XTABLE(kernel_errnos, LN_XS_ENUM, 32);

LN_API const char *ln_errno_name(int err)
{
	if (err > 0 && (size_t)err < LN_NERRNAMES && errnames[err])
		return errnames[err];
	return ln_xname(&ln_x_kerrno, ln_xnorm(&ln_x_kerrno, err));
}

static int errno_value(const char *name, int64_t *out)
{
	for (size_t i = 1; i < LN_NERRNAMES; i++)
		if (errnames[i] && strcmp(errnames[i], name) == 0) {
			*out = (int64_t)i;
			return 0;
		}
	for (size_t i = 0; i < ln_x_kerrno.n; i++)
		if (strcmp(kernel_errnos[i].name, name) == 0) {
			*out = (int64_t)kernel_errnos[i].val;
			return 0;
		}
	return -ENOENT;
}

/* Results are -errno on failure: their constants are the errno names. */
static int is_result_kind(int kind)
{
	return kind == LN_K_RES || kind == LN_K_RES_FD || kind == LN_K_PID;
}

LN_API const char *ln_const_name(int kind, int64_t value)
{
	if (is_result_kind(kind))
		return value < 0 && value > -4096 ? ln_errno_name((int)-value) : NULL;
	const struct ln_xtable *t = ln_xtable_of(kind);
	if (!t)
		return NULL;
	return ln_xname(t, ln_xnorm(t, value));
}

static int table_value(const struct ln_xtable *t, const char *name, int64_t *out)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0) {
			*out = (int64_t)ln_xnorm(t, (int64_t)t->v[i].val);
			return 0;
		}
	return -ENOENT;
}

/* clone()'s flags hold the exit signal, so "SIGCHLD" is a value of the
 * clone flags kind too. */
LN_API int ln_const_value(int kind, const char *name, int64_t *out)
{
	int64_t v;
	if (!name || !out)
		return -EINVAL;
	if (is_result_kind(kind)) {
		if (errno_value(name, &v) < 0)
			return -ENOENT;
		*out = -v;
		return 0;
	}
	const struct ln_xtable *t = ln_xtable_of(kind);
	if (!t)
		return -ENOENT;
	if (table_value(t, name, &v) == 0 ||
	    (kind == LN_K_CLONE_FLAGS && table_value(&ln_x_signal, name, &v) == 0)) {
		*out = v;
		return 0;
	}
	return -ENOENT;
}

/* Falco's fd.type, and sysdig's one-letter fd type shown in "<f>".
 * sysdig gives userfaultfd 'u' like unix sockets; lanner uses 'U' so
 * that the letters stay unique.  Its 'o' (unknown) is lanner's other. */
static const struct {
	const char *name;
	char letter;
} fd_types[LN_FD_TYPE_COUNT] = {
	[LN_FD_UNKNOWN] = { "unknown", '?' },
	[LN_FD_FILE] = { "file", 'f' },
	[LN_FD_DIRECTORY] = { "directory", 'd' },
	[LN_FD_IPV4] = { "ipv4", '4' },
	[LN_FD_IPV6] = { "ipv6", '6' },
	[LN_FD_UNIX] = { "unix", 'u' },
	[LN_FD_PIPE] = { "pipe", 'p' },
	[LN_FD_EVENT] = { "event", 'e' },
	[LN_FD_SIGNALFD] = { "signalfd", 's' },
	[LN_FD_EVENTPOLL] = { "eventpoll", 'l' },
	[LN_FD_INOTIFY] = { "inotify", 'i' },
	[LN_FD_TIMERFD] = { "timerfd", 't' },
	[LN_FD_NETLINK] = { "netlink", 'n' },
	[LN_FD_MEMFD] = { "memfd", 'm' },
	[LN_FD_BPF] = { "bpf", 'b' },
	[LN_FD_USERFAULTFD] = { "userfaultfd", 'U' },
	[LN_FD_IO_URING] = { "io_uring", 'r' },
	[LN_FD_PIDFD] = { "pidfd", 'P' },
	[LN_FD_OTHER] = { "other", 'o' },
};

LN_API const char *ln_fd_type_name(int type)
{
	if (type < 0 || type >= LN_FD_TYPE_COUNT)
		type = LN_FD_UNKNOWN;
	return fd_types[type].name;
}

LN_API char ln_fd_typechar(int type)
{
	if (type < 0 || type >= LN_FD_TYPE_COUNT)
		type = LN_FD_UNKNOWN;
	return fd_types[type].letter;
}

static const char *const categories[LN_CAT_COUNT] = {
	[LN_CAT_UNKNOWN] = "unknown",
	[LN_CAT_OTHER] = "other",
	[LN_CAT_FILE] = "file",
	[LN_CAT_NET] = "net",
	[LN_CAT_IPC] = "IPC",	/* sinsp's spelling, to this day (I/O on a pipe is "ipc") */
	[LN_CAT_MEMORY] = "memory",
	[LN_CAT_PROCESS] = "process",
	[LN_CAT_SIGNAL] = "signal",
	[LN_CAT_USER] = "user",
	[LN_CAT_SYSTEM] = "system",
};

LN_API const char *ln_category_name(int category)
{
	if (category < 0 || category >= LN_CAT_COUNT)
		category = LN_CAT_UNKNOWN;
	return categories[category];
}
