-- user.* and group.*: the credentials of the thread (libsinsp's "user" and
-- "group").  Names come from the passwd and group files of the process's
-- own root: /etc/* on the host, /proc/PID/root/etc/* in a container, read
-- once per container and cached.  A container's files are the program's:
-- they are read as lanner.rootfile reads (inside that root, never
-- blocking, regular files of at most MAX_FILE bytes), and the cache keeps
-- the files of at most MAX_ROOTS containers.
local cm = require "lanner.fields.common"
local rootfile = require "lanner.rootfile"

local ffi = cm.ffi

-- After these the thread's ids change: rules on them need the exit stop.
local CREDS = {}
for _, n in ipairs { "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "execve", "execveat" } do
	if cm.core.type_id[n] then CREDS[n] = true end
end

local MAX_FILE = 4 * 1048576 -- a site's passwd with 40,000 users is 3 MB
local MAX_ROOTS = 64

local dbs, ndbs = {}, 0 -- [root key .. file] = { [id] = fields }
local warned = {}

-- name:x:id:... files: passwd (name, uid, gid, gecos, home, shell) and
-- group (name, gid, members).  Also false where the process whose root
-- was to be read has ended, or its pid is another's, not in the container
-- (lanner.rootfile.read_proc): no names for this event, and nothing kept,
-- so that the container's next live process is asked (with the queue,
-- events are looked at after the fact: a short-lived first process left
-- the container without names for good, and a pid reused by a host
-- process gave it the host's).
local idbuf = ffi.new("char[80]")
local function in_container(cid)
	return function(cgroup)
		return cm.core.C.ln_container_id(cgroup, idbuf, 80) > 0 and ffi.string(idbuf) == cid
	end
end

-- pid: a process of container cid whose root has the files (nil: the host)
local function load_db(pid, file, cid)
	local db = {}
	local s, why, errno, rootless
	if pid then
		s, why, errno, rootless = rootfile.read_proc(pid, "etc/" .. file, MAX_FILE, in_container(cid))
		if rootless then return db, false end
	else
		s, why, errno = rootfile.read("/", "etc/" .. file, MAX_FILE)
	end
	if s == nil then
		-- none at all is common (distroless images): no names, no word
		if errno ~= rootfile.ENOENT and not warned[cid .. file] then
			warned[cid .. file] = true
			io.stderr:write(("lanner: %s of %s not read (%s): its user and group names are empty\n")
				:format(file, cid == "host" and "the host" or "container " .. cid:sub(1, 12), why))
		end
		return db, true
	end
	for line in s:gmatch("[^\n]+") do
		local f = {}
		for col in (line .. ":"):gmatch("([^:]*):") do f[#f + 1] = col end
		local id = tonumber(f[3])
		if id and db[id] == nil then db[id] = f end
	end
	return db, true
end

function cm.reload_users() dbs, ndbs = {}, 0 end

local function db_for(ev, file)
	local p = cm.proc(ev)
	local cid = p and p.container_id ~= nil and ffi.string(p.container_id) or "host"
	local key = cid .. "\0" .. file
	local db = dbs[key]
	if db == nil then
		local keep
		db, keep = load_db(cid ~= "host" and p ~= nil and p.pid or nil, file, cid)
		if not keep then return db end
		if ndbs >= MAX_ROOTS * 2 then dbs, ndbs = {}, 0 end -- read again as they come
		dbs[key], ndbs = db, ndbs + 1
	end
	return db
end

local function entry(ev, file, id)
	if id == nil then return nil end
	return db_for(ev, file)[id]
end

local function uid(ev) local t = ev.thread; if t == nil then return nil end; return tonumber(t.uid) end
local function gid(ev) local t = ev.thread; if t == nil then return nil end; return tonumber(t.gid) end

local function loginuid(ev)
	local p = cm.proc(ev)
	if p == nil then return nil end
	local v = tonumber(p.loginuid)
	if v >= 4294967295 then return -1 end
	return v
end

local function col(file, idf, n)
	return function(ev)
		local e = entry(ev, file, idf(ev))
		return e and e[n]
	end
end

return {
	{ name = "user.uid", type = "number", ftype = "UINT32", needs_exit = CREDS, desc = "user ID.", get = uid },
	{ name = "user.name", type = "string", needs_exit = CREDS, desc = "user name.", get = col("passwd", uid, 1) },
	{ name = "user.homedir", type = "string", needs_exit = CREDS, desc = "home directory of the user.", get = col("passwd", uid, 6) },
	{ name = "user.shell", type = "string", needs_exit = CREDS, desc = "user's shell.", get = col("passwd", uid, 7) },
	{ name = "user.loginuid", type = "number", ftype = "INT64",
		desc = "audit user id (auid); -1 when unset (4294967295).", get = loginuid },
	{ name = "user.loginname", type = "string", desc = "audit user name (auid).",
		get = function(ev)
			local id = loginuid(ev)
			if id == nil or id < 0 then return nil end
			local e = entry(ev, "passwd", id)
			return e and e[1]
		end },
	{ name = "group.gid", type = "number", ftype = "UINT32", needs_exit = CREDS, desc = "group ID.", get = gid },
	{ name = "group.name", type = "string", needs_exit = CREDS, desc = "group name.", get = col("group", gid, 1) },
}
