-- Capture files as doc/capture-format.md describes them, for specs that
-- take captures apart and build damaged ones: CRC-32, blocks, the file's
-- block list, and COMPRESSED blocks (zlib and zstd through the FFI, from
-- the same shared libraries lanner links).
local bit = require "bit"
local ffi = require "ffi"

local M = {}

M.BLK = { HEADER = 1, PROC = 2, THREAD = 3, FD = 4, FD_DEL = 5, THREAD_GONE = 6, EVENT = 7, COMPRESSED = 8 }
M.ALG = { zlib = 1, zstd = 2 }
M.MAX_INFLATED = 2 * 1048576

local CRC = {}
for i = 0, 255 do
	local c = i
	for _ = 1, 8 do
		c = bit.band(c, 1) ~= 0 and bit.bxor(0xEDB88320, bit.rshift(c, 1)) or bit.rshift(c, 1)
	end
	CRC[i] = c
end

function M.crc32(s)
	local c = bit.bnot(0)
	for i = 1, #s do
		c = bit.bxor(CRC[bit.band(bit.bxor(c, s:byte(i)), 0xff)], bit.rshift(c, 8))
	end
	return bit.bnot(c) % 2 ^ 32
end

function M.u32(v)
	v = v % 2 ^ 32
	return string.char(v % 256, math.floor(v / 2 ^ 8) % 256, math.floor(v / 2 ^ 16) % 256, math.floor(v / 2 ^ 24))
end

function M.get32(s, at)	-- at: 1-based
	local a, b, c, d = s:byte(at, at + 3)
	return a + b * 2 ^ 8 + c * 2 ^ 16 + d * 2 ^ 24
end

-- A block with a correct checksum.
function M.block(btype, payload)
	local head = M.u32(btype) .. M.u32(#payload)
	return head .. payload .. M.u32(M.crc32(head .. payload))
end

-- The 16-byte file header and the file's blocks, each { off (0-based),
-- type, len, payload, raw (the whole block) }.  Stops at a cut.
function M.parse(s, from)
	local blocks, off = {}, from or 16
	while off + 12 <= #s do
		local btype, len = M.get32(s, off + 1), M.get32(s, off + 5)
		if off + 12 + len > #s then break end
		blocks[#blocks + 1] = { off = off, type = btype, len = len,
			payload = s:sub(off + 9, off + 8 + len), raw = s:sub(off + 1, off + 12 + len) }
		off = off + 12 + len
	end
	return s:sub(1, 16), blocks
end

function M.join(head, blocks, from, to)
	local parts = { head }
	for i = from or 1, to or #blocks do parts[#parts + 1] = blocks[i].raw end
	return table.concat(parts)
end

-- --- compression -------------------------------------------------------------

ffi.cdef [[
unsigned long compressBound(unsigned long n);
int compress2(uint8_t *dst, unsigned long *dlen, const uint8_t *src, unsigned long n, int level);
int uncompress(uint8_t *dst, unsigned long *dlen, const uint8_t *src, unsigned long n);
size_t ZSTD_compressBound(size_t n);
size_t ZSTD_compress(void *dst, size_t cap, const void *src, size_t n, int level);
size_t ZSTD_decompress(void *dst, size_t cap, const void *src, size_t n);
unsigned ZSTD_isError(size_t code);
]]
local zlib = ffi.load("libz.so.1")
local zstd = ffi.load("libzstd.so.1")

-- Compressed bytes of s (a string, or a cdata buffer and its length).
function M.compress(alg, s, n)
	n = n or #s
	if alg == "zstd" then
		local cap = zstd.ZSTD_compressBound(n)
		local out = ffi.new("uint8_t[?]", cap)
		local k = zstd.ZSTD_compress(out, cap, ffi.cast("const uint8_t *", s), n, 3)
		assert(zstd.ZSTD_isError(k) == 0, "ZSTD_compress")
		return ffi.string(out, k)
	end
	local dlen = ffi.new("unsigned long[1]", zlib.compressBound(n))
	local out = ffi.new("uint8_t[?]", dlen[0])
	assert(zlib.compress2(out, dlen, ffi.cast("const uint8_t *", s), n, 6) == 0, "compress2")
	return ffi.string(out, dlen[0])
end

-- The data of a COMPRESSED block's payload (trusted: specs inflate only
-- what lanner or they wrote).
function M.inflate(payload)
	local alg, size = payload:byte(1), M.get32(payload, 2)
	local data = payload:sub(6)
	local out = ffi.new("uint8_t[?]", size)
	if alg == M.ALG.zstd then
		local k = zstd.ZSTD_decompress(out, size, ffi.cast("const uint8_t *", data), #data)
		assert(zstd.ZSTD_isError(k) == 0 and k == size, "ZSTD_decompress")
	else
		local dlen = ffi.new("unsigned long[1]", size)
		assert(zlib.uncompress(out, dlen, ffi.cast("const uint8_t *", data), #data) == 0 and dlen[0] == size,
			"uncompress")
	end
	return ffi.string(out, size)
end

-- A COMPRESSED block holding `data` (whole blocks), declared as `size`
-- (default: the truth) and algorithm number `algno` (default: alg's).
function M.compressed(alg, data, size, algno)
	local payload = string.char(algno or M.ALG[alg]) .. M.u32(size or #data) .. M.compress(alg, data)
	return M.block(M.BLK.COMPRESSED, payload)
end

-- Every block in reading order, COMPRESSED blocks replaced by the blocks
-- they hold; each has `outer`, the file offset of the block that holds
-- it in the file (itself when not compressed), and `whole_at`, the file
-- offset where that outer block ends.
function M.flat(s)
	local head, outer = M.parse(s)
	local out = {}
	for _, b in ipairs(outer) do
		local stop = b.off + 12 + b.len
		if b.type == M.BLK.COMPRESSED then
			local data = M.inflate(b.payload)
			local _, inner = M.parse(data, 0)
			for _, ib in ipairs(inner) do
				ib.outer, ib.whole_at = b.off, stop
				out[#out + 1] = ib
			end
		else
			b.outer, b.whole_at = b.off, stop
			out[#out + 1] = b
		end
	end
	return out, head, outer
end

return M
