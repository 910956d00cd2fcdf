-- GET requests for the metadata sources (the ECS task metadata endpoint),
-- through libcurl's multi interface: start() returns at once, poll() lets
-- curl do what it can without waiting, wait() blocks at most the time it
-- is given.  So a refresh on the event loop's timer never stalls tracing,
-- and the one read at start-up is bounded by the request time-out.
--
--   g = httpget.new(timeout_ms)          -> getter | nil, message
--   g:start({url, ...})                  starts one GET per URL
--   g:poll()   -> nil while running, else { [url] = {status=, body=} or {err=} }
--   g:wait(ms) -> the same, after at most ms (nil if still running)
--   g:busy(), g:close()
local ffi = require "ffi"
local curl = require "lanner.outputs.curl"
local sys = require "lanner.outputs.sys"

for _, decl in ipairs {
	"void *open_memstream(char **ptr, size_t *sizeloc);",
	"void free(void *p);",
} do pcall(ffi.cdef, decl) end

local OPT, long = curl.OPT, curl.long
local OPT_MAXFILESIZE, OPT_FOLLOWLOCATION, OPT_NOPROXY = 114, 52, 10177

local M = {}
M.MAX_BODY = 4 * 1024 * 1024 -- a metadata document is a few kB

local Get = {}
Get.__index = Get

function M.new(timeout_ms)
	local lib, err = curl.lib()
	if not lib then return nil, err end
	local multi = lib.curl_multi_init()
	if multi == nil then return nil, "curl_multi_init failed" end
	return setmetatable({ lib = lib, multi = multi, timeout_ms = timeout_ms or 2000, reqs = {} }, Get)
end

function Get:busy() return #self.reqs > 0 end

function Get:start(urls)
	if self:busy() then error("httpget: a batch is still running", 2) end
	local lib = self.lib
	self.results = {}
	for _, url in ipairs(urls) do
		local r = { url = url, ptr = ffi.new("char *[1]"), size = ffi.new("size_t[1]"),
			errbuf = ffi.new("char[256]") }
		r.file = ffi.C.open_memstream(r.ptr, r.size)
		r.easy = lib.curl_easy_init()
		if r.file == nil or r.easy == nil then
			self.results[url] = { err = "out of memory" }
			if r.file ~= nil then self:release(r) end
		else
			local set = function(opt, v) return lib.curl_easy_setopt(r.easy, opt, v) end
			set(OPT.URL, url)
			set(OPT.NOSIGNAL, long(1)) -- the core owns the timer signal
			set(OPT.TIMEOUT_MS, long(self.timeout_ms))
			set(OPT.CONNECTTIMEOUT_MS, long(self.timeout_ms))
			set(OPT.WRITEDATA, r.file) -- curl's default writer fwrite()s there
			set(OPT.ERRORBUFFER, r.errbuf)
			set(OPT.PROTOCOLS_STR, "http,https")
			set(OPT_MAXFILESIZE, long(M.MAX_BODY))
			set(OPT_FOLLOWLOCATION, long(0))
			-- a metadata endpoint is local (ECS: 169.254.170.2): the task's
			-- http_proxy, meant for the workload, must not take it away
			set(OPT_NOPROXY, "*")
			lib.curl_multi_add_handle(self.multi, r.easy)
			self.reqs[#self.reqs + 1] = r
		end
	end
	return self:poll()
end

-- The body written so far, and the buffer and handle freed.
function Get:release(r)
	ffi.C.fclose(r.file) -- flushes into *ptr
	local body = r.ptr[0] ~= nil and ffi.string(r.ptr[0], r.size[0]) or ""
	ffi.C.free(r.ptr[0])
	if r.easy ~= nil then
		self.lib.curl_multi_remove_handle(self.multi, r.easy)
		self.lib.curl_easy_cleanup(r.easy)
	end
	return body
end

local code = ffi.new("long[1]")

function Get:poll()
	local lib = self.lib
	if #self.reqs > 0 then
		curl.progress(lib, self.multi, function(easy, result)
			for i, r in ipairs(self.reqs) do
				if r.easy == easy then
					lib.curl_easy_getinfo(easy, curl.INFO_RESPONSE_CODE, code)
					local status, msg = tonumber(code[0]), ffi.string(r.errbuf)
					local body = self:release(r)
					if result ~= 0 then
						if msg == "" then msg = ffi.string(lib.curl_easy_strerror(result)) end
						self.results[r.url] = { err = msg }
					else
						self.results[r.url] = { status = status, body = body }
					end
					table.remove(self.reqs, i)
					return
				end
			end
		end)
	end
	if #self.reqs > 0 then return nil end
	return self.results
end

function Get:wait(ms)
	local deadline = sys.now() + ms / 1000
	while true do
		local res = self:poll()
		if res then return res end
		local left_ms = math.floor((deadline - sys.now()) * 1000)
		if left_ms <= 0 then return nil end
		self.lib.curl_multi_poll(self.multi, nil, 0, math.min(left_ms, 100), nil)
	end
end

function Get:close()
	for _, r in ipairs(self.reqs) do self:release(r) end
	self.reqs = {}
	if self.multi ~= nil then self.lib.curl_multi_cleanup(self.multi) end
	self.multi = nil
end

return M
