-- 32-bit x86 programs on x86_64 (the int 0x80 ABI): the calls a 32-bit
-- libc makes under names of their own (mmap2, fcntl64, setuid32: the
-- COMPAT rows of src/table/syscalls.def) are reported as the native types, as
-- Falco does, with the native arguments (mmap2's offset in bytes, not
-- pages); they stop whenever their native type is traced, narrowed by the
-- same predicates; and their effects keep the fd table (fcntl64 F_DUPFD
-- makes an fd).  spec/progs/compat32_m32.c makes the calls.
local core = require "lanner.core"
local session = require "lanner.session"
local cache = require "lanner.seccomp_cache"
local trace = require "spec.helpers.trace"

local X64, I386 = cache.AUDIT_ARCH_X86_64, cache.AUDIT_ARCH_I386
local RET_ALLOW = 0x7fff0000

describe("compat: the 32-bit names in the table", function()
	it("are i386 syscalls that x86_64 lacks, each for a native type", function()
		assert.is_truthy(next(core.compat_alias))
		for alias, a in pairs(core.compat_alias) do
			assert.is_nil(core.type_id[alias], alias .. " is a type of its own")
			assert.is_truthy(cache.nr(I386, alias), alias .. " is no i386 syscall")
			assert.is_nil(cache.nr(X64, alias), alias .. " is an x86_64 syscall")
			assert.is_truthy(core.type_id[a.type], a.type)
		end
	end)

	it("mmap2 is mmap, its page-counted argument mmap's offset; fcntl64 is fcntl", function()
		assert.same({ type = "mmap", pages = 5 }, core.compat_alias.mmap2)
		local mmap = core.type_info[core.type_id.mmap]
		assert.equal(5, mmap.srcs[mmap.pindex.offset])
		assert.same({ type = "fcntl" }, core.compat_alias.fcntl64)
		assert.same({ type = "setuid" }, core.compat_alias.setuid32)
	end)
end)

describe("compat: the seccomp filter's i386 part", function()
	-- "trace" or "allow" for a call on an ABI, on the exact program
	local function verdict(sess, arch, name, args)
		local prog = assert(cache.program(sess))
		local k = assert(cache.run(prog, arch, assert(cache.nr(arch, name), name), args))
		return k == RET_ALLOW and "allow" or string.format("0x%x", k)
	end
	local function traced(v) return v ~= "allow" and v:match("^0x7ff0") ~= nil end

	it("stops mmap2 and fcntl64 when mmap and fcntl are traced, and only then", function()
		local sess = assert(session.new())
		local anon = { 0, 4096, 3, 0x22, 0xffffffff, 0 }
		assert.equal("allow", verdict(sess, I386, "mmap2", anon))
		assert.equal("allow", verdict(sess, I386, "fcntl64", { 3, 0, 300 }))
		sess:trace { mmap = "entry", fcntl = "exit" }
		assert.is_true(traced(verdict(sess, I386, "mmap2", anon)))
		assert.is_true(traced(verdict(sess, I386, "fcntl64", { 3, 0, 300 })))
		-- the exit too, where the native type wants it (fcntl's effect)
		assert.equal(verdict(sess, I386, "fcntl", { 3, 0, 300 }), verdict(sess, I386, "fcntl64", { 3, 0, 300 }))
		assert.equal(verdict(sess, X64, "mmap", anon), verdict(sess, I386, "mmap2", anon))
		assert.equal("allow", verdict(sess, I386, "setuid32", { 0 }))
	end)

	it("narrows them by their native type's predicates, in the same registers", function()
		local sess = assert(session.new())
		assert(sess:trace_arg("mmap", 2, 4, 4, "exit"))		-- prot & PROT_EXEC
		assert(sess:trace_arg("fcntl", 1, 0xffffffff, 0, "exit"))	-- cmd == F_DUPFD
		assert.is_true(traced(verdict(sess, I386, "mmap2", { 0, 4096, 5, 0x22, 0xffffffff, 0 })))
		assert.equal("allow", verdict(sess, I386, "mmap2", { 0, 4096, 3, 0x22, 0xffffffff, 0 }))
		assert.is_true(traced(verdict(sess, I386, "fcntl64", { 3, 0, 300 })))
		assert.equal("allow", verdict(sess, I386, "fcntl64", { 3, 4, 0 }))
	end)

	it("stops every mmap2 when a predicate reads the offset (pages there, bytes in mmap)", function()
		local sess = assert(session.new())
		assert(sess:trace_arg("mmap", 5, 0xffffffff, 4096, "exit"))
		assert.is_true(traced(verdict(sess, I386, "mmap2", { 0, 4096, 1, 1, 3, 1 })))
		assert.is_true(traced(verdict(sess, I386, "mmap2", { 0, 4096, 1, 1, 3, 7 })))
		assert.is_true(traced(verdict(sess, X64, "mmap", { 0, 4096, 1, 1, 3, 4096 })))
		assert.equal("allow", verdict(sess, X64, "mmap", { 0, 4096, 1, 1, 3, 8192 }))
	end)
end)

-- "|"-separated fields of lanner -p, and evt.args split into name=value.
local FMT = "*%evt.type|%evt.res|%fd.num|%fd.name|%proc.fdopencount|%evt.args"
local function parse(out)
	local evs = {}
	for line in out:gmatch("[^\n]+") do
		local ty, res, fdnum, fdname, _, args = line:match("^([%w_]+)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$")
		if ty then
			local a = {}
			for k, v in args:gmatch("([%w_]+)=(%S*)") do a[k] = v end
			evs[#evs + 1] = { type = ty, res = res, fdnum = fdnum, fdname = fdname, args = a }
		end
	end
	return evs
end

-- strace's view of the same calls: { name, args = {...}, res } per line.
local function strace_calls(path)
	local out = {}
	for line in io.lines(path) do
		local name, args, res = line:match("^%d+%s+([%w_]+)%((.*)%)%s+=%s+(%S+)")
		if name then
			local a = {}
			for v in (args .. ","):gmatch("%s*([^,]*),") do a[#a + 1] = v end
			out[#out + 1] = { name = name, args = a, res = res }
		end
	end
	return out
end

describe("compat: a 32-bit program traced by build/lanner", function()
	local prog = trace.prog("compat32_m32")
	local lanner = trace.root .. "/build/lanner"
	local D, runs, why

	setup(function()
		D = trace.mkdtemp()
		-- the kernel may have no IA32 emulation (built without it, or
		-- turned off: ia32_emulation=0, some VMs): 126 is ENOEXEC's
		local out, rc = trace.sh(trace.shell_quote(prog) .. " " .. trace.shell_quote(D) .. " 2>&1")
		runs = rc == 0
		why = rc == 126 and "this kernel runs no 32-bit x86 programs" or ("compat32_m32 exited " .. rc .. ": " .. out)
	end)
	teardown(function()
		if D then trace.rmrf(D) end
	end)

	local function run(filter)
		local cmd = string.format("%s -q -p %s %s -- %s %s", trace.shell_quote(lanner), trace.shell_quote(FMT),
			trace.shell_quote(filter), trace.shell_quote(prog), trace.shell_quote(D))
		local out, rc = trace.sh(cmd .. " 2>&1")
		assert.equal(0, rc, out)
		return parse(out)
	end

	it("reports mmap2 as mmap, its offset in bytes, and fcntl64 as fcntl whose fd a write then names", function()
		if not runs then pending(why) return end
		local evs = run("proc.name = compat32_m32 and evt.type in (mmap, fcntl, write)")
		local file = D .. "/m.dat"
		local function find(pred)
			for _, e in ipairs(evs) do if pred(e) then return e end end
		end
		local m = find(function(e) return e.type == "mmap" and e.args.length == "4096" and e.args.prot == "1(PROT_READ)" end)
		assert.is_truthy(m, "the file-backed mmap2")
		assert.equal("4096", m.args.offset)	-- one page
		assert.equal("1(MAP_SHARED)", m.args.flags)
		assert.equal("3(<f>" .. file .. ")", m.args.fd)
		assert.matches("^0x%x+$", m.args.res)
		local x = find(function(e)
			return e.type == "mmap" and e.args.length == "12288" and e.args.prot == "5(PROT_READ|PROT_EXEC)"
		end)
		assert.is_truthy(x, "the anonymous mmap2")
		assert.equal("34(MAP_PRIVATE|MAP_ANONYMOUS)", x.args.flags)
		assert.equal("-1", x.args.fd)
		assert.equal("0", x.args.offset)
		local f = find(function(e) return e.type == "fcntl" end)
		assert.is_truthy(f, "fcntl64")
		assert.equal("0(F_DUPFD)", f.args.cmd)
		assert.equal("300", f.args.res)
		assert.equal("3(<f>" .. file .. ")", f.args.fd)
		-- the fd table is exact here (proc.fdopencount): only fcntl64's
		-- effect can have made fd 300 known
		local w = find(function(e) return e.type == "write" and e.fdnum == "300" end)
		assert.is_truthy(w, "the write on the new fd")
		assert.equal(file, w.fdname)
		assert.equal("dup", w.args.data)
		local want = { mmap = true, fcntl = true, write = true }
		for _, e in ipairs(evs) do assert.is_true(want[e.type], e.type) end

		-- strace's view of the same calls
		local log = D .. "/strace.txt"
		local _, rc = trace.sh(string.format("strace -f -qq -e trace=mmap2,fcntl64 -o %s %s %s",
			trace.shell_quote(log), trace.shell_quote(prog), trace.shell_quote(D)))
		assert.equal(0, rc)
		local st = strace_calls(log)
		local sm, sf
		for _, c in ipairs(st) do
			if c.name == "mmap2" and c.args[2] == "4096" and c.args[3] == "PROT_READ" then sm = c end
			if c.name == "fcntl64" and c.args[2] == "F_DUPFD" then sf = c end
		end
		assert.is_truthy(sm, "strace saw the mmap2")
		assert.equal(tonumber(m.args.offset), tonumber(sm.args[6]))	-- strace: 0x1000
		assert.equal("MAP_SHARED", sm.args[4])
		assert.is_truthy(sf, "strace saw the fcntl64")
		assert.equal(f.args.res, sf.res)
		assert.equal("300", sf.args[3])
	end)

	it("stops only the mmap2 a PROT_EXEC predicate asks for", function()
		if not runs then pending(why) return end
		local evs = run("proc.name = compat32_m32 and evt.type = mmap and evt.arg.prot contains PROT_EXEC")
		local ours
		for _, e in ipairs(evs) do
			assert.equal("mmap", e.type)
			assert.matches("PROT_EXEC", e.args.prot)
			if e.args.length == "12288" and e.args.flags == "34(MAP_PRIVATE|MAP_ANONYMOUS)" then ours = e end
		end
		assert.is_truthy(ours, "the anonymous PROT_EXEC mmap2")
	end)
end)

-- A refusal is a write to the registers of the stopped call.  The regset
-- lanner wrote them through is the tracee's own view, the 32-bit one for
-- a 32-bit program, where rax and orig_rax are not: every refusal was a
-- no-op there.  A 32-bit program could install a seccomp listener and
-- open unseen, and a prevention rule's refused open went through
-- (src/base/arch.c now uses PTRACE_GETREGS, lanner's 64-bit view).
describe("compat: refusals take effect in a 32-bit program", function()
	local lanner = trace.root .. "/build/lanner"
	local D, runs, why

	setup(function()
		D = trace.mkdtemp()
		local out, rc = trace.sh(trace.shell_quote(trace.prog("deny_open_static_m32")) .. " " .. trace.shell_quote(D .. "/probe") .. " 2>&1")
		runs = rc == 0
		why = rc == 126 and "this kernel runs no 32-bit x86 programs" or ("deny_open_static_m32 exited " .. rc .. ": " .. out)
	end)
	teardown(function()
		if D then trace.rmrf(D) end
	end)

	local function sh(cmd)
		local out, rc = trace.sh(cmd .. " 2>/dev/null")
		return out, rc
	end

	it("a seccomp listener's install is refused (EPERM) and its five opens are seen", function()
		if not runs then pending(why) return end
		local prog = trace.shell_quote(trace.prog("esc_listener_m32")) .. " /etc/shadow " .. trace.shell_quote(D)
		local untraced = sh(prog)
		assert.equal("install: ok\nopens: 5 of 5\nnotified: 5", untraced)
		local ev = D .. "/listener.events"
		local out, rc = sh(string.format("%s -q --output-file %s -p '%%evt.type %%evt.res' "
			.. "'evt.type = seccomp or (evt.type = openat and evt.arg.name contains esc_listener)' -- %s",
			trace.shell_quote(lanner), trace.shell_quote(ev), prog))
		assert.equal(0, rc)
		assert.equal("install: EPERM\nopens: 5 of 5\nnotified: 0", out)
		local evs = trace.read_file(ev) or ""
		assert.truthy(evs:find("seccomp EPERM\n", 1, true), evs)
		local n = 0
		for _ in evs:gmatch("openat SUCCESS\n") do n = n + 1 end
		assert.equal(5, n, evs)
	end)

	it("a prevention rule's refused open fails with EPERM and creates nothing", function()
		if not runs then pending(why) return end
		local rules = D .. "/deny.yaml"
		local f = assert(io.open(rules, "w"))
		f:write("- rule: No secret opens\n  desc: spec\n"
			.. "  condition: evt.type in (open, openat) and fd.name contains /secret-m32\n"
			.. "  output: denied %fd.name\n  priority: WARNING\n  tags: [lanner.deny]\n")
		f:close()
		local target = D .. "/secret-m32.txt"
		local prog = trace.shell_quote(trace.prog("deny_open_static_m32")) .. " " .. trace.shell_quote(target)
		local out, rc = sh(string.format("%s -q --enforce --output-file /dev/null -R %s -- %s",
			trace.shell_quote(lanner), trace.shell_quote(rules), prog))
		assert.equal(0, rc)
		assert.equal("open: EPERM", out)
		assert.is_nil(trace.read_file(target), "the refused open created the file")
		out = sh(prog)
		assert.equal("open: ok", out)
	end)
end)
