-- lanner.cli.args: hints where other tools spell a flag otherwise, -z's
-- value, and bad values of every option: each a clean error (exit status 2,
-- or 1 for broken rules), never a Lua traceback.
local args = require "lanner.cli.args"
local options = require "lanner.cli.options"
local H = dofile("spec/fixtures/outputs/helper.lua")

describe("cli.args", function()
	describe("hints for flags other tools spell otherwise", function()
		local cases = {
			{ { "-r", "rules.yaml" }, "-r rules.yaml: not a capture; rules files go with -R" },
			{ { "-o", "out.txt", "--", "true" }, "to write output to a file use --output-file out.txt" },
			{ { "-p", "1234" }, "-p is the output format (sysdig's -p); to trace process 1234 use --pid 1234" },
			{ { "-w", "x.lcap", "-z", "--compress", "lz4" }, "--compress: unknown compression algorithm 'lz4': lanner compresses with zlib or zstd" },
			{ { "-w", "x.lcap", "-z", "lz4" }, "-z: unknown compression algorithm 'lz4': lanner compresses with zlib or zstd" },
			{ { "-w", "x.lcap", "--compress=brotli" }, "unknown compression algorithm 'brotli'" },
			{ { "-m", "loud" }, "-m: unknown priority 'loud' (emergency, alert, critical, error, warning, notice, "
				.. "info, debug)" },
			{ { "--json=yes" }, "option --json takes no value" },
			{ { "-A", "--", "true" }, "-A/--append needs --output-file FILE" },
		}
		for _, c in ipairs(cases) do
			it(table.concat(c[1], " "), function()
				local o, err = args.parse(c[1])
				assert.is_nil(o)
				assert.matches(c[2], err, 1, true)
			end)
		end

		it("-z takes a known algorithm and leaves a filter word alone", function()
			local o = assert(args.parse { "-w", "x", "-z", "zstd", "proc.name=cat" })
			assert.equal("zstd", o.compress)
			assert.equal("proc.name=cat", o.filter)
			o = assert(args.parse { "-w", "x", "-z", "proc.name=cat" })
			assert.equal("zlib", o.compress)
			assert.equal("proc.name=cat", o.filter)
		end)

		it("-m takes Falco's priority names in any case", function()
			for _, p in ipairs { "warning", "WARNING", "info", "Informational", "debug" } do
				assert.equal(p, assert(args.parse { "-m", p }).min_priority)
			end
		end)

		it("-p takes a format that has a number in it", function()
			assert.equal("%proc.name 1234", assert(args.parse { "-p", "%proc.name 1234" }).print)
		end)
	end)

	it("parses every option of the table it documents, and documents every option it parses", function()
		for name, opt in pairs(options.by_name) do
			local argv = { name }
			if opt.arg and not opt.optional then argv[2] = opt.kind == "special" and "a=b" or "1" end
			if name == "-A" or name == "--append" then argv = { name, "--output-file", "f" } end
			if name == "-z" or name == "--compress" then argv = { "-w", "f", name } end
			local _, err = args.parse(argv)
			assert.is_nil(err and err:match("unknown option"), name .. ": " .. tostring(err))
		end
		local _, err = args.parse { "--no-such-option" }
		assert.matches("unknown option '--no-such-option'", err, 1, true)
	end)

	describe("bad values of every option", function()
		if not H.ready() then
			pending("build/lanner is not built")
			return
		end
		local dir
		setup(function()
			dir = H.tmpdir()
			H.write(dir .. "/bad.lua", "this is not lua (")
			H.write(dir .. "/bad.yaml", "a: [1, 2\n")
			H.write(dir .. "/notmap.yaml", "- 1\n")
			H.write(dir .. "/capture.lcap", "not a capture at all\n")
		end)
		teardown(function() H.rmdir(dir) end)

		local bad = {
			"-p %", "-p '%proc.nmae'", "-p '%evt.arg[x]'", "-n abc", "-n -1", "-n inf", "-M x", "-M -3", "-s x", "-s 1.5",
			"-s 999999999", "--output-file /nonexistent/dir/x", "-A", "--cpu bogus", "--cpu", "-w /nonexistent/dir/x.lcap",
			"-r /nonexistent.lcap", "-r DIR/capture.lcap", "-r DIR/bad.yaml", "-r", "-C x", "-G -1", "-W x",
			"-w DIR/w.lcap -z lz4", "-z", "-R /nonexistent.yaml", "-R DIR/bad.yaml", "-R", "-m loud", "-m ''",
			"-m 99", "--script /nonexistent.lua", "--script DIR/bad.lua", "--config /nonexistent.yaml",
			"--config DIR/bad.yaml", "--config DIR/notmap.yaml", "--config", "-o x", "-o outputs.rate=fast",
			"-o =1", "-o 'rules_files=[a'", "-o json_output=maybe", "--stats-interval x",
			"-c no_such_chisel", "-c", "-i no_such_chisel", "-i", "--pid 0", "--pid abc", "--pid 1.5",
			"--pid 2147483647", "--attach-mode bogus", "--engine bogus", "--engine", "--poll x", "--poll -5", "--test-rules /nonexistent.yaml", "--test-rules DIR/bad.yaml",
			"--bogus", "'proc.name='", "'('", "'evt.type=opn'", "'proc.nmae=x'", "'fd.sip.name=x'",
			"'evt.type in (open, opn)'", "'proc.name contains'", "'evt.arg[99]=x'", "'proc.aname[x]=1'",
			"'proc.name in (a, b'", "'not'", "'a and'",
		}
		for _, b in ipairs(bad) do
			it(b, function()
				local cmd = b:gsub("DIR", dir)
				local rc, _, err = H.lanner(cmd .. " -- true </dev/null")
				assert.is_true(rc == 1 or rc == 2, ("exit %s: %s"):format(tostring(rc), err))
				assert.is_nil(err:lower():find("traceback", 1, true), err)
				assert.is_nil(err:find("internal error", 1, true), err)
				assert.is_nil(err:find("lanner/[%w_/]+%.lua:%d+:"), err) -- a place in lanner's own code
				assert.matches("^lanner", err)
			end)
		end
	end)
end)
