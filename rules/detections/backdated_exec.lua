-- Back-dated program run: a file is written, then another program sets its
-- modification time into the past (touch -d, touch -r /bin/ls: timestomping,
-- so that it looks as old as the system around it), then it is run.  Each
-- step is ordinary; together they are a payload hiding its arrival.
-- Files are followed by identity (device and inode: fd.dev/fd.ino at the
-- write, proc.exe_dev/proc.exe_ino at the exec), so a rename in between
-- does not lose them.  A program that sets the times of a file it wrote
-- itself (cp -p, tar, rsync, unzip restoring an archive's times) is not
-- back-dating anything.
--
--   lanner --script rules/detections/backdated_exec.lua -- ./app
local d = require "lanner.detect"

local O_TRUNC = 512                -- 01000 on x86_64 and arm64
local PAST_NS = 86400e9           -- "in the past": more than a day before now
local files = d.files(8192, 3600)   -- dev:ino -> what wrote it, and who back-dated it

d.on([[evt.type in (open, openat, openat2, creat) and evt.is_open_write = true
       and evt.rawres >= 0 and fd.typechar = 'f']],
function(e)
	local k = files:of_fd(e)
	if not k then return end
	local name = e["fd.name"]
	-- touch opens the file for writing too, without truncating it: the
	-- content, and so its writer, stay what they were
	if files:get(k) and bit.band(e["evt.rawarg.flags"] or 0, O_TRUNC) == 0 then return end
	files:set(k, { path = name, writer = e["proc.name"], pid = e.pid }, name)
end)

d.on("evt.type in (utimensat, futimesat) and evt.rawres = 0 and evt.rawarg.times >= 0", function(e)
	local mtime = e["evt.rawarg.times"]
	if e.time - mtime < PAST_NS then return end
	local k = files:at(e["fs.path.name"])
	local f = files:get(k)
	if not f or f.pid == e.pid then return end
	f.backdated = { by = e["proc.name"], pid = e.pid, mtime = mtime }
	files:set(k, f)
end)

d.on("evt.type in (execve, execveat) and evt.rawres = 0", function(e)
	-- by path when the exe's identity is unknown (a capture keeps none)
	local k = files:of_exe(e) or files:at(e["proc.exepath"])
	local f = files:get(k)
	if not (f and f.backdated) then return end
	-- still old when run (not touched back to now since)
	if e.time - (e["proc.exe_ino.mtime"] or e.time) < PAST_NS then return end
	local b = f.backdated
	d.alert {
		rule = "Back-dated program run",
		priority = "critical",
		output = "Program written in this session, its time set into the past by another program, then run"
			.. " (exe=%proc.exepath written_as=" .. d.quote(f.path) .. " writer=" .. d.quote(f.writer)
			.. " backdated_by=" .. d.quote(b.by) .. " mtime=%proc.exe_ino.mtime process=%proc.name"
			.. " pid=%proc.pid command=%proc.cmdline parent=%proc.pname user=%user.name container=%container.id)",
		tags = { "defense_evasion", "execution", "mitre_defense_evasion", "T1070.006" },
		fields = { ["file.path"] = f.path, ["writer.name"] = f.writer, ["backdated.by"] = b.by,
			["backdated.pid"] = b.pid },
	}
	files:del(k)
end)
