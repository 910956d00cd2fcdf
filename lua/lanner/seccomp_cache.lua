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
	return M.from_bytes(buf, n)
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

-- Classic BPF as seccomp accepts it (kernel/seccomp.c,
-- seccomp_check_filter): loads of seccomp_data words, of its length, of
-- constants and of the 16 scratch words; stores; ALU; jumps; RET K or A;
-- TAX and TXA.  The programs a traced program installs are anybody's, not
-- only libseccomp's.
local CLASS_LD, CLASS_LDX, CLASS_ST, CLASS_STX, CLASS_ALU, CLASS_JMP, CLASS_RET =
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
local MODE_IMM, MODE_ABS, MODE_MEM, MODE_LEN = 0x00, 0x20, 0x60, 0x80
local SRC_X = 0x08
local SECCOMP_DATA_LEN = 64

-- a * b mod 2^32, exact (the product of two words exceeds 2^53)
local function mul32(a, b)
	local lo, hi = b % 65536, math.floor(b / 65536)
	return (a * lo + ((a * hi) % 65536) * 65536) % 4294967296
end

local ALU = {
	[0x00] = function(a, x) return u32(a + x) end,
	[0x10] = function(a, x) return u32(a - x) end,
	[0x20] = mul32,
	[0x30] = function(a, x) if x == 0 then return nil end return math.floor(a / x) end,
	[0x40] = function(a, x) return u32(bit.bor(a, x)) end,
	[0x50] = function(a, x) return u32(bit.band(a, x)) end,
	[0x60] = function(a, x) if x >= 32 then return 0 end return u32(bit.lshift(a, x)) end,
	[0x70] = function(a, x) if x >= 32 then return 0 end return u32(bit.rshift(a, x)) end,
	[0x80] = function(a) return u32(-a) end,
	[0x90] = function(a, x) if x == 0 then return nil end return a % x end,
	[0xa0] = function(a, x) return u32(bit.bxor(a, x)) end,
}

-- The word of seccomp_data at off for a call: nr, arch, the instruction
-- pointer's halves, then each argument's low and high half.
local function data_word(arch, nr, args, off)
	if off == OFF_NR then return u32(nr) end
	if off == OFF_ARCH then return arch end
	if off < 16 then return 0 end
	local i, hi = math.floor((off - 16) / 8), (off - 16) % 8 == 4
	local v = args and args[i + 1] or 0
	if type(v) == "table" then return hi and v[2] or v[1] end
	if hi then return math.floor(v / 4294967296) end
	return v % 4294967296
end

-- run(prog, arch, nr, args) -> the action word the program returns for a
-- call (args: up to 6 numbers below 2^53, or {lo, hi} pairs), or nil and
-- why (an instruction seccomp refuses, a jump out of the program).
function M.run(prog, arch, nr, args)
	local a, x, mem, pc = 0, 0, {}, 0
	while pc < prog.len do
		local insn = prog[pc]
		local code, k = insn.code, insn.k
		local class = bit.band(code, 0x07)
		if class == CLASS_LD or class == CLASS_LDX then
			local mode, v = bit.band(code, 0xe0)
			if mode == MODE_ABS and class == CLASS_LD then
				if k % 4 ~= 0 or k >= SECCOMP_DATA_LEN then return nil, string.format("load at %d", k) end
				v = data_word(arch, nr, args, k)
			elseif mode == MODE_IMM then v = k
			elseif mode == MODE_MEM then v = mem[k] or 0
			elseif mode == MODE_LEN then v = SECCOMP_DATA_LEN
			else return nil, string.format("insn 0x%02x", code) end
			if class == CLASS_LD then a = v else x = v end
		elseif class == CLASS_ST then mem[k] = a
		elseif class == CLASS_STX then mem[k] = x
		elseif class == CLASS_ALU then
			local f = ALU[bit.band(code, 0xf0)]
			if f == nil then return nil, string.format("insn 0x%02x", code) end
			a = f(a, bit.band(code, SRC_X) ~= 0 and x or k)
			if a == nil then return 0 end -- division by zero: the kernel returns 0
		elseif class == CLASS_JMP then
			local op, v = bit.band(code, 0xf0), bit.band(code, SRC_X) ~= 0 and x or k
			if op == 0x00 then pc = pc + k
			else
				local r
				if op == 0x10 then r = a == v
				elseif op == 0x20 then r = a > v
				elseif op == 0x30 then r = a >= v
				elseif op == 0x40 then r = bit.band(a, v) ~= 0
				else return nil, string.format("insn 0x%02x", code) end
				pc = pc + (r and insn.jt or insn.jf)
			end
		elseif class == CLASS_RET then
			return bit.band(code, 0x18) == 0x10 and a or k
		elseif code == 0x07 then x = a -- TAX
		elseif code == 0x87 then a = x -- TXA
		else return nil, string.format("insn 0x%02x", code) end
		pc = pc + 1
	end
	return nil, "runs off the end"
end

-- A program from the bytes of struct sock_filter[] (a seccomp event's
-- filter parameter), in the shape run and const_allow take.
function M.from_bytes(ptr, len)
	local n = math.floor(len / 8)
	local f = ffi.cast("const ln_sock_filter *", ptr)
	local prog = { len = n }
	for i = 0, n - 1 do
		prog[i] = { code = f[i].code, jt = f[i].jt, jf = f[i].jf, k = tonumber(f[i].k) }
	end
	return prog
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
