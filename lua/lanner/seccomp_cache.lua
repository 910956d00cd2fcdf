-- The kernel's seccomp action cache, emulated over the program lanner
-- builds.  Since Linux 5.11 a syscall number whose verdict is ALLOW
-- whatever its arguments skips the filter entirely: at attach time the
-- kernel runs each (arch, nr) through seccomp_is_const_allow
-- (kernel/seccomp.c), which understands only
--   LD W ABS of seccomp_data.nr or .arch, ALU AND K, JA,
--   JEQ/JGE/JGT/JSET K, RET K
-- and gives up (not cached) on anything else, a load of an argument
-- above all.  An untraced syscall that misses the cache runs the whole
-- filter on every call: that is what this module finds.
local core = require "lanner.core"
local ffi = core.ffi
local bit = require "bit"

local M = {}

M.AUDIT_ARCH_X86_64 = 0xc000003e
M.AUDIT_ARCH_I386 = 0x40000003
M.RET_ALLOW = 0x7fff0000
-- the numbers the kernel checks: NR_syscalls is below this on both ABIs
M.NR_LIMIT = 512

require("lanner.base").define("ln_sock_filter",
	[[ typedef struct ln_sock_filter { uint16_t code; uint8_t jt, jf; uint32_t k; } ln_sock_filter; ]])

-- The program the session would load, as a list of {code, jt, jf, k}
-- (0-based like the kernel's pc), or nil, message.
function M.program(sess)
	local s = sess.s or sess
	local n = core.C.ln_filter_export(s, nil, 0)
	if n < 0 then return nil, "ln_filter_export: " .. n end
	local buf = ffi.new("ln_sock_filter[?]", n / 8)
	assert(core.C.ln_filter_export(s, buf, n) == n)
	local prog = {}
	for i = 0, n / 8 - 1 do
		local f = buf[i]
		prog[i] = { code = f.code, jt = f.jt, jf = f.jf, k = tonumber(f.k) }
	end
	prog.len = n / 8
	return prog
end

local LD_ABS, RET_K, JA = 0x20, 0x06, 0x05
local JEQ, JGE, JGT, JSET = 0x15, 0x35, 0x25, 0x45
local AND_K = 0x54
local OFF_NR, OFF_ARCH = 0, 4

local function u32(x) return x % 4294967296 end

-- The one walk over a program: load(off) gives the word at a seccomp_data
-- offset past nr and arch, or nil and why to stop there.  Returns the
-- action word, or nil and why.  Only the instructions libseccomp emits.
local function walk(prog, arch, nr, load)
	local a, pc = 0, 0
	while pc < prog.len do
		local insn = prog[pc]
		local code, k = insn.code, insn.k
		if code == LD_ABS then
			if k == OFF_NR then a = u32(nr)
			elseif k == OFF_ARCH then a = arch
			else
				local why
				a, why = load(k)
				if a == nil then return nil, why end
			end
		elseif code == RET_K then return k
		elseif code == JA then pc = pc + k
		elseif code == JEQ or code == JGE or code == JGT or code == JSET then
			local r
			if code == JEQ then r = a == k
			elseif code == JGE then r = a >= k
			elseif code == JGT then r = a > k
			else r = bit.band(a, k) ~= 0 end
			pc = pc + (r and insn.jt or insn.jf)
		elseif code == AND_K then a = u32(bit.band(a, k))
		else return nil, string.format("insn 0x%02x", code) end
		pc = pc + 1
	end
	return nil, "runs off the end"
end

-- const_allow(prog, arch, nr) -> true, or false and why ("ret 0x7ff04c02",
-- "loads args[2]", "insn 0x..."): seccomp_is_const_allow, whose emulator
-- gives up at the first load of an argument.
function M.const_allow(prog, arch, nr)
	local k, why = walk(prog, arch, nr, function(off)
		return nil, string.format("loads args[%d]", math.floor((off - 16) / 8))
	end)
	if k == nil then return false, why end
	if k == M.RET_ALLOW then return true end
	return false, string.format("ret 0x%08x", k)
end

-- run(prog, arch, nr, args) -> the action word the program returns for a
-- call (args: up to 6 numbers below 2^53, or {lo, hi} pairs), or nil and
-- why: the whole program, arguments included, for the specs' tables of
-- calls and verdicts.
function M.run(prog, arch, nr, args)
	return walk(prog, arch, nr, function(off)
		local i, hi = math.floor((off - 16) / 8), (off - 16) % 8 == 4
		local v = args and args[i + 1] or 0
		if type(v) == "table" then return hi and v[2] or v[1] end
		if hi then return math.floor(v / 4294967296) end
		return v % 4294967296
	end)
end

-- Syscall names by (arch, nr) from libseccomp, when it can be loaded.
local scmp
local function scmp_lib()
	if scmp == nil then
		require("lanner.base").declare("char *seccomp_syscall_resolve_num_arch(uint32_t arch_token, int num);",
			"int seccomp_syscall_resolve_name_arch(uint32_t arch_token, const char *name);",
			"void free(void *);")
		local ok, lib = pcall(ffi.load, "libseccomp.so.2")
		scmp = ok and lib or false
	end
	return scmp or nil
end

function M.name(arch, nr)
	local lib = scmp_lib()
	if not lib then return nil end
	local p = lib.seccomp_syscall_resolve_num_arch(arch, nr)
	if p == nil then return nil end
	local s = ffi.string(p)
	ffi.C.free(p)
	return s
end

-- Number of a syscall name on an ABI, or nil.
function M.nr(arch, name)
	local lib = scmp_lib()
	local n = lib and lib.seccomp_syscall_resolve_name_arch(arch, name)
	if not n or n < 0 then return nil end
	return n
end

-- scan(prog, arch) -> { [nr] = why } for every number below NR_LIMIT that
-- is not const-allow.
function M.scan(prog, arch)
	local out = {}
	for nr = 0, M.NR_LIMIT - 1 do
		local ok, why = M.const_allow(prog, arch, nr)
		if not ok then out[nr] = why end
	end
	return out
end

-- One line for --debug-filter: per ABI, how many numbers miss the cache
-- because they are traced (a constant TRACE/ERRNO) and which because the
-- verdict reads an argument.
function M.summary(sess)
	local prog = M.program(sess)
	if not prog then return nil end
	local parts = {}
	for _, abi in ipairs { { "x86_64", M.AUDIT_ARCH_X86_64 }, { "i386", M.AUDIT_ARCH_I386 } } do
		local traced, byarg = 0, {}
		for nr, why in pairs(M.scan(prog, abi[2])) do
			if why:find("^loads") then
				byarg[#byarg + 1] = M.name(abi[2], nr) or tostring(nr)
			else
				traced = traced + 1
			end
		end
		table.sort(byarg)
		parts[#parts + 1] = string.format("%s %d traced, %d by argument (%s)", abi[1], traced, #byarg,
			table.concat(byarg, ","))
	end
	return table.concat(parts, "; ") .. "; every other syscall skips the filter (kernel >= 5.11)"
end

return M
