-- The fd table's memory goes by the number of fds open, not by the highest
-- number (src/state/fdmap.c).  spec/progs/highfd puts /dev/null on the
-- highest fd its RLIMIT_NOFILE allows and on half that, then forks
-- children that each use both: an array indexed by fd cost every one of
-- them a table the size of the highest number (8 bytes a slot, rounded up
-- to a power of two: 256 KB each at this machine's limit of 20,000, 8 MB
-- where the limit is nr_open's million).  The same program with fds 100
-- and 50 is the baseline.
local cmp = require "spec.helpers.compare"
local trace = require "spec.helpers.trace"

local FMT = "%proc.pid|%evt.type|%fd.num|%fd.name|%proc.cwd"
local FILTER = "evt.type in (write, fchdir, close) and fd.num >= 50"

local function peak_kb(r)
	return tonumber(r.stderr:match("peak rss: (%d+) kB"))
end

-- events by "type fd name"
local function tally(r)
	local n = {}
	for _, l in ipairs(r.events) do
		local _, ty, fd, name, cwd = l:match("^([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$")
		if ty then
			local k = ty .. " " .. fd .. " " .. name
			n[k] = (n[k] or 0) + 1
			if ty == "fchdir" then n.cwd = cwd end
		end
	end
	return n
end

describe("fd table with fds numbered near the limit (spec/progs/highfd)", function()
	teardown(cmp.cleanup)
	local top, mid, forks, high, low

	setup(function()
		local probe = cmp.run({ trace.prog("highfd"), "0" })
		assert.equal(0, probe.status, probe.stdout .. probe.stderr)
		top = tonumber(probe.stdout:match("top (%d+)"))
		mid = tonumber(probe.stdout:match("mid (%d+)"))
		-- enough children that the old table would have cost 24 MB
		local slots = 64
		while slots <= top do slots = slots * 2 end
		forks = math.min(150, math.max(10, math.ceil(24 * 2 ^ 20 / (slots * 8))))
		high = cmp.lanner({ "--stats", "-p", FMT, FILTER }, { trace.prog("highfd"), tostring(forks) })
		low = cmp.lanner({ "--stats", "-p", FMT, FILTER }, { trace.prog("highfd"), tostring(forks), "low" })
	end)

	it("runs the program as untraced", function()
		for _, r in ipairs({ high, low }) do
			assert.equal(0, r.status, r.stdout .. r.stderr)
			assert.truthy(r.stdout:match("\nok\n$"), r.stdout)
		end
	end)

	it("names the high fds in every child, as it does the low ones", function()
		for _, c in ipairs({ { high, top, mid }, { low, 100, 50 } }) do
			local n = tally(c[1])
			assert.equal(forks + 1, n["write " .. c[2] .. " /dev/null"], c[1].events[1])
			assert.equal(forks, n["write " .. c[3] .. " /dev/null"])
			assert.equal(1, n["close " .. c[3] .. " /dev/null"])
			assert.equal(1, n["fchdir 5000 /etc"])
			assert.equal("/etc/", n.cwd)
		end
	end)

	it("costs no more memory per process for a high fd than for a low one", function()
		local h, l = peak_kb(high), peak_kb(low)
		assert.is_number(h, high.stderr)
		assert.is_number(l, low.stderr)
		-- the array cost (forks + 1) tables of slots * 8 bytes: 24 MB or more
		assert.is_true(h - l < 8 * 1024, ("peak rss %d kB with fd %d against %d kB with fd 100, %d forks")
			:format(h, top, l, forks))
	end)

	it("keeps the high fds through a capture and its replay", function()
		local cap = cmp.tmpname("highfd.lcap")
		local w = cmp.lanner({ "-w", cap, FILTER }, { trace.prog("highfd"), "10" })
		assert.equal(0, w.status, w.stderr)
		local r = cmp.run({ cmp.lanner_bin, "-q", "-r", cap, "-p", FMT, FILTER })
		assert.equal(0, r.status, r.stderr)
		r.events = {}
		for l in r.stdout:gmatch("[^\n]+") do r.events[#r.events + 1] = l end
		local n = tally(r)
		assert.equal(11, n["write " .. top .. " /dev/null"], r.stdout)
		assert.equal(1, n["close " .. mid .. " /dev/null"])
		assert.equal("/etc/", n.cwd)
	end)
end)
