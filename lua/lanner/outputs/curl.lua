-- libcurl (multi interface) and zlib, by FFI, for the HTTP output.
-- Loaded only when http_output is enabled.  Option numbers are libcurl's
-- ABI (stable since 7.x; checked against curl 7.88's curl.h).
local ffi = require "ffi"
local base = require "lanner.base"

base.declare(
	"int curl_global_init(long flags);",
	"void *curl_easy_init(void);",
	"int curl_easy_setopt(void *curl, int option, ...);",
	"int curl_easy_getinfo(void *curl, int info, ...);",
	"void curl_easy_cleanup(void *curl);",
	"const char *curl_easy_strerror(int code);",
	"void *curl_slist_append(void *list, const char *s);",
	"void curl_slist_free_all(void *list);",
	"void *curl_multi_init(void);",
	"int curl_multi_setopt(void *multi, int option, ...);",
	"int curl_multi_add_handle(void *multi, void *easy);",
	"int curl_multi_remove_handle(void *multi, void *easy);",
	"int curl_multi_perform(void *multi, int *running);",
	"int curl_multi_poll(void *multi, void *extra_fds, unsigned int n, int timeout_ms, int *numfds);",
	"int curl_multi_cleanup(void *multi);",
	"void *fopen(const char *path, const char *mode);",
	"int fclose(void *f);",
	"const char *zlibVersion(void);",
	"unsigned long deflateBound(void *strm, unsigned long len);",
	"int deflate(void *strm, int flush);",
	"int deflateEnd(void *strm);",
	"int deflateInit2_(void *strm, int level, int method, int bits, int mem, int strategy, const char *version, int size);"
)

base.define("lncurl_msg", [[
	/* CURLMsg: msg, easy_handle, union { void *, CURLcode } */
	typedef struct lncurl_msg { int msg; void *easy; union { void *p; int result; } data; } lncurl_msg;
	lncurl_msg *curl_multi_info_read(void *multi, int *msgs_in_queue);
	/* zlib's z_stream (LP64) */
	typedef struct lnz_stream {
		const uint8_t *next_in; unsigned avail_in; unsigned long total_in;
		uint8_t *next_out; unsigned avail_out; unsigned long total_out;
		const char *msg; void *state;
		void *zalloc, *zfree, *opaque;
		int data_type; unsigned long adler, reserved;
	} lnz_stream;
	]])

local M = {}

M.OPT = {
	WRITEDATA = 10001, URL = 10002, ERRORBUFFER = 10010, USERAGENT = 10018,
	HTTPHEADER = 10023, SSLCERT = 10025, SSLKEY = 10087, CAINFO = 10065,
	CAPATH = 10097, COPYPOSTFIELDS = 10165, PROTOCOLS_STR = 10318,
	POSTFIELDSIZE = 60, POST = 47, NOSIGNAL = 99, TIMEOUT_MS = 155,
	CONNECTTIMEOUT_MS = 156, SSL_VERIFYPEER = 64, SSL_VERIFYHOST = 81,
	FORBID_REUSE = 75, TCP_KEEPALIVE = 213,
}
M.INFO_RESPONSE_CODE = 0x200002
M.INFO_REQUEST_SIZE = 0x20000C -- bytes of request sent (CURLINFO_REQUEST_SIZE)
M.MOPT_MAX_HOST_CONNECTIONS = 7
M.MSG_DONE = 1

local lib, zlib, load_err
-- The library, or nil and why not.  Debian's libcurl4 ships only the
-- versioned name unless the -dev package is installed.
function M.lib()
	if lib or load_err then return lib, load_err end
	for _, name in ipairs { "libcurl.so.4", "curl", "libcurl-gnutls.so.4" } do
		local ok, l = pcall(ffi.load, name)
		if ok then
			lib = l
			break
		end
		load_err = l
	end
	if lib then
		load_err = nil
		lib.curl_global_init(3) -- CURL_GLOBAL_DEFAULT, once, before any handle
	else
		load_err = "libcurl not found (apt-get install libcurl4): " .. tostring(load_err)
	end
	return lib, load_err
end

function M.long(v) return ffi.cast("long", v) end

local running, left = ffi.new("int[1]"), ffi.new("int[1]")
-- Lets curl move the transfers of multi as far as it can without waiting,
-- then calls done(easy, result) for each one that finished (done may
-- remove the handle).
function M.progress(lib, multi, done)
	lib.curl_multi_perform(multi, running)
	while true do
		local m = lib.curl_multi_info_read(multi, left)
		if m == nil then return end
		if m.msg == M.MSG_DONE then done(m.easy, m.data.result) end
	end
end

-- gzip of s (RFC 1952), or nil, message.
function M.gzip(s)
	if not zlib then
		local ok, l = pcall(ffi.load, "libz.so.1")
		if not ok then ok, l = pcall(ffi.load, "z") end
		if not ok then return nil, "zlib not found: " .. tostring(l) end
		zlib = l
	end
	local strm = ffi.new("lnz_stream")
	-- window bits 15 + 16: a gzip header and trailer instead of zlib's
	if zlib.deflateInit2_(strm, 6, 8, 31, 8, 0, zlib.zlibVersion(), ffi.sizeof(strm)) ~= 0 then
		return nil, "deflateInit2 failed"
	end
	local cap = tonumber(zlib.deflateBound(strm, #s)) + 32
	local out = ffi.new("uint8_t[?]", cap)
	strm.next_in, strm.avail_in = ffi.cast("const uint8_t *", s), #s
	strm.next_out, strm.avail_out = out, cap
	local rc = zlib.deflate(strm, 4) -- Z_FINISH
	local n = tonumber(strm.total_out)
	zlib.deflateEnd(strm)
	if rc ~= 1 then return nil, "deflate failed (" .. rc .. ")" end -- Z_STREAM_END
	return ffi.string(out, n)
end

return M
