-- http_output: each alert POSTed as Falco's JSON (what falcosidekick and
-- Falco's other consumers read) to a URL, through libcurl's multi
-- interface so that sending never blocks the event loop: the loop calls
-- tick(), which lets curl do whatever it can without waiting.
--
-- Alerts wait in a bounded queue (past the bound: dropped, counted).  A
-- failed request (no connection, timeout, HTTP 408, 429 or 5xx) goes back
-- to the head of the queue and the whole output backs off, exponentially,
-- so that a dead receiver gets a probe now and then rather than a flood;
-- an alert that fails max_retries times is given up and counted.  Other
-- HTTP errors (400, 401, 404, …) are not retried: the same body would get
-- the same answer.
--
-- At most once: a request that went out and got no answer (a time-out
-- while the receiver works, a connection closed before the answer) is not
-- retried, since the receiver may have it and a retry would deliver the
-- alert twice (a slow falcosidekick would forward it twice); it is counted
-- as failed and as unconfirmed.  Only requests that never left (no
-- connection, nothing sent) and explicit failure answers are retried.
local ffi = require "ffi"
local curl = require "lanner.outputs.curl"
local queue = require "lanner.outputs.queue"
local sys = require "lanner.outputs.sys"

local OPT, long = curl.OPT, curl.long

local M = {}

M.BACKOFF_FIRST = 0.1 -- seconds
M.BACKOFF_MAX = 30
M.MAX_RETRIES = 5
M.MAX_INFLIGHT = 4

local Http = {}
Http.__index = Http

local function user_agent()
	local ok, v = pcall(function()
		local core = require "lanner.core"
		return ffi.string(core.C.ln_version())
	end)
	return ok and ("lanner/" .. v) or "lanner"
end

-- Options every request of this output shares, set once per handle.
local function setup_easy(self, lib, cfg, slot)
	local e = lib.curl_easy_init()
	if e == nil then return nil end
	slot.easy = e
	slot.errbuf = ffi.new("char[256]")
	local set = function(opt, v) return lib.curl_easy_setopt(e, opt, v) end
	set(OPT.URL, cfg.url)
	set(OPT.POST, long(1))
	set(OPT.HTTPHEADER, self.headers)
	set(OPT.USERAGENT, cfg.user_agent or user_agent())
	set(OPT.NOSIGNAL, long(1)) -- no SIGALRM from curl: the core owns the timer
	set(OPT.TIMEOUT_MS, long(self.timeout_ms))
	set(OPT.CONNECTTIMEOUT_MS, long(self.timeout_ms))
	set(OPT.WRITEDATA, self.sink) -- answers are read and thrown away
	set(OPT.ERRORBUFFER, slot.errbuf)
	set(OPT.PROTOCOLS_STR, "http,https") -- unknown before curl 7.85: ignored
	set(OPT.TCP_KEEPALIVE, long(1))
	if cfg.keep_alive == false then set(OPT.FORBID_REUSE, long(1)) end
	if cfg.insecure then
		set(OPT.SSL_VERIFYPEER, long(0))
		set(OPT.SSL_VERIFYHOST, long(0))
	end
	local ca = (cfg.ca_cert ~= "" and cfg.ca_cert) or (cfg.ca_bundle ~= "" and cfg.ca_bundle) or nil
	if ca then set(OPT.CAINFO, ca) end
	if cfg.ca_path and cfg.ca_path ~= "" then set(OPT.CAPATH, cfg.ca_path) end
	if cfg.mtls then
		if cfg.client_cert then set(OPT.SSLCERT, cfg.client_cert) end
		if cfg.client_key then set(OPT.SSLKEY, cfg.client_key) end
	end
	return e
end

-- cfg: http_output's keys (url, user_agent, insecure, ca_cert, ca_bundle,
-- ca_path, mtls, client_cert, client_key, compress_uploads, keep_alive,
-- max_retries, max_inflight); common: { capacity, timeout_ms, warn, now }.
-- Returns nil, message when libcurl cannot be loaded.
function M.new(cfg, common)
	assert(type(cfg.url) == "string", "http_output needs a url")
	local lib, err = curl.lib()
	if not lib then return nil, err end
	local self = setmetatable({
		name = "http",
		lib = lib,
		url = cfg.url,
		compress = cfg.compress_uploads == true,
		timeout_ms = common.timeout_ms or 2000,
		max_retries = cfg.max_retries or M.MAX_RETRIES,
		warn = common.warn,
		now = common.now or sys.now,
		q = queue.queue(common.capacity or 10000),
		slots = {},
		inflight = 0,
		backoff_until = 0, backoff = 0,
		counts = { sent = 0, failed = 0, retries = 0, unconfirmed = 0 },
	}, Http)
	if self.compress then
		local ok, gerr = curl.gzip("")
		if not ok then
			common.warn("http-gzip", "http_output.compress_uploads: " .. gerr .. ", bodies sent uncompressed")
			self.compress = false
		end
	end
	local h = lib.curl_slist_append(nil, "Content-Type: application/json")
	if self.compress then h = lib.curl_slist_append(h, "Content-Encoding: gzip") end
	h = lib.curl_slist_append(h, "Expect:") -- no 100-continue round trip
	-- a closure keeps libcurl's namespace (and so libcurl) loaded until the
	-- list is freed, even if this module is dropped first (see session.lua)
	self.headers = ffi.gc(h, function(p) lib.curl_slist_free_all(p) end)
	self.sink = ffi.C.fopen("/dev/null", "w")
	self.multi = lib.curl_multi_init()
	local n = cfg.max_inflight or M.MAX_INFLIGHT
	lib.curl_multi_setopt(self.multi, curl.MOPT_MAX_HOST_CONNECTIONS, long(n))
	for i = 1, n do
		local slot = {}
		if not setup_easy(self, lib, cfg, slot) then return nil, "curl_easy_init failed" end
		self.slots[i] = slot
	end
	return self
end

function Http:start(slot, item)
	if not item.body then
		-- zlib was checked in new(): deflate of a string in memory cannot fail
		item.body = self.compress and assert(curl.gzip(item.line)) or item.line
	end
	local lib = self.lib
	lib.curl_easy_setopt(slot.easy, OPT.POSTFIELDSIZE, long(#item.body))
	lib.curl_easy_setopt(slot.easy, OPT.COPYPOSTFIELDS, item.body) -- curl copies: the Lua string may go
	slot.errbuf[0] = 0
	slot.item = item
	lib.curl_multi_add_handle(self.multi, slot.easy)
	self.inflight = self.inflight + 1
end

-- curl errors that another try cannot mend: unsupported protocol, bad
-- URL, bad client certificate, receiver not verified, bad CA file.
local PERMANENT = { [1] = true, [3] = true, [58] = true, [60] = true, [77] = true }

local info_long = ffi.new("long[1]")
local function getinfo_long(lib, easy, info)
	info_long[0] = 0
	lib.curl_easy_getinfo(easy, info, info_long)
	return tonumber(info_long[0])
end

-- Whether a finished request is done with (true), worth another try
-- ("retry"), hopeless (false) or perhaps delivered ("unconfirmed"), and a
-- word on why.
local function verdict(lib, slot, result)
	if result ~= 0 then
		local msg = ffi.string(slot.errbuf)
		if msg == "" then msg = ffi.string(lib.curl_easy_strerror(result)) end
		if getinfo_long(lib, slot.easy, curl.INFO_REQUEST_SIZE) > 0 then return "unconfirmed", msg end
		return not PERMANENT[result] and "retry", msg
	end
	local status = getinfo_long(lib, slot.easy, curl.INFO_RESPONSE_CODE)
	if status >= 200 and status < 300 then return true end
	if status == 408 or status == 429 or status >= 500 then return "retry", "HTTP " .. status end
	return false, "HTTP " .. status
end

function Http:finished(slot, result, now)
	local lib = self.lib
	lib.curl_multi_remove_handle(self.multi, slot.easy)
	self.inflight = self.inflight - 1
	local item = slot.item
	slot.item = nil
	local ok, why = verdict(lib, slot, result)
	if ok == true then
		self.counts.sent = self.counts.sent + 1
		self.backoff = 0
		return
	end
	item.tries = (item.tries or 0) + 1
	-- requests in flight together fail together: back off once for them
	-- (a slow receiver gets time too)
	if ok ~= false and now >= self.backoff_until then
		self.backoff = self.backoff == 0 and M.BACKOFF_FIRST or math.min(self.backoff * 2, M.BACKOFF_MAX)
		self.backoff_until = now + self.backoff
	end
	if ok == "unconfirmed" then
		self.counts.failed = self.counts.failed + 1
		self.counts.unconfirmed = self.counts.unconfirmed + 1
		self.warn("http", ("http_output: POST %s: %s after the request was sent (the receiver may have the alert: "
			.. "not sent again)"):format(self.url, why))
	elseif ok == "retry" and item.tries <= self.max_retries then
		self.counts.retries = self.counts.retries + 1
		self.q:push_front(item)
		self.warn("http", ("http_output: POST %s: %s (retrying)"):format(self.url, why))
	else
		self.counts.failed = self.counts.failed + 1
		self.warn("http", ("http_output: POST %s: %s (alert given up)"):format(self.url, why))
	end
end

local running = ffi.new("int[1]")

function Http:pump(now)
	local lib = self.lib
	if self.inflight > 0 then
		curl.progress(lib, self.multi, function(easy, result)
			for _, slot in ipairs(self.slots) do
				if slot.item and slot.easy == easy then
					self:finished(slot, result, now)
					break
				end
			end
		end)
	end
	if now < self.backoff_until or self.q:len() == 0 then return end
	local started = false
	for _, slot in ipairs(self.slots) do
		if not slot.item then
			local item = self.q:pop()
			if not item then break end
			self:start(slot, item)
			started = true
			if self.backoff > 0 then break end -- after a failure: one probe
		end
	end
	if started then lib.curl_multi_perform(self.multi, running) end
end

-- line: Falco's JSON of the alert (outputs.lua hands the HTTP output JSON
-- whatever json_output says: a webhook wants JSON).
function Http:send(line)
	if not self.q:push({ line = line }) then
		self.warn("http-full", "http_output: queue full, alerts dropped")
		return
	end
	self:pump(self.now())
end

function Http:tick(now) self:pump(now) end

function Http:pending() return self.q:len() + self.inflight end

-- Blocks up to ms for network activity or the end of a backoff: only the
-- drain at exit calls it, never the event loop.
function Http:wait(ms)
	local now = self.now()
	if self.inflight > 0 then
		self.lib.curl_multi_poll(self.multi, nil, 0, ms, nil)
	elseif self.backoff_until > now then
		sys.sleep_ms(math.min(ms, math.ceil((self.backoff_until - now) * 1000)))
	end
end

function Http:close()
	local lib = self.lib
	for _, slot in ipairs(self.slots) do
		if slot.item then
			lib.curl_multi_remove_handle(self.multi, slot.easy)
			self.counts.failed = self.counts.failed + 1
			if getinfo_long(lib, slot.easy, curl.INFO_REQUEST_SIZE) > 0 then
				self.counts.unconfirmed = self.counts.unconfirmed + 1
			end
			slot.item = nil
		end
		lib.curl_easy_cleanup(slot.easy)
	end
	self.inflight = 0
	self.slots = {}
	self.counts.failed = self.counts.failed + queue.clear(self.q)
	lib.curl_multi_cleanup(self.multi)
	if self.sink ~= nil then ffi.C.fclose(self.sink) end
end

function Http:stats()
	local c = self.counts
	return { sent = c.sent, failed = c.failed, dropped = self.q.dropped,
		pending = self:pending(), retries = c.retries, unconfirmed = c.unconfirmed }
end

return M
