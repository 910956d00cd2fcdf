-- Bytes read and written, in total and per interval.
local report = require "lib.report"

description = "Counts the bytes the traced programs read and write on any file descriptor (or only files, or only network sockets), and prints the totals at the end of the capture, and every N seconds if an interval is given."
short_description = "Sum of I/O bytes on any type of FD"
category = "I/O"
args = {
	{ name = "kind", description = "all (default), file or net", argtype = "string", optional = true },
	{ name = "interval", description = "print the bytes of every N seconds too", argtype = "int", optional = true },
}

local FILTERS = {
	all = "evt.is_io=true",
	file = "evt.is_io=true and fd.type in (file, directory)",
	net = "evt.is_io=true and fd.type in (ipv4, ipv6)",
}
local kind, every = "all", 0
local rd, wr, tot_rd, tot_wr, nev = 0, 0, 0, 0, 0
local hres, hdir

function on_set_arg(name, val)
	if name == "kind" then
		kind = val
		return FILTERS[kind] ~= nil
	end
	every = tonumber(val)
	return every ~= nil and every >= 0
end

function on_init()
	hres = chisel.request_field("evt.rawres")
	hdir = chisel.request_field("evt.io_dir")
	chisel.set_filter(FILTERS[kind])
	if every > 0 then chisel.set_interval_s(every) end
	return true
end

function on_event()
	local n = evt.field(hres)
	if type(n) ~= "number" or n <= 0 then return true end
	nev = nev + 1
	if evt.field(hdir) == "read" then rd = rd + n else wr = wr + n end
	return true
end

local function line(label, r, w)
	print(string.format("%-22s in: %-12s out: %-12s total: %s", label, report.bytes(r), report.bytes(w), report.bytes(r + w)))
end

function on_interval(ts_s, ts_ns, delta)
	line(os.date("%H:%M:%S", ts_s), rd, wr)
	tot_rd, tot_wr, rd, wr = tot_rd + rd, tot_wr + wr, 0, 0
	return true
end

function on_capture_end(ts_s, ts_ns, delta)
	tot_rd, tot_wr = tot_rd + rd, tot_wr + wr
	line("total " .. kind .. " I/O", tot_rd, tot_wr)
	print(string.format("%d I/O calls in %s; %d bytes read, %d bytes written", nev, report.time(delta), tot_rd, tot_wr))
	return true
end
