/*
 * scap_event.h - a .scap event as the reader holds it, and what turns
 * enter/exit pairs into lanner events and state (scap_event.c,
 * scap_state.c).
 */
#ifndef LN_SCAP_EVENT_H
#define LN_SCAP_EVENT_H
#include "capture/scap.h"

/* One event block, its parameters pointing into the block (or a copy). */
struct scap_ev {
	uint64_t ts;
	int64_t tid;
	uint16_t type;
	uint16_t cpu;
	uint32_t dump_flags;
	uint32_t nparams;
	const uint8_t *val[SCAP_MAX_PARAMS];
	uint32_t len[SCAP_MAX_PARAMS];
};

/* An enter waiting for its exit, with its own copy of the values. */
struct scap_pend {
	struct scap_ev ev;
	uint8_t *copy;
	uint64_t num;
};

/* The lanner event made of a pair, and the bytes it points to. */
struct scap_build {
	ln_event ev;
	struct scap_tidset ended;	/* threads whose procexit came */
	struct ln_arena arena;
	uint32_t off[LN_MAX_PARAMS];
	ln_fd fd;			/* the event's fd as it was (a close's) */
	char fd_name[LN_STR_MAX];
};

/* A parameter of the pair by libscap's name: the exit's, else the
 * enter's.  Returns its bytes and *len, or NULL. */
const uint8_t *scap_arg(const struct scap_ev *en, const struct scap_ev *ex, const char *name,
			uint32_t *len, int *type);
/* Its integer value (sign-extended by its type), or dflt. */
int64_t scap_int(const struct scap_ev *en, const struct scap_ev *ex, const char *name, int64_t dflt);
/* Its string (CHARBUF/FSPATH, without the NUL) into buf; false if absent. */
bool scap_str(const struct scap_ev *en, const struct scap_ev *ex, const char *name, char *buf, size_t n);

/* libscap's tuple (client, then server) as ln_tuple (local, remote);
 * server: the event's side is the server's. */
bool scap_tuple(const uint8_t *v, uint32_t len, bool server, ln_tuple *t);
/* scap_event.c: 1 and b->ev set, 0 for an event lanner has no type for,
 * -1 out of memory. */
int scap_make_event(struct ln_session *s, struct scap_build *b, const struct scap_ev *en,
		    const struct scap_ev *ex, uint64_t num);
void scap_build_free(struct scap_build *b);

/* scap_tables.c: the tables of the file's start (NULL, or what is wrong);
 * a process's name as exec gave it; an inet fd named by its tuple. */
const char *scap_read_procs(struct ln_session *s, const uint8_t *p, uint32_t len);
const char *scap_read_fds(struct ln_session *s, const uint8_t *p, uint32_t len);
void scap_set_comm(struct ln_pstate *p, const char *s, size_t n);
void scap_fd_name(ln_fd *f);

/* scap_state.c: the state changes of an event, after it (lanner's order). */
void scap_effects(struct ln_session *s, const char *name, const ln_event *ev,
		  const struct scap_ev *en, const struct scap_ev *ex, struct scap_tidset *ended);

#endif
