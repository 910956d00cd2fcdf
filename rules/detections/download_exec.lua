-- Downloaded file executed: a file written by a network-facing process (one
-- that connected or accepted a TCP/UDP socket, before or after it opened
-- the file: curl -o opens first), or a copy of such a file, is run.  The
-- steps are usually several processes (curl, chmod, mv, cp, sh), so files
-- are followed by identity, device and inode: a rename keeps it, and a
-- process that reads a downloaded file and writes another (cp, tar x, a
-- shell's redirection) passes it on.  Package managers do not pass it on:
-- what they install is their business (the package manager rule says when
-- they run at all).
--
--   lanner --script rules/detections/download_exec.lua -- ./app
local d = require "lanner.detect"
local bit = require "bit"

local EXEC_BITS = 73 -- 0111
local files = d.files(8192, 3600)  -- dev:ino -> { path, writer, pid, net = the writer's state, from }
local PACKAGE_MANAGERS = { apt = 1, ["apt-get"] = 1, dpkg = 1, rpm = 1, dnf = 1, yum = 1, apk = 1,
	pip = 1, pip3 = 1, npm = 1, gem = 1, cargo = 1 }

-- the writer's state table is kept, not a copy: a connection the writer
-- makes after opening the file still counts
local function downloaded(f)
	for _ = 1, 8 do
		if f == nil then return false end
		if f.net.network then return true end
		f = f.from
	end
	return false
end

d.on([[evt.type in (connect, accept, accept4) and fd.typechar in (4, 6)
       and (evt.rawres >= 0 or evt.res = EINPROGRESS)]],
function(_, proc)
	proc.state.network = true
end)

d.on([[evt.type in (open, openat, openat2, creat) and evt.rawres >= 0 and fd.typechar = 'f']],
function(e, proc)
	local k = files:of_fd(e)
	if not k then return end
	if e["evt.is_open_write"] then
		local name = e["fd.name"]
		local mode = e["evt.rawarg.mode"] or 0
		files:set(k, { path = name, writer = e["proc.name"], pid = e.pid, net = proc.state,
			from = proc.state.carry, exec = bit.band(mode, EXEC_BITS) ~= 0 }, name)
	elseif e["evt.is_open_read"] and not PACKAGE_MANAGERS[e["proc.name"]] then
		local f = files:get(k)
		if f and downloaded(f) then proc.state.carry = f end
	end
end)

d.on("evt.type in (chmod, fchmod, fchmodat) and evt.rawres = 0", function(e)
	if bit.band(e["evt.rawarg.mode"] or 0, EXEC_BITS) == 0 then return end
	local k = e.type == "fchmod" and files:of_fd(e) or files:at(e["fs.path.name"])
	local f = files:get(k)
	if f then f.chmod = e["proc.name"] end
end)

d.on("evt.type in (execve, execveat) and evt.rawres = 0", function(e)
	-- by path when the exe's identity is unknown (a capture keeps none)
	local k = files:of_exe(e) or files:at(e["proc.exepath"])
	local f = files:get(k)
	-- a script runs its interpreter: its own file is the one execve named
	if not f then
		local name = e["evt.arg.filename"]
		if name and name:sub(1, 1) ~= "/" then name = (e["proc.cwd"] or "") .. name end
		k = files:at(name)
		f = files:get(k)
	end
	if not (f and downloaded(f)) then return end
	files:del(k)
	local origin = f
	while origin.from do origin = origin.from end
	d.alert {
		rule = "Downloaded file executed",
		priority = "critical",
		output = "File written by a network-facing process was run (file=" .. d.quote(f.path)
			.. " exe=%proc.exepath writer=" .. d.quote(f.writer) .. " downloaded_as=" .. d.quote(origin.path)
			.. " downloaded_by=" .. d.quote(origin.writer) .. " made_executable_by="
			.. d.quote(f.chmod or (f.exec and "its creation mode") or "?") .. " process=%proc.name pid=%proc.pid"
			.. " command=%proc.cmdline parent=%proc.pname user=%user.name container=%container.id)",
		tags = { "execution", "command_and_control", "mitre_execution", "T1105" },
		fields = { ["file.path"] = f.path, ["writer.name"] = f.writer, ["writer.pid"] = f.pid,
			["download.path"] = origin.path, ["download.writer"] = origin.writer },
	}
end)
