-- A queue that drops (--queue-full drop) while its reader is stalled: the
-- state changes of the events it drops were still encoded, without bound;
-- past 8 MB it stops encoding them and, once the pipe drains, sends a
-- RESET block and the whole state (src/capture/write.c resynced), which
-- the replica reads in place of what it had (src/capture/read.c).
-- spec/progs/swapread swaps two files with 3,800-byte paths between fds 3
-- and 4 and reads from each: every read changes an fd's name; after N
-- rounds it writes a file and makes N more.  The chisel
-- spec/fixtures/chisels/lag.lua waits at its first event for that
-- file, then checks each read's fd.name against the byte it read.
local cmp = require "spec.helpers.compare"
local trace = require "spec.helpers.trace"

local CHISEL = trace.root .. "/spec/fixtures/chisels/lag.lua"

describe("a queue that drops while its reader stalls", function()
	teardown(cmp.cleanup)

	local function run(n)
		local done = cmp.tmpname("done")
		local r = cmp.run({ cmp.lanner_bin, "-q", "--stats", "--queue-full", "drop", "-c", CHISEL, done .. " 0",
			"evt.type=read", "--", trace.prog("swapread"), tostring(n), done })
		assert.equal(0, r.status, r.stderr)
		assert.truthy(r.stdout:match("program done while the chisel waited: true"), r.stdout)
		local reads, right = r.stdout:match("reads of a or b (%d+) named right (%d+)")
		assert.is_string(reads, r.stdout)
		-- every read the chisel saw, after the state was sent again too,
		-- names the file it read from
		assert.equal(reads, right, r.stdout)
		assert.truthy(r.stderr:match("dropped [1-9]"), r.stderr)
		return assert(tonumber(r.stderr:match("peak rss: (%d+) kB")), r.stderr), tonumber(reads)
	end

	it("keeps its memory bounded and the state right", function()
		local few = run(5000)
		local many, reads = run(20000)
		-- encoded for every dropped event, the 30,000 more took 68 MB
		assert.is_true(many - few < 16 * 1024, ("peak rss %d kB for 80,000 reads, %d kB for 20,000"):format(many, few))
		-- the second half (40,000 reads) was seen, after the state came again
		assert.is_true(reads > 10000, reads)
	end)
end)
