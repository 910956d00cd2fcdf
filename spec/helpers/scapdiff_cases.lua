-- What spec/scap_diff_spec.lua compares: the fields, the filters, the
-- chisels, and the named exceptions (each with the events it covers, by
-- a sysdig filter, and why).  doc/compatibility.md explains each.
local D = require "spec.helpers.scapdiff"

local M = {}

M.FIELDS = {
	"evt.num", "evt.time", "evt.time.s", "evt.rawtime", "evt.rawtime.s", "evt.rawtime.ns",
	"evt.datetime", "evt.dir", "evt.type", "evt.cpu", "evt.args", "evt.info", "evt.res",
	"evt.rawres", "evt.failed", "evt.is_io", "evt.is_io_read", "evt.is_io_write", "evt.io_dir",
	"evt.is_syslog", "evt.category", "evt.latency", "evt.buflen", "evt.is_open_read",
	"evt.is_open_write", "evt.count", "evt.count.error", "evt.count.exit", "evt.abspath",
	"proc.pid", "proc.exe", "proc.name", "proc.args", "proc.cmdline", "proc.exeline", "proc.cwd",
	"proc.nthreads", "proc.nchilds", "proc.ppid", "proc.pname", "proc.pcmdline", "proc.aname[1]",
	"proc.aname[2]", "proc.apid[1]", "proc.apid[2]", "proc.loginshellid", "proc.sid", "proc.sname",
	"proc.tty", "proc.exepath", "proc.vpgid", "proc.vpid", "proc.is_exe_writable", "proc.env",
	"proc.duration", "proc.fdopencount", "proc.vmsize", "proc.vmrss", "proc.vmswap", "thread.tid",
	"thread.ismain", "thread.vtid", "thread.vmsize", "thread.vmrss",
	"fd.num", "fd.type", "fd.typechar", "fd.name", "fd.directory", "fd.filename", "fd.cip",
	"fd.sip", "fd.lip", "fd.rip", "fd.cport", "fd.sport", "fd.lport", "fd.rport", "fd.l4proto",
	"fd.sockfamily", "fd.is_server", "fd.uid", "fd.dev", "fd.dev.major", "fd.dev.minor",
	"fd.connected", "fd.cproto", "fd.sproto", "fd.lproto", "fd.rproto", "user.uid", "user.name",
	"user.homedir", "user.shell", "user.loginuid", "user.loginname", "group.gid", "group.name",
}

local OPEN = "evt.type in (open, openat, openat2, creat)"

-- every fd.* field compared
local FD = {}
for _, f in ipairs(M.FIELDS) do if f:match("^fd%.") then FD[#FD + 1] = f end end

-- events: a sysdig filter, "paired" (an enter and its exit made the
-- event) or "all".
M.EXCEPTIONS = {
	{ name = "exit-alone-latency", events = "alone",
		fields = { "evt.latency" },
		reason = "these exits are written without their enter (they carry all of its parameters): sysdig 0.29 " ..
			"takes the latency from the thread's previous event, lanner has none (0)" },
	{ name = "exit-args", events = "all", fields = { "evt.args", "evt.info" },
		reason = "sysdig prints an exit event's own parameters; lanner's event has the enter's and the exit's, " ..
			"as Falco's exit-only events now do, and renders some differently (dev=0xfe00, no (path) suffix)" },
	{ name = "generic", events = "evt.arg.ID exists",
		fields = { "evt.dir", "evt.failed", "evt.count.exit", "evt.category", "evt.res", "evt.rawres" },
		reason = "syscalls libscap 0.29 has no event for travel as generic events, which carry the syscall's " ..
			"number and no result: lanner's event has no result ('>'), sysdig calls the exit '<' and not failed, " ..
			"of category unknown" },
	{ name = "event-names", events = "evt.type in (pread, pwrite)", fields = { "evt.type" },
		reason = "lanner names events after the syscall (pread64, pwrite64); libscap 0.29's event is pread, pwrite" },
	{ name = "errno-names", events = "evt.rawres <= -512 and evt.rawres >= -530", fields = { "evt.res" },
		reason = "sysdig 0.29 prints the kernel's internal errnos (ERESTARTNOINTR ...) as numbers" },
	{ name = "buflen-io-other", events = "evt.type in (close, dup, fcntl, ioctl, splice)", fields = { "evt.buflen" },
		reason = "sysdig 0.29 gives every I/O-category event its result as buffer length; these have no buffer" },
	{ name = "creat-flags", events = "evt.type = creat", fields = { "evt.is_open_write", "evt.is_open_read" },
		reason = "libsinsp 0.29 gives creat no open flags; creat is open(O_CREAT|O_WRONLY|O_TRUNC)" },
	{ name = "thread-parent", events = "thread.ismain = false",
		fields = { "proc.pname", "proc.pcmdline", "proc.nchilds", "proc.duration" },
		reason = "sysdig 0.29 takes a non-main thread's parent, children and start from the thread itself; " ..
			"Falco (and lanner) from its process" },
	{ name = "closed-fd-count", events = "evt.type = close", fields = { "proc.fdopencount" },
		reason = "sysdig 0.29 removes a closed fd after the close event is shown; lanner's state is the one after" },
	{ name = "failed-open-fd", events = OPEN .. " and evt.rawres < 0", fields = FD,
		reason = "for a failed open sysdig 0.29 keeps the fd number and type of the thread's previous fd event" },
	{ name = "two-fd-events", events = "evt.type in (pipe, socketpair)", fields = FD,
		reason = "sysdig 0.29 gives pipe and socketpair their second fd; lanner (as live) none" },
	{ name = "fd-less-events", events = "evt.type in (fchmod, fchown, fstat, fsync, fdatasync, flock, fchdir)",
		fields = FD,
		reason = "libscap 0.29's table does not mark these as using their fd argument: sysdig shows no fd" },
	{ name = "pipe-names", events = "fd.typechar = p", fields = { "fd.name", "fd.directory", "fd.filename" },
		reason = "lanner names a pipe pipe:[INODE] as the kernel does; libsinsp 0.29 leaves pipes made by pipe() " ..
			"unnamed" },
	{ name = "unix-names", events = "fd.typechar = u",
		fields = { "fd.name", "fd.directory", "fd.filename", "fd.cport", "fd.cproto", "fd.sport", "fd.sproto" },
		reason = "sysdig names a unix socket 'SRC->DST path' with the kernel's socket addresses, which ptrace " ..
			"cannot see (lanner writes 0) and lanner's fd names leave out" },
	{ name = "socket-ends", events = "fd.typechar in (4, 6) and not fd.connected = true",
		fields = { "fd.l4proto", "fd.sip", "fd.sport", "fd.sproto", "fd.name", "fd.is_server" },
		reason = "lanner knows a socket's protocol from socket()'s type, its own end from bind() and that it " ..
			"serves from listen(), as the kernel tells live lanner; sysdig 0.29 learns them at connect or accept" },
	{ name = "loopback-ends", events = "fd.typechar in (4, 6) and fd.is_server = true",
		fields = { "fd.lip", "fd.rip", "fd.lport", "fd.rport", "fd.lproto", "fd.rproto", "fd.is_server" },
		reason = "sysdig 0.29 tells local from remote by the machine's addresses, which both ends of a loopback " ..
			"connection share: it calls the client's end local on the server's side too" },
	{ name = "fd-dev-unset", events = "fd.typechar exists and not fd.typechar in (f, d)",
		fields = { "fd.dev", "fd.dev.major", "fd.dev.minor" },
		reason = "sysdig 0.29 prints a device for fds its parsers never gave one (pipes, sockets): not a value " ..
			"of the capture" },
	{ name = "fcntl-dupfd", events = "evt.type = fcntl and evt.rawres > 2", fields = { "fd.num", "fd.uid" },
		reason = "for fcntl(F_DUPFD) sysdig 0.29 shows the new fd; lanner the fd fcntl acts on (its fd argument)" },
	{ name = "late-lone-enters", events = "lone", fields = { "proc.nthreads", "proc.nchilds" },
		reason = "an enter whose exit never came (exit, exit_group) is known as such only at the thread's next " ..
			"event: lanner hands it out then, with the process's threads as they are then" },
	{ name = "wait-sleep-time", events = "evt.type in (poll, ppoll, select, epoll_wait, nanosleep, timerfd_create)",
		fields = { "evt.category" },
		reason = "libscap's categories wait, sleep and time are not in lanner's table (these are file, other)" },
	{ name = "clone-after-child", events = "proc.duration > 9000000000000000000", fields = { "proc.duration" },
		reason = "lanner reports a creator's clone when its exit stop comes, which can be after the child's first " ..
			"syscalls: sysdig 0.29 then prints the negative duration as a huge unsigned one, lanner none (<NA>); " ..
			"if the child has ended by then, sysdig counts it again in proc.nthreads and proc.nchilds, so the " ..
			"corpus's threads program starts no thread's calls before its creator's clones returned" },
	{ name = "gid-high-bits", events = "group.gid > 4294967295", fields = { "group.gid" },
		reason = "sysdig 0.29 prints gids above 32 bits for threads made by clone: not a value of the capture" },
}

-- For each field, the events the exceptions naming it cover (each
-- exception's set in e.set).
function M.skips(path, nums, paired)
	local skip_of = {}
	for _, e in ipairs(M.EXCEPTIONS) do
		local set = e.events == "paired" and paired or e.events == "all" and nums
			or e.events == "lone" and D.lone(nums, paired, path)
			or e.events == "alone" and D.alone(nums, paired, path) or D.sysdig_nums(path, e.events)
		e.set = set
		for _, f in ipairs(e.fields) do
			skip_of[f] = skip_of[f] or {}
			for n in pairs(set) do skip_of[f][n] = true end
		end
	end
	return skip_of
end

-- Fields whose value depends on the event's fd (or its category, which
-- does for I/O events).
local function fd_dependent(f)
	return f:match("^fd%.") or f == "evt.category" or f == "evt.buflen" or f:match("^evt%.is_io")
		or f == "evt.io_dir"
end

-- Which events a filter's comparison leaves out: those the exceptions of
-- every field it names cover, and (exception "filter-drops-enter") for a
-- filter on fd fields, the exits whose enter sysdig's filter rejected:
-- libsinsp 0.29 then forgets the enter, and evaluates the exit without
-- its fd (a read's exit has no fd of its own).
function M.skip_for(flt, skip_of, paired, raw)
	local skip, fd = {}, false
	for f in flt:gmatch("[%a_]+%.[%w_.]+%[?%d*%]?") do
		for n in pairs(skip_of[f] or {}) do skip[n] = true end
		fd = fd or fd_dependent(f)
	end
	if fd and paired and raw then
		for n, enter in pairs(paired) do
			if not raw[enter] then skip[n] = true end
		end
	end
	return skip
end

-- Values a field takes in the capture (sysdig's), most frequent first.
local function values_of(path, nums, f)
	local sv = D.values(path, { f }, nums)
	local count = {}
	for _, t in pairs(sv) do
		local v = t[1]
		if v ~= "<NA>" and v ~= "" and not v:find("[ ()',\"]") then count[v] = (count[v] or 0) + 1 end
	end
	local vs = {}
	for v, c in pairs(count) do vs[#vs + 1] = { v, c } end
	table.sort(vs, function(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] < b[1]) end)
	local out = {}
	for i, x in ipairs(vs) do out[i] = x[1] end
	return out
end

local STRINGS = { "proc.name", "evt.type", "fd.name", "fd.directory", "fd.filename", "proc.exe", "proc.pname",
	"user.name", "group.name", "fd.typechar", "fd.type", "evt.category", "proc.aname[2]", "fd.l4proto",
	"fd.sockfamily", "evt.res", "proc.exepath", "proc.cwd", "proc.sname", "evt.dir" }
local NUMBERS = { "proc.pid", "thread.tid", "evt.rawres", "fd.num", "proc.nthreads", "fd.sport", "fd.cport",
	"user.uid", "proc.ppid", "evt.buflen", "evt.count", "proc.vpid" }

-- At least 200 filters: every operator sysdig 0.29 has on the fields
-- above, with values the capture has, lists, negations, missing fields
-- and combinations.  (sysdig 0.29 has no transformers, bcontains or val().)
function M.filters(path, nums)
	local out = {}
	local function add(f) out[#out + 1] = f end
	for _, f in ipairs(STRINGS) do
		local vs = values_of(path, nums, f)
		local a, b = vs[1], vs[#vs]
		if a then
			add(f .. " = " .. a)
			add(f .. " != " .. a)
			add("not " .. f .. " = " .. b)
			-- sysdig 0.29 takes evt.type values from its event table only
			local other = f == "evt.type" and "" or ", nosuchvalue"
			add(f .. " in (" .. a .. ", " .. b .. other .. ")")
			if f ~= "evt.type" and #a > 1 then
				add(f .. " contains " .. a:sub(2, math.max(2, #a - 1)))
				add(f .. " icontains " .. a:upper())
				add(f .. " startswith " .. a:sub(1, math.max(1, math.floor(#a / 2))))
				add(f .. " endswith " .. a:sub(-math.max(1, math.floor(#a / 2))))
				add(f .. " glob *" .. a:sub(-1))
			end
			if f ~= "evt.type" then add(f .. " exists") end
		end
	end
	for _, f in ipairs(NUMBERS) do
		local vs = values_of(path, nums, f)
		local a = vs[1]
		if a then
			add(f .. " = " .. a)
			add(f .. " != " .. a)
			add(f .. " < " .. a)
			add(f .. " <= " .. a)
			add(f .. " > " .. a)
			add(f .. " >= " .. a)
			add(f .. " in (" .. a .. ", " .. (vs[2] or a) .. ")")
		end
	end
	for _, f in ipairs {
		"fd.name pmatch (/etc, /usr/lib)", "fd.directory pmatch (/tmp)", "proc.name in (sh, cat, ls)",
		"evt.type in (open, openat) and evt.failed = true", "evt.type = openat and not fd.name startswith /usr",
		"(evt.type = read or evt.type = write) and fd.typechar = f", "evt.is_io = true and fd.typechar = 4",
		"evt.is_open_read = true", "evt.is_open_write = true", "evt.failed = true and proc.name = sh",
		"fd.num >= 0 and fd.num < 3", "proc.aname[2] = sh and evt.type = execve", "evt.type = execve",
		"evt.type = clone and evt.rawres > 0", "evt.type = connect and fd.sport exists",
		"evt.type = accept", "fd.l4proto = udp", "fd.l4proto = tcp and fd.is_server = true",
		"not (proc.name = sh or proc.name = threads)", "evt.category = net", "evt.category in (file, net)",
		"fd.cip = 127.0.0.1", "fd.rip = 127.0.0.1 and fd.rport > 1024", "user.uid = 0 and evt.type = close",
		"proc.cmdline contains /", "proc.args contains -", "proc.exe endswith sh", "thread.ismain = false",
		"evt.rawres < 0 and evt.type != close", "fd.name glob /etc/*", "fd.name glob *.so.?",
		"fd.typechar = d", "evt.is_io_write = true", "evt.is_io_read = true and evt.rawres > 0",
		"evt.count = 1", "proc.nthreads > 1", "evt.type = procexit", "evt.nosuchfield exists",
	} do
		if not f:find("nosuchfield") then add(f) end
	end
	return out
end

-- sysdig's stock chisels that make sense without containers; exception:
-- the reason the outputs differ, for those that do.
M.CHISELS = {
	{ name = "topfiles_bytes" }, { name = "topfiles_errors" }, { name = "topprocs_file" },
	{ name = "topprocs_net" }, { name = "topconns" }, { name = "topports_server" },
	-- interval chisels: a line per second of event time
	{ name = "iobytes", exception = "interval-lines" }, { name = "iobytes_file", exception = "interval-lines" },
	{ name = "iobytes_net", exception = "interval-lines" }, { name = "netstat" },
	{ name = "stdout" }, { name = "stderr" }, { name = "echo_fds", exception = "pipe-names" },
	{ name = "spy_users" },
	{ name = "fdbytes_by", args = "fd.name", exception = "pipe-names" }, { name = "fdcount_by", args = "proc.name", exception = "failed-open-fd" },
	{ name = "spy_file", exception = "ascii-buffers" }, { name = "spy_ip", args = "127.0.0.1" },
	{ name = "topprocs_errors" },
	{ name = "topscalls", exception = "enter-events" },
	{ name = "ps", exception = "last-thread" },
	{ name = "lsof", exception = "last-thread" },
	{ name = "list_login_shells", exception = "execve-exe" },
	{ name = "topscalls_time", exception = "exit-alone-latency" },
	{ name = "topfiles_time" }, { name = "proc_exec_time" },
}

local function sh(cmd)
	local p = io.popen(cmd)
	local s = p:read("*a")
	p:close()
	return s
end

-- Both outputs, lines sorted (equal rows come in any order).
function M.run_chisel(path, c)
	local args = c.args and (" " .. D.q(c.args)) or ""
	-- from the capture's directory: sysdig looks in ./chisels first, which
	-- in the repository root are lanner's own
	local cd = "cd " .. D.q(path:match("^(.*)/[^/]*$") or ".") .. " && "
	local s = sh(cd .. "timeout 120 sysdig -r " .. path .. " -c " .. c.name .. args .. " 2>&1 | LC_ALL=C sort")
	local l = sh(cd .. "LANNER_CHISEL_PATH=/usr/share/sysdig/chisels timeout 120 " .. D.LANNER .. " -q -r " ..
		path .. " -c " .. c.name .. args .. " 2>&1 | LC_ALL=C sort")
	return s, l
end

function M.first_diff(a, b)
	local la, lb = {}, {}
	for x in a:gmatch("[^\n]*") do la[#la + 1] = x end
	for x in b:gmatch("[^\n]*") do lb[#lb + 1] = x end
	for i = 1, math.max(#la, #lb) do
		if la[i] ~= lb[i] then
			return string.format("  line %d\n  sysdig: %s\n  lanner: %s", i, la[i] or "", lb[i] or "")
		end
	end
	return ""
end

-- build/test/scap_diff.md: the tables doc/compatibility.md shows.
function M.write_report(r, exceptions)
	os.execute("mkdir -p build/test")
	local f = io.open("build/test/scap_diff.md", "w")
	if not f then return end
	f:write("| field | events | agree (all) | compared | agree | exceptions |\n|---|---|---|---|---|---|\n")
	for _, x in ipairs(r.fields) do
		local ex = {}
		for _, e in ipairs(exceptions) do
			for _, g in ipairs(e.fields) do if g == x.field then ex[#ex + 1] = e.name end end
		end
		f:write(string.format("| %s | %d | %d | %d | %d | %s |\n", x.field, x.r.all, x.r.all_agree, x.r.total,
			x.r.agree, table.concat(ex, ", ")))
	end
	f:write(string.format("\nfilters: %d compared, %d select the same events\n\n", r.filters.n, r.filters.same))
	f:write("| chisel | lines (sysdig) | same output | exception |\n|---|---|---|---|\n")
	for _, x in ipairs(r.chisels) do
		f:write(string.format("| %s%s | %d | %s | %s |\n", x.c.name, x.c.args and (" " .. x.c.args) or "",
			x.lines, x.same and "yes" or "no", x.c.exception or ""))
	end
	f:close()
end

return M
