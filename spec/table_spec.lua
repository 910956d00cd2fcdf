-- The syscall table (src/table/syscalls.def through ln_type): every row well
-- formed, the syscalls lanner promises present, their numbers those of
-- <asm/unistd.h> (asked of the C compiler), and Falco's argument names for
-- the ones rules use most.
local core = require "lanner.core"
local trace = require "spec.helpers.trace"
local ffi, C = core.ffi, core.C
local bit = require "bit"

local REQUIRED = {
	"open", "openat", "openat2", "creat", "close", "read", "write", "pread64", "pwrite64",
	"readv", "writev", "sendfile", "dup", "dup2", "dup3", "fcntl", "pipe", "pipe2",
	"socket", "socketpair", "connect", "accept", "accept4", "bind", "listen", "sendto",
	"recvfrom", "sendmsg", "recvmsg", "shutdown", "getsockopt", "execve", "execveat",
	"clone", "clone3", "fork", "vfork", "exit", "exit_group", "kill", "tkill", "tgkill",
	"chdir", "fchdir", "chroot", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat",
	"rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "chmod",
	"fchmod", "fchmodat", "chown", "fchown", "fchownat", "lchown", "truncate", "ftruncate",
	"setuid", "setgid", "setresuid", "setresgid", "setreuid", "setregid", "capset",
	"prctl", "ptrace", "mount", "umount2", "setns", "unshare", "mmap", "mprotect",
	"memfd_create", "bpf", "init_module", "finit_module", "delete_module", "personality",
	"io_uring_setup", "io_uring_enter", "io_uring_register", "seccomp", "open_by_handle_at",
	"name_to_handle_at", "userfaultfd", "inotify_init1", "eventfd2", "signalfd4",
	"timerfd_create",
}

local TF = {
	FD_CREATE = 1, IO_READ = 2, IO_WRITE = 4, OPEN = 8, USES_FD = 16, EXEC = 32,
	CLONE = 64, PSEUDO = 128,
}
local K = setmetatable({}, { __index = function(_, n) return tonumber(C["LN_K_" .. n]) end })
local SRC_RES, SRC_DERIVED = core.SRC_RES, core.SRC_DERIVED

-- { name = number } from <asm/unistd.h>, -1 where the header lacks it.
local function unistd_numbers(names)
	local dir = trace.mkdtemp()
	local src = { "#include <stdio.h>", "#include <asm/unistd.h>", "int main(void) {" }
	for _, n in ipairs(names) do
		src[#src + 1] = string.format(
			"#ifdef __NR_%s\nprintf(\"%s %%d\\n\", __NR_%s);\n#else\nprintf(\"%s -1\\n\");\n#endif", n, n, n, n)
	end
	src[#src + 1] = "return 0; }"
	local f = assert(io.open(dir .. "/nr.c", "w"))
	f:write(table.concat(src, "\n"), "\n")
	f:close()
	local out, code = trace.sh(string.format("cc -o %s/nr %s/nr.c 2>&1 && %s/nr", dir, dir, dir))
	trace.rmrf(dir)
	assert.equal(0, code, out)
	local nr = {}
	for name, v in out:gmatch("([%w_]+) (%-?%d+)") do nr[name] = tonumber(v) end
	return nr
end

describe("syscall table", function()
	local n = core.ntypes

	it("has rows, and ln_type is NULL outside them", function()
		assert.is_true(n > 90)
		assert.is_true(C.ln_type(-1) == nil)
		assert.is_true(C.ln_type(n) == nil)
	end)

	it("every type has a unique lower-case name that ln_type_id finds", function()
		local seen = {}
		for id = 0, n - 1 do
			local name = core.type_name[id]
			assert.truthy(name:match("^[a-z][a-z0-9_]*$"), name)
			assert.is_nil(seen[name], "duplicate " .. name)
			seen[name] = true
			assert.equal(id, C.ln_type_id(name))
		end
		assert.equal(-1, C.ln_type_id("no_such_syscall"))
	end)

	it("every syscall has a unique native number that maps back to it; pseudo events have -1", function()
		local seen = {}
		for id = 0, n - 1 do
			local ti = core.type_info[id]
			if bit.band(ti.flags, TF.PSEUDO) ~= 0 then
				assert.equal(-1, ti.nr, ti.name)
			else
				assert.is_true(ti.nr >= 0, ti.name)
				assert.is_nil(seen[ti.nr], ti.name .. " shares " .. ti.nr)
				seen[ti.nr] = true
				assert.equal(id, C.ln_type_of_nr(ti.nr), ti.name)
			end
		end
		assert.equal(-1, C.ln_type_of_nr(-1))
		assert.equal(-1, C.ln_type_of_nr(100000))
	end)

	it("every param has a name, a known kind and a source (arg 0-5, result, derived)", function()
		for id = 0, n - 1 do
			local ti = core.type_info[id]
			assert.is_true(ti.nparams <= 8, ti.name)
			local names = {}
			for i = 0, ti.nparams - 1 do
				local pn = ti.pnames[i + 1]
				assert.truthy(pn:match("^[a-z][a-z0-9_]*$"), ti.name .. " param " .. i)
				assert.is_nil(names[pn], ti.name .. " repeats " .. pn)
				names[pn] = true
				assert.is_true(ti.kinds[i] > 0 and ti.kinds[i] < K.COUNT, ti.name .. "." .. pn)
				local src = ti.srcs[i]
				assert.is_true((src >= 0 and src <= 5) or src == SRC_RES or src == SRC_DERIVED,
					ti.name .. "." .. pn .. " src " .. src)
				if src == SRC_RES then
					assert.truthy(({ [K.RES] = 1, [K.RES_FD] = 1, [K.PID] = 1, [K.HEX] = 1 })[ti.kinds[i]],
						ti.name .. "." .. pn .. " is a result of a non-result kind")
				end
			end
		end
	end)

	it("every category is a known one with a name", function()
		for id = 0, n - 1 do
			local ti = core.type_info[id]
			assert.is_true(ti.category > 0 and ti.category < tonumber(C.LN_CAT_COUNT), ti.name)
			local cname = ffi.string(C.ln_category_name(ti.category))
			-- lower case, but for sinsp's "IPC"
			assert.truthy(cname:match("^%l+$") or cname == "IPC", cname)
			assert.is_true(cname ~= "unknown")
		end
	end)

	it("has at most one result param, and exit/exit_group/procexit have none", function()
		for id = 0, n - 1 do
			local ti = core.type_info[id]
			local k = 0
			for i = 0, ti.nparams - 1 do if ti.srcs[i] == SRC_RES then k = k + 1 end end
			assert.is_true(k <= 1, ti.name)
			if ti.name == "exit" or ti.name == "exit_group" or ti.name == "procexit" then
				assert.equal(0, k, ti.name)
			end
		end
	end)

	it("flags agree with the params: fd users have an fd arg, fd makers a new-fd result", function()
		for id = 0, n - 1 do
			local ti = core.type_info[id]
			local has = {}
			for i = 0, ti.nparams - 1 do
				if ti.srcs[i] <= 5 then has[ti.kinds[i]] = true end
				if ti.srcs[i] == SRC_RES then has["res" .. ti.kinds[i]] = true end
			end
			-- accept/accept4 have Falco's params, which lack the listening
			-- fd (the new fd is the event's fd)
			if bit.band(ti.flags, TF.USES_FD) ~= 0 and ti.name ~= "accept" and ti.name ~= "accept4" then
				assert.is_true(has[K.FD] == true, ti.name .. " uses an fd but has no fd arg")
			end
			-- bpf: only some commands make an fd (src/decode/proc.c)
			if bit.band(ti.flags, TF.FD_CREATE) ~= 0 and ti.name ~= "bpf" then
				assert.is_true(has["res" .. K.RES_FD] or has[K.FDPAIR] or false,
					ti.name .. " makes fds but has no new-fd result or fd pair")
			end
			if bit.band(ti.flags, TF.OPEN) ~= 0 then
				assert.is_true(has[K.OFLAGS] or has[K.OPEN_HOW] or ti.name == "creat", ti.name)
				-- open_by_handle_at has no path argument: its path is
				-- the kernel's name of the result (derived)
				assert.is_true(has[K.PATH] == true or ti.name == "open_by_handle_at", ti.name)
			end
		end
	end)

	it("contains every syscall lanner promises", function()
		local missing = {}
		for _, name in ipairs(REQUIRED) do
			if not core.type_id[name] then missing[#missing + 1] = name end
		end
		assert.same({}, missing)
	end)

	it("has numbers equal to <asm/unistd.h>'s for all of them", function()
		local nr = unistd_numbers(REQUIRED)
		for _, name in ipairs(REQUIRED) do
			local id = core.type_id[name]
			if nr[name] == -1 then
				assert.is_nil(id, name .. " is not on this architecture")
			else
				assert.is_number(nr[name], name)
				assert.equal(nr[name], core.type_info[id].nr, name)
				assert.equal(id, C.ln_type_of_nr(nr[name]), name)
			end
		end
	end)

	it("has numbers equal to <asm/unistd.h>'s for every other syscall row too", function()
		local names = {}
		for id = 0, n - 1 do
			if core.type_info[id].nr >= 0 then names[#names + 1] = core.type_name[id] end
		end
		local nr = unistd_numbers(names)
		for _, name in ipairs(names) do
			assert.equal(nr[name], core.type_info[core.type_id[name]].nr, name)
		end
	end)

	-- Falco's argument names, in Falco's order (the exit event's params,
	-- then the enter event's, as Falco merges them since it dropped enter
	-- events).  The first names must match; lanner may add more after.
	local FALCO = {
		openat = { "fd", "dirfd", "name", "flags", "mode" },
		open = { "fd", "name", "flags", "mode" },
		creat = { "fd", "name", "mode" },
		connect = { "res", "tuple", "fd", "addr" },
		close = { "res", "fd" },
		read = { "res", "data", "fd", "size" },
		write = { "res", "data", "fd", "size" },
		socket = { "fd", "domain", "type", "proto" },
		bind = { "res", "addr", "fd" },
		listen = { "res", "fd", "backlog" },
		kill = { "res", "pid", "sig" },
		tgkill = { "res", "pid", "tid", "sig" },
		chdir = { "res", "path" },
		mkdir = { "res", "path", "mode" },
		unlink = { "res", "path" },
		unlinkat = { "res", "dirfd", "name", "flags" },
		rename = { "res", "oldpath", "newpath" },
		symlink = { "res", "target", "linkpath" },
		setuid = { "res", "uid" },
		setgid = { "res", "gid" },
		procexit = { "status", "ret", "sig", "core" },
	}
	for name, want in pairs(FALCO) do
		it("names " .. name .. "'s arguments as Falco: " .. table.concat(want, ", "), function()
			local ti = core.type_info[core.type_id[name]]
			local got = {}
			for i = 1, #want do got[i] = ti.pnames[i] end
			assert.same(want, got)
		end)
	end

	it("kinds of key arguments: openat name is a path, flags O_*, mode a mode; connect tuple a tuple", function()
		local o = core.type_info[core.type_id.openat]
		assert.same({ K.RES_FD, K.DIRFD, K.PATH, K.OFLAGS, K.MODE },
			{ o.kinds[0], o.kinds[1], o.kinds[2], o.kinds[3], o.kinds[4] })
		local c = core.type_info[core.type_id.connect]
		assert.same({ K.RES, K.TUPLE, K.FD, K.SOCKADDR_IN }, { c.kinds[0], c.kinds[1], c.kinds[2], c.kinds[3] })
		local e = core.type_info[core.type_id.execve]
		assert.equal(K.ARGV, e.kinds[e.pindex.args])
	end)

	it("flags: openat opens and makes an fd, read reads, execve execs, clone clones, procexit is pseudo", function()
		local function f(name) return core.type_info[core.type_id[name]].flags end
		assert.equal(TF.FD_CREATE + TF.OPEN, bit.band(f("openat"), TF.FD_CREATE + TF.OPEN))
		assert.equal(TF.IO_READ, bit.band(f("read"), TF.IO_READ))
		assert.equal(TF.IO_WRITE, bit.band(f("sendto"), TF.IO_WRITE))
		assert.equal(TF.EXEC, bit.band(f("execveat"), TF.EXEC))
		for _, c in ipairs { "clone", "clone3", "fork", "vfork" } do
			assert.equal(TF.CLONE, bit.band(f(c), TF.CLONE), c)
		end
		assert.equal(TF.PSEUDO, bit.band(f("procexit"), TF.PSEUDO))
	end)
end)
