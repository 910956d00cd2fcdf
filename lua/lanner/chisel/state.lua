-- What sysdig.get_thread_table, get_container_table, get_machine_info and
-- get_terminal_info return, built from the session's state tables (the
-- processes lanner traces) and a few system files read on demand.
--
-- The thread table has sysdig's shape: keyed by tid, each entry with tid,
-- pid, ptid, comm, exe, args (a list), env, cwd, flags, fdlimit, uid, gid,
-- username, nchilds, vm*_kb, clone_ts and fdtable (keyed by fd: name, type
-- and, for IP sockets, sip, sport, cip, cport, is_server, l4proto).  lanner
-- keeps one entry per process: its leader thread.
local ffi = require "ffi"
local core = require "lanner.core"
local base = require "lanner.base"

local C = core.C
local M = {}

base.declare("long sysconf(int name);", "int ioctl(int fd, unsigned long request, ...);")
local slurp = base.read_file

local function cstr(p)
	if p == nil then return "" end
	return ffi.string(p)
end

local function nul_list(ptr, len)
	local out = {}
	if ptr == nil or len == 0 then return out end
	local s = ffi.string(ptr, len)
	for item in (s .. "\0"):gmatch("([^%z]*)%z") do out[#out + 1] = item end
	if out[#out] == "" then out[#out] = nil end
	return out
end

local users
local function username(uid)
	if users == nil then
		users = {}
		for line in (slurp("/etc/passwd") or ""):gmatch("[^\n]+") do
			local name, id = line:match("^([^:]*):[^:]*:(%d+):")
			if name and users[tonumber(id)] == nil then users[tonumber(id)] = name end
		end
	end
	return users[uid] or tostring(uid)
end
M.username = username

local function status_kb(pid)
	local s = slurp("/proc/" .. pid .. "/status")
	if not s then return 0, 0, 0 end
	local function kb(key) return tonumber(s:match(key .. ":%s*(%d+)")) or 0 end
	return kb("VmSize"), kb("VmRSS"), kb("VmSwap")
end

local function fdlimit(pid)
	local s = slurp("/proc/" .. pid .. "/limits")
	local v = s and s:match("Max open files%s+(%d+)")
	return tonumber(v) or 0
end

local L4 = { [1] = "tcp", [2] = "udp", [3] = "icmp", [4] = "raw" }
local FD_IPV4, FD_IPV6 = tonumber(C.LN_FD_IPV4), tonumber(C.LN_FD_IPV6)

local function ip_text(family, bytes)
	local buf = ffi.new("char[64]")
	local n = C.ln_ip_format(family, bytes, buf, 64)
	if n >= 0 then return ffi.string(buf) end
	return string.format("%d.%d.%d.%d", bytes[0], bytes[1], bytes[2], bytes[3])
end

local function fd_type_name(t)
	local s = C.ln_fd_type_name(t)
	if s ~= nil then return ffi.string(s) end
	return "<NA>"
end

local function fd_entry(fd)
	local e = { name = cstr(fd.name), type = fd_type_name(fd.type) }
	local t = fd.type
	if t == FD_IPV4 or t == FD_IPV6 then
		local tu = fd.tuple
		local fam = tu.family ~= 0 and tu.family or (t == FD_IPV4 and 2 or 10)
		local lip, rip = ip_text(fam, tu.lip), ip_text(fam, tu.rip)
		local listening = fd.is_server == 1 and fd.connected == 0
		e.is_server = fd.is_server == 1
		e.l4proto = L4[tu.l4proto] or "<NA>"
		if listening then
			e.sip, e.sport = lip, tu.lport
		elseif fd.is_server == 1 then
			e.sip, e.sport, e.cip, e.cport = lip, tu.lport, rip, tu.rport
		else
			e.cip, e.cport, e.sip, e.sport = lip, tu.lport, rip, tu.rport
		end
	end
	return e
end

-- A stand-in event that carries one process and one of its fds, for
-- running a filter on fds (sysdig does the same with a fake read event).
local fake_num = 1e15
local function fake_event(p, t, fd, ts)
	local ev = ffi.new("ln_event")
	fake_num = fake_num + 1
	ev.num = fake_num
	ev.ts = ts or 0
	ev.type = core.type_id.read or 0
	ev.tid = p.pid
	ev.cpu = -1
	ev.has_res = 1
	ev.res = 0
	ev.fdnum = fd.num
	ev.fd = fd
	if t == nil then
		t = ffi.new("ln_thread")
		t.tid, t.proc = p.pid, p
	end
	ev.thread = t
	return ev, t -- t kept alive by the caller while ev is used
end

-- opts: { fds = bool, barebone = bool, filter = fn(ev) or nil, ts = uint64,
-- replay = bool: reading a capture, whose pids are not this machine's:
-- no /proc (the fd limit is 0, as sysdig has it from a file) }
function M.thread_table(sess, opts)
	local out = {}
	if sess == nil then return out end
	opts = opts or {}
	for p in sess:procs() do
		local t = C.ln_thread_get(sess.s, p.pid)
		if t == nil then t = nil end
		local fdt, matched = {}, opts.filter == nil
		for fd in sess:fds(p) do
			local keep = true
			if opts.filter then
				local ev, keepalive = fake_event(p, t, fd, opts.ts)
				keep = opts.filter(ev) and true or false
				local _ = keepalive
			end
			if keep then
				matched = true
				if opts.fds ~= false then
					fdt[tonumber(fd.num)] = opts.barebone and {} or fd_entry(fd)
				end
			end
		end
		if matched then
			local e = { tid = p.pid, pid = p.pid, fdtable = fdt }
			if not opts.barebone then
				local uid = t and tonumber(t.uid) or 0
				e.ptid = p.ppid
				e.comm = ffi.string(p.comm)
				e.exe = cstr(p.exe)
				e.exepath = cstr(p.exepath)
				e.args = nul_list(p.args, p.args_len)
				e.env = nul_list(p.env, p.env_len)
				e.cwd = cstr(p.cwd)
				e.flags = tonumber(p.flags)
				e.fdlimit = opts.replay and 0 or fdlimit(p.pid)
				e.uid = uid
				e.gid = t and tonumber(t.gid) or 0
				e.username = username(uid)
				e.nchilds = math.max(0, tonumber(p.nthreads) - 1)
				-- the main thread's, as sysdig's thread table has them (as
				-- of its exec or creation), from a capture or where lanner
				-- keeps them (a field or a capture asked); otherwise, and
				-- for an ancestor known from /proc with no thread, as
				-- /proc has them now
				if t ~= nil and (opts.replay or sess.want_vm) then
					e.vmsize_kb, e.vmrss_kb = tonumber(t.vm_size_kb), tonumber(t.vm_rss_kb)
					e.vmswap_kb = tonumber(t.vm_swap_kb)
				elseif not opts.replay then
					e.vmsize_kb, e.vmrss_kb, e.vmswap_kb = status_kb(p.pid)
				else
					e.vmsize_kb, e.vmrss_kb, e.vmswap_kb = 0, 0, 0
				end
				e.pfmajor, e.pfminor = 0, 0
				e.clone_ts = (tostring(p.start_ts):gsub("U?LL$", ""))
				e.container_id = cstr(p.container_id)
				e.nfds = tonumber(p.nfds)
			end
			out[p.pid] = e
		end
	end
	return out
end

function M.container_table(sess)
	local out, seen = {}, {}
	if sess == nil then return out end
	for p in sess:procs() do
		local id = cstr(p.container_id)
		if id ~= "" and id ~= "host" and not seen[id] then
			seen[id] = true
			out[#out + 1] = { id = id, name = id, image = "", type = "" }
		end
	end
	return out
end

local function mhz(path)
	local khz = tonumber((slurp(path) or ""):match("%d+"))
	return khz and math.floor(khz / 1000) or nil
end

function M.machine_info()
	local ncpu = tonumber(ffi.C.sysconf(84))  -- _SC_NPROCESSORS_ONLN
	local pages = tonumber(ffi.C.sysconf(85)) -- _SC_PHYS_PAGES
	local psize = tonumber(ffi.C.sysconf(30)) -- _SC_PAGESIZE
	local host = (slurp("/proc/sys/kernel/hostname") or ""):gsub("%s+$", "")
	return {
		num_cpus = ncpu,
		memory_size_bytes = pages * psize,
		max_pid = tonumber((slurp("/proc/sys/kernel/pid_max") or ""):match("%d+")) or 0,
		hostname = host,
		max_cpu_frequency = mhz("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"),
		min_cpu_frequency = mhz("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_min_freq"),
	}
end

local winsize = ffi.new("unsigned short[4]") -- struct winsize: row, col, xpixel, ypixel
local termios = ffi.new("char[64]")

function M.terminal_info()
	if ffi.C.ioctl(1, 0x5413, winsize) == 0 then -- TIOCGWINSZ
		return { width = winsize[1], height = winsize[0] }
	end
	return { width = -1, height = -1 }
end

function M.is_tty()
	return ffi.C.ioctl(1, 0x5401, termios) == 0 -- TCGETS, as isatty(3)
end

return M
