-- How many CPUs lanner can use: its affinity (/proc/self/status), capped
-- by a CPU quota of its cgroup (cgroup v2 cpu.max, v1 cfs_quota_us), as
-- a Fargate task or a container with --cpus has.  The CLI chooses where
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

local function quota(read)
	local v2 = read("/sys/fs/cgroup/cpu.max")
	local q, p = (v2 or ""):match("^(%d+)%s+(%d+)")
	if not q then
		q = tonumber((read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") or ""):match("^(%-?%d+)"))
		p = tonumber((read("/sys/fs/cgroup/cpu/cpu.cfs_period_us") or ""):match("^(%d+)"))
		if not q or q <= 0 or not p then return nil end
	end
	q, p = tonumber(q), tonumber(p)
	return p and p > 0 and math.ceil(q / p) or nil
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
