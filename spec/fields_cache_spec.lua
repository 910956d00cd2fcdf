-- The Lua side's caches of strings made from the program's strings are
-- bounded by bytes as well as entries: paths and environments are the
-- program's to make long (fields/common.lua memo, fields/proc.lua's cache
-- of args and env per process).
local cm = require "lanner.fields.common"
local H = require "spec.fields_helper"

local function kb()
	collectgarbage("collect")
	collectgarbage("collect")
	return collectgarbage("count")
end

describe("string caches", function()
	before_each(H.reset)

	it("a memo of long strings stays near its byte bound", function()
		local m = cm.memo(function(s) return s:sub(2) end)
		local base = kb()
		for i = 1, 2000 do
			assert.equal(4095, #m(("%04d"):format(i) .. ("x"):rep(4092)))
		end
		-- kept by count alone: 2,000 keys and values of 4 KB, 16 MB
		local grown = kb() - base
		assert.is_true(grown < 4096, ("the memo holds %d kB"):format(grown))
	end)

	it("the args and env cache stays near its byte bound", function()
		-- each process's own (equal strings would be one interned string)
		local procs = {}
		for i = 1, 300 do
			local env = {}
			for k = 1, 1000 do env[k] = ("V%04d=%03d%s"):format(k, i, ("e"):rep(55)) end
			procs[i] = H.proc { pid = 1000 + i, env = env, args = { "a", "b" } }
		end
		local base = kb()
		for i = 1, 300 do
			local ev = H.event { type = "read", res = 0, thread = H.thread { proc = procs[i] } }
			assert.equal(1000 * 64 + 999, #H.get(ev, "proc.env"))
		end
		-- kept by count alone: 300 lists and strings of 64 KB, 38 MB
		local grown = kb() - base
		assert.is_true(grown < 16 * 1024, ("the cache holds %d kB"):format(grown))
	end)
end)
