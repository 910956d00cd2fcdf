/*
 * state.h - the state tables: threads, processes, their fds and what the
 * kernel says of each socket.  Uses base/, table/ and render/ (a socket's
 * name is its tuple as text).  Changes are announced through the
 * session's on_state_change hook, never by calling a layer above.
 */
#ifndef LN_STATE_H
#define LN_STATE_H
#include <sys/socket.h>
#include "base/base.h"
#include "table/table.h"

/* What changed (on_state_change's what; a, b: pid/tid and fd).  FORK: the
 * process a was made by b as a copy of its record and fds; CWD, COMM, VM:
 * only a's cwd, the name it gives itself (prctl), or its memory figures
 * changed. */
enum ln_state_change { LN_TOUCH_PROC, LN_TOUCH_THREAD, LN_TOUCH_FD, LN_TOUCH_THREAD_GONE,
		       LN_TOUCH_FORK, LN_TOUCH_CWD, LN_TOUCH_COMM, LN_TOUCH_VM };

static inline void ln_state_changed(struct ln_session *s, int what, int32_t a, int32_t b)
{
	if (s && s->on_state_change)
		s->on_state_change(s, what, a, b);
}

/* procrec.c: a process record's fields */
/* *slot (owned) and *pub become a copy of v's len bytes, NUL-ended. */
void ln_rec_str(char **slot, const char **pub, const char *v, size_t len);
void ln_rec_cstr(char **slot, const char **pub, const char *v);
/* proc.cmdline, built again from comm and args when either changes. */
void ln_proc_build_cmdline(struct ln_pstate *p);
/* What a fork's child has of its creator's record: all but its pid,
 * ppid, vpid, start time and flags, and its fds. */
void ln_proc_copy(struct ln_pstate *p, const struct ln_pstate *parent);
/* The cwd as Falco shows it: with a trailing '/'. */
void ln_proc_set_cwd(struct ln_pstate *p, const char *dir, size_t len);
/* The name a process gives itself without an exec (prctl PR_SET_NAME):
 * kept beside the exec's comm, which identity fields keep reading. */
void ln_proc_set_comm(struct ln_pstate *p, const char *comm);
/* A capture's PROC block: str/len are exe, exepath, args, env, cwd,
 * root, container_id. */
void ln_proc_set(struct ln_pstate *p, const char *const str[7], const uint32_t len[7]);
/* A replica's record made anew for its pid: no fds, no strings. */
void ln_proc_clear(struct ln_pstate *p);

/* tasks.c: threads and processes */
struct ln_tstate *ln_thread_find(struct ln_session *s, pid_t tid);
struct ln_pstate *ln_proc_find(struct ln_session *s, pid_t pid);
/* A new tracee: its process is looked up (thread) or created from the
 * creator's (fork) or from /proc (launch, attach, unknown parent).  c: who
 * made it and how (trace/children.c ln_child_creator), NULL if unknown. */
struct ln_tstate *ln_thread_new(struct ln_session *s, pid_t tid, const struct ln_creator *c);
void ln_thread_gone(struct ln_session *s, struct ln_tstate *t);
void ln_thread_rekey(struct ln_session *s, struct ln_tstate *t, pid_t newtid);
void ln_proc_free_deferred(struct ln_session *s);
void ln_proc_add_ancestors(struct ln_session *s, pid_t pid);
void ln_proc_load_exec(struct ln_session *s, struct ln_pstate *p, uint64_t now);
void ln_thread_load_vm(struct ln_session *s, struct ln_tstate *t);
/* The thread's ids and capabilities from /proc/TID/status; vm: its
 * memory figures too, from the same read (at exec and creation, where
 * Falco's driver reports them; not after a setuid, where it does not). */
void ln_proc_load_creds(struct ln_tstate *t, bool vm);
void ln_state_free_all(struct ln_session *s);
/* For replaying a capture. */
struct ln_pstate *ln_proc_obtain(struct ln_session *s, pid_t pid);
struct ln_tstate *ln_thread_obtain(struct ln_session *s, pid_t tid, struct ln_pstate *p);
/* A FORK block: pid made by parent, a copy of its record and fds. */
struct ln_pstate *ln_proc_fork_of(struct ln_session *s, pid_t pid, struct ln_pstate *parent, pid_t ppid,
				  int32_t vpid, uint64_t start_ts, uint32_t flags);

/* fdmap.c: a process's fd entries by number.  put: false when memory
 * ran out (f not stored); take: the entry removed, or NULL; after: the
 * entry with the lowest number above fd (-1: the first), or NULL; copy_all
 * (a fork): dst, empty, gets a copy of each of src's, their count. */
ln_fd *ln_fd_at(const struct ln_pstate *p, int fd);
bool ln_fd_put(struct ln_pstate *p, int fd, ln_fd *f);
ln_fd *ln_fd_take(struct ln_pstate *p, int fd);
ln_fd *ln_fd_after(const struct ln_pstate *p, int fd);
int ln_fd_copy_all(struct ln_pstate *dst, const struct ln_pstate *src);
void ln_fd_free_all(struct ln_pstate *p);

/* fdname.c: counted name strings (ln_fd.name).  make: a new one (the
 * empty name is static), NULL when memory ran out; dup: the same string
 * counted once more; drop: counted down, freed at zero. */
const char *ln_name_make(const char *s);
const char *ln_name_dup(const char *name);
void ln_name_drop(const char *name);

/* fdtable.c */
void ln_proc_scan_fds(struct ln_session *s, struct ln_pstate *p);
ln_fd *ln_fd_set(struct ln_pstate *p, int fd);
void ln_fd_del(struct ln_pstate *p, int fd);
void ln_fd_set_name(ln_fd *f, const char *name);
/* f's name becomes name, an entry's name (shared, not copied). */
void ln_fd_share_name(ln_fd *f, const char *name);
bool ln_fd_unchanged(struct ln_pstate *p, int fd);
/* Name and type of fd from /proc/PID/fd/N and the socket itself. */
void ln_fd_from_kernel(struct ln_session *s, struct ln_pstate *p, ln_fd *f);
int ln_proc_pidfd_getfd(struct ln_session *s, struct ln_pstate *p, int fd);

/* written.c: files traced processes opened for writing, by dev and inode. */
void ln_written_note(struct ln_session *s, const ln_fd *f, const char *comm);
const char *ln_written_by(struct ln_session *s, uint64_t dev, uint64_t ino);

/* container.c: ln_container_id (lanner.h) reads cgroup lines. */

/* socket.c: type, protocol, both ends and name of a socket fd. */
void ln_sock_fill(struct ln_session *s, struct ln_pstate *p, ln_fd *f);
void ln_sockaddr_to(const struct sockaddr_storage *ss, uint8_t ip[16], uint16_t *port);

#endif
