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
-- counter(max): counts per key, at most max keys.  A new key in a full
-- counter evicts the key with the smallest count.

local Counter = {}
Counter.__index = Counter

function M.counter(max)
	if max == nil then max = 1000 end
	check(type(max) == "number" and max >= 1, "counter: the maximum must be a number >= 1")
	return setmetatable({ c = {}, n = 0, max = math.floor(max) }, Counter)
end

function Counter:add(key, n)
	check(key ~= nil, "counter:add: the key is nil")
	n = n or 1
	local c = self.c
	local v = c[key]
	if v == nil then
		if self.n >= self.max then
			local mk, mv
			for k, x in pairs(c) do
				if mv == nil or x < mv then mk, mv = k, x end
			end
			c[mk] = nil
		else
			self.n = self.n + 1
		end
		v = 0
	end
	v = v + n
	c[key] = v
	return v
end

function Counter:get(key) return self.c[key] or 0 end

function Counter:del(key)
	if self.c[key] ~= nil then
		self.c[key] = nil
		self.n = self.n - 1
	end
end

function Counter:len() return self.n end

function Counter:clear() self.c, self.n = {}, 0 end

-- top(k) -> { {key=, count=}, ... } largest first (all keys without k).
function Counter:top(k)
	local out = {}
	for key, v in pairs(self.c) do out[#out + 1] = { key = key, count = v } end
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

local Rate = {}
Rate.__index = Rate

function M.rate(clock, n, span, max_keys)
	check(type(n) == "number" and n >= 1, "rate: the count must be a number >= 1")
	check(type(span) == "number" and span > 0, "rate: the span must be a positive number of seconds")
	if max_keys == nil then max_keys = 1024 end
	check(type(max_keys) == "number" and max_keys >= 1, "rate: max_keys must be a number >= 1")
	return setmetatable({ clock = clock, need = math.floor(n), span = span * 1e9, secs = span, max = math.floor(max_keys),
		keys = {}, nkeys = 0 }, Rate)
end

function Rate:make_room()
	local now, oldest_k, oldest_t = self.clock.now, nil, nil
	for k, w in pairs(self.keys) do
		local last = w.n > 0 and w.t[(w.head + w.n - 1) % w.max] or nil
		if last == nil or last <= now - self.span then
			self.keys[k] = nil
			self.nkeys = self.nkeys - 1
		elseif oldest_t == nil or last < oldest_t then
			oldest_k, oldest_t = k, last
		end
	end
	if self.nkeys >= self.max then
		self.keys[oldest_k] = nil
		self.nkeys = self.nkeys - 1
	end
end

-- hit(key) -> reached (bool), hits of key in the window.  key defaults to
-- one shared key.
function Rate:hit(key)
	if key == nil then key = true end
	local w = self.keys[key]
	if w == nil then
		if self.nkeys >= self.max then self:make_room() end
		w = M.window(self.clock, self.secs, self.need)
		self.keys[key] = w
		self.nkeys = self.nkeys + 1
	end
	local c = w:add(true)
	if c >= self.need then
		self.keys[key] = nil
		self.nkeys = self.nkeys - 1
		return true, c
	end
	return false, c
end

function Rate:count(key)
	if key == nil then key = true end
	local w = self.keys[key]
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
	return setmetatable({ clock = clock, max = math.floor(max), span = span and span * 1e9, v = {}, t = {},
		seq = {}, n = 0, nset = 0, qk = {}, qs = {}, qh = 1, qe = 0 }, Map)
end

function Map:del(k)
	if self.v[k] ~= nil then
		self.v[k], self.t[k], self.seq[k] = nil, nil, nil
		self.n = self.n - 1
	end
end

function Map:get(k)
	local v = self.v[k]
	if v == nil then return nil end
	if self.span and self.t[k] <= self.clock.now - self.span then
		self:del(k)
		return nil
	end
	return v
end

function Map:compact()
	local qk, qs, nk, ns = self.qk, self.qs, {}, {}
	for i = self.qh, self.qe do
		local k = qk[i]
		if self.seq[k] == qs[i] then nk[#nk + 1], ns[#ns + 1] = k, qs[i] end
	end
	self.qk, self.qs, self.qh, self.qe = nk, ns, 1, #nk
end

function Map:set(k, v)
	check(k ~= nil, "map:set: the key is nil")
	if v == nil then return self:del(k) end
	if self.v[k] == nil then
		while self.n >= self.max do
			-- the oldest live row: expired or not, it is the one to go
			local i = self.qh
			local qk = self.qk[i]
			if self.seq[qk] == self.qs[i] then self:del(qk) end
			self.qk[i], self.qs[i], self.qh = nil, nil, i + 1
		end
		self.n = self.n + 1
	end
	local s = self.nset + 1
	self.nset = s
	self.v[k], self.t[k], self.seq[k] = v, self.clock.now, s
	self.qe = self.qe + 1
	self.qk[self.qe], self.qs[self.qe] = k, s
	if self.qe - self.qh > 2 * self.max + 16 then self:compact() end
end

function Map:len() return self.n end

return M
