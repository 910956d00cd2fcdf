-- The fd table when lanner does not trace every call that changes it (the
-- "read from the kernel per event" mode of --debug-filter): each fd an
-- event acts on is checked against the kernel at that event
-- (trace/stops.c check_fds), so an exec need not read the table again
-- (a listing and a stat per fd); an entry from before the exec is
-- checked at its next use as any fd or directory fd argument.  spec/progs/exec_fds opens fd 3 close-on-exec and fd 4 without,
-- execs itself, and then reuses fd 3 for a pipe made by an untraced call.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

describe("lazy fd table: fds across an exec (spec/progs/exec_fds)", function()
	teardown(cmp.cleanup)
	local r, after

	setup(function()
		r = cmp.lanner({ "--stats", "-p", "*%proc.args|%evt.type|%evt.rawarg.fd|%evt.arg.fd|%fd.name|%evt.abspath",
			"(evt.type in (openat, read, write, mmap) and evt.rawarg.fd >= 0) or evt.type = unlinkat" },
			{ trace.prog("exec_fds") })
		after = {}
		for _, l in ipairs(r.events) do
			local args, ty, fd, arg, name, abspath = l:match("^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$")
			if args:match("^after") then
				after[#after + 1] = { type = ty, fd = tonumber(fd), arg = arg, name = name, abspath = abspath }
			end
		end
	end)

	-- the program's own call: the last of its kind (ld.so's come first)
	local function find(ty, fd)
		local found
		for _, e in ipairs(after) do
			if e.type == ty and e.fd == fd then found = e end
		end
		return found
	end

	it("runs the program as untraced, in the lazy mode", function()
		assert.equal(0, r.status, r.stdout .. r.stderr)
		assert.truthy(r.stdout:match("\nok\n$"), r.stdout)
		local dbg = cmp.run({ cmp.lanner_bin, "--debug-filter", "-q", "evt.type in (openat, read, write, mmap)",
			"--", "true" })
		assert.truthy(dbg.stdout:match("# fd table: read from the kernel per event"), dbg.stdout)
	end)

	-- the mmap comes first: no other event has looked at fd 3 since the
	-- exec, and before it ld.so opened (traced) and closed (untraced) its
	-- libraries on fd 3 too
	it("a mapping of the reused fd names the pipe, not a file the table had before", function()
		local e = find("mmap", 3)
		assert.is_table(e, r.events[1])
		assert.truthy(e.arg:match("^<p>pipe:%[%d+%]$"), e.arg)
	end)

	it("a read of the reused fd names the pipe", function()
		local e = find("read", 3)
		assert.is_table(e)
		assert.truthy(e.name:match("^pipe:%[%d+%]$"), e.name)
	end)

	it("an fd kept across the exec keeps its name", function()
		local e = find("write", 4)
		assert.is_table(e)
		assert.equal("/dev/null", e.name)
	end)

	it("a mapped memfd lanner never saw made is named from the kernel", function()
		local e
		for _, x in ipairs(after) do
			if x.type == "mmap" and x.fd ~= 3 then e = x end
		end
		assert.is_table(e)
		assert.truthy(e.arg:match("memfd:lanner%-exec%-fds"), e.arg)
	end)

	-- fd 20 was an eventfd before the exec, a timerfd now: one anonymous
	-- inode, so the inode alone would call it unchanged
	it("a reused fd of another anonymous kind names the new one", function()
		local e = find("read", 20)
		assert.is_table(e)
		assert.equal("anon_inode:[timerfd]", e.name)
	end)

	-- An *at call's path is its directory fd's name and the call's name:
	--   fd 21 was /etc before the exec, the program's own directory now
	--   (put there by an untraced dup3): an entry from before the exec;
	--   then another directory on fd 21, with no exec between: the
	--   directory fd is checked at every call, as the fd a call acts on;
	--   fd 22 was made by untraced calls before the exec and kept across
	--   it: no event ever named it, and no exec reads the table again.
	for _, case in ipairs {
		{ "dir", "victim", "an *at call's directory fd reused since the exec names the new directory" },
		{ "dir2", "victim2", "a directory fd replaced by an untraced call names the new directory" },
		{ "kept", "victim3", "a directory fd no event named before the exec is named from the kernel" },
	} do
		it(case[3], function()
			local dir = r.stdout:match(case[1] .. " (%S+)\n")
			assert.is_string(dir, r.stdout)
			local e
			for _, x in ipairs(after) do
				if x.type == "unlinkat" and x.abspath:match("/" .. case[2] .. "$") then e = x end
			end
			-- (no event with that path: the name was another directory's)
			assert.is_table(e, table.concat(r.events, "\n"))
			assert.equal(dir .. "/" .. case[2], e.abspath)
		end)
	end
end)

-- A call on an fd number that is not open (bound for EBADF) must not make
-- lanner's table as large as the number: it was copied at every fork.
describe("lazy fd table: a huge fd that is not open", function()
	teardown(cmp.cleanup)

	local function peak_rss(filter)
		local r = cmp.lanner({ "--stats", "-p", "%evt.num", filter }, { trace.prog("exec_fds"), "huge" })
		assert.equal(0, r.status, r.stderr)
		local kb = r.stderr:match("peak rss: (%d+) kB")
		assert.is_string(kb, r.stderr)
		return tonumber(kb)
	end

	it("costs lanner no memory for the number's sake", function()
		-- the same run with the read stopping or not (a 2^20-slot table
		-- is 8 MB, twice that while a fork copies it)
		local plain = peak_rss("evt.type=read and evt.rawarg.fd < -1")
		local huge = peak_rss("evt.type=read and evt.rawarg.fd > 999")
		assert.is_true(huge < plain + 4096, ("peak rss %d kB against %d kB"):format(huge, plain))
	end)
end)
