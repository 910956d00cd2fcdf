-- Arguments read in pieces (spec/progs/gather.c): iovec data gathered in
-- one read across an empty piece, and an argv array read block by block
-- across a page boundary.
local trace = require "spec.helpers.trace"

describe("core: arguments read in pieces", function()
	local r
	setup(function()
		r = trace.run({ trace.prog("gather") }, { types = { writev = true, sendmsg = true, execve = true } })
	end)

	it("the program ran to its exec and /bin/true exited 0", function()
		assert.equal(0, r.status)
	end)

	it("writev's data is every piece, the empty one skipped, not a stop", function()
		local e = trace.select(r.events, function(e) return e.type == "writev" end)[1]
		assert.is_not_nil(e)
		assert.equal("abcdef", e.raw.data)
	end)

	it("sendmsg's data is every piece of its msghdr", function()
		local e = trace.select(r.events, function(e) return e.type == "sendmsg" end)[1]
		assert.is_not_nil(e)
		assert.equal("ghij", e.raw.data)
	end)

	it("execve's 100 arguments, across a page boundary in the pointer array", function()
		local ex = trace.select(r.events, function(e) return e.type == "execve" and e.res == 0 end)
		local e = ex[#ex]
		assert.is_not_nil(e)
		local want = { "true" }
		for i = 1, 99 do want[#want + 1] = "a" .. i end
		assert.equal(table.concat(want, "\0"), e.raw.args)
	end)
end)
