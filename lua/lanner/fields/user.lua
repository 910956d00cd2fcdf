-- user.* and group.*: the credentials of the thread (libsinsp's "user" and
-- "group").  Names come from the passwd and group files of the process's
-- own root: /etc/* on the host, /proc/PID/root/etc/* in a container, read
-- once per container and cached.
local cm = require "lanner.fields.common"

local ffi = cm.ffi

-- After these the thread's ids change: rules on them need the exit stop.
local CREDS = {}
for _, n in ipairs { "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "execve", "execveat" } do
	if cm.core.type_id[n] then CREDS[n] = true end
end

local dbs = {} -- [root key .. file] = { [id] = fields }

-- name:x:id:... files: passwd (name, uid, gid, gecos, home, shell) and
-- group (name, gid, members).
local function load_db(path)
	local db = {}
	local s = cm.read_file(path)
	if s == nil then return db end
	for line in s:gmatch("[^\n]+") do
		local f = {}
		for col in (line .. ":"):gmatch("([^:]*):") do f[#f + 1] = col end
		local id = tonumber(f[3])
		if id and db[id] == nil then db[id] = f end
	end
	return db
end

function cm.reload_users() dbs = {} end

local function db_for(ev, file)
	local p = cm.proc(ev)
	local cid = p and p.container_id ~= nil and ffi.string(p.container_id) or "host"
	local key = cid .. "\0" .. file
	local db = dbs[key]
	if db == nil then
		local path = "/etc/" .. file
		if cid ~= "host" and p ~= nil then path = "/proc/" .. p.pid .. "/root/etc/" .. file end
		db = load_db(path)
		dbs[key] = db
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
