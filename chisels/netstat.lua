-- The network connections of the traced processes, as each exits.
local report = require "lib.report"

description = "Lists the IPv4/IPv6 sockets each traced process holds when it exits (and those of processes still running at the end of the capture): protocol, local and foreign address, state and the owning process."
short_description = "List (and optionally filter) network connections"
category = "System State"
args = {
	{ name = "filter", description = "a filter on the sockets to list, e.g. 'fd.sport=80'", argtype = "filter",
		optional = true },
}

local fdfilter = "fd.type in (ipv4, ipv6)"
local snap_init, snap_event, snapshots

function on_set_arg(name, val)
	fdfilter = fdfilter .. " and (" .. val .. ")"
	return true
end

function on_init()
	snap_init, snap_event, snapshots = report.exit_snapshots(fdfilter)
	return snap_init()
end

function on_event() return snap_event() end

local function addr(ip, port)
	if ip == nil then return "*:*" end
	if ip:find(":", 1, true) then ip = "[" .. ip .. "]" end
	return ip .. ":" .. tostring(port)
end

function on_capture_end()
	local rows = {}
	for _, p in ipairs(snapshots()) do
		local fds = {}
		for fd, f in pairs(p.fdtable) do if f.sip then fds[#fds + 1] = fd end end
		table.sort(fds)
		for _, fd in ipairs(fds) do
			local f = p.fdtable[fd]
			local local_, foreign, st
			if f.cip == nil then
				local_, foreign, st = addr(f.sip, f.sport), "*:*", "LISTEN"
			elseif f.is_server then
				local_, foreign, st = addr(f.sip, f.sport), addr(f.cip, f.cport), "ESTABLISHED"
			else
				local_, foreign, st = addr(f.cip, f.cport), addr(f.sip, f.sport), "ESTABLISHED"
			end
			rows[#rows + 1] = { f.l4proto, local_, foreign, st, p.pid .. "/" .. p.comm }
		end
	end
	report.table({ { title = "Proto", width = 6 }, { title = "Local Address", width = 24 },
		{ title = "Foreign Address", width = 24 }, { title = "State", width = 12 },
		{ title = "PID/Program name", width = 0 } }, rows)
	return true
end
