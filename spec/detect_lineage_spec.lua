-- The host's lineage (lua/lanner/detect/lineage.lua): a process keeps the
-- parent it was started by after that parent exits and it is reparented,
-- and an exited process is found for a bounded time.
local lineage = require "lanner.detect.lineage"
local ffi = require "ffi"
require "lanner.core" -- the cdef (ln_proc)

local function cproc(pid, ppid, start, name)
	local p = ffi.new("ln_proc")
	p.pid, p.ppid, p.start_ts, p.sid = pid, ppid, start, 1
	ffi.copy(p.comm, name)
	return p
end

describe("detection lineage", function()
	-- 1 (init) -> 10 (sh) -> 11 (sh) -> 12 (cat)
	local init, top, mid, leaf = cproc(1, 0, 1, "init"), cproc(10, 1, 100, "sh"),
		cproc(11, 10, 200, "sh"), cproc(12, 11, 300, "cat")
	local live
	local function parent_of(p) return live[p.ppid] end

	before_each(function() live = { [1] = init, [10] = top, [11] = mid, [12] = leaf } end)

	it("records the live chain when a descendant is first seen", function()
		local L = lineage.new()
		L:seen(leaf, 0, parent_of)
		local names = {}
		for _, a in ipairs(L:ancestors(12)) do names[#names + 1] = a.name end
		assert.are.same({ "sh", "sh", "init" }, names)
	end)

	it("keeps the parent a process was started by after that parent exits", function()
		local L = lineage.new()
		L:seen(leaf, 0, parent_of)
		L:exited(mid, 1000)
		live[11] = nil
		leaf.ppid = 1 -- reparented to init, as the kernel does
		L:seen(leaf, 0, parent_of)
		assert.are.equal(11, L:ancestors(12)[1].pid)
		assert.are.equal(1000, L:get(11).exited)
		leaf.ppid = 11
	end)

	it("forgets an exited process after keep_ns, and the oldest beyond max", function()
		local L = lineage.new { keep_ns = 50 }
		L:seen(leaf, 0, parent_of)
		L:exited(leaf, 1000)
		L:expire(1049)
		assert.is_not_nil(L:get(12))
		L:expire(1050)
		assert.is_nil(L:get(12))
		assert.is_not_nil(L:get(11)) -- live ones stay
	end)

	it("stops at a reused pid: a parent that started after its child", function()
		local L = lineage.new()
		L:seen(leaf, 0, parent_of)
		L:exited(mid, 1000)
		live[11] = cproc(11, 1, 5000, "other")
		L:seen(live[11], 0, parent_of)
		assert.are.same({}, L:ancestors(12))
	end)
end)
