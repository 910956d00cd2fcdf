/*
 * write.c - recording a capture file (doc/capture-format.md).
 *
 * Blocks are encoded into a buffer and written whole, so a capture cut
 * short by a kill ends at a block boundary and reads up to its last event.
 * With compression, the blocks after the HEADER gather in a second buffer
 * and go out as one COMPRESSED block per 64 KB, written at once: a kill
 * then loses what an uncompressed capture would.
 * State changes are journaled as they happen and written before the next
 * recorded event (write_state.c), so that even events filtered out leave
 * the tables right for the ones recorded after them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture/capture.h"
#include "capture/scap.h"
#include "capture/write.h"

/* The longest EVENT block at snaplen n (n >= LN_STR_MAX): the fixed part,
 * LN_MAX_PARAMS parameters (value, kind, flags, length) of at most n bytes
 * each, the fd flag, the fd's fixed part, its name's length and the name
 * (at most LN_STR_MAX: names come from LN_STR_MAX buffers). */
#define EVENT_MAX(n) (96 + LN_MAX_PARAMS * (16 + (n)) + 1 + 66 + 4 + LN_STR_MAX)
_Static_assert((int)LN_MAX_SNAPLEN >= (int)LN_STR_MAX && (int)LN_MAX_SNAPLEN >= (int)LN_ARGV_MAX,
	       "EVENT_MAX: no parameter's bytes may exceed the snaplen limit");
_Static_assert(EVENT_MAX(LN_MAX_SNAPLEN) <= LN_CAP_MAX_BLOCK,
	       "LN_MAX_SNAPLEN makes events that no reader accepts");
/* the largest power of two that fits: what is left of the block is room
 * for fields a later version appends */
_Static_assert(EVENT_MAX(2 * LN_MAX_SNAPLEN) > LN_CAP_MAX_BLOCK, "LN_MAX_SNAPLEN could be raised");

/* --- encoding --- */

void ln_capw_cstr(struct ln_buf *b, const char *s)
{
	ln_buf_str(b, s ? s : "", s ? strlen(s) : 0);
}

static void seal(struct ln_capw *w);

/* type, length, payload, CRC-32 of the three.  The HEADER stays out of
 * compression: a reader learns the format version from it. */
void ln_capw_emit(struct ln_capw *w, int type)
{
	struct ln_buf *o = w->cz && type != LN_BLK_HEADER ? &w->raw : &w->out;
	size_t start = o->len;
	ln_buf_u32(o, (uint32_t)type);
	ln_buf_u32(o, (uint32_t)w->blk.len);
	ln_buf_bytes(o, w->blk.p, w->blk.len);
	if (o->oom || w->blk.oom) {
		w->err = -ENOMEM;
		return;
	}
	/* the queue's blocks never leave lanner: no checksum to make */
	ln_buf_u32(o, w->stream ? 0 : ln_crc32(0, o->p + start, o->len - start));
	w->blk.len = 0;
	/* a block is at most 1 MiB: the data of a COMPRESSED block stays
	 * under LN_CAP_MAX_INFLATED */
	if (o == &w->raw && o->len >= FLUSH_AT)
		seal(w);
}

/* The blocks gathered in w->raw as one COMPRESSED block: algorithm,
 * inflated size, compressed bytes.  Data that does not shrink (or would
 * not fit a block) goes out as the plain blocks it is. */
static void seal(struct ln_capw *w)
{
	struct ln_buf *o = &w->out, *r = &w->raw;
	if (!r->len || w->err)
		return;
	size_t bound = ln_cz_bound(w->cz, r->len), start = o->len;
	ln_buf_u32(o, LN_BLK_COMPRESSED);
	ln_buf_u32(o, 0);			/* length, known below */
	ln_buf_u8(o, (uint8_t)w->opts.compress);
	ln_buf_u32(o, (uint32_t)r->len);
	ln_buf_grow(o, bound + 4);		/* the compressed bytes and the CRC */
	ssize_t n = o->oom ? -1 : ln_cz_compress(w->cz, r->p, r->len, o->p + o->len, bound);
	if (n < 0 || (size_t)n + 5 >= r->len || (size_t)n + 5 > LN_CAP_MAX_BLOCK ||
	    r->len > LN_CAP_MAX_INFLATED) {
		o->len = start;
		ln_buf_bytes(o, r->p, r->len);
	} else {
		o->len += (size_t)n;
		uint32_t len = (uint32_t)(o->len - start - 8);
		for (int i = 0; i < 4; i++)
			o->p[start + 4 + (size_t)i] = (uint8_t)(len >> (8 * i));
		ln_buf_u32(o, ln_crc32(0, o->p + start, o->len - start));
	}
	if (o->oom)
		w->err = -ENOMEM;
	r->len = 0;
}

/* Bytes encoded and not written yet. */
size_t ln_capw_pending(const struct ln_capw *w)
{
	return w->out.len + w->raw.len;
}

/* A queue's pipe is full: wait until it takes more. */
static void wait_room(struct ln_capw *w)
{
	struct pollfd pfd = { w->fd, POLLOUT, 0 };
	w->waits++;
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
}

/* Everything out, or (block false, a queue that drops) what the pipe
 * takes now, the rest kept in order for the next flush. */
static int flush_some(struct ln_capw *w, bool block)
{
	size_t off = 0;
	seal(w);
	while (off < w->out.len && !w->err) {
		ssize_t n = write(w->fd, w->out.p + off, w->out.len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && w->stream) {
				if (!block)
					break;
				wait_room(w);
				continue;
			}
			w->err = -errno;
			break;
		}
		off += (size_t)n;
	}
	w->written += off;
	if (w->err)
		off = w->out.len;	/* nothing more goes anywhere */
	memmove(w->out.p, w->out.p + off, w->out.len - off);
	w->out.len -= off;
	return w->err;
}

int ln_capw_flush_out(struct ln_capw *w)
{
	return flush_some(w, !w->drop);
}

/* --- blocks --- */

static void boot_time(uint64_t *ns)
{
	char line[256];
	FILE *f = fopen("/proc/stat", "re");
	*ns = 0;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "btime ", 6))
			*ns = strtoull(line + 6, NULL, 10) * 1000000000ull;
	if (f)
		fclose(f);
}

/* The oldest format that describes the file: a lanner that reads only
 * version 1 still reads an uncompressed capture without a note. */
static unsigned file_version(const struct ln_capw *w)
{
	return w->cz ? LN_CAP_VERSION_COMPRESSED : 1;
}

static void header(struct ln_session *s, struct ln_capw *w)
{
	struct ln_buf *b = &w->blk;
	char host[256] = "";
	uint64_t boot;
	gethostname(host, sizeof(host) - 1);
	boot_time(&boot);
	ln_buf_u16(b, (uint16_t)file_version(w));
	ln_capw_cstr(b, "lanner " LN_VERSION);
	ln_capw_cstr(b, host);
	ln_buf_u64(b, boot);
	ln_buf_u64(b, ln_now_realtime());
	ln_buf_u32(b, s->snaplen);
	ln_buf_u32(b, (uint32_t)ln_ntypes());
	for (int id = 0; id < ln_ntypes(); id++) {
		const ln_type_info *ti = ln_type(id);
		ln_capw_cstr(b, ti->name);
		ln_buf_u32(b, (uint32_t)ti->nr);
		ln_buf_u16(b, ti->category);
		ln_buf_u16(b, ti->flags);
		ln_buf_u8(b, ti->nparams);
		for (int i = 0; i < ti->nparams; i++) {
			ln_capw_cstr(b, ti->pname[i]);
			ln_buf_u16(b, ti->kind[i]);
			ln_buf_u8(b, ti->src[i]);
		}
	}
	ln_buf_u8(b, (uint8_t)w->opts.compress);	/* since version 2 */
	ln_capw_emit(w, LN_BLK_HEADER);
}

/* --- files and rotation --- */

static int start_file(struct ln_session *s, struct ln_capw *w);

static int open_file(struct ln_session *s, struct ln_capw *w)
{
	char name[4200];
	const ln_capture_opts *o = &w->opts;
	bool rotating = o->rotate_bytes || o->rotate_secs;
	unsigned idx = o->rotate_files ? w->index % o->rotate_files : w->index;
	if (rotating)
		snprintf(name, sizeof(name), "%s%u", w->path, idx);
	else
		snprintf(name, sizeof(name), "%s", w->path);
	w->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (w->fd < 0) {
		ln_set_err(s, -errno, "%s", name);
		return -errno;
	}
	int r = start_file(s, w);
	if (r < 0)
		ln_set_err(s, r, "writing %s", name);
	return r;
}

/* The magic, the HEADER and the tables as they are now. */
static int start_file(struct ln_session *s, struct ln_capw *w)
{
	static const uint8_t magic[8] = { 'L', 'N', 'C', 'A', 'P', '\r', '\n', 0x1a };
	ln_buf_bytes(&w->out, magic, sizeof(magic));
	ln_buf_u32(&w->out, file_version(w));
	ln_buf_u32(&w->out, 0x01020304);	/* byte order check */
	w->written = 0;
	w->opened_at = ln_now_realtime();
	header(s, w);
	ln_capw_snapshot(s, w);
	w->njournal = 0;	/* the snapshot has it all */
	return flush_some(w, true);
}

/* sysdig's format when asked, or by the path's extension. */
static bool want_scap(const char *path, const ln_capture_opts *o)
{
	size_t n = strlen(path);
	if (o && o->format != LN_CAPFMT_AUTO)
		return o->format == LN_CAPFMT_SCAP;
	return n >= 5 && !strcmp(path + n - 5, ".scap");
}

static int cap_open(struct ln_session *s, const char *path, const ln_capture_opts *o)
{
	if (s->capw || s->scapw) {
		ln_set_err(s, -EBUSY, "a capture is already being written");
		return -EBUSY;
	}
	if (o && o->format > LN_CAPFMT_SCAP) {
		ln_set_err(s, -EINVAL, "capture format %u", o->format);
		return -EINVAL;
	}
	if (want_scap(path, o))
		return ln_scap_open(s, path, o);
	struct ln_capw *w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path))) {
		free(w);
		return -ENOMEM;
	}
	if (o)
		w->opts = *o;
	w->fd = -1;
	int r = 0;
	if (w->opts.compress != LN_COMPRESS_NONE && !(w->cz = ln_cz_new((int)w->opts.compress, false))) {
		r = w->opts.compress > LN_COMPRESS_ZSTD ? -EINVAL : -ENOMEM;
		ln_set_err(s, r, "capture compression %u", w->opts.compress);
	}
	if (!r)
		r = open_file(s, w);
	if (r < 0) {
		ln_cz_free(w->cz);
		free(w->raw.p);
		free(w->path);
		free(w->out.p);
		free(w->blk.p);
		free(w);
		return r;
	}
	s->capw = w;
	s->on_state_change = ln_capw_journal;
	return 0;
}

/* 0, or -EMSGSIZE for an event too long for a block (one a library user
 * made: lanner's own stay under EVENT_MAX), left out so that the file
 * stays readable. */
static int write_event(struct ln_capw *w, const ln_event *ev)
{
	struct ln_buf *b = &w->blk;
	ln_buf_u64(b, ev->num);
	ln_buf_u64(b, ev->ts);
	ln_buf_u64(b, ev->latency);
	ln_buf_u64(b, (uint64_t)ev->res);
	ln_buf_u32(b, (uint32_t)ev->tid);
	ln_buf_u32(b, (uint32_t)ev->cpu);
	ln_buf_u16(b, ev->type);
	ln_buf_u8(b, ev->nparams);
	ln_buf_u8(b, ev->has_res);
	ln_buf_u32(b, (uint32_t)ev->fdnum);
	for (int i = 0; i < 6; i++)
		ln_buf_u64(b, ev->rawargs[i]);
	for (int i = 0; i < ev->nparams && i < LN_MAX_PARAMS; i++) {
		const ln_param *p = &ev->params[i];
		ln_buf_u64(b, (uint64_t)p->val);
		ln_buf_u16(b, p->kind);
		ln_buf_u16(b, p->flags);
		if (p->flags & LN_PF_READ)
			ln_buf_str(b, p->str, p->len);
	}
	/* The event's fd as it was: a close's fd is already gone from the
	 * table, so it cannot be looked up when replaying. */
	ln_buf_u8(b, ev->fd != NULL);
	if (ev->fd)
		ln_capw_fd_fields(b, ev->fd);
	ln_buf_u32(b, ev->flags);	/* prevention: held, denied, killed */
	if (b->len > LN_CAP_MAX_BLOCK) {
		b->len = 0;
		return -EMSGSIZE;
	}
	ln_capw_emit(w, LN_BLK_EVENT);
	return 0;
}

static int cap_event(struct ln_session *s, const ln_event *ev)
{
	struct ln_capw *w = s->capw;
	if (s->scapw)
		return ln_scap_event(s, ev);
	if (!w)
		return -EBADF;
	/* a held event waits for its verdict: the pipe is waited for */
	if (w->resync && (ev->flags & LN_EV_HELD))
		flush_some(w, true);
	if (!ln_capw_resynced(s, w))
		return 0;	/* not sent: its state would be missing */
	ln_capw_flush_journal(s, w);
	if (write_event(w, ev) < 0) {
		ln_set_err(s, 0, "writing %s: event %llu is over %u bytes, more than a reader accepts: left out",
			   w->path, (unsigned long long)ev->num, (unsigned)LN_CAP_MAX_BLOCK);
		return -EMSGSIZE;
	}
	if (!w->err && ln_capw_pending(w) >= FLUSH_AT)
		ln_capw_flush_out(w);
	if (w->err) {
		ln_set_err(s, w->err, "writing %s", w->path);
		return w->err;
	}
	const ln_capture_opts *o = &w->opts;
	if ((o->rotate_bytes && w->written + w->out.len >= o->rotate_bytes) ||
	    (o->rotate_secs && ev->ts >= w->opened_at + o->rotate_secs * 1000000000ull)) {
		ln_capw_flush_out(w);
		close(w->fd);
		w->index++;
		return open_file(s, w);
	}
	return 0;
}

/* With rules run off the stop path (session/async.c) the events and
 * tables the caller sees are the replica's: a capture records those,
 * and its errors are told on the session the caller holds. */
static int told(struct ln_session *s, int r)
{
	if (r < 0 && s->replica)
		snprintf(s->errmsg, sizeof(s->errmsg), "%s", s->replica->errmsg);
	return r;
}

LN_API int ln_capture_open(ln_session *s, const char *path, const ln_capture_opts *o)
{
	if (!s->replica)
		return cap_open(s, path, o);
	s->replica->snaplen = s->snaplen;	/* the HEADER says what events hold */
	return told(s, cap_open(s->replica, path, o));
}

LN_API int ln_capture_event(ln_session *s, const ln_event *ev)
{
	return told(s, cap_event(s->replica ? s->replica : s, ev));
}

LN_API int ln_capture_state(ln_session *s, const ln_event *ev)
{
	if (s->replica)
		s = s->replica;
	return s->scapw ? ln_scap_state_event(s, ev) : 0;
}

static int cap_close(struct ln_session *s)
{
	struct ln_capw *w = s->capw;
	if (s->scapw)
		return ln_scap_close(s);
	if (!w)
		return 0;
	ln_capw_flush_journal(s, w);
	int r = ln_capw_flush_out(w);
	if (w->fd >= 0 && close(w->fd) < 0 && !r)
		r = -errno;
	if (r < 0)
		ln_set_err(s, r, "writing %s", w->path);
	ln_cz_free(w->cz);
	free(w->journal);
	free(w->out.p);
	free(w->raw.p);
	free(w->blk.p);
	free(w->path);
	free(w);
	s->capw = NULL;
	s->on_state_change = NULL;
	return r;
}

LN_API int ln_capture_close(ln_session *s)
{
	return told(s, cap_close(s->replica ? s->replica : s));
}

/* --- the queue to the rules' thread (session/async.c) --- */

int ln_cap_stream_open(struct ln_session *s, int fd, bool drop)
{
	struct ln_capw *w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup("the event queue"))) {
		free(w);
		return -ENOMEM;
	}
	w->fd = fd;
	w->stream = true;
	w->drop = drop;
	int r = start_file(s, w);
	if (r < 0) {
		free(w->out.p);
		free(w->blk.p);
		free(w->path);
		free(w);
		return r;
	}
	s->capw = w;
	s->on_state_change = ln_capw_journal;
	return 0;
}

int ln_cap_stream_event(struct ln_session *s, const ln_event *ev)
{
	return cap_event(s, ev);
}

/* block: until all is in the pipe (a held event, or before the tracer
 * sleeps in a queue that waits); else what the pipe takes now. */
int ln_cap_stream_flush(struct ln_session *s, bool block)
{
	struct ln_capw *w = s->capw;
	if (!w)
		return -EBADF;
	ln_capw_flush_journal(s, w);
	return flush_some(w, block);
}

/* Bytes encoded that the pipe has not taken yet. */
size_t ln_cap_backlog(const struct ln_session *s)
{
	return s->capw ? ln_capw_pending(s->capw) : 0;
}

/* Bytes the pipe has taken. */
uint64_t ln_cap_sent(const struct ln_session *s)
{
	return s->capw ? s->capw->written : 0;
}

uint64_t ln_cap_waits(const struct ln_session *s)
{
	return s->capw ? s->capw->waits : 0;
}

/* Everything out, then the pipe closed: the reader sees its end. */
int ln_cap_stream_close(struct ln_session *s)
{
	struct ln_capw *w = s->capw;
	if (w)
		w->drop = false;
	return cap_close(s);
}
