-- lanner.suggest: edit distance with swaps, and the "did you mean" it
-- builds from the nearest names.
local suggest = require "lanner.suggest"

describe("suggest", function()
	it("counts a swap of neighbours as one edit", function()
		assert.equal(1, suggest.distance("nmae", "name"))
		assert.equal(1, suggest.distance("opn", "open"))
		assert.equal(0, suggest.distance("abc", "abc"))
		assert.equal(3, suggest.distance("", "abc"))
		assert.equal(3, suggest.distance("kitten", "sitting"))
	end)

	it("suggests only the names at the smallest distance, within a limit that grows with the word", function()
		local names = { "proc.name", "proc.pname", "proc.aname", "fd.name" }
		assert.same({ "proc.name" }, suggest.nearest("proc.nmae", names))
		assert.same({}, suggest.nearest("zzzz.qqqq", names))
		assert.same({ "open" }, suggest.nearest("opn", { "open", "openat", "close" }))
		assert.same({}, suggest.nearest("xy", { "open" }))
	end)

	it("words the hint, or says nothing", function()
		assert.equal("; did you mean open?", suggest.hint("opn", { "open", "close" }))
		assert.equal("; did you mean case or close?", suggest.hint("cose", { "close", "case", "write" }))
		assert.equal("", suggest.hint("qqqqqq", { "open" }))
	end)
end)
