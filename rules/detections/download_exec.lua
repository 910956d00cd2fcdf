-- Downloaded file made executable and run: a network-facing process (one
-- that connected or accepted a TCP/UDP socket) writes a file, the file gets
-- an execute bit (chmod, or created with one), and then something runs it.
-- The three steps are usually three processes (curl, chmod, sh), so the
-- files are tracked by path, in a bounded table that forgets after an hour.
--
--   lanner --script rules/detections/download_exec.lua -- ./app
local d = require "lanner.detect"
local bit = require "bit"

local EXEC_BITS = 73 -- 0111
local files = d.map(4096, 3600)

d.on([[evt.type in (connect, accept, accept4) and fd.typechar in (4, 6)
       and (evt.rawres >= 0 or evt.res = EINPROGRESS)]],
function(_, proc)
	proc.state.network = true
end)

d.on([[evt.type in (open, openat, openat2, creat) and evt.is_open_write = true
       and evt.rawres >= 0 and fd.typechar = 'f']],
function(e, proc)
	if not proc.state.network then return end
	local mode = e["evt.rawarg.mode"] or 0
	files:set(e["fd.name"], { writer = e["proc.name"], pid = e.pid,
		exec = bit.band(mode, EXEC_BITS) ~= 0 })
end)

d.on("evt.type in (chmod, fchmod, fchmodat) and evt.rawres = 0", function(e)
	local f = files:get(e["fs.path.name"])
	if f and bit.band(e["evt.rawarg.mode"] or 0, EXEC_BITS) ~= 0 then f.exec = true end
end)

d.on("evt.type in (execve, execveat) and evt.rawres = 0", function(e)
	-- exepath is the interpreter for a #! script: try the name run too
	local path, f = e["proc.exepath"], nil
	if path then f = files:get(path) end
	if not (f and f.exec) then
		local name = e["evt.arg.filename"]
		if name and name:sub(1, 1) ~= "/" then name = (e["proc.cwd"] or "") .. "/" .. name end
		path = name
		f = name and files:get(name)
	end
	if not (f and f.exec) then return end
	files:del(path)
	d.alert {
		rule = "Downloaded file executed",
		priority = "critical",
		output = "File written by a network-facing process was made executable and run (file="
			.. d.quote(path) .. " writer=" .. d.quote(f.writer) .. " process=%proc.name pid=%proc.pid"
			.. " command=%proc.cmdline parent=%proc.pname user=%user.name container=%container.id)",
		tags = { "execution", "command_and_control", "mitre_execution" },
		fields = { ["file.path"] = path, ["writer.name"] = f.writer, ["writer.pid"] = f.pid },
	}
end)
