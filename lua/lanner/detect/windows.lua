-- Bounded state helpers for detection scripts: sliding time windows,
-- counters, rate thresholds and expiring maps.  Each has a fixed maximum
-- size, so a workload that makes endless new keys (pids, paths, addresses)
-- costs a bounded amount of memory; what falls out is documented per type.
--
-- Time is the script clock (clock.now, ns since the epoch): the time of the
-- current event, so a capture read later gives the same answers.
local M = {}

local function check(cond, msg)
	if not cond then error(msg, 3) end
end

---------------------------------------------------------------------------
-- window(secs, max): the entries of the last secs seconds, at most max (the
-- oldest drop out first).  A ring of times and values.

local Window = {}
Window.__index = Window

function M.window(clock, span, max)
	check(type(span) == "number" and span > 0, "window: the span must be a positive number of seconds")
	check(type(max) == "number" and max >= 1, "window: the maximum must be a number >= 1")
	max = math.floor(max)
	return setmetatable({ clock = clock, span = span * 1e9, max = max, t = {}, v = {}, head = 0, n = 0 }, Window)
end

function Window:expire(now)
	local cutoff, t, v, max = now - self.span, self.t, self.v, self.max
	local head, n = self.head, self.n
	while n > 0 and t[head] <= cutoff do
		v[head] = nil
		head = (head + 1) % max
		n = n - 1
	end
	self.head, self.n = head, n
end

-- add(value) -> how many entries the window now holds.  value defaults to
-- true; values() gives them back.
function Window:add(value)
	local now = self.clock.now
	self:expire(now)
	local max = self.max
	if self.n == max then
		self.v[self.head] = nil
		self.head = (self.head + 1) % max
		self.n = max - 1
	end
	local i = (self.head + self.n) % max
	self.t[i] = now
	if value == nil then value = true end
	self.v[i] = value
	self.n = self.n + 1
	return self.n
end

function Window:count()
	self:expire(self.clock.now)
	return self.n
end

-- The values in the window, oldest first (a new list).
function Window:values()
	self:expire(self.clock.now)
	local out = {}
	for k = 0, self.n - 1 do out[k + 1] = self.v[(self.head + k) % self.max] end
	return out
end

-- Time (ns) of the oldest entry in the window, nil when empty.
function Window:first()
	self:expire(self.clock.now)
	if self.n == 0 then return nil end
	return self.t[self.head]
end

function Window:clear()
	self.t, self.v, self.head, self.n = {}, {}, 0, 0
end

---------------------------------------------------------------------------
-- A note on the tables keyed by the scripts' keys below.  Each of counter,
-- rate and map holds exactly its maximum of keys once full, and each new
-- key then comes as an old one goes.  A Lua table that drops a key before
-- it takes the next, at a count that is a power of two (rate's default of
-- 1024 keys), has no free slot for it and is rebuilt whole at every new
-- key: 100,000 new keys into a map took 7.5 s at 1,024 keys and 87 s at
-- 8,192, and 0.015 s at 1,100 (luajit bench/windows.lua, bench/RESULTS.md).
-- So a new key goes in before the old one goes out (the
-- rebuild then doubles the table, and the next thousand keys find room),
-- and each type keeps one table keyed by the script's keys.

---------------------------------------------------------------------------
-- counter(max): counts per key, at most max keys.  A new key in a full
-- counter evicts the key with the smallest count.  The keys are kept in a
-- binary min-heap by count, so that finding that key is not a walk over
-- all of them at every new key (a program that makes a new key per event,
-- a path or a pid, made each event cost max steps).

local Counter = {}
Counter.__index = Counter

function M.counter(max)
	if max == nil then max = 1000 end
	check(type(max) == "number" and max >= 1, "counter: the maximum must be a number >= 1")
	-- e: key -> { key =, c = count, i = its place in h }; h: the heap
	return setmetatable({ e = {}, h = {}, n = 0, max = math.floor(max) }, Counter)
end

function Counter:swap(i, j)
	local h = self.h
	h[i], h[j] = h[j], h[i]
	h[i].i, h[j].i = i, j
end

-- Move the record at i to where its count belongs.
function Counter:fix(i)
	local h, n = self.h, self.n
	while i > 1 and h[i].c < h[math.floor(i / 2)].c do
		self:swap(i, math.floor(i / 2))
		i = math.floor(i / 2)
	end
	while true do
		local l, m = 2 * i, i
		if l <= n and h[l].c < h[m].c then m = l end
		if l + 1 <= n and h[l + 1].c < h[m].c then m = l + 1 end
		if m == i then return end
		self:swap(i, m)
		i = m
	end
end

function Counter:add(key, n)
	check(key ~= nil, "counter:add: the key is nil")
	n = n or 1
	local r = self.e[key]
	if r == nil then
		r = { key = key, c = 0, i = 0 }
		self.e[key] = r	-- in first (the note above)
		if self.n >= self.max then
			-- the smallest goes, the new key takes its place
			local old = self.h[1]
			self.h[1], r.i = r, 1
			self.e[old.key] = nil
		else
			self.n = self.n + 1
			self.h[self.n], r.i = r, self.n
		end
	end
	r.c = r.c + n
	self:fix(r.i)
	return r.c
end

function Counter:get(key)
	local r = self.e[key]
	return r and r.c or 0
end

function Counter:del(key)
	local r = self.e[key]
	if r == nil then return end
	local i, last = r.i, self.n
	self:swap(i, last)
	self.h[last], self.e[key] = nil, nil
	self.n = last - 1
	if i < last then self:fix(i) end
end

function Counter:len() return self.n end

function Counter:clear() self.e, self.h, self.n = {}, {}, 0 end

-- top(k) -> { {key=, count=}, ... } largest first (all keys without k).
function Counter:top(k)
	local out = {}
	for key, r in pairs(self.e) do out[#out + 1] = { key = key, count = r.c } end
	table.sort(out, function(a, b)
		if a.count ~= b.count then return a.count > b.count end
		return tostring(a.key) < tostring(b.key)
	end)
	if k then
		for i = #out, k + 1, -1 do out[i] = nil end
	end
	return out
end

---------------------------------------------------------------------------
-- rate(n, secs, max_keys): "n hits of one key within span".  hit(key)
-- is true on the hit that completes n, and the key starts over, so a
-- steady stream alerts once per n hits, not on every hit after the n-th.
-- At most max_keys keys: expired keys go first, then the least recent.
-- A queue of (key, hit number) in hit order, with stale rows (the key hit
-- again since, or gone) skipped and compacted away, finds them without a
-- walk over all keys (as map's does); each key's window keeps its last
-- hit's number and time.

-- Rate and map keep their keys in e, their count in n.
local function forget(self, k)
	if self.e[k] ~= nil then
		self.e[k] = nil
		self.n = self.n - 1
	end
end

local Rate = {}
Rate.__index = Rate

function M.rate(clock, n, span, max_keys)
	check(type(n) == "number" and n >= 1, "rate: the count must be a number >= 1")
	check(type(span) == "number" and span > 0, "rate: the span must be a positive number of seconds")
	if max_keys == nil then max_keys = 1024 end
	check(type(max_keys) == "number" and max_keys >= 1, "rate: max_keys must be a number >= 1")
	return setmetatable({ clock = clock, need = math.floor(n), span = span * 1e9, secs = span, max = math.floor(max_keys),
		e = {}, n = 0, nhit = 0, qk = {}, qs = {}, qh = 1, qe = 0 }, Rate)
end

-- A queue row still stands for its key's last hit (rate) or set (map).
local function live(keys, k, s)
	local w = keys[k]
	return w ~= nil and w.seq == s
end

-- Over the maximum: expired keys go, then the least recent while still over.
function Rate:make_room()
	local now = self.clock.now
	while self.qh <= self.qe do
		local i = self.qh
		local k = self.qk[i]
		local is_live = live(self.e, k, self.qs[i])
		if is_live and self.e[k].last > now - self.span and self.n <= self.max then break end
		if is_live then forget(self, k) end
		self.qk[i], self.qs[i], self.qh = nil, nil, i + 1
	end
end

-- Rows of keys hit again or gone, and popped ones ahead of qh (a table
-- with a long run of nils before its rows is slow), go.
local function compact(self)
	local qk, qs, nk, ns = self.qk, self.qs, {}, {}
	for i = self.qh, self.qe do
		local k = qk[i]
		if self:row_live(k, qs[i]) then nk[#nk + 1], ns[#ns + 1] = k, qs[i] end
	end
	self.qk, self.qs, self.qh, self.qe = nk, ns, 1, #nk
end

local function queue(self, k, s)
	self.qe = self.qe + 1
	self.qk[self.qe], self.qs[self.qe] = k, s
	if self.qe - self.qh > 2 * self.max + 16 or self.qh > self.max + 16 then compact(self) end
end

function Rate:row_live(k, s) return live(self.e, k, s) end

-- hit(key) -> reached (bool), hits of key in the window.  key defaults to
-- one shared key.
function Rate:hit(key)
	if key == nil then key = true end
	local w = self.e[key]
	if w == nil then
		w = M.window(self.clock, self.secs, self.need)
		self.e[key] = w	-- in first (the note above)
		self.n = self.n + 1
		if self.n > self.max then self:make_room() end
	end
	local c = w:add(true)
	if c >= self.need then
		forget(self, key)
		return true, c
	end
	local s = self.nhit + 1
	self.nhit = s
	w.seq, w.last = s, self.clock.now
	queue(self, key, s)
	return false, c
end

function Rate:count(key)
	if key == nil then key = true end
	local w = self.e[key]
	return w and w:count() or 0
end

---------------------------------------------------------------------------
-- map(max, secs|nil): a table whose entries expire secs after they
-- were set (never when secs is nil); at most max entries, the oldest set
-- is evicted first.  A queue of (key, set number) in set order, with stale
-- rows (deleted or set again since) skipped and compacted away, finds the
-- oldest without a scan.

local Map = {}
Map.__index = Map

function M.map(clock, max, span)
	check(type(max) == "number" and max >= 1, "map: the maximum must be a number >= 1")
	check(span == nil or (type(span) == "number" and span > 0), "map: the span must be a positive number of seconds")
	-- e: key -> { v = value, t = time set, seq = set number }
	return setmetatable({ clock = clock, max = math.floor(max), span = span and span * 1e9, e = {},
		n = 0, nset = 0, qk = {}, qs = {}, qh = 1, qe = 0 }, Map)
end

function Map:del(k) forget(self, k) end

function Map:get(k)
	local r = self.e[k]
	if r == nil then return nil end
	if self.span and r.t <= self.clock.now - self.span then
		self:del(k)
		return nil
	end
	return r.v
end

function Map:row_live(k, s) return live(self.e, k, s) end

function Map:set(k, v)
	check(k ~= nil, "map:set: the key is nil")
	if v == nil then return self:del(k) end
	local r = self.e[k]
	if r == nil then
		r = {}
		self.e[k] = r	-- in first (the note above)
		self.n = self.n + 1
		while self.n > self.max do
			-- the oldest live row: expired or not, it is the one to go
			local i = self.qh
			local qk = self.qk[i]
			if live(self.e, qk, self.qs[i]) then self:del(qk) end
			self.qk[i], self.qs[i], self.qh = nil, nil, i + 1
		end
	end
	local s = self.nset + 1
	self.nset = s
	r.v, r.t, r.seq = v, self.clock.now, s
	queue(self, k, s)
end

function Map:len() return self.n end

return M
