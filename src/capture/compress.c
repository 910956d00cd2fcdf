/*
 * compress.c - the codecs of COMPRESSED blocks
 * (doc/capture-format.md): zlib (RFC 1950 streams) and zstd (RFC 8878
 * frames), one context per writer or reader, reused for every block.
 *
 * Inflating treats its input as hostile: the output goes into a buffer of
 * exactly the size the block declares (at most LN_CAP_MAX_INFLATED, checked
 * by the caller), and data that would grow past it is an error, so a
 * decompression bomb costs no more than an honest block.  zstd's one-shot
 * decompression writes into that buffer and allocates no window of its own,
 * whatever window size a frame asks for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>
#include "capture/capture.h"

/* zlib 6 and zstd 1 measured on lanner captures (64 KB of blocks at a
 * time): zlib 1 is barely faster than 6 and 4% larger; zstd 1 is both
 * faster and smaller than zstd's default 3 on data this repetitive. */
enum { ZLIB_LEVEL = 6, ZSTD_LEVEL = 1 };

struct ln_cz {
	int alg;
	bool inflating;
	bool zinit;
	z_stream zs;
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	char why[160];
};

struct ln_cz *ln_cz_new(int alg, bool inflating)
{
	if (alg != LN_COMPRESS_ZLIB && alg != LN_COMPRESS_ZSTD)
		return NULL;
	struct ln_cz *z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	z->alg = alg;
	z->inflating = inflating;
	return z;
}

void ln_cz_free(struct ln_cz *z)
{
	if (!z)
		return;
	if (z->zinit) {
		if (z->inflating)
			inflateEnd(&z->zs);
		else
			deflateEnd(&z->zs);
	}
	ZSTD_freeCCtx(z->cctx);
	ZSTD_freeDCtx(z->dctx);
	free(z);
}

const char *ln_cz_name(int alg)
{
	return alg == LN_COMPRESS_ZLIB ? "zlib" : alg == LN_COMPRESS_ZSTD ? "zstd" : "none";
}

size_t ln_cz_bound(const struct ln_cz *z, size_t n)
{
	if (z->alg == LN_COMPRESS_ZSTD)
		return ZSTD_compressBound(n);
	return compressBound((uLong)n);
}

/* Compresses n bytes into dst (cap bytes, at least ln_cz_bound): the size
 * written, or -1. */
ssize_t ln_cz_compress(struct ln_cz *z, const void *in, size_t n, void *dst, size_t cap)
{
	if (z->alg == LN_COMPRESS_ZSTD) {
		if (!z->cctx && !(z->cctx = ZSTD_createCCtx()))
			return -1;
		size_t k = ZSTD_compressCCtx(z->cctx, dst, cap, in, n, ZSTD_LEVEL);
		return ZSTD_isError(k) ? -1 : (ssize_t)k;
	}
	if (!z->zinit) {
		if (deflateInit(&z->zs, ZLIB_LEVEL) != Z_OK)
			return -1;
		z->zinit = true;
	} else if (deflateReset(&z->zs) != Z_OK) {
		return -1;
	}
	z->zs.next_in = (Bytef *)(uintptr_t)in;
	z->zs.avail_in = (uInt)n;
	z->zs.next_out = dst;
	z->zs.avail_out = (uInt)cap;
	if (deflate(&z->zs, Z_FINISH) != Z_STREAM_END)
		return -1;
	return (ssize_t)(cap - z->zs.avail_out);
}

static int inflate_zlib(struct ln_cz *z, const uint8_t *in, size_t n, uint8_t *out, size_t want)
{
	if (!z->zinit) {
		if (inflateInit(&z->zs) != Z_OK) {
			snprintf(z->why, sizeof(z->why), "out of memory");
			return -1;
		}
		z->zinit = true;
	} else if (inflateReset(&z->zs) != Z_OK) {
		snprintf(z->why, sizeof(z->why), "zlib: cannot reset");
		return -1;
	}
	z->zs.next_in = (Bytef *)(uintptr_t)in;
	z->zs.avail_in = (uInt)n;
	z->zs.next_out = out;
	z->zs.avail_out = (uInt)want;
	int r = inflate(&z->zs, Z_FINISH);
	/* Out of room before the end.  One byte more tells a stream that
	 * goes on (a lying size, or a bomb: stopped here either way) from one
	 * whose trailer is still to come or missing. */
	uint8_t more;
	if (r != Z_STREAM_END && !z->zs.avail_out && (r == Z_OK || r == Z_BUF_ERROR)) {
		z->zs.next_out = &more;
		z->zs.avail_out = 1;
		r = inflate(&z->zs, Z_FINISH);
		if (!z->zs.avail_out) {
			snprintf(z->why, sizeof(z->why),
				 "the data inflates to more than the %zu bytes declared (stopped there)", want);
			return -1;
		}
		z->zs.avail_out = 0;
	}
	if (r == Z_STREAM_END) {
		if (z->zs.avail_out)
			snprintf(z->why, sizeof(z->why), "the data inflates to %zu bytes, not the %zu declared",
				 want - z->zs.avail_out, want);
		else if (z->zs.avail_in)
			snprintf(z->why, sizeof(z->why), "%u bytes after the end of the zlib data",
				 z->zs.avail_in);
		else
			return 0;
		return -1;
	}
	if (r == Z_BUF_ERROR)
		snprintf(z->why, sizeof(z->why), "the zlib data ends early (%zu of %zu bytes inflated)",
			 want - z->zs.avail_out, want);
	else
		snprintf(z->why, sizeof(z->why), "corrupt zlib data (%s)",
			 z->zs.msg ? z->zs.msg : "error");
	return -1;
}

static int inflate_zstd(struct ln_cz *z, const uint8_t *in, size_t n, uint8_t *out, size_t want)
{
	if (!z->dctx && !(z->dctx = ZSTD_createDCtx())) {
		snprintf(z->why, sizeof(z->why), "out of memory");
		return -1;
	}
	size_t k = ZSTD_decompressDCtx(z->dctx, out, want, in, n);
	if (ZSTD_isError(k)) {
		if (ZSTD_getErrorCode(k) == ZSTD_error_dstSize_tooSmall)
			snprintf(z->why, sizeof(z->why),
				 "the data inflates to more than the %zu bytes declared (stopped there)", want);
		else
			snprintf(z->why, sizeof(z->why), "corrupt zstd data (%s)", ZSTD_getErrorName(k));
		return -1;
	}
	if (k != want) {
		snprintf(z->why, sizeof(z->why), "the data inflates to %zu bytes, not the %zu declared",
			 k, want);
		return -1;
	}
	return 0;
}

/* Inflates n bytes into out, which must come out exactly `want` bytes:
 * 0, or -1 with ln_cz_why saying what is wrong. */
int ln_cz_inflate(struct ln_cz *z, const void *in, size_t n, void *out, size_t want)
{
	z->why[0] = '\0';
	if (z->alg == LN_COMPRESS_ZSTD)
		return inflate_zstd(z, in, n, out, want);
	return inflate_zlib(z, in, n, out, want);
}

const char *ln_cz_why(const struct ln_cz *z)
{
	return z->why;
}
