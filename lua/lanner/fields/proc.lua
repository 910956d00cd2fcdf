-- proc.* and thread.*: the process and thread that made the event, and
-- their ancestors (libsinsp's "process" class).
--
-- Ancestors come through the process lookup (fields.set_session or
-- fields.set_proc_lookup); without one, anything past the process itself is
-- missing.  Levels: proc.aname[0] is the process, [1] its parent, ...; the
-- forms without an index match any ancestor from the parent up, as Falco's.
local bit = require "bit"
local cm = require "lanner.fields.common"

local ffi, core = cm.ffi, cm.core
local band = bit.band

local PF = {
	MEMFD = tonumber(cm.C.LN_PROC_EXE_FROM_MEMFD), WRITABLE = tonumber(cm.C.LN_PROC_EXE_WRITABLE),
	UPPER = tonumber(cm.C.LN_PROC_EXE_UPPER),
}

-- What depends on exec: after execve returns, the process has its new
-- name, exe and args, so rules on spawned processes need the exit stop.
local EXEC = core.types_with_flags(cm.TF.EXEC)

-- Strings built from a process's exec-time data (args, env), cached per
-- process and kept until that data changes: a rule testing proc.args on
-- every event of a long-lived process builds it once.  An entry is valid
-- while the process has the same pid, exec time and args/env buffers; the
-- core replaces those buffers at exec.  Bounded by entries and by the
-- bytes of what they hold: 4096 processes with 64 KB of environment each
-- would hold 512 MB of it (twice: the list and the joined string).
local pcache, pcache_n, pcache_bytes = {}, 0, 0
local PCACHE_MAX, PCACHE_BYTES = 4096, 8 * 1048576

local function charge(n) pcache_bytes = pcache_bytes + n end

local function addr(ptr) return tonumber(ffi.cast("uintptr_t", ptr)) end

local function entry(p)
	local key = addr(ffi.cast("const ln_proc *", p))
	if pcache_bytes > PCACHE_BYTES then pcache, pcache_n, pcache_bytes = {}, 0, 0 end
	local e = pcache[key]
	local args, env = addr(p.args), addr(p.env)
	if e == nil or e.pid ~= p.pid or e.exec_ts ~= p.exec_ts or e.args ~= args or e.env ~= env
		or e.args_len ~= p.args_len or e.env_len ~= p.env_len then
		if e == nil then
			pcache_n = pcache_n + 1
			if pcache_n > PCACHE_MAX then pcache, pcache_n = {}, 1 end
		end
		e = { pid = p.pid, exec_ts = p.exec_ts, args = args, env = env,
			args_len = p.args_len, env_len = p.env_len }
		pcache[key] = e
	end
	return e
end

local function args_list(p)
	local e = entry(p)
	local l = e.args_list
	if l == nil then
		l = cm.split_nul(p.args, p.args_len)
		e.args_list = l
		charge(p.args_len)
	end
	return l
end

local function comm(p) return ffi.string(p.comm) end
local function exe(p) return cm.cstr(p.exe) end
local function exepath(p) return cm.cstr(p.exepath) end

local function args_str(_, p)
	local e = entry(p)
	local s = e.args_str
	if s == nil then
		s = table.concat(args_list(p), " ")
		e.args_str = s
		charge(#s)
	end
	return s
end

-- comm + " " + the args joined by spaces, as sinsp's populate_cmdline:
-- the core builds it when comm or args change (ln_proc.cmdline), so a
-- filter can test it where it lies.
local function cmdline(p) return cm.cstr(p.cmdline) end

local function env_list(_, p)
	local e = entry(p)
	local l = e.env_list
	if l == nil then
		l = cm.split_nul(p.env, p.env_len)
		e.env_list = l
		charge(p.env_len)
	end
	return l
end

-- Per-level getters shared by proc.X, proc.pX and proc.aX.
local per = {
	name = comm,
	exe = exe,
	exepath = exepath,
	pid = function(p) return p.pid end,
	cmdline = cmdline,
}

local function at_level(getter, level)
	return function(ev)
		local p = cm.ancestor(cm.proc(ev), level)
		if p == nil then return nil end
		return getter(p, ev)
	end
end

-- The same strings as C pointers, for comparisons that need no Lua string
-- (a spec's cstr, see lanner/fields.lua): nil sends the filter to get().
local C_OF = {
	[comm] = function(p) return p.comm end,
	[exe] = function(p) return p.exe end,
	[exepath] = function(p) return p.exepath end,
	[cmdline] = function(p) return p.cmdline end,
}
-- getter's C string for the ancestor at level (0: the process), or nil
-- (a NULL pointer too: the filter then asks get())
local function c_at(getter, ev, level)
	local p = cm.ancestor(cm.proc(ev), level)
	if p == nil then return nil end
	local s = C_OF[getter](p)
	if s == nil then return nil end
	return s
end
local function at_level_c(getter, level)
	return function(ev) return c_at(getter, ev, level) end
end

-- proc.aX: with an index the ancestor at that level; without, every
-- ancestor from the parent up (multi).
local function ancestor_field(suffix, getter, ftype, desc)
	return {
		name = "proc.a" .. suffix, type = ftype == "INT64" and "number" or "string", ftype = ftype,
		arg = { kind = "index", bracket = true }, multi = true, needs_exit = EXEC,
		desc = desc,
		bind = function(n) return { multi = false } end,
		cstr = C_OF[getter] and function(ev, level)
			if level == nil then return nil end
			return c_at(getter, ev, level)
		end,
		values = function(ev)
			local out = {}
			for _, a in ipairs(cm.ancestors(cm.proc(ev))) do
				local v = getter(a, ev)
				if v ~= nil then out[#out + 1] = v end
			end
			return out
		end,
		get = function(ev, level, i)
			if level == nil then
				local a = cm.ancestors(cm.proc(ev))[i or 1]
				return a and getter(a, ev)
			end
			local p = cm.ancestor(cm.proc(ev), level)
			if p == nil then return nil end
			return getter(p, ev)
		end,
	}
end

-- The session leader: the process whose pid is the sid, else the highest
-- ancestor with the same sid (sinsp's rule for pid namespaces and exited
-- leaders).  Same for the process group with pgid.
local function leader(ev, key)
	local p = cm.proc(ev)
	if p == nil then return nil end
	local id = p[key]
	local l = cm.proc_of_pid(id)
	if l ~= nil and l.pid == id then return l end
	l = p
	for _, a in ipairs(cm.ancestors(p)) do
		if a[key] ~= id then break end
		l = a
	end
	return l
end

local function leader_field(name, key, getter, desc)
	return { name = name, type = "string", desc = desc,
		get = function(ev)
			local l = leader(ev, key)
			return l and getter(l, ev)
		end }
end

local function proc_num(name, key, desc, ftype)
	return { name = name, type = "number", ftype = ftype or "INT64", desc = desc,
		get = function(ev)
			local p = cm.proc(ev)
			if p == nil then return nil end
			return tonumber(p[key])
		end }
end

-- The executable file as stat saw it at exec: missing when unknown (a
-- memfd, a process lanner attached to before its exe vanished).
local function exe_num(name, key, desc, ftype, minus)
	return { name = name, type = ftype == "ABSTIME" and "abstime" or ftype == "RELTIME" and "reltime" or "number",
		ftype = (ftype == "ABSTIME" or ftype == "RELTIME") and "UINT64" or ftype, desc = desc, needs_exit = EXEC,
		get = function(ev)
			local p = cm.proc(ev)
			if p == nil or p.exe_ino == 0 then return nil end
			if minus then return tonumber(p[minus[1]] - p[minus[2]]) end
			return tonumber(p[key])
		end }
end

local function proc_flag(name, flag, desc)
	return { name = name, type = "bool", desc = desc,
		get = function(ev)
			local p = cm.proc(ev)
			if p == nil then return nil end
			return band(p.flags, flag) ~= 0
		end }
end

local function duration_since(ev, ts)
	if ts == 0 or ev.ts < ts then return nil end
	return tonumber(ev.ts - ts)
end

-- The memory figures in kB, as the event's thread last saw them: at its
-- creation or exec, or a brk, mmap or munmap lanner traced (the core reads
-- /proc/TID/status then, as Falco's driver reports them with those events
-- and libsinsp keeps them per thread), not as of when a rule runs, which
-- with the queue can be after the process ended or its pid went to
-- another.
local function vm_kb(ev, key)
	local t = ev.thread
	return t ~= nil and tonumber(t[key]) or nil
end

-- Where the figures change: an exec, and brk, mmap and munmap, whose exits
-- read them again if those calls are traced at all (the fields trace no
-- call of their own: Falco's default set has none of the three).
local VM_CHANGES = { brk = true, mmap = true, munmap = true }
for t in pairs(EXEC) do VM_CHANGES[t] = true end

-- thread.vmsize and thread.vmrss: the process's for its main thread, 0
-- for the others (libsinsp's).
local function thread_vm_kb(ev, key)
	local p, t = cm.proc(ev), ev.thread
	if p == nil or t == nil then return nil end
	return p.pid == ev.tid and tonumber(t[key]) or 0
end

-- Capability names by bit number (linux/capability.h), as sinsp's
-- caps_to_string prints them.
local CAPS = { [0] = "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
	"CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
	"CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE" }

local function caps_text(mask)
	local out = {}
	for b = 0, #CAPS do
		-- 64-bit cdata arithmetic: a Lua number would lose bits above 2^53
		if bit.band(bit.rshift(mask, b), 1ULL) ~= 0ULL then out[#out + 1] = CAPS[b] end
	end
	return table.concat(out, " ")
end

local function cap_field(which)
	return { name = "thread.cap_" .. which, type = "string", needs_exit = { capset = true },
		desc = "The " .. which .. " capabilities set, as names (CAP_CHOWN CAP_KILL ...).",
		get = function(ev)
			local t = ev.thread
			if t == nil then return nil end
			return caps_text(t["cap_" .. which])
		end }
end

-- proc.stdin.type and friends: the process's fd 0/1/2 through the fd lookup.
-- ino and dev (lanner only) say which pipe, FIFO, socket or file a stream
-- is: two processes whose streams have the same pair share it (a pipeline,
-- a relay), with no parsing of "pipe:[N]" names.
local STDIO_WHAT = {
	type = { "string", "type", function(fd) return cm.fd_type_name(fd.type) end },
	name = { "string", "name", function(fd) return cm.cstr(fd.name) end },
	ino = { "number", "inode number", function(fd) return fd.ino ~= 0 and tonumber(fd.ino) or nil end },
	dev = { "number", "device number", function(fd) return fd.ino ~= 0 and tonumber(fd.dev) or nil end },
}
local function stdio_field(num, which, what)
	local w = STDIO_WHAT[what]
	return { name = "proc." .. which .. "." .. what, type = w[1],
		desc = "The " .. w[2] .. " of the process's " .. which .. " (fd " .. num .. ")"
			.. ((what == "ino" or what == "dev") and " (lanner only)." or "."),
		get = function(ev)
			local fd = cm.fd_of(cm.proc(ev), num)
			if fd == nil then return nil end
			return w[3](fd)
		end }
end

local function unsupported(name, ftype, why, desc)
	return { name = name, type = ftype, desc = desc, unsupported = why }
end

return {
	{ name = "proc.name", type = "string", needs_exit = EXEC,
		desc = "The process name (truncated after 16 characters) generating the event (task->comm as exec set it: a later prctl(PR_SET_NAME) shows in proc.comm, not here).",
		get = at_level(comm, 0), cstr = at_level_c(comm, 0) },
	{ name = "proc.exe", type = "string", needs_exit = EXEC,
		desc = "The first command line argument argv[0] of the process at its last exec.",
		get = at_level(exe, 0), cstr = at_level_c(exe, 0) },
	{ name = "proc.exepath", type = "string", needs_exit = EXEC,
		desc = "The full executable path of the process (/proc/PID/exe at its last exec).",
		get = at_level(exepath, 0), cstr = at_level_c(exepath, 0) },
	{ name = "proc.args", type = "string", needs_exit = EXEC, arg = { kind = "index", bracket = true },
		desc = "The arguments passed on the command line when starting the process, excluding argv[0]. With [N] (lanner only), the Nth of them from 0.",
		get = function(ev, n)
			local p = cm.proc(ev)
			if p == nil then return nil end
			if n then return args_list(p)[n + 1] end
			return args_str(ev, p)
		end },
	{ name = "proc.cmdline", type = "string", needs_exit = EXEC,
		desc = "The concatenation of `proc.name + proc.args` when starting the process generating the event.",
		get = at_level(cmdline, 0), cstr = at_level_c(cmdline, 0) },
	{ name = "proc.exeline", type = "string", needs_exit = EXEC,
		desc = "The full command line, with exe as first argument (proc.exe + proc.args).",
		get = function(ev)
			local p = cm.proc(ev)
			if p == nil then return nil end
			return (exe(p) or "") .. " " .. args_str(ev, p)
		end },
	{ name = "proc.cmdnargs", type = "number", ftype = "UINT64", needs_exit = EXEC,
		desc = "The number of command line args (proc.args).",
		get = function(ev)
			local p = cm.proc(ev)
			return p and #args_list(p)
		end },
	{ name = "proc.cmdlenargs", type = "number", ftype = "UINT64", needs_exit = EXEC,
		desc = "The total count of characters in the command line args (proc.args), excluding the separators.",
		get = function(ev)
			local p = cm.proc(ev)
			if p == nil then return nil end
			local n = 0
			for _, a in ipairs(args_list(p)) do n = n + #a end
			return n
		end },
	{ name = "proc.env", type = "string", needs_exit = EXEC, arg = { kind = "string", bracket = true },
		desc = "The environment variables of the process at its last exec; proc.env[NAME] is the value of one.",
		get = function(ev, name)
			local p = cm.proc(ev)
			if p == nil then return nil end
			local l = env_list(ev, p)
			if name == nil then
				local e = entry(p)
				if e.env_str == nil then
					e.env_str = table.concat(l, " ")
					charge(#e.env_str)
				end
				return e.env_str
			end
			local pre = name .. "="
			for _, kv in ipairs(l) do
				if kv:sub(1, #pre) == pre then return kv:sub(#pre + 1) end
			end
			return nil
		end },
	{ name = "proc.cwd", type = "string", needs_exit = { chdir = true, fchdir = true },
		desc = "The current working directory of the event (with a trailing slash).",
		get = function(ev) return cm.cwd(cm.proc(ev)) end,
		-- the core keeps it with its slash (lanner.h)
		cstr = function(ev)
			local p = cm.proc(ev)
			if p == nil or p.cwd == nil then return nil end
			return p.cwd
		end },
	{ name = "proc.loginshellid", type = "number", ftype = "INT64",
		desc = "The pid of the oldest shell among the ancestors of the current process, if there is one.",
		get = function(ev)
			local p = cm.proc(ev)
			if p == nil then return nil end
			local found
			local function check(q) if comm(q):sub(-2) == "sh" then found = q.pid end end
			check(p)
			for _, a in ipairs(cm.ancestors(p)) do check(a) end
			return found
		end },
	proc_num("proc.tty", "tty", "The controlling terminal of the process. 0 for processes without a terminal.", "UINT32"),
	proc_num("proc.pid", "pid", "The id of the process generating the event."),
	proc_num("proc.ppid", "ppid", "The pid of the parent of the process generating the event."),
	proc_num("proc.vpid", "vpid", "The id of the process generating the event as seen from its current PID namespace."),
	{ name = "proc.pvpid", type = "number", ftype = "INT64",
		desc = "The id of the parent process generating the event as seen from its current PID namespace.",
		get = at_level(function(p) return p.vpid end, 1) },
	proc_num("proc.sid", "sid", "The session id of the process generating the event."),
	proc_num("proc.pgid", "pgid", "The process group id of the process generating the event."),
	proc_num("proc.vpgid", "pgid", "The process group id of the process generating the event (lanner: as seen from the host)."),
	leader_field("proc.sname", "sid", comm, "The name of the current process's session leader."),
	leader_field("proc.sid.exe", "sid", exe, "The proc.exe of the current process's session leader."),
	leader_field("proc.sid.exepath", "sid", exepath, "The proc.exepath of the current process's session leader."),
	leader_field("proc.vpgid.name", "pgid", comm, "The name of the current process's process group leader."),
	leader_field("proc.vpgid.exe", "pgid", exe, "The proc.exe of the current process's process group leader."),
	leader_field("proc.vpgid.exepath", "pgid", exepath, "The proc.exepath of the current process's process group leader."),
	{ name = "proc.is_sid_leader", type = "bool", desc = "'true' if this process is the leader of the process session, proc.sid == proc.vpid.",
		get = function(ev) local p = cm.proc(ev); return p and p.sid == p.vpid end },
	{ name = "proc.is_vpgid_leader", type = "bool", desc = "'true' if this process is the leader of its process group.",
		get = function(ev) local p = cm.proc(ev); return p and p.pgid == p.vpid end },
	{ name = "proc.pname", type = "string", desc = "The proc.name of the parent of the process generating the event.",
		get = at_level(comm, 1), cstr = at_level_c(comm, 1) },
	{ name = "proc.pexe", type = "string", desc = "The proc.exe (argv[0]) of the parent process.",
		get = at_level(exe, 1), cstr = at_level_c(exe, 1) },
	{ name = "proc.pexepath", type = "string", desc = "The proc.exepath (full executable path) of the parent process.",
		get = at_level(exepath, 1), cstr = at_level_c(exepath, 1) },
	{ name = "proc.pcmdline", type = "string", desc = "The proc.cmdline of the parent of the process generating the event.",
		get = at_level(cmdline, 1), cstr = at_level_c(cmdline, 1) },
	ancestor_field("name", comm, "CHARBUF", "The proc.name of an ancestor: proc.aname[1] is the parent, [0] the process; without an index, any ancestor."),
	ancestor_field("exe", exe, "CHARBUF", "The proc.exe of an ancestor: proc.aexe[1] is the parent, [0] the process; without an index, any ancestor."),
	ancestor_field("exepath", exepath, "CHARBUF", "The proc.exepath of an ancestor: proc.aexepath[1] is the parent, [0] the process; without an index, any ancestor."),
	ancestor_field("cmdline", per.cmdline, "CHARBUF", "The proc.cmdline of an ancestor: proc.acmdline[1] is the parent, [0] the process; without an index, any ancestor."),
	ancestor_field("pid", per.pid, "INT64", "The pid of an ancestor: proc.apid[1] is the parent, [0] the process; without an index, any ancestor."),
	{ name = "proc.duration", type = "reltime", desc = "Number of nanoseconds since the process started.",
		get = function(ev) local p = cm.proc(ev); return p and duration_since(ev, p.start_ts) end },
	{ name = "proc.ppid.duration", type = "reltime", desc = "Number of nanoseconds since the parent process started.",
		get = function(ev) local p = cm.ancestor(cm.proc(ev), 1); return p and duration_since(ev, p.start_ts) end },
	{ name = "proc.pid.ts", type = "reltime", desc = "Start of process as epoch timestamp in nanoseconds.",
		get = function(ev) local p = cm.proc(ev); if p == nil or p.start_ts == 0 then return nil end; return tonumber(p.start_ts) end },
	{ name = "proc.ppid.ts", type = "reltime", desc = "Start of parent process as epoch timestamp in nanoseconds.",
		get = function(ev) local p = cm.ancestor(cm.proc(ev), 1); if p == nil or p.start_ts == 0 then return nil end; return tonumber(p.start_ts) end },
	proc_flag("proc.is_exe_writable", PF.WRITABLE, "'true' if this process' executable file is writable by the same user that spawned the process."),
	proc_flag("proc.is_exe_upper_layer", PF.UPPER, "'true' if this process' executable file is in upper layer in overlayfs (lanner: looked up under the overlay's upperdir, false where lanner cannot see that directory)."),
	proc_flag("proc.is_exe_from_memfd", PF.MEMFD, "'true' if the executable file of the current process is an anonymous file created using memfd_create()."),
	stdio_field(0, "stdin", "type"), stdio_field(1, "stdout", "type"), stdio_field(2, "stderr", "type"),
	stdio_field(0, "stdin", "name"), stdio_field(1, "stdout", "name"), stdio_field(2, "stderr", "name"),
	stdio_field(0, "stdin", "ino"), stdio_field(1, "stdout", "ino"), stdio_field(2, "stderr", "ino"),
	stdio_field(0, "stdin", "dev"), stdio_field(1, "stdout", "dev"), stdio_field(2, "stderr", "dev"),
	proc_num("proc.fdopencount", "nfds", "Number of open FDs for the process (as far as lanner knows).", "UINT64"),
	proc_num("proc.nthreads", "nthreads", "The number of alive threads that the process generating the event currently has.", "UINT64"),
	{ name = "proc.nchilds", type = "number", ftype = "UINT64", desc = "The number of alive threads of the process other than the leader.",
		get = function(ev) local p = cm.proc(ev); return p and math.max(p.nthreads - 1, 0) end },
	{ name = "proc.vmsize", type = "number", ftype = "UINT64", needs_exit = VM_CHANGES, desc = "Total virtual memory for the process (as kb), as its thread last saw them (at its creation, exec, or a traced brk, mmap or munmap).",
		get = function(ev) return vm_kb(ev, "vm_size_kb") end },
	{ name = "proc.vmrss", type = "number", ftype = "UINT64", needs_exit = VM_CHANGES, desc = "Resident non-swapped memory for the process (as kb), as its thread last saw them (at its creation, exec, or a traced brk, mmap or munmap).",
		get = function(ev) return vm_kb(ev, "vm_rss_kb") end },
	{ name = "proc.vmswap", type = "number", ftype = "UINT64", needs_exit = VM_CHANGES, desc = "Swapped memory for the process (as kb), as its thread last saw them (at its creation, exec, or a traced brk, mmap or munmap).",
		get = function(ev) return vm_kb(ev, "vm_swap_kb") end },
	exe_num("proc.exe_ino", "exe_ino", "The inode number of the executable file on disk.", "INT64"),
	exe_num("proc.exe_dev", "exe_dev", "The device number of the filesystem that holds the executable file (lanner only: with proc.exe_ino, the file's identity).", "INT64"),
	exe_num("proc.exe_ino.ctime", "exe_ctime", "Last status change time (ctime) of the executable file.", "ABSTIME"),
	exe_num("proc.exe_ino.mtime", "exe_mtime", "Last modification time (mtime) of the executable file.", "ABSTIME"),
	exe_num("proc.exe_ino.ctime_duration_proc_start", nil, "Nanoseconds between ctime of the exe file and the exec that ran it.", "RELTIME",
		{ "exec_ts", "exe_ctime" }),
	{ name = "proc.exe_writer", type = "string", needs_exit = EXEC,
		desc = "The proc.name of the traced process that last opened the executable file for writing (a linker's output run by the build that linked it); missing when none did (lanner only).",
		get = function(ev)
			local p = cm.proc(ev)
			if p == nil or p.exe_writer[0] == 0 then return nil end
			return ffi.string(p.exe_writer)
		end },
	{ name = "proc.comm", type = "string", needs_exit = EXEC,
		desc = "The name the process now gives itself: what prctl(PR_SET_NAME) last set, else proc.name. proc.name keeps the name of what exec ran (lanner only).",
		get = function(ev)
			local p = cm.proc(ev)
			if p == nil then return nil end
			return ffi.string(p.live_comm[0] ~= 0 and p.live_comm or p.comm)
		end },
	unsupported("proc.exe_ino.ctime_duration_pidns_start", "abstime", "lanner does not stat the executable", "Nanoseconds between PID namespace start and ctime of the exe file."),
	unsupported("proc.pidns_init_start_ts", "number", "the start of the PID namespace is not tracked", "Start of PID namespace as epoch timestamp in nanoseconds."),
	unsupported("proc.is_container_healthcheck", "bool", "no container runtime metadata", "'true' if this process is running as a part of the container's health check."),
	unsupported("proc.is_container_liveness_probe", "bool", "no container runtime metadata", "'true' if this process is running as a part of the container's liveness probe."),
	unsupported("proc.is_container_readiness_probe", "bool", "no container runtime metadata", "'true' if this process is running as a part of the container's readiness probe."),
	unsupported("proc.fdlimit", "number", "RLIMIT_NOFILE is not tracked", "Maximum number of FDs the process can open."),
	unsupported("proc.fdusage", "number", "RLIMIT_NOFILE is not tracked", "The ratio between open FDs and maximum available FDs for the process."),

	{ name = "thread.tid", type = "number", ftype = "INT64", desc = "The id of the thread generating the event.",
		get = function(ev) return ev.tid end },
	{ name = "thread.vtid", type = "number", ftype = "INT64", desc = "The id of the thread generating the event as seen from its current PID namespace.",
		get = function(ev) local t = ev.thread; return t ~= nil and t.vtid or nil end },
	{ name = "thread.ismain", type = "bool", desc = "'true' if the thread generating the event is the main one in the process.",
		get = function(ev) local p = cm.proc(ev); return p and p.pid == ev.tid end },
	{ name = "thread.nametid", type = "string", desc = "The process name and tid of a thread chained (e.g. bash1234).",
		get = function(ev) local p = cm.proc(ev); return p and comm(p) .. ev.tid end },
	cap_field("permitted"), cap_field("inheritable"), cap_field("effective"),
	unsupported("thread.cgroups", "string", "cgroups are not tracked per thread", "All cgroups the thread belongs to, aggregated into a single string."),
	{ name = "thread.cgroup", type = "string", arg = { kind = "name", dotted = true, required = true },
		desc = "The cgroup the thread belongs to, for a specific subsystem. e.g. thread.cgroup.cpuacct.",
		unsupported = "cgroups are not tracked per thread" },
	unsupported("thread.exectime", "reltime", "no scheduler events", "CPU time spent by the last scheduled thread, in nanoseconds."),
	unsupported("thread.totexectime", "reltime", "no scheduler events", "Total CPU time for the current thread."),
	unsupported("thread.pfmajor", "number", "page faults are not tracked", "Number of major page faults since thread start."),
	unsupported("thread.pfminor", "number", "page faults are not tracked", "Number of minor page faults since thread start."),
	{ name = "thread.vmsize", type = "number", ftype = "UINT64", needs_exit = VM_CHANGES, desc = "For the process main thread, the total virtual memory for the process (as kb), as its thread last saw them (at its creation, exec, or a traced brk, mmap or munmap). For the other threads, this field is zero.",
		get = function(ev) return thread_vm_kb(ev, "vm_size_kb") end },
	{ name = "thread.vmrss", type = "number", ftype = "UINT64", needs_exit = VM_CHANGES, desc = "For the process main thread, the resident non-swapped memory for the process (as kb), as its thread last saw them (at its creation, exec, or a traced brk, mmap or munmap). For the other threads, this field is zero.",
		get = function(ev) return thread_vm_kb(ev, "vm_rss_kb") end },
	unsupported("thread.cpu", "number", "no CPU accounting events", "The CPU consumed by the thread in the last second."),
}
