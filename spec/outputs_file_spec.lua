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
