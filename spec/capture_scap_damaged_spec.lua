-- Damaged and cut-short .scap captures (src/scap_read.c): `lanner -r`
-- reads a capture cut short up to its last whole block (exit 0, a note),
-- and stops at damage with a message naming the offset and what is wrong
-- (exit 2); never a crash, read by the ASan+UBSan build.  The damage is
-- made here, block by block, from the format as doc/capture-format.md
-- describes it (type, total length, payload padded to 4, total length).
--
-- Needs `make all progs asan`; run from the repository root:
--   busted spec/capture_scap_damaged_spec.lua
local trace = require "spec.helpers.trace"
local CR = require "spec.helpers.capture_run"
local write, lines, sh3, no_sanitizer_report = CR.write, CR.lines, CR.sh, CR.no_sanitizer_report

local ROOT = trace.root
local ASAN = ROOT .. "/build/asan/lanner"
local q = trace.shell_quote
local FMT = "*%evt.num %evt.type %proc.name %proc.pid %fd.name %evt.args"

local function u32(v)
	return string.char(v % 256, math.floor(v / 256) % 256, math.floor(v / 65536) % 256, math.floor(v / 16777216) % 256)
end

local function get32(s, at)	-- at: 0-based
	local a, b, c, d = s:byte(at + 1, at + 4)
	return a + b * 256 + c * 65536 + d * 16777216
end

-- The blocks: { off, type, total } in file order.
local function blocks_of(s)
	local out, off = {}, 0
	while off + 12 <= #s do
		local total = get32(s, off + 4)
		out[#out + 1] = { off = off, type = get32(s, off), total = total }
		off = off + total
	end
	return out
end

local function replace(s, at, bytes)
	return s:sub(1, at) .. bytes .. s:sub(at + #bytes + 1)
end

local EV = { [0x216] = true, [0x217] = true }

describe("a damaged .scap capture", function()
	local dir, s, blocks, full, n = nil, nil, nil, nil, 0
	setup(function()
		dir = trace.mkdtemp()
		local rc, _, err = sh3(dir, q(CR.LANNER) .. " -q -w base.scap -- sh -c 'cat /etc/hostname > /dev/null; ls / >/dev/null'")
		assert.equal(0, rc, err)
		s = assert(trace.read_file(dir .. "/base.scap"))
		blocks = blocks_of(s)
		local out
		rc, out, err = sh3(dir, q(CR.LANNER) .. " -q -r base.scap -p " .. q(FMT))
		assert.equal(0, rc, err)
		full = lines(out)
	end)
	teardown(function() trace.rmrf(dir) end)

	local function try(bytes, what)
		n = n + 1
		local path = dir .. "/bad" .. n .. ".scap"
		write(path, bytes)
		local env = "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99:allocator_may_return_null=1 " ..
			"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98 "
		local rc, out, err = sh3(dir, env .. "timeout -k 5 60 " .. q(ASAN) .. " -q -r " .. q(path) .. " -p " .. q(FMT))
		no_sanitizer_report(err, what)
		assert.is_true(rc == 0 or rc == 2, what .. ": exit " .. rc .. "\n" .. err)
		os.remove(path)
		return rc, lines(out), err
	end

	local function first_event_block()
		for _, b in ipairs(blocks) do if EV[b.type] then return b end end
	end

	-- exit 2, the offset named, the reason given
	local function damaged(bytes, off, why, what)
		local rc, _, err = try(bytes, what)
		assert.equal(2, rc, what .. ": " .. err)
		assert.truthy(err:find("offset " .. off, 1, true), what .. ": no offset " .. off .. " in: " .. err)
		assert.truthy(err:find(why, 1, true), what .. ": " .. err)
	end

	it("the intact capture reads cleanly under ASan", function()
		local rc, got, err = try(s, "intact")
		assert.equal(0, rc, err)
		assert.same(full, got)
		assert.is_true(#blocks > 10 and #full > 10)
	end)

	it("cut at block boundaries and inside blocks: the events before, and a note", function()
		for i = #blocks - 8, #blocks do
			local b = blocks[i]
			for _, d in ipairs { 0, 3, 8, 15, b.total - 1 } do
				local rc, got, err = try(s:sub(1, b.off + d), "cut at " .. (b.off + d))
				assert.equal(0, rc, err)
				if d > 0 then assert.truthy(err:find("ends inside a block", 1, true), err) end
				assert.is_true(#got <= #full)
			end
		end
	end)

	it("gzip'd, and gzip'd and cut short", function()
		write(dir .. "/g.scap", s)
		local rc, _, err = sh3(dir, "gzip -f g.scap")
		assert.equal(0, rc, err)
		local gz = assert(trace.read_file(dir .. "/g.scap.gz"))
		local got
		rc, got, err = try(gz, "gzip")
		assert.equal(0, rc, err)
		assert.same(full, got)
		rc, got, err = try(gz:sub(1, math.floor(#gz * 2 / 3)), "gzip cut")
		assert.equal(0, rc, err)
		assert.truthy(err:find("ends inside a block", 1, true), err)
		rc, _, err = try(gz:sub(1, 40) .. string.rep("\255", 200), "gzip corrupt")
		assert.equal(2, rc, err)
	end)

	it("a section header with another byte order magic or version", function()
		damaged(replace(s, 8, u32(0x12345678)), 0, "byte order magic", "magic")
		damaged(replace(s, 12, "\2\0"), 0, "format version 2", "version")
		damaged(replace(s, 8, "\26\43\60\77"), 0, "other byte order", "big-endian")
	end)

	it("block lengths: not a multiple of 4, too short, too long, a trailer that disagrees", function()
		local b = blocks[3]
		damaged(replace(s, b.off + 4, u32(b.total + 1)), b.off, "a multiple of 4", "odd length")
		damaged(replace(s, b.off + 4, u32(8)), b.off, "length 8", "short length")
		damaged(replace(s, b.off + 4, u32(0x7ffffff0)), b.off, "length 2147483632", "huge length")
		damaged(replace(s, b.off + b.total - 4, u32(b.total + 4)), b.off, "trailer says", "trailer")
	end)

	it("events: parameter lengths past the event, too many parameters, an event longer than its block", function()
		local b = first_event_block()
		local ev = b.off + 8 + 6		-- after cpu and flags (EVF)
		damaged(replace(s, ev + 22, u32(200)), b.off, "parameters", "nparams")
		damaged(replace(s, ev + 16, u32(b.total)), b.off, "bytes in a block", "event len")
		damaged(replace(s, ev + 26, "\255\255"), b.off, "runs past the event", "param len")
		local tiny = u32(0x217) .. u32(20) .. "\0\0\0\0\0\0\0\0" .. u32(20)
		damaged(s:sub(1, b.off) .. tiny .. s:sub(b.off + 1), b.off, "shorter than an event header", "tiny event")
	end)

	it("table blocks: a process entry or fd list that does not fit, an fd list of no process", function()
		for _, b in ipairs(blocks) do
			if b.type == 0x215 then	-- process list: the first entry's length
				damaged(replace(s, b.off + 8, u32(3)), b.off, "process list entry", "entry length")
				damaged(replace(s, b.off + 8 + 4, u32(0)), b.off, "out of range", "tid 0")
			elseif b.type == 0x218 then	-- an fd list: its tid
				damaged(replace(s, b.off + 8, u32(99999999)), b.off, "fd list of a thread", "fd list tid")
				if b.total > 12 + 8 + 21 then
					damaged(replace(s, b.off + 8 + 8 + 20, "\99"), b.off, "unknown fd type", "fd type")
				end
				break
			end
		end
	end)

	it("unknown blocks and event types are skipped; random bytes never crash", function()
		local b = first_event_block()
		local unknown = u32(0x7777) .. u32(16) .. "abcd" .. u32(16)
		local rc, got, err = try(s:sub(1, b.off) .. unknown .. s:sub(b.off + 1), "unknown block")
		assert.equal(0, rc, err)
		assert.same(full, got)
		rc, got, err = try(replace(s, b.off + 8 + 6 + 20, "\255\127"), "event type 32767")
		assert.equal(0, rc, err)
		math.randomseed(19)
		for k = 1, 12 do
			local at = 28 + math.random(0, #s - 29)
			local junk = {}
			for i = 1, math.random(1, 64) do junk[i] = string.char(math.random(0, 255)) end
			try(replace(s, at, table.concat(junk)), "random " .. k)
		end
	end)
end)
