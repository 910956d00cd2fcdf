-- Per-process and per-container state of one detection script.
--
-- A record is made the first time a handler runs for a process and freed
-- when the process exits (the host watches procexit), so state needs no
-- cleanup code in the script.  Records are keyed by pid and checked
-- against the process's start time: a reused pid gets a fresh record, not
-- the state of the process that had the pid before.  When a procexit is
-- missed (a capture recorded without it), sweep() frees the records of
-- processes the core no longer knows.
--
-- An exited process's record is kept RECENT_NS more (at most RECENT_MAX of
-- them), for d.proc(pid) from a child or a later step: retire() marks it
-- with `exited` (ns) and recent(pid) finds it.
--
-- A record: { pid, start (ns), container_id, state = {}, container = {},
-- exited = ns or nil }
-- `container` is made on first use and shared by the records of one
-- container id ("host" outside containers); it is freed with the last
-- record of that container.
local ffi = require "ffi"

local M = {}

M.RECENT_NS, M.RECENT_MAX = 120e9, 4096

local Procs = {}
Procs.__index = Procs

function M.new()
	local self = setmetatable({ by_pid = {}, n = 0, ccount = {}, cstate = {}, nc = 0,
		recent_by_pid = {}, recent = {}, rhead = 1, rtail = 0 }, Procs)
	local cstate = self.cstate
	-- `container` resolves on first use, then sits in the record itself.
	self.meta = {
		__index = function(rec, k)
			if k ~= "container" then return nil end
			local cid = rawget(rec, "container_id")
			local c = cstate[cid]
			if c == nil then
				c = {}
				cstate[cid] = c
			end
			rawset(rec, "container", c)
			return c
		end,
	}
	return self
end

-- The record of an ln_proc (made if new).
function Procs:of_proc(p)
	local pid = p.pid
	local start = tonumber(p.start_ts)
	local rec = self.by_pid[pid]
	if rec ~= nil then
		if rec.start == start then return rec end
		self:free(pid)
	end
	local cid = p.container_id ~= nil and ffi.string(p.container_id) or "host"
	rec = setmetatable({ pid = pid, start = start, container_id = cid, state = {} }, self.meta)
	self.by_pid[pid] = rec
	self.n = self.n + 1
	local cc = self.ccount[cid]
	if cc == nil then self.nc = self.nc + 1 end
	self.ccount[cid] = (cc or 0) + 1
	return rec
end

-- The record of the event's process, nil for an event without one.
function Procs:of_event(ev)
	local t = ev.thread
	if t == nil then return nil end
	local p = t.proc
	if p == nil then return nil end
	return self:of_proc(p)
end

function Procs:free(pid)
	local rec = self.by_pid[pid]
	if rec == nil then return end
	self.by_pid[pid] = nil
	self.n = self.n - 1
	local cid = rec.container_id
	local cc = self.ccount[cid] - 1
	if cc == 0 then
		self.ccount[cid], self.cstate[cid] = nil, nil
		self.nc = self.nc - 1
	else
		self.ccount[cid] = cc
	end
end

-- The process exited at now: its record leaves the live table but stays
-- findable by recent(pid) for RECENT_NS.
function Procs:retire(pid, now)
	local rec = self.by_pid[pid]
	if rec == nil then return end
	self:free(pid)
	rec.exited = now
	self.recent_by_pid[pid] = rec
	self.rtail = self.rtail + 1
	self.recent[self.rtail] = rec
	self:expire(now)
end

-- Forgets the records of processes that exited RECENT_NS before now, and
-- the oldest beyond RECENT_MAX.
function Procs:expire(now)
	while self.rhead <= self.rtail do
		local old = self.recent[self.rhead]
		if now - old.exited < M.RECENT_NS and self.rtail - self.rhead < M.RECENT_MAX then break end
		self.recent[self.rhead] = nil
		self.rhead = self.rhead + 1
		if self.recent_by_pid[old.pid] == old then self.recent_by_pid[old.pid] = nil end
	end
end

function Procs:recent_of(pid)
	return self.recent_by_pid[pid]
end

-- Frees the records whose process is gone.  lookup(pid) -> ln_proc or nil
-- (the core's table: a process leaves it when its last thread is gone).
function Procs:sweep(lookup)
	local dead
	for pid, rec in pairs(self.by_pid) do
		local p = lookup(pid)
		if p == nil or tonumber(p.start_ts) ~= rec.start then
			dead = dead or {}
			dead[#dead + 1] = pid
		end
	end
	for _, pid in ipairs(dead or {}) do self:free(pid) end
	return dead and #dead or 0
end

return M
