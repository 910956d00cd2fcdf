-- lanner.priority: Falco's priority names, read the same way by rules,
-- detection scripts, the config file, -m and the syslog output.
local priority = require "lanner.priority"
local H = require "spec.fixtures.chisels.support.helper"

describe("priority", function()
	it("has Falco's eight names, most severe first", function()
		assert.same({ "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug" },
			priority.NAMES)
	end)

	it("parses a name in any case, info for Informational, and a number 0..7", function()
		assert.same({ 4, "Warning" }, { priority.parse("wArNiNg") })
		assert.same({ 6, "Informational" }, { priority.parse("info") })
		assert.same({ 6, "Informational" }, { priority.parse("INFORMATIONAL") })
		assert.same({ 0, "Emergency" }, { priority.parse(0) })
		assert.same({ 7, "Debug" }, { priority.parse(7) })
		for _, bad in ipairs { "loud", "inf", "", 8, -1, true } do
			assert.is_nil(priority.parse(bad), tostring(bad))
		end
	end)

	it("check raises for an unknown one, listing the words, at the level asked", function()
		assert.same({ 2, "Critical" }, { priority.check("critical") })
		local function caller() priority.check("loud", "alert: ") end
		local line = debug.getinfo(1, "l").currentline + 1
		local function outer() caller() end
		local ok, err = pcall(outer)
		assert.is_false(ok)
		-- default level 2: blames the line that called caller
		assert.matches("priority_spec.lua:" .. line .. ": alert: unknown priority 'loud' %(emergency, alert, critical, "
			.. "error, warning, notice, info, debug%)$", err)
		ok, err = pcall(priority.check, "loud", nil, 0)
		assert.equal("unknown priority 'loud' (" .. priority.WORDS .. ")", err)
	end)

	it("-m refuses an unknown priority before running anything", function()
		local r = H.lanner({ "-m", "loud", "--", "true" })
		assert.equal(2, r.status)
		assert.equal("lanner: -m: unknown priority 'loud' (" .. priority.WORDS .. ")\n", r.err)
		assert.equal("", r.out)
	end)
end)
