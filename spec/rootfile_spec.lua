-- Files read under a traced process's root (lanner.rootfile; user.name in
-- a container reads its /etc/passwd): what the program put there must not
-- block lanner, fill its memory, or lead it out of that root.
local ffi = require "ffi"
local trace = require "spec.helpers.trace"
local rootfile = require "lanner.rootfile"
local H = require "spec.fields_helper"
local CG = require "spec.helpers.cgroup"

pcall(ffi.cdef, [[
	int fork(void);
	int chroot(const char *path);
	int pause(void);
	void _exit(int status);
	int kill(int pid, int sig);
	int waitpid(int pid, int *status, int options);
]])

local function sh(cmd)
	local out, rc = trace.sh(cmd)
	assert.equal(0, rc, cmd .. ": " .. tostring(out))
	return out
end

describe("a file under a process's root", function()
	local dir
	setup(function()
		dir = trace.mkdtemp()
		sh("mkdir -p " .. dir .. "/etc " .. dir .. "/sub")
	end)
	teardown(function() trace.rmrf(dir) end)

	local function put(name, how)
		sh("rm -f " .. dir .. "/etc/" .. name .. " && " .. how:gsub("@", dir .. "/etc/" .. name))
	end

	it("reads a small regular file", function()
		put("passwd", "printf 'root:x:0:0:root:/root:/bin/sh\\n' > @")
		assert.equal("root:x:0:0:root:/root:/bin/sh\n", rootfile.read(dir, "etc/passwd", 1000))
	end)

	it("refuses a FIFO without waiting for a writer", function()
		put("passwd", "mkfifo @")
		-- in a child with a deadline: a read that blocks fails the case, not the run
		local out, rc = trace.sh(("timeout 10 luajit -e 'package.path=%q..package.path; " ..
			"local s, why = require(\"lanner.rootfile\").read(%q, \"etc/passwd\", 1000); print(s, why)' 2>&1")
			:format(trace.root .. "/lua/?.lua;", dir))
		assert.equal(0, rc, out)
		assert.truthy(out:match("^nil\t/etc/passwd: not a regular file"), out)
	end)

	it("opens no FIFO: a writer waiting for a reader still waits", function()
		put("group", "mkfifo @")
		local fifo, opened = dir .. "/etc/group", dir .. "/opened"
		-- the writer's open returns only once someone opens the FIFO to read
		sh(("(exec 3>%s; touch %s) >/dev/null 2>&1 & echo $! > %s/writer"):format(fifo, opened, dir))
		sh("sleep 0.2")
		local s, why = rootfile.read(dir, "etc/group", 1000)
		assert.is_nil(s)
		assert.equal("/etc/group: not a regular file", why)
		sh("sleep 0.3")
		local _, there = trace.sh("test -e " .. opened)
		sh("kill $(cat " .. dir .. "/writer) 2>/dev/null; rm -f " .. fifo .. " " .. opened .. "; true")
		assert.is_true(there ~= 0, "the FIFO was opened: its writer went on")
	end)

	it("refuses a device and a file larger than asked", function()
		put("passwd", "ln -s /dev/zero @")
		sh("mkdir -p " .. dir .. "/dev && rm -f " .. dir .. "/dev/zero && mknod " .. dir .. "/dev/zero c 1 5")
		local s, why = rootfile.read(dir, "etc/passwd", 1000)
		assert.is_nil(s)
		assert.truthy(why:match("not a regular file"), why)
		put("passwd", "head -c 5000 /dev/zero > @")
		s, why = rootfile.read(dir, "etc/passwd", 1000)
		assert.is_nil(s)
		assert.equal("/etc/passwd: larger than 1000 bytes", why)
		assert.equal(1000, #rootfile.read(dir, "etc/passwd", 5000) - 4000)
	end)

	it("resolves a symbolic link inside the root, not from lanner's", function()
		-- absolute, and with .. past the top: both stay in dir
		put("passwd", "ln -s /sub/passwd @")
		sh("printf 'inside:x:7:7::/:/bin/sh\\n' > " .. dir .. "/sub/passwd")
		assert.equal("inside:x:7:7::/:/bin/sh\n", rootfile.read(dir, "etc/passwd", 1000))
		put("passwd", "ln -s ../../../../../../etc/hostname @")
		local s, why, errno = rootfile.read(dir, "etc/passwd", 1000)
		assert.is_nil(s, "read the host's /etc/hostname through a link")
		assert.equal(rootfile.ENOENT, errno, why)
	end)
end)

describe("user names of a process in a container", function()
	local dir, pid
	setup(function()
		dir = trace.mkdtemp()
		sh("mkdir -p " .. dir .. "/etc")
	end)
	teardown(function()
		if pid and pid > 0 then
			ffi.C.kill(pid, 9)
			ffi.C.waitpid(pid, nil, 0)
		end
		CG.clean()
		trace.rmrf(dir)
	end)
	before_each(H.reset)

	-- a process whose root is dir, as a container's is its image
	local function rooted()
		if pid then return pid end
		pid = ffi.C.fork()
		if pid == 0 then
			ffi.C.chroot(dir)
			ffi.C.pause()
			ffi.C._exit(0)
		end
		assert.is_true(pid > 0)
		-- in dir before anything looks
		for _ = 1, 500 do
			if sh("readlink /proc/" .. pid .. "/root") == dir then return pid end
			sh("sleep 0.01")
		end
		error("the child never went into " .. dir)
	end

	-- the rooted process, moved into a container's cgroup of its own (a new
	-- container id each time, so that no test meets another's cache)
	local function container()
		local id, why = CG.put(rooted())
		if not id then pending(why) end
		return id
	end

	local function name_of(uid, cid, p)
		p = p or H.proc { pid = rooted(), container_id = cid }
		return H.get(H.event { type = "read", res = 0, thread = H.thread { proc = p, uid = uid } }, "user.name")
	end

	it("come from the container's own passwd", function()
		local cid = container()
		if not cid then return end
		sh("printf 'boxed:x:4242:4242::/:/bin/sh\\n' > " .. dir .. "/etc/passwd")
		assert.equal("boxed", name_of(4242, cid))
	end)

	it("are asked again of the container's next process where the first had ended", function()
		-- the queue looks at events after the fact: the process whose
		-- root was to be read may be gone, which says nothing of its
		-- container's passwd
		local cid = container()
		if not cid then return end
		sh("printf 'later:x:4343:4343::/:/bin/sh\\n' > " .. dir .. "/etc/passwd")
		assert.is_nil(name_of(4343, cid, H.proc { pid = 2147483000, container_id = cid }))
		assert.equal("later", name_of(4343, cid))
	end)

	it("are not the host's where the event's pid has gone to a host process", function()
		-- the queue again: the container's process ended and its pid went
		-- to a process on the host (here: this one), whose root is the
		-- host's; its passwd is neither used nor kept for the container
		local cid = container()
		if not cid then return end
		sh("printf 'boxroot:x:0:0::/:/bin/sh\\n' > " .. dir .. "/etc/passwd")
		local host = H.proc { pid = tonumber(trace.self_pid()), container_id = cid }
		assert.is_nil(name_of(0, cid, host))
		assert.equal("boxroot", name_of(0, cid))
	end)

	it("are empty, said once, where its passwd is too large to read", function()
		local cid = container()
		if not cid then return end
		-- a good line, then 5 MB more: read whole, it named uid 0
		sh("{ printf 'big:x:0:0::/:/bin/sh\\n'; head -c 5242880 /dev/zero | tr '\\0' '#'; } > " .. dir .. "/etc/passwd")
		assert.is_nil(name_of(0, cid))
	end)
end)
