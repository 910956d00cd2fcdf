-- Side-by-side timing of shell commands, runs interleaved so that the
-- machine's noise falls on each alike: luajit bench/ab.lua N 'cmd A' 'cmd B' ...
-- Prints min and median wall time of each, and each median over the first's.
local N = tonumber(arg[1]) or 5
local cmds = { select(2, unpack(arg)) }
assert(#cmds > 0, "usage: luajit bench/ab.lua N 'cmd' ['cmd' ...]")

local ffi = require "ffi"
ffi.cdef [[ int clock_gettime(int, void *); ]]
local ts = ffi.new("long[2]")
local function now()
	ffi.C.clock_gettime(1, ts)
	return tonumber(ts[0]) + tonumber(ts[1]) / 1e9
end

local times = {}
for i = 1, #cmds do times[i] = {} end
for _ = 1, N do
	for i, c in ipairs(cmds) do
		local t0 = now()
		os.execute(c .. " >/dev/null 2>&1")
		times[i][#times[i] + 1] = now() - t0
	end
end
local base
for i, c in ipairs(cmds) do
	local t = times[i]
	table.sort(t)
	local med = t[math.floor((#t + 1) / 2)]
	base = base or med
	print(string.format("min %7.3f s  median %7.3f s  %5.2fx  %s", t[1], med, med / base, c))
end
