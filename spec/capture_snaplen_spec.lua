-- The snaplen's upper bound (-s N, ln_set_snaplen): past LN_MAX_SNAPLEN an
-- event could make a capture block longer than the reader's limit (1 MiB,
-- doc/capture-format.md), that is a capture no reader accepts.  The CLI
-- refuses such an -s, the core clamps, and at the limit the longest buffer
-- with the longest fd name still makes blocks the reader takes.
--
-- Needs `make all progs`; run from the repository root:
--   busted spec/capture_snaplen_spec.lua
local trace = require "spec.helpers.trace"
local capfile = require "spec.helpers.capfile"
local session = require "lanner.session"
local core = require "lanner.core"
local ffi, C = core.ffi, core.C

local ROOT = trace.root
local LANNER = os.getenv("LANNER_BIN") or ROOT .. "/build/lanner"
local q = trace.shell_quote
local BLK = capfile.BLK
local MAX = 65536	-- documented in doc/capture-format.md and lanner -h
local MAX_BLOCK = 1048576	-- doc/capture-format.md, "Block framing"

local function lanner(dir, ...)
	local words = {}
	for i, a in ipairs { LANNER, ... } do words[i] = q(a) end
	local out, err = dir .. "/run.out", dir .. "/run.err"
	local _, rc = trace.sh("cd " .. q(dir) .. " && timeout -k 5 180 " .. table.concat(words, " ") ..
		" > " .. q(out) .. " 2> " .. q(err))
	return rc, trace.read_file(out) or "", trace.read_file(err) or ""
end

-- A directory under dir whose path is about 4000 bytes: the longest fd
-- names lanner keeps are 4095.
local function deep_dir(dir)
	local d = dir
	while #d < 3800 do d = d .. "/" .. string.rep("d", 200) end
	assert.equal(0, select(2, trace.sh("mkdir -p " .. q(d))))
	return d
end

-- dd writing 2 MiB in one write() to a file under a ~4000-byte path.
local function big_write(dir)
	local file = deep_dir(dir) .. "/out"
	return { "dd", "if=/dev/zero", "of=" .. file, "bs=2M", "count=1", "status=none" }, file
end

-- The capture's HEADER snaplen and its longest EVENT block.
local function shape(path)
	local s = assert(trace.read_file(path), path)
	local _, blocks = capfile.parse(s)
	local snaplen, longest = nil, 0
	for _, b in ipairs(blocks) do
		if b.type == BLK.HEADER then
			local at = 3
			at = at + 4 + capfile.get32(b.payload, at)	-- writer
			at = at + 4 + capfile.get32(b.payload, at)	-- host
			snaplen = capfile.get32(b.payload, at + 16)	-- after boot and open times
		elseif b.type == BLK.EVENT and b.len > longest then
			longest = b.len
		end
	end
	return snaplen, longest
end

-- The write events of a capture: their kept data's length and fd name.
local function writes(dir, path)
	local rc, out, err = lanner(dir, "-r", path, "-p", "%evt.type %evt.rawres %fd.name", "evt.type = write")
	assert.equal(0, rc, err)
	assert.equal("", err)
	return out
end

describe("snaplen limit", function()
	local dir
	before_each(function() dir = trace.mkdtemp() end)
	after_each(function() trace.rmrf(dir) end)

	it("is 65536, the largest power of two whose longest event fits a block", function()
		local ok, c = pcall(function() return C.LN_MAX_SNAPLEN end)
		assert.is_true(ok, "lanner.h has no LN_MAX_SNAPLEN")
		assert.equal(MAX, tonumber(c))
		-- 8 parameters of MAX bytes (16 bytes of head each), the 96-byte
		-- fixed part, the fd (1 + 66 + 4 + a 4096-byte name)
		local longest = 96 + 8 * (16 + MAX) + 1 + 66 + 4 + 4096
		assert.is_true(longest <= MAX_BLOCK)
		assert.is_true(96 + 8 * (16 + 2 * MAX) > MAX_BLOCK)
	end)

	it("-s past it is refused: 'lanner: -s: ... at most 65536', exit 2", function()
		for _, n in ipairs { tostring(MAX + 1), "2000000", "4294967296" } do
			local rc, out, err = lanner(dir, "-s", n, "--", "true")
			assert.equal(2, rc, n)
			assert.equal("", out)
			assert.matches("^lanner: %-s: .*at most " .. MAX .. "\n$", err)
		end
		local rc, _, err = lanner(dir, "--snaplen=1.5", "--", "true")
		assert.equal(2, rc)
		assert.matches("^lanner: %-s: ", err)
	end)

	it("the -s help line says it", function()
		local rc, out = lanner(dir, "-h")
		assert.equal(0, rc)
		assert.matches("%-s, %-%-snaplen N [^\n]*\n[^\n]*at most " .. MAX, out)
	end)

	it("-s at it, 2 MiB written to a 4000-byte path: the capture reads back whole", function()
		local argv, file = big_write(dir)
		local cap = dir .. "/max.lcap"
		local rc, _, err = lanner(dir, "-q", "-s", tostring(MAX), "-w", cap, "--", unpack(argv))
		assert.equal(0, rc, err)
		local snaplen, longest = shape(cap)
		assert.equal(MAX, snaplen)
		assert.is_true(longest > MAX + #file and longest <= MAX_BLOCK, "longest event block: " .. longest)
		assert.matches("write 2097152 " .. file:gsub("%p", "%%%0"), writes(dir, cap))
		-- the data kept is MAX bytes (and the newline)
		local rc2, data = lanner(dir, "-r", cap, "-p", "%evt.rawarg.data", "evt.type = write")
		assert.equal(0, rc2)
		assert.equal(MAX + 1, #data)
	end)

	it("ln_set_snaplen clamps: a library user with a huge snaplen still writes a readable capture", function()
		local argv = big_write(dir)
		local cap = dir .. "/lib.lcap"
		local sess = assert(session.new())
		sess:trace({ write = "exit", procexit = "exit" })
		sess:set_snaplen(4294967295)
		assert(sess:capture_open(cap))
		assert(sess:spawn(argv))
		while true do
			local ev = sess:next(500)
			if ev == nil then break end
			if ev then assert.equal(0, sess:capture_event(ev), sess:errmsg()) end
		end
		trace.disarm_alarm()
		assert(sess:capture_close())
		local snaplen, longest = shape(cap)
		assert.equal(MAX, snaplen)
		assert.is_true(longest > MAX and longest <= MAX_BLOCK, "longest event block: " .. longest)
		assert.matches("write 2097152 ", writes(dir, cap))
	end)

	it("an event too long for a block is left out with an error, and the capture stays readable", function()
		local cap = dir .. "/made.lcap"
		local sess = assert(session.new())
		assert(sess:capture_open(cap))
		local big = ffi.new("char[?]", 2 * MAX_BLOCK)
		local ev = ffi.new("ln_event")
		ev.type = core.type_id.write
		ev.tid, ev.fdnum, ev.cpu, ev.has_res, ev.res = 1, 1, -1, 1, 2 * MAX_BLOCK
		ev.nparams = core.type_info[ev.type].nparams
		local data = core.type_info[ev.type].pindex.data
		ev.params[data].flags = C.LN_PF_READ
		ev.params[data].str, ev.params[data].len = big, 2 * MAX_BLOCK
		ev.num = 1
		assert.is_true(sess:capture_event(ev) < 0)
		assert.matches("event 1 is over 1048576 bytes", sess:errmsg())
		ev.num, ev.params[data].len, ev.res = 2, 10, 10
		assert.equal(0, sess:capture_event(ev), sess:errmsg())
		assert(sess:capture_close())
		local rc, out, err = lanner(dir, "-r", cap, "-p", "*%evt.num %evt.type %evt.rawres")
		assert.equal(0, rc, err)
		assert.equal("", err)
		assert.equal("2 write 10\n", out)
	end)
end)
