/*
 * wire.c - a capture's fields as bytes: little-endian encoding into a
 * growable buffer (the writers), bounds-checked decoding from a block
 * (the readers), and the format's checksum.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "capture/capture.h"

void ln_buf_grow(struct ln_buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return;
	}
	b->p = p;
	b->cap = cap;
}

void ln_buf_bytes(struct ln_buf *b, const void *p, size_t n)
{
	ln_buf_grow(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* Little-endian whatever the host: a capture moves between machines. */
static void put_le(struct ln_buf *b, uint64_t v, int n)
{
	uint8_t tmp[8];
	for (int i = 0; i < n; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	ln_buf_bytes(b, tmp, (size_t)n);
}

void ln_buf_u8(struct ln_buf *b, uint8_t v) { put_le(b, v, 1); }
void ln_buf_u16(struct ln_buf *b, uint16_t v) { put_le(b, v, 2); }
void ln_buf_u32(struct ln_buf *b, uint32_t v) { put_le(b, v, 4); }
void ln_buf_u64(struct ln_buf *b, uint64_t v) { put_le(b, v, 8); }

void ln_buf_str(struct ln_buf *b, const char *s, size_t n)
{
	ln_buf_u32(b, (uint32_t)n);
	if (n)
		ln_buf_bytes(b, s, n);
}

/* The format's CRC-32 is zlib's, which computes it several bytes at a
 * time: a byte-table loop cost 10% of a replay. */
uint32_t ln_crc32(uint32_t crc, const void *p, size_t n)
{
	return (uint32_t)crc32_z(crc, p, n);
}

uint64_t ln_cur_le(struct ln_cur *c, int n)
{
	if (c->bad || c->len - c->pos < (size_t)n) {
		c->bad = true;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)c->p[c->pos + (size_t)i] << (8 * i);
	c->pos += (size_t)n;
	return v;
}

void ln_cur_skip(struct ln_cur *c, int n)
{
	(void)ln_cur_le(c, n);
}

const char *ln_cur_str(struct ln_cur *c, uint32_t *len)
{
	uint32_t n = (uint32_t)ln_cur_le(c, 4);
	if (c->bad || c->len - c->pos < n) {
		c->bad = true;
		*len = 0;
		return "";
	}
	const char *s = (const char *)c->p + c->pos;
	c->pos += n;
	*len = n;
	return s;
}

void ln_cur_bytes(struct ln_cur *c, void *dst, size_t n)
{
	if (c->bad || c->len - c->pos < n) {
		c->bad = true;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, c->p + c->pos, n);
	c->pos += n;
}
