-- Where lanner and the program run: the program's CPUs are its own (the
-- tracer polls and follows nothing into the program's affinity), evt.cpu
-- is the CPU the program made the call on, and polling changes no event.
local trace = require "spec.helpers.trace"

local L = "build/lanner"
local NCPU = tonumber((trace.sh("nproc --all"))) or 1

-- stdout of `lanner ARGS -- sh -c SCRIPT`, and lanner's stderr.
local function run(args, script)
	local err = os.tmpname()
	local out = trace.sh(("%s %s -- sh -c %s 2>%s"):format(L, args, trace.shell_quote(script), err)) .. "\n"
	local e = trace.read_file(err) or ""
	os.remove(err)
	return out, e
end

describe("placement", function()
	it("leaves the program the CPUs it has untraced, polling or not", function()
		local script = "grep Cpus_allowed_list /proc/self/status; nproc"
		local untraced = (trace.sh("sh -c " .. trace.shell_quote(script)))
		assert.truthy(untraced:match("Cpus_allowed_list"))
		for _, args in ipairs { "-q 'evt.type=openat'", "-q --poll 0 'evt.type=openat'",
			"-q --poll 500 -R rules/", "-q --cpu tracer 'evt.type=openat'" } do
			local out = run("--output-file /dev/null " .. args, script)
			assert.equal(untraced .. "\n", out, args)
		end
	end)

	it("evt.cpu is the CPU the program ran on", function()
		if NCPU < 2 then pending("one CPU: nothing to tell apart") return end
		for _, cpu in ipairs { 0, 1 } do
			local out = run("-q -p '%evt.cpu %evt.type' 'evt.type in (openat, close) and proc.name=cat'",
				"exec taskset -c " .. cpu .. " cat /etc/hostname >/dev/null")
			local n = 0
			for c in out:gmatch("(%-?%d+) [a-z]+\n") do
				n = n + 1
				assert.equal(tostring(cpu), c)
			end
			assert.is_true(n >= 3, out)
		end
	end)

	it("polling changes no event: the same events with and without", function()
		local script = "for i in 1 2 3 4 5; do cat /etc/hostname; done >/dev/null"
		local fmt = "-q -p '%proc.name %evt.type %fd.name' 'evt.type=openat and fd.name=/etc/hostname'"
		local a = run("--poll 0 " .. fmt, script)
		local b = run("--poll 1000000 " .. fmt, script)
		assert.equal(5, select(2, a:gsub("\n", "")))
		assert.equal(a, b)
	end)

	it("--stats counts stops caught polling: none with --poll 0, some with a long poll", function()
		local script = "for i in 1 2 3 4 5 6 7 8; do cat /etc/hostname; done >/dev/null"
		local _, e0 = run("--stats --poll 0 -q 'evt.type=openat'", script)
		local _, e1 = run("--stats --poll 1000000 -q 'evt.type=openat'", script)
		assert.equal("0", e0:match("stops caught polling: (%d+)"))
		assert.is_true(tonumber(e1:match("stops caught polling: (%d+)")) > 0, e1)
	end)

	it("--stats names how idle CPUs wait, as the kernel says, and nothing where it does not", function()
		local cpus = require "lanner.cli.cpus"
		local function files(t) return function(path) return t[path] end end
		local D, H = "/sys/devices/system/cpu/cpuidle/current_driver", "/sys/module/haltpoll/parameters/guest_halt_poll_ns"
		assert.equal("haltpoll, halt at once (guest_halt_poll_ns=0): each resume wakes a halted virtual CPU",
			cpus.idle_policy(files { [D] = "haltpoll\n", [H] = "0\n" }))
		assert.equal("haltpoll, polling up to 200 us before halting",
			cpus.idle_policy(files { [D] = "haltpoll\n", [H] = "200000\n" }))
		assert.equal("haltpoll", cpus.idle_policy(files { [D] = "haltpoll\n" }))
		assert.equal("intel_idle", cpus.idle_policy(files { [D] = "intel_idle\n", [H] = "0\n" }))
		assert.is_nil(cpus.idle_policy(files { [D] = "none\n" }))
		assert.is_nil(cpus.idle_policy(files {}))
		-- and --stats prints this machine's, read the same way here
		local _, e = run("--stats -q 'evt.type=openat'", "true")
		local want = cpus.idle_policy()
		if want then
			assert.equal(want, e:match("idle CPUs: ([^\n]*)"), e)
		else
			assert.is_nil(e:match("idle CPUs:"), e)
		end
	end)

	it("--stats counts the polls that ran out: none with --poll 0, one at least where a program sleeps", function()
		-- sleep's own opens come close together; the poll after the last
		-- one runs its millisecond out while sleep sleeps
		local script = "cat /etc/hostname >/dev/null; sleep 0.3"
		local _, e0 = run("--stats --poll 0 -q 'evt.type=openat'", script)
		local _, e1 = run("--stats --poll 1000 -q 'evt.type=openat'", script)
		assert.equal("0", e0:match("polls that missed: (%d+)"), e0)
		assert.is_true(tonumber(e1:match("polls that missed: (%d+)")) >= 1, e1)
	end)

	it("does not poll where the program can run only on lanner's CPU, unless --poll says so", function()
		local script = "for i in 1 2 3 4 5 6 7 8; do cat /etc/hostname; done >/dev/null"
		-- both under taskset -c 0: the poll would only keep the program off its CPU
		local one = "taskset -c 0 " .. L
		local function polled(launcher, args)
			local err = os.tmpname()
			trace.sh(("%s --stats %s -- sh -c %s 2>%s"):format(launcher, args, trace.shell_quote(script), err))
			local e = trace.read_file(err) or ""
			os.remove(err)
			return tonumber(e:match("stops caught polling: (%d+)")), e
		end
		local n, e = polled(one, "-q 'evt.type=openat'")
		assert.equal(0, n, e)
		n, e = polled(L, "-q --cpu shared 'evt.type=openat'")
		assert.equal(0, n, e)
		-- given explicitly, the poll runs there too (the old default)
		n, e = polled(one, "-q --poll 1000 'evt.type=openat'")
		assert.is_true(n > 0, e)
	end)

	it("refuses a --poll that is not a number of microseconds", function()
		local _, e = run("--poll soon 'evt.type=openat'", "true")
		assert.truthy(e:match("%-%-poll takes microseconds"), e)
	end)
end)

describe("the default poll on a crowded machine", function()
	-- more busy tasks than CPUs: /proc/loadavg counts them runnable, and
	-- a poll would take a CPU from one of them
	local function with_spinners(n, fn)
		local pids = {}
		for _ = 1, n do
			pids[#pids + 1] = trace.sh("sh -c 'while :; do :; done' >/dev/null 2>&1 & echo $!"):match("%d+")
		end
		trace.sh("sleep 0.3")
		local ok, err = pcall(fn)
		for _, p in ipairs(pids) do trace.sh("kill " .. p) end
		assert(ok, err)
	end

	it("gives way; a --poll the user set does not", function()
		local script = "for i in 1 2 3 4 5 6 7 8; do cat /etc/hostname; done >/dev/null"
		with_spinners(NCPU + 1, function()
			local _, d = run("--stats -q 'evt.type=openat'", script)
			local _, e = run("--stats --poll 1000000 -q 'evt.type=openat'", script)
			assert.equal("0", d:match("stops caught polling: (%d+)"), d)
			assert.is_true(tonumber(e:match("stops caught polling: (%d+)")) > 0, e)
		end)
	end)
end)
