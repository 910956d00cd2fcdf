-- Argument predicates in the seccomp filter (lanner/filter/argpred.lua,
-- lanner/interest.lua, src/trace/filter.c): what the analysis derives,
-- that it is sound (a randomized check against the real fields: no call a
-- condition matches is held back), how consumers combine, the BPF's
-- verdict per (syscall, args) on both ABIs, and the kernel's action cache.
local core = require "lanner.core"
local filter = require "lanner.filter"
local fields = require "lanner.fields"
local argpred = require "lanner.filter.argpred"
local interest = require "lanner.interest"
local session = require "lanner.session"
local cache = require "lanner.seccomp_cache"
local H = require "spec.fields_helper"
local bit = require "bit"

local NARROW = { narrow = true }
local X64, I386 = cache.AUDIT_ARCH_X86_64, cache.AUDIT_ARCH_I386
local RET_TRACE, RET_ALLOW = 0x7ff00000, 0x7fff0000

local function analyze(src)
	local ast = assert(filter.expand(assert(filter.parse(src)), { macros = {}, lists = {} }))
	return filter.analyze(ast, fields), ast
end

local function texts(a)
	local out = {}
	for t, p in pairs(a.preds or {}) do out[t] = argpred.text(p) end
	return out
end

-- The session the CLI would build for these options (cli/run.lua).
local function session_for(o)
	local consumers = require "lanner.cli.consumers"
	o.rules, o.chisels, o.quiet = o.rules or {}, o.chisels or {}, true
	local c = assert(consumers.build(o, io.stdout, function() end))
	local modes, _, _, narrowed = interest.compute(c.needs, NARROW)
	local sess = assert(session.new())
	sess:trace(modes)
	for name, nw in pairs(narrowed) do
		for _, t in ipairs(nw.terms) do assert(sess:trace_arg(name, t.arg, t.mask, t.value, nw.mode)) end
	end
	return sess, modes, narrowed
end

local PACKAGED = {}
for f in io.popen("ls rules/*.yaml"):lines() do PACKAGED[#PACKAGED + 1] = f end

describe("argument predicates: analysis", function()
	local rows = {
		{ "evt.type in (open, openat, openat2, creat) and evt.is_open_write = true",
			{ open = "a1&0x3==0x1 | a1&0x3==0x2", openat = "a2&0x3==0x1 | a2&0x3==0x2" } },
		{ "evt.type = openat and evt.is_open_read = true", { openat = "a2&0x3==0x0 | a2&0x3==0x2" } },
		{ "evt.type = openat and evt.is_open_read = false", { openat = "a2&0x3==0x1 | a2&0x3==0x3" } },
		{ "evt.type = openat and not evt.is_open_write = true", { openat = "a2&0x3==0x0 | a2&0x3==0x3" } },
		{ "evt.type = openat and evt.is_open_write != true", { openat = "a2&0x3==0x0 | a2&0x3==0x3" } },
		{ "evt.type = openat and evt.is_open_create = true",
			{ openat = "a2&0x40==0x40 | a2&0x410000==0x410000" } },
		{ "evt.type = openat and evt.is_open_create = false", { openat = "a2&0x40==0x0" } },
		-- creat is always a write, never a read: decided without a stop
		{ "evt.type in (creat, openat2) and evt.is_open_read = true", { creat = "never" } },
		{ "evt.type = openat and evt.arg.flags contains O_WRONLY", { openat = "a2&0x3==0x1" } },
		{ "evt.type = openat and evt.arg.flags contains O_WRONLY and evt.arg.flags contains O_CREAT",
			{ openat = "a2&0x43==0x41" } },
		{ "evt.type = openat and evt.arg.flags contains O_WRONLY and evt.arg.flags contains O_RDWR",
			{ openat = "never" } },
		{ "evt.type = socket and evt.arg.domain = AF_INET", { socket = "a0&0xffffffff==0x2" } },
		{ "evt.type = socket and evt.arg.domain in (AF_INET, AF_INET6)",
			{ socket = "a0&0xffffffff==0x2 | a0&0xffffffff==0xa" } },
		{ "evt.type = socket and evt.arg.domain = 2", { socket = "a0&0xffffffff==0x2" } },
		{ "evt.type = socket and evt.rawarg.domain = 2", { socket = "a0&0xffffffff==0x2" } },
		{ "evt.type = socket and evt.arg.type contains SOCK_RAW", { socket = "a1&0xf==0x3" } },
		{ "evt.type = clone and evt.arg.flags contains CLONE_NEWUSER", { clone = "a0&0x10000000==0x10000000" } },
		{ "evt.type = fcntl and evt.arg.cmd = F_SETFL", { fcntl = "a1&0xffffffff==0x4" } },
		{ "evt.type in (kill, tgkill) and evt.arg.sig = SIGKILL",
			{ kill = "a1&0xffffffff==0x9", tgkill = "a2&0xffffffff==0x9" } },
		{ "evt.type in (mmap, mprotect) and evt.arg.prot contains PROT_EXEC",
			{ mmap = "a2&0x4==0x4", mprotect = "a2&0x4==0x4" } },
		{ "evt.type = ftruncate and evt.rawarg.length = 0", { ftruncate = "a1&0xffffffff==0x0" } },
		-- per type: the other branch does not widen openat
		{ "evt.type = socket or (evt.type = openat and evt.is_open_write = true)",
			{ openat = "a2&0x3==0x1 | a2&0x3==0x2" } },
		-- two registers in one conjunction: either is necessary
		{ "evt.type = socket and evt.arg.domain = AF_INET and evt.arg.type contains SOCK_RAW",
			{ socket = "a0&0xffffffff==0x2" } },
		-- or of two registers: each branch's term
		{ "evt.type = socket and (evt.arg.domain = AF_PACKET or evt.arg.type contains SOCK_RAW)",
			{ socket = "a0&0xffffffff==0x11 | a1&0xf==0x3" } },
		-- what must not narrow
		{ "evt.type = openat and (evt.is_open_write = true or proc.name = x)", {} },
		{ "evt.type = socket and evt.arg.domain != AF_INET", {} },
		{ "evt.type = socket and not evt.arg.domain = AF_INET", {} },
		{ "evt.type = socket and evt.arg.domain startswith AF_INET", {} },
		{ "evt.type = socket and tolower(evt.arg.domain) = af_inet", {} },
		{ "evt.type = socket and evt.arg.domain = nosuchname", {} },
		{ "evt.type = openat and evt.arg.flags contains O_DIRECT", {} },  -- in O_DIRECTORY
		{ "evt.type = openat and evt.arg.flags contains O_", {} },
		{ "evt.type = openat and evt.arg.flags = O_WRONLY", {} },
		{ "evt.type = openat2 and evt.is_open_write = true", {} },      -- flags in memory
		{ "evt.type = clone3 and evt.arg.flags contains CLONE_NEWUSER", {} },
		{ "evt.type = openat and evt.is_open_exec = false", {} },
		{ "evt.type = connect and evt.rawarg.addr = 0", {} },          -- a sockaddr
	}
	for _, r in ipairs(rows) do
		it(r[1], function()
			assert.same(r[2], texts(analyze(r[1])))
		end)
	end

	it("keeps the type set as it was", function()
		local a = analyze("evt.type = openat and evt.is_open_write = true and evt.is_open_write = false")
		assert.same({ openat = true }, a.types)
		assert.same({ openat = "never" }, texts(a))
	end)
end)

-- Values a register may hold: small numbers, named constants, the bits of
-- the predicates' masks in every mix, and noise.
local function pool_for(p)
	local pool = { 0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 16, 17, 0x40, 0x241, 0x80000, 0x410000, 0x10000000 }
	for _, t in ipairs(p or {}) do
		pool[#pool + 1] = t.value
		pool[#pool + 1] = t.mask
	end
	return pool
end

local function rand_reg(pool)
	local r = math.random()
	if r < 0.4 then return pool[math.random(#pool)] end
	if r < 0.7 then
		return bit.bor(pool[math.random(#pool)], pool[math.random(#pool)]) % 4294967296
	end
	return math.random(0, 0x7fffffff)
end

local function holds(p, regs)
	for _, t in ipairs(p) do
		if bit.band(regs[t.arg + 1], t.mask) % 4294967296 == t.value then return true end
	end
	return false
end

describe("argument predicates: soundness", function()
	-- Conditions whose predicates are checked against the real fields on
	-- random calls: every call the condition matches must pass.
	local conds = {
		"evt.type in (open, openat, creat) and evt.is_open_write = true",
		"evt.type in (open, openat, creat) and evt.is_open_read = true",
		"evt.type in (open, openat, creat) and evt.is_open_read = false",
		"evt.type in (open, openat, creat) and not evt.is_open_write = true",
		"evt.type in (open, openat, creat) and evt.is_open_create = true",
		"evt.type in (open, openat, creat) and evt.is_open_create = false",
		"evt.type in (open, openat) and evt.is_open_exec = true",
		"evt.type = openat and evt.arg.flags contains O_WRONLY",
		"evt.type = openat and evt.arg.flags contains O_RDONLY",
		"evt.type = openat and evt.arg.flags contains O_RDWR and evt.arg.flags contains O_TRUNC",
		"evt.type = openat and (evt.arg.flags contains O_CREAT or evt.arg.flags contains O_APPEND)",
		"evt.type = openat and evt.arg.flags contains O_EXCL",
		"evt.type = socket and evt.arg.domain in (AF_INET, AF_INET6, AF_PACKET)",
		"evt.type = socket and evt.arg.domain in (AF_UNIX, 99)",
		"evt.type = socket and (evt.arg.type contains SOCK_RAW or evt.arg.type contains SOCK_DGRAM)",
		"evt.type = socket and evt.arg.type contains SOCK_CLOEXEC",
		"evt.type = socket and evt.rawarg.domain in (2, 10)",
		"evt.type = clone and evt.arg.flags contains CLONE_NEWUSER",
		"evt.type = clone and evt.arg.flags contains CLONE_THREAD",
		"evt.type = fcntl and evt.arg.cmd in (F_SETFL, F_DUPFD_CLOEXEC)",
		"evt.type in (kill, tkill, tgkill) and evt.arg.sig in (SIGKILL, SIGUSR1, 0)",
		"evt.type in (mmap, mprotect) and evt.arg.prot contains PROT_EXEC",
		"evt.type = mmap and evt.arg.prot contains PROT_WRITE and evt.arg.prot contains PROT_EXEC",
		"evt.type = ptrace and evt.arg.request in (PTRACE_ATTACH, PTRACE_SEIZE, PTRACE_POKETEXT)",
		"evt.type = ftruncate and evt.rawarg.length = 0",
	}
	for _, src in ipairs(conds) do
		it(src, function()
			local a, ast = analyze(src)
			assert.is_truthy(a.preds, "no predicate derived")
			local fn = assert(filter.compile(ast, fields))
			local matched = 0
			for name, p in pairs(a.preds) do
				local info = core.type_info[core.type_id[name]]
				local pool = pool_for(p)
				for _ = 1, 3000 do
					local regs = {}
					for i = 1, 6 do regs[i] = rand_reg(pool) end
					local params = {}
					for i = 0, info.nparams - 1 do
						local src_reg = info.srcs[i]
						if src_reg <= 5 then
							local kind = info.kinds[i]
							-- strings and structs stay unread: not what is tested
							if kind < tonumber(core.C.LN_K_PATH) or kind > tonumber(core.C.LN_K_CLONE_ARGS) then
								params[info.pnames[i + 1]] = regs[src_reg + 1]
							end
						end
					end
					local ev = H.event { type = name, params = params }
					if fn(ev) then
						matched = matched + 1
						assert(holds(p, regs), string.format("%s: matched but held back: %s with regs %s",
							name, argpred.text(p), table.concat(regs, ",")))
					end
				end
			end
			assert.is_true(matched > 0, "no random call matched: the check proves nothing")
		end)
	end
end)

describe("argument predicates: union over consumers", function()
	local OW = analyze("evt.type = openat and evt.is_open_write = true")
	local OR = analyze("evt.type = openat and evt.is_open_read = true")

	it("narrows a type every consumer narrows", function()
		local modes, _, _, nw = interest.compute({ OW, OR }, NARROW)
		assert.is_nil(modes.openat)
		assert.equal("a2&0x3==0x1 | a2&0x3==0x2 | a2&0x3==0x0", argpred.text(nw.openat.terms))
	end)

	it("stops always when one consumer needs the type without a predicate", function()
		local modes, _, _, nw = interest.compute({ OW, { types = { openat = true }, fields = {} } }, NARROW)
		assert.is_truthy(modes.openat)
		assert.is_nil(nw.openat)
	end)

	it("stops always when a state table needs the type", function()
		local modes, _, fd_full, nw = interest.compute({ OW, { types = { close = true }, fields = { ["fd.types"] = true } } }, NARROW)
		assert.equal("exit", modes.openat)
		assert.is_nil(nw.openat)
		assert.is_true(fd_full)
	end)

	it("keeps the fd table lazy when an fd-making type is narrowed", function()
		local _, _, fd_full, nw = interest.compute({ OW }, NARROW)
		assert.is_truthy(nw.openat)
		assert.is_false(fd_full)
	end)

	it("hands a caller that did not ask for predicates the whole type", function()
		local modes, _, _, nw = interest.compute { OW }
		assert.is_truthy(modes.openat)
		assert.is_nil(next(nw))
	end)

	it("takes the exit mode if any narrowed need wants it", function()
		local e = analyze("evt.type = openat and evt.is_open_read = true and evt.res >= 0")
		local _, _, _, nw = interest.compute({ OW, e }, NARROW)
		assert.equal("exit", nw.openat.mode)
	end)

	it("folds rules: a rule without a predicate wins (Ruleset:interest)", function()
		local rules = require "lanner.rules"
		local base = "- rule: w\n  desc: d\n  condition: evt.type = openat and evt.is_open_write = true\n"
			.. "  output: o\n  priority: WARNING\n"
		local rs = rules.load({ { name = "a.yaml", content = base } })
		assert.equal("a2&0x3==0x1 | a2&0x3==0x2", argpred.text(rs:interest().preds.openat))
		rs = rules.load({ { name = "a.yaml", content = base .. "- rule: all\n  desc: d\n"
			.. "  condition: evt.type = openat and proc.name = x\n  output: o\n  priority: WARNING\n" } })
		assert.is_nil(rs:interest().preds)
	end)

	it("the packaged rules narrow ptrace and leave close untraced", function()
		local _, modes, nw = session_for { rules = PACKAGED }
		assert.is_truthy(nw.ptrace)
		assert.equal("exit", modes.openat) -- file rules read the result
		-- fd.sip & co need the calls that give a socket its role, not the
		-- whole fd table (interest.lua)
		assert.equal("exit", modes.connect)
		assert.equal("exit", modes.accept4)
		assert.is_nil(modes.close)
	end)
end)

-- The BPF's verdict per call, on the exact program (both ABIs).
describe("seccomp filter: verdicts per (syscall, args)", function()
	local sess = session_for { filter = "(evt.type = openat and evt.is_open_write = true)"
		.. " or (evt.type = socket and evt.arg.domain = AF_INET)"
		.. " or (evt.type in (kill, tgkill) and evt.arg.sig = SIGKILL)"
		.. " or (evt.type in (mmap, mprotect) and evt.arg.prot contains PROT_EXEC)"
		.. " or (evt.type = clone and evt.arg.flags contains CLONE_NEWUSER)"
		.. " or (evt.type = fcntl and evt.arg.cmd = F_SETFL)", print = "%evt.type" }
	local prog = assert(cache.program(sess))
	-- libseccomp names i386's socket(2) by its socketcall pseudo number
	local I386_DIRECT = { socket = 359 }
	local function verdict(arch, name, args)
		local nr = cache.nr(arch, name) or arch == I386 and I386_DIRECT[name]
		assert(nr, name)
		local k = assert(cache.run(prog, arch, nr, args))
		if k == RET_ALLOW then return "allow" end
		if bit.band(k, 0xffff0000) % 4294967296 == RET_TRACE then return "trace" end
		if bit.band(k, 0xffff0000) == 0x00050000 then return "errno" end
		return string.format("0x%x", k)
	end
	-- name, args, x86_64 verdict, i386 verdict
	local rows = {
		{ "openat", { -100, 0, 0 }, "allow", "allow" },          -- O_RDONLY
		{ "openat", { -100, 0, 0x80000 }, "allow", "allow" },    -- O_RDONLY|O_CLOEXEC
		{ "openat", { -100, 0, 1 }, "trace", "trace" },          -- O_WRONLY
		{ "openat", { -100, 0, 2 }, "trace", "trace" },          -- O_RDWR
		{ "openat", { -100, 0, 0x241 }, "trace", "trace" },      -- O_WRONLY|O_CREAT|O_TRUNC
		{ "openat", { -100, 0, { 0, 1 } }, "allow", "allow" },   -- high bits only: an O_RDONLY
		{ "socket", { 2, 1, 0 }, "trace", "trace" },
		{ "socket", { 1, 1, 0 }, "allow", "allow" },
		{ "socket", { { 2, 1 }, 1, 0 }, "trace", "trace" },      -- int: high half ignored
		{ "kill", { 1234, 9 }, "trace", "trace" },
		{ "kill", { 1234, 10 }, "allow", "allow" },
		{ "tgkill", { 1, 2, 9 }, "trace", "trace" },
		{ "tgkill", { 1, 9, 10 }, "allow", "allow" },
		{ "tkill", { 1, 9 }, "allow", "allow" },
		{ "mprotect", { 0, 4096, 5 }, "trace", "trace" },
		{ "mprotect", { 0, 4096, 3 }, "allow", "allow" },
		{ "mmap", { 0, 4096, 5, 0x22, -1, 0 }, "trace", "trace" },
		-- i386 "mmap" is old_mmap, arguments in memory: every call stops
		{ "mmap", { 0, 4096, 3, 0x22, -1, 0 }, "allow", "trace" },
		{ "fcntl", { 3, 4, 0 }, "trace", "trace" },
		{ "fcntl", { 3, 3, 0 }, "allow", "allow" },
		{ "clone", { 0x10000011 }, "trace", "trace" },
		{ "clone", { 0x11 }, "allow", "allow" },
		-- CLONE_UNTRACED is refused whatever else the flags say
		{ "clone", { 0x10800011 }, "errno", "errno" },
		{ "clone", { 0x00800011 }, "errno", "errno" },
		{ "getppid", {}, "allow", "allow" },
		{ "read", { 0, 0, 0 }, "allow", "allow" },
	}
	for _, r in ipairs(rows) do
		local label = string.format("%s(%s)", r[1], table.concat((function()
			local o = {}
			for i, v in ipairs(r[2]) do o[i] = type(v) == "table" and ("{" .. v[1] .. "," .. v[2] .. "}") or tostring(v) end
			return o
		end)(), ","))
		it(label .. ": " .. r[3] .. " on x86_64, " .. r[4] .. " on i386", function()
			local args = {}
			for i, v in ipairs(r[2]) do args[i] = type(v) == "number" and v < 0 and v + 2 ^ 64 or v end
			-- a negative number as the register holds it: all ones above
			for i, v in ipairs(r[2]) do
				if type(v) == "number" and v < 0 then args[i] = { v % 4294967296, 0xffffffff } end
			end
			assert.equal(r[3], verdict(X64, r[1], args))
			local a32 = {}
			for i, v in ipairs(args) do a32[i] = type(v) == "table" and v[1] or v end
			if r[1] == "socket" then
				-- the direct socket(2) of i386; socketcall(2) has its
				-- arguments in memory and stops on every SYS_SOCKET
				assert.equal("trace", verdict(I386, "socketcall", { 1, 0 }))
				assert.equal("allow", verdict(I386, "socketcall", { 3, 0 }))
			end
			assert.equal(r[4], verdict(I386, r[1], a32))
		end)
	end
end)

-- The kernel's action cache: an untraced syscall must be const-allow, on
-- both ABIs, so that it skips the filter.  Only the syscalls that stop, and
-- those whose verdict reads an argument, may miss it.
describe("seccomp filter: action cache", function()
	local function check(o)
		local sess, modes, narrowed = session_for(o)
		local prog = assert(cache.program(sess))
		for _, arch in ipairs { X64, I386 } do
			local byarg, traced = {}, {}
			for nr, why in pairs(cache.scan(prog, arch)) do
				local name = cache.name(arch, nr) or ("#" .. nr)
				if why:find("^loads") then byarg[name] = true else traced[name] = why end
			end
			-- i386's own names for native types (mmap2, fcntl64) go with them
			local function native(name)
				local a = arch == I386 and core.compat_alias[name]
				return a and a.type or name
			end
			-- every number that misses the cache is a syscall lanner asked for
			for name in pairs(traced) do
				-- seccomp always stops: a listener is refused there (refuse.c);
				-- so does setns: it can move where children go (filter.c)
				local asked = modes[native(name)] or narrowed[native(name)] or name == "clone3"
					or name == "seccomp" or name == "setns"
				if arch == I386 and (name == "socketcall" or name == "mmap") then asked = true end
				assert(asked, string.format("%s misses the cache on %s (%s) but is not traced",
					name, arch == X64 and "x86_64" or "i386", traced[name]))
			end
			-- and only narrowed types (and clone's CLONE_UNTRACED guard,
			-- prctl's PR_SET_SECCOMP guard, filter.c's install_guard, and
			-- unshare's CLONE_NEWPID one, pidns_guard) read arguments
			local want = { clone = true, prctl = not modes.prctl or nil, unshare = not modes.unshare or nil }
			for name in pairs(narrowed) do
				if arch == X64 or name ~= "mmap" then want[name] = true end
			end
			if arch == I386 then
				for alias, a in pairs(core.compat_alias) do
					if narrowed[a.type] then want[alias] = true end
				end
			end
			-- i386's socketcall(2) reads its first argument (which call it
			-- is) as soon as any socket call is traced: libseccomp's doing
			if arch == I386 then byarg.socketcall = nil end
			assert.same(want, byarg)
			-- every traced type misses it too (a stop is never skipped)
			for name in pairs(modes) do
				local nr = cache.nr(arch, name)
				if nr and nr >= 0 then assert.is_truthy(traced[name], name .. " is cached but traced") end
			end
			for alias, a in pairs(arch == I386 and core.compat_alias or {}) do
				if modes[a.type] then assert.is_truthy(traced[alias], alias .. " is cached but traced") end
			end
		end
	end

	it("for a plain filter (evt.type = openat)", function()
		check { filter = "evt.type = openat", print = "%evt.type" }
	end)
	it("for a filter with predicates", function()
		check { filter = "(evt.type = openat and evt.is_open_write = true) or "
			.. "(evt.type = socket and evt.arg.domain = AF_INET) or (evt.type = mmap and evt.arg.prot contains PROT_EXEC)",
			print = "%evt.type" }
	end)
	it("for the packaged rules", function()
		check { rules = PACKAGED }
	end)
	it("clone3 always stops with its exit (the CLONE_UNTRACED guard seizes children there)", function()
		local sess = assert(session.new())
		sess:trace { clone3 = "entry" }
		local prog = assert(cache.program(sess))
		for _, arch in ipairs { X64, I386 } do
			assert.equal(0x7ff04c02, cache.run(prog, arch, cache.nr(arch, "clone3"), {}))
		end
	end)

	local function misses(refusals)
		local sess = assert(session.new())
		if refusals then sess:set_refusals(refusals) end
		local prog = assert(cache.program(sess))
		local miss = {}
		for nr, why in pairs(cache.scan(prog, X64)) do miss[#miss + 1] = cache.name(X64, nr) .. ": " .. why end
		table.sort(miss)
		return miss
	end

	-- seccomp(2) stops on every call and prctl on PR_SET_SECCOMP: every
	-- filter install is seen (a listener refused, clone3.c's count kept);
	-- setns on every call and unshare on CLONE_NEWPID: every change of
	-- where a thread's children go is (state/tasks.c born_flat)
	local BASE = { "clone3: ret 0x7ff04c03", "clone: loads args[0]", "prctl: loads args[0]",
		"seccomp: ret 0x7ff04c03", "setns: ret 0x7ff04c03", "unshare: loads args[0]" }

	it("for nothing at all: clone reads its flags, prctl its option; clone3 and seccomp stop", function()
		assert.same(BASE, misses())
	end)

	it("with the listener allowed, seccomp stops for installs only; --refuse-io-uring stops its three calls", function()
		assert.same({ "clone3: ret 0x7ff04c03", "clone: loads args[0]", "prctl: loads args[0]",
			"seccomp: loads args[0]", "setns: ret 0x7ff04c03", "unshare: loads args[0]" },
			misses { listener = false })
		assert.same({ "clone3: ret 0x7ff04c03", "clone: loads args[0]", "io_uring_enter: ret 0x7ff04c03",
			"io_uring_register: ret 0x7ff04c03", "io_uring_setup: ret 0x7ff04c03", "prctl: loads args[0]",
			"seccomp: ret 0x7ff04c03", "setns: ret 0x7ff04c03", "unshare: loads args[0]" },
			misses { io_uring = true })
	end)

	it("prctl(PR_SET_SECCOMP) and seccomp(SET_MODE_FILTER) stop with no event asked for; the rest does not", function()
		local sess = assert(session.new())
		sess:set_refusals { listener = false }
		local prog = assert(cache.program(sess))
		for _, arch in ipairs { X64, I386 } do
			assert.equal(0x7ff04c03, cache.run(prog, arch, cache.nr(arch, "prctl"), { 22, 2 }))
			assert.equal(0x7fff0000, cache.run(prog, arch, cache.nr(arch, "prctl"), { 15 }))
			assert.equal(0x7ff04c03, cache.run(prog, arch, cache.nr(arch, "seccomp"), { 1, 0 }))
			assert.equal(0x7fff0000, cache.run(prog, arch, cache.nr(arch, "seccomp"), { 2, 0 }))
		end
	end)

	it("unshare(CLONE_NEWPID) and every setns stop with no event asked for; other unshares do not", function()
		local NEWPID, NEWNS, NEWUSER = 0x20000000, 0x20000, 0x10000000
		local sess = assert(session.new())
		local prog = assert(cache.program(sess))
		for _, arch in ipairs { X64, I386 } do
			assert.equal(0x7ff04c03, cache.run(prog, arch, cache.nr(arch, "unshare"), { NEWPID }))
			assert.equal(0x7ff04c03, cache.run(prog, arch, cache.nr(arch, "unshare"), { NEWPID + NEWNS }))
			assert.equal(0x7fff0000, cache.run(prog, arch, cache.nr(arch, "unshare"), { NEWNS + NEWUSER }))
			assert.equal(0x7ff04c03, cache.run(prog, arch, cache.nr(arch, "setns"), { 3, 0 }))
		end
	end)
end)
