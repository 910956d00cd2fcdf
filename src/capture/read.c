/*
 * read.c - replaying a capture file: ln_next hands out its events
 * with the state tables rebuilt from its state blocks.
 *
 * A capture is untrusted input.  Every length is checked against what is
 * left of its block and against LN_CAP_MAX_BLOCK before anything is
 * allocated; a bad checksum, a wrong magic, or a field that runs past its
 * block is an error that names the file offset.  A capture that simply
 * stops in the middle of a block (lanner was killed) reads up to its last
 * whole block, with a note.  A block type this version does not know is
 * skipped, with a note: newer lanners may add blocks.
 *
 * A COMPRESSED block holds whole blocks, the bytes an uncompressed capture
 * would have there.  It is inflated into a buffer of the size it declares
 * (at most LN_CAP_MAX_INFLATED) and its blocks are read from that buffer
 * as the file's are, checksums included.  Damage found inside names the
 * COMPRESSED block's offset and the byte within its data.
 *
 * State blocks are applied to the session's tables by read_state.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "capture/capture.h"
#include "capture/scap.h"

/* The capture's own type table, mapped onto this lanner's by name. */
struct captype {
	int id;				/* this lanner's type id, -1 unknown */
	uint8_t nparams;
	int8_t pmap[LN_MAX_PARAMS];	/* capture param i -> our param, -1 */
};

struct ln_capr {
	int fd;
	uint64_t off, size;
	uint8_t *blk;			/* the current block's payload */
	size_t blk_cap;
	struct captype *types;
	uint32_t ntypes;
	struct ln_arena arena;		/* the current event's bytes */
	uint32_t poff[LN_MAX_PARAMS];
	ln_event ev;
	ln_fd evfd;
	char evfd_name[LN_STR_MAX];
	uint8_t *rbuf;			/* read-ahead: reads in large chunks */
	size_t rlen, rpos;
	uint64_t at;			/* the current block's offset, for errors */
	size_t inner;			/* 0, or 1 + its byte in inflated data */
	struct ln_cz *cz;		/* inflates COMPRESSED blocks */
	int cz_alg;
	uint8_t *zbuf;			/* a COMPRESSED block's data, inflated */
	size_t zcap, zlen, zpos;
	uint64_t unknown_blocks;
	bool stream;			/* the event queue (session/async.c): a
					 * pipe, read as far as it has bytes */
	bool eof;			/* the stream's writer closed it */
	char notes[512];
};

static ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

enum {
	RBUF = 1 << 20,
	STREAM_BUF = LN_CAP_MAX_BLOCK + 64	/* the longest block, whole */
};

/* read_full through a 1 MiB read-ahead: a capture is read block by block,
 * and two read()s per block would cost more than decoding it. */
static ssize_t bread(struct ln_capr *r, void *dst, size_t n)
{
	size_t got = 0;
	while (got < n) {
		if (r->rpos == r->rlen) {
			if (r->stream)
				break;	/* whole blocks only (stream_block): none here */
			if (n - got >= RBUF)
				return (ssize_t)got + read_full(r->fd, (char *)dst + got, n - got);
			ssize_t k = read_full(r->fd, r->rbuf, RBUF);
			if (k < 0)
				return k;
			r->rlen = (size_t)k;
			r->rpos = 0;
			if (k == 0)
				break;
		}
		size_t take = r->rlen - r->rpos < n - got ? r->rlen - r->rpos : n - got;
		memcpy((char *)dst + got, r->rbuf + r->rpos, take);
		r->rpos += take;
		got += take;
	}
	return (ssize_t)got;
}

/* Damage in the current block (r->at, r->inner). */
static int fail(struct ln_session *s, struct ln_capr *r, const char *what)
{
	if (r->inner)
		ln_set_err(s, 0, "capture damaged at offset %llu (compressed block, byte %zu of its data): %s",
			   (unsigned long long)r->at, r->inner - 1, what);
	else
		ln_set_err(s, 0, "capture damaged at offset %llu: %s", (unsigned long long)r->at, what);
	return LN_NEXT_ERROR;
}

static void note(struct ln_capr *r, const char *fmt, unsigned long long v)
{
	size_t n = strlen(r->notes);
	if (n < sizeof(r->notes) - 1)
		snprintf(r->notes + n, sizeof(r->notes) - n, n ? "; " : "");
	n = strlen(r->notes);
	if (n < sizeof(r->notes) - 1)
		snprintf(r->notes + n, sizeof(r->notes) - n, fmt, v);
}

/* The file's next block: 1 and its type, 0 at the end, or LN_NEXT_ERROR. */
static int file_block(struct ln_session *s, struct ln_capr *r, uint32_t *type, struct ln_cur *c)
{
	uint8_t hdr[8];
	uint64_t at = r->off;
	r->at = at;
	r->inner = 0;
	ssize_t n = bread(r, hdr, sizeof(hdr));
	if (n == 0)
		return 0;
	if (n < 0)
		return fail(s, r, strerror((int)-n));
	if (n < (ssize_t)sizeof(hdr)) {
		note(r, "the capture ends inside a block at offset %llu (lanner was stopped?): "
		     "read up to the last whole block", at);
		return 0;
	}
	struct ln_cur h = { hdr, sizeof(hdr), 0, false };
	*type = U32(&h);
	uint32_t len = U32(&h);
	if (len > LN_CAP_MAX_BLOCK)
		return fail(s, r, "block length out of range");
	if (len + 4u > r->blk_cap) {
		uint8_t *p = realloc(r->blk, len + 4u);
		if (!p)
			return fail(s, r, "out of memory");
		r->blk = p;
		r->blk_cap = len + 4u;
	}
	n = bread(r, r->blk, len + 4u);
	if (n < 0)
		return fail(s, r, strerror((int)-n));
	if ((size_t)n < len + 4u) {
		note(r, "the capture ends inside a block at offset %llu (lanner was stopped?): "
		     "read up to the last whole block", at);
		return 0;
	}
	/* the queue's blocks (r->stream) come from this process: unchecked */
	struct ln_cur t = { r->blk + len, 4, 0, false };
	if (!r->stream && U32(&t) != ln_crc32(ln_crc32(0, hdr, sizeof(hdr)), r->blk, len))
		return fail(s, r, "checksum mismatch");
	r->off += sizeof(hdr) + len + 4u;
	*c = (struct ln_cur){ r->blk, len, 0, false };
	return 1;
}

/* The next block in a COMPRESSED block's inflated data.  The data is
 * whole: a block it cuts short is damage, not the end of a capture. */
static int inner_block(struct ln_session *s, struct ln_capr *r, uint32_t *type, struct ln_cur *c)
{
	const uint8_t *p = r->zbuf + r->zpos;
	size_t left = r->zlen - r->zpos;
	r->inner = r->zpos + 1;
	if (left < 12)
		return fail(s, r, "the compressed data ends inside a block");
	struct ln_cur h = { p, 8, 0, false };
	*type = U32(&h);
	uint32_t len = U32(&h);
	if (len > LN_CAP_MAX_BLOCK)
		return fail(s, r, "block length out of range");
	if (len > left - 12)
		return fail(s, r, "the compressed data ends inside a block");
	struct ln_cur t = { p + 8 + len, 4, 0, false };
	if (U32(&t) != ln_crc32(0, p, 8 + (size_t)len))
		return fail(s, r, "checksum mismatch");
	if (*type == LN_BLK_COMPRESSED)
		return fail(s, r, "a compressed block inside a compressed block");
	r->zpos += 12 + (size_t)len;
	*c = (struct ln_cur){ p + 8, len, 0, false };
	return 1;
}

/* A COMPRESSED block: algorithm, inflated size, compressed bytes.  The
 * size is checked before anything is allocated, and data that inflates
 * past it is stopped there. */
static int inflate_block(struct ln_session *s, struct ln_capr *r, struct ln_cur *c)
{
	char why[256];
	uint8_t alg = U8(c);
	uint32_t want = U32(c);
	if (c->bad)
		return fail(s, r, "compressed block shorter than its fields");
	if (alg != LN_COMPRESS_ZLIB && alg != LN_COMPRESS_ZSTD) {
		snprintf(why, sizeof(why), "compressed with algorithm %u, unknown to this lanner", alg);
		return fail(s, r, why);
	}
	if (want == 0 || want > LN_CAP_MAX_INFLATED) {
		snprintf(why, sizeof(why), "compressed block: inflated size %u out of range (1 to %u)",
			 want, (unsigned)LN_CAP_MAX_INFLATED);
		return fail(s, r, why);
	}
	if (!r->cz || r->cz_alg != alg) {
		ln_cz_free(r->cz);
		r->cz_alg = alg;
		if (!(r->cz = ln_cz_new(alg, true)))
			return fail(s, r, "out of memory");
	}
	if (want > r->zcap) {
		uint8_t *p = realloc(r->zbuf, want);
		if (!p)
			return fail(s, r, "out of memory");
		r->zbuf = p;
		r->zcap = want;
	}
	if (ln_cz_inflate(r->cz, c->p + c->pos, c->len - c->pos, r->zbuf, want) < 0) {
		snprintf(why, sizeof(why), "compressed block (%s): %s", ln_cz_name(alg), ln_cz_why(r->cz));
		return fail(s, r, why);
	}
	r->zlen = want;
	r->zpos = 0;
	return 1;
}

/* Next block, from the file or from the COMPRESSED block being read: 1
 * and its type, 0 at the end, or LN_NEXT_ERROR. */
static int next_block(struct ln_session *s, struct ln_capr *r, uint32_t *type, struct ln_cur *c)
{
	for (;;) {
		if (r->zpos < r->zlen)
			return inner_block(s, r, type, c);
		r->zlen = r->zpos = 0;
		int k = file_block(s, r, type, c);
		if (k <= 0 || *type != LN_BLK_COMPRESSED)
			return k;
		if (inflate_block(s, r, c) < 0)
			return LN_NEXT_ERROR;
	}
}

static int read_header(struct ln_session *s, struct ln_capr *r, struct ln_cur *c)
{
	uint16_t version = U16(c);
	if (version > LN_CAP_VERSION)
		note(r, "written by a newer lanner (format %llu): unknown parts are skipped", version);
	uint32_t n;
	ln_cur_str(c, &n);	/* lanner version */
	ln_cur_str(c, &n);	/* hostname */
	ln_cur_skip(c, 8);		/* boot time */
	ln_cur_skip(c, 8);		/* capture start */
	ln_cur_skip(c, 4);		/* snaplen */
	uint32_t nt = U32(c);
	if (c->bad || nt > 4096)
		return -1;
	r->types = calloc(nt ? nt : 1, sizeof(*r->types));
	if (!r->types)
		return -1;
	r->ntypes = nt;
	for (uint32_t i = 0; i < nt && !c->bad; i++) {
		char name[64];
		const char *nm = ln_cur_str(c, &n);
		snprintf(name, sizeof(name), "%.*s", (int)(n < 63 ? n : 63), nm);
		ln_cur_skip(c, 4);
		ln_cur_skip(c, 2);
		ln_cur_skip(c, 2);
		struct captype *ct = &r->types[i];
		ct->id = ln_type_id(name);
		ct->nparams = U8(c);
		const ln_type_info *ti = ct->id >= 0 ? ln_type(ct->id) : NULL;
		for (int k = 0; k < ct->nparams && !c->bad; k++) {
			const char *pn = ln_cur_str(c, &n);
			ln_cur_skip(c, 2);
			ln_cur_skip(c, 1);
			if (k >= LN_MAX_PARAMS)
				continue;
			ct->pmap[k] = -1;
			for (int j = 0; ti && j < ti->nparams; j++)
				if (strlen(ti->pname[j]) == n && !memcmp(ti->pname[j], pn, n))
					ct->pmap[k] = (int8_t)j;
		}
	}
	return c->bad ? -1 : 0;
}

static int build_event(struct ln_session *s, struct ln_capr *r, struct ln_cur *c)
{
	ln_event *ev = &r->ev;
	memset(ev, 0, sizeof(*ev));
	ev->num = U64(c);
	ev->ts = U64(c);
	ev->latency = U64(c);
	ev->res = (int64_t)U64(c);
	ev->tid = (int32_t)U32(c);
	ev->cpu = (int32_t)U32(c);
	uint16_t ctype = U16(c);
	uint8_t np = U8(c);
	ev->has_res = U8(c);
	ev->fdnum = (int32_t)U32(c);
	for (int i = 0; i < 6; i++)
		ev->rawargs[i] = U64(c);
	if (c->bad || ctype >= r->ntypes || r->types[ctype].id < 0)
		return c->bad ? -1 : 1;	/* an event type unknown here: skip it */
	const struct captype *ct = &r->types[ctype];
	const ln_type_info *ti = ln_type(ct->id);
	ev->type = (uint16_t)ct->id;
	/* an event recorded without parameters (from a .scap's generic
	 * event, which carries none) reads without them */
	ev->nparams = np ? ti->nparams : 0;
	for (int i = 0; i < ti->nparams; i++)
		ev->params[i].kind = ti->kind[i];
	r->arena.len = 0;
	for (int i = 0; i < np && !c->bad; i++) {
		int64_t val = (int64_t)U64(c);
		uint16_t kind = U16(c), flags = U16(c);
		uint32_t len = 0;
		const char *bytes = flags & LN_PF_READ ? ln_cur_str(c, &len) : NULL;
		int j = i < LN_MAX_PARAMS ? ct->pmap[i] : -1;
		if (j < 0 || c->bad)
			continue;
		ln_param *p = &ev->params[j];
		p->val = val;
		p->kind = kind;
		p->flags = flags;
		if (bytes) {
			size_t off = ln_arena_put(&r->arena, bytes, len);
			if (off == (size_t)-1)
				return -1;
			r->poff[j] = (uint32_t)off;
			p->len = len;
		}
	}
	uint8_t has_fd = U8(c);
	if (has_fd) {
		const char *name;
		uint32_t nlen;
		memset(&r->evfd, 0, sizeof(r->evfd));
		ln_cap_get_fd(c, &r->evfd, &name, &nlen);
		snprintf(r->evfd_name, sizeof(r->evfd_name), "%.*s",
			 (int)(nlen < sizeof(r->evfd_name) - 1 ? nlen : sizeof(r->evfd_name) - 1), name);
		r->evfd.name = r->evfd_name;
		ev->fd = &r->evfd;
	}
	if (c->pos < c->len) {
		ev->flags = U32(c);
		/* a verdict waits only on the queue's live events: a file's
		 * events are history */
		if (!r->stream)
			ev->flags &= ~(uint32_t)(LN_EV_HELD | LN_EV_PRE);
	}
	if (c->bad)
		return -1;
	for (int i = 0; i < ev->nparams; i++)
		ev->params[i].str = ev->params[i].flags & LN_PF_READ ? r->arena.buf + r->poff[i] : NULL;
	struct ln_tstate *t = ln_thread_find(s, ev->tid);
	if (!t && s->dead_thread && s->dead_thread->pub.tid == ev->tid)
		t = s->dead_thread;	/* a procexit: the thread just ended */
	ev->thread = t ? &t->pub : NULL;
	return 0;
}

/* A whole block waits in a stream's read-ahead (its header, its payload,
 * its checksum field). */
static bool stream_block(const struct ln_capr *r)
{
	size_t have = r->rlen - r->rpos;
	if (have < 8)
		return false;
	const uint8_t *p = r->rbuf + r->rpos + 4;
	uint32_t len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return len > LN_CAP_MAX_BLOCK || have >= 12 + (size_t)len;	/* too long: damage, said below */
}

int ln_cap_next(struct ln_session *s, ln_event **out)
{
	struct ln_capr *r = s->capr;
	if (s->scapr)
		return ln_scap_next(s, out);
	for (;;) {
		uint32_t type;
		struct ln_cur c;
		/* a stream is decoded a whole block at a time, never waited
		 * for: its reader polls, then ln_cap_fill */
		if (r->stream && !stream_block(r))
			return r->eof ? LN_NEXT_DONE : LN_NEXT_TIMEOUT;
		int k = next_block(s, r, &type, &c);
		if (k <= 0)
			return k == 0 ? LN_NEXT_DONE : k;
		switch (type) {
		case LN_BLK_HEADER:
			if (r->types || read_header(s, r, &c) < 0)
				return fail(s, r, "bad or repeated header block");
			continue;
		case LN_BLK_PROC:
		case LN_BLK_THREAD:
		case LN_BLK_FD:
		case LN_BLK_FD_DEL:
		case LN_BLK_THREAD_GONE:
			ln_cap_apply_state(s, type, &c);	/* read_state.c */
			break;
		case LN_BLK_RESET:	/* the queue's writer resyncs: state follows */
		case LN_BLK_FORK:	/* the queue's reader is in step: a copy */
		case LN_BLK_CWD:
		case LN_BLK_COMM:
		case LN_BLK_VM:
			if (!r->stream)
				goto unknown;	/* never in a file: not ours there */
			ln_cap_apply_state(s, type, &c);
			break;
		case LN_BLK_EVENT: {
			if (!r->types)
				return fail(s, r, "an event before the header");
			int b = build_event(s, r, &c);
			if (b < 0)
				return fail(s, r, "event block shorter than its fields");
			if (b > 0)
				continue;
			*out = &r->ev;
			return LN_NEXT_EVENT;
		}
		default:
		unknown:
			if (!r->unknown_blocks++)
				note(r, "block types unknown to this lanner were skipped (first at offset %llu)", r->at);
			continue;
		}
		if (c.bad)
			return fail(s, r, "state block shorter than its fields");
	}
}

/* The event queue's read end (session/async.c): a stream of this
 * lanner's own blocks, read as they come. */
int ln_cap_stream_reader(struct ln_session *s, int fd)
{
	uint8_t head[16];
	if (read_full(fd, head, sizeof(head)) != (ssize_t)sizeof(head) || memcmp(head, "LNCAP\r\n\x1a", 8)) {
		ln_set_err(s, 0, "the event queue: no capture header");
		return -EINVAL;
	}
	struct ln_capr *r = calloc(1, sizeof(*r));
	if (!r || !(r->rbuf = malloc(STREAM_BUF))) {
		free(r);
		return -ENOMEM;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);	/* ln_cap_fill takes what there is */
	r->fd = fd;
	r->off = sizeof(head);
	r->stream = true;
	s->capr = r;
	s->ntracees = 0;
	return 0;
}

/* A stream's bytes, as many as its pipe has now, after those not yet
 * decoded (a block the writer has only begun to send stays, whole, for
 * later): 0, or -errno. */
int ln_cap_fill(struct ln_session *s)
{
	struct ln_capr *r = s->capr;
	if (r->eof)
		return 0;
	if (r->rpos) {
		memmove(r->rbuf, r->rbuf + r->rpos, r->rlen - r->rpos);
		r->rlen -= r->rpos;
		r->rpos = 0;
	}
	ssize_t k;
	while ((k = read(r->fd, r->rbuf + r->rlen, STREAM_BUF - r->rlen)) < 0 && errno == EINTR)
		;
	if (k < 0)
		return errno == EAGAIN ? 0 : -errno;
	r->rlen += (size_t)k;
	r->eof = k == 0;
	return 0;
}

int ln_cap_reader_fd(const struct ln_session *s)
{
	return s->capr ? s->capr->fd : -1;
}

int ln_cap_open_reader(struct ln_session *s, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ln_set_err(s, -errno, "%s", path);
		return -errno;
	}
	uint8_t head[16];
	struct stat st;
	ssize_t got = read_full(fd, head, sizeof(head));
	/* sysdig's: a section header block, or a gzip stream of one (-z) */
	if (got >= 4 && (!memcmp(head, "\n\r\r\n", 4) || !memcmp(head, "\x1f\x8b", 2)))
		return ln_scap_read(s, path, fd);
	if (fstat(fd, &st) < 0 || got != sizeof(head) ||
	    memcmp(head, "LNCAP\r\n\x1a", 8)) {
		close(fd);
		ln_set_err(s, 0, "%s: not a lanner or sysdig capture (bad magic)", path);
		return -EINVAL;
	}
	struct ln_cur c = { head + 8, 8, 0, false };
	uint32_t version = U32(&c), order = U32(&c);
	if (order != 0x01020304) {
		close(fd);
		ln_set_err(s, 0, "%s: byte order mark %#x: not a capture this lanner can read", path, order);
		return -EINVAL;
	}
	struct ln_capr *r = calloc(1, sizeof(*r));
	if (!r || !(r->rbuf = malloc(RBUF))) {
		free(r);
		close(fd);
		return -ENOMEM;
	}
	r->fd = fd;
	r->off = sizeof(head);
	r->size = (uint64_t)st.st_size;
	if (version > LN_CAP_VERSION)
		note(r, "format version %llu is newer than this lanner's: unknown blocks are skipped", version);
	s->capr = r;
	s->ntracees = 0;
	return 0;
}

LN_API double ln_capture_progress(ln_session *s)
{
	struct ln_capr *r = s->capr;
	if (s->scapr)
		return ln_scap_progress(s);
	return r && r->size ? (double)r->off / (double)r->size : 0.0;
}

LN_API const char *ln_capture_notes(ln_session *s)
{
	return s->scapr ? ln_scap_notes(s) : s->capr ? s->capr->notes : "";
}

void ln_cap_free_reader(struct ln_session *s)
{
	struct ln_capr *r = s->capr;
	ln_scap_free_reader(s);
	if (!r)
		return;
	close(r->fd);
	free(r->rbuf);
	free(r->blk);
	ln_cz_free(r->cz);
	free(r->zbuf);
	free(r->types);
	free(r->arena.buf);
	free(r);
	s->capr = NULL;
}
