/*
 * capture_fuzz.c - libFuzzer target for the capture reader
 * (src/capture/read.c): the bytes become a file, which is replayed to its
 * end the way `lanner -r` does, and everything an event points at is
 * touched the way the Lua side touches it (parameters rendered, the
 * event's fd and tuple rendered, the thread, process and fd tables walked),
 * so that a pointer the reader got wrong shows up here and not in Lua.
 *
 * Most mutations break a block's CRC-32, and the reader stops at the
 * first bad checksum: every input is therefore read twice, as it is and
 * with the checksum of each block that fits recomputed, so that mutated
 * lengths, strings and fields reach the decoders behind the checksum.
 * That includes COMPRESSED blocks (the *zlib*, *zstd* seeds): mutated
 * compressed bytes and inflated sizes reach zlib and zstd, whose output is
 * bounded by the declared size.
 *
 * sysdig's .scap captures (src/scap_read.c) come in through the same
 * ln_capture_read, told by their magic: the *.scap seeds, plain and
 * gzip'd.  They have no checksums, so fix_crcs leaves them as they are.
 *
 * Build and run: spec/fuzz/run.sh (make fuzz), whose -malloc_limit_mb
 * makes any single allocation over 64 MB a finding.  Many moderate ones (an
 * fd table per process) are checked by spec/capture_damaged_spec.lua.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "capture/capture.h"

/* Fails loudly if a string the core hands out is not NUL-terminated
 * inside its allocation: ASan sees the strlen run off. */
static size_t touch_str(const char *s)
{
	return s ? strlen(s) : 0;
}

static size_t touch_bytes(const char *p, size_t n)
{
	size_t sum = 0;
	for (size_t i = 0; p && i < n; i++)
		sum += (unsigned char)p[i];
	return sum;
}

static size_t touch_fd(const ln_fd *f)
{
	char buf[512];
	size_t sum = touch_str(f->name);
	sum += touch_str(ln_fd_type_name(f->type));
	sum += (unsigned char)ln_fd_typechar(f->type);
	if (ln_tuple_format(&f->tuple, f->is_server, buf, sizeof(buf)) > 0)
		sum += touch_str(buf);
	if (ln_ip_format(f->tuple.family, f->tuple.lip, buf, sizeof(buf)) > 0)
		sum += touch_str(buf);
	return sum;
}

static size_t touch_proc(const ln_proc *p)
{
	size_t sum = touch_str(p->exe) + touch_str(p->exepath) + touch_str(p->cwd) +
		     touch_str(p->root) + touch_str(p->container_id);
	sum += strnlen(p->comm, sizeof(p->comm));
	sum += touch_bytes(p->args, p->args_len) + touch_bytes(p->env, p->env_len);
	return sum;
}

static size_t touch_event(ln_session *s, const ln_event *ev)
{
	char buf[8192];
	size_t sum = 0;
	const ln_type_info *ti = ln_type(ev->type);
	if (ti)
		sum += touch_str(ti->name) + touch_str(ln_category_name(ti->category));
	for (int i = 0; i < ev->nparams && i < LN_MAX_PARAMS; i++) {
		const ln_param *p = &ev->params[i];
		if (p->str)
			sum += touch_bytes(p->str, p->len);
		if (ln_param_format(ev, i, buf, sizeof(buf)) >= 0)
			sum += touch_str(buf);
		sum += touch_str(ln_const_name(p->kind, p->val));
	}
	if (ev->has_res && ev->res < 0 && ev->res > -4096)
		sum += touch_str(ln_errno_name((int)-ev->res));
	if (ev->fd)
		sum += touch_fd(ev->fd);
	if (ev->thread) {
		sum += (size_t)ev->thread->uid;
		if (ev->thread->proc) {
			const ln_proc *p = ev->thread->proc;
			sum += touch_proc(p);
			ln_fd *f = ln_fd_get(s, (ln_proc *)p, ev->fdnum);
			if (f)
				sum += touch_fd(f);
			/* proc.pname, proc.aname[N]: the parent chain by pid */
			const ln_proc *a = p;
			for (int depth = 0; a && depth < 8; depth++)
				a = ln_proc_get(s, a->ppid);
		}
	}
	if (ln_thread_get(s, ev->tid))
		sum++;
	return sum;
}

/* The tables at the end, as a chisel's on_capture_end walks them. */
static size_t touch_tables(ln_session *s)
{
	size_t sum = 0;
	for (ln_proc *p = ln_proc_next(s, NULL); p; p = ln_proc_next(s, p)) {
		sum += touch_proc(p);
		for (ln_fd *f = ln_fd_next(s, p, NULL); f; f = ln_fd_next(s, p, f))
			sum += touch_fd(f);
	}
	return sum;
}

static volatile size_t sink;

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Recompute the CRC of every whole block after the 16-byte file header;
 * true if any changed. */
static bool fix_crcs(uint8_t *d, size_t size)
{
	bool changed = false;
	size_t off = 16;
	while (off + 12 <= size) {
		uint32_t len = le32(d + off + 4);
		if (len > LN_CAP_MAX_BLOCK || len > size - off - 12)
			break;
		uint32_t crc = ln_crc32(0, d + off, 8 + (size_t)len);
		uint8_t *at = d + off + 8 + len;
		if (le32(at) != crc) {
			for (int i = 0; i < 4; i++)
				at[i] = (uint8_t)(crc >> (8 * i));
			changed = true;
		}
		off += 12 + (size_t)len;
	}
	return changed;
}

static void replay(const uint8_t *data, size_t size)
{
	int mfd = memfd_create("capture_fuzz", MFD_CLOEXEC);
	if (mfd < 0)
		return;
	size_t off = 0;
	while (off < size) {
		ssize_t n = write(mfd, data + off, size - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	ln_session *s = ln_session_new();
	if (!s) {
		close(mfd);
		return;
	}
	if (ln_capture_read(s, path) == 0) {
		ln_event *ev;
		int r;
		/* A capture of N bytes holds fewer than N events, plus what its
		 * COMPRESSED blocks (13 bytes or more each) inflate to: at most
		 * 2 MiB of 108-byte event blocks apiece.  More means a reader
		 * that does not advance. */
		size_t guard = size + 16 + (size / 13 + 1) * (LN_CAP_MAX_INFLATED / 108);
		/* a gzip'd .scap inflates up to 1032 times (deflate's limit)
		 * into events of 40 bytes or more */
		if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
			guard = size * (1032 / 40 + 1) + 16;
		while ((r = ln_next(s, &ev, -1)) == LN_NEXT_EVENT && guard--)
			sink += touch_event(s, ev);
		if (r == LN_NEXT_EVENT)
			abort();	/* the reader loops */
		if (r == LN_NEXT_ERROR)
			sink += touch_str(ln_errmsg(s));
		sink += touch_str(ln_capture_notes(s));
		double pr = ln_capture_progress(s);
		if (!(pr >= 0.0 && pr <= 1.0))
			abort();	/* read past the end, or a negative offset */
		sink += touch_tables(s);
	} else {
		sink += touch_str(ln_errmsg(s));
	}
	ln_session_free(s);
	close(mfd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	replay(data, size);
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (fix_crcs(copy, size))
		replay(copy, size);
	free(copy);
	return 0;
}
