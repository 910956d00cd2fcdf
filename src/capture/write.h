/*
 * write.h - a capture writer's state, shared by write.c (files, the
 * queue, events) and write_state.c (state blocks and the journal).
 */
#ifndef LN_CAPTURE_WRITE_H
#define LN_CAPTURE_WRITE_H
#include "capture/capture.h"

enum { FLUSH_AT = 64 * 1024, JOURNAL_MAX = 8192 };

/* A queue that drops keeps encoding the state changes of the events it
 * drops, so that the events it keeps find the state they had: while the
 * reader is stalled that grew without bound (4 KB a dropped event where
 * fds are renamed by long paths).  Past RESYNC_AT bytes the pipe has not
 * taken, changes are no longer encoded; once it has taken all but
 * DRAINED_AT, a RESET block and the whole state go instead. */
enum { RESYNC_AT = 8 << 20, DRAINED_AT = 64 * 1024 };

struct touch {
	int what;
	int32_t a, b;
};

struct ln_capw {
	char *path;
	int fd;
	struct ln_buf out;	/* whole blocks not yet written */
	struct ln_buf blk;	/* the block being encoded */
	struct ln_buf raw;	/* with compression: whole blocks to compress */
	struct ln_cz *cz;	/* the compressor, NULL without */
	struct touch *journal;
	size_t njournal;
	ln_capture_opts opts;
	uint64_t written, opened_at;
	unsigned index;		/* rotation: file number */
	int err;
	/* A queue to the thread that runs the rules (session/async.c): the
	 * fd is a pipe's non-blocking end; what does not fit waits in out. */
	bool stream;
	bool drop;		/* a full pipe keeps the rest in out, else waits */
	bool resync;		/* changes not encoded since: send the state */
	bool full;		/* the journal is flushed because it is full */
	uint64_t waits;		/* times the writer waited for room */
};

/* write.c */
void ln_capw_cstr(struct ln_buf *b, const char *s);
void ln_capw_emit(struct ln_capw *w, int type);	/* the block in blk, framed */
size_t ln_capw_pending(const struct ln_capw *w);	/* bytes not written yet */
int ln_capw_flush_out(struct ln_capw *w);

/* write_state.c */
void ln_capw_fd_fields(struct ln_buf *b, const ln_fd *f);
void ln_capw_snapshot(struct ln_session *s, struct ln_capw *w);
/* A queue that drops, whose reader stalled: RESET and the state once it
 * drains; false while it has not. */
bool ln_capw_resynced(struct ln_session *s, struct ln_capw *w);
void ln_capw_flush_journal(struct ln_session *s, struct ln_capw *w);
void ln_capw_journal(struct ln_session *s, int what, int32_t a, int32_t b);
#endif
