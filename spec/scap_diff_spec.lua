-- Differential spec against sysdig 0.29.3: one capture of real workloads
-- (files, processes, loopback network, threads, failures) written by
-- lanner to .scap, then read by both.  Fields (-p), filters and sysdig's
-- stock chisels must give the same answers, except where a named
-- exception below says why they do not (doc/compatibility.md lists them,
-- with the table this spec writes to build/test/scap_diff.md).
--
-- lanner's event is sysdig's exit event (or an enter whose exit never
-- came): sysdig's lines are narrowed to those (spec/helpers/scapdiff.lua).
--
-- Needs `make all progs` and sysdig (make deps-sysdig); from the repo root:
--   busted spec/scap_diff_spec.lua
local trace = require "spec.helpers.trace"
local D = require "spec.helpers.scapdiff"
local X = require "spec.helpers.scapdiff_cases"

describe("sysdig 0.29.3 as the oracle, on a .scap lanner wrote", function()
	if not D.have_sysdig() then
		it("needs sysdig", function() pending("sysdig is not installed: make deps-sysdig") end)
		return
	end
	local dir, path, nums, paired, skip_of, report
	setup(function()
		dir = trace.mkdtemp()
		path = assert(D.capture(dir))
		nums, paired = D.lanner_nums(path)
		-- the events each exception covers, by sysdig's own view
		skip_of = X.skips(path, nums, paired)
		report = { fields = {}, filters = { n = 0, same = 0 }, chisels = {} }
	end)
	teardown(function()
		X.write_report(report, X.EXCEPTIONS)
		trace.rmrf(dir)
	end)

	it("has the events sysdig has: its exits and its lone enters", function()
		-- (an enter whose exit never came is handed out once the thread's
		-- next event shows it: not always in the file's order)
		local l = D.lines(D.LANNER .. " -q -r " .. path .. " -p '%evt.num'")
		local want, got = {}, {}
		for k in pairs(nums) do want[#want + 1] = k end
		for i, x in ipairs(l) do got[i] = tonumber(x) end
		table.sort(want)
		table.sort(got)
		assert.same(want, got)
		assert.is_true(#got > 1000, "a corpus of " .. #got .. " events")
	end)

	it(#X.FIELDS .. " fields (-p) agree line for line, outside the named exceptions", function()
		assert.is_true(#X.FIELDS >= 60)
		local bad = {}
		for i = 1, #X.FIELDS, 12 do
			local fs = {}
			for k = i, math.min(i + 11, #X.FIELDS) do fs[#fs + 1] = X.FIELDS[k] end
			local sv, lv = D.values(path, fs, nums)
			for k, f in ipairs(fs) do
				local r = D.agreement(sv, lv, k, skip_of[f])
				report.fields[#report.fields + 1] = { field = f, r = r }
				assert.is_true(r.all > 1000, f .. ": " .. r.all .. " events")
				if r.agree ~= r.total then
					-- what the event is, to tell a new exception from a bug
					local ctx = D.values(path, { "evt.type", "fd.name", "evt.info" }, { [r.first_n] = true })
					bad[#bad + 1] = string.format("%s %d/%d %s (%s)", f, r.agree, r.total, r.first,
						table.concat(ctx[r.first_n] or {}, " | "))
				end
			end
		end
		assert.same({}, bad)
	end)

	it("at least 200 filters select the same events", function()
		local filters = X.filters(path, nums)
		assert.is_true(#filters >= 200, #filters .. " filters")
		local bad = {}
		for _, flt in ipairs(filters) do
			local a, b, raw = D.selected(path, flt, nums)
			assert.is_not_nil(a, flt .. ": " .. tostring(b))
			-- events an exception covers for a field the filter names
			local skip = X.skip_for(flt, skip_of, paired, raw)
			local sa, sb = {}, {}
			for _, n in ipairs(a) do if not skip[n] then sa[#sa + 1] = n end end
			for _, n in ipairs(b) do if not skip[n] then sb[#sb + 1] = n end end
			report.filters.n = report.filters.n + 1
			local same = #sa == #sb
			for i = 1, #sa do same = same and sa[i] == sb[i] end
			if same then
				report.filters.same = report.filters.same + 1
			else
				local only = {}
				local inb = {}
				for _, x in ipairs(sb) do inb[x] = true end
				for _, x in ipairs(sa) do if not inb[x] then only[#only + 1] = "sysdig " .. x end end
				local ina = {}
				for _, x in ipairs(sa) do ina[x] = true end
				for _, x in ipairs(sb) do if not ina[x] then only[#only + 1] = "lanner " .. x end end
				bad[#bad + 1] = string.format("%s: sysdig %d events, lanner %d (%s)", flt, #sa, #sb,
					table.concat(only, ", ", 1, math.min(#only, 5)))
			end
		end
		assert.same({}, bad)
	end)

	it("sysdig's stock chisels give the same output (equal rows in any order)", function()
		local bad = {}
		for _, c in ipairs(X.CHISELS) do
			local s, l = X.run_chisel(path, c)
			local same = s == l
			report.chisels[#report.chisels + 1] = { c = c, same = same, lines = select(2, s:gsub("\n", "")) }
			if not same and not c.exception then
				bad[#bad + 1] = c.name .. (c.args and (" " .. c.args) or "") .. ":\n" .. X.first_diff(s, l)
			end
		end
		assert.same({}, bad)
	end)
end)
