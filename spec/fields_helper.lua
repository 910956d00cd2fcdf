-- Hand-built events for the field and format specs: ln_event, ln_thread,
-- ln_proc and ln_fd cdata filled from plain tables, with every string and
-- struct kept alive in an anchor list for the life of the spec run.
--
--   H.proc{ pid=, ppid=, comm=, exe=, exepath=, args={..}, env={..}, cwd=, ... }
--   H.thread{ tid=, proc=, uid=, gid=, cap_effective=, vm_size_kb=, ... }
--   H.fd{ num=, type="FILE", name=, tuple={ family=, lip={..}, rip={..}, ... } }
--   H.event{ type="openat", params={ name=value, .. }, res=, thread=, fd=, ... }
--   H.world{ procs={..}, fds={ [pid]={ [num]=fd } } }  installs the lookups
local ffi = require "ffi"
local core = require "lanner.core"
local fields = require "lanner.fields"
local cm = require "lanner.fields.common"

local C = core.C
local H = {}

local anchors = {}
local function keep(x) anchors[#anchors + 1] = x; return x end

local function cstr(s)
	if s == nil then return nil end
	local b = keep(ffi.new("char[?]", #s + 1))
	ffi.copy(b, s, #s)
	return b
end

local function nul_join(list)
	if list == nil or #list == 0 then return nil, 0 end
	local s = table.concat(list, "\0") .. "\0"
	local b = keep(ffi.new("char[?]", #s))
	ffi.copy(b, s, #s)
	return b, #s
end

function H.proc(t)
	local p = keep(ffi.new("ln_proc"))
	p.pid, p.ppid = t.pid or 100, t.ppid or 1
	p.vpid = t.vpid or p.pid
	p.sid, p.pgid = t.sid or p.pid, t.pgid or p.pid
	p.tty = t.tty or 0
	p.loginuid = t.loginuid or 4294967295
	p.nthreads, p.nfds = t.nthreads or 1, t.nfds or 3
	p.flags = t.flags or 0
	p.start_ts = t.start_ts or 0
	p.exec_ts = t.exec_ts or 0
	ffi.copy(p.comm, t.comm or "proc", math.min(#(t.comm or "proc"), 15))
	p.exe = cstr(t.exe)
	p.exepath = cstr(t.exepath)
	p.args, p.args_len = nul_join(t.args)
	p.env, p.env_len = nul_join(t.env)
	-- as the core keeps them (lanner.h): the cwd with its slash, the
	-- cmdline built from comm and args
	local cwd = t.cwd or "/"
	p.cwd = cstr(cwd:sub(-1) == "/" and cwd or cwd .. "/")
	local args = t.args and #t.args > 0 and table.concat(t.args, " ") or nil
	p.cmdline = cstr(ffi.string(p.comm) .. (args and " " .. args or ""))
	p.root = cstr(t.root or "/")
	p.container_id = cstr(t.container_id or "host")
	return p
end

function H.thread(t)
	local th = keep(ffi.new("ln_thread"))
	th.tid = t.tid or (t.proc and t.proc.pid) or 100
	th.vtid = t.vtid or th.tid
	th.uid, th.gid = t.uid or 0, t.gid or 0
	th.ruid, th.rgid = t.ruid or th.uid, t.rgid or th.gid
	th.cap_effective = t.cap_effective or 0
	th.cap_permitted = t.cap_permitted or 0
	th.cap_inheritable = t.cap_inheritable or 0
	th.start_ts = t.start_ts or 0
	th.vm_size_kb, th.vm_rss_kb, th.vm_swap_kb = t.vm_size_kb or 0, t.vm_rss_kb or 0, t.vm_swap_kb or 0
	th.proc = t.proc
	return th
end

local function ip_bytes(dst, ip)
	for i, b in pairs(ip or {}) do dst[i - 1] = b end -- sparse: unset bytes stay 0
end

function H.fd(t)
	local f = keep(ffi.new("ln_fd"))
	f.num = t.num or 3
	f.type = C["LN_FD_" .. (t.type or "FILE")]
	f.is_server = t.is_server and 1 or 0
	f.connected = t.connected and 1 or 0
	f.flags = t.flags or 0
	f.ino = t.ino or 0
	f.dev = t.dev or 0
	f.name = cstr(t.name or "")
	local tu = t.tuple
	if tu then
		f.tuple.family = tu.family or 2
		f.tuple.lport, f.tuple.rport = tu.lport or 0, tu.rport or 0
		f.tuple.l4proto = C["LN_L4_" .. (tu.l4proto or "TCP")]
		ip_bytes(f.tuple.lip, tu.lip)
		ip_bytes(f.tuple.rip, tu.rip)
	end
	return f
end

local BYTES = cm.BYTES_KIND
local num = 0

-- An event of a type by name.  params: values by Falco argument name
-- (numbers, or strings for byte kinds; false for a NULL pointer).
function H.event(t)
	local id = assert(core.type_id[t.type], "no event type " .. tostring(t.type))
	local info = core.type_info[id]
	local ev = keep(ffi.new("ln_event"))
	num = num + 1
	ev.num = t.num or num
	ev.ts = t.ts or 1700000000123456789ULL
	ev.latency = t.latency or 0
	ev.tid = t.tid or (t.thread and t.thread.tid) or 100
	ev.cpu = t.cpu or 0
	ev.type = id
	ev.nparams = info.nparams
	ev.has_res = (t.res ~= nil) and 1 or 0
	ev.res = t.res or 0
	ev.fdnum = t.fdnum or (t.fd and t.fd.num) or -1
	ev.thread = t.thread
	ev.fd = t.fd
	local params = t.params or {}
	for i = 0, info.nparams - 1 do
		local prm = ev.params[i]
		local kind = info.kinds[i]
		prm.kind = kind
		local v = params[info.pnames[i + 1]]
		if info.srcs[i] == core.SRC_RES and v == nil and t.res ~= nil then v = t.res end
		if v == false then
			prm.flags = C.LN_PF_NULL
		elseif BYTES[kind] or type(v) == "string" then
			if v ~= nil then
				local b = keep(ffi.new("char[?]", #v + 1))
				ffi.copy(b, v, #v)
				prm.str, prm.len, prm.flags = b, #v, C.LN_PF_READ
			end
		elseif v ~= nil then
			prm.val = v
		end
	end
	return ev
end

-- Raw bytes of a struct, for params whose str holds one (tuple, open_how).
function H.bytes(ctype, init)
	local v = ffi.new(ctype, init)
	return ffi.string(v, ffi.sizeof(v))
end

-- Install lookups over a set of processes and their fds.
function H.world(w)
	local by_pid = {}
	for _, p in ipairs(w.procs or {}) do by_pid[p.pid] = p end
	local fds = w.fds or {}
	fields.set_proc_lookup(function(pid) return by_pid[pid] end)
	fields.set_fd_lookup(function(p, n) local t = fds[p.pid]; return t and t[n] end)
	fields.set_fd_iter(function(p)
		local list, i = {}, 0
		for n, f in pairs(fds[p.pid] or {}) do list[#list + 1] = { n, f } end
		table.sort(list, function(a, b) return a[1] < b[1] end)
		return function() i = i + 1; return list[i] and list[i][2] end
	end)
end

function H.reset()
	fields.set_session(nil)
	fields.reset_cache()
end

-- Value of a field by name for ev (resolving must succeed).
function H.get(ev, name, i)
	local spec = assert(fields.resolve(name))
	return spec.get(ev, nil, i)
end

return H
