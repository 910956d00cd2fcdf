-- The race a path-based prevention rule must win (issue #18): one thread
-- flips a path buffer between a harmless file and a protected one every few
-- microseconds while another opens the buffer 1,000 times, for reading and
-- with O_WRONLY|O_CREAT|O_TRUNC.  Both are decided at the entry on a copy of
-- the path the program cannot write (src/trace/pathguard.c), and an open
-- allowed there again at the exit on the name the kernel resolved.  Not
-- one call may open the protected file, and its content must survive.
-- spec/progs/prevent_race checks every open on the fd itself.
--
-- With the pinning switched off (ln_pin_paths returning 0 at once) the
-- create run let 36 and 51 truncating opens of 1,000 through, and the read
-- run with a rule on evt.arg.name 159 and 210, in two runs each: the race
-- is real at this rate, and this spec sees it.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

local dir

setup(function()
	dir = trace.mkdtemp()
end)

teardown(function()
	if dir then trace.rmrf(dir) end
	cmp.cleanup()
end)

local function write(path, text)
	local f = assert(io.open(path, "w"))
	f:write(text)
	f:close()
end

local function read(path)
	local f = io.open(path, "rb")
	local s = f and f:read("*a")
	if f then f:close() end
	return s
end

local function run(mode, field)
	write(dir .. "/okay-ok", "ok\n")
	write(dir .. "/deny-no", "secret\n")
	local rules = dir .. "/protect.yaml"
	write(rules, ([[
- rule: Protected file
  desc: the file the race tries to reach
  condition: evt.type in (open, openat, openat2, creat) and %s = %s/deny-no
  output: protected file %%fd.name opened by %%proc.name
  priority: ERROR
  tags: [lanner.deny]
]]):format(field, dir))
	local r = cmp.lanner({ "--enforce", "-R", rules }, { trace.prog("prevent_race"), dir, mode, "1000" },
		{ timeout = 120 })
	local t = {}
	for k, v in r.stdout:gmatch("(%S+) (%-?%d+)") do t[k] = tonumber(v) end
	t.code, t.timed_out, t.stdout, t.stderr, t.events = r.code, r.timed_out, r.stdout, r.stderr, r.events
	return t
end

-- fd.name is the kernel's name of the opened file; evt.arg.name the path
-- argument, which the core pins before the call
for _, case in ipairs { { "read", "fd.name" }, { "create", "fd.name" }, { "read", "evt.arg.name" } } do
	local mode, field = case[1], case[2]
	describe("prevention races a flipping path: open for " .. mode .. ", a rule on " .. field, function()
		local t
		setup(function() t = run(mode, field) end)

		it("runs the 1,000 tries to the end", function()
			assert.is_false(t.timed_out)
			assert.are.equal(0, t.code, t.stderr)
			assert.are.equal(1000, t.tries, t.stdout)
		end)

		it("lets no call reach the protected file", function()
			assert.are.equal(0, t["opened-deny"], t.stdout)
			assert.are.equal("secret\n", read(dir .. "/deny-no"))
			assert.are.equal(7, t["deny-size"])
		end)

		it("was a race: both names were met, the harmless one allowed", function()
			assert.is_true(t["opened-okay"] > 0, t.stdout)
			assert.is_true(t.refused > 0, t.stdout)
		end)

		it("says each refusal: one alert per refused call, marked denied", function()
			local n = 0
			for _, l in ipairs(t.events) do
				if l:find("Error protected file " .. dir .. "/deny-no", 1, true) and l:find("(lanner: denied)", 1, true) then
					n = n + 1
				end
			end
			assert.are.equal(t.refused, n)
		end)
	end)
end
