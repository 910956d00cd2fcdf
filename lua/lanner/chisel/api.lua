-- sysdig's chisel API for one chisel: the `chisel`, `evt` and `sysdig`
-- tables, closures over the chisel's host (lanner/chisel/host.lua).  Names,
-- argument orders and return values follow sysdig's chisel_api.cpp; where
-- lanner cannot do what sysdig does the function says so (see run_app,
-- udp_*, push_metric).
--
-- Misuse (a bad field name, a broken filter, an evt.* call outside
-- on_event) raises at the chisel's line, like sysdig's "chisel error".
local ffi = require "ffi"
local interval = require "lanner.chisel.interval"
local state = require "lanner.chisel.state"

local M = {}

local u64 = ffi.typeof("uint64_t")
local NS = 1000000000ULL

-- Decimal text of a uint64 ("123" from 123ULL).
local function digits(u)
	return (tostring(u64(u)):gsub("U?LL$", ""))
end
M.digits = digits

-- "1795863527639000000" -> uint64, exactly (Lua numbers lose the last
-- digits of ns timestamps).
local function parse_u64(s)
	if type(s) == "cdata" then return u64(s) end
	s = tostring(s or "0")
	local v = 0ULL
	for d in s:gmatch("%d") do v = v * 10ULL + u64(tonumber(d)) end
	return v
end
M.parse_u64 = parse_u64

-- The value of a field as a chisel sees it: numbers as Lua numbers,
-- strings, booleans, nil when the event lacks it.
local function lua_value(v)
	local t = type(v)
	if t == "cdata" then return tonumber(v) end
	if t == "table" then return lua_value(v[1]) end
	return v
end
M.lua_value = lua_value

local VALID_OUTPUT = { normal = true, json = true, simple = true, hex = true, hexascii = true,
	ascii = true, base64 = true, jsonbase64 = true }

-- Raises msg at the chisel's line: the nearest caller that runs in the
-- chisel's environment (its file or a module it required).  A tail call
-- in the chisel leaves no frame: then the chisel's file is named.
local function raise(h, msg)
	for level = 3, 40 do
		local info = debug.getinfo(level, "Slf")
		if not info then break end
		if info.what ~= "C" and (info.currentline or 0) > 0 and getfenv(info.func) == h.env then
			local src = info.source:sub(1, 1) == "@" and info.source:sub(2) or info.short_src
			error(src .. ":" .. info.currentline .. ": " .. msg, 0)
		end
	end
	error(h.display .. ": " .. msg, 0)
end
M.raise = raise

function M.new(h)
	local chisel, evt, sysdig = {}, {}, {}

	local function current(fname)
		local ev = h.cur
		if ev == nil then raise(h, "invalid call to evt." .. fname .. "() outside on_event") end
		return ev
	end

	-------------------------------------------------------------------
	-- chisel.*: setting up this chisel (usually from on_init)

	function chisel.request_field(name)
		if type(name) ~= "string" then raise(h, "chisel requesting nil field") end
		local hd, err = h:field_handle(name)
		if not hd then raise(h, "chisel requesting nonexistent field " .. name .. (err and (": " .. err) or "")) end
		return hd
	end

	function chisel.set_filter(str)
		local ok, err = h:set_filter(str and tostring(str) or "")
		if not ok then raise(h, "invalid filter in chisel " .. h.name .. ": " .. tostring(err)) end
	end

	function chisel.set_event_formatter(fmt)
		local ok, err = h:set_formatter(fmt and tostring(fmt) or "")
		if not ok then raise(h, "invalid format in chisel " .. h.name .. ": " .. tostring(err)) end
	end

	function chisel.set_interval_s(n)
		h:set_interval(math.floor(tonumber(n) or 0) * 1e9, false)
	end

	function chisel.set_interval_ns(n)
		h:set_interval(math.floor(tonumber(n) or 0), false)
	end

	function chisel.set_precise_interval_ns(n)
		h:set_interval(math.floor(tonumber(n) or 0), true)
	end

	-- sysdig: the calling chisel is replaced by NAME, run with the given
	-- arguments, once the current on_init returns.
	function chisel.exec(name, ...)
		if type(name) ~= "string" then raise(h, "invalid exec field name in chisel " .. h.name) end
		local vals = {}
		for i = 1, select("#", ...) do
			local v = select(i, ...)
			if v == nil then break end
			vals[#vals + 1] = tostring(v)
		end
		h.exec_request = { name = name, args = vals }
	end

	-------------------------------------------------------------------
	-- evt.*: the event on_event is looking at

	function evt.field(hd)
		-- once the capture runs (on_interval from the clock, at the end)
		-- sysdig still holds its last event; lanner has none left to read
		-- (its memory is the core's): nil, as for a field that event lacks
		-- (iobytes and fdcount_by read evt.time there).  Before it, in
		-- on_init, it is a mistake.
		if h.cur == nil and (h.finished or h.start_ts) then return nil end
		local ev = current("field")
		if type(hd) ~= "table" or hd.get == nil then return nil end
		return lua_value(hd.get(ev))
	end

	function evt.get_num()
		return tonumber(current("get_num").num)
	end

	-- sysdig returns seconds and nanoseconds (two numbers).
	function evt.get_ts()
		return interval.split(current("get_ts").ts)
	end

	function evt.get_type()
		return h.type_name(current("get_type").type)
	end

	function evt.get_cpuid()
		return tonumber(current("get_cpuid").cpu)
	end

	-------------------------------------------------------------------
	-- sysdig.*: the capture as a whole

	-- Replaces the command-line filter for this chisel's events (sysdig
	-- sets it on the whole capture; lanner applies it to the chisel).
	function sysdig.set_filter(str)
		local ok, err = h:set_global_filter(str and tostring(str) or "")
		if not ok then raise(h, "invalid filter in chisel " .. h.name .. ": " .. tostring(err)) end
	end

	function sysdig.get_filter() return h.global_filter_str or "" end

	function sysdig.set_snaplen(n)
		h.snaplen = math.floor(tonumber(n) or 0)
		if h.sess then h.sess:set_snaplen(h.snaplen) end
	end

	function sysdig.set_output_format(fmt)
		if not VALID_OUTPUT[fmt] then raise(h, "invalid set_output_format value in chisel " .. h.name) end
		h.output_format = fmt
	end

	function sysdig.get_output_format()
		return h.output_format == "json" and "json" or "normal"
	end

	function sysdig.set_fatfile_dump_mode() end -- no capture files written here

	function sysdig.is_live() return h.read_file == nil end
	function sysdig.is_tty() return state.is_tty() end
	function sysdig.get_terminal_info() return state.terminal_info() end
	function sysdig.get_machine_info() return state.machine_info() end
	-- sysdig: true only with -pc/-pcontainer, which lanner has not (the
	-- stock chisels add a container.name column when it is)
	function sysdig.is_print_container_data() return h.print_container == true end
	-- sysdig: "" for a live capture, the file name when reading one
	function sysdig.get_evtsource_name() return h.read_file or "" end
	function sysdig.get_read_progress() return 0 end

	local function thread_table(filter, fds, barebone)
		local fn
		if type(filter) == "string" and filter ~= "" then
			local err
			fn, err = h:compile_filter(filter)
			if not fn then raise(h, "invalid filter argument for get_thread_table in chisel " .. h.name .. ": " .. err) end
		end
		return state.thread_table(h.sess, { filter = fn, fds = fds, barebone = barebone, ts = h.last_ts,
			replay = h.read_file ~= nil })
	end
	function sysdig.get_thread_table(f) return thread_table(f, true, false) end
	function sysdig.get_thread_table_nofds(f) return thread_table(f, false, false) end
	function sysdig.get_thread_table_barebone(f) return thread_table(f, true, true) end
	function sysdig.get_thread_table_barebone_nofds(f) return thread_table(f, false, true) end
	function sysdig.get_container_table() return state.container_table(h.sess) end

	-- Timestamps travel as decimal strings, as in sysdig (exact ns).
	function sysdig.get_firstevent_ts() return digits(h.first_ts or h.start_ts or 0) end
	function sysdig.get_lastevent_ts() return digits(h.last_ts or h.start_ts or 0) end
	function sysdig.make_ts(s, ns)
		return digits(u64(math.floor(tonumber(s) or 0)) * NS + u64(math.floor(tonumber(ns) or 0)))
	end
	function sysdig.add_ts(a, b) return digits(parse_u64(a) + parse_u64(b)) end
	function sysdig.subtract_ts(a, b) return digits(parse_u64(a) - parse_u64(b)) end

	-- Stops tracing after this event (the CLI asks ch:wants_end()).
	function sysdig.end_capture() h.end_requested = true end

	local SEV = { debug = 7, info = 6, notice = 5, warning = 4, error = 3, critical = 2, fatal = 1 }
	function sysdig.log(msg, sev)
		sev = sev or "info"
		if (SEV[sev] or 6) <= (h.log_level or 4) then
			h.err:write("lanner: chisel ", h.name, ": ", sev, ": ", tostring(msg), "\n")
		end
	end

	-- sysdig restarts itself with these arguments after the capture;
	-- lanner records them (ch:nextrun_args()) and says it will not.
	function sysdig.run_app(args)
		h.nextrun_args = tostring(args)
		h:warn_once("run_app", "sysdig.run_app is not supported by lanner; ignored")
	end

	local function unsupported(fname)
		return function()
			h:warn_once(fname, "sysdig." .. fname .. " is not supported by lanner; ignored")
		end
	end
	sysdig.udp_setpeername = unsupported("udp_setpeername")
	sysdig.udp_send = unsupported("udp_send")
	sysdig.push_metric = unsupported("push_metric")

	return { chisel = chisel, evt = evt, sysdig = sysdig }
end

return M
