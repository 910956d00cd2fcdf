-- Alerts as text and as Falco's JSON, so tools built for Falco's output
-- (falcosidekick, log pipelines) take lanner's alerts unchanged.
local json = require "lanner.json"

local M = {}

local hostname
function M.hostname()
	if not hostname then
		local h = require("lanner.base").read_file("/proc/sys/kernel/hostname")
		hostname = h and h:match("[^\n]+") or os.getenv("HOSTNAME") or "localhost"
	end
	return hostname
end

local ffi = require "ffi"

-- Seconds and nanoseconds of a time in ns.  A double cannot hold today's
-- epoch nanoseconds exactly, so a 64-bit cdata is split as an integer.
local function split(ts_ns)
	if type(ts_ns) == "cdata" then
		local t = ffi.cast("uint64_t", ts_ns)
		return tonumber(t / 1000000000ULL), tonumber(t % 1000000000ULL)
	end
	local s = math.floor(ts_ns / 1e9)
	return s, math.floor(ts_ns - s * 1e9)
end

-- Falco's text time: local HH:MM:SS.nnnnnnnnn.
local function clock(ts_ns)
	local s, ns = split(ts_ns)
	return os.date("%H:%M:%S", s) .. string.format(".%09d", ns)
end

-- ISO 8601 in UTC with nanoseconds, as Falco's JSON "time".
function M.iso8601(ts_ns)
	local s, ns = split(ts_ns)
	return os.date("!%Y-%m-%dT%H:%M:%S", s) .. string.format(".%09dZ", ns)
end

-- alert = { time (ns), rule, priority (name), output (message), tags,
-- output_fields }
function M.text(a)
	local s = clock(a.time) .. ": " .. a.priority .. " " .. a.output
	-- what a prevention rule did, or would have done (a dry run)
	if a.action then s = s .. " (lanner: " .. a.action .. ")" end
	return s
end

function M.json(a, opts)
	opts = opts or {}
	local obj = {
		hostname = M.hostname(),
		priority = a.priority,
		rule = a.rule,
		source = a.source or "syscall",
		time = M.iso8601(a.time),
		output_fields = a.output_fields or {},
	}
	if opts.include_output ~= false then obj.output = M.text(a) end
	if opts.include_tags ~= false then obj.tags = json.array(a.tags or {}) end
	return json.encode(obj, { "hostname", "output", "output_fields", "priority", "rule", "source", "tags", "time" })
end

return M
