-- The interest set: which event types stop, whether their exit is needed,
-- and for which of their calls, computed from what is loaded (the
-- command-line filter, rules, chisels, output formats).  This is what
-- makes lanner cheap: a syscall nothing asks about never stops (see
-- ../shared/DESIGN.md), and a syscall asked about only for some argument
-- values (openat for writing, socket for AF_PACKET) stops only for those,
-- the seccomp filter checking the registers (lanner/filter/argpred.lua
-- derives the predicates from the syntax trees).
--
-- The set is a union: a type stops on every call as soon as one consumer
-- needs it without a predicate, or a state table needs it (the fd table,
-- the cwd, the credentials: their updates must all be seen); otherwise it
-- stops when any consumer's predicate holds.
local core = require "lanner.core"
local argpred = require "lanner.filter.argpred"

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

-- Which end of a socket is the server is known from the call that gave
-- the socket its role: listen, accept, connect.  The kernel cannot tell an
-- accepted socket from a connected one, so these must stop; the rest of
-- the fd table need not be exact (a socket read lazily keeps the role
-- lanner saw while its inode stays the same, see src/state/fdtable.c).  The
-- packaged rules test fd.sip on connect: tracing every open and close for
-- it would double their stops.
local function socket_role_types()
	return set { "connect", "accept", "accept4", "listen" }
end

-- Fields and the state syscalls they depend on (by prefix).
local state_needs = {
	{ prefix = "fd.types", types = fd_table_types },
	{ prefix = "fd.sip", types = socket_role_types },
	{ prefix = "fd.cip", types = socket_role_types },
	{ prefix = "fd.sport", types = socket_role_types },
	{ prefix = "fd.cport", types = socket_role_types },
	{ prefix = "fd.snet", types = socket_role_types },
	{ prefix = "fd.cnet", types = socket_role_types },
	{ prefix = "fd.sproto", types = socket_role_types },
	{ prefix = "fd.cproto", types = socket_role_types },
	{ prefix = "fd.is_server", types = socket_role_types },
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
	{ prefix = "proc.comm", types = function() return set { "prctl" } end },
	-- the files traced processes open for writing, by inode
	{ prefix = "proc.exe_writer", types = function() return set { "open", "openat", "openat2", "creat" } end },
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

-- Union of predicate maps into acc (see M.compute for the shape): types
-- is the set a need covers (nil: all), preds its predicates.  acc.plain
-- collects the types some need takes whole.  Used to fold many rules
-- into one need.
function M.union_preds(acc, types, preds)
	acc.plain = acc.plain or {}
	acc.preds = acc.preds or {}
	if types == nil then
		acc.all = true
		return acc
	end
	for t in pairs(types) do
		local p = preds and preds[t]
		if p == nil or acc.plain[t] then
			acc.plain[t] = true
			acc.preds[t] = nil
		else
			acc.preds[t] = argpred.disj(acc.preds[t] or {}, p)
			if acc.preds[t] == nil then acc.plain[t] = true end
		end
	end
	return acc
end

-- The predicate map of a folded union, or nil.
function M.folded_preds(acc)
	if acc.all or not acc.preds or next(acc.preds) == nil then return nil end
	return acc.preds
end

-- needs: list of { types = set or nil (unbounded), fields = set,
-- needs_exit = bool, exit_types = set or nil (all of types), preds = nil
-- or { [type] = predicate } (the type is needed only for calls where it
-- holds: lanner/filter/argpred.lua), what = name for warnings }.
-- Returns modes { [type] = "entry"|"exit" }, a list of warnings, whether
-- the fd table must be kept exact, and the narrowed types
-- { [type] = { mode = "entry"|"exit", terms = predicate } }: types that
-- stop only when a term holds (never in modes).  Only with opts.narrow:
-- a caller that would not hand the predicates to ln_trace_arg gets those
-- types in modes instead (stopping on every call is always sound).
function M.compute(needs, opts)
	local modes, warnings, fields, narrowed = {}, {}, {}, {}
	local function add(name, mode)
		if not core.type_id[name] then return end
		if modes[name] ~= "exit" then modes[name] = mode end
	end
	local function add_pred(name, mode, p)
		if not core.type_id[name] then return end
		local nw = narrowed[name]
		if not nw then
			nw = { mode = mode, terms = {} }
			narrowed[name] = nw
		elseif mode == "exit" then
			nw.mode = "exit"
		end
		local terms = nw.terms and argpred.disj(nw.terms, p)
		-- too many terms: the type is taken whole
		if terms == nil then add(name, nw.mode) end
		nw.terms = terms
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
			local p = n.types and n.preds and n.preds[name]
			if p then
				add_pred(name, exit and "exit" or "entry", p)
			else
				add(name, exit and "exit" or "entry")
			end
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
	-- a type stopping on every call needs no predicate; one whose
	-- predicates can never hold does not stop at all
	for name, nw in pairs(narrowed) do
		if modes[name] then
			-- stops on every call; the exit too if a narrowed need wanted it
			if nw.mode == "exit" then modes[name] = "exit" end
			narrowed[name] = nil
		elseif nw.terms == nil or #nw.terms == 0 then
			narrowed[name] = nil
		elseif not (opts and opts.narrow) then
			add(name, nw.mode)
			narrowed[name] = nil
		end
	end
	local fd_full = true
	for name in pairs(fd_table_types()) do
		if modes[name] ~= "exit" then fd_full = false end
	end
	return modes, warnings, fd_full, narrowed
end

M.all_syscalls = all_syscalls

return M
