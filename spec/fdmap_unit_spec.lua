-- The fd table's storage (src/state/fdmap.c) against a plain list, under
-- ASan and UBSan: build/fdmap_check (spec/c/fdmap_check.c) makes random
-- puts, takes and fork copies of fds drawn where the tree's shape changes
-- (1024, node edges, 2^24, INT_MAX), checks every entry and the walk in fd
-- order at each step, and that nothing is left allocated.
local trace = require "spec.helpers.trace"

describe("fd table storage (build/fdmap_check)", function()
	for _, seed in ipairs({ 1, 7, 42 }) do
		it("matches a plain list, seed " .. seed, function()
			local out, rc = trace.sh(trace.shell_quote(trace.root .. "/build/fdmap_check") .. " " .. seed .. " 2>&1")
			assert.equal(0, rc, out)
			assert.equal("ok 20000", out)
		end)
	end
end)
