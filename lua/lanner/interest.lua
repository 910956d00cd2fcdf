-- The interest set: which event types stop, and whether their exit is
-- needed, computed from what is loaded (the command-line filter, rules,
-- chisels, output formats).  This is what makes lanner cheap: a syscall
-- nothing asks about never stops (see ../shared/DESIGN.md).
local core = require "lanner.core"
local bit = require "bit"

local M = {}

local C = core.C

-- Syscalls that keep the fd table right, for consumers reading fd.* fields.
local function fd_state_types()
	local set = core.types_with_flags(bit.bor(tonumber(C.LN_TF_FD_CREATE)))
	for _, n in ipairs { "close", "dup", "dup2", "dup3", "fcntl", "connect", "bind",
		"listen", "accept", "accept4", "sendto", "recvfrom" } do
		if core.type_id[n] then set[n] = true end
	end
	return set
end

-- Field prefixes and the state syscalls they depend on.
local state_needs = {
	{ prefix = "fd.", types = fd_state_types },
	{ prefix = "fs.path.", types = function() return { chdir = true, fchdir = true } end },
	{ prefix = "evt.info", types = fd_state_types },
	{ prefix = "evt.args", types = fd_state_types },
	{ prefix = "proc.fdopencount", types = fd_state_types },
	{ prefix = "proc.cwd", types = function() return { chdir = true, fchdir = true, chroot = true } end },
	{ prefix = "user.", types = function()
		return { setuid = true, setreuid = true, setresuid = true, capset = true } end },
	{ prefix = "group.", types = function()
		return { setgid = true, setregid = true, setresgid = true } end },
	{ prefix = "thread.cap", types = function()
		return { setuid = true, setreuid = true, setresuid = true, capset = true } end },
	{ prefix = "proc.name", types = function() return { prctl = true } end },
	{ prefix = "proc.sid", types = function() return { setsid = true } end },
	{ prefix = "proc.pgid", types = function() return { setsid = true, setpgid = true } end },
}

local function all_syscalls()
	local set = {}
	for id = 0, core.ntypes - 1 do
		if core.type_info[id].nr >= 0 then set[core.type_name[id]] = true end
	end
	return set
end

-- needs: list of { types = set or nil (unbounded), fields = set,
-- needs_exit = bool }.  Returns modes { [type] = "entry"|"exit" } and a
-- list of warnings.
function M.compute(needs)
	local modes, warnings = {}, {}
	local fields = {}
	local function add(types, mode)
		for name in pairs(types) do
			if core.type_id[name] then
				if modes[name] ~= "exit" then modes[name] = mode end
			end
		end
	end
	for _, n in ipairs(needs) do
		-- Exit-style events are the default; entry-only when the
		-- consumer says it never reads a result or an exit-time state.
		local mode = n.needs_exit == false and "entry" or "exit"
		if n.types then
			add(n.types, mode)
		else
			add(all_syscalls(), mode)
			if n.what then
				warnings[#warnings + 1] = n.what .. ": does not restrict evt.type; every syscall is traced"
			end
		end
		for f in pairs(n.fields or {}) do fields[f] = true end
	end
	for _, sn in ipairs(state_needs) do
		for f in pairs(fields) do
			if f:sub(1, #sn.prefix) == sn.prefix then
				add(sn.types(), "exit")
				break
			end
		end
	end
	return modes, warnings
end

M.all_syscalls = all_syscalls

return M
