-- seccomp.*: what a seccomp filter a traced program installs would do to
-- the syscalls lanner reports (lanner's own fields; Falco has none).  They
-- are filled on seccomp(SECCOMP_SET_MODE_FILTER) and prctl(PR_SET_SECCOMP,
-- SECCOMP_MODE_FILTER) events from the program the core read at the call's
-- entry (the `filter` parameter), run through lanner's BPF emulator
-- (lanner.seccomp_cache) for every syscall of lanner's event table (lanner
-- -L) on the native ABI, with a few argument samples (samples() below): a
-- syscall is in a verdict's list when any sample gives that verdict.
--
-- Informational: another thread may change the program after the core read
-- it.  What lanner refuses (a listener, io_uring) it decides from registers
-- (src/trace/refuse.c), never from these.
local bit = require "bit"
local cm = require "lanner.fields.common"
local emu = require "lanner.seccomp_cache"

local core = cm.core
local type_info = core.type_info
local band = bit.band
local PF_READ = tonumber(cm.C.LN_PF_READ)

local NATIVE = ({ x64 = emu.AUDIT_ARCH_X86_64, arm64 = 0xc00000b7 })[require("ffi").arch]
local TYPES = { seccomp = true, prctl = true }
local NEW_LISTENER = 8	-- SECCOMP_FILTER_FLAG_NEW_LISTENER

-- The action of a return word (SECCOMP_RET_ACTION_FULL), by the name its
-- field uses; the kernel kills for an action it does not know.
local ACTIONS = {
	[0x80000000] = "kill", [0x00000000] = "kill", [0x00030000] = "trap",
	[0x00050000] = "errno", [0x7fc00000] = "notify", [0x7ff00000] = "trace",
	[0x7ffc0000] = "log", [0x7fff0000] = "allow",
}
local function action(word)
	if word == nil then return "kill" end	-- a program the kernel would refuse
	return ACTIONS[word - word % 65536] or "kill"
end

-- Argument samples for a program: every argument 0, every argument all
-- ones, then every argument equal to each constant the program's jumps
-- compare with (and one more, for JGT/JGE), up to MAX_CONSTS of them: a
-- check of an argument against a value meets the value.
local MAX_CONSTS = 32
local function samples(prog)
	local out = { { 0, 0 }, { 0xffffffff, 0xffffffff } }
	local seen, n = { [0] = true, [0xffffffff] = true }, 0
	for pc = 0, prog.len - 1 do
		local insn = prog[pc]
		-- JMP class, K source, not JA
		if band(insn.code, 0x0f) == 0x05 and band(insn.code, 0xf0) ~= 0 and n < MAX_CONSTS then
			for _, k in ipairs { insn.k, (insn.k + 1) % 4294967296 } do
				if not seen[k] then
					seen[k] = true
					out[#out + 1] = { k, 0 }
				end
			end
			n = n + 1
		end
	end
	for i, v in ipairs(out) do out[i] = { v, v, v, v, v, v } end
	return out
end

-- Every verdict of the event's program: { insns = n, kill = {names}, ...,
-- by_arg = {names} }, or false when the event carries no program.
local function summarise(ev)
	local info = type_info[ev.type]
	local i = info.pindex.filter
	if i == nil or i >= ev.nparams or NATIVE == nil then return false end
	local prm = ev.params[i]
	if band(prm.flags, PF_READ) == 0 or prm.str == nil then return false end
	local prog = emu.from_bytes(prm.str, prm.len)
	local args = samples(prog)
	local out = { insns = prog.len, kill = {}, trap = {}, errno = {}, notify = {}, trace = {}, by_arg = {},
		hidden = {} }
	for id = 0, core.ntypes - 1 do
		local t = type_info[id]
		if t.nr >= 0 then
			local got, kinds, hidden = {}, 0, false
			for _, a in ipairs(args) do
				local v = action(emu.run(prog, NATIVE, t.nr, a))
				if not got[v] then
					got[v] = true
					kinds = kinds + 1
					local list = out[v]	-- nil for allow and log
					if list then
						list[#list + 1] = t.name
						hidden = true
					end
				end
			end
			if kinds > 1 then out.by_arg[#out.by_arg + 1] = t.name end
			if hidden then out.hidden[#out.hidden + 1] = t.name end
		end
	end
	return out
end

local function summary(ev)
	local c = cm.evcache(ev)
	local s = c.seccomp
	if s == nil then
		s = summarise(ev)
		c.seccomp = s
	end
	return s or nil
end

local function list_field(key, desc)
	return { name = "seccomp." .. key, type = "string", multi = true, types = TYPES, desc = desc,
		values = function(ev)
			local s = summary(ev)
			return s and s[key] or {}
		end }
end

return {
	{ name = "seccomp.insns", type = "number", ftype = "UINT32", types = TYPES,
		desc = "number of instructions of the BPF program a seccomp filter install hands the kernel (seccomp or prctl PR_SET_SECCOMP), as read at its entry.",
		get = function(ev)
			local s = summary(ev)
			return s and s.insns or nil
		end },
	{ name = "seccomp.listener", type = "bool", types = { seccomp = true },
		desc = "'true' for a seccomp(SECCOMP_SET_MODE_FILTER) with SECCOMP_FILTER_FLAG_NEW_LISTENER: its SECCOMP_RET_USER_NOTIF verdicts would outrank lanner's, so lanner refuses it with EPERM unless --allow-seccomp-listener.",
		get = function(ev)
			if core.type_name[ev.type] ~= "seccomp" then return false end
			-- op and flags are unsigned int: the low halves of the registers
			local op = tonumber(ev.rawargs[0] % 0x100000000ULL)
			return op == 1 and band(tonumber(ev.rawargs[1] % 0x100000000ULL), NEW_LISTENER) ~= 0
		end },
	list_field("notify", "syscalls of lanner's event table that the filter sends to its listener (SECCOMP_RET_USER_NOTIF): answered with FLAG_CONTINUE they would run with no lanner event."),
	list_field("kill", "syscalls of lanner's event table that the filter kills (SECCOMP_RET_KILL_*)."),
	list_field("trap", "syscalls of lanner's event table that the filter turns into SIGSYS (SECCOMP_RET_TRAP)."),
	list_field("errno", "syscalls of lanner's event table that the filter fails (SECCOMP_RET_ERRNO)."),
	list_field("trace", "syscalls of lanner's event table for which the filter asks for a tracer (SECCOMP_RET_TRACE); under lanner they fail with ENOSYS, as with no tracer."),
	list_field("hidden", "syscalls of lanner's event table that the filter keeps from lanner (any verdict but ALLOW and LOG): notify, kill, trap, errno and trace together."),
	list_field("by_arg", "syscalls of lanner's event table whose verdict depends on their arguments (differs between argument samples: all 0, all ones, the constants the program compares with)."),
}
