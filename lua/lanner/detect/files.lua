-- d.files(max[, secs]): files followed by identity (device and inode), the
-- way detection scripts follow a download, a secret or a payload through
-- renames, links and copies.  A bounded map from "dev:ino" to the script's
-- entry, and an index of the paths entries were seen at, which follows
-- renames by itself (a handler on rename, added when the script makes the
-- table, i.e. while it loads).
--
--   local files = d.files(8192, 3600)
--   local k = files:of_fd(e)            -- the event's fd (fd.dev, fd.ino)
--   files:set(k, entry, e["fd.name"])   -- path optional
--   files:get(files:of_exe(e))          -- the program an exec ran
--   files:of_stream(e, "stdout")        -- a standard stream (proc.stdout.*)
--   files:get(files:at("/tmp/x"))       -- by path (chmod, utimensat)
local M = {}

local Files = {}
Files.__index = Files

-- "dev:ino", or nil when either is unknown.
function M.key(dev, ino)
	if not (dev and ino) or ino == 0 then return nil end
	return dev .. ":" .. ino
end
local key = M.key

function Files:of_fd(e) return key(e["fd.dev"], e["fd.ino"]) end
function Files:of_exe(e) return key(e["proc.exe_dev"], e["proc.exe_ino"]) end
-- a standard stream: "stdin", "stdout" or "stderr"
function Files:of_stream(e, which)
	return key(e["proc." .. which .. ".dev"], e["proc." .. which .. ".ino"])
end

function Files:set(k, entry, path)
	if k == nil then return end
	self.map:set(k, entry)
	if path then self.paths:set(path, k) end
end

function Files:get(k) return k and self.map:get(k) end
function Files:del(k) if k then self.map:del(k) end end
function Files:at(path) return path and self.paths:get(path) end

-- new(api, max, secs): api is the script's d (d.map, d.on).
function M.new(api, max, secs)
	local self = setmetatable({ map = api.map(max, secs), paths = api.map(max, secs) }, Files)
	api.on("evt.type in (rename, renameat, renameat2) and evt.rawres = 0", function(e)
		local from, to = e["fs.path.source"], e["fs.path.target"]
		local k = from and self.paths:get(from)
		if k and to then
			self.paths:del(from)
			self.paths:set(to, k)
		end
	end)
	return self
end

return M
