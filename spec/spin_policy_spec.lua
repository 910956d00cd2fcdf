-- The tracer's poll policy (src/trace/spin_policy.c) under ASan and UBSan:
-- build/spin_check (spec/c/spin_check.c) plays runs of waits with made-up
-- gaps between stops: short gaps poll at every wait, long ones probe less
-- and less often (1 in 32, doubling to 1 in 1024), a probe that catches a
-- stop brings polling back.
local trace = require "spec.helpers.trace"

describe("poll policy (build/spin_check)", function()
	it("polls on short gaps, backs its probes off on long ones, and comes back", function()
		local out, rc = trace.sh(trace.shell_quote(trace.root .. "/build/spin_check") .. " 2>&1")
		assert.equal(0, rc, out)
		assert.equal("ok", out)
	end)
end)
