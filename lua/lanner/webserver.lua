-- Falco's web server (webserver.* keys): /healthz and /metrics.  The core
-- serves them from a thread of its own (ln_web_*), so they answer while
-- the tracer waits for a stop or is busy; this side gives it a snapshot of
-- the counters once a second, from the event loop's chores (never per
-- event), and says when tracing starts and ends.
--
--   ws = webserver.start(cfg, sources[, quiet]) -> server | nil, message | false (off)
--     cfg: the `webserver` config section (Falco's keys); sources:
--     { outputs = lanner.outputs object, session = lanner.session object }
--   ws:tick(now), ws:wake_ms(), ws:set_ready(bool), ws:port(), ws:close()
--   webserver.metrics_text(snapshot) -> Prometheus text (see snapshot())
--
-- Metric names are Falco's where Falco has the figure
-- (falcosecurity_scap_n_evts_total, falcosecurity_falco_rules_matches_total
-- with priority as Falco's number, 0 Emergency .. 7 Debug, ...); lanner's
-- own start with lanner_.
local bit = require "bit"
local core = require "lanner.core"
local sys = require "lanner.outputs.sys"

local ffi, C = core.ffi, core.C

local M = {}

M.DEFAULTS = { listen_port = 8765, listen_address = "0.0.0.0", k8s_healthz_endpoint = "/healthz" }
M.PUBLISH_EVERY = 1 -- seconds between two snapshots

local PRIORITY_NUM = { emergency = 0, alert = 1, critical = 2, error = 3, warning = 4, notice = 5,
	informational = 6, info = 6, debug = 7 }

-- A Prometheus label value: backslash, quote and newline escaped.
local function label(v)
	return '"' .. tostring(v):gsub('[\\"\n]', { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" }) .. '"'
end

local function num(v)
	-- 64-bit integers (ns timestamps) exactly: "123ULL" -> 123
	if type(v) == "cdata" then return (tostring(v):gsub("U?LL$", "")) end
	v = tonumber(v) or 0
	if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%d", v) end
	return string.format("%.6f", v)
end

local HELP = "# HELP %s %s\n# TYPE %s %s\n"

-- s: { version, start_ns, duration_s, events, drops, stops = {entry=, ...},
-- stops_polled, tracer_s, procs, threads, alerts, rate_limited, rules = { {rule=,
-- priority=, n=}, ... }, outputs = { name = {sent=, failed=, dropped=} } }
function M.metrics_text(s)
	local out = {}
	local function metric(name, kind, help, rows)
		out[#out + 1] = HELP:format(name, help, name, kind)
		for _, r in ipairs(rows) do
			local labels = {}
			for _, kv in ipairs(r.labels or {}) do labels[#labels + 1] = kv[1] .. "=" .. label(kv[2]) end
			out[#out + 1] = name .. (#labels > 0 and "{" .. table.concat(labels, ",") .. "}" or "") .. " " .. num(r.v) .. "\n"
		end
	end
	metric("falcosecurity_falco_version_info", "gauge", "lanner's version.",
		{ { labels = { { "version", s.version } }, v = 1 } })
	metric("falcosecurity_falco_start_timestamp_nanoseconds", "gauge", "When tracing started, ns since the epoch.",
		{ { v = s.start_ns } })
	metric("falcosecurity_falco_duration_seconds_total", "counter", "Seconds since tracing started.",
		{ { v = math.floor(s.duration_s) } })
	metric("falcosecurity_scap_n_evts_total", "counter", "Events handed to the rules, filters and chisels.",
		{ { v = s.events } })
	metric("falcosecurity_scap_n_drops_total", "counter", "Events lost.", { { v = s.drops } })
	local rows = {}
	for _, r in ipairs(s.rules) do
		rows[#rows + 1] = { labels = { { "priority", PRIORITY_NUM[tostring(r.priority):lower()] or r.priority },
			{ "rule_name", r.rule }, { "source", "syscall" } }, v = r.n }
	end
	metric("falcosecurity_falco_rules_matches_total", "counter", "Alerts raised, by rule and priority.", rows)
	local dropped, names = 0, {}
	for name, o in pairs(s.outputs) do
		dropped = dropped + (o.dropped or 0)
		names[#names + 1] = name
	end
	table.sort(names)
	metric("falcosecurity_falco_outputs_queue_num_drops_total", "counter",
		"Alerts dropped because an output's queue was full.", { { v = dropped } })
	metric("lanner_alerts_total", "counter", "Alerts raised, before the rate limit.", { { v = s.alerts } })
	metric("lanner_alerts_rate_limited_total", "counter", "Alerts dropped by outputs.rate.", { { v = s.rate_limited } })
	for _, k in ipairs { { "sent", "Alerts delivered, by output." },
		{ "failed", "Alerts an output gave up on (errors, time-outs), by output." },
		{ "dropped", "Alerts an output dropped (queue full), by output." } } do
		rows = {}
		for _, n in ipairs(names) do rows[#rows + 1] = { labels = { { "output", n } }, v = s.outputs[n][k[1]] or 0 } end
		metric("lanner_output_" .. k[1] .. "_total", "counter", k[2], rows)
	end
	rows = {}
	for _, k in ipairs { "entry", "exit", "ptrace", "signal", "notification" } do
		rows[#rows + 1] = { labels = { { "kind", k } }, v = s.stops[k] or 0 }
	end
	metric("lanner_stops_total", "counter", "ptrace stops, by kind, and seccomp notifications served.", rows)
	metric("lanner_stops_polled_total", "counter", "Stops caught while the tracer polled, before it would sleep.",
		{ { v = s.stops_polled } })
	metric("lanner_polls_missed_total", "counter", "Polls that ran their budget out with no stop, before the tracer slept.",
		{ { v = s.polls_missed or 0 } })
	metric("lanner_queue_waits_total", "counter", "Times the tracer waited for room in the queue to the rules' thread.",
		{ { v = s.queue_waits or 0 } })
	metric("lanner_queue_sent_bytes_total", "counter", "Bytes the tracer sent through the queue to the rules' thread.",
		{ { v = s.queue_sent or 0 } })
	metric("lanner_tracer_stop_seconds_total", "counter", "Time the tracer spent handling stops.", { { v = s.tracer_s } })
	metric("lanner_traced_processes", "gauge", "Processes traced now.", { { v = s.procs } })
	metric("falcosecurity_scap_n_threads_total", "gauge", "Threads traced now.", { { v = s.threads } })
	return table.concat(out)
end

local ts = ffi.new("long[2]")
local function realtime_ns()
	ffi.C.clock_gettime(0, ts) -- CLOCK_REALTIME
	return ffi.cast("uint64_t", ts[0]) * 1000000000 + ts[1]
end

local Server = {}
Server.__index = Server

-- The counters now, from the outputs and the session.
function Server:snapshot()
	local o = self.sources.outputs and self.sources.outputs:stats() or { outputs = {}, by_priority = {} }
	local sess = self.sources.session
	local st = sess and sess:stats() or {}
	local s = {
		version = ffi.string(C.ln_version()), start_ns = self.start_ns,
		duration_s = sys.now() - self.started, events = st.events or 0, drops = st.dropped or 0,
		stops = { entry = st.stops_entry, exit = st.stops_exit, ptrace = st.stops_ptrace, signal = st.stops_signal,
			notification = st.stops_notif or 0 },
		stops_polled = st.stops_polled or 0, polls_missed = st.polls_missed or 0, queue_waits = st.queue_waits or 0, queue_sent = st.queue_sent or 0, tracer_s = (st.tracer_ns or 0) / 1e9, alerts = o.alerts or 0, rate_limited = o.alerts_rate_limited or 0,
		rules = {}, outputs = o.outputs or {}, procs = 0, threads = 0,
	}
	for rule, by in pairs(o.by_priority or {}) do
		for prio, n in pairs(by) do s.rules[#s.rules + 1] = { rule = rule, priority = prio, n = n } end
	end
	table.sort(s.rules, function(a, b) return a.rule < b.rule or (a.rule == b.rule and a.priority < b.priority) end)
	if sess and sess.procs then
		local gone = tonumber(C.LN_PROC_EXITED) + tonumber(C.LN_PROC_UNTRACED)
		for p in sess:procs() do
			if bit.band(p.flags, gone) == 0 then
				s.procs = s.procs + 1
				s.threads = s.threads + p.nthreads
			end
		end
	end
	return s
end

function Server:publish()
	local text = M.metrics_text(self:snapshot())
	C.ln_web_publish(self.w, text, #text)
end

function Server:tick(now)
	now = now or sys.now()
	if now < self.next_publish then return end
	self.next_publish = now + M.PUBLISH_EVERY
	if self.metrics then self:publish() end
end

function Server:wake_ms()
	if not self.metrics then return nil end
	return math.floor(M.PUBLISH_EVERY * 1000)
end

function Server:set_ready(on)
	C.ln_web_set_ready(self.w, on and 1 or 0)
	-- a scrape right after start or at the end sees figures of now
	if self.metrics then self:publish() end
end

function Server:port() return tonumber(C.ln_web_port(self.w)) end

function Server:close()
	if self.w == nil then return end
	self:set_ready(false)
	C.ln_web_stop(self.w)
	self.w = nil
end

-- false when the server is off (the default), nil, message when it cannot
-- listen: lanner refuses to start then, as a probe would otherwise fail
-- with no word why.
function M.start(cfg, sources, quiet)
	if not (cfg and cfg.enabled) then return false end
	local addr = cfg.listen_address or M.DEFAULTS.listen_address
	local port = cfg.listen_port or M.DEFAULTS.listen_port
	local healthz = cfg.k8s_healthz_endpoint or M.DEFAULTS.k8s_healthz_endpoint
	local metrics = cfg.prometheus_metrics_enabled == true
	local err = ffi.new("char[256]")
	local w = C.ln_web_start(addr, port, healthz, metrics and 1 or 0, err, 256)
	if w == nil then return nil, ffi.string(err) end
	-- port 0 asks the kernel for a free one: say which
	if port == 0 and not quiet then
		io.stderr:write(("lanner: web server listening on %s port %d\n"):format(addr, tonumber(C.ln_web_port(w))))
	end
	local self = setmetatable({
		w = w, sources = sources or {}, metrics = metrics, next_publish = 0,
		started = sys.now(), start_ns = realtime_ns(),
	}, Server)
	return self
end

return M
