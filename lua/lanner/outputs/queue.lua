-- Two small helpers for the outputs: a bounded FIFO that counts what it
-- refuses, and Falco's token bucket (outputs.rate / outputs.max_burst).
local M = {}

local Queue = {}
Queue.__index = Queue

-- A FIFO of at most `capacity` items.  push() refuses past the bound and
-- counts the refusal; push_front() (a retry going back to the head) is
-- always taken, so an item in flight is never lost to the bound.
function M.queue(capacity)
	assert(type(capacity) == "number" and capacity >= 1, "queue capacity must be >= 1")
	return setmetatable({ cap = capacity, head = 1, tail = 0, dropped = 0, items = {} }, Queue)
end

function Queue:len() return self.tail - self.head + 1 end

function Queue:push(x)
	if self.tail - self.head + 1 >= self.cap then
		self.dropped = self.dropped + 1
		return false
	end
	self.tail = self.tail + 1
	self.items[self.tail] = x
	return true
end

function Queue:push_front(x)
	self.head = self.head - 1
	self.items[self.head] = x
end

function Queue:peek()
	if self.tail >= self.head then return self.items[self.head] end
end

function Queue:pop()
	if self.tail < self.head then return nil end
	local x = self.items[self.head]
	self.items[self.head] = nil
	self.head = self.head + 1
	if self.head > self.tail then self.head, self.tail = 1, 0 end -- keep indices small
	return x
end

-- Empties the queue; returns how many items it held.
function M.clear(q)
	local n = q:len()
	q.items, q.head, q.tail = {}, 1, 0
	return n
end

local Bucket = {}
Bucket.__index = Bucket

-- Falco's token_bucket: `rate` tokens a second, at most `max_burst` kept,
-- full at the start.  rate 0 means no limit (M.bucket returns nil).
function M.bucket(rate, max_burst, now)
	if not rate or rate <= 0 then return nil end
	max_burst = max_burst or 1000
	return setmetatable({ rate = rate, max = max_burst, tokens = max_burst, last = now }, Bucket)
end

-- Takes one token if there is one.
function Bucket:take(now)
	local t = self.tokens + (now - self.last) * self.rate
	if t > self.max then t = self.max end
	self.last = now
	if t < 1 then
		self.tokens = t
		return false
	end
	self.tokens = t - 1
	return true
end

return M
