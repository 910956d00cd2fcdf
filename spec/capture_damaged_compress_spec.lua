-- Damaged compressed captures (doc/capture-format.md, "COMPRESSED"): the
-- corpus of spec/capture_damaged_spec.lua for COMPRESSED blocks, read by
-- the ASan+UBSan build.  A compressed capture cut short reads up to its
-- last whole block; corrupt compressed bytes, a lying inflated size, a
-- decompression bomb, damage inside the inflated data and unknown
-- algorithms stop the replay with the offset named (exit 2), never a
-- crash and never a large allocation.
--
-- Needs `make all progs asan`; run from the repository root:
--   busted spec/capture_damaged_compress_spec.lua
local trace = require "spec.helpers.trace"
local CR = require "spec.helpers.capture_run"
local write, lines, sh3, no_sanitizer_report = CR.write, CR.lines, CR.sh, CR.no_sanitizer_report
local capfile = require "spec.helpers.capfile"
local bit = require "bit"
local ffi = require "ffi"

local ROOT = trace.root
local LANNER = os.getenv("LANNER_BIN") or ROOT .. "/build/lanner"
local ASAN = ROOT .. "/build/asan/lanner"
local q = trace.shell_quote
local FMT = "*%evt.num %evt.type %proc.name %proc.pid %fd.name %evt.args"
local ENV = "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99:allocator_may_return_null=1 " ..
	"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98 "
local BLK, u32, get32, block = capfile.BLK, capfile.u32, capfile.get32, capfile.block
local ZOPT = { zlib = "-z", zstd = "--compress zstd" }

-- got is the first lines of full, between lo and hi of them.
local function prefix_within(full, got, lo, hi, what)
	assert.is_true(#got >= lo and #got <= hi, string.format("%s: %d events read, expected %d to %d",
		what, #got, lo, hi))
	for i = 1, #got do
		if full[i] ~= got[i] then error(what .. ": line " .. i .. " differs:\n" .. full[i] .. "\n" .. got[i], 2) end
	end
end

-- A compressed capture to damage, recorded by the ASan build (the writer
-- and its compressor under the sanitizers too): several COMPRESSED blocks.
local function base_capture(dir, alg)
	local path = dir .. "/base.lcap"
	local rc, _, err = sh3(dir, ENV .. q(ASAN) .. " -w " .. q(path) .. " " .. ZOPT[alg] ..
		" -- sh -c 'for i in 1 2 3 4 5 6 7 8; do cat /etc/hostname > /dev/null; done;" ..
		" exec 3</etc/passwd; cat <&3 >/dev/null'")
	no_sanitizer_report(err, "recording")
	assert.equal(0, rc, err)
	local s = assert(trace.read_file(path))
	local flat, head, outer = capfile.flat(s)
	local comp = {}
	for _, b in ipairs(outer) do
		if b.type == BLK.COMPRESSED then comp[#comp + 1] = b end
	end
	assert.is_true(#comp >= 3, "COMPRESSED blocks: " .. #comp)
	local rc2, out, err2 = sh3(dir, q(LANNER) .. " -r " .. q(path) .. " -p " .. q(FMT))
	assert.equal(0, rc2, err2)
	return { s = s, head = head, outer = outer, flat = flat, comp = comp, full = lines(out) }
end

-- Events the reader hands out before file offset `off`: those in whole
-- outer blocks ending there or before.
local function events_before(base, off)
	local n = 0
	for _, b in ipairs(base.flat) do
		if b.type == BLK.EVENT and b.whole_at <= off then n = n + 1 end
	end
	return n
end

-- The capture with outer block b replaced by raw bytes.
local function replaced(base, b, raw)
	return base.s:sub(1, b.off) .. raw .. base.s:sub(b.off + 12 + b.len + 1)
end

for _, alg in ipairs { "zlib", "zstd" } do
	describe("a damaged " .. alg .. " capture", function()
		local dir, base
		setup(function()
			dir = trace.mkdtemp()
			base = base_capture(dir, alg)
		end)
		teardown(function() trace.rmrf(dir) end)

		local n = 0
		local function try(bytes, what)
			n = n + 1
			local path = dir .. "/bad" .. n .. ".lcap"
			write(path, bytes)
			local rc, out, err = sh3(dir, ENV .. "timeout -k 5 60 " .. q(ASAN) .. " -r " .. q(path) ..
				" -p " .. q(FMT))
			no_sanitizer_report(err, what)
			assert.is_true(rc == 0 or rc == 2, what .. ": exit " .. rc .. "\n" .. err)
			os.remove(path)
			return rc, lines(out), err
		end

		-- Exit 2, the COMPRESSED block's offset and `why` in the message,
		-- and only events from before it (and from inside it, when the
		-- damage is inside its data).
		local function damaged_at(bytes, b, what, why, inside)
			local rc, got, err = try(bytes, what)
			assert.equal(2, rc, what .. ": " .. err)
			assert.truthy(err:find("capture damaged at offset " .. b.off, 1, true),
				what .. ": no offset " .. b.off .. " in: " .. err)
			if why then assert.truthy(err:find(why, 1, true), what .. ": '" .. why .. "' not in: " .. err) end
			local lo = events_before(base, b.off)
			prefix_within(base.full, got, lo, inside and events_before(base, b.off + 12 + b.len) or lo, what)
			return err
		end

		it("the intact capture reads cleanly under ASan, as the plain build reads it", function()
			local rc, got, err = try(base.s, "intact")
			assert.equal(0, rc, err)
			assert.equal("", err)
			prefix_within(base.full, got, #base.full, #base.full, "intact")
			assert.is_true(#got > 100, #got .. " events")
		end)

		it("cut inside or between COMPRESSED blocks: read up to the last whole one, exit 0", function()
			for k = #base.comp - 1, #base.comp do
				local b = base.comp[k]
				for _, d in ipairs { 0, 4, 9, 12 + math.floor(b.len / 2), 11 + b.len, 12 + b.len } do
					local at = b.off + d
					local rc, got, err = try(base.s:sub(1, at), "cut at " .. at)
					assert.equal(0, rc, "cut at " .. at .. ": " .. err)
					assert.falsy(err:find("damaged"), err)
					local want = events_before(base, at)
					prefix_within(base.full, got, want, want, "cut at " .. at)
					if d > 0 and d < 12 + b.len then
						assert.truthy(err:find("ends inside a block at offset " .. b.off, 1, true), err)
					end
				end
			end
		end)

		it("a corrupt compressed payload (checksum fixed): exit 2 at its offset", function()
			local b = base.comp[2]
			local data = b.payload:sub(6)
			local caught = 0
			local points = { 1, 2, 5, math.floor(#data / 3), math.floor(#data / 2), #data - 8, #data - 1, #data }
			for _, at in ipairs(points) do
				local bad = data:sub(1, at - 1) .. string.char(bit.bxor(data:byte(at), 0x5a)) .. data:sub(at + 1)
				local bytes = replaced(base, b, block(BLK.COMPRESSED, b.payload:sub(1, 5) .. bad))
				local what = "compressed byte " .. at .. " changed"
				local rc, got, err = try(bytes, what)
				if rc == 0 then
					-- a change the codec cannot see that left the data as it was
					prefix_within(base.full, got, #base.full, #base.full, what)
				else
					damaged_at(bytes, b, what, "compressed block", true)
					caught = caught + 1
				end
			end
			assert.is_true(caught >= #points - 1, caught .. " of " .. #points .. " changes caught")
			-- and without the checksum fixed: the block's checksum says so first
			local raw = b.raw:sub(1, 20) .. string.char(bit.bxor(b.raw:byte(21), 1)) .. b.raw:sub(22)
			damaged_at(replaced(base, b, raw), b, "flipped, checksum not fixed", "checksum mismatch")
		end)

		it("a lying inflated size: exit 2, no allocation of it", function()
			local b = base.comp[2]
			local size = get32(b.payload, 2)
			local function with_size(v)
				return replaced(base, b, block(BLK.COMPRESSED, b.payload:sub(1, 1) .. u32(v) .. b.payload:sub(6)))
			end
			damaged_at(with_size(size - 1), b, "size - 1", "more than the " .. (size - 1) .. " bytes declared")
			damaged_at(with_size(size + 1), b, "size + 1", "not the " .. (size + 1) .. " declared")
			damaged_at(with_size(math.floor(size / 2)), b, "size / 2", "bytes declared")
			for _, v in ipairs { 0, capfile.MAX_INFLATED + 1, 0x7FFFFFFF, 0xFFFFFFFF } do
				damaged_at(with_size(v), b, "size " .. v, "inflated size " .. v .. " out of range")
			end
		end)

		it("a decompression bomb: stopped at the declared size, with the offset", function()
			-- 64 MB of zeros compress to a few KB (zlib) or bytes (zstd)
			local zeros = ffi.new("uint8_t[?]", 64 * 1048576)
			local bomb = capfile.compress(alg, zeros, 64 * 1048576)
			zeros = nil
			assert.is_true(#bomb < 100 * 1024, #bomb)
			local b = base.comp[2]
			local function with(size)
				return replaced(base, b, block(BLK.COMPRESSED, string.char(capfile.ALG[alg]) .. u32(size) .. bomb))
			end
			damaged_at(with(capfile.MAX_INFLATED), b, "bomb", "more than the 2097152 bytes declared")
			damaged_at(with(64 * 1048576), b, "bomb, honest size", "out of range")
			-- and the plain build stays small doing it
			local _, rc0 = trace.sh("test -x /usr/bin/time")
			if rc0 == 0 then
				local path = dir .. "/bomb.lcap"
				write(path, with(capfile.MAX_INFLATED))
				local rc, _, err = sh3(dir, "/usr/bin/time -f 'maxrss=%M' " .. q(LANNER) .. " -r " .. q(path))
				assert.equal(2, rc, err)
				local kb = tonumber(err:match("maxrss=(%d+)"))
				assert.is_true(kb < 60 * 1024, string.format("%.0f MB resident", kb / 1024))
			end
		end)

		it("damage inside the inflated data (valid outer checksum): the byte named", function()
			local b = base.comp[2]
			local data = capfile.inflate(b.payload)
			local _, inner = capfile.parse(data, 0)
			assert.is_true(#inner > 5)
			local function with_data(d, what, why)
				return damaged_at(replaced(base, b, capfile.compressed(alg, d)), b, what, why, true)
			end
			-- an inner block's checksum
			local ib = inner[4]
			local at = ib.off + 12 + ib.len	-- 1-based index of its CRC's last byte
			local err = with_data(data:sub(1, at - 1) .. string.char(bit.bxor(data:byte(at), 1)) .. data:sub(at + 1),
				"inner checksum", "checksum mismatch")
			assert.truthy(err:find("byte " .. ib.off .. " of its data", 1, true), err)
			-- the data ends inside its last block
			with_data(data:sub(1, #data - 5), "inner cut", "compressed data ends inside a block")
			-- an inner length past 1 MiB
			local huge = data:sub(1, ib.off + 4) .. u32(0x200000) .. data:sub(ib.off + 9)
			with_data(huge, "inner length", "block length out of range")
			-- a COMPRESSED block inside one
			local nested = capfile.compressed(alg, data)
			with_data(data:sub(1, ib.off) .. nested .. data:sub(ib.off + 1), "nested", "inside a compressed block")
			-- a HEADER inside one: a second header
			with_data(base.outer[1].raw .. data, "header inside", "header")
		end)

		it("an unknown algorithm, a payload shorter than its fields, trailing bytes: exit 2", function()
			local b = base.comp[2]
			local p = b.payload
			damaged_at(replaced(base, b, block(BLK.COMPRESSED, "\3" .. p:sub(2))), b, "algorithm 3",
				"algorithm 3, unknown")
			damaged_at(replaced(base, b, block(BLK.COMPRESSED, "\0" .. p:sub(2))), b, "algorithm 0",
				"algorithm 0, unknown")
			damaged_at(replaced(base, b, block(BLK.COMPRESSED, p:sub(1, 3))), b, "3 bytes",
				"shorter than its fields")
			damaged_at(replaced(base, b, block(BLK.COMPRESSED, p:sub(1, 5))), b, "no data", "compressed block")
			damaged_at(replaced(base, b, block(BLK.COMPRESSED, p .. "junk")), b, "trailing bytes",
				"compressed block")
		end)

		it("random compressed payloads (checksums fixed): exit 0 or 2, never a crash", function()
			math.randomseed(alg == "zlib" and 81 or 82)
			local b = base.comp[2]
			local data = b.payload:sub(6)
			for k = 1, 12 do
				-- the real data with a run of random bytes, a random size
				local from = math.random(1, #data)
				local t = {}
				for i = 1, math.random(1, 64) do t[i] = string.char(math.random(0, 255)) end
				local junk = data:sub(1, from - 1) .. table.concat(t) .. data:sub(from + #t)
				local size = k % 3 == 0 and math.random(1, capfile.MAX_INFLATED) or get32(b.payload, 2)
				try(replaced(base, b, block(BLK.COMPRESSED, b.payload:sub(1, 1) .. u32(size) .. junk)),
					"random " .. k)
			end
		end)

		it("inflated in place, the blocks read as an uncompressed capture does", function()
			-- doc/capture-format.md: a COMPRESSED block's data is the blocks
			-- an uncompressed capture would have in its place
			local parts = { base.head }
			for _, b in ipairs(base.outer) do
				parts[#parts + 1] = b.type == BLK.COMPRESSED and capfile.inflate(b.payload) or b.raw
			end
			local rc, got, err = try(table.concat(parts), "inflated")
			assert.equal(0, rc, err)
			prefix_within(base.full, got, #base.full, #base.full, "inflated")
		end)
	end)
end
