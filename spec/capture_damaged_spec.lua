-- Damaged and cut-short captures (doc/capture-format.md, "A file cut short"):
-- `lanner -r` reads a capture cut short up to its last whole block (exit 0,
-- a note on stderr), and stops at damage with a message that names the
-- offset (exit 2); it never crashes and never allocates much.  The damaged
-- corpus is made here from a fresh capture (bit flips, wrong magic and
-- byte-order mark, huge lengths, blocks with valid checksums but bad
-- fields, unknown blocks, random bytes) and read by the ASan+UBSan build.
--
-- Needs `make all progs asan`; run from the repository root:
--   busted spec/capture_damaged_spec.lua
local trace = require "spec.helpers.trace"
local CR = require "spec.helpers.capture_run"
local write, lines, sh3, no_sanitizer_report = CR.write, CR.lines, CR.sh, CR.no_sanitizer_report
local bit = require "bit"
local ffi = require "ffi"

local ROOT = trace.root
local LANNER = os.getenv("LANNER_BIN") or ROOT .. "/build/lanner"	-- another build to test
local ASAN = ROOT .. "/build/asan/lanner"
local q = trace.shell_quote
local FMT = "*%evt.num %evt.type %proc.name %proc.pid %fd.name %evt.args"

local capfile = require "spec.helpers.capfile"
local BLK = capfile.BLK

-- --- the format, from the document (spec/helpers/capfile.lua) ----------------

local crc32, u32, get32, block, parse, join = capfile.crc32, capfile.u32, capfile.get32, capfile.block,
	capfile.parse, capfile.join

-- Events in whole blocks before byte offset `off`.
local function events_before(blocks, off)
	local n = 0
	for _, b in ipairs(blocks) do
		if b.off + 12 + b.len <= off and b.type == BLK.EVENT then n = n + 1 end
	end
	return n
end

local function with_byte(s, at, f)	-- at: 0-based
	return s:sub(1, at) .. string.char(f(s:byte(at + 1))) .. s:sub(at + 2)
end

local function flip(s, at, bitno)
	return with_byte(s, at, function(c) return bit.bxor(c, bit.lshift(1, bitno or 0)) end)
end

-- --- running lanner -----------------------------------------------------------

-- `lanner -r path -p FMT` (the ASan build unless plain): rc, out, err.
local function replay(dir, path, plain)
	local env = "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99:allocator_may_return_null=1 " ..
		"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98 "
	if plain then
		return sh3(dir, "timeout -k 5 60 " .. q(LANNER) .. " -r " .. q(path) .. " -p " .. q(FMT))
	end
	return sh3(dir, env .. "timeout -k 5 60 " .. q(ASAN) .. " -r " .. q(path) .. " -p " .. q(FMT))
end

-- Output lines are the first n lines of the intact capture's.
local function prefix_of(full, got, n, what)
	assert.equal(n, #got, what .. ": events read")
	for i = 1, n do
		if full[i] ~= got[i] then error(what .. ": line " .. i .. " differs:\n" .. full[i] .. "\n" .. got[i], 2) end
	end
end

-- A capture to damage: a shell, its cat, fds opened, closed and inherited,
-- a thread ending; the filter keeps it small.
local function base_capture(dir)
	local path = dir .. "/base.lcap"
	local rc, _, err = sh3(dir, q(LANNER) .. " -w " .. q(path) ..
		" 'evt.type in (openat, close, execve, procexit) and not fd.name startswith /usr'" ..
		" -- sh -c 'cat /etc/hostname > /dev/null; exec 3</etc/passwd; cat <&3 >/dev/null'")
	assert.equal(0, rc, err)
	local s = assert(trace.read_file(path))
	local head, blocks = parse(s)
	local rc2, out, err2 = replay(dir, path, true)
	assert.equal(0, rc2, err2)
	return s, head, blocks, lines(out)
end

-- --- the specs -----------------------------------------------------------------

describe("capture format helpers", function()
	it("CRC-32 is zlib's (check value of '123456789')", function()
		assert.equal(0xCBF43926, crc32("123456789"))
	end)
end)

describe("a capture cut short", function()
	local dir, s, head, blocks, full
	setup(function()
		dir = trace.mkdtemp()
		s, head, blocks, full = base_capture(dir)
	end)
	teardown(function() trace.rmrf(dir) end)

	-- Cut points in and around the last 12 blocks: at a block's start, in
	-- its type, its length, its payload, its CRC.
	local function cuts()
		local out = {}
		for i = math.max(1, #blocks - 11), #blocks do
			local b = blocks[i]
			for _, d in ipairs { 0, 1, 4, 7, 8, 8 + math.floor(b.len / 2), 8 + b.len, 8 + b.len + 3 } do
				out[#out + 1] = b.off + d
			end
		end
		out[#out + 1] = #s
		return out
	end

	it("reads up to its last whole event and exits 0 (cut at many offsets)", function()
		assert.is_true(#blocks > 20 and #full > 5)
		local path = dir .. "/cut.lcap"
		for _, at in ipairs(cuts()) do
			write(path, s:sub(1, at))
			local rc, out, err = replay(dir, path, true)
			assert.equal(0, rc, "cut at " .. at .. ": " .. err)
			assert.falsy(err:find("damaged"), err)
			prefix_of(full, lines(out), events_before(blocks, at), "cut at " .. at)
		end
	end)

	it("says on stderr where it ends when cut inside a block", function()
		-- ln_capture_notes() gets the note when the reader meets the cut,
		-- but lanner prints the notes only right after opening the file
		-- (lua/lanner/session.lua open_capture), never at the end.
		local path = dir .. "/cut.lcap"
		local b = blocks[#blocks - 2]
		local at = b.off + 8 + math.floor(b.len / 2)
		write(path, s:sub(1, at))
		local rc, _, err = replay(dir, path, true)
		assert.equal(0, rc)
		assert.truthy(err:find("ends inside a block at offset " .. b.off, 1, true),
			"no note on stderr: '" .. err .. "'")
	end)

	it("reads a capture whose recorder was killed with SIGKILL", function()
		local cap = dir .. "/killed.lcap"
		local loop = "end=$(($(date +%s)+20)); while [ $(date +%s) -lt $end ]; do cat /etc/hostname >/dev/null; done"
		-- lanner in the background; $! is lanner itself
		os.execute("cd " .. q(dir) .. "; " .. q(LANNER) .. " -w " .. q(cap) .. " -- sh -c " .. q(loop) ..
			" > /dev/null 2>&1 & echo $! > " .. q(dir .. "/pid"))
		local pid = tonumber(trace.read_file(dir .. "/pid"))
		assert.is_number(pid)
		-- long enough for several 64 KB writes
		local t0 = trace.now()
		while trace.now() - t0 < 2.5 do os.execute("sleep 0.1") end
		os.execute("kill -9 " .. pid)
		os.execute("sleep 0.3")	-- the tracees die with their tracer (PTRACE_O_EXITKILL)
		local size = #(trace.read_file(cap) or "")
		assert.is_true(size > 65536, "capture size " .. size)
		local rc, out, err = sh3(dir, q(LANNER) .. " -r " .. q(cap) .. " -p '%evt.num %evt.type'")
		assert.equal(0, rc, err)
		assert.falsy(err:find("damaged"), err)
		local ls = lines(out)
		assert.is_true(#ls > 500, #ls .. " events")
		-- no filter: every event was recorded, numbered 1, 2, 3, ...
		for i, l in ipairs(ls) do
			assert.equal(i, tonumber(l:match("^(%d+) ")), l)
		end
	end)
end)

describe("a damaged capture", function()
	local dir, s, head, blocks, full
	setup(function()
		dir = trace.mkdtemp()
		s, head, blocks, full = base_capture(dir)
	end)
	teardown(function() trace.rmrf(dir) end)

	local n = 0
	-- Replays bytes under ASan; returns rc, output lines, stderr.
	local function try(bytes, what)
		n = n + 1
		local path = dir .. "/bad" .. n .. ".lcap"
		write(path, bytes)
		local rc, out, err = replay(dir, path)
		no_sanitizer_report(err, what)
		assert.is_true(rc == 0 or rc == 2, what .. ": exit " .. rc .. "\n" .. err)
		os.remove(path)
		return rc, lines(out), err
	end

	-- Exit 2, the offset named, and the events before the bad block read.
	local function damaged_at(bytes, off, what, why)
		local rc, got, err = try(bytes, what)
		assert.equal(2, rc, what .. ": " .. err)
		assert.truthy(err:find("offset " .. off, 1, true), what .. ": no offset " .. off .. " in: " .. err)
		if why then assert.truthy(err:find(why, 1, true), what .. ": " .. err) end
		prefix_of(full, got, events_before(blocks, off), what)
	end

	it("the intact capture reads cleanly under ASan", function()
		local rc, got, err = try(s, "intact")
		assert.equal(0, rc, err)
		assert.equal("", err)
		prefix_of(full, got, #full, "intact")
	end)

	it("an empty file, a short one, a wrong magic: not a capture, exit 2", function()
		for what, bytes in pairs {
			empty = "", short = s:sub(1, 10), ["magic flipped"] = flip(s, 2, 5),
			["text-mode copy (CR LF -> LF)"] = s:sub(1, 5) .. "\n" .. s:sub(8),
		} do
			local rc, got, err = try(bytes, what)
			assert.equal(2, rc, what)
			assert.truthy(err:find("bad magic", 1, true), what .. ": " .. err)
			assert.equal(0, #got)
		end
	end)

	it("a wrong byte-order mark: exit 2, named", function()
		local bytes = s:sub(1, 12) .. "\1\2\3\4" .. s:sub(17)
		local rc, _, err = try(bytes, "big-endian mark")
		assert.equal(2, rc)
		assert.truthy(err:find("byte order mark 0x4030201", 1, true), err)
	end)

	it("random bytes: exit 2, never a crash", function()
		math.randomseed(8)
		local function junk(len)
			local t = {}
			for i = 1, len do t[i] = string.char(math.random(0, 255)) end
			return table.concat(t)
		end
		local rc, _, err = try(junk(4096), "random")
		assert.equal(2, rc, err)
		for k = 1, 6 do
			-- a valid file header, then noise: damage at offset 16
			damaged_at(head .. junk(k * 700), 16, "noise after the header " .. k)
		end
		damaged_at(head .. string.rep("\0", 4096), 16, "zeros after the header", "checksum")
	end)

	it("a bit flipped in a block's type, length, payload or CRC: the offset named", function()
		local seen = {}
		for i, b in ipairs(blocks) do
			-- the first block of each type, every 5th, and the last
			if not seen[b.type] or i % 5 == 0 or i == #blocks then
				seen[b.type] = true
				local where = {
					{ "type", b.off + 1, 3 },
					{ "payload", b.off + 8 + math.floor(b.len / 2), 6 },
					{ "crc", b.off + 8 + b.len + 2, 1 },
				}
				for _, w in ipairs(where) do
					local what = string.format("block %d (type %d at %d): %s bit flipped", i, b.type, b.off, w[1])
					damaged_at(flip(s, w[2], w[3]), b.off, what, "checksum")
				end
				-- the length's low bit: the block now ends a byte early or late
				local what = string.format("block %d (type %d at %d): length bit flipped", i, b.type, b.off)
				local bytes = flip(s, b.off + 4, 0)
				if i == #blocks and b.len % 2 == 0 then
					-- one byte longer than the file: reads as a cut
					local rc, got = try(bytes, what)
					assert.equal(0, rc, what)
					prefix_of(full, got, events_before(blocks, b.off), what)
				else
					damaged_at(bytes, b.off, what, "checksum")
				end
			end
		end
	end)

	it("a huge length field: an error, not an allocation", function()
		for _, len in ipairs { 0xFFFFFFF0, 0x7FFFFFFF, 0x100001 } do
			local b = blocks[5]
			local bytes = s:sub(1, b.off + 4) .. u32(len) .. s:sub(b.off + 9)
			damaged_at(bytes, b.off, "length " .. len, "length out of range")
		end
		-- at the limit and past the end of the file: a cut, exit 0
		local b = blocks[5]
		local bytes = s:sub(1, b.off + 4) .. u32(0x100000) .. s:sub(b.off + 9)
		local rc, got = try(bytes, "length 1 MiB")
		assert.equal(0, rc)
		prefix_of(full, got, events_before(blocks, b.off), "length 1 MiB")
	end)

	-- Blocks with correct checksums around damaged fields.
	local function replace(i, payload)
		local t = {}
		for k, b in ipairs(blocks) do t[k] = b end
		t[i] = { raw = block(blocks[i].type, payload) }
		return join(head, t)
	end

	local function first(btype, from)
		for i = from or 1, #blocks do
			if blocks[i].type == btype then return i, blocks[i] end
		end
	end

	it("an event block shorter than its fields (valid CRC): exit 2 at its offset", function()
		local i, b = first(BLK.EVENT)
		for _, cut in ipairs { 1, 2, 40, 95, b.len - 1 } do
			damaged_at(replace(i, b.payload:sub(1, b.len - cut)), b.off, "event less " .. cut .. " bytes",
				"shorter than its fields")
		end
		-- 255 parameters announced
		damaged_at(replace(i, b.payload:sub(1, 42) .. "\255" .. b.payload:sub(44)), b.off, "255 params",
			"shorter than its fields")
	end)

	it("state blocks shorter than their fields (valid CRC): exit 2 at their offset", function()
		for _, t in ipairs { BLK.PROC, BLK.THREAD, BLK.FD, BLK.FD_DEL, BLK.THREAD_GONE } do
			local i, b = first(t)
			assert.is_number(i, "no block of type " .. t)
			damaged_at(replace(i, b.payload:sub(1, b.len - 1)), b.off, "type " .. t .. " short",
				"shorter than its fields")
		end
		-- a PROC block whose comm string claims 4 GB
		local i, b = first(BLK.PROC)
		damaged_at(replace(i, b.payload:sub(1, 48) .. u32(0xFFFFFFFF) .. b.payload:sub(53)), b.off,
			"comm length 4 GB", "shorter than its fields")
	end)

	it("an event of a type index past the table is skipped, and the rest read", function()
		local i, b = first(BLK.EVENT)
		local bytes = replace(i, b.payload:sub(1, 40) .. "\255\255" .. b.payload:sub(43))
		local rc, got, err = try(bytes, "type 65535")
		assert.is_true(rc == 0 or (rc == 2 and err:find("offset " .. b.off, 1, true) ~= nil), err)
		if rc == 0 then assert.equal(#full - 1, #got) end
	end)

	it("an event before the header, and a second header: exit 2", function()
		local without = join(head, blocks, 2)
		local _, ev = first(BLK.EVENT)
		-- offsets shift by the header block's size
		damaged_at(without, ev.off - #blocks[1].raw, "no header", "before the header")
		local t = { blocks[1] }
		for k = 2, #blocks do t[#t + 1] = blocks[k] end
		table.insert(t, 3, blocks[1])
		local twice = join(head, t)
		local rc, got, err = try(twice, "two headers")
		assert.equal(2, rc)
		assert.truthy(err:find("offset " .. (blocks[3].off), 1, true) and err:find("header", 1, true), err)
		assert.equal(0, #got)
		-- a header whose type table claims 5000 types
		local hp = blocks[1].payload
		local at = 2 + 4 + get32(hp, 3) -- version, writer string
		at = at + 4 + get32(hp, at + 1) + 8 + 8 + 4 -- host, boot, start, snaplen
		damaged_at(replace(1, hp:sub(1, at) .. u32(5000) .. hp:sub(at + 5)), 16, "5000 types", "header")
	end)
end)

describe("a capture from a newer lanner", function()
	local dir, s, head, blocks, full
	setup(function()
		dir = trace.mkdtemp()
		s, head, blocks, full = base_capture(dir)
	end)
	teardown(function() trace.rmrf(dir) end)

	local function unknown_inserted()
		local t = {}
		for k, b in ipairs(blocks) do
			t[#t + 1] = b
			if k == 10 or k == 20 then
				t[#t + 1] = { raw = block(99, "a block of a later version " .. string.rep("x", 100)) }
				t[#t + 1] = { raw = block(9, "") }
			end
		end
		return join(head, t)
	end

	it("skips a block of an unknown type with a valid CRC: same events, exit 0", function()
		local path = dir .. "/newer.lcap"
		write(path, unknown_inserted())
		local rc, out, err = replay(dir, path)
		no_sanitizer_report(err, "unknown block")
		assert.equal(0, rc, err)
		prefix_of(full, lines(out), #full, "unknown blocks")
		assert.falsy(err:find("damaged"), err)
	end)

	it("says on stderr that it skipped unknown blocks", function()
		-- the note is made while reading, after open_capture printed the
		-- notes it had (none): it never reaches stderr
		local path = dir .. "/newer.lcap"
		write(path, unknown_inserted())
		local rc, _, err = replay(dir, path, true)
		assert.equal(0, rc)
		assert.truthy(err:find("unknown to this lanner were skipped (first at offset " .. blocks[11].off, 1, true),
			"no note: '" .. err .. "'")
	end)

	it("reads a newer format version, with a note", function()
		-- 2 added COMPRESSED blocks; 3 is a version this lanner does not know
		local path = dir .. "/v3.lcap"
		write(path, s:sub(1, 8) .. u32(3) .. s:sub(13))
		local rc, out, err = replay(dir, path)
		no_sanitizer_report(err, "version 3")
		assert.equal(0, rc, err)
		prefix_of(full, lines(out), #full, "version 3")
		assert.truthy(err:find("format version 3 is newer", 1, true), err)
	end)

	it("appended fields at the end of blocks are ignored", function()
		local t = {}
		for k, b in ipairs(blocks) do
			t[k] = { raw = block(b.type, b.payload .. "\1\2\3\4\5\6\7\8") }
		end
		local path = dir .. "/longer.lcap"
		write(path, join(head, t))
		local rc, out, err = replay(dir, path)
		no_sanitizer_report(err, "longer blocks")
		assert.equal(0, rc, err)
		prefix_of(full, lines(out), #full, "longer blocks")
	end)
end)

describe("capture reader resources", function()
	local dir, s, head, blocks
	setup(function()
		dir = trace.mkdtemp()
		s, head, blocks = base_capture(dir)
	end)
	teardown(function() trace.rmrf(dir) end)

	local function first(btype)
		for _, b in ipairs(blocks) do
			if b.type == btype then return b end
		end
	end

	for _, c in ipairs({ { fd = 1048576, procs = 20, max_bytes = 16 * 1024 },
		{ fd = 0x7FFFFF00, procs = 2000, max_bytes = 512 * 1024 } }) do
	it(("a capture of a few KB never makes the reader allocate much (fd %d in %d processes)"):format(c.fd, c.procs), function()
		-- a process's fd table grown as an array to the fd number cost
		-- 16 MB for an FD block of fd 1<<20, each process again: 200 such
		-- pairs (55 KB) took 3 GB.  The reader refused numbers past 65535
		-- then; they are read now (fd tables go by count: fdmap.c).  Near
		-- INT_MAX, a top array indexed by fd / 65536 was 256 KB a process
		-- (534 MB for these 2,000); by fd / 2^24 it is 1 KB.
		local _, rc0 = trace.sh("test -x /usr/bin/time")
		if rc0 ~= 0 then
			pending("needs /usr/bin/time")
			return
		end
		local fd = first(BLK.FD)
		local parts = { head, blocks[1].raw }
		for k = 1, c.procs do
			local pid = u32(200000 + k)
			-- pid ppid vpid sid pgid tty loginuid flags, two times, 8 strings
			local proc = pid .. string.rep(u32(1), 7) .. string.rep("\0", 16) .. u32(1) .. "x" ..
				string.rep(u32(0), 7)
			parts[#parts + 1] = block(BLK.PROC, proc)
			parts[#parts + 1] = block(BLK.FD, pid .. u32(c.fd) .. fd.payload:sub(9))
		end
		local bytes = table.concat(parts)
		assert.is_true(#bytes < c.max_bytes, #bytes)
		local path = dir .. "/amp.lcap"
		write(path, bytes)
		local rc, _, err = sh3(dir, "/usr/bin/time -f 'maxrss=%M' " .. q(LANNER) .. " -r " .. q(path))
		assert.equal(0, rc, err)
		local kb = tonumber(err:match("maxrss=(%d+)"))
		assert.is_number(kb, err)
		assert.is_true(kb < 100 * 1024, string.format("%.0f MB resident for a %d-byte capture", kb / 1024, #bytes))
	end)
	end

	it("freeing a replay session does not wait for the caller's children", function()
		-- ln_thread_obtain counts replayed threads in s->ntracees, and
		-- ln_session_free waits (waitpid(-1)) while that count is above 0:
		-- a capture that ends with threads alive makes it wait for, and
		-- reap, any child of the program reading it.
		local core = require "lanner.core"
		local session = require "lanner.session"
		local cap = dir .. "/alive.lcap"
		-- cut before the threads end: the last THREAD_GONE and after
		local last_gone
		for _, b in ipairs(blocks) do
			if b.type == BLK.THREAD_GONE then last_gone = b end
		end
		assert.is_table(last_gone)
		write(cap, s:sub(1, last_gone.off))
		local child = io.popen("sleep 3")	-- a child of this process
		local sess = assert(session.open_capture(cap))
		while sess:next(0) do end
		local t0 = trace.now()
		local cs = sess.s
		ffi.gc(cs, nil)
		core.C.ln_session_free(cs)
		sess.s = nil
		local took = trace.now() - t0
		child:close()
		assert.is_true(took < 1, string.format("ln_session_free took %.1f s", took))
	end)
end)

describe("capture writer errors", function()
	it("a capture that cannot be written is an error that says why", function()
		-- open_file's first flush fails (ENOSPC) and nothing fills the
		-- session's message: lanner prints "lanner: " and nothing else.
		local out, rc = trace.sh(q(LANNER) .. " -w /dev/full -- true 2>&1")
		assert.equal(2, rc)
		assert.truthy(out:find("/dev/full", 1, true) or out:find("No space", 1, true), "message: '" .. out .. "'")
	end)
end)

describe("the fuzzer's seed corpus", function()
	-- spec/fuzz/corpus: real captures, read cleanly under ASan.
	it("every seed reads cleanly under ASan", function()
		local dir = trace.mkdtemp()
		local list = trace.sh("ls " .. q(ROOT .. "/spec/fuzz/corpus"))
		local count = 0
		for name in list:gmatch("[^\n]+") do
			local rc, out, err = replay(dir, ROOT .. "/spec/fuzz/corpus/" .. name)
			no_sanitizer_report(err, name)
			assert.equal(0, rc, name .. ": " .. err)
			assert.is_true(#lines(out) >= 1, name)
			count = count + 1
		end
		trace.rmrf(dir)
		assert.is_true(count >= 5, "seeds: " .. count)
	end)
end)
