-- Who started whom, kept past exit for a while: the host's record of the
-- processes its scripts have seen, shared by every script
-- (d.lineage(pid), d.ancestors(pid)).
--
-- The core's table follows the kernel: a process leaves it when it exits,
-- and its children are reparented (their ppid becomes the reaper).  An
-- attack made of steps in different short-lived shells then loses the link
-- between them.  Here a process is recorded with the parent it had when
-- first seen (with each live ancestor of it not yet recorded, while their
-- links still hold), and an exited one is kept KEEP_NS, at most MAX in all.
--
-- An entry: { pid, ppid, sid, pgid, start (ns), name, exepath (both as of
-- the last exec seen), uid (effective, as of the last event), uid_was (the
-- one before it changed), exited = ns or nil }.
local ffi = require "ffi"

local M = {}

M.KEEP_NS = 120e9
M.MAX = 16384

local Lineage = {}
Lineage.__index = Lineage

function M.new(opts)
	opts = opts or {}
	return setmetatable({ by_pid = {}, n = 0, gone = {}, gone_head = 1, gone_tail = 0,
		keep = opts.keep_ns or M.KEEP_NS, max = opts.max or M.MAX }, Lineage)
end

local function str(p) return p ~= nil and ffi.string(p) or nil end

local function entry_of(p, uid)
	return { pid = p.pid, ppid = p.ppid, sid = p.sid, pgid = p.pgid, start = tonumber(p.start_ts),
		exec = p.exec_ts, name = ffi.string(p.comm), exepath = str(p.exepath), uid = uid }
end

-- Drops exited entries older than keep, and the oldest exited ones while
-- over max (live ones stay: their process is still there).
function Lineage:expire(now)
	local gone = self.gone
	while self.gone_head <= self.gone_tail do
		local e = gone[self.gone_head]
		if now - e.exited < self.keep and self.n <= self.max then break end
		gone[self.gone_head] = nil
		self.gone_head = self.gone_head + 1
		if self.by_pid[e.pid] == e then
			self.by_pid[e.pid] = nil
			self.n = self.n - 1
		end
	end
end

local function put(self, p, uid)
	local e = entry_of(p, uid)
	local old = self.by_pid[p.pid]
	if old == nil then self.n = self.n + 1 end
	self.by_pid[p.pid] = e
	return e
end

-- Records the process of an event, and its live ancestors not yet
-- recorded.  p: ln_proc; parent_of(p) -> ln_proc of its parent or nil.
function Lineage:seen(p, uid, parent_of)
	local e = self.by_pid[p.pid]
	if e ~= nil and e.start == tonumber(p.start_ts) then
		if uid ~= nil and uid ~= e.uid then e.uid_was, e.uid = e.uid, uid end
		if e.exec ~= p.exec_ts then
			e.exec, e.name, e.exepath, e.sid, e.pgid = p.exec_ts, ffi.string(p.comm), str(p.exepath), p.sid, p.pgid
		end
		return e
	end
	local first = put(self, p, uid)
	local q = p
	for _ = 1, 64 do
		q = parent_of(q)
		if q == nil then break end
		local a = self.by_pid[q.pid]
		if a ~= nil and a.start == tonumber(q.start_ts) then break end
		put(self, q, nil)
	end
	return first
end

function Lineage:retire(e, now)
	e.exited = now
	self.gone_tail = self.gone_tail + 1
	self.gone[self.gone_tail] = e
end

-- The process exited at now: kept keep ns more.
function Lineage:exited(p, now)
	local e = self.by_pid[p.pid]
	if e == nil or e.start ~= tonumber(p.start_ts) or e.exited then return end
	self:retire(e, now)
	self:expire(now)
end

-- Marks exited the live entries whose process the core no longer knows
-- (an exit not seen: a capture recorded without procexit).
function Lineage:sweep(lookup, now)
	local dead
	for pid, e in pairs(self.by_pid) do
		if not e.exited then
			local p = lookup(pid)
			if p == nil or tonumber(p.start_ts) ~= e.start then
				dead = dead or {}
				dead[#dead + 1] = e
			end
		end
	end
	for _, e in ipairs(dead or {}) do self:retire(e, now) end
	self:expire(now)
end

function Lineage:get(pid) return self.by_pid[pid] end

-- Entries of the ancestors of pid, parent first, at most n (default 16).
-- The chain stops at a pid not recorded, or at a parent that started after
-- its child (the pid was reused).
function Lineage:ancestors(pid, n)
	local out, e = {}, self.by_pid[pid]
	for _ = 1, n or 16 do
		if e == nil then break end
		local a = self.by_pid[e.ppid]
		if a == nil or a == e or (a.start and e.start and a.start > e.start) then break end
		out[#out + 1] = a
		e = a
	end
	return out
end

return M
