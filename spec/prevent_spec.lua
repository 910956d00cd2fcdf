-- rules/prevent/ (issue #18): under `lanner --enforce -R rules/prevent/`
-- every packaged attack fails (the program sees the errno and carries on,
-- or is killed), without --enforce the same runs go through and alert
-- "would deny"/"would kill", and ordinary work (tar, git, make, python, a
-- web server on 127.0.0.1) gives the same output and exit status as
-- untraced, with no alert.  Writes to system paths happen in a mount
-- namespace of their own, over overlays of /etc and /usr/bin, so that
-- nothing on the machine changes even when a write gets through.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

local RULES = trace.root .. "/rules/prevent/"
local ATTACKS = trace.prog("prevent_attacks")
local dir

setup(function() dir = trace.mkdtemp() end)
teardown(function()
	if dir then trace.rmrf(dir) end
	cmp.cleanup()
end)

local function lanner(enforce, argv, opts, extra)
	local largs = { "-R", RULES }
	for _, x in ipairs(extra or {}) do largs[#largs + 1] = x end
	if enforce then table.insert(largs, 1, "--enforce") end
	return cmp.lanner(largs, argv, opts or { timeout = 60 })
end

-- alerts of rule text, each with its action
local function alerts(r, text)
	local out = {}
	for _, l in ipairs(r.events) do
		if l:find(text, 1, true) then out[#out + 1] = l:match("%(lanner: ([%w ]+)%)$") or "?" end
	end
	return out
end

local function lines(s)
	local t = {}
	for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
	return t
end

-- name, argv, the lines the attack prints when refused, the alert text
local CASES = {
	{ "io_uring set-up", { ATTACKS, "io_uring" }, { "io_uring_setup ENOSYS", "carried on" }, "io_uring set-up" },
	-- lanner refuses listeners by itself unless --allow-seccomp-listener:
	-- with it, the rule is what refuses
	{ "a seccomp listener (a plain filter stays allowed)", { ATTACKS, "listener" },
		{ "seccomp_listener EPERM", "seccomp_plain ok", "carried on" }, "seccomp user-notification listener",
		{ "--allow-seccomp-listener" } },
	{ "kernel module loading", { ATTACKS, "module" }, { "init_module EPERM", "finit_module EPERM", "carried on" },
		"kernel module load" },
}

for _, c in ipairs(CASES) do
	local name, argv, refused, text, extra = c[1], c[2], c[3], c[4], c[5]
	describe("prevention: " .. name, function()
		local plain, enforced, dry
		setup(function()
			plain = cmp.run(argv, { timeout = 30 })
			enforced = lanner(true, argv, nil, extra)
			dry = lanner(false, argv, nil, extra)
		end)
		it("is refused under --enforce, and the program carries on", function()
			assert.are.same(refused, lines(enforced.stdout), enforced.stderr)
			assert.are.equal(0, enforced.code)
			local a = alerts(enforced, text)
			assert.is_true(#a >= 1, table.concat(enforced.events, "\n"))
			for _, x in ipairs(a) do assert.are.equal("denied", x) end
		end)
		it("goes through in a dry run, as untraced, with a 'would deny' alert", function()
			assert.are.equal(plain.stdout, dry.stdout)
			assert.are_not.same(refused, lines(plain.stdout))
			local a = alerts(dry, text)
			assert.is_true(#a >= 1, table.concat(dry.events, "\n"))
			for _, x in ipairs(a) do assert.are.equal("would deny", x) end
		end)
	end)
end

describe("prevention: ptrace of another process", function()
	local target, plain, enforced, dry
	setup(function()
		target = cmp.spawn({ "sleep", "60" }, {})
		plain = cmp.run({ ATTACKS, "ptrace", tostring(target) }, { timeout = 30 })
		enforced = lanner(true, { ATTACKS, "ptrace", tostring(target) })
		dry = lanner(false, { ATTACKS, "ptrace", tostring(target) })
	end)
	teardown(function() if target then cmp.kill_wait(target) end end)
	it("attaches untraced and in a dry run ('would deny'), is refused under --enforce", function()
		assert.are.equal("ptrace_attach ok\ncarried on\n", plain.stdout)
		assert.are.equal(plain.stdout, dry.stdout)
		assert.are.same({ "would deny" }, alerts(dry, "ptrace of another process"))
		assert.are.equal("ptrace_attach EPERM\ncarried on\n", enforced.stdout)
		assert.are.same({ "denied" }, alerts(enforced, "ptrace of another process"))
	end)
end)

describe("prevention: mount and umount", function()
	it("are refused under --enforce (in a namespace of the program's own)", function()
		local mnt = dir .. "/mnt"
		os.execute("mkdir -p " .. mnt)
		local r = lanner(true, { ATTACKS, "mount", mnt })
		assert.are.same({ "unshare ok", "mount_private EPERM", "mount_tmpfs EPERM", "umount EPERM", "carried on" },
			lines(r.stdout))
		assert.are.same({ "denied", "denied", "denied" }, alerts(r, "(lanner: "))
	end)
end)

describe("prevention: execution from memfd and /dev/shm", function()
	local shm = "/dev/shm/lanner-prevent-" .. tostring(os.time())
	local script = ("%s; echo memfd=$?; cp /bin/true %s; %s; echo shm=$?; rm -f %s")
		:format(trace.prog("memfd_exec"), shm, shm, shm)
	it("kills the process before its first instruction under --enforce", function()
		local r = lanner(true, { "sh", "-c", script })
		assert.are.equal("memfd=137\nshm=137\n", r.stdout)
		assert.are.same({ "killed", "killed" }, alerts(r, "execution from memory"))
	end)
	it("lets it run in a dry run, with 'would kill' alerts", function()
		local r = lanner(false, { "sh", "-c", script })
		assert.are.equal("memfd=0\nshm=0\n", r.stdout)
		assert.are.same({ "would kill", "would kill" }, alerts(r, "execution from memory"))
	end)
end)

-- Writes to system paths: lanner runs inside `unshare -m`, over overlays
-- of /etc and /usr/bin whose upper layers are in the scratch directory.
describe("prevention: writes below binary directories and to /etc/ld.so.preload", function()
	local attempts = table.concat({
		"echo x > /etc/ld.so.preload; echo preload=$?",
		"echo y > /usr/bin/lanner-evil; echo create=$?",
		"cd /usr/bin && echo z > ./lanner-rel; echo relative=$?",
		"cp /bin/true /usr/bin/lanner-true; echo cp=$?",
		"ln -s /tmp /usr/bin/lanner-lnk; echo symlink=$?",
		"chmod 777 /usr/bin/yes; echo chmod=$?",
		"rm -f /usr/bin/yes; echo rm=$?",
		"truncate -s 0 /usr/bin/yes; echo truncate=$?",
		"echo ok > " .. "/tmp/lanner-prevent-ok.$$ && mv /tmp/lanner-prevent-ok.$$ /usr/bin/; echo mv=$?",
		"rm -f /tmp/lanner-prevent-ok.$$",
		-- allowed at the entry on its own name, refused at the exit on
		-- the one the kernel resolved
		"ln -s /usr/bin/lanner-via /tmp/lanner-prevent-lnk.$$ && echo w > /tmp/lanner-prevent-lnk.$$; "
			.. "echo via-symlink=$?; rm -f /tmp/lanner-prevent-lnk.$$",
	}, "; ")
	local function in_ns(enforce)
		local up = dir .. (enforce and "/e" or "/d")
		local setup_ns = ("mkdir -p %s/u1 %s/w1 %s/u2 %s/w2 && mount --make-rprivate / && "
			.. "mount -t overlay overlay -o lowerdir=/etc,upperdir=%s/u1,workdir=%s/w1 /etc && "
			.. "mount -t overlay overlay -o lowerdir=/usr/bin,upperdir=%s/u2,workdir=%s/w2 /usr/bin && ")
			:format(up, up, up, up, up, up, up, up)
		local l = cmp.lanner_argv(enforce and { "--enforce", "-R", RULES } or { "-R", RULES },
			{ "sh", "-c", attempts }, up .. ".events")
		for i, a in ipairs(l) do l[i] = trace.shell_quote(a) end
		local r = cmp.run({ "unshare", "-m", "sh", "-c", setup_ns .. table.concat(l, " ") }, { timeout = 60 })
		r.events = lines(trace.read_file(up .. ".events") or "")
		r.upper = trace.sh("ls -A " .. up .. "/u1 " .. up .. "/u2 | grep -v :$ | grep .")
		r.via_size = trace.sh("stat -c %s " .. up .. "/u2/lanner-via 2>/dev/null")
		return r
	end
	it("are all refused under --enforce, and nothing is written", function()
		local r = in_ns(true)
		assert.are.equal(table.concat({ "preload=2", "create=2", "relative=2", "cp=1", "symlink=1", "chmod=1", "rm=1",
			"truncate=1", "mv=1", "via-symlink=2" }, "\n") .. "\n", r.stdout, r.stderr)
		-- through the symlink O_CREAT made the file before the exit's
		-- verdict, but nothing could be written into it
		assert.are.equal("lanner-via", r.upper)
		assert.are.equal("0", r.via_size)
		local a = alerts(r, "(lanner: ")
		assert.is_true(#a >= 9, table.concat(r.events, "\n"))
		for _, x in ipairs(a) do assert.are.equal("denied", x) end
	end)
	it("all go through in a dry run, each with a 'would deny' alert", function()
		local r = in_ns(false)
		assert.are.equal(table.concat({ "preload=0", "create=0", "relative=0", "cp=0", "symlink=0", "chmod=0", "rm=0",
			"truncate=0", "mv=0", "via-symlink=0" }, "\n") .. "\n", r.stdout, r.stderr)
		local a = alerts(r, "(lanner: ")
		assert.is_true(#a >= 9, table.concat(r.events, "\n"))
		for _, x in ipairs(a) do assert.are.equal("would deny", x) end
	end)
end)

-- Ordinary work under the whole set, enforced: the same output and exit
-- status as untraced, and not one alert.
local PY_SERVER = [[
import http.server, socketserver, threading, urllib.request
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
with socketserver.TCPServer(("127.0.0.1", 0), H) as s:
    threading.Thread(target=s.serve_forever, daemon=True).start()
    body = urllib.request.urlopen("http://127.0.0.1:%d/hello.txt" % s.server_address[1]).read()
    print(body.decode().strip())
    s.shutdown()
]]

local WORKLOADS = {
	{ "tar", "mkdir -p d/e && echo a > d/a && echo b > d/e/b && tar cf a.tar d && tar tf a.tar | sort && "
		.. "mkdir out && tar xf a.tar -C out && diff -r d out/d && echo same" },
	{ "git", "git init -q r && cd r && echo x > f && git add f && git -c user.email=a@b -c user.name=n "
		.. "commit -qm first && git log --format=%s && git status --short | wc -l" },
	{ "make", "printf 'all: out.txt\\nout.txt: in.txt\\n\\tcp in.txt out.txt\\n\\techo built\\n' > Makefile && "
		.. "echo in > in.txt && make -s && make -s && cat out.txt" },
	{ "python3", "python3 -c 'import json, os, tempfile; f = open(\"p.json\", \"w\"); json.dump({\"k\": 1}, f); "
		.. "f.close(); print(json.load(open(\"p.json\")), sorted(os.listdir(\".\")))'" },
	-- a pinned symlink keeps its target as given (relative stays relative)
	{ "relative symlinks", "ln -s ../lib/x rel && readlink rel && mkdir s && cd s && ln -s ../rel up && readlink up" },
	{ "a web server on 127.0.0.1", "echo hello > hello.txt && python3 -c '" .. PY_SERVER:gsub("'", "'\\''") .. "'" },
}

for _, w in ipairs(WORKLOADS) do
	describe("prevention leaves ordinary work alone: " .. w[1], function()
		it("the same output and exit status as untraced, no alert", function()
			local a, b = dir .. "/plain-" .. w[1]:gsub("%W", ""), dir .. "/enforced-" .. w[1]:gsub("%W", "")
			os.execute("mkdir -p " .. trace.shell_quote(a) .. " " .. trace.shell_quote(b))
			local plain = cmp.run({ "sh", "-c", "cd " .. trace.shell_quote(a) .. " && " .. w[2] }, { timeout = 60 })
			local r = lanner(true, { "sh", "-c", "cd " .. trace.shell_quote(b) .. " && " .. w[2] }, { timeout = 120 })
			assert.are.equal(0, plain.code, plain.stderr)
			assert.are.equal(plain.stdout, r.stdout, r.stderr)
			assert.are.equal(plain.code, r.code)
			assert.are.same({}, r.events)
		end)
	end)
end

-- With the detection rules loaded too, the syscalls of the filter verdicts
-- are traced for them anyway: every call stops and the core compares the
-- same registers (src/trace/verdict.c), and both rules alert.
describe("prevention beside the detection rules", function()
	it("still refuses, and the detection rule sees the refusal", function()
		local r = cmp.lanner({ "--enforce", "-R", trace.root .. "/rules/", "-R", RULES }, { ATTACKS, "module" },
			{ timeout = 60 })
		assert.are.same({ "init_module EPERM", "finit_module EPERM", "carried on" }, lines(r.stdout))
		assert.are.same({ "denied", "denied" }, alerts(r, "kernel module load ("))
		local seen = 0
		for _, l in ipairs(r.events) do
			if l:find("Kernel module load attempted", 1, true) and l:find("EPERM", 1, true) then seen = seen + 1 end
		end
		assert.are.equal(2, seen)
	end)
end)
