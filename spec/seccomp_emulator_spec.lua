-- lanner.seccomp_cache.run on programs a traced program may write by hand
-- (the seccomp.* fields run them): every instruction class seccomp
-- accepts, not only the few libseccomp emits, and a clear refusal of what
-- seccomp would refuse.
local cache = require "lanner.seccomp_cache"

local X64 = cache.AUDIT_ARCH_X86_64

-- classic BPF opcodes (linux/filter.h)
local LD_ABS, LD_IMM, LD_MEM, LD_LEN, LD_IND = 0x20, 0x00, 0x60, 0x80, 0x40
local LDX_MEM, ST, STX = 0x61, 0x02, 0x03
local ADD_K, MUL_K, DIV_X, NEG, AND_X, RSH_K, MOD_K = 0x04, 0x24, 0x3c, 0x84, 0x5c, 0x74, 0x94
local JEQ_K, JGT_X, JSET_X, JA = 0x15, 0x2d, 0x4d, 0x05
local RET_K, RET_A, TAX, TXA = 0x06, 0x16, 0x07, 0x87

local function prog(insns)
	local p = { len = #insns }
	for i, x in ipairs(insns) do p[i - 1] = { code = x[1], jt = x[2] or 0, jf = x[3] or 0, k = x[4] or 0 } end
	return p
end
local function I(code, k) return { code, 0, 0, k } end
local function J(code, jt, jf, k) return { code, jt, jf, k } end

describe("seccomp emulator: any program seccomp accepts", function()
	it("RET A, LD IMM, TAX/TXA", function()
		assert.equal(0x00050007, cache.run(prog { I(LD_IMM, 0x00050007), I(RET_A) }, X64, 1))
		assert.equal(0x7fff0000, cache.run(prog { I(LD_IMM, 0x7fff0000), I(TAX), I(LD_IMM, 1), I(TXA), I(RET_A) }, X64, 1))
	end)

	it("ALU on the syscall number: add, multiply modulo 2^32, shift, and, negate, modulo", function()
		local p = prog { I(LD_ABS, 0), I(ADD_K, 1), J(JEQ_K, 0, 1, 258), I(RET_K, 0x00050001), I(RET_K, 0x7fff0000) }
		assert.equal(0x00050001, cache.run(p, X64, 257))
		assert.equal(0x7fff0000, cache.run(p, X64, 2))
		assert.equal(1, cache.run(prog { I(LD_IMM, 0xffffffff), I(MUL_K, 0xffffffff), I(RET_A) }, X64, 0))
		assert.equal(0x7fff, cache.run(prog { I(LD_IMM, 0x7fff0000), I(RSH_K, 16), I(RET_A) }, X64, 0))
		assert.equal(0xffffffff, cache.run(prog { I(LD_IMM, 1), I(NEG), I(RET_A) }, X64, 0))
		assert.equal(2, cache.run(prog { I(LD_IMM, 17), I(MOD_K, 5), I(RET_A) }, X64, 0))
		assert.equal(4, cache.run(prog { I(LD_IMM, 6), { 0x07, 0, 0, 0 }, I(LD_IMM, 12), I(AND_X), I(RET_A) }, X64, 0))
	end)

	it("division by a zero X returns 0 (SECCOMP_RET_KILL_THREAD), as the kernel", function()
		assert.equal(0, cache.run(prog { I(LD_IMM, 0), I(TAX), I(LD_IMM, 9), I(DIV_X), I(RET_K, 0x7fff0000) }, X64, 0))
	end)

	it("scratch memory: ST, STX, LD MEM, LDX MEM", function()
		local p = prog { I(LD_ABS, 0), I(ST, 3), I(LD_IMM, 0), I(LDX_MEM, 3), I(TXA), J(JEQ_K, 0, 1, 59),
			I(RET_K, 0x00030000), I(RET_K, 0x7fff0000) }
		assert.equal(0x00030000, cache.run(p, X64, 59))
		assert.equal(0x7fff0000, cache.run(p, X64, 60))
		assert.equal(5, cache.run(prog { I(LD_IMM, 5), I(TAX), { STX, 0, 0, 15 }, I(LD_MEM, 15), I(RET_A) }, X64, 0))
	end)

	it("jumps on X (JGT, JSET) and JA", function()
		local p = prog { I(LD_IMM, 8), I(TAX), I(LD_ABS, 16), J(JSET_X, 1, 0), I(JA, 1), I(RET_K, 0x7fc00000),
			J(JGT_X, 0, 1), I(RET_K, 0x7ff00000), I(RET_K, 0x7fff0000) }
		assert.equal(0x7fc00000, cache.run(p, X64, 1, { 8 }))
		assert.equal(0x7ff00000, cache.run(p, X64, 1, { 16 }))
		assert.equal(0x7fff0000, cache.run(p, X64, 1, { 2 }))
	end)

	it("an argument's upper half, and seccomp_data's length", function()
		local p = prog { I(LD_ABS, 28), J(JEQ_K, 0, 1, 7), I(RET_K, 0x00050002), I(RET_K, 0x7fff0000) }
		assert.equal(0x00050002, cache.run(p, X64, 1, { 0, { 0, 7 } }))
		assert.equal(0x7fff0000, cache.run(p, X64, 1, { 0, { 7, 0 } }))
		assert.equal(64, cache.run(prog { I(LD_LEN), I(RET_A) }, X64, 0))
	end)

	it("refuses what seccomp refuses: a misaligned or out-of-range load, LD IND, running off the end", function()
		assert.is_nil(cache.run(prog { I(LD_ABS, 2), I(RET_A) }, X64, 0))
		assert.is_nil(cache.run(prog { I(LD_ABS, 64), I(RET_A) }, X64, 0))
		assert.is_nil(cache.run(prog { I(LD_IND, 0), I(RET_A) }, X64, 0))
		assert.is_nil(cache.run(prog { I(LD_IMM, 0) }, X64, 0))
	end)
end)
