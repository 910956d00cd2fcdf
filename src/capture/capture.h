/*
 * capture.h - capture files (doc/capture-format.md): what the writer, the
 * reader and the state tables share.
 */
#ifndef LN_CAPTURE_H
#define LN_CAPTURE_H
#include "base/base.h"
#include "table/table.h"
#include "state/state.h"

/* Block types.  A reader skips a type it does not know. */
enum ln_block {
	LN_BLK_HEADER = 1,	/* format, lanner version, host, times, type table */
	LN_BLK_PROC = 2,	/* a process's state (new or changed) */
	LN_BLK_THREAD = 3,	/* a thread's state (new or changed) */
	LN_BLK_FD = 4,		/* an fd's state (new or changed) */
	LN_BLK_FD_DEL = 5,	/* an fd closed */
	LN_BLK_THREAD_GONE = 6,	/* a thread ended */
	LN_BLK_EVENT = 7,	/* one event */
	LN_BLK_COMPRESSED = 8,	/* whole blocks of the above, compressed */
	LN_BLK_RESET = 9,	/* the queue only: forget every process and
				 * thread; their state follows whole */
	LN_BLK_FORK = 10,	/* the queue only: a process made as a copy
				 * of its creator's record and fds */
	LN_BLK_CWD = 11,	/* the queue only: a process's new cwd */
	LN_BLK_COMM = 12,	/* the queue only: the name a process gives
				 * itself (prctl PR_SET_NAME) */
	LN_BLK_VM = 13		/* the queue only: a process's memory figures
				 * (at a brk, mmap or munmap) */
};

enum {
	LN_CAP_VERSION = 2,		/* the newest this lanner reads */
	LN_CAP_VERSION_COMPRESSED = 2,	/* the oldest with COMPRESSED blocks */
	LN_CAP_MAX_BLOCK = 1 << 20,	/* a longer block is damage, not data */
	LN_CAP_MAX_INFLATED = 2 << 20,	/* a COMPRESSED block's data, inflated */
	LN_CAP_MAX_FD = INT32_MAX,	/* fd numbers are ints; the table's
					 * memory goes by their count (fdmap.c) */
};

/* Growable little-endian encoder. */
struct ln_buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

void ln_buf_grow(struct ln_buf *b, size_t n);	/* room for n more, or oom */
void ln_buf_u8(struct ln_buf *b, uint8_t v);
void ln_buf_u16(struct ln_buf *b, uint16_t v);
void ln_buf_u32(struct ln_buf *b, uint32_t v);
void ln_buf_u64(struct ln_buf *b, uint64_t v);
void ln_buf_bytes(struct ln_buf *b, const void *p, size_t n);
void ln_buf_str(struct ln_buf *b, const char *s, size_t n);

/* A bounds-checked cursor over a block: past its end, reads give 0 and
 * set bad (read.c; the .scap reader's table blocks use it too). */
struct ln_cur {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
};
uint64_t ln_cur_le(struct ln_cur *c, int n);
#define U8(c) ((uint8_t)ln_cur_le(c, 1))
#define U16(c) ((uint16_t)ln_cur_le(c, 2))
#define U32(c) ((uint32_t)ln_cur_le(c, 4))
#define U64(c) (ln_cur_le(c, 8))
void ln_cur_skip(struct ln_cur *c, int n);
/* A length-prefixed string, pointing into the block (not NUL-terminated). */
const char *ln_cur_str(struct ln_cur *c, uint32_t *len);
void ln_cur_bytes(struct ln_cur *c, void *dst, size_t n);

uint32_t ln_crc32(uint32_t crc, const void *p, size_t n);

/* COMPRESSED blocks' codecs (compress.c); alg is enum ln_compress. */
struct ln_cz;
struct ln_cz *ln_cz_new(int alg, bool inflating);
void ln_cz_free(struct ln_cz *z);
const char *ln_cz_name(int alg);
size_t ln_cz_bound(const struct ln_cz *z, size_t n);
ssize_t ln_cz_compress(struct ln_cz *z, const void *in, size_t n, void *dst, size_t cap);
int ln_cz_inflate(struct ln_cz *z, const void *in, size_t n, void *out, size_t want);
const char *ln_cz_why(const struct ln_cz *z);

/* read_state.c: a state block (PROC, THREAD, FD, FD_DEL, THREAD_GONE,
 * RESET) of type applied to s's tables; c->bad if it was short. */
void ln_cap_apply_state(struct ln_session *s, uint32_t type, struct ln_cur *c);
/* An fd's fields as a FD block (and an EVENT block's fd) encode them;
 * *name points into the block, nlen bytes. */
void ln_cap_get_fd(struct ln_cur *c, ln_fd *f, const char **name, uint32_t *nlen);

/* read.c: open a capture for replay (the session then takes its events
 * from ln_cap_next instead of the trace loop), and free the reader; a
 * .scap (told by its magic) is read by scap_read.c behind these. */
int ln_cap_open_reader(struct ln_session *s, const char *path);
int ln_cap_next(struct ln_session *s, ln_event **ev);
void ln_cap_free_reader(struct ln_session *s);

/* The event queue to the thread that runs the rules (session/async.c):
 * the same blocks through a pipe.  The writer's end is non-blocking; in a
 * queue that drops, a full pipe leaves blocks waiting in the writer. */
int ln_cap_stream_open(struct ln_session *s, int fd, bool drop);
int ln_cap_stream_event(struct ln_session *s, const ln_event *ev);
int ln_cap_stream_flush(struct ln_session *s, bool block);
size_t ln_cap_backlog(const struct ln_session *s);
uint64_t ln_cap_waits(const struct ln_session *s);
uint64_t ln_cap_sent(const struct ln_session *s);
int ln_cap_stream_close(struct ln_session *s);
int ln_cap_stream_reader(struct ln_session *s, int fd);
int ln_cap_fill(struct ln_session *s);
int ln_cap_reader_fd(const struct ln_session *s);

#endif
