-- The seccomp filter's argument predicates, loaded for real: lanner runs
-- spec/progs/argcalls with a filter or rules, and the calls that match
-- must arrive as events or alerts while the ones that cannot match must
-- not stop at all (--stats counts the stops).
local LANNER, PROG = "build/lanner", "build/progs/argcalls"

local function slurp(path)
	local f = io.open(path)
	if not f then return "" end
	local s = f:read("*a")
	f:close()
	return s
end

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- run(opts, calls) -> { lines = {stdout lines}, entry = n, exit = n, status = code }
local function run(opts, calls)
	local err = os.tmpname()
	local cmd = LANNER .. " --stats " .. opts .. " -- " .. PROG .. " " .. table.concat(calls, " ")
		.. " 2>" .. err
	local p = io.popen(cmd)
	local lines = {}
	for l in p:lines() do lines[#lines + 1] = l end
	local _, _, status = p:close()
	local stats = slurp(err)
	os.remove(err)
	local entry, exit = stats:match("entry (%d+), exit (%d+)")
	assert(entry, "no stats in: " .. stats)
	-- a call whose event needs only registers and no result reaches lanner
	-- as a seccomp notification (src/trace/notify.c): one stop all the same
	local notif = tonumber(stats:match("notifications (%d+)")) or 0
	return { lines = lines, entry = tonumber(entry) + notif, exit = tonumber(exit), status = status, stats = stats,
		notif = notif }
end

local function count(lines, pat)
	local n = 0
	for _, l in ipairs(lines) do if l:find(pat) then n = n + 1 end end
	return n
end

local NOISE = 300 -- calls that must not stop, per case

describe("seccomp argument predicates, loaded in a child", function()
	it("openat for writing: O_WRONLY, O_RDWR and O_CREAT stop, O_RDONLY does not", function()
		local r = run("-p '%evt.type %evt.arg.flags' 'evt.type = openat and evt.is_open_write = true'",
			{ "openat_rdonly:" .. NOISE, "openat_wronly:2", "openat_rdwr", "openat_creat", "getppid:" .. NOISE })
		assert.same({ "openat O_WRONLY", "openat O_WRONLY", "openat O_RDWR", "openat O_WRONLY|O_CREAT|O_TRUNC" },
			r.lines)
		assert.equal(4, r.entry)
		-- without the predicate every openat stops: the count above is not luck
		local plain = run("-p '%evt.type' 'evt.type = openat'", { "openat_rdonly:" .. NOISE, "openat_wronly:2" })
		assert.is_true(plain.entry >= NOISE + 2)
	end)

	it("open(2) too, and O_RDONLY|O_RDWR for reading", function()
		local r = run("-p '%evt.type %evt.arg.flags' 'evt.type in (open, openat) and evt.is_open_read = true'",
			{ "open_wronly:" .. NOISE, "openat_wronly:" .. NOISE, "open_rdonly", "openat_rdwr" })
		assert.equal(1, count(r.lines, "^open O_RDONLY$"))
		assert.equal(1, count(r.lines, "^openat O_RDWR$"))
		assert.equal(0, count(r.lines, "O_WRONLY"))
		assert.is_true(r.entry < 30, r.stats) -- the loader's own read-only opens, ours
	end)

	-- name, -p and filter, the calls, what prints: each line one stop
	for _, c in ipairs {
		{ "evt.arg.flags contains O_CREAT",
			"-p '%evt.type %evt.arg.flags' 'evt.type = openat and evt.arg.flags contains O_CREAT'",
			{ "openat_wronly:" .. NOISE, "openat_creat" }, { "openat O_WRONLY|O_CREAT|O_TRUNC" } },
		{ "socket: AF_INET stops, AF_UNIX does not",
			"-p '%evt.type %evt.arg.domain' 'evt.type = socket and evt.arg.domain = AF_INET'",
			{ "socket_unix:" .. NOISE, "socket_inet:2" }, { "socket AF_INET", "socket AF_INET" } },
		{ "kill and tgkill: SIGKILL stops, SIGUSR1 does not",
			"-p '%evt.type %evt.arg.sig' 'evt.type in (kill, tgkill) and evt.arg.sig = SIGKILL'",
			{ "kill_usr1:" .. NOISE, "tgkill_usr1:" .. NOISE, "kill_kill", "tgkill_kill" },
			{ "kill SIGKILL", "tgkill SIGKILL" } },
		{ "fcntl: the command",
			"-p '%evt.type %evt.arg.cmd' 'evt.type = fcntl and evt.arg.cmd = F_DUPFD_CLOEXEC'",
			{ "fcntl_getfl:" .. NOISE, "fcntl_dupfd" }, { "fcntl F_DUPFD_CLOEXEC" } },
	} do
		it(c[1], function()
			local r = run(c[2], c[3])
			assert.same(c[4], r.lines)
			assert.equal(#c[4], r.entry)
		end)
	end

	it("mmap and mprotect: PROT_EXEC stops, PROT_READ|PROT_WRITE does not", function()
		local r = run("-p '%evt.type %evt.arg.prot' 'evt.type in (mmap, mprotect) and evt.arg.prot contains PROT_EXEC'",
			{ "mmap_rw:" .. NOISE, "mprotect_ro:" .. NOISE, "mmap_exec", "mprotect_exec" })
		assert.equal(#r.lines, count(r.lines, "PROT_EXEC"))
		assert.is_true(count(r.lines, "^mmap PROT_READ|PROT_EXEC$") >= 1)
		assert.equal(1, count(r.lines, "^mprotect PROT_READ|PROT_EXEC$"))
		assert.equal(#r.lines, r.entry)
		assert.is_true(r.entry < 20, r.stats) -- the loader maps libc's text, then ours
	end)

	describe("rules", function()
		local dir
		setup(function()
			dir = os.tmpname()
			os.remove(dir)
			os.execute("mkdir -p " .. dir)
		end)
		teardown(function() os.execute("rm -rf " .. q(dir)) end)

		local function rules(name, text)
			local path = dir .. "/" .. name
			local f = assert(io.open(path, "w"))
			f:write(text)
			f:close()
			return path
		end
		local WRITE = [[
- rule: opened for writing
  desc: d
  condition: evt.type in (open, openat, openat2, creat) and evt.is_open_write = true and proc.name = argcalls
  output: "written flags=%evt.arg.flags"
  priority: WARNING
]]

		it("an alert still arrives for each narrowed call", function()
			local r = run("-R " .. rules("w.yaml", WRITE), { "openat_rdonly:" .. NOISE, "openat_wronly", "open_wronly" })
			assert.equal(2, count(r.lines, "written flags=O_WRONLY"))
			assert.is_true(r.entry < 10, r.stats)
		end)

		it("a rule that needs every openat widens it again (union)", function()
			local r = run("-R " .. rules("w2.yaml", WRITE .. [[
- rule: any open
  desc: d
  condition: evt.type = openat and proc.name = nosuchprocess
  output: o
  priority: WARNING
]]), { "openat_rdonly:" .. NOISE, "openat_wronly" })
			assert.equal(1, count(r.lines, "written flags=O_WRONLY"))
			assert.is_true(r.entry >= NOISE, r.stats)
		end)

		it("a rule reading fd.sip keeps the role calls only, not every fd-making call", function()
			local r = run("-R " .. rules("w3.yaml", WRITE .. [[
- rule: connect
  desc: d
  condition: evt.type = connect and fd.sip = 10.0.0.1
  output: o
  priority: WARNING
]]), { "openat_rdonly:" .. NOISE, "openat_wronly" })
			assert.equal(1, count(r.lines, "written flags=O_WRONLY"))
			-- the socket's role comes from connect/accept/listen
			-- (interest.lua): the read-only opens still do not stop
			assert.is_true(r.entry < NOISE, r.stats)
		end)
		it("a rule reading proc.fdopencount keeps every fd-making call (the fd table)", function()
			local r = run("-R " .. rules("w4.yaml", WRITE .. [[
- rule: many fds
  desc: d
  condition: evt.type = connect and proc.fdopencount > 1000
  output: o
  priority: WARNING
]]), { "openat_rdonly:" .. NOISE, "openat_wronly" })
			assert.equal(1, count(r.lines, "written flags=O_WRONLY"))
			assert.is_true(r.entry >= NOISE, r.stats)
		end)
	end)
end)
