-- How many CPUs lanner can use: its affinity (/proc/self/status), capped
-- by the CPU quota of its cgroup or a parent's (cgroup v2 cpu.max, v1
-- cfs_quota_us), as a Fargate task or a container with --cpus has.  The CLI chooses where
-- rules run by it (--queue's default, cli/run.lua).
local base = require "lanner.base"

local M = {}

-- "0-3,8,10-11" -> 7
local function count_list(list)
	local n = 0
	for part in list:gmatch("[^,%s]+") do
		local a, b = part:match("^(%d+)%-(%d+)$")
		if a then n = n + tonumber(b) - tonumber(a) + 1 elseif part:match("^%d+$") then n = n + 1 end
	end
	return n
end

-- The quota of one cgroup folder, in CPUs (rounded up), or nil: v2's
-- cpu.max "QUOTA PERIOD" ("max": none), v1's cfs_quota_us (-1: none).
local function quota_at(read, v2dir, v1dir)
	local q, p = (read(v2dir .. "/cpu.max") or ""):match("^(%d+)%s+(%d+)")
	if not q and v1dir then
		q = tonumber((read(v1dir .. "/cpu.cfs_quota_us") or ""):match("^(%-?%d+)"))
		p = tonumber((read(v1dir .. "/cpu.cfs_period_us") or ""):match("^(%d+)"))
		if not q or q <= 0 then q = nil end
	end
	q, p = tonumber(q), tonumber(p)
	return q and p and p > 0 and math.ceil(q / p) or nil
end

-- path, then each parent up to "/".
local function up(path)
	local out = {}
	while true do
		out[#out + 1] = path
		if path == "/" then return out end
		path = path:match("^(.*)/[^/]*$")
		if path == "" then path = "/" end
	end
end

-- The least quota from lanner's own cgroup up to the root (a task's
-- limit may sit on a parent), as /proc/self/cgroup names it.
local function quota(read)
	local cg = read("/proc/self/cgroup") or ""
	local v2 = cg:match("0::(/[^\n]*)") or "/"
	local v1 = cg:match("%d+:[^:\n]*%f[%w]cpu%f[^%w][^:\n]*:(/[^\n]*)") or "/"
	local best
	local function take(n) if n and (not best or n < best) then best = n end end
	local function dir(root, p) return root .. (p == "/" and "" or p) end
	for _, p in ipairs(up(v2)) do take(quota_at(read, dir("/sys/fs/cgroup", p), nil)) end
	for _, p in ipairs(up(v1)) do take(quota_at(read, "/nonexistent", dir("/sys/fs/cgroup/cpu", p))) end
	return best
end

-- How this machine's idle CPUs wait, for `--stats`: a text, or nil where
-- the kernel does not say.  A virtual CPU whose idle loop halts at once
-- (the cpuidle-haltpoll driver with guest_halt_poll_ns 0, a choice of the
-- host's boot line, as on Firecracker hosts) must be woken by an
-- interrupt through the hypervisor each time a stopped program is
-- resumed: on the bench VM that made a ptrace stop 12.6 us against 5.0 us
-- with the kernel's default of 200 us of polling first (bench/RESULTS.md,
-- "Idle CPUs that halt at once").  lanner cannot change it for the
-- machine (nor should it); saying so tells a user where a stop's price is.
function M.idle_policy(read)
	read = read or base.read_file
	local driver = (read("/sys/devices/system/cpu/cpuidle/current_driver") or ""):match("^%s*(%S+)")
	if not driver or driver == "none" then return nil end
	if driver ~= "haltpoll" then return driver end
	local ns = tonumber((read("/sys/module/haltpoll/parameters/guest_halt_poll_ns") or ""):match("^%s*(%d+)"))
	if ns == nil then return "haltpoll" end
	if ns == 0 then
		return "haltpoll, halt at once (guest_halt_poll_ns=0): each resume wakes a halted virtual CPU"
	end
	return string.format("haltpoll, polling up to %g us before halting", ns / 1000)
end

-- read: a file's text or nil (base.read_file; the specs give their own)
function M.usable(read)
	read = read or base.read_file
	local st = read("/proc/self/status") or ""
	local n = count_list(st:match("Cpus_allowed_list:%s*([^\n]+)") or "")
	if n < 1 then n = 1 end
	local qn = quota(read)
	if qn and qn < n then n = math.max(qn, 1) end
	return n
end

return M
