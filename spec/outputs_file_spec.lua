-- file_output: appends, keep_alive, buffered_outputs, and log rotation
-- noticed without a signal (the file moved away or removed mid-run).
local outputs = require "lanner.outputs"
local H = dofile("spec/fixtures/outputs/helper.lua")

local function alert(i)
	return { time = 1700000000 * 1e9 + i, rule = "R", priority = "Warning", output = "alert " .. i }
end

local function file_outputs(cfg)
	cfg.enabled = true
	local quiet = { write = function() end, flush = function() end }
	return outputs.new({ file_output = cfg, stdout_output = { enabled = false } }, { quiet = true, stats_stream = quiet })
end

describe("file output", function()
	local dir
	before_each(function() dir = H.tmpdir() end)
	after_each(function() H.rmdir(dir) end)

	it("appends one line per alert to what the file held", function()
		local f = dir .. "/alerts.log"
		H.write(f, "before\n")
		local o = file_outputs { filename = f }
		for i = 1, 3 do o:alert(alert(i)) end
		o:close()
		local lines = H.lines(f)
		assert.equal(4, #lines)
		assert.equal("before", lines[1])
		assert.matches("Warning alert 3$", lines[4])
		assert.equal(3, o:stats().outputs.file.sent)
	end)

	it("keep_alive false writes each alert at once (open, write, close)", function()
		local f = dir .. "/alerts.log"
		local o = file_outputs { filename = f, keep_alive = false }
		o:alert(alert(1))
		assert.equal(1, #H.lines(f))
		os.rename(f, f .. ".1")
		o:alert(alert(2))
		assert.equal(1, #H.lines(f))
		o:close()
	end)

	it("keep_alive true reopens when the file was moved away or removed", function()
		local f = dir .. "/alerts.log"
		local o = file_outputs { filename = f, keep_alive = true }
		o:alert(alert(1)); o:alert(alert(2))
		os.rename(f, f .. ".1")
		o:alert(alert(3))
		os.remove(f)
		o:alert(alert(4)); o:alert(alert(5))
		o:close()
		assert.equal(2, #H.lines(f .. ".1"))
		local now = H.lines(f)
		assert.equal(2, #now)
		assert.matches("alert 4$", now[1])
		assert.equal(2, o:stats().outputs.file.reopened)
	end)

	it("buffered_outputs holds lines until a tick or close", function()
		local f = dir .. "/alerts.log"
		local o = outputs.new({ buffered_outputs = true, stdout_output = { enabled = false },
			file_output = { enabled = true, filename = f, keep_alive = true } }, { quiet = true })
		o:alert(alert(1)); o:alert(alert(2))
		assert.equal(0, #H.lines(f))
		o:close()
		assert.equal(2, #H.lines(f))
	end)

	it("counts alerts it cannot write and keeps going", function()
		local o = file_outputs { filename = dir .. "/no/such/dir/alerts.log", keep_alive = true }
		o:alert(alert(1))
		o:close()
		assert.equal(1, o:stats().outputs.file.failed)
		assert.equal(1, o:lost())
	end)
end)

describe("file output on a full disk", function()
	-- a 64 KiB tmpfs (root only): a filler takes most of it, alerts fill
	-- the rest; removing the filler is space coming back
	local ffi = require "ffi"
	local dir, mnt
	local now
	before_each(function()
		dir = H.tmpdir()
		mnt = dir .. "/mnt"
		os.execute("mkdir " .. H.q(mnt))
		now = 1000
	end)
	after_each(function()
		os.execute("umount -l " .. H.q(mnt) .. " 2>/dev/null")
		H.rmdir(dir)
	end)

	local function mount()
		return os.execute(("mount -t tmpfs -o size=64k tmpfs %s 2>/dev/null"):format(H.q(mnt))) == 0
	end

	local function json_outputs(f, extra)
		local quiet = { write = function() end, flush = function() end }
		local cfg = { json_output = true, stdout_output = { enabled = false },
			file_output = { enabled = true, filename = f, keep_alive = true } }
		for k, v in pairs(extra or {}) do cfg[k] = v end
		return outputs.new(cfg, { quiet = true, stats_stream = quiet, clock = function() return now end })
	end

	local function big_alert(i)
		local a = alert(i)
		a.output = ("alert %d %s"):format(i, ("x"):rep(300))
		return a
	end

	it("writes each line whole or not at all, keeps the rest, and writes it in order once space is back", function()
		if not mount() then return pending("needs root to mount a tmpfs") end
		local f = mnt .. "/alerts.json"
		H.write(mnt .. "/filler", ("f"):rep(56 * 1024))
		local o = json_outputs(f)
		local st = function() return o:stats().outputs.file end
		local n = 0
		repeat
			n = n + 1
			o:alert(big_alert(n))
		until st().pending > 0 or n == 200
		assert.is_true(st().pending > 0, "the disk never filled")
		for _ = 1, 3 do
			n = n + 1
			o:alert(big_alert(n))
		end
		-- what is in the file: whole JSON lines only, the last ends the file
		local text = H.read(f)
		assert.equal("\n", text:sub(-1))
		local json = require "dkjson"
		local written = H.lines(f)
		for _, l in ipairs(written) do assert.is_table(json.decode(l), l) end
		assert.equal(n, #written + st().pending)
		assert.equal(#written, st().sent)
		-- space back: the next try (a second later) writes the rest
		os.remove(mnt .. "/filler")
		o:tick()
		assert.equal(#written, #H.lines(f), "retried before its time")
		now = now + 1.5
		o:tick()
		local all = H.lines(f)
		assert.equal(n, #all)
		for i, l in ipairs(all) do assert.equal(i, tonumber(json.decode(l).output:match("Warning alert (%d+)"))) end
		o:close()
		assert.same({ sent = n, failed = 0, dropped = 0, pending = 0, reopened = 0 }, st())
	end)

	it("counts what waits past outputs_queue.capacity as dropped, and what still waits at exit as failed", function()
		if not mount() then return pending("needs root to mount a tmpfs") end
		local f = mnt .. "/alerts.json"
		H.write(mnt .. "/filler", ("f"):rep(64 * 1024))
		local o = json_outputs(f, { outputs_queue = { capacity = 5 } })
		for i = 1, 8 do o:alert(big_alert(i)) end
		local s = o:stats().outputs.file
		assert.equal(5, s.pending)
		assert.equal(3, s.dropped)
		o:close()
		s = o:stats().outputs.file
		assert.equal(5, s.failed)
		assert.equal(8, o:lost())
		assert.is_true((H.read(f) or "") == "")
	end)

	it("on a file it cannot truncate (a pipe), the rest of a cut line is written first", function()
		pcall(ffi.cdef, "int pipe(int fd[2]); int fcntl(int fd, int cmd, ...); ssize_t read(int fd, void *buf, size_t n);")
		local p = ffi.new("int[2]")
		assert.equal(0, ffi.C.pipe(p))
		local o = json_outputs("/proc/self/fd/" .. p[1], { json_output = false })
		o:alert(alert(1))
		local fout = o.list[1]
		-- O_NONBLOCK on lanner's end: a write fills the pipe and stops short
		assert.equal(0, ffi.C.fcntl(fout.fd, 4, ffi.cast("int", 0x800 + 0x400 + 1)))
		local a = alert(2)
		a.output = ("y"):rep(200 * 1024)
		o:alert(a)
		o:alert(alert(3))
		assert.equal(2, o:stats().outputs.file.pending)
		local buf, got = ffi.new("char[65536]"), {}
		local function drain()
			ffi.C.fcntl(p[0], 4, ffi.cast("int", 0x800))
			while true do
				local r = tonumber(ffi.C.read(p[0], buf, 65536))
				if r <= 0 then break end
				got[#got + 1] = ffi.string(buf, r)
			end
		end
		for _ = 1, 10 do
			drain()
			now = now + 2
			o:tick()
			if o:stats().outputs.file.pending == 0 then break end
		end
		drain()
		local lines = {}
		for l in table.concat(got):gmatch("[^\n]+") do lines[#lines + 1] = l end
		assert.equal(3, #lines)
		assert.matches("alert 1$", lines[1])
		assert.matches(("y"):rep(200 * 1024) .. "$", lines[2])
		assert.matches("alert 3$", lines[3])
		o:close()
		ffi.C.close(p[0]); ffi.C.close(p[1])
	end)
end)

describe("file output through lanner", function()
	if not H.ready() then
		pending("needs build/lanner (make all)")
		return
	end
	local dir
	before_each(function() dir = H.tmpdir() end)
	after_each(function() H.rmdir(dir) end)

	it("follows a rotation mid-run: the next alerts land in a new file", function()
		local f, flag = dir .. "/alerts.log", dir .. "/rotated"
		-- two alerts, wait for the spec to rotate, three more
		local w = ("sh -c 'cat /etc/hostname >/dev/null; cat /etc/hostname >/dev/null; "
			.. "while [ ! -e %s ]; do sleep 0.05; done; "
			.. "cat /etc/hosts >/dev/null; cat /etc/hosts >/dev/null; cat /etc/hosts >/dev/null'"):format(flag)
		os.execute(("(%s -R %s -o file_output.enabled=true -o file_output.keep_alive=true "
			.. "-o file_output.filename=%s -o stdout_output.enabled=false -- %s >%s/out 2>&1; echo $? > %s/rc) &")
			:format(H.LANNER, H.RULES, f, w, dir, dir))
		assert.is_true(H.wait_for(function() return #H.lines(f) == 2 end, 20), "no first alerts")
		assert.is_true(os.rename(f, f .. ".1"))
		H.write(flag, "")
		-- the shell makes rc empty before it writes the status: wait for that
		assert.is_true(H.wait_for(function() return (H.read(dir .. "/rc") or ""):match("%d+\n") ~= nil end, 20),
			"lanner did not end")
		assert.equal("0", H.read(dir .. "/rc"):match("%d+"), H.read(dir .. "/out"))
		local old, new = H.lines(f .. ".1"), H.lines(f)
		assert.equal(2, #old)
		assert.matches("hostname read", old[2])
		assert.equal(3, #new)
		for _, l in ipairs(new) do assert.matches("Critical hosts read %(proc=cat file=/etc/hosts%)$", l) end
	end)

	it("writes JSON lines when json_output is set", function()
		local f = dir .. "/alerts.json"
		local rc, _, err = H.lanner(("-R %s -o json_output=true -o file_output.enabled=true -o file_output.filename=%s -- %s")
			:format(H.RULES, f, H.workload { "/etc/hosts" }))
		assert.equal(0, rc, err)
		local lines = H.lines(f)
		assert.equal(1, #lines)
		assert.matches('^{"hostname":', lines[1])
		assert.matches('"rule":"Read hosts"', lines[1])
	end)
end)
