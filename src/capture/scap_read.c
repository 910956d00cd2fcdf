/*
 * scap_read.c - replaying a sysdig .scap capture (libscap's format of
 * sysdig 0.29.3, falcosecurity/libs e5c53d648), written by lanner or by
 * sysdig, plain or gzip'd (sysdig -z): ln_next hands out lanner events.
 *
 * The file is a section header, table blocks (machine, interfaces, users,
 * processes, fds) and event blocks.  The tables become lanner's state; the
 * events come in pairs, an enter then its exit on the same thread (other
 * threads' events may come between), and a pair becomes one lanner event
 * with the parameters of both.  An exit alone (the enter was dropped, as
 * current drivers and lanner's writer do when the exit has it all) is an
 * event too, and so is an enter whose exit never came (the thread's next
 * event is another one, or the file ends): that one has no result.  State
 * changes come from the events themselves (scap_state.c), as in libsinsp.
 *
 * A capture is untrusted input: every block and parameter length is
 * checked against what is left before it is used, and damage is an error
 * naming the file offset (of the uncompressed stream) and what is wrong.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "capture/capture.h"
#include "capture/scap.h"
#include "capture/scap_event.h"

enum { MAX_BLOCK = 16 << 20 };	/* larger than any block libscap writes */

struct ln_scapr {
	gzFile gz;
	uint64_t off, size;
	uint64_t at;			/* the current block's offset */
	uint8_t *blk;
	size_t blk_cap;
	uint32_t blk_type, blk_len;	/* payload length, without header and trailer */
	bool in_events;			/* past the table blocks */
	bool held;			/* the current block waits for the next call */
	bool eof;
	uint64_t nevents;		/* event blocks read: evt.num */
	struct scap_pend *pend;		/* enters waiting for their exit */
	size_t npend, cap_pend;
	struct scap_ev cur;		/* the event block being handled */
	struct scap_build build;	/* the lanner event made of them */
	uint64_t skipped;
	char notes[512];
};

static int fail(struct ln_session *s, struct ln_scapr *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ln_session *s, struct ln_scapr *r, const char *fmt, ...)
{
	char what[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ln_set_err(s, 0, "scap capture damaged at offset %llu: %s", (unsigned long long)r->at, what);
	return LN_NEXT_ERROR;
}

static void note(struct ln_scapr *r, const char *what)
{
	size_t n = strlen(r->notes);
	if (!strstr(r->notes, what))
		snprintf(r->notes + n, sizeof(r->notes) - n, "%s%s", n ? "; " : "", what);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Read exactly n bytes: n, fewer at the end of the file, or -1. */
static ssize_t gread(struct ln_scapr *r, void *dst, size_t n)
{
	size_t got = 0;
	while (got < n) {
		int k = gzread(r->gz, (char *)dst + got, (unsigned)(n - got > (1u << 30) ? 1u << 30 : n - got));
		int err = Z_OK;
		if (k < 0)
			gzerror(r->gz, &err);
		/* a gzip stream cut short (sysdig -z killed) reads as a cut file */
		if (k < 0 && err != Z_BUF_ERROR)
			return -1;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	r->off += got;
	return (ssize_t)got;
}

/* The next block into r->blk: 1, 0 at the end of the file, or an error.
 * A file cut inside a block reads up to the block before, with a note. */
static int next_block(struct ln_session *s, struct ln_scapr *r)
{
	uint8_t h[8];
	r->at = r->off;
	ssize_t n = gread(r, h, sizeof(h));
	if (n < 0)
		return fail(s, r, "%s", gzerror(r->gz, NULL));
	if (n == 0)
		return 0;
	if (n < 8) {
		note(r, "the capture ends inside a block (the writer was stopped?): read up to the last whole block");
		return 0;
	}
	uint32_t type = le32(h), total = le32(h + 4);
	if (total < 12 || total % 4 || total > MAX_BLOCK)
		return fail(s, r, "block of type %#x with length %u (a multiple of 4 from 12 to %u expected)",
			    type, total, (unsigned)MAX_BLOCK);
	uint32_t len = total - 12;
	if (len + 4u > r->blk_cap) {
		uint8_t *p = realloc(r->blk, len + 4u);
		if (!p)
			return fail(s, r, "out of memory for a block of %u bytes", total);
		r->blk = p;
		r->blk_cap = len + 4u;
	}
	n = gread(r, r->blk, len + 4u);
	if (n < 0)
		return fail(s, r, "%s", gzerror(r->gz, NULL));
	if ((size_t)n < len + 4u) {
		note(r, "the capture ends inside a block (the writer was stopped?): read up to the last whole block");
		return 0;
	}
	if (le32(r->blk + len) != total)
		return fail(s, r, "block of type %#x: its trailer says %u bytes, its header %u",
			    type, le32(r->blk + len), total);
	r->blk_type = type;
	r->blk_len = len;
	return 1;
}

static int section_header(struct ln_session *s, struct ln_scapr *r)
{
	if (r->blk_len < 16)
		return fail(s, r, "section header block shorter than its fields");
	uint32_t magic = le32(r->blk);
	if (magic == 0x4D3C2B1A)
		return fail(s, r, "a capture in the other byte order: not supported");
	if (magic != SCAP_SHB_MAGIC)
		return fail(s, r, "section header: byte order magic %#x, not %#x", magic, (unsigned)SCAP_SHB_MAGIC);
	uint16_t major = (uint16_t)(r->blk[4] | r->blk[5] << 8);
	if (major != 1)
		return fail(s, r, "section header: format version %u, this lanner reads version 1", major);
	return 0;
}

/* An event block: cpu, [flags], then the event header, the u16 length of
 * each parameter and their values, all checked against the block. */
static int parse_event(struct ln_session *s, struct ln_scapr *r, struct scap_ev *e)
{
	bool flags = r->blk_type == SCAP_EVF_V2 || r->blk_type == SCAP_EVF_V2_LARGE;
	bool large = r->blk_type == SCAP_EV_V2_LARGE || r->blk_type == SCAP_EVF_V2_LARGE;
	size_t pre = flags ? 6 : 2;
	const uint8_t *p = r->blk;
	if (r->blk_len < pre + SCAP_EVT_HDR)
		return fail(s, r, "event block shorter than an event header");
	memset(e, 0, sizeof(*e));
	e->cpu = (uint16_t)(p[0] | p[1] << 8);
	e->dump_flags = flags ? le32(p + 2) : 0;
	p += pre;
	memcpy(&e->ts, p, 8);
	memcpy(&e->tid, p + 8, 8);
	uint32_t len = le32(p + 16);
	e->type = (uint16_t)(p[20] | p[21] << 8);
	uint32_t np = le32(p + 22);
	if (len < SCAP_EVT_HDR || len > r->blk_len - pre)
		return fail(s, r, "event of %u bytes in a block of %u", len, r->blk_len);
	size_t lsize = large ? 4 : 2;
	if (np > SCAP_MAX_PARAMS || SCAP_EVT_HDR + np * lsize > len)
		return fail(s, r, "event type %u with %u parameters (at most %d, in %u bytes)",
			    e->type, np, SCAP_MAX_PARAMS, len);
	e->nparams = np;
	size_t off = SCAP_EVT_HDR + np * lsize;
	for (uint32_t i = 0; i < np; i++) {
		const uint8_t *l = p + SCAP_EVT_HDR + i * lsize;
		uint32_t n = large ? le32(l) : (uint32_t)(l[0] | l[1] << 8);
		if (n > len - off)
			return fail(s, r, "event type %u: parameter %u of %u bytes runs past the event's %u",
				    e->type, i, n, len);
		e->val[i] = p + off;
		e->len[i] = n;
		off += n;
	}
	return 0;
}

/* --- enters waiting for their exit, by thread --- */

static struct scap_pend *pend_find(struct ln_scapr *r, int64_t tid)
{
	for (size_t i = 0; i < r->npend; i++)
		if (r->pend[i].ev.tid == tid)
			return &r->pend[i];
	return NULL;
}

static void pend_drop(struct ln_scapr *r, struct scap_pend *p)
{
	free(p->copy);
	*p = r->pend[--r->npend];
}

static int pend_add(struct ln_scapr *r, const struct scap_ev *e)
{
	if (r->npend == r->cap_pend) {
		size_t n = r->cap_pend ? 2 * r->cap_pend : 64;
		struct scap_pend *v = realloc(r->pend, n * sizeof(*v));
		if (!v)
			return -1;
		r->pend = v;
		r->cap_pend = n;
	}
	struct scap_pend *p = &r->pend[r->npend];
	size_t total = 0;
	for (uint32_t i = 0; i < e->nparams; i++)
		total += e->len[i];
	p->copy = malloc(total ? total : 1);
	if (!p->copy)
		return -1;
	p->ev = *e;
	p->num = r->nevents;
	size_t off = 0;
	for (uint32_t i = 0; i < e->nparams; i++) {
		memcpy(p->copy + off, e->val[i], e->len[i]);
		p->ev.val[i] = p->copy + off;
		off += e->len[i];
	}
	r->npend++;
	return 0;
}

/* Is it an event that comes alone (no exit follows)? */
static bool single(uint16_t type)
{
	const struct scap_evinfo *e = scap_event(type);
	return type == SCAP_PROCEXIT_1_E || (e && (e->category & 256));	/* EC_INTERNAL */
}

static int hand_out(struct ln_session *s, struct ln_scapr *r, const struct scap_ev *en,
		    const struct scap_ev *ex, uint64_t num, ln_event **out)
{
	int k = scap_make_event(s, &r->build, en, ex, num);
	if (k < 0)
		return fail(s, r, "out of memory");
	/* state-only events (EVF flag 1) change the tables, unseen */
	if (k == 0 || ((ex ? ex : en)->dump_flags & SCAP_EVF_STATE_ONLY))
		return 0;
	*out = &r->build.ev;
	return 1;
}

int ln_scap_next(struct ln_session *s, ln_event **out)
{
	struct ln_scapr *r = s->scapr;
	for (;;) {
		if (!r->held) {
			int k = r->eof ? 0 : next_block(s, r);
			if (k < 0)
				return k;
			if (k == 0) {
				r->eof = true;
				/* enters whose exit never came: events without result */
				while (r->npend) {
					struct scap_pend p = r->pend[0];
					r->pend[0].copy = NULL;
					pend_drop(r, &r->pend[0]);
					k = hand_out(s, r, &p.ev, NULL, p.num, out);
					free(p.copy);
					if (k)
						return k < 0 ? k : LN_NEXT_EVENT;
				}
				if (r->skipped)
					note(r, "events of types unknown to this lanner were skipped");
				return LN_NEXT_DONE;
			}
		}
		r->held = false;
		switch (r->blk_type) {
		case SCAP_SHB:
			if (r->in_events)
				note(r, "a second section (concatenated captures): its tables were read again");
			if (section_header(s, r) < 0)
				return LN_NEXT_ERROR;
			continue;
		case SCAP_PL_V9:
		case SCAP_FDL_V2: {
			const char *why = r->blk_type == SCAP_PL_V9 ? scap_read_procs(s, r->blk, r->blk_len)
				: scap_read_fds(s, r->blk, r->blk_len);
			if (why)
				return fail(s, r, "%s", why);
			continue;
		}
		case SCAP_EV_V2: case SCAP_EVF_V2: case SCAP_EV_V2_LARGE: case SCAP_EVF_V2_LARGE:
			break;
		case 0x202: case 0x207: case 0x209: case 0x210: case 0x211: case 0x212: case 0x213:
		case 0x214: case 0x203: case 0x204: case 0x208:
			note(r, "blocks of the format before libscap 0.1 (process list version < 9) were skipped");
			continue;
		default:
			continue;	/* machine info, interfaces, users, newer blocks */
		}
		r->in_events = true;
		struct scap_ev *e = &r->cur;
		if (parse_event(s, r, e) < 0)
			return LN_NEXT_ERROR;
		r->nevents++;
		if (!scap_event(e->type)) {
			r->skipped++;
			continue;
		}
		struct scap_pend *p = pend_find(r, e->tid);
		bool is_exit = (e->type & 1) && !single(e->type);
		if (p && !(is_exit && p->ev.type + 1 == e->type)) {
			/* the thread went on without the exit: hand the enter out
			 * alone, then this block again */
			struct scap_pend q = *p;
			p->copy = NULL;
			pend_drop(r, p);
			r->held = true;
			r->nevents--;
			int k = hand_out(s, r, &q.ev, NULL, q.num, out);
			free(q.copy);
			if (k)
				return k < 0 ? k : LN_NEXT_EVENT;
			continue;
		}
		if (!is_exit && !single(e->type)) {
			if (pend_add(r, e) < 0)
				return fail(s, r, "out of memory");
			continue;
		}
		int k = hand_out(s, r, p ? &p->ev : NULL, e, r->nevents, out);
		if (p)
			pend_drop(r, p);
		if (k)
			return k < 0 ? k : LN_NEXT_EVENT;
	}
}

int ln_scap_read(struct ln_session *s, const char *path, int fd)
{
	struct stat st;
	struct ln_scapr *r = calloc(1, sizeof(*r));
	if (!r || fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0 || !(r->gz = gzdopen(fd, "rb"))) {
		close(fd);
		free(r);
		ln_set_err(s, -ENOMEM, "%s: cannot read", path);
		return -ENOMEM;
	}
	r->size = (uint64_t)st.st_size;
	s->scapr = r;
	s->ntracees = 0;
	/* the first block must be a section header */
	int k = next_block(s, r);
	if (k <= 0 || r->blk_type != SCAP_SHB || section_header(s, r) < 0) {
		if (k == 0)
			ln_set_err(s, 0, "%s: not a capture (too short for a section header)", path);
		else if (k > 0 && r->blk_type != SCAP_SHB)
			ln_set_err(s, 0, "%s: not a capture (block type %#x first, not a section header)", path, r->blk_type);
		ln_scap_free_reader(s);
		return -EINVAL;
	}
	return 0;
}

double ln_scap_progress(struct ln_session *s)
{
	struct ln_scapr *r = s->scapr;
	/* gzoffset: bytes of the file consumed, compressed or not */
	return r && r->size ? (double)gzoffset(r->gz) / (double)r->size : 0.0;
}

const char *ln_scap_notes(struct ln_session *s)
{
	return s->scapr ? s->scapr->notes : "";
}

void ln_scap_free_reader(struct ln_session *s)
{
	struct ln_scapr *r = s->scapr;
	if (!r)
		return;
	gzclose(r->gz);
	free(r->blk);
	while (r->npend)
		pend_drop(r, &r->pend[0]);
	free(r->pend);
	scap_build_free(&r->build);
	free(r);
	s->scapr = NULL;
}
