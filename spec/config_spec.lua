-- lanner.config: the configuration file (Falco's key names), -o overrides,
-- errors that name the key and the line, and what apply() hands the CLI.
local config = require "lanner.config"
local H = dofile("spec/fixtures/outputs/helper.lua")

describe("config", function()
	local dir
	before_each(function() dir = H.tmpdir() end)
	after_each(function() H.rmdir(dir) end)

	local function file(text, name)
		local p = dir .. "/" .. (name or "lanner.yaml")
		H.write(p, text)
		return p
	end

	describe("errors", function()
		local cases = {
			{ "http_output:\n  enabled: true\n  url: [a, b]\n", ":3: http_output.url: expected a string" },
			{ "json_output: maybe\n", ":1: json_output: expected true or false, got 'maybe'" },
			{ "\n\noutputs:\n  rate: fast\n", ":4: outputs.rate: expected a number >= 0, got 'fast'" },
			{ "outputs_queue:\n  capacity: 1.5\n", ":2: outputs_queue.capacity: expected a whole number >= 0, got '1.5'" },
			{ "priority: loud\n", ":1: priority: expected a priority (emergency, alert, critical, error, warning, "
				.. "notice, info, debug), got 'loud'" },
			{ "rule_matching: some\n", ":1: rule_matching: expected one of first, all, got 'some'" },
			{ "file_output: yes\n", ":1: file_output: expected a mapping" },
			{ "rules_files:\n  - {a: 1}\n", ":2: rules_files: expected a path or a list of paths" },
			{ "x: 1\nfile_output:\n  enabled: true\n", ":2: file_output.filename: required when file_output is enabled" },
			{ "http_output:\n  enabled: true\n  url: ftp://h/\n", ":3: http_output.url: expected an http:// or https:// URL" },
			{ "webserver:\n  enabled: true\n  listen_port: 99999\n", ":3: webserver.listen_port: expected a port number (0-65535)" },
			{ "webserver:\n  enabled: true\n  ssl_enabled: true\n", ":3: webserver.ssl_enabled: TLS is not supported" },
			{ "metadata:\n  timeout_ms: 0\n", ":2: metadata.timeout_ms: expected a whole number > 0" },
			{ "metadata:\n  refresh_interval: soon\n", ":2: metadata.refresh_interval: expected a number >= 0, got 'soon'" },
		}
		for _, c in ipairs(cases) do
			it("names the key and the line: " .. c[2], function()
				local p = file(c[1])
				local cfg, err = config.load(p)
				assert.is_nil(cfg)
				assert.equal(p .. c[2], err:sub(1, #p + #c[2]))
			end)
		end

		it("reports YAML syntax errors with line and column", function()
			local p = file("a: [1, 2\n")
			local _, err = config.load(p)
			assert.matches("^config: " .. p:gsub("%p", "%%%0") .. ":2:1: ", err)
		end)

		it("wants a mapping at the top", function()
			local p = file("- a\n- b\n")
			local _, err = config.load(p)
			assert.equal(p .. ":1: expected a mapping of settings at the top", err)
		end)

		it("names the -o key of a bad override", function()
			local _, err = config.load(nil, { overrides = { "outputs.rate=fast" } })
			assert.equal("-o outputs.rate: expected a number >= 0, got 'fast'", err)
			_, err = config.load(nil, { overrides = { "json_output" } })
			assert.equal("-o needs key=value, got 'json_output'", err)
		end)
	end)

	describe("warnings", function()
		it("for unknown keys, with their line", function()
			local p = file("json_output: true\nhtp_output:\n  enabled: true\nfile_output:\n  enabled: false\n  file: x\n")
			local cfg, err, warnings = config.load(p)
			assert.is_nil(err)
			assert.is_true(cfg.json_output)
			assert.same({ p .. ":2: htp_output: unknown key, ignored", p .. ":6: file_output.file: unknown key, ignored" },
				warnings)
		end)

		it("lists Falco's settings that lanner does not use in one warning", function()
			local p = file("log_level: info\ngrpc:\n  enabled: true\nstdout_output:\n  enabled: true\n")
			local _, _, warnings = config.load(p)
			assert.same({ p .. ": Falco settings lanner does not use, ignored: log_level (line 1), grpc (line 2)" },
				warnings)
		end)
	end)

	describe("values", function()
		it("reads Falco's output keys, yaml-cpp booleans, and null as not set", function()
			local p = file([[
json_output: yes
buffered_outputs: off
output_timeout: 1500
outputs:
  rate: 0.5
  max_burst: 10
file_output:
  enabled: true
  keep_alive: false
  filename: /var/log/lanner.log
http_output:
  enabled: false
  url:
  ca_cert: ""
]])
			local cfg = assert(config.load(p))
			assert.is_true(cfg.json_output)
			assert.is_false(cfg.buffered_outputs)
			assert.equal(1500, cfg.output_timeout)
			assert.same({ rate = 0.5, max_burst = 10 }, cfg.outputs)
			assert.same({ enabled = true, keep_alive = false, filename = "/var/log/lanner.log" }, cfg.file_output)
			assert.same({ enabled = false, ca_cert = "" }, cfg.http_output)
		end)

		it("expands ${VAR} from the environment, keeps $${VAR}", function()
			local home = os.getenv("HOME")
			local p = file("file_output:\n  filename: ${HOME}/a.log\nhttp_output:\n  url: http://$${HOME}/\n")
			local cfg = assert(config.load(p))
			assert.equal(home .. "/a.log", cfg.file_output.filename)
			assert.equal("http://${HOME}/", cfg.http_output.url)
		end)

		it("-o overrides the file, makes sections, appends with key[]=, reads flow lists", function()
			local p = file("json_output: true\nrules_files:\n  - a.yaml\nhttp_output:\n  enabled: false\n")
			local cfg = assert(config.load(p, { overrides = {
				"json_output=false",
				"http_output.enabled=true",
				"http_output.url=http://127.0.0.1:2801/",
				"file_output.enabled=true",
				"file_output.filename=/tmp/x.log",
				"rules_files[]=b.yaml",
				"program_output.program=jq '{text: .output}' | wc -l",
			} }))
			assert.is_false(cfg.json_output)
			assert.same({ enabled = true, url = "http://127.0.0.1:2801/" }, cfg.http_output)
			assert.same({ enabled = true, filename = "/tmp/x.log" }, cfg.file_output)
			assert.same({ dir .. "/a.yaml", "b.yaml" }, cfg.rules_files)
			assert.equal("jq '{text: .output}' | wc -l", cfg.program_output.program)
			cfg = assert(config.load(p, { overrides = { "rules_files=[c.yaml, /d.yaml]" } }))
			assert.same({ "c.yaml", "/d.yaml" }, cfg.rules_files)
		end)
	end)

	describe("apply", function()
		it("hands the webserver and metadata sections to the CLI as read", function()
			local p = file("webserver:\n  enabled: true\n  listen_port: 9376\n  prometheus_metrics_enabled: true\n"
				.. "metadata:\n  refresh_interval: 30\n  k8s_podinfo_dir: /podinfo\n")
			local o = { config = p, rules = {} }
			assert.is_true(config.apply(o))
			assert.same({ enabled = true, listen_port = 9376, prometheus_metrics_enabled = true }, o.webserver)
			assert.same({ refresh_interval = 30, k8s_podinfo_dir = "/podinfo" }, o.metadata)
		end)

		it("prepends rules_files to -R's, and command-line options win", function()
			local p = file("rules_files: [r1.yaml, /abs/r2.yaml]\npriority: error\njson_output: true\n"
				.. "rule_matching: all\nstats_interval: 7\nhttp_output:\n  enabled: true\n  url: http://127.0.0.1:1/\n")
			local o = { config = p, rules = { "cli.yaml" }, min_priority = "debug", quiet = true,
				options = { "stats_interval=9" } }
			assert.is_true(config.apply(o))
			assert.same({ dir .. "/r1.yaml", "/abs/r2.yaml", "cli.yaml" }, o.rules)
			assert.equal("debug", o.min_priority)
			assert.is_true(o.json)
			assert.equal("all", o.rule_matching)
			assert.equal(9, o.stats_interval)
			local oc = o.output_config
			assert.is_true(oc.json_output)
			assert.equal("http://127.0.0.1:1/", oc.http_output.url)
			assert.equal(9, oc.stats_interval)
		end)

		it("takes priority from the file when -m is not given, and -j over json_output: false", function()
			local p = file("priority: warning\njson_output: false\n")
			local o = { config = p, rules = {}, json = true, quiet = true }
			assert.is_true(config.apply(o))
			assert.equal("Warning", o.min_priority)
			assert.is_true(o.json)
			assert.is_true(o.output_config.json_output)
		end)

		it("reads the default file when no --config is given", function()
			local saved = config.default_path
			config.default_path = file("priority: error\n", "default.yaml")
			local o = { rules = {}, quiet = true }
			local ok = config.apply(o)
			config.default_path = saved
			assert.is_true(ok)
			assert.equal("Error", o.min_priority)
		end)

		it("fails on a --config file that does not exist", function()
			local ok, err = config.apply({ config = dir .. "/none.yaml", rules = {} })
			assert.is_nil(ok)
			assert.matches("none.yaml", err)
		end)
	end)
end)

describe("config through lanner", function()
	if not H.ready() then
		pending("needs build/lanner (make all)")
		return
	end
	local dir
	before_each(function() dir = H.tmpdir() end)
	after_each(function() H.rmdir(dir) end)

	local rules = io.popen("pwd"):read("*l") .. "/" .. H.RULES
	local w = H.workload { "/etc/hostname", "/etc/hosts" }

	it("exits 2 with the key and the line of a config error", function()
		H.write(dir .. "/bad.yaml", "json_output: true\nhttp_output:\n  enabled: true\n  url: [x]\n")
		local rc, _, err = H.lanner(("--config %s/bad.yaml -- true"):format(dir))
		assert.equal(2, rc)
		assert.equal(("lanner: %s/bad.yaml:4: http_output.url: expected a string\n"):format(dir), err)
	end)

	it("loads rules_files from the config and filters by its priority", function()
		H.write(dir .. "/lanner.yaml", ("rules_files:\n  - %s\npriority: error\n"):format(rules))
		local rc, out, err = H.lanner(("--config %s/lanner.yaml -- %s"):format(dir, w))
		assert.equal(0, rc, err)
		assert.is_nil(out:match("hostname read"))
		assert.matches("Critical hosts read", out)
		-- -m wins over the file's priority
		rc, out = H.lanner(("--config %s/lanner.yaml -m warning -- %s"):format(dir, w))
		assert.equal(0, rc)
		assert.matches("Warning hostname read", out)
	end)

	it("json_output from the file, -o json_output=false over it", function()
		H.write(dir .. "/lanner.yaml", ("rules_files: [%s]\njson_output: true\n"):format(rules))
		local rc, out = H.lanner(("--config %s/lanner.yaml -- %s"):format(dir, w))
		assert.equal(0, rc)
		assert.equal(2, #H.json_lines(out))
		rc, out = H.lanner(("--config %s/lanner.yaml -o json_output=false -- %s"):format(dir, w))
		assert.equal(0, rc)
		assert.equal(0, #H.json_lines(out))
		assert.matches("Critical hosts read", out)
	end)

	it("warns about unknown keys with their line and runs on", function()
		H.write(dir .. "/lanner.yaml", ("rules_files: [%s]\n\nstdout_outptu:\n  enabled: false\n"):format(rules))
		local rc, out, err = H.lanner(("--config %s/lanner.yaml -- %s"):format(dir, w))
		assert.equal(0, rc)
		assert.matches(("lanner: warning: %s/lanner.yaml:3: stdout_outptu: unknown key, ignored"):format(dir):gsub("%-", "%%-"), err)
		assert.matches("hosts read", out)
	end)
end)
