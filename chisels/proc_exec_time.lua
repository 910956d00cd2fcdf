-- How long each process ran, printed when it exits.
local report = require "lib.report"

description = "Prints, as each traced process exits, how long it ran, its exit status and its command line; at the end, the processes sorted by running time."
short_description = "Show process execution time"
category = "Performance"
args = {}

local h = {}
local done = {}

function on_init()
	h.dur = chisel.request_field("proc.duration")
	h.pid = chisel.request_field("proc.pid")
	h.ppid = chisel.request_field("proc.ppid")
	h.cmd = chisel.request_field("proc.cmdline")
	h.ret = chisel.request_field("evt.arg.ret")
	h.sig = chisel.request_field("evt.arg.sig")
	chisel.set_filter("evt.type=procexit")
	print(string.format("%-12s %-8s %-8s %-6s %s", "Duration", "PID", "PPID", "Exit", "Command"))
	return true
end

function on_event()
	local dur = evt.field(h.dur) or 0
	local sig = tonumber(evt.field(h.sig)) or 0
	local status = sig ~= 0 and ("sig" .. sig) or tostring(evt.field(h.ret))
	local row = { dur = dur, pid = evt.field(h.pid), ppid = evt.field(h.ppid), status = status,
		cmd = tostring(evt.field(h.cmd)) }
	done[#done + 1] = row
	print(string.format("%-12s %-8s %-8s %-6s %s", report.time(dur), tostring(row.pid), tostring(row.ppid),
		status, row.cmd))
	return true
end

function on_capture_end()
	if #done < 2 then return true end
	table.sort(done, function(a, b) return a.dur > b.dur end)
	print("")
	print("Longest first:")
	for _, r in ipairs(done) do
		print(string.format("%-12s %-8s %s", report.time(r.dur), tostring(r.pid), r.cmd))
	end
	return true
end
