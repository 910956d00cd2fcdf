-- lanner.cli, end to end through build/lanner: fail closed.  A rules file
-- or folder that is missing, a folder with no rules, a rules file with
-- errors (from -R or the configuration's rules_files) stops lanner with
-- exit status 1 before it starts the command, unless --ignore-broken-rules
-- (or ignore_broken_rules: true) says to go on with what loaded.
local H = dofile("spec/fixtures/outputs/helper.lua")

describe("lanner fails closed on rules", function()
	local dir
	before_each(function() dir = H.tmpdir() end)
	after_each(function() H.rmdir(dir) end)

	-- Runs lanner with args and a command that leaves a mark; returns the
	-- exit status, stderr and whether the command ran.
	local function run(args)
		local mark = dir .. "/ran"
		os.remove(mark)
		local rc, _, err = H.lanner(args .. " -- touch " .. H.q(mark))
		return rc, err, H.read(mark) ~= nil
	end

	local BROKEN = "- rule: Broken\n  desc: d\n  condition: evt.type=open and (\n  output: o\n  priority: WARNING\n"

	local cases = {
		{ "a rules file that does not exist", function() return "-R " .. dir .. "/nope.yaml" end,
			"nope.yaml: no such rules file or folder" },
		{ "a rules folder that does not exist", function() return "-R " .. dir .. "/rules.d/" end,
			"rules.d/: no such rules file or folder" },
		{ "a rules folder with no .yaml in it", function()
			os.execute("mkdir " .. H.q(dir .. "/empty"))
			return "-R " .. dir .. "/empty"
		end, "empty: a rules folder with no .yaml file in it" },
		{ "a rules file with a broken condition", function()
			H.write(dir .. "/bad.yaml", BROKEN)
			return "-R " .. dir .. "/bad.yaml"
		end, "bad.yaml:3: rule 'Broken'" },
		{ "a rules file that is not YAML", function()
			H.write(dir .. "/bad.yaml", "- rule: [unclosed\n")
			return "-R " .. dir .. "/bad.yaml"
		end, "bad.yaml:" },
		{ "a missing file named by the configuration's rules_files", function()
			H.write(dir .. "/lanner.yaml", "rules_files:\n  - " .. dir .. "/gone.yaml\n")
			return "--config " .. dir .. "/lanner.yaml"
		end, "gone.yaml: no such rules file or folder" },
	}
	for _, c in ipairs(cases) do
		it("refuses to start with " .. c[1] .. ": exit 1, the problem named, the command never run", function()
			local args = c[2]()
			local rc, err, ran = run("-R " .. H.RULES .. " " .. args)
			assert.equal(1, rc, err)
			assert.is_false(ran)
			assert.matches(c[3], err, 1, true)
			assert.matches("refusing to start: 1 error in the rules (nothing was started)", err, 1, true)
			assert.is_nil(err:find("traceback", 1, true), err)
		end)
	end

	it("the same file loaded with --ignore-broken-rules starts, runs the good rules, and says what it skipped", function()
		H.write(dir .. "/bad.yaml", BROKEN)
		local rc, out, err = H.lanner(("-R %s -R %s/bad.yaml -R %s/nope.yaml --ignore-broken-rules -- cat /etc/hostname")
			:format(H.RULES, dir, dir))
		assert.equal(0, rc, err)
		assert.matches("hostname read", out)
		assert.matches("nope.yaml: no such rules file or folder", err, 1, true)
		assert.matches("2 errors in the rules: the broken ones are skipped, 2 rules loaded", err, 1, true)
	end)

	it("ignore_broken_rules: true in the configuration does the same; false refuses", function()
		H.write(dir .. "/on.yaml", "ignore_broken_rules: true\nrules_files: [" .. dir .. "/nope.yaml]\n")
		local rc, err, ran = run("--config " .. dir .. "/on.yaml")
		assert.equal(0, rc, err)
		assert.is_true(ran)
		H.write(dir .. "/off.yaml", "ignore_broken_rules: false\nrules_files: [" .. dir .. "/nope.yaml]\n")
		rc, err, ran = run("--config " .. dir .. "/off.yaml")
		assert.equal(1, rc, err)
		assert.is_false(ran)
	end)

	it("the packaged rules load with no error and start the command", function()
		local rc, err, ran = run("-R rules")
		assert.equal(0, rc, err)
		assert.is_true(ran)
	end)

	it("-V reports a missing file as an error, exit 1", function()
		local rc, out = H.lanner("-V -R " .. dir .. "/nope.yaml")
		assert.equal(1, rc)
		assert.matches("error: " .. dir .. "/nope.yaml: no such rules file or folder", out, 1, true)
	end)

	it("--list-rules lists what loaded and names what did not, exit 1", function()
		local rc, out, err = H.lanner("--list-rules -R " .. H.RULES .. " -R " .. dir .. "/nope.yaml")
		assert.equal(1, rc)
		assert.matches("Read hostname", out)
		assert.matches("nope.yaml: no such rules file or folder", err, 1, true)
	end)

	it("a rule whose condition names an unknown event type still loads, with a -V warning (as Falco)", function()
		H.write(dir .. "/opn.yaml", "- rule: Typo\n  desc: d\n  condition: evt.type=opn\n  output: o\n  priority: WARNING\n")
		local rc, out = H.lanner("-V -R " .. dir .. "/opn.yaml")
		assert.equal(0, rc, out)
		assert.matches("opn.yaml:3: rule 'Typo': condition can match no event type", out, 1, true)
		local rc2, err, ran = run("-R " .. dir .. "/opn.yaml")
		assert.equal(0, rc2, err)
		assert.is_true(ran)
	end)
end)

describe("--output-file", function()
	local dir
	before_each(function() dir = H.tmpdir() end)
	after_each(function() H.rmdir(dir) end)

	local function two_runs(extra)
		local f = dir .. "/events"
		for _ = 1, 2 do
			local rc, _, err = H.lanner(("%s --output-file %s -p '%%proc.name %%evt.type' 'evt.type=openat and fd.name=/etc/hostname' -- cat /etc/hostname")
				:format(extra, f))
			assert.equal(0, rc, err)
		end
		return H.lines(f)
	end

	it("overwrites the file, as strace's -o does", function()
		H.write(dir .. "/events", "old line\n")
		assert.same({ "cat openat" }, two_runs(""))
	end)

	it("is left alone when lanner refuses to start", function()
		H.write(dir .. "/events", "last run\n")
		local rc = H.lanner(("-R %s/nope.yaml --output-file %s/events -- true"):format(dir, dir))
		assert.equal(1, rc)
		assert.equal("last run\n", H.read(dir .. "/events"))
	end)

	it("appends with -A (--append)", function()
		H.write(dir .. "/events", "old line\n")
		assert.same({ "old line", "cat openat", "cat openat" }, two_runs("-A"))
		assert.equal(5, #two_runs("--append"))
	end)
end)
