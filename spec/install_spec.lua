-- Installed like a real tool: `make install DESTDIR=...` lays out the
-- binary, the Lua side, the chisels, the man page, the rules where the
-- configuration and the README say they are (/etc/lanner/rules), and the
-- commented sample /etc/lanner/lanner.yaml (doc/lanner.yaml), whose every
-- key loads.  The man page (cli/manpage.lua) and --help have the same
-- options; the README's ECS task definition and pod spec parse and use the
-- installed paths.
local config = require "lanner.config"
local yaml = require "lanner.yaml"
local json = require "dkjson"
local H = dofile("spec/fixtures/outputs/helper.lua")

local SAMPLE = "doc/lanner.yaml"

-- The --help's options: the words that start an option line (two spaces
-- in, six for a long option alone; descriptions are further in).
local function help_options(help)
	local out = {}
	for line in help:gmatch("[^\n]+") do
		local label = line:match("^ +(%-.-)%s%s") or line:match("^ +(%-.*)$")
		local names = #line:match("^ *") <= 6 and label
		if names then
			for n in names:gmatch("%-[%w-]+") do out[#out + 1] = n end
		end
	end
	table.sort(out)
	return out
end

-- The man page's options: those in the .TP headings of OPTIONS.
local function man_options(roff)
	local opts = roff:match("\n%.SH OPTIONS\n(.-)\n%.SH ")
	local out = {}
	for heading in opts:gmatch("%.TP\n([^\n]+)") do
		for n in heading:gmatch("\\fB(.-)\\fR") do out[#out + 1] = (n:gsub("\\%-", "-")) end
	end
	table.sort(out)
	return out
end

describe("the man page and --help", function()
	it("list the same options, every one", function()
		local help = require("lanner.cli.args").usage
		local roff = require("lanner.cli.manpage").render { prefix = "/usr/local" }
		local h, m = help_options(help), man_options(roff)
		assert.is_true(#h > 40, "too few options found in --help: " .. #h)
		assert.same(h, m)
		-- and what build/lanner --help prints is that text
		if H.ready() then
			local rc, out = H.lanner("--help")
			assert.equal(0, rc)
			assert.equal(help, out)
		end
	end)

	it("is valid roff: every line a request, a text line or an escape groff accepts", function()
		local roff = require("lanner.cli.manpage").render { prefix = "/usr/local" }
		assert.matches("^%.TH LANNER 1 ", roff)
		for line in roff:gmatch("[^\n]+") do
			assert.is_nil(line:match("^'"), line)
			if line:sub(1, 1) == "." then assert.matches("^%.[A-Za-z&]", line) end
		end
		if os.execute("command -v groff >/dev/null 2>&1") == 0 then
			local d = H.tmpdir()
			H.write(d .. "/lanner.1", roff)
			local rc, _, err = H.sh("groff -man -Tutf8 -ww -z " .. d .. "/lanner.1")
			H.rmdir(d)
			assert.equal(0, rc)
			assert.equal("", err)
		end
	end)
end)

describe("the sample configuration", function()
	it("loads with no warning, and every key it shows is one lanner reads", function()
		local cfg, err, warnings = config.load(SAMPLE)
		assert.is_nil(err)
		assert.same({}, warnings)
		local docs = assert(yaml.parse_file(SAMPLE))
		local root = docs[1]
		for _, k in ipairs(root.keys) do
			local node = root.map[k]
			assert.is_not_nil(cfg[k], k .. " was not read")
			if node.kind == "map" then
				for _, sk in ipairs(node.keys) do assert.is_not_nil(cfg[k][sk], k .. "." .. sk .. " was not read") end
			end
		end
		assert.same({ "/etc/lanner/rules" }, cfg.rules_files)
	end)

	it("starts lanner with --config (rules from the source tree)", function()
		if not H.ready() then return pending("build/lanner is not built") end
		local rc, _, err = H.lanner("--config " .. SAMPLE .. " -o 'rules_files=[rules]' -- true")
		assert.equal(0, rc, err)
		assert.equal("", err)
	end)
end)

describe("make install DESTDIR=", function()
	if not H.ready() then
		pending("build/lanner is not built")
		return
	end
	local dest
	setup(function()
		dest = H.tmpdir()
		local rc, out, err = H.sh("make -s install DESTDIR=" .. dest .. " PREFIX=/usr/local")
		assert.equal(0, rc, (out or "") .. (err or ""))
	end)
	teardown(function() H.rmdir(dest) end)

	local function exists(p) return H.sh("test -e " .. H.q(dest .. p)) == 0 end

	it("lays out the binary, Lua, chisels, man page, rules and sample configuration", function()
		for _, p in ipairs {
			"/usr/local/bin/lanner", "/usr/local/share/lanner/lua/lanner/cli.lua",
			"/usr/local/share/lanner/lua/lanner/cdef.lua", "/usr/local/share/lanner/chisels/topfiles_bytes.lua",
			"/usr/local/share/man/man1/lanner.1", "/etc/lanner/lanner.yaml", "/etc/lanner/rules/10-files.yaml",
			"/etc/lanner/rules/detections/secret_then_connect.lua",
		} do
			assert.is_true(exists(p), p)
		end
		-- one place for the rules
		assert.is_false(exists("/usr/local/share/lanner/rules"))
		assert.equal(H.read(SAMPLE), H.read(dest .. "/etc/lanner/lanner.yaml"))
		assert.equal(require("lanner.cli.manpage").render { prefix = "/usr/local" },
			H.read(dest .. "/usr/local/share/man/man1/lanner.1"))
	end)

	it("the installed lanner finds its Lua side and validates the installed rules", function()
		local rc, out = H.sh(dest .. "/usr/local/bin/lanner -V -R " .. dest .. "/etc/lanner/rules")
		assert.equal(0, rc, out)
		assert.matches("^ok: %d+ rules, 0 errors", out)
	end)

	it("keeps a configuration the user edited on the next install", function()
		H.write(dest .. "/etc/lanner/lanner.yaml", "priority: warning\n")
		local rc, out = H.sh("make -s install DESTDIR=" .. dest .. " PREFIX=/usr/local")
		assert.equal(0, rc)
		assert.matches("kept " .. dest .. "/etc/lanner/lanner.yaml", out, 1, true)
		assert.equal("priority: warning\n", H.read(dest .. "/etc/lanner/lanner.yaml"))
	end)
end)

describe("the README's entrypoint examples", function()
	local readme = H.read("README.md")
	local function block(lang, after)
		local from = readme:find(after, 1, true)
		assert.is_not_nil(from, after)
		return readme:match("```" .. lang .. "\n(.-)\n```", from)
	end

	-- Every /etc/lanner or /usr/local path a text names is one install makes.
	local function installed_paths(text)
		local out = {}
		for p in text:gmatch('(/[%w/._-]+)') do
			if p:match("^/etc/lanner") or p:match("^/usr/local/bin") then out[#out + 1] = p end
		end
		return out
	end
	local KNOWN = { ["/etc/lanner/rules"] = true, ["/etc/lanner/lanner.yaml"] = true, ["/usr/local/bin/lanner"] = true }

	it("has a complete ECS task definition (JSON) that runs lanner in front of the workload", function()
		local text = assert(block("json", "ECS task definition"))
		local td = assert(json.decode(text), "not JSON")
		assert.is_string(td.family)
		local c = td.containerDefinitions[1]
		assert.same({ "SYS_PTRACE" }, c.linuxParameters.capabilities.add)
		assert.equal("/usr/local/bin/lanner", c.entryPoint[1])
		assert.equal("--", c.entryPoint[#c.entryPoint])
		assert.is_true(#c.command > 0)
		for _, p in ipairs(installed_paths(text)) do assert.is_true(KNOWN[p], p) end
	end)

	it("has a Kubernetes pod spec (YAML) with the same entrypoint", function()
		local text = assert(block("yaml", "Kubernetes pod spec"))
		local docs = assert(yaml.parse(text))
		local pod = docs[1]
		assert.equal("Pod", pod.kind)
		local c = pod.spec.containers[1]
		assert.equal("/usr/local/bin/lanner", c.command[1])
		assert.same({ "SYS_PTRACE" }, c.securityContext.capabilities.add)
		for _, p in ipairs(installed_paths(text)) do assert.is_true(KNOWN[p], p) end
	end)
end)
