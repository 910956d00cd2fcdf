-- Shared helpers of the packaged chisels: humanised numbers, column
-- tables, counters, and two chisel skeletons (top-N tables and data echo)
-- that a chisel turns into its hooks:
--
--   local report = require "lib.report"
--   args = report.TOP_ARGS
--   on_set_arg, on_init, on_event, on_interval, on_capture_end = report.top {...}
--
-- Loaded with `require`, it runs in the requiring chisel's environment, so
-- print, chisel, evt and sysdig are that chisel's.
local M = {}

---------------------------------------------------------------------------
-- Numbers for people.

-- 1536 -> "1.50KB" (binary multiples, as sysdig prints byte counts).
function M.bytes(n)
	n = tonumber(n) or 0
	local units = { { 1024 ^ 5, "PB" }, { 1024 ^ 4, "TB" }, { 1024 ^ 3, "GB" }, { 1024 ^ 2, "MB" }, { 1024, "KB" } }
	for _, u in ipairs(units) do
		if n >= u[1] then return string.format("%.2f%s", n / u[1], u[2]) end
	end
	return string.format("%dB", n)
end

-- ns -> "1.50s", "12.30ms", "4.00us", "800ns".
function M.time(ns)
	ns = tonumber(ns) or 0
	if ns >= 1e9 then return string.format("%.2fs", ns / 1e9) end
	if ns >= 1e6 then return string.format("%.2fms", ns / 1e6) end
	if ns >= 1e3 then return string.format("%.2fus", ns / 1e3) end
	return string.format("%dns", ns)
end

function M.count(n) return string.format("%d", tonumber(n) or 0) end

-- s cut or padded to w columns (w < 0: right-aligned).
function M.pad(s, w)
	s = tostring(s == nil and "<NA>" or s)
	local n = math.abs(w)
	if #s > n then return s:sub(1, n) end
	if w < 0 then return string.rep(" ", n - #s) .. s end
	return s .. string.rep(" ", n - #s)
end

-- Bytes as text: printable ASCII kept, newlines and tabs too, the rest '.'.
function M.printable(s)
	if s == nil then return "" end
	return (tostring(s):gsub("[^\32-\126\n\t]", "."))
end

-- "12:01:02.123456" from evt.get_ts()'s seconds and ns.
function M.clock(s, ns)
	return os.date("%H:%M:%S", s) .. string.format(".%06d", math.floor((ns or 0) / 1000))
end

---------------------------------------------------------------------------
-- Tables.

-- cols: list of { title =, width = (negative: right-aligned; the last
-- column may be 0: no padding) }; rows: list of lists of text.
function M.table(cols, rows)
	local head, total = {}, 0
	for i, c in ipairs(cols) do
		head[i] = (i == #cols and c.width == 0) and c.title or M.pad(c.title, c.width)
		total = total + math.abs(c.width) + 1
	end
	print(table.concat(head, " "))
	print(string.rep("-", math.max(total, 40)))
	for _, r in ipairs(rows) do
		local line = {}
		for i, c in ipairs(cols) do
			line[i] = (i == #cols and c.width == 0) and tostring(r[i] == nil and "<NA>" or r[i]) or M.pad(r[i], c.width)
		end
		print(table.concat(line, " "))
	end
end

-- Sums by key: c:add(key, n); c:sorted(limit) -> { {key=, value=, extra=} }
-- by value, then key, so equal values print in a stable order.
local Counter = {}
Counter.__index = Counter

function M.counter()
	return setmetatable({ values = {}, extra = {}, n = 0 }, Counter)
end

function Counter:add(key, n, extra)
	local v = self.values[key]
	if v == nil then self.n = self.n + 1 end
	self.values[key] = (v or 0) + (n or 1)
	if extra ~= nil then self.extra[key] = extra end
end

function Counter:reset()
	self.values, self.extra, self.n = {}, {}, 0
end

function Counter:sorted(limit)
	local out = {}
	for k, v in pairs(self.values) do out[#out + 1] = { key = k, value = v, extra = self.extra[k] } end
	table.sort(out, function(a, b)
		if a.value ~= b.value then return a.value > b.value end
		return tostring(a.key) < tostring(b.key)
	end)
	if limit and #out > limit then
		for i = #out, limit + 1, -1 do out[i] = nil end
	end
	return out
end

---------------------------------------------------------------------------
-- Top-N chisels.

M.TOP_ARGS = {
	{ name = "top", description = "number of rows to show (default 10)", argtype = "int", optional = true },
	{ name = "interval", description = "print a table every N seconds too (default: only at the end)",
		argtype = "int", optional = true },
}

-- spec:
--   keys   = { {field=, title=, width=}, ... }   columns that make the key
--   value  = { field= (nil: count events), title=, fmt=M.bytes|M.time|M.count,
--              positive = true (only values > 0 count) }
--   filter = the chisel's filter
--   args   = true when the chisel takes its key from its first argument
-- Returns on_set_arg, on_init, on_event, on_interval, on_capture_end.
function M.top(spec)
	local limit, every = 10, 0
	local counter = M.counter()
	local keyh, valh = {}, nil
	local fmt = spec.value.fmt or M.count
	local printed_any = false

	local function on_set_arg(name, val)
		if name == "top" then
			limit = tonumber(val)
			return limit ~= nil and limit > 0
		elseif name == "interval" then
			every = tonumber(val)
			return every ~= nil and every >= 0
		elseif spec.on_set_arg then
			return spec.on_set_arg(name, val)
		end
		return true
	end

	local function on_init()
		for i, k in ipairs(spec.keys) do keyh[i] = chisel.request_field(k.field) end
		if spec.value.field then valh = chisel.request_field(spec.value.field) end
		if spec.filter and spec.filter ~= "" then chisel.set_filter(spec.filter) end
		if every > 0 then chisel.set_interval_s(every) end
		return true
	end

	local parts = {}
	local function on_event()
		local v = 1
		if valh then
			v = evt.field(valh)
			if type(v) ~= "number" or (spec.value.positive and v <= 0) then return true end
		end
		local row
		for i = 1, #keyh do parts[i] = evt.field(keyh[i]) end
		if #keyh == 1 then
			row = parts[1]
			if row == nil then return true end
		else
			local txt = {}
			for i = 1, #keyh do txt[i] = tostring(parts[i] == nil and "<NA>" or parts[i]) end
			row = table.concat(txt, "\0")
		end
		counter:add(row, v)
		return true
	end

	local function show(title)
		if title then print(title) end
		local cols = { { title = spec.value.title, width = 20 } }
		for i, k in ipairs(spec.keys) do
			cols[#cols + 1] = { title = k.title, width = (i == #spec.keys) and 0 or (k.width or 20) }
		end
		local rows = {}
		for _, e in ipairs(counter:sorted(limit)) do
			local r = { fmt(e.value) }
			if #spec.keys == 1 then
				r[2] = tostring(e.key)
			else
				local j = 2
				for part in (e.key .. "\0"):gmatch("([^%z]*)%z") do r[j] = part; j = j + 1 end
			end
			rows[#rows + 1] = r
		end
		M.table(cols, rows)
		printed_any = true
	end

	local function on_interval(ts_s, ts_ns)
		show("--- " .. os.date("%Y-%m-%d %H:%M:%S", ts_s) .. " ---")
		counter:reset()
		return true
	end

	local function on_capture_end()
		-- with an interval, what came after the last one still prints
		if every == 0 or counter.n > 0 or not printed_any then
			show(every > 0 and "--- end of capture ---" or nil)
		end
		return true
	end

	return on_set_arg, on_init, on_event, on_interval, on_capture_end
end

---------------------------------------------------------------------------
-- Echo chisels: print the data of matching I/O events.

-- spec: { filter = string or function() -> string (built after the
-- arguments), snaplen = bytes kept per event (default 2048),
-- on_set_arg = optional }.  Returns on_set_arg, on_init, on_event.
function M.echo(spec)
	local h = {}
	local function on_init()
		h.type = chisel.request_field("evt.type")
		h.dir = chisel.request_field("evt.io_dir")
		h.res = chisel.request_field("evt.rawres")
		h.buf = chisel.request_field("evt.buffer")
		h.fd = chisel.request_field("fd.name")
		h.proc = chisel.request_field("proc.name")
		h.pid = chisel.request_field("proc.pid")
		local f = spec.filter
		if type(f) == "function" then f = f() end
		chisel.set_filter(f)
		sysdig.set_snaplen(spec.snaplen or 2048)
		return true
	end
	local function on_event()
		local n = evt.field(h.res)
		if type(n) ~= "number" or n <= 0 then return true end
		local dir = evt.field(h.dir) == "read" and "Read" or "Write"
		local s, ns = evt.get_ts()
		print(string.format("------ %s %s %dB %s %s (%s %s) %s", M.clock(s, ns), dir, n,
			dir == "Read" and "from" or "to", tostring(evt.field(h.fd)), tostring(evt.field(h.proc)),
			tostring(evt.field(h.pid)), evt.field(h.type)))
		local data = M.printable(evt.field(h.buf))
		if data ~= "" then print(data:sub(-1) == "\n" and data:sub(1, -2) or data) end
		return true
	end
	return spec.on_set_arg or function() return true end, on_init, on_event
end

---------------------------------------------------------------------------
-- State chisels (lsof, ps, netstat): lanner starts the traced program, so
-- there is no state to show at capture start.  Instead each process is
-- photographed as it calls exit_group (its fds still open), and whatever
-- is still alive at the end of the capture is added then.

-- fdfilter: optional filter on fds (sysdig's get_thread_table argument).
-- Returns on_init, on_event and a function giving the snapshots so far,
-- a list of thread-table entries in pid order.
function M.exit_snapshots(fdfilter)
	local seen, hpid = {}, nil
	local function take(pid)
		local tt = sysdig.get_thread_table(fdfilter)
		for tid, e in pairs(tt) do
			if pid == nil or tid == pid then seen[tid] = e end
		end
	end
	local function on_init()
		hpid = chisel.request_field("proc.pid")
		-- a field about all of a process's fds makes lanner keep the fd
		-- tables exact (the chisel's interest, lua/lanner/interest.lua)
		chisel.request_field("proc.fdopencount")
		-- and one of the memory figures makes it keep those per thread
		-- (read by the time a queued event reaches the chisel, /proc no
		-- longer has an exited process's)
		chisel.request_field("proc.vmsize")
		chisel.set_filter("evt.type=exit_group")
		return true
	end
	local function on_event()
		take(evt.field(hpid))
		return true
	end
	local function snapshots()
		take(nil)
		local list = {}
		for _, e in pairs(seen) do list[#list + 1] = e end
		table.sort(list, function(a, b) return a.pid < b.pid end)
		return list
	end
	return on_init, on_event, snapshots
end


-- The "slower than N ms" chisels (fileslower, scallslower): one line per
-- call over the threshold, with `last` (a field) at the end.  Defines the
-- calling chisel's on_set_arg, on_init and on_event in env.
function M.slower(env, last, filter)
	local min_ms
	local h = {}
	local fmt = "%-16s %-16s %-8s %-12s %-10s %s"
	function env.on_set_arg(_, val)
		min_ms = tonumber(val)
		return min_ms ~= nil and min_ms >= 0
	end
	function env.on_init()
		h.lat = env.chisel.request_field("evt.latency")
		h.type = env.chisel.request_field("evt.type")
		h.proc = env.chisel.request_field("proc.name")
		h.pid = env.chisel.request_field("proc.pid")
		h.last = env.chisel.request_field(last)
		local cond = "evt.latency > " .. string.format("%d", min_ms * 1000000)
		env.chisel.set_filter(filter and (filter .. " and " .. cond) or cond)
		env.print(string.format(fmt, "Time", "Process", "PID", "Syscall", "Latency", last))
		return true
	end
	function env.on_event()
		local evt = env.evt
		local s, ns = evt.get_ts()
		env.print(string.format(fmt, M.clock(s, ns), tostring(evt.field(h.proc)),
			tostring(evt.field(h.pid)), tostring(evt.field(h.type)), M.time(evt.field(h.lat)),
			tostring(evt.field(h.last) or "")))
		return true
	end
end

return M
