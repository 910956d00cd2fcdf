-- The packaged detection scripts (rules/detections/*.lua), each run by
-- build/lanner on a program that should trigger it and on benign
-- look-alikes that should not.
--
-- Needs root: network cases run in a network namespace of their own
-- (unshare -n, with 10.99.0.1 on its lo as the "outside" address), the
-- binary-directory case in a mount namespace with a tmpfs on
-- /usr/local/bin, the denied-access case as user nobody.
local H = require "spec.fixtures.detect.harness"

local ACT = H.build_act()
local D = "rules/detections/"
local q = H.q

local function run(script, argv, wrap, extra)
	return H.run_script(D .. script, argv, wrap, extra)
end

local NETNS = H.netns(ACT)
local tmpdir = H.tmpdir

local describe_root = H.is_root() and describe or pending

describe_root("packaged detection: secret read then outbound connection", function()
	local RULE = "Secret read then outbound connection"
	local S = "secret_then_connect.lua"

	it("alerts when the reader connects out", function()
		local rc, alerts, err = run(S, { ACT, "read", "/etc/shadow", "connect", "10.99.0.1", "8080" }, NETNS)
		assert.are.equal(0, rc, err)
		local a = H.of_rule(alerts, RULE)
		assert.are.equal(1, #a, err)
		assert.are.equal("Critical", a[1].priority)
		assert.are.equal("/etc/shadow", a[1].output_fields["secret.name"])
		assert.matches("connection=.*10%.99%.0%.1:8080", a[1].output)
	end)

	it("alerts when a sibling does the sending (cat secret; connect), with the rule pack loaded", function()
		local rc, alerts, err = run(S, { "sh", "-c", "cat /etc/shadow > /dev/null; " .. ACT .. " connect 10.99.0.1 8080" },
			NETNS, { "-R", "rules/" })
		assert.are.equal(0, rc, err)
		assert.are.equal(1, #H.of_rule(alerts, RULE), err)
	end)

	it("stays quiet for loopback, and for a connection without a secret read", function()
		local rc, alerts, err = run(S, { ACT, "read", "/etc/shadow", "connect", "127.0.0.1", "8080" }, NETNS)
		assert.are.equal(0, rc, err)
		assert.are.equal(0, #H.of_rule(alerts, RULE))
		rc, alerts, err = run(S, { ACT, "read", "/etc/hostname", "connect", "10.99.0.1", "8080" }, NETNS)
		assert.are.equal(0, rc, err)
		assert.are.equal(0, #H.of_rule(alerts, RULE))
	end)
end)

describe_root("packaged detection: downloaded file executed", function()
	local RULE = "Downloaded file executed"
	local S = "download_exec.lua"
	local dir

	before_each(function() dir = tmpdir() end)
	after_each(function() H.sh("rm -rf " .. q(dir)) end)

	it("alerts when a network-facing process's file is made executable and run", function()
		local f = dir .. "/payload"
		local rc, alerts, err = run(S, { "sh", "-c", ACT .. " connect 127.0.0.1 8080 write " .. f
			.. " /bin/true && chmod 755 " .. f .. " && " .. f }, NETNS)
		assert.are.equal(0, rc, err)
		local a = H.of_rule(alerts, RULE)
		assert.are.equal(1, #a, err)
		assert.are.equal(f, a[1].output_fields["file.path"])
		assert.are.equal("detect_act", a[1].output_fields["writer.name"])
	end)

	it("stays quiet when the writer had no socket, or the file is not run", function()
		local f = dir .. "/tool"
		local rc, alerts, err = run(S, { "sh", "-c", ACT .. " write " .. f .. " /bin/true && chmod 755 "
			.. f .. " && " .. f }, NETNS)
		assert.are.equal(0, rc, err)
		assert.are.equal(0, #H.of_rule(alerts, RULE))
		rc, alerts, err = run(S, { "sh", "-c", ACT .. " connect 127.0.0.1 8080 write " .. f
			.. " /bin/true && chmod 755 " .. f }, NETNS)
		assert.are.equal(0, rc, err)
		assert.are.equal(0, #H.of_rule(alerts, RULE))
	end)
end)

describe_root("packaged detection: burst of denied accesses", function()
	local RULE = "Burst of denied file accesses"
	local S = "denied_burst.lua"
	local AS_NOBODY = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups" }

	local function nobody(...)
		local argv = {}
		for _, a in ipairs(AS_NOBODY) do argv[#argv + 1] = a end
		for _, a in ipairs { ... } do argv[#argv + 1] = a end
		return argv
	end

	it("alerts once for 30 denied opens in a row", function()
		local rc, alerts, err = run(S, nobody(ACT, "failopen", "30", "/root"))
		assert.are.equal(0, rc, err)
		local a = H.of_rule(alerts, RULE)
		assert.are.equal(1, #a, err)
		assert.are.equal(65534, a[1].output_fields["user.uid"])
		assert.matches("^/root/probe%-", a[1].output_fields["last.path"])
	end)

	it("stays quiet for a few denials, and for missing files", function()
		local rc, alerts, err = run(S, nobody(ACT, "failopen", "5", "/root"))
		assert.are.equal(0, rc, err)
		assert.are.equal(0, #H.of_rule(alerts, RULE))
		rc, alerts, err = run(S, { ACT, "failopen", "50", "/nonexistent" })
		assert.are.equal(0, rc, err)
		assert.are.equal(0, #H.of_rule(alerts, RULE))
	end)
end)

describe_root("packaged detection: process spawning many shells", function()
	local RULE = "Process spawned many shells"
	local S = "shell_spawner.lua"

	it("alerts when one process starts 12 shells", function()
		local rc, alerts, err = run(S, { ACT, "spawn", "12", "/bin/sh" })
		assert.are.equal(0, rc, err)
		local a = H.of_rule(alerts, RULE)
		assert.are.equal(1, #a, err)
		assert.are.equal("detect_act", a[1].output_fields["proc.pname"])
	end)

	it("stays quiet for 3 shells, and for 12 programs that are not shells", function()
		local rc, alerts, err = run(S, { ACT, "spawn", "3", "/bin/sh" })
		assert.are.equal(0, rc, err)
		assert.are.equal(0, #H.of_rule(alerts, RULE))
		rc, alerts, err = run(S, { ACT, "spawn", "12", "/bin/true" })
		assert.are.equal(0, rc, err)
		assert.are.equal(0, #H.of_rule(alerts, RULE))
	end)
end)

describe_root("packaged detection: setuid 0 then a write below a binary directory", function()
	local RULE = "Write below binary dir after setuid root"
	local S = "setuid_bindir.lua"
	-- writes to /usr/local/bin land on a tmpfs of a private mount namespace
	local MNTNS = "unshare -m sh -c " .. q('mount -t tmpfs none /usr/local/bin && eval "$LCMD"')

	it("alerts on the write that follows setuid(0)", function()
		local rc, alerts, err = run(S, { ACT, "setuid", "0", "write", "/usr/local/bin/evil" }, MNTNS)
		assert.are.equal(0, rc, err)
		local a = H.of_rule(alerts, RULE)
		assert.are.equal(1, #a, err)
		assert.are.equal("/usr/local/bin/evil", a[1].output_fields["fd.name"])
	end)

	it("stays quiet for a write without setuid, and for setuid then a write elsewhere", function()
		local rc, alerts, err = run(S, { ACT, "write", "/usr/local/bin/tool" }, MNTNS)
		assert.are.equal(0, rc, err)
		assert.are.equal(0, #H.of_rule(alerts, RULE))
		local dir = tmpdir()
		rc, alerts, err = run(S, { ACT, "setuid", "0", "write", dir .. "/x" }, MNTNS)
		H.sh("rm -rf " .. q(dir))
		assert.are.equal(0, rc, err)
		assert.are.equal(0, #H.of_rule(alerts, RULE))
	end)
end)
