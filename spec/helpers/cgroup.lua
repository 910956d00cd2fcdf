-- Cgroups named as docker's systemd driver names a container's
-- (<hierarchy>/lanner-spec-<id>/docker-<id>.scope, one of Falco's layouts),
-- for specs that need a live process lanner reads as in a container
-- (src/state/container.c), as spec/rules/in_container.sh does for a shell:
--
--   local CG = require "spec.helpers.cgroup"
--   local id, why = CG.put(pid)   -- pid moved in; the container's 64-hex id
--   CG.clean()                    -- each moved back, the folders removed
--
-- Needs root and a writable hierarchy: v2, or v1 pids, name=systemd,
-- memory or cpu; put returns nil and why where there is none.
local trace = require "spec.helpers.trace"

local M = {}
local made = {}	-- { dir =, pid = }

-- The hierarchy to use and the cgroup the spec process is in there.
local function hierarchy()
	local self = trace.read_file("/proc/self/cgroup") or ""
	if io.open("/sys/fs/cgroup/cgroup.controllers") then
		return "/sys/fs/cgroup", self:match("0::([^\n]*)")
	end
	for _, h in ipairs { "pids", "name=systemd", "memory", "cpu" } do
		local d = "/sys/fs/cgroup/" .. h:gsub("^name=", "")
		local f = io.open(d .. "/cgroup.procs", "a")
		if f then
			f:close()
			for line in self:gmatch("[^\n]+") do
				local ctrls, path = line:match("^%d+:([^:]*):(.*)$")
				for c in (ctrls or ""):gmatch("[^,]+") do
					if c == h then return d, path end
				end
			end
		end
	end
	return nil
end

local function random_id()
	local f = assert(io.open("/dev/urandom", "rb"))
	local bytes = f:read(32)
	f:close()
	return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

function M.put(pid)
	local root, from = hierarchy()
	if not root then return nil, "no writable cgroup hierarchy" end
	local id = random_id()
	local dir = root .. "/lanner-spec-" .. id .. "/docker-" .. id .. ".scope"
	local _, rc = trace.sh("mkdir -p " .. dir .. " && echo " .. pid .. " > " .. dir .. "/cgroup.procs")
	if rc ~= 0 then
		trace.sh("rmdir " .. dir .. " " .. dir:match("^(.*)/[^/]*$") .. " 2>/dev/null")
		return nil, "cannot join " .. dir
	end
	made[#made + 1] = { dir = dir, pid = pid, back = root .. ((from or "/"):gsub("/$", "")) .. "/cgroup.procs" }
	return id
end

function M.clean()
	for _, m in ipairs(made) do
		trace.sh("echo " .. m.pid .. " > " .. m.back .. " 2>/dev/null; rmdir " .. m.dir .. " " ..
			m.dir:match("^(.*)/[^/]*$") .. " 2>/dev/null")
	end
	made = {}
end

return M
