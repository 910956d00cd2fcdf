-- Container, task and pod metadata that the fields container.*, ecs.* and
-- k8s.* read (fields.set_metadata(store)): gathered at start and refreshed on a timer by the event
-- loop (tick), never per event.  The fields look records up in tables;
-- a refresh swaps the tables whole.
--
--   store = meta.new(cfg, opts)   cfg: the `metadata` config section
--   store:start()                 first read; the ECS request waits at
--                                 most cfg.timeout_ms
--   store:tick(now), store:wake_ms(now), store:close()
--   store:container(cid) -> ECS container record for a cgroup container id
--
-- cfg (lanner's own keys, see doc/outputs-and-config.md): ecs (bool,
-- default true), ecs_endpoint (default $ECS_CONTAINER_METADATA_URI_V4),
-- refresh_interval (seconds, 60; 0 reads once), timeout_ms (2000),
-- k8s (bool, default true), k8s_podinfo_dir, k8s_namespace_file.
-- opts: warn(msg), clock (monotonic seconds), getenv.
local ecs = require "lanner.meta.ecs"
local k8s = require "lanner.meta.k8s"
local sys = require "lanner.outputs.sys"

local M = {}

M.REFRESH_INTERVAL = 60
M.TIMEOUT_MS = 2000
M.POLL_MS = 50 -- the loop's wake-up while a refresh is in flight

local Store = {}
Store.__index = Store

function M.new(cfg, opts)
	cfg, opts = cfg or {}, opts or {}
	local getenv = opts.getenv or os.getenv
	local url
	if cfg.ecs ~= false then
		url = cfg.ecs_endpoint
		if url == nil or url == "" then url = getenv("ECS_CONTAINER_METADATA_URI_V4") end
		if url == "" then url = nil end
	end
	local interval = cfg.refresh_interval or M.REFRESH_INTERVAL
	return setmetatable({
		ecs_url = url and url:gsub("/+$", ""),
		k8s_on = cfg.k8s ~= false,
		k8s_opts = { podinfo_dir = cfg.k8s_podinfo_dir, namespace_file = cfg.k8s_namespace_file, getenv = getenv },
		interval = interval > 0 and interval or nil,
		timeout_ms = cfg.timeout_ms or M.TIMEOUT_MS,
		warn = opts.warn or function(msg) io.stderr:write("lanner: warning: ", msg, "\n") end,
		clock = opts.clock or sys.now,
		by_id = {},
	}, Store)
end

function Store:urls()
	return { self.ecs_url, self.ecs_url .. "/task" }
end

-- Takes in a finished batch of ECS requests.  A failed refresh keeps what
-- the last good one said: stale names beat none in an alert.
function Store:take_ecs(results)
	local texts, errs = {}, {}
	for i, url in ipairs(self:urls()) do
		local r = results[url]
		if r and r.body and r.status == 200 then
			texts[i] = r.body
		else
			errs[#errs + 1] = ("GET %s: %s"):format(url, r and (r.err or ("HTTP " .. tostring(r.status))) or "no answer")
		end
	end
	local info, perr = nil, nil
	if texts[1] or texts[2] then info, perr = ecs.parse(texts[1], texts[2]) end
	if perr then errs[#errs + 1] = perr end
	if info then
		self.ecs = info
		self.by_id = info.by_id
	end
	if #errs > 0 then
		local msg = "ECS task metadata: " .. table.concat(errs, "; ")
		if msg ~= self.last_warning then self.warn(msg) end
		self.last_warning = msg
	else
		self.last_warning = nil
	end
end

function Store:read_k8s()
	if self.k8s_on then self.k8s = k8s.read(self.k8s_opts) end
end

function Store:start()
	self:read_k8s()
	if self.ecs_url then
		local g, err = require("lanner.meta.httpget").new(self.timeout_ms)
		if not g then
			self.warn("ECS task metadata: " .. err)
			self.ecs_url = nil
		else
			self.get = g
			g:start(self:urls())
			-- the requests' own time-out bounds this wait
			local res = g:wait(self.timeout_ms + 500)
			if res then self:take_ecs(res) end
		end
	end
	-- nothing to refresh where no source answered or was named: no timer
	if self.ecs_url or self.k8s then
		self.next_refresh = self.interval and self.clock() + self.interval
	end
	return self
end

-- Called from the event loop: starts a refresh when one is due and lets a
-- running one progress, without waiting.
function Store:tick(now)
	now = now or self.clock()
	if self.get and self.get:busy() then
		local res = self.get:poll()
		if res then self:take_ecs(res) end
		return
	end
	if not self.next_refresh or now < self.next_refresh then return end
	self.next_refresh = now + self.interval
	self:read_k8s()
	if self.get then
		local res = self.get:start(self:urls())
		if res then self:take_ecs(res) end
	end
end

-- How soon the loop should wake for this (ms), nil: no need.
function Store:wake_ms(now)
	if self.get and self.get:busy() then return M.POLL_MS end
	if not self.next_refresh then return nil end
	now = now or self.clock()
	return math.max(M.POLL_MS, math.floor((self.next_refresh - now) * 1000))
end

function Store:close()
	if self.get then self.get:close() end
	self.get = nil
end

-- The ECS record of the container a process is in.  cid: the id its
-- cgroup gave ("host" when none: Fargate's cgroup names are no container
-- id, and a private cgroup namespace shows "/"), a process there is in the
-- container lanner runs in.
function Store:container(cid)
	local info = self.ecs
	if info == nil then return nil end
	if cid == nil or cid == "host" then return info.self end
	local rec = self.by_id[cid]
	if rec then return rec end
	return nil
end

return M
