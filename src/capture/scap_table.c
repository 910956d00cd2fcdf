/*
 * scap_table.c - libscap's event table of sysdig 0.29.3's libs, read from
 * scap_events.def (transcribed from that version by tools/gen_scap_events.py),
 * and the flag and fd-type translations between the kernel and libscap.
 *
 * A .scap event names its type by a number of that table and carries its
 * parameters in the table's order and types: writer and reader both go
 * through the names here, and map parameters to lanner's by name.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture/scap.h"

#define NPAIRS(v) (sizeof(v) / sizeof(v[0]))

/* Category and event-flag symbols of the .def file. */
enum {
	EC_UNKNOWN = 0, EC_OTHER = 1, EC_FILE = 2, EC_NET = 3, EC_IPC = 4,
	EC_MEMORY = 5, EC_PROCESS = 6, EC_SLEEP = 7, EC_SYSTEM = 8, EC_SIGNAL = 9,
	EC_USER = 10, EC_TIME = 11, EC_IO_READ = 32, EC_IO_WRITE = 33,
	EC_IO_OTHER = 34, EC_WAIT = 64, EC_SCHEDULER = 128, EC_INTERNAL = 256
};
enum {
	EF_NONE = 0, EF_CREATES_FD = 1, EF_DESTROYS_FD = 2, EF_USES_FD = 4,
	EF_READS_FROM_FD = 8, EF_WRITES_TO_FD = 16, EF_MODIFIES_STATE = 32,
	EF_UNUSED = 64, EF_WAITS = 128, EF_SKIPPARSERESET = 256,
	EF_OLD_VERSION = 512, EF_DROP_SIMPLE_CONS = 1024, EF_LARGE_PAYLOAD = 2048
};

struct row {
	int id;
	const char *name;
	int category, flags;
	const char *params;
};

/* Each list takes its rows of scap_events.def and skips the others. */
#define SCAP_EV(id, name, cat, flags, params)
#define SCAP_SC(code, name)
#define SCAP_NR(syscall, id)
#define SCAP_ROUTE(syscall, code)

static const struct row rows[] = {
#undef SCAP_EV
#define SCAP_EV(id, name, cat, flags, params) { id, name, cat, flags, params },
#include "capture/scap_events.def"
#undef SCAP_EV
#define SCAP_EV(id, name, cat, flags, params)
};

struct pair { int code; const char *name; };

static const struct pair scs[] = {
#undef SCAP_SC
#define SCAP_SC(code, name) { code, name },
#include "capture/scap_events.def"
#undef SCAP_SC
#define SCAP_SC(code, name)
};

/* native syscall -> its enter event (driver/syscall_table.c) */
static const struct pair nrs[] = {
#undef SCAP_NR
#define SCAP_NR(syscall, id) { id, syscall },
#include "capture/scap_events.def"
#undef SCAP_NR
#define SCAP_NR(syscall, id)
};

/* native syscall -> its PPM_SC_ code, what generic events carry */
static const struct pair routes[] = {
#undef SCAP_ROUTE
#define SCAP_ROUTE(syscall, code) { code, syscall },
#include "capture/scap_events.def"
};

#define NROWS ((int)(sizeof(rows) / sizeof(rows[0])))
#define NSCS ((int)NPAIRS(scs))

/* The type names of the .def, in enum scap_pt order. */
static const char *const pt_names[PT_MAX] = {
	"NONE", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32",
	"UINT64", "CHARBUF", "BYTEBUF", "ERRNO", "SOCKADDR", "SOCKTUPLE", "FD",
	"PID", "FDLIST", "FSPATH", "SYSCALLID", "SIGTYPE", "RELTIME", "ABSTIME",
	"PORT", "L4PROTO", "SOCKFAMILY", "BOOL", "IPV4ADDR", "DYN", "FLAGS8",
	"FLAGS16", "FLAGS32", "UID", "GID", "DOUBLE", "SIGSET", "CHARBUFARRAY",
	"CHARBUF_PAIR_ARRAY", "IPV4NET", "IPV6ADDR", "IPV6NET", "IPADDR", "IPNET",
	"MODE", "FSRELPATH"
};

static struct scap_evinfo *events;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void parse_params(struct scap_evinfo *e, const char *s)
{
	while (*s && e->nparams < SCAP_MAX_PARAMS) {
		char tok[4][32] = { "", "", "", "" };
		for (int k = 0; k < 4; k++) {
			size_t n = strcspn(s, k < 3 ? ":" : " ");
			snprintf(tok[k], sizeof(tok[k]), "%.*s", (int)n, s);
			s += n;
			if (*s)
				s++;
		}
		struct scap_param *p = &e->p[e->nparams++];
		snprintf(p->name, sizeof(p->name), "%.23s", tok[0]);
		for (int t = 0; t < PT_MAX; t++)
			if (!strcmp(pt_names[t], tok[1]))
				p->type = (uint8_t)t;
		p->ftab = !strcmp(tok[3], "file_flags") ? SF_FILE
			: !strcmp(tok[3], "clone_flags") ? SF_CLONE
			: !strcmp(tok[3], "mmap_flags") ? SF_MMAP
			: !strcmp(tok[3], "fcntl_commands") ? SF_FCNTL : SF_NONE;
	}
}

static void init(void)
{
	events = calloc(NROWS, sizeof(*events));
	if (!events)
		return;
	for (int i = 0; i < NROWS; i++) {
		struct scap_evinfo *e = &events[rows[i].id];
		e->name = rows[i].name;
		e->category = (uint16_t)rows[i].category;
		e->flags = (uint16_t)rows[i].flags;
		parse_params(e, rows[i].params);
	}
}

int scap_nevents(void)
{
	pthread_once(&once, init);
	return events ? NROWS : 0;
}

const struct scap_evinfo *scap_event(int id)
{
	return id >= 0 && id < scap_nevents() ? &events[id] : NULL;
}

int scap_event_of(const char *name)
{
	/* the newest pair of that name: later rows supersede older versions */
	for (int id = scap_nevents() - 2; id >= 2; id -= 2) {
		const struct scap_evinfo *e = &events[id];
		if (!(e->flags & (SCAP_EF_OLD_VERSION | SCAP_EF_UNUSED)) && !strcmp(e->name, name))
			return id;
	}
	return -1;
}

static const struct pair *by_name(const struct pair *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static const struct pair *by_code(const struct pair *v, size_t n, int code)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].code == code)
			return &v[i];
	return NULL;
}

int scap_event_of_syscall(const char *name)
{
	const struct pair *p = by_name(nrs, NPAIRS(nrs), name);
	return p ? p->code : scap_event_of(name);
}

int scap_code_of_syscall(const char *name)
{
	const struct pair *p = by_name(routes, NPAIRS(routes), name);
	return p ? p->code : scap_sc_of(name);
}

const char *scap_event_syscall(int id)
{
	const struct scap_evinfo *e = scap_event(id);
	if (!e)
		return NULL;
	if (ln_type_id(e->name) >= 0)
		return e->name;
	/* pread is pread64's event; dup2 and dup3 make dup's (dup kept) */
	const struct pair *p = by_code(nrs, NPAIRS(nrs), id & ~1);
	return p ? p->name : e->name;
}

const char *scap_code_syscall(int code)
{
	const struct pair *p = by_code(routes, NPAIRS(routes), code);
	return p ? p->name : scap_sc_name(code);
}

/* Parameters libscap 0.29 names otherwise than lanner (Falco now):
 * event, lanner's name, libscap's. */
static const char *const pname_alias[][3] = {
	{ "access", "pathname", "name" },
	{ "dup", "oldfd", "fd" },
};

const char *scap_pname_of(const char *ev, const char *lanner_name)
{
	for (size_t i = 0; i < NPAIRS(pname_alias); i++)
		if (!strcmp(pname_alias[i][0], ev) && !strcmp(pname_alias[i][1], lanner_name))
			return pname_alias[i][2];
	return lanner_name;
}

const char *scap_lanner_pname(const char *ev, const char *scap_name)
{
	for (size_t i = 0; i < NPAIRS(pname_alias); i++)
		if (!strcmp(pname_alias[i][0], ev) && !strcmp(pname_alias[i][2], scap_name))
			return pname_alias[i][1];
	return scap_name;
}

int scap_sc_of(const char *name)
{
	for (int i = 0; i < NSCS; i++)
		if (!strcmp(scs[i].name, name))
			return scs[i].code;
	return -1;
}

const char *scap_sc_name(int code)
{
	for (int i = 0; i < NSCS; i++)
		if (scs[i].code == code)
			return scs[i].name;
	return NULL;
}

/* Kernel value, libscap value (driver/ppm_events_public.h): bits of a
 * flag word, or values of an enum (fcntl commands). */
static const uint32_t clone_map[][2] = {
	{ CLONE_FILES, 1u << 0 }, { CLONE_FS, 1u << 1 }, { CLONE_IO, 1u << 2 },
	{ CLONE_NEWIPC, 1u << 3 }, { CLONE_NEWNET, 1u << 4 }, { CLONE_NEWNS, 1u << 5 },
	{ CLONE_NEWPID, 1u << 6 }, { CLONE_NEWUTS, 1u << 7 }, { CLONE_PARENT, 1u << 8 },
	{ CLONE_PARENT_SETTID, 1u << 9 }, { CLONE_PTRACE, 1u << 10 },
	{ CLONE_SIGHAND, 1u << 11 }, { CLONE_SYSVSEM, 1u << 12 },
	{ CLONE_THREAD, 1u << 13 }, { CLONE_UNTRACED, 1u << 14 }, { CLONE_VM, 1u << 15 },
	{ CLONE_NEWUSER, 1u << 20 }, { CLONE_CHILD_CLEARTID, 1u << 23 },
	{ CLONE_CHILD_SETTID, 1u << 24 }, { CLONE_SETTLS, 1u << 25 },
	{ CLONE_VFORK, 1u << 27 }, { CLONE_NEWCGROUP, 1u << 28 },
};

/* O_RDONLY is 0 in the kernel and a bit of its own in libscap; O_SYNC
 * and O_TMPFILE hold O_DSYNC's and O_DIRECTORY's bits (handled below). */
static const uint32_t open_map[][2] = {
	{ O_CREAT, 1u << 2 }, { O_APPEND, 1u << 3 }, { O_DSYNC, 1u << 4 },
	{ O_EXCL, 1u << 5 }, { O_NONBLOCK, 1u << 6 }, { O_TRUNC, 1u << 8 },
	{ O_DIRECT, 1u << 9 }, { 0x8000 /* O_LARGEFILE, 0 in x86_64's libc */, 1u << 11 },
	{ O_CLOEXEC, 1u << 12 },
};
enum { PPM_O_RDONLY = 1, PPM_O_WRONLY = 2, PPM_O_SYNC = 1 << 7, PPM_O_DIRECTORY = 1 << 10,
	PPM_O_TMPFILE = 1 << 13 };

static const uint32_t mmap_map[][2] = {
	{ 0x01, 1u << 0 }, { 0x02, 1u << 1 }, { 0x10, 1u << 2 }, { 0x20, 1u << 3 },
	{ 0x40, 1u << 4 }, { 0x4000, 1u << 6 }, { 0x8000, 1u << 7 }, { 0x10000, 1u << 8 },
	{ 0x100, 1u << 9 }, { 0x800, 1u << 10 }, { 0x1000, 1u << 11 }, { 0x2000, 1u << 14 },
};

static const uint32_t fcntl_map[][2] = {
	{ F_DUPFD, 1 }, { F_GETFD, 2 }, { F_SETFD, 3 }, { F_GETFL, 4 }, { F_SETFL, 5 },
	{ F_GETLK, 6 }, { F_SETLK, 8 }, { F_SETLKW, 9 }, { F_SETOWN, 10 }, { F_GETOWN, 12 },
	{ F_SETSIG, 13 }, { F_GETSIG, 15 }, { F_SETOWN_EX, 21 }, { F_GETOWN_EX, 22 },
	{ F_SETLEASE, 23 }, { F_GETLEASE, 24 }, { 1029 /* F_CANCELLK */, 25 },
	{ F_DUPFD_CLOEXEC, 26 }, { F_NOTIFY, 27 }, { F_SETPIPE_SZ, 28 }, { F_GETPIPE_SZ, 29 },
	{ F_OFD_GETLK, 30 }, { F_OFD_SETLK, 31 }, { F_OFD_SETLKW, 32 },
};

static const struct ftab {
	const uint32_t (*m)[2];
	size_t n;
	bool is_enum;
} ftabs[] = {
	[SF_CLONE] = { clone_map, NPAIRS(clone_map), false },
	[SF_FILE] = { open_map, NPAIRS(open_map), false },
	[SF_MMAP] = { mmap_map, NPAIRS(mmap_map), false },
	[SF_FCNTL] = { fcntl_map, NPAIRS(fcntl_map), true },
};

/* from: column 0 (kernel) or 1 (libscap) */
static uint64_t translate(int ftab, uint64_t v, int from)
{
	const struct ftab *t = &ftabs[ftab];
	uint64_t r = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->is_enum && v == t->m[i][from])
			return t->m[i][!from];
		if (!t->is_enum && (v & t->m[i][from]))
			r |= t->m[i][!from];
	}
	return t->is_enum ? 0 : r;
}

uint32_t scap_flags_to(int ftab, uint64_t v)
{
	if (ftab <= SF_NONE || ftab >= SF_COUNT)
		return (uint32_t)v;
	uint32_t r = (uint32_t)translate(ftab, v, 0);
	if (ftab != SF_FILE)
		return r;
	switch (v & O_ACCMODE) {
	case O_RDONLY: r |= PPM_O_RDONLY; break;
	case O_WRONLY: r |= PPM_O_WRONLY; break;
	case O_RDWR: r |= PPM_O_RDONLY | PPM_O_WRONLY; break;
	}
	if ((v & O_SYNC) == O_SYNC)
		r |= PPM_O_SYNC;
	if ((v & O_TMPFILE) == O_TMPFILE)
		r |= PPM_O_TMPFILE;
	else if (v & O_DIRECTORY)
		r |= PPM_O_DIRECTORY;
	return r;
}

uint64_t scap_flags_from(int ftab, uint32_t v)
{
	if (ftab <= SF_NONE || ftab >= SF_COUNT)
		return v;
	uint64_t r = translate(ftab, v, 1);
	if (ftab != SF_FILE)
		return r;
	if ((v & (PPM_O_RDONLY | PPM_O_WRONLY)) == (PPM_O_RDONLY | PPM_O_WRONLY))
		r |= O_RDWR;
	else if (v & PPM_O_WRONLY)
		r |= O_WRONLY;
	if (v & PPM_O_SYNC)
		r |= O_SYNC;
	if (v & PPM_O_TMPFILE)
		r |= O_TMPFILE;
	if (v & PPM_O_DIRECTORY)
		r |= O_DIRECTORY;
	return r;
}

int scap_fdtype_to(const ln_fd *f)
{
	bool serv = f->is_server && !f->connected;
	switch (f->type) {
	case LN_FD_FILE: case LN_FD_MEMFD: return SFD_FILE_V2;
	case LN_FD_DIRECTORY: return SFD_DIRECTORY;
	case LN_FD_IPV4: return serv ? SFD_IPV4_SERVSOCK : SFD_IPV4_SOCK;
	case LN_FD_IPV6: return serv ? SFD_IPV6_SERVSOCK : SFD_IPV6_SOCK;
	case LN_FD_UNIX: return SFD_UNIX_SOCK;
	case LN_FD_PIPE: return SFD_FIFO;
	case LN_FD_EVENT: return SFD_EVENT;
	case LN_FD_SIGNALFD: return SFD_SIGNALFD;
	case LN_FD_EVENTPOLL: return SFD_EVENTPOLL;
	case LN_FD_INOTIFY: return SFD_INOTIFY;
	case LN_FD_TIMERFD: return SFD_TIMERFD;
	case LN_FD_NETLINK: return SFD_NETLINK;
	case LN_FD_UNKNOWN: return SFD_UNKNOWN;
	default: return SFD_UNSUPPORTED;
	}
}

int scap_fdtype_from(int t)
{
	switch (t) {
	case SFD_FILE: case SFD_FILE_V2: return LN_FD_FILE;
	case SFD_DIRECTORY: return LN_FD_DIRECTORY;
	case SFD_IPV4_SOCK: case SFD_IPV4_SERVSOCK: return LN_FD_IPV4;
	case SFD_IPV6_SOCK: case SFD_IPV6_SERVSOCK: return LN_FD_IPV6;
	case SFD_UNIX_SOCK: return LN_FD_UNIX;
	case SFD_FIFO: return LN_FD_PIPE;
	case SFD_EVENT: return LN_FD_EVENT;
	case SFD_SIGNALFD: return LN_FD_SIGNALFD;
	case SFD_EVENTPOLL: return LN_FD_EVENTPOLL;
	case SFD_INOTIFY: return LN_FD_INOTIFY;
	case SFD_TIMERFD: return LN_FD_TIMERFD;
	case SFD_NETLINK: return LN_FD_NETLINK;
	case SFD_UNSUPPORTED: return LN_FD_OTHER;
	default: return LN_FD_UNKNOWN;
	}
}

/* --- a set of tids, each with a value: open addressing, power-of-two
 * capacity --- */

static size_t slot(const struct scap_tidset *t, int32_t tid)
{
	size_t i = ((uint32_t)tid * 2654435761u) & (t->cap - 1);
	while (t->v[i] && t->v[i] != tid)
		i = (i + 1) & (t->cap - 1);
	return i;
}

bool scap_tidset_has(const struct scap_tidset *t, int32_t tid)
{
	return t->cap && tid > 0 && t->v[slot(t, tid)] == tid;
}

bool scap_tidset_get(const struct scap_tidset *t, int32_t tid, uint64_t *x)
{
	if (!scap_tidset_has(t, tid))
		return false;
	*x = t->x[slot(t, tid)];
	return true;
}

/* Rehash into cap slots, leaving out `drop` (deleting from a probe
 * chain would break it). */
static int rehash(struct scap_tidset *t, size_t cap, int32_t drop)
{
	int32_t *old = t->v, *v = calloc(cap, sizeof(*v));
	uint64_t *oldx = t->x, *x = calloc(cap, sizeof(*x));
	size_t ocap = t->cap;
	if (!v || !x) {
		free(v);
		free(x);
		return -1;
	}
	t->v = v;
	t->x = x;
	t->cap = cap;
	t->n = 0;
	for (size_t i = 0; i < ocap; i++)
		if (old[i] && old[i] != drop) {
			size_t k = slot(t, old[i]);
			t->v[k] = old[i];
			t->x[k] = oldx[i];
			t->n++;
		}
	free(old);
	free(oldx);
	return 0;
}

int scap_tidset_put(struct scap_tidset *t, int32_t tid, uint64_t x)
{
	if (tid <= 0)
		return 0;
	if (2 * (t->n + 1) > t->cap && rehash(t, t->cap ? 2 * t->cap : 1024, 0) < 0)
		return -1;
	size_t i = slot(t, tid);
	if (!t->v[i]) {
		t->v[i] = tid;
		t->n++;
	}
	t->x[i] = x;
	return 0;
}

int scap_tidset_set(struct scap_tidset *t, int32_t tid, bool on)
{
	if (!on)
		return scap_tidset_has(t, tid) ? rehash(t, t->cap, tid) : 0;
	uint64_t x = 0;
	scap_tidset_get(t, tid, &x);
	return scap_tidset_put(t, tid, x);
}

void scap_tidset_free(struct scap_tidset *t)
{
	free(t->v);
	free(t->x);
	memset(t, 0, sizeof(*t));
}
