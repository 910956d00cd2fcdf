-- Compressed captures (-z, --compress zlib|zstd; doc/capture-format.md,
-- "COMPRESSED"): what a compressed capture replays is what the live run
-- printed, as for an uncompressed one, in text and JSON; the file is
-- smaller; rotation works; a recorder killed with SIGKILL leaves a file
-- that reads up to its last whole block; reading needs no option.
--
-- Needs `make all progs`; run from the repository root:
--   busted spec/capture_compress_spec.lua
local trace = require "spec.helpers.trace"
local CR = require "spec.helpers.capture_run"
local capfile = require "spec.helpers.capfile"
local json = require "dkjson"

local ROOT = trace.root
local LANNER = CR.LANNER
local run, lanner, lines, same_lines, cat = CR.run, CR.lanner, CR.lines, CR.same_lines, CR.cat
local q = trace.shell_quote
local BLK = capfile.BLK

local FMT = "*%evt.num |%evt.rawtime |%evt.type |%evt.rawres |%evt.latency |%evt.args |%proc.name" ..
	" |%proc.pid |%proc.ppid |%proc.exepath |%proc.cmdline |%proc.cwd |%proc.pname |%proc.aname[2]" ..
	" |%thread.tid |%proc.nthreads |%proc.fdopencount |%fd.name |%fd.type |%fd.num |%fd.lip |%fd.rport" ..
	" |%user.uid |%evt.buflen |%evt.info"

local ZOPT = { zlib = { "-z" }, zstd = { "--compress", "zstd" } }

-- The file's version, how many of its blocks are COMPRESSED, how many
-- events it has and how many of those are inside COMPRESSED blocks.
local function shape(path)
	local s = assert(trace.read_file(path), path)
	local version = capfile.get32(s, 9)
	local flat, _, outer = capfile.flat(s)
	local ncomp, nev, ninside = 0, 0, 0
	for _, b in ipairs(outer) do
		if b.type == BLK.COMPRESSED then ncomp = ncomp + 1 end
	end
	for _, b in ipairs(flat) do
		if b.type == BLK.EVENT then
			nev = nev + 1
			-- a last few blocks too small to shrink go out plain
			if b.outer ~= b.off then ninside = ninside + 1 end
		end
	end
	return version, ncomp, nev, #s, ninside
end

local function record_replay(dir, alg, argv, fmt, extra)
	local cap = dir .. "/trace.lcap"
	os.remove(cap)
	local rc1, live, err1 = run(dir, cat({ LANNER, "-w", cap }, ZOPT[alg], { "-p", fmt }, extra or {}, { "--" }, argv))
	local rc2, replay, err2 = run(dir, cat({ LANNER, "-r", cap, "-p", fmt }, extra or {}))
	assert.equal(0, rc2, "replay failed: " .. err2)
	assert.equal("", err2)
	return lines(live), lines(replay), rc1, err1
end

local LOOP = { "sh", "-c", "i=0; while [ $i -lt 1500 ]; do i=$((i+1)); echo $i > /dev/null; done" }

for _, alg in ipairs { "zlib", "zstd" } do
	describe("a capture compressed with " .. alg, function()
		local dir
		before_each(function() dir = trace.mkdtemp() end)
		after_each(function() trace.rmrf(dir) end)

		local workloads = {
			{ trace.prog, "fileops" }, { trace.prog, "net" }, { trace.prog, "threads" },
			{ trace.prog, "exec_thread" },
			{ nil, "sh", "-c", "cd /tmp && cat /etc/hostname | wc -c > /dev/null; exec 7</etc/passwd; " ..
				"ls -d / >&7 2>/dev/null; rm -f /nonexistent" },
		}
		for _, w in ipairs(workloads) do
			it("replays what the live run printed (text): " .. w[2], function()
				local argv = w[1] and { w[1](w[2]) } or { unpack(w, 2) }
				local live, replay = record_replay(dir, alg, argv, FMT)
				assert.is_true(#live > 5, "too few events")
				same_lines(live, replay, alg .. " " .. w[2])
				local version, ncomp, nev, _, inside = shape(dir .. "/trace.lcap")
				assert.equal(2, version, "format version of a compressed capture")
				assert.is_true(ncomp >= 1, "no COMPRESSED block")
				assert.equal(#live, nev, "events in the file")
				assert.is_true(inside >= nev / 2, inside .. " of " .. nev .. " events compressed")
			end)
		end

		it("replays what the live run printed (-j)", function()
			local live, replay = record_replay(dir, alg, { trace.prog("net") }, FMT, { "-j" })
			assert.is_true(#live > 5)
			same_lines(live, replay, "json")
			for _, l in ipairs(replay) do assert.is_table(json.decode(l), l) end
		end)

		it("gives the live run's alerts through the packaged rules", function()
			local cap = dir .. "/trace.lcap"
			local shell = "cat /etc/shadow > /dev/null; head -c 10 /etc/passwd > /dev/null"
			local rc1, out1, err1 = run(dir, cat({ LANNER, "-w", cap }, ZOPT[alg],
				{ "-j", "-R", ROOT .. "/rules", "--", "sh", "-c", shell }))
			assert.equal(0, rc1, err1)
			local rc2, out2, err2 = run(dir, { LANNER, "-r", cap, "-j", "-R", ROOT .. "/rules" })
			assert.equal(0, rc2, err2)
			local live, replay = lines(out1), lines(out2)
			assert.is_true(#live >= 1, "no alert live")
			same_lines(live, replay, "alerts")
		end)

		it("is smaller than the same workload uncompressed", function()
			local plain = dir .. "/plain.lcap"
			local rc, _, err = run(dir, cat({ LANNER, "-w", plain, "--" }, LOOP))
			assert.equal(0, rc, err)
			local live, replay = record_replay(dir, alg, LOOP, "*%evt.num %evt.type %fd.name %evt.args")
			same_lines(live, replay, "loop")
			local v1, ncomp1, _, size1 = shape(plain)
			local v2, ncomp2, nev2, size2, inside = shape(dir .. "/trace.lcap")
			assert.equal(1, v1, "an uncompressed capture stays version 1")
			assert.equal(0, ncomp1)
			assert.equal(2, v2)
			assert.is_true(ncomp2 >= 3, "COMPRESSED blocks: " .. ncomp2)
			assert.equal(#live, nev2)
			assert.is_true(inside >= nev2 - 10, inside .. " of " .. nev2 .. " events compressed")
			-- measured 13x (zlib) and 17x (zstd); a quarter leaves room
			assert.is_true(size2 * 4 < size1, string.format("%d bytes compressed, %d plain", size2, size1))
		end)
	end)
end

describe("compressed capture rotation", function()
	local dir
	before_each(function() dir = trace.mkdtemp() end)
	after_each(function() trace.rmrf(dir) end)

	local RFMT = "*%evt.num %evt.type %proc.name %proc.pid %fd.name %fd.num %thread.tid %proc.cwd %evt.args"

	local files = CR.rotated

	local function replay_file(path)
		local rc, out, err = run(dir, { LANNER, "-r", path, "-p", RFMT })
		assert.equal(0, rc, path .. ": " .. err)
		assert.equal("", err)
		local version, ncomp = shape(path)
		assert.equal(2, version, path)
		assert.is_true(ncomp >= 1, path .. ": no COMPRESSED block")
		return lines(out)
	end

	it("-C 1 -z: files of 1 MB compressed, each replays alone, together the live run", function()
		-- about 90,000 events, 27 MB uncompressed, 2 MB with zlib
		local loop = { "sh", "-c", "i=0; while [ $i -lt 10000 ]; do i=$((i+1)); echo $i > /dev/null; done" }
		local cap = dir .. "/trace.lcap"
		local rc, out, err = run(dir, cat({ LANNER, "-w", cap, "-z", "-C", "1", "-p", RFMT, "--" }, loop))
		assert.equal(0, rc, err)
		local live = lines(out)
		local fs = files(cap)
		assert.is_true(#fs >= 2, "expected 2 files or more, got " .. #fs)
		local all = {}
		for i, f in ipairs(fs) do
			if i < #fs then
				-- the limit counts bytes on disk, compressed
				assert.is_true(f.size >= 1048576 and f.size < 1048576 + 65536, f.path .. " " .. f.size)
			end
			local ls = replay_file(f.path)
			assert.truthy(ls[1]:match("^%d+ %S+ sh %d+ "), ls[1])
			for _, l in ipairs(ls) do all[#all + 1] = l end
		end
		same_lines(live, all, "rotated compressed files in order")
	end)

	it("-G 1 -W 2 --compress zstd: the last 2 files, each replays alone, are the live run's end", function()
		local cap = dir .. "/trace.lcap"
		local shell = "cat /etc/hostname >/dev/null; sleep 1.3; cat /etc/hostname >/dev/null; sleep 1.3; " ..
			"cat /etc/hostname >/dev/null; sleep 1.3; cat /etc/hostname >/dev/null"
		local rc, out, err = run(dir, { LANNER, "-w", cap, "--compress", "zstd", "-G", "1", "-W", "2",
			"-p", RFMT, "--", "sh", "-c", shell })
		assert.equal(0, rc, err)
		local live = lines(out)
		local fs = files(cap)
		assert.equal(2, #fs)
		-- which of the two is newer: the one whose replay ends the live run
		local a, b = replay_file(fs[1].path), replay_file(fs[2].path)
		if a[#a] == live[#live] then a, b = b, a end
		local tail = cat(a, b)
		assert.is_true(#tail < #live and #a > 0 and #b > 0)
		local want = {}
		for i = #live - #tail + 1, #live do want[#want + 1] = live[i] end
		same_lines(want, tail, "the last two files")
	end)
end)

describe("a compressed capture whose recorder was killed", function()
	for _, alg in ipairs { "zlib", "zstd" } do
		it("reads up to its last whole block (" .. alg .. ", SIGKILL)", function()
			local dir = trace.mkdtemp()
			local cap = dir .. "/killed.lcap"
			local loop = "end=$(($(date +%s)+20)); while [ $(date +%s) -lt $end ]; do cat /etc/hostname >/dev/null; done"
			os.execute("cd " .. q(dir) .. "; " .. q(LANNER) .. " -w " .. q(cap) .. " " ..
				table.concat(ZOPT[alg], " ") .. " -- sh -c " .. q(loop) ..
				" > /dev/null 2>&1 & echo $! > " .. q(dir .. "/pid"))
			local pid = tonumber(trace.read_file(dir .. "/pid"))
			assert.is_number(pid)
			local t0 = trace.now()
			while trace.now() - t0 < 2.5 do os.execute("sleep 0.1") end
			os.execute("kill -9 " .. pid)
			os.execute("sleep 0.3")
			local version, ncomp = shape(cap)
			assert.equal(2, version)
			assert.is_true(ncomp >= 3, "COMPRESSED blocks written: " .. ncomp)
			local rc, out, err = run(dir, { LANNER, "-r", cap, "-p", "%evt.num %evt.type" })
			assert.equal(0, rc, err)
			assert.falsy(err:find("damaged"), err)
			local ls = lines(out)
			assert.is_true(#ls > 500, #ls .. " events")
			for i, l in ipairs(ls) do
				assert.equal(i, tonumber(l:match("^(%d+) ")), l)
			end
			trace.rmrf(dir)
		end)
	end
end)

describe("compression options", function()
	it("--compress with another algorithm, or without -w, is refused", function()
		local out, rc = trace.sh(q(LANNER) .. " -w /tmp/x.lcap --compress=lz4 -- true 2>&1")
		assert.equal(2, rc)
		assert.truthy(out:find("zlib or zstd", 1, true), out)
		out, rc = trace.sh(q(LANNER) .. " -z -- true 2>&1")
		assert.equal(2, rc)
		assert.truthy(out:find("needs -w", 1, true), out)
	end)

	it("the seed captures in spec/fuzz/corpus include version 1 files, which still read", function()
		local list = trace.sh("ls " .. q(ROOT .. "/spec/fuzz/corpus"))
		local v1 = 0
		for name in list:gmatch("[^\n]+") do
			local path = ROOT .. "/spec/fuzz/corpus/" .. name
			if capfile.get32(trace.read_file(path), 9) == 1 then
				v1 = v1 + 1
				local out, rc = trace.sh(q(LANNER) .. " -r " .. q(path) .. " -p '%evt.num %evt.type' 2>&1")
				assert.equal(0, rc, name .. ": " .. out)
				assert.is_true(#lines(out .. "\n") >= 1, name)
			end
		end
		assert.is_true(v1 >= 5, "version 1 seeds: " .. v1)
	end)
end)
