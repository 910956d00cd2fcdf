-- The core reading tracee memory it cannot trust: bad and NULL pointers,
-- strings that end at the edge of a mapping, and paths at and past
-- PATH_MAX (spec/progs/badptr.c and longpath.c).
local trace = require "spec.helpers.trace"
local bit = require "bit"

local PF_READ, PF_TRUNCATED, PF_FAULT, PF_NULL =
	trace.PF_READ, trace.PF_TRUNCATED, trace.PF_FAULT, trace.PF_NULL

local function has(flags, f) return bit.band(flags or 0, f) ~= 0 end

-- The program's own openat/write calls: those after libc's loader opened
-- libc (the first openat with a result < 0 or of a path we made).
local function own(events, types)
	local out = {}
	for _, e in ipairs(events) do
		if types[e.type] and e.pid and not (e.raw.name or ""):match("^/etc/ld%.so")
			and not (e.raw.name or ""):match("libc%.so") then
			out[#out + 1] = e
		end
	end
	return out
end

describe("core: bad pointers (spec/progs/badptr)", function()
	local r, ev

	setup(function()
		r = trace.run({ trace.prog("badptr") }, { types = { openat = true, write = true, pipe2 = true, pipe = true } })
		ev = own(r.events, { openat = true, write = true })
	end)

	it("the program saw the results it expected and exited 0", function()
		assert.equal(0, r.status)
		assert.equal(6, #ev)
	end)

	it("openat of a path at 0x1: -EFAULT, the pointer kept and flagged, rendered with a note", function()
		local e = ev[1]
		assert.equal("openat", e.type)
		assert.equal(-14, e.res)
		assert.is_true(has(e.pflags.name, PF_FAULT))
		assert.is_false(has(e.pflags.name, PF_READ))
		assert.is_nil(e.raw.name)
		assert.equal(1, e.raw["name@ptr"])
		assert.equal("0x1 (bad address)", e.params.name)
		assert.equal("-14(EFAULT)", e.params.fd)
	end)

	it("--stats counts each unreadable argument, and a NULL pointer is not one", function()
		local faults = 0
		for _, e in ipairs(r.events) do
			for _, f in pairs(e.pflags or {}) do
				if has(f, PF_FAULT) then faults = faults + 1 end
			end
		end
		assert.is_true(faults >= 2, "the 0x1 path and the 0x1 buffer")
		assert.equal(faults, r.stats.read_faults)
	end)

	it("openat of a NULL path: -EFAULT, flagged NULL", function()
		local e = ev[2]
		assert.equal(-14, e.res)
		assert.is_true(has(e.pflags.name, PF_NULL))
		assert.is_nil(e.raw.name)
		assert.equal("NULL", e.params.name)
	end)

	it("write from a buffer at 0x1: -EFAULT, the data flagged as a fault", function()
		local e = ev[3]
		assert.equal("write", e.type)
		assert.equal(-14, e.res)
		assert.equal(10, e.raw.size)
		assert.is_true(has(e.pflags.data, PF_FAULT))
		assert.equal("0x1 (bad address)", e.params.data)
	end)

	it("a 300-byte path whose NUL is the last byte before an unmapped page decodes whole", function()
		local e = ev[4]
		local want = "/nonexistent-lanner/" .. string.rep("p", 280)
		assert.equal(-2, e.res)
		assert.equal(want, e.raw.name)
		assert.is_false(has(e.pflags.name, PF_TRUNCATED))
		assert.is_false(has(e.pflags.name, PF_FAULT))
		assert.equal(want, e.params.name)
	end)

	it("a short path ending at the end of a mapping decodes whole", function()
		local e = ev[5]
		assert.equal(-2, e.res)
		assert.equal("/nx/short", e.raw.name)
		assert.equal(0, bit.band(e.pflags.name, PF_TRUNCATED + PF_FAULT))
	end)

	-- The kernel found no NUL before the hole (EFAULT); the 64 'z' lanner
	-- read are not the whole string, and must not pass for it.
	it("bytes that run into an unmapped page with no NUL are flagged, not a complete path", function()
		local e = ev[6]
		assert.equal(-14, e.res)
		assert.is_true(has(e.pflags.name, PF_TRUNCATED) or has(e.pflags.name, PF_FAULT),
			"flags " .. tostring(e.pflags.name) .. " for " .. tostring(e.raw.name))
	end)
end)

describe("core: long paths (spec/progs/longpath)", function()
	local r, ev

	-- as longpath.c's make()
	local function make(len)
		local parts = { "/nonexistent-lanner" }
		local n = #parts[1]
		while n + 8 <= len do
			parts[#parts + 1] = "/xxxxxxx"
			n = n + 8
		end
		parts[#parts + 1] = string.rep("y", len - n)
		return table.concat(parts)
	end

	setup(function()
		r = trace.run({ trace.prog("longpath") }, { types = { openat = true } })
		ev = own(r.events, { openat = true })
	end)

	it("exits 0 after four openat calls", function()
		assert.equal(0, r.status)
		assert.equal(4, #ev)
	end)

	local cases = {
		-- length, result, decoded whole?
		{ 4000, -2, true },
		{ 4095, -2, true },
		{ 4096, -36, false },
		{ 5000, -36, false },
	}
	for i, c in ipairs(cases) do
		local len, res, whole = c[1], c[2], c[3]
		it(string.format("a %d-byte path: result %d, %s", len, res,
			whole and "decoded whole" or "kept to 4096 bytes and flagged truncated"), function()
			local e = ev[i]
			local want = make(len)
			assert.equal(len, #want)
			assert.equal(res, e.res)
			if whole then
				assert.equal(len, #e.raw.name)
				assert.equal(want, e.raw.name)
				assert.is_false(has(e.pflags.name, PF_TRUNCATED))
				assert.equal(want, e.params.name)
			else
				assert.is_true(has(e.pflags.name, PF_TRUNCATED))
				assert.equal(4096, #e.raw.name)
				assert.equal(want:sub(1, 4096), e.raw.name)
				assert.equal(want:sub(1, 4096) .. "...", e.params.name)
			end
		end)
	end
end)
