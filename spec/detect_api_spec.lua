-- Detection scripts: the API a script sees (lanner.detect), loading and its
-- errors, isolation between scripts, the interest set, -V.  Live runs trace
-- spec/fixtures/detect/act.c through the Lua API (the harness mirrors the
-- CLI's loop).
local H = require "spec.fixtures.detect.harness"
local hostm = require "lanner.detect.host"
local interest = require "lanner.interest"
local ffi = require "ffi"

local F = H.ROOT
local ACT = H.build_act()

describe("detection script API", function()
	it("hands handlers the event through one proxy, with fields and shortcuts", function()
		local r = assert(H.trace({ F .. "probe.lua" }, { ACT, "read", "/etc/hostname", "read", "/etc/hostname" }))
		assert.are.equal(0, r.status)
		local seen = r.host.scripts[1].env.seen
		assert.are.equal(2, #seen)
		local s = seen[1]
		assert.are.equal("openat", s.type)
		assert.are.equal("/etc/hostname", s.name)
		assert.are.equal("detect_act", s.comm)
		assert.is_nil(s.missing) -- openat has no uid argument: missing is nil
		assert.are.equal(s.pid, s.tid)
		assert.is_number(s.res)
		assert.is_true(s.res >= 0)
		assert.is_number(s.time)
		assert.is_true(math.abs(s.time - os.time() * 1e9) < 120e9)
		assert.are.equal("cdata", type(s.ts))
		assert.is_true(math.abs(tonumber(s.ts) - s.time) < 1e3)
		assert.matches("openat pid " .. s.pid, s.text, 1, true)
		assert.is_true(seen[2].same_proxy) -- no per-event table
		assert.are.equal(seen[1].proc, seen[2].proc)
		-- procexit handlers still see the state, freed after them
		assert.are.same({ { pid = s.pid, opens = 2 } }, seen.exits)
		assert.are.equal(0, r.host:stats().procs)
		-- a kept event raises instead of reading a recycled one
		local ok, err = pcall(r.host.scripts[1].env.read_saved)
		assert.is_false(ok)
		assert.matches("no current event", err)
	end)

	it("makes alerts in the rules engine's shape", function()
		local r = assert(H.trace({ F .. "alerts.lua" }, { ACT, "read", "/etc/hostname" }))
		assert.are.equal(2, #r.alerts)
		local a = r.alerts[1]
		assert.are.equal("Hostname read", a.rule)
		assert.are.equal("Critical", a.priority)
		assert.are.equal(2, a.priority_num)
		assert.are.equal("detect_act read /etc/hostname (100% sure)", a.output)
		-- the origin, where Falco's JSON consumers take it: a tag and a field
		assert.are.same({ "alpha", "lanner_script", "zeta" }, a.tags)
		assert.are.equal(F .. "alerts.lua", a.output_fields["lanner.script"])
		assert.are.equal("syscall", a.source)
		assert.are.equal("detect_act", a.output_fields["proc.name"])
		assert.are.equal("/etc/hostname", a.output_fields["fd.name"])
		assert.are.equal(1, a.output_fields.n)
		assert.are.equal("probe", a.output_fields.who)
		assert.is_true(ffi.istype("uint64_t", a.time))
		assert.is_string(a.hostname)
		assert.are.equal("Notice", r.alerts[2].priority)
		assert.are.same({ true, true }, r.host.scripts[1].env.results)
	end)

	it("drops alerts below min_priority (d.alert returns false)", function()
		local r = assert(H.trace({ F .. "alerts.lua" }, { ACT, "read", "/etc/hostname" }, { min_priority = "error" }))
		assert.are.equal(1, #r.alerts)
		assert.are.equal("Hostname read", r.alerts[1].rule)
		assert.are.same({ true, false }, r.host.scripts[1].env.results)
	end)

	it("reports a bad priority at the script's line", function()
		local r = assert(H.trace({ F .. "bad_priority.lua" }, { ACT, "read", "/etc/hostname" }))
		assert.are.equal(0, #r.alerts)
		assert.matches("bad_priority.lua:4: alert: unknown priority 'loud'", r.errors[1], 1, true)
	end)

	it("names file and line of a syntax error and of a bad condition", function()
		local host, err = hostm.load({ F .. "syntax_error.lua" }, {})
		assert.is_nil(host)
		assert.matches("^spec/fixtures/detect/syntax_error.lua:5: ", err)
		host, err = hostm.load({ F .. "bad_condition.lua" }, {})
		assert.is_nil(host)
		assert.matches("^spec/fixtures/detect/bad_condition.lua:5: bad condition: .*fd.nmae", err)
		host, err = hostm.load({ F .. "no_such_script.lua" }, {})
		assert.is_nil(host)
		assert.matches("no_such_script.lua", err)
	end)

	it("expands the macros and lists of loaded rule files", function()
		local host, err = hostm.load({ F .. "uses_macro.lua" }, {})
		assert.is_nil(host)
		assert.matches("uses_macro.lua:4: bad condition: .*open_read", err)
		local rs = require("lanner.rules").load({ "rules/00-lists-macros.yaml" })
		local r = assert(H.trace({ F .. "uses_macro.lua" }, { ACT, "read", "/etc/hostname" }, { env = rs.env }))
		assert.are.equal(1, #r.alerts)
		assert.are.equal("detect_act read /etc/hostname", r.alerts[1].output)
	end)

	it("gives each script its own globals and its own API instance", function()
		local host = assert(hostm.load({ F .. "isolation_a.lua", F .. "isolation_b.lua" }, {}))
		local a, b = host.scripts[1].env, host.scripts[2].env
		assert.are.equal("a", a.shared)
		assert.are.equal("b", b.shared)
		assert.is_nil(b.before)
		assert.is_nil(rawget(_G, "shared"))
		assert.is_nil(rawget(_G, "api"))
		assert.are_not.equal(a.api, b.api)
		assert.is_function(a.api.on)
		-- outside a script the module refuses to act
		local ok, err = pcall(function() return require("lanner.detect").on end)
		assert.is_false(ok)
		assert.matches("lanner %-%-script", err)
	end)
end)

describe("detection script interest", function()
	it("stops only on the handlers' event types, procexit at exit", function()
		local host = assert(hostm.load({ F .. "probe.lua" }, {}))
		local needs = host:interest()
		assert.are.equal(3, #needs)
		assert.are.same({ open = true, openat = true }, needs[1].types)
		assert.matches("script spec/fixtures/detect/probe.lua:6", needs[1].what, 1, true)
		local modes = interest.compute(needs)
		assert.are.equal("exit", modes.procexit)
		assert.is_not_nil(modes.openat)
		assert.is_nil(modes.read)
		assert.is_nil(modes.write)
		assert.is_nil(modes.execve)
		assert.is_nil(modes.mmap)
	end)

	it("adds the fields outputs name, and exit stops for e.res", function()
		local host = assert(hostm.load({ "rules/detections/download_exec.lua" }, {}))
		local modes = interest.compute(host:interest())
		-- %proc.cwd in the script: chdir keeps proc.cwd right
		assert.are.equal("exit", modes.chdir)
		assert.are.equal("exit", modes.execve)
		assert.is_nil(modes.read)
		-- probe.lua reads e.res: its open handler wants results
		host = assert(hostm.load({ F .. "probe.lua" }, {}))
		assert.are.equal("exit", interest.compute(host:interest()).openat)
	end)

	it("warns when a condition does not narrow the event types", function()
		local host = assert(hostm.load({ F .. "everything.lua" }, {}))
		local _, warnings = interest.compute(host:interest())
		assert.are.equal(1, #warnings)
		assert.matches("everything.lua:3", warnings[1], 1, true)
	end)
end)

describe("validate (lanner -V --script)", function()
	local validate = require("lanner.detect.host").validate

	it("passes the packaged detections", function()
		local files = {}
		for name in io.popen("ls rules/detections/*.lua"):lines() do files[#files + 1] = name end
		assert.is_true(#files >= 5)
		assert.are.same({}, validate(files, {}))
	end)

	it("reports load errors, alert literals and unbounded conditions with file:line", function()
		local list = validate({ F .. "bad_condition.lua", F .. "everything.lua", F .. "empty.lua",
			F .. "literals.lua", F .. "syntax_error.lua" }, {})
		local text = {}
		for i, dg in ipairs(list) do text[i] = dg.severity .. " " .. tostring(dg) end
		assert.are.same({
			"error spec/fixtures/detect/bad_condition.lua:5: bad condition: unknown field 'fd.nmae'",
			"warning spec/fixtures/detect/everything.lua:3: the condition does not restrict evt.type: every syscall is traced",
			"warning spec/fixtures/detect/empty.lua: the script adds no handler (d.on) and no timer (d.every)",
			"error spec/fixtures/detect/literals.lua:3: unknown priority 'severe'",
			text[5],
			text[6],
		}, text)
		assert.matches("^error spec/fixtures/detect/literals.lua:4: output: ", text[5])
		assert.matches("^error spec/fixtures/detect/syntax_error.lua:5: ", text[6])
	end)

	it("prints a summary and counts errors", function()
		local lines = {}
		local out = { write = function(_, ...) lines[#lines + 1] = table.concat { ... } end }
		local ne, nw = require("lanner.detect.validate").report({ F .. "everything.lua" }, {}, out)
		assert.are.equal(0, ne)
		assert.are.equal(1, nw)
		assert.are.equal("ok: 1 scripts, 0 errors, 1 warnings\n", lines[#lines])
	end)
end)
