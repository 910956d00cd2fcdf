/*
 * scap.h - sysdig's .scap capture format (falcosecurity/libs e5c53d648,
 * the libs of sysdig 0.29.3): what the writer (scap_write.c), the reader
 * (scap_read.c) and the event table (scap_table.c) share.
 * doc/capture-format.md, part two, describes the format.
 */
#ifndef LN_SCAP_H
#define LN_SCAP_H
#include "capture/capture.h"

/* Block types (userspace/libscap/scap_savefile.h). */
enum scap_block {
	SCAP_SHB = 0x0A0D0D0A,		/* section header: "\n\r\r\n" */
	SCAP_MI = 0x201,		/* machine info */
	SCAP_PL_V9 = 0x215,		/* process list, entries with a length */
	SCAP_FDL_V2 = 0x218,		/* one process's fds, entries with a length */
	SCAP_EV_V2 = 0x216,		/* an event */
	SCAP_EVF_V2 = 0x217,		/* an event with 32 bits of flags */
	SCAP_EV_V2_LARGE = 0x221,
	SCAP_EVF_V2_LARGE = 0x222,
	SCAP_IL_V2 = 0x219,		/* interface list */
	SCAP_UL_V2 = 0x220,		/* user and group list */
	SCAP_SHB_MAGIC = 0x1A2B3C4D,
	SCAP_EVF_STATE_ONLY = 1		/* EVF flag: for state, not for output */
};

/* Parameter types (driver/ppm_events_public.h, enum ppm_param_type). */
enum scap_pt {
	PT_NONE, PT_INT8, PT_INT16, PT_INT32, PT_INT64, PT_UINT8, PT_UINT16,
	PT_UINT32, PT_UINT64, PT_CHARBUF, PT_BYTEBUF, PT_ERRNO, PT_SOCKADDR,
	PT_SOCKTUPLE, PT_FD, PT_PID, PT_FDLIST, PT_FSPATH, PT_SYSCALLID,
	PT_SIGTYPE, PT_RELTIME, PT_ABSTIME, PT_PORT, PT_L4PROTO, PT_SOCKFAMILY,
	PT_BOOL, PT_IPV4ADDR, PT_DYN, PT_FLAGS8, PT_FLAGS16, PT_FLAGS32, PT_UID,
	PT_GID, PT_DOUBLE, PT_SIGSET, PT_CHARBUFARRAY, PT_CHARBUF_PAIR_ARRAY,
	PT_IPV4NET, PT_IPV6ADDR, PT_IPV6NET, PT_IPADDR, PT_IPNET, PT_MODE,
	PT_FSRELPATH, PT_MAX
};

/* Flag tables whose values libscap renumbers (PPM_O_*, PPM_CL_*, ...);
 * the others are the kernel's. */
enum scap_ftab { SF_NONE, SF_FILE, SF_CLONE, SF_MMAP, SF_FCNTL, SF_COUNT };

/* fd types of the fd list (userspace/libscap/scap.h, scap_fd_type). */
enum scap_fdt {
	SFD_UNKNOWN = 0, SFD_FILE = 1, SFD_DIRECTORY = 2, SFD_IPV4_SOCK = 3,
	SFD_IPV6_SOCK = 4, SFD_IPV4_SERVSOCK = 5, SFD_IPV6_SERVSOCK = 6,
	SFD_FIFO = 7, SFD_UNIX_SOCK = 8, SFD_EVENT = 9, SFD_UNSUPPORTED = 10,
	SFD_SIGNALFD = 11, SFD_EVENTPOLL = 12, SFD_INOTIFY = 13, SFD_TIMERFD = 14,
	SFD_NETLINK = 15, SFD_FILE_V2 = 16
};

enum {
	SCAP_MAX_PARAMS = 32,
	SCAP_EVT_HDR = 26,		/* ts u64, tid u64, len u32, type u16, nparams u32 */
	SCAP_NONLARGE_MAX = 65536,	/* libscap's READER_BUF_SIZE */
	SCAP_GENERIC_E = 0, SCAP_GENERIC_X = 1,
	SCAP_PROCEXIT_1_E = 186,
	SCAP_EF_OLD_VERSION = 1 << 9, SCAP_EF_UNUSED = 1 << 6, SCAP_EF_MODIFIES_STATE = 1 << 5
};

struct scap_param {
	char name[24];
	uint8_t type;			/* enum scap_pt */
	uint8_t ftab;			/* enum scap_ftab */
};

struct scap_evinfo {
	const char *name;		/* evt.type */
	uint16_t category, flags;	/* EC_*, EF_* of the table */
	uint8_t nparams;
	struct scap_param p[SCAP_MAX_PARAMS];
};

/* scap_table.c */
int scap_nevents(void);
const struct scap_evinfo *scap_event(int id);
/* The newest enter event id of a syscall name (its exit is id + 1), or -1. */
int scap_event_of(const char *name);
/* The enter event a native syscall makes (GENERIC_E for most), else the
 * event of that name, or -1; the PPM_SC_ code a generic event carries
 * for it, or -1.  And back: the syscall (lanner's type name) of an event
 * id, and of a code. */
int scap_event_of_syscall(const char *name);
int scap_code_of_syscall(const char *name);
const char *scap_event_syscall(int id);
const char *scap_code_syscall(int code);
/* A parameter's name in libscap's event ev from lanner's, and back. */
const char *scap_pname_of(const char *ev, const char *lanner_name);
const char *scap_lanner_pname(const char *ev, const char *scap_name);
/* PPM_SC code of a syscall name for generic events, or -1; and back. */
int scap_sc_of(const char *name);
const char *scap_sc_name(int code);
/* Flags between the kernel's bits and libscap's. */
uint32_t scap_flags_to(int ftab, uint64_t native);
uint64_t scap_flags_from(int ftab, uint32_t scap);
/* An ln_fd_type as scap's fd list type, and back. */
int scap_fdtype_to(const ln_fd *f);
int scap_fdtype_from(int t);

/* A set of tids, each with a value (scap_table.c); zeroed is empty. */
struct scap_tidset {
	int32_t *v;
	uint64_t *x;
	size_t n, cap;
};
bool scap_tidset_has(const struct scap_tidset *t, int32_t tid);
bool scap_tidset_get(const struct scap_tidset *t, int32_t tid, uint64_t *x);
/* Add (on, keeping its value) or remove a tid; add or set its value:
 * 0, or -1 out of memory. */
int scap_tidset_set(struct scap_tidset *t, int32_t tid, bool on);
int scap_tidset_put(struct scap_tidset *t, int32_t tid, uint64_t x);
void scap_tidset_free(struct scap_tidset *t);

/* scap_head.c: the blocks before the first event, from the state now;
 * a block's framing; a socket's ends as libscap orders them (client,
 * server). */
void scap_write_head(struct ln_session *s, struct ln_buf *b);
size_t scap_block_begin(struct ln_buf *b, uint32_t type);
void scap_block_end(struct ln_buf *b, size_t at);
void scap_ends(const ln_fd *f, const uint8_t **sip, uint16_t *sport, const uint8_t **dip, uint16_t *dport);

/* scap_write.c and scap_read.c, behind ln_capture_* */
int ln_scap_open(struct ln_session *s, const char *path, const ln_capture_opts *o);
int ln_scap_event(struct ln_session *s, const ln_event *ev);
int ln_scap_close(struct ln_session *s);
/* An event a filter left out: written state-only if libscap's table says
 * its event modifies state (EF_MODIFIES_STATE), else nothing. */
int ln_scap_state_event(struct ln_session *s, const ln_event *ev);
int ln_scap_read(struct ln_session *s, const char *path, int fd);
int ln_scap_next(struct ln_session *s, ln_event **ev);
void ln_scap_free_reader(struct ln_session *s);
double ln_scap_progress(struct ln_session *s);
const char *ln_scap_notes(struct ln_session *s);

#endif
