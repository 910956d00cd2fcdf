-- A detection script that raises: reported with file:line once per handler
-- and site, then counted; the other handlers, the other scripts and the
-- traced program run on, and lanner exits with the program's status.
local H = require "spec.fixtures.detect.harness"

local F = H.ROOT
H.build_act()

local function lines_matching(text, pat)
	local out = {}
	for line in text:gmatch("[^\n]+") do
		if line:find(pat, 1, true) then out[#out + 1] = line end
	end
	return out
end

describe("errors in detection scripts", function()
	local rc, alerts, err

	setup(function()
		rc, alerts, err = H.cli({ "--script", F .. "raising.lua", "--script", F .. "other.lua", "--",
			"sh", "-c", "cat /etc/hostname >/dev/null; cat /etc/hostname >/dev/null; "
				.. "cat /etc/passwd >/dev/null; exit 7" })
	end)

	it("keeps the traced program's exit status", function()
		assert.are.equal(7, rc)
	end)

	it("runs the other handlers and scripts", function()
		assert.are.equal(2, #H.of_rule(alerts, "Before"))
		assert.are.equal(2, #H.of_rule(alerts, "After"))
		assert.are.equal(2, #H.of_rule(alerts, "Other script"))
		assert.matches("Warning after cat$", H.of_rule(alerts, "After")[1].output)
	end)

	it("reports each error site once, with file and line, then counts", function()
		local first = lines_matching(err, "raising.lua:8: attempt to index")
		assert.are.equal(1, #first, err)
		assert.matches("(in the handler at spec/fixtures/detect/raising.lua:6;", first[1], 1, true)
		local summary = lines_matching(err, "the handler at spec/fixtures/detect/raising.lua:6 raised 2 errors at spec/fixtures/detect/raising.lua:8")
		assert.are.equal(1, #summary, err)
	end)

	it("adds the script's line to an error raised inside lanner", function()
		local l = lines_matching(err, "handler at spec/fixtures/detect/raising.lua:12")
		assert.are.equal(1, #l, err)
		assert.matches("windows.lua:%d+: .*%(at spec/fixtures/detect/raising.lua:15%)", l[1])
	end)

	it("reports a timer that raises the same way", function()
		local l = lines_matching(err, "timer at spec/fixtures/detect/raising.lua:18")
		assert.is_true(#l >= 1, err)
		assert.matches("raising.lua:18: timer broke", l[1], 1, true)
	end)
end)

describe("scripts that do not load", function()
	it("stop lanner before the program runs, naming file and line", function()
		local rc, _, err, out = H.cli({ "--script", F .. "bad_condition.lua", "--", "sh", "-c", "echo ran" })
		assert.are.equal(2, rc)
		assert.matches("bad_condition.lua:5: bad condition: unknown field 'fd.nmae'", err, 1, true)
		assert.are.same({}, out)
		rc, _, err = H.cli({ "--script", F .. "syntax_error.lua", "--", "true" })
		assert.are.equal(2, rc)
		assert.matches("syntax_error.lua:5:", err, 1, true)
	end)
end)
