-- The interest set: which event types stop, and whether their exit is
-- needed, computed from what is loaded (the command-line filter, rules,
-- chisels, output formats).  This is what makes lanner cheap: a syscall
-- nothing asks about never stops (see ../shared/DESIGN.md).
local core = require "lanner.core"

local M = {}

local C = core.C

local function set(list)
	local s = {}
	for _, n in ipairs(list) do
		if core.type_id[n] then s[n] = true end
	end
	return s
end

-- Every syscall that makes or closes an fd: tracing them all keeps the fd
-- table exact.  Without them, the core reads an event's fd from the kernel
-- (ln_set_fd_tracking), which is enough for any field of the event's own
-- fd; only fields about all of a process's fds need the full table.
local function fd_table_types()
	local s = core.types_with_flags(tonumber(C.LN_TF_FD_CREATE))
	for n in pairs(set { "close", "dup", "dup2", "dup3", "fcntl", "connect", "bind", "listen" }) do
		s[n] = true
	end
	return s
end

-- Fields and the state syscalls they depend on (by prefix).
local state_needs = {
	{ prefix = "fd.types", types = fd_table_types },
	-- which end is the server is known from listen/accept/connect only: the
	-- kernel cannot tell an accepted socket from a connected one
	{ prefix = "fd.sip", types = fd_table_types },
	{ prefix = "fd.cip", types = fd_table_types },
	{ prefix = "fd.sport", types = fd_table_types },
	{ prefix = "fd.cport", types = fd_table_types },
	{ prefix = "fd.snet", types = fd_table_types },
	{ prefix = "fd.cnet", types = fd_table_types },
	{ prefix = "fd.sproto", types = fd_table_types },
	{ prefix = "fd.cproto", types = fd_table_types },
	{ prefix = "fd.is_server", types = fd_table_types },
	{ prefix = "proc.fdopencount", types = fd_table_types },
	{ prefix = "proc.stdin", types = fd_table_types },
	{ prefix = "proc.stdout", types = fd_table_types },
	{ prefix = "proc.stderr", types = fd_table_types },
	{ prefix = "fs.path.", types = function() return set { "chdir", "fchdir" } end },
	{ prefix = "evt.abspath", types = function() return set { "chdir", "fchdir" } end },
	{ prefix = "proc.cwd", types = function() return set { "chdir", "fchdir", "chroot" } end },
	{ prefix = "user.", types = function() return set { "setuid", "setreuid", "setresuid" } end },
	{ prefix = "group.", types = function() return set { "setgid", "setregid", "setresgid" } end },
	{ prefix = "thread.cap", types = function() return set { "setuid", "setreuid", "setresuid", "capset" } end },
	{ prefix = "proc.name", types = function() return set { "prctl" } end },
	{ prefix = "proc.sid", types = function() return set { "setsid" } end },
	{ prefix = "proc.pgid", types = function() return set { "setsid", "setpgid" } end },
}

local function all_syscalls()
	local s = {}
	for id = 0, core.ntypes - 1 do
		if core.type_info[id].nr >= 0 then s[core.type_name[id]] = true end
	end
	return s
end

-- needs: list of { types = set or nil (unbounded), fields = set,
-- needs_exit = bool, exit_types = set or nil (all of types), what = name
-- for warnings }.  Returns modes { [type] = "entry"|"exit" }, a list of
-- warnings, and whether the fd table must be kept exact.
function M.compute(needs)
	local modes, warnings, fields = {}, {}, {}
	local function add(name, mode)
		if not core.type_id[name] then return end
		if modes[name] ~= "exit" then modes[name] = mode end
	end
	for _, n in ipairs(needs) do
		local types = n.types
		if not types then
			types = all_syscalls()
			if n.what then
				warnings[#warnings + 1] = n.what .. ": does not restrict evt.type; every syscall is traced"
			end
		end
		for name in pairs(types) do
			local exit
			if n.needs_exit == false then
				exit = false
			elseif n.exit_types then
				exit = n.exit_types[name] == true
			else
				exit = true	-- unknown: the safe default, exit-style
			end
			add(name, exit and "exit" or "entry")
		end
		for f in pairs(n.fields or {}) do fields[f] = true end
	end
	for _, sn in ipairs(state_needs) do
		for f in pairs(fields) do
			if f:sub(1, #sn.prefix) == sn.prefix then
				for name in pairs(sn.types()) do add(name, "exit") end
				break
			end
		end
	end
	local fd_full = true
	for name in pairs(fd_table_types()) do
		if modes[name] ~= "exit" then fd_full = false end
	end
	return modes, warnings, fd_full
end

M.all_syscalls = all_syscalls

return M
