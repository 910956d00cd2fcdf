-- The detection helpers (lua/lanner/detect/windows.lua) full, taking new
-- keys: CPU seconds for 100,000 new keys into a counter, a rate and a map
-- of each size.  A Lua table that drops a key before it takes the next at
-- a power-of-two count is rebuilt at every key; sizes 1000 and 1100 are
-- there for comparison.  Timings stay out of the specs (shared machines):
-- this is where they are.   luajit bench/windows.lua [module]
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
local windows = require(arg[1] or "lanner.detect.windows")

local function cpu(fn)
	local t0 = os.clock()
	fn()
	return os.clock() - t0
end

print("size     counter     rate      map   (s for 100,000 new keys)")
for _, size in ipairs({ 1000, 1024, 1100, 4096, 8192 }) do
	local clock = { now = 0 }
	local c, r, m = windows.counter(size), windows.rate(clock, 5, 10, size), windows.map(clock, size)
	local tc = cpu(function() for i = 1, 100000 do c:add(i) end end)
	local tr = cpu(function()
		for i = 1, 100000 do
			clock.now = i * 1e6
			r:hit(i)
		end
	end)
	local tm = cpu(function() for i = 1, 100000 do m:set(i, true) end end)
	print(("%5d  %8.3f  %8.3f  %8.3f"):format(size, tc, tr, tm))
end
