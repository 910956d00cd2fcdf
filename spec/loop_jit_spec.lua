-- The event loop leaves the JIT off for its first events (cli/run.lua,
-- JIT_AFTER): a short run's events cost less interpreted than compiling
-- the rules' traces does, a long run gets the JIT.  Seen from a chisel,
-- which runs in lanner's Lua state.
local trace = require "spec.helpers.trace"

local CHISEL = [[
description = "whether the JIT is on at the first and the 2500th event"
short_description = "JIT probe"
category = "misc"
args = {}
local jit = require "jit"
local n = 0
function on_event()
	n = n + 1
	if n == 1 or n == 2500 then print(n .. " " .. tostring((jit.status()))) end
	return true
end
]]

describe("the event loop's JIT", function()
	it("is off for the first events and on after them", function()
		local T = trace.mkdtemp()
		local f = assert(io.open(T .. "/jitprobe.lua", "w"))
		f:write(CHISEL)
		f:close()
		local run = "%sbuild/lanner -q -c " .. T .. "/jitprobe.lua -- sh -c 'find /usr/share -maxdepth 3 >/dev/null 2>&1' 2>&1"
		local out, rc = trace.sh(run:format(""))
		assert.equal(0, rc, out)
		assert.equal("1 false\n2500 true", out)
		-- LANNER_JIT_AFTER=1: on from the first event (how bench A/Bs it)
		out = trace.sh(run:format("LANNER_JIT_AFTER=1 "))
		assert.equal("1 true\n2500 true", out)
	end)
end)
