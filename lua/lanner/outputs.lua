-- Where alerts go.  Every alert, from rules or detection scripts, passes
-- through one outputs object: Falco's rate limit (outputs.rate/max_burst)
-- first, then it is formatted once (text or Falco's JSON) and handed to
-- each enabled output: stdout (here), file, syslog, program and HTTP (one
-- module each in lanner/outputs/).
--
-- No output may stall tracing: stdout, file and syslog write at once
-- (syslog without blocking), program and HTTP queue up to a bound and make
-- progress in tick(), which the event loop calls.  What cannot be
-- delivered is counted; the counts are in the stats (--stats-interval)
-- and on stderr at exit.
local alert_format = require "lanner.alert_format"
local json = require "lanner.json"
local queue = require "lanner.outputs.queue"
local sys = require "lanner.outputs.sys"

local Outputs = {}
Outputs.__index = Outputs

local M = {}

M.DEFAULT_CAPACITY = 10000 -- alerts waiting per queued output
M.DRAIN_TIMEOUT = 5 -- seconds close() waits for queued alerts
M.TICK_EVERY = 0.002 -- tick() is called per event: do real work this often
M.WARN_EVERY = 30 -- seconds between two warnings of one kind
M.ASYNC_WAKE_MS = 20 -- loop wake-up wanted while program/HTTP are on

-- stdout_output: the stream given (stdout or --output-file).  Flushed per
-- alert unless buffered_outputs: an entrypoint's alerts must reach the
-- container log when they happen, not when a 4 KiB buffer fills.
local function stdout_output(stream, buffered)
	local sent, last_flush = 0, 0
	return {
		name = "stdout",
		send = function(_, line)
			stream:write(line, "\n")
			if not buffered then stream:flush() end
			sent = sent + 1
		end,
		tick = function(_, now)
			if buffered and now - last_flush >= 1 then
				stream:flush()
				last_flush = now
			end
		end,
		close = function() stream:flush() end,
		stats = function() return { sent = sent, failed = 0, dropped = 0, pending = 0 } end,
	}
end

-- Stands for an output that could not start (libcurl missing, …): its
-- alerts are counted as failed, so the loss shows in the stats.
local function broken_output(name)
	local failed = 0
	return {
		name = name,
		send = function() failed = failed + 1 end,
		stats = function() return { sent = 0, failed = failed, dropped = 0, pending = 0 } end,
	}
end

local MODULES = {
	{ key = "file_output", mod = "lanner.outputs.file" },
	{ key = "syslog_output", mod = "lanner.outputs.syslog" },
	{ key = "program_output", mod = "lanner.outputs.program", async = true },
	{ key = "http_output", mod = "lanner.outputs.http", async = true, json = true },
}

-- cfg: the output part of the configuration, Falco's names (see
-- lanner.config): json_output, json_include_output_property,
-- json_include_tags_property, buffered_outputs, output_timeout,
-- outputs = {rate, max_burst}, outputs_queue = {capacity, drain_timeout},
-- stdout_output, file_output, syslog_output, program_output, http_output
-- (each {enabled, …}), stats_interval.
-- opts: stream (for stdout_output), stats_interval, json (stats as JSON),
-- quiet, clock (seconds, monotonic; specs pass their own), stats_stream.
function M.new(cfg, opts)
	cfg = cfg or {}
	opts = opts or {}
	local clock = opts.clock or sys.now
	local now = clock()
	local oq = cfg.outputs_queue or {}
	local rate = cfg.outputs or {}
	local self = setmetatable({
		json = cfg.json_output == true,
		json_opts = {
			include_output = cfg.json_include_output_property ~= false,
			include_tags = cfg.json_include_tags_property ~= false,
		},
		list = {},
		counts = { alerts = 0, per_rule = {}, rate_limited = 0, by_priority = {} },
		clock = clock,
		bucket = queue.bucket(rate.rate, rate.max_burst, now),
		next_tick = 0,
		stats_interval = opts.stats_interval or cfg.stats_interval,
		stats_json = opts.json or cfg.json_output == true,
		stats_stream = opts.stats_stream or io.stderr,
		quiet = opts.quiet or cfg.quiet,
		drain_timeout = oq.drain_timeout or M.DRAIN_TIMEOUT,
		warned = {},
	}, Outputs)
	if self.stats_interval and self.stats_interval <= 0 then self.stats_interval = nil end
	if self.stats_interval then self.next_stats = now + self.stats_interval end
	local common = {
		capacity = (oq.capacity and oq.capacity > 0) and oq.capacity or M.DEFAULT_CAPACITY,
		buffered = cfg.buffered_outputs == true,
		timeout_ms = cfg.output_timeout,
		now = clock,
		warn = function(key, msg) self:warn(key, msg) end,
	}
	local so = cfg.stdout_output
	if so == nil or so.enabled ~= false then
		self.list[#self.list + 1] = stdout_output(opts.stream or io.stdout, common.buffered)
	end
	for _, m in ipairs(MODULES) do
		local sub = cfg[m.key]
		if type(sub) == "table" and sub.enabled == true then
			local ok, out, err = pcall(function() return require(m.mod).new(sub, common) end)
			if not ok or not out then
				self:warn(m.key, ("%s: cannot start: %s"):format(m.key, tostring(ok and err or out)))
				out = broken_output(m.key:gsub("_output$", ""))
			end
			out.wants_json = m.json
			if m.async then self.async = true end
			self.list[#self.list + 1] = out
		end
	end
	return self
end

-- A warning on stderr, at most one per kind every WARN_EVERY seconds: a
-- dead receiver must not turn into a line per alert.
function Outputs:warn(key, msg)
	local now = self.clock()
	local last = self.warned[key]
	if last and now - last < M.WARN_EVERY then return end
	self.warned[key] = now
	if not self.quiet then io.stderr:write("lanner: warning: ", msg, "\n") end
end

function Outputs:format(a)
	if self.json then return alert_format.json(a, self.json_opts) end
	return alert_format.text(a)
end

function Outputs:alert(a)
	local c = self.counts
	c.alerts = c.alerts + 1
	local rule = a.rule or "?"
	c.per_rule[rule] = (c.per_rule[rule] or 0) + 1
	-- dry-run prevention alerts, for --stats
	if a.action and a.action:sub(1, 6) == "would " then
		self.would = self.would or {}
		self.would[a.action] = (self.would[a.action] or 0) + 1
	end
	-- by rule and priority, for the web server's /metrics (a detection
	-- script may raise one rule name at several priorities)
	local bp = c.by_priority[rule]
	if not bp then bp = {}; c.by_priority[rule] = bp end
	local prio = a.priority or "?"
	bp[prio] = (bp[prio] or 0) + 1
	if self.bucket and not self.bucket:take(self.clock()) then
		c.rate_limited = c.rate_limited + 1
		return
	end
	local line = self:format(a)
	local jline = self.json and line or nil
	for _, o in ipairs(self.list) do
		if o.wants_json and not jline then jline = alert_format.json(a, self.json_opts) end
		o:send(o.wants_json and jline or line, a)
	end
end

-- The wake-up the event loop should keep (ms), so that queued alerts and
-- stats make progress while the traced program is quiet; nil: none needed.
function Outputs:wake_ms()
	local ms
	if self.async then ms = M.ASYNC_WAKE_MS end
	if self.stats_interval then ms = math.min(ms or 1000, math.max(10, self.stats_interval * 1000)) end
	return ms
end

-- Called from the event loop after each event and on each wake-up.
function Outputs:tick()
	local now = self.clock()
	if now < self.next_tick then return end
	self.next_tick = now + M.TICK_EVERY
	for _, o in ipairs(self.list) do
		if o.tick then o:tick(now) end
	end
	if self.next_stats and now >= self.next_stats then
		self.next_stats = now + self.stats_interval
		self:print_stats(false)
	end
end

-- fn() returns the session's stats (lanner.session's Session:stats()).
function Outputs:set_stats_source(fn)
	self.stats_source = fn
end

-- Everything counted so far, as one table (what the stats lines print).
function Outputs:stats()
	local c = self.counts
	local s = { alerts = c.alerts, alerts_rate_limited = c.rate_limited, outputs = {}, rules = {} }
	for rule, n in pairs(c.per_rule) do s.rules[rule] = n end
	s.by_priority = c.by_priority
	s.per_rule = s.rules -- the name this table had before
	for _, o in ipairs(self.list) do s.outputs[o.name] = o:stats() end
	if self.stats_source then
		-- a stats report must never take the session down
		local ok, st = pcall(self.stats_source)
		if ok and type(st) == "table" then
			s.events = st.events
			s.stops = (st.stops_entry or 0) + (st.stops_exit or 0) + (st.stops_ptrace or 0) + (st.stops_signal or 0)
				+ (st.stops_notif or 0)
		end
	end
	return s
end

-- Alerts raised but not delivered by some output (or not sent at all).
function Outputs:lost()
	local n = self.counts.rate_limited
	for _, o in ipairs(self.list) do
		local st = o:stats()
		n = n + (st.dropped or 0) + (st.failed or 0)
	end
	return n
end

local OUT_KEYS = { "sent", "pending", "dropped", "failed", "unconfirmed", "retries", "reopened", "starts" }

local function stats_text(s, final)
	local parts = {}
	if s.events then
		parts[#parts + 1] = ("events %d, stops %d"):format(s.events, s.stops)
	end
	parts[#parts + 1] = ("alerts %d (rate-limited %d)"):format(s.alerts, s.alerts_rate_limited)
	local rules = {}
	for r in pairs(s.rules) do rules[#rules + 1] = r end
	table.sort(rules)
	for i, r in ipairs(rules) do rules[i] = ("%s: %d"):format(r, s.rules[r]) end
	if #rules > 0 then parts[#parts + 1] = "rules {" .. table.concat(rules, ", ") .. "}" end
	local names = {}
	for n in pairs(s.outputs) do names[#names + 1] = n end
	table.sort(names)
	for _, n in ipairs(names) do
		local o, kv = s.outputs[n], {}
		for _, k in ipairs(OUT_KEYS) do
			if o[k] then kv[#kv + 1] = k .. " " .. o[k] end
		end
		parts[#parts + 1] = n .. " {" .. table.concat(kv, ", ") .. "}"
	end
	return "lanner: " .. (final and "final stats: " or "stats: ") .. table.concat(parts, "; ")
end

function Outputs:print_stats(final)
	local s = self:stats()
	s.per_rule, s.by_priority = nil, nil
	local f = self.stats_stream
	if self.stats_json then
		s.type, s.final = "stats", final
		s.time = alert_format.iso8601(os.time() * 1e9)
		f:write(json.encode(s, { "type", "time", "final", "events", "stops", "alerts" }), "\n")
	else
		f:write(stats_text(s, final), "\n")
	end
	f:flush()
end

-- Ends the outputs: waits (at most outputs_queue.drain_timeout seconds)
-- for the queued alerts, closes each output, prints the final stats if
-- stats were asked for, and says on stderr how many alerts were lost.
function Outputs:close()
	if self.closed then return end
	self.closed = true
	local deadline = sys.now() + self.drain_timeout
	while true do
		local now = self.clock()
		local pending, waiter = 0, nil
		for _, o in ipairs(self.list) do
			if o.tick then o:tick(now) end
			local p = o.pending and o:pending() or 0
			pending = pending + p
			if p > 0 and o.wait then waiter = o end
		end
		if pending == 0 or sys.now() >= deadline then break end
		if waiter then waiter:wait(10) else sys.sleep_ms(10) end
	end
	-- a program still gets a moment to finish with its last lines
	local grace = math.max(deadline, sys.now() + 1)
	for _, o in ipairs(self.list) do
		if o.close then o:close(grace) end
	end
	if self.stats_interval then self:print_stats(true) end
	local lost = self:lost()
	if lost > 0 then
		local s, parts = self:stats(), {}
		if s.alerts_rate_limited > 0 then parts[#parts + 1] = "rate limit " .. s.alerts_rate_limited end
		for name, o in pairs(s.outputs) do
			local n = (o.dropped or 0) + (o.failed or 0)
			if n > 0 then parts[#parts + 1] = ("%s %d (queue full %d, failed %d)"):format(name, n, o.dropped or 0, o.failed or 0) end
		end
		table.sort(parts)
		self.stats_stream:write(("lanner: %d alert deliveries lost: %s\n"):format(lost, table.concat(parts, "; ")))
	end
end

return M
