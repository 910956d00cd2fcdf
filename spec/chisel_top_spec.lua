-- The top-N table chisels and the *_by chisels, over programs whose
-- activity is known.
local H = require "spec.fixtures.chisels.support.helper"

-- "1.50KB" -> 1536, "12B" -> 12; "2.00ms" -> 2e6 ns.
local UNIT = { B = 1, KB = 1024, MB = 1024 ^ 2, GB = 1024 ^ 3, ns = 1, us = 1e3, ms = 1e6, s = 1e9 }
local function number_of(text)
	if text == nil then return nil end
	local n, u = text:match("^([%d.]+)(%a+)$")
	if n and UNIT[u] then return tonumber(n) * UNIT[u] end
	return tonumber(text)
end

-- Data rows of a top table (after the dashes line): { value, key... }.
local function rows(out)
	local list, started = {}, false
	for l in out:gmatch("[^\n]+") do
		if started then
			local r = {}
			for w in l:gmatch("%S+") do r[#r + 1] = w end
			list[#list + 1] = r
		elseif l:match("^%-%-%-%-%-") then
			started = true
		end
	end
	return list
end

local function row_for(out, key)
	for _, r in ipairs(rows(out)) do
		if r[#r] == key then return r end
	end
end

local d
before_each(function()
	d = H.tmpdir()
	H.write(d .. "/f", string.rep("y", 2000))
end)
after_each(function() H.rmdir(d) end)

describe("topfiles_bytes", function()
	it("counts the bytes written to a file, humanised, with a header", function()
		local r = H.lanner({ "-c", "topfiles_bytes", "--", "dd", "if=/dev/zero", "of=" .. d .. "/out", "bs=1000",
			"count=1", "status=none" })
		assert.equal(0, r.status, r.err)
		assert.matches("^Bytes +Filename\n%-%-%-", r.out)
		assert.same({ "1000B", d .. "/out" }, row_for(r.out, d .. "/out"))
		r = H.lanner({ "-c", "topfiles_bytes", "--", "sh", "-c", "cat " .. d .. "/f >/dev/null" })
		assert.equal("1.95KB", row_for(r.out, d .. "/f")[1])
	end)

	it("keeps the top N rows, largest first", function()
		local r = H.lanner({ "-c", "topfiles_bytes", "2", "--", "sh", "-c",
			"dd if=/dev/zero of=" .. d .. "/big bs=50000 count=1 status=none; "
			.. "dd if=/dev/zero of=" .. d .. "/small bs=10 count=1 status=none" })
		local rs = rows(r.out)
		assert.equal(2, #rs)
		assert.is_true(number_of(rs[1][1]) >= number_of(rs[2][1]))
		assert.is_nil(row_for(r.out, d .. "/small"))
	end)
end)

describe("topfiles_time", function()
	it("sums the time spent on a file", function()
		local r = H.lanner({ "-c", "topfiles_time", "--", "sh", "-c", "cat " .. d .. "/f >/dev/null" })
		assert.equal(0, r.status, r.err)
		assert.matches("^Time +Filename\n", r.out)
		local row = assert(row_for(r.out, d .. "/f"), r.out)
		local ns = number_of(row[1])
		assert.is_true(ns > 0 and ns < 5e9, row[1])
	end)
end)

describe("topfiles_errors", function()
	it("counts failed calls per file", function()
		local r = H.lanner({ "-c", "topfiles_errors", "--", "sh", "-c",
			"cat " .. d .. "/missing " .. d .. "/missing " .. d .. "/missing2 2>/dev/null; true" })
		assert.equal(0, r.status, r.err)
		assert.same({ "2", d .. "/missing" }, row_for(r.out, d .. "/missing"))
		assert.same({ "1", d .. "/missing2" }, row_for(r.out, d .. "/missing2"))
		assert.is_nil(row_for(r.out, d .. "/f"))
	end)
end)

describe("topprocs_file", function()
	it("sums a process's file bytes", function()
		local r = H.lanner({ "-c", "topprocs_file", "--", "sh", "-c",
			"dd if=/dev/zero of=" .. d .. "/out bs=100000 count=1 status=none" })
		assert.equal(0, r.status, r.err)
		assert.matches("^Bytes +PID +Process\n", r.out)
		local row = assert(row_for(r.out, "dd"), r.out)
		local b = number_of(row[1])
		-- 100000 written, 100000 read from /dev/zero, plus libc and locale files
		assert.is_true(b >= 200000 and b < 240000, row[1])
		assert.matches("^%d+$", row[2])
	end)
end)

describe("topprocs_errors", function()
	it("ranks processes by failed calls", function()
		local r = H.lanner({ "-c", "topprocs_errors", "--", "sh", "-c",
			"ls " .. d .. "/nope1 " .. d .. "/nope2 2>/dev/null; true" })
		assert.equal(0, r.status, r.err)
		local row = assert(row_for(r.out, "ls"), r.out)
		assert.is_true(tonumber(row[1]) >= 2)
		-- sh fails only its PATH lookups (stat/access); ls fails more
		local sh_row = row_for(r.out, "sh")
		if sh_row then assert.is_true(tonumber(sh_row[1]) <= tonumber(row[1]) + 10, r.out) end
	end)
end)

describe("topscalls", function()
	it("counts calls by syscall", function()
		local r = H.lanner({ "-c", "topscalls", "3", "--", "perl", "-e",
			"for (1..300) { open(my $f, '<', '" .. d .. "/f'); close $f }" })
		assert.equal(0, r.status, r.err)
		local by = {}
		for _, row in ipairs(rows(r.out)) do by[row[2]] = tonumber(row[1]) end
		-- the top 3 hold the 300 opens and closes (perl also stats a lot)
		assert.is_true((by.openat or 0) >= 300, r.out)
		assert.is_true((by.close or 0) >= 300, r.out)
	end)
end)

describe("topscalls_time", function()
	it("finds the call that blocked", function()
		-- the read starts right after the fork (no exec between), so it
		-- blocks for about the child's whole second even on a loaded
		-- machine; a `sleep | cat` pipeline lost the head start of cat's
		-- exec under load
		local r = H.lanner({ "-c", "topscalls_time", "3", "--", "perl", "-e",
			"pipe(R, W); if (!fork) { close R; sleep 1; exit 0 } close W; sysread(R, $b, 1); wait" })
		assert.equal(0, r.status, r.err)
		local row = assert(row_for(r.out, "read"), r.out)
		assert.is_true(number_of(row[1]) >= 0.5e9, row[1])
		-- above it only the calls that waited as long: the child's sleep
		for _, rw in ipairs(rows(r.out)) do
			if rw[2] == "read" then break end
			assert.is_true(rw[2] == "wait4" or rw[2] == "clock_nanosleep" or rw[2] == "nanosleep", r.out)
		end
	end)
end)

describe("fdbytes_by", function()
	it("groups bytes by the field given", function()
		local dd = { "dd", "if=/dev/zero", "of=" .. d .. "/out", "bs=100000", "count=1", "status=none" }
		local r = H.lanner({ "-c", "fdbytes_by", "fd.name", "--", unpack(dd) })
		assert.equal(0, r.status, r.err)
		assert.matches("^Bytes +fd.name\n", r.out)
		assert.same({ "97.66KB", d .. "/out" }, row_for(r.out, d .. "/out"))
		r = H.lanner({ "-c", "fdbytes_by", "proc.name", "--", unpack(dd) })
		assert.is_true(number_of(row_for(r.out, "dd")[1]) >= 200000)
	end)
end)

describe("fdcount_by", function()
	it("counts the fds created, grouped by the field given", function()
		local f = d .. "/f"
		local r = H.lanner({ "-c", "fdcount_by", "fd.name", "--", "sh", "-c",
			"exec 3<" .. f .. "; exec 4<" .. f .. "; exec 5<" .. f .. "; true" })
		assert.equal(0, r.status, r.err)
		assert.same({ "3", f }, row_for(r.out, f))
	end)
end)

describe("fdtime_by", function()
	it("sums the time of fd calls, grouped by the field given", function()
		local r = H.lanner({ "-c", "fdtime_by", "fd.directory", "--", "sh", "-c", "cat " .. d .. "/f >/dev/null" })
		assert.equal(0, r.status, r.err)
		local row = assert(row_for(r.out, d), r.out)
		assert.is_true(number_of(row[1]) > 0)
	end)
end)
