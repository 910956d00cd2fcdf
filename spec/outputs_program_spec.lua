-- program_output: lines piped to `sh -c program`, kept alive or one
-- program per alert, restarted when it exits, never blocking on a program
-- that does not read.
local outputs = require "lanner.outputs"
local program = require "lanner.outputs.program"
local H = dofile("spec/fixtures/outputs/helper.lua")

local function alert(i)
	return { time = 1700000000 * 1e9 + i, rule = "R", priority = "Warning", output = "alert " .. i }
end

local QUIET = { write = function() end, flush = function() end }

local function program_outputs(cfg, extra)
	cfg.enabled = true
	local all = { program_output = cfg, stdout_output = { enabled = false } }
	for k, v in pairs(extra or {}) do all[k] = v end
	return outputs.new(all, { quiet = true, stats_stream = QUIET })
end

describe("program output", function()
	local dir
	before_each(function() dir = H.tmpdir() end)
	after_each(function() H.rmdir(dir) end)

	it("keep_alive: one program gets every line, and has finished when close returns", function()
		local f = dir .. "/count"
		local o = program_outputs { keep_alive = true, program = "wc -l > " .. f }
		for i = 1, 25 do o:alert(alert(i)) end
		o:close()
		assert.equal("25", (H.read(f) or ""):match("%d+"))
		local st = o:stats().outputs.program
		assert.equal(1, st.starts)
		assert.equal(25, st.sent)
	end)

	it("keep_alive false: one program per alert, each reads its line", function()
		local f = dir .. "/lines"
		local o = program_outputs { keep_alive = false, program = "cat >> " .. f }
		for i = 1, 4 do o:alert(alert(i)) end
		o:close()
		local lines = H.lines(f)
		assert.equal(4, #lines)
		table.sort(lines)
		assert.matches("alert 1$", lines[1])
		assert.equal(4, o:stats().outputs.program.starts)
	end)

	it("restarts a program that exited", function()
		local f = dir .. "/lines"
		local delay = program.RESTART_DELAY
		program.RESTART_DELAY = 0.05
		local o = program_outputs { keep_alive = true, program = "head -n 1 >> " .. f }
		o:alert(alert(1))
		assert.is_true(H.wait_for(function() o:tick() return #H.lines(f) == 1 end, 5))
		-- head has exited; the next line finds the socket closed
		H.wait_for(function() return false end, 0.2)
		o:alert(alert(2))
		assert.is_true(H.wait_for(function() o:tick() return #H.lines(f) == 2 end, 5))
		o:close()
		program.RESTART_DELAY = delay
		assert.equal(2, o:stats().outputs.program.starts)
		assert.matches("alert 2$", H.lines(f)[2])
	end)

	it("does not block on a program that never reads: queues to the bound, then drops", function()
		local o = program_outputs({ keep_alive = true, program = "sleep 30" },
			{ outputs_queue = { capacity = 5, drain_timeout = 0.2 } })
		local big = string.rep("x", 100000)
		local t0 = os.clock()
		for i = 1, 20 do
			local a = alert(i)
			a.output = big
			o:alert(a)
		end
		assert.is_true(os.clock() - t0 < 2)
		local st = o:stats().outputs.program
		assert.is_true(st.dropped > 0, "nothing dropped")
		assert.equal(20, st.sent + st.pending + st.dropped)
		local pid
		for _, out in ipairs(o.list) do if out.name == "program" then pid = out.pid end end
		o:close()
		-- the program never reads, so EOF does not end it: end its group
		if pid then os.execute("kill -TERM -" .. pid .. " 2>/dev/null") end
	end)
end)

describe("program output through lanner", function()
	if not H.ready() then
		pending("needs build/lanner (make all)")
		return
	end

	it("pipes every alert to the program (program: wc -l > FILE)", function()
		local dir = H.tmpdir()
		local f = dir .. "/count"
		local rc, _, err = H.lanner(("-R %s -o program_output.enabled=true -o program_output.keep_alive=true "
			.. "-o %s -- %s"):format(H.RULES, H.q("program_output.program=wc -l > " .. f),
			H.workload { "/etc/hostname", "/etc/hosts", "/etc/hostname", "/etc/hostname" }))
		local count = H.read(f)
		H.rmdir(dir)
		assert.equal(0, rc, err)
		assert.equal("4", (count or ""):match("%d+"))
	end)
end)
