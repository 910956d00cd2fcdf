-- The outputs' plumbing: bounded queue, Falco's token bucket, the outputs
-- object (formatting once, rate limit, stats, drop report), and end to end
-- the rate limit and --stats-interval through build/lanner.
local queue = require "lanner.outputs.queue"
local outputs = require "lanner.outputs"
local json = require "dkjson"
local H = dofile("spec/fixtures/outputs/helper.lua")

local function alert(i, rule, prio)
	return { time = 1700000000 * 1e9 + i, rule = rule or "R", priority = prio or "Warning",
		output = "alert " .. i, tags = { "t" }, output_fields = { ["proc.name"] = "cat" } }
end

-- A stream that keeps what is written.
local function sink()
	local s = { text = "" }
	function s:write(...) self.text = self.text .. table.concat({ ... }) end
	function s:flush() end
	return s
end

describe("outputs queue", function()
	it("keeps order, refuses past its bound and counts what it refused", function()
		local q = queue.queue(3)
		for i = 1, 5 do q:push(i) end
		assert.equal(3, q:len())
		assert.equal(2, q.dropped)
		assert.same({ 1, 2, 3 }, { q:pop(), q:pop(), q:pop() })
		assert.is_nil(q:pop())
	end)

	it("takes a retry back at the head even when full", function()
		local q = queue.queue(2)
		q:push("a"); q:push("b")
		local x = q:pop()
		q:push("c")
		q:push_front(x)
		assert.equal(0, q.dropped)
		assert.same({ "a", "b", "c" }, { q:pop(), q:pop(), q:pop() })
	end)
end)

describe("token bucket", function()
	it("passes max_burst at once, then rate per second", function()
		local b = queue.bucket(2, 3, 100)
		local passed = 0
		for _ = 1, 10 do if b:take(100) then passed = passed + 1 end end
		assert.equal(3, passed)
		assert.is_false(b:take(100.4)) -- 0.8 token
		assert.is_true(b:take(100.5)) -- 1.0 token
		assert.is_false(b:take(100.5))
		-- a long pause refills to max_burst, not beyond
		passed = 0
		for _ = 1, 10 do if b:take(1000) then passed = passed + 1 end end
		assert.equal(3, passed)
	end)

	it("rate 0 means no limit", function()
		assert.is_nil(queue.bucket(0, 10, 0))
	end)
end)

describe("outputs object", function()
	it("writes text alerts to the stream, JSON with json_output", function()
		local s = sink()
		local o = outputs.new({}, { stream = s })
		o:alert(alert(1))
		assert.matches("^%d%d:%d%d:%d%d%.%d+: Warning alert 1\n$", s.text)
		s = sink()
		o = outputs.new({ json_output = true, json_include_tags_property = false }, { stream = s })
		o:alert(alert(2))
		local obj = json.decode(s.text)
		assert.equal("alert 2", obj.output:match("Warning (alert 2)$"))
		assert.is_nil(obj.tags)
	end)

	it("drops and counts alerts over outputs.rate / max_burst", function()
		local t = 0
		local s = sink()
		local o = outputs.new({ outputs = { rate = 1, max_burst = 2 } },
			{ stream = s, clock = function() return t end, quiet = true })
		for i = 1, 5 do o:alert(alert(i)) end
		t = 1
		o:alert(alert(6))
		local _, n = s.text:gsub("\n", "")
		assert.equal(3, n)
		local st = o:stats()
		assert.equal(6, st.alerts)
		assert.equal(3, st.alerts_rate_limited)
		assert.equal(3, o:lost())
	end)

	it("prints stats every stats_interval with the session's counters, and at close", function()
		local t = 0
		local err = sink()
		local o = outputs.new({}, { stream = sink(), stats_interval = 2, stats_stream = err,
			clock = function() return t end })
		o:set_stats_source(function()
			return { events = 42, stops_entry = 1, stops_exit = 2, stops_ptrace = 3, stops_signal = 4 }
		end)
		o:alert(alert(1, "Rule A"))
		o:alert(alert(2, "Rule B"))
		o:alert(alert(3, "Rule A"))
		t = 1; o:tick()
		assert.equal("", err.text)
		t = 2.5; o:tick()
		assert.matches("^lanner: stats: events 42, stops 10; alerts 3 %(rate%-limited 0%); "
			.. "rules {Rule A: 2, Rule B: 1}; stdout {sent 3,", err.text)
		o:close()
		assert.matches("\nlanner: final stats: ", err.text)
	end)

	it("emits stats as one JSON line per report with json", function()
		local t = 0
		local err = sink()
		local o = outputs.new({}, { stream = sink(), stats_interval = 1, json = true, stats_stream = err,
			clock = function() return t end })
		o:alert(alert(1, "Rule A"))
		t = 1.5; o:tick()
		local obj = assert(json.decode(err.text))
		assert.equal("stats", obj.type)
		assert.equal(1, obj.alerts)
		assert.equal(1, obj.rules["Rule A"])
		assert.equal(1, obj.outputs.stdout.sent)
		assert.is_false(obj.final)
	end)

	it("stands in for an output that cannot start and counts its alerts as lost", function()
		local o = outputs.new({ http_output = { enabled = true } }, { stream = sink(), quiet = true })
		o:alert(alert(1))
		assert.equal(1, o:stats().outputs.http.failed)
	end)
end)

describe("rate limit and stats through lanner", function()
	if not H.ready() then
		pending("needs build/lanner (make all)")
		return
	end

	it("drops alerts over outputs.rate/max_burst and says so at exit", function()
		local w = H.workload { "/etc/hostname", "/etc/hostname", "/etc/hostname", "/etc/hostname", "/etc/hostname" }
		local rc, out, err = H.lanner(("-R %s -o outputs.rate=0.001 -o outputs.max_burst=2 -- %s"):format(H.RULES, w))
		assert.equal(0, rc, err)
		local _, n = out:gsub("hostname read", "")
		assert.equal(2, n)
		assert.matches("3 alert deliveries lost: rate limit 3", err)
	end)

	it("--stats-interval prints events, stops and alerts per rule, then a final summary", function()
		local w = "sh -c 'cat /etc/hostname >/dev/null; sleep 1.3; cat /etc/hosts >/dev/null; cat /etc/hosts >/dev/null'"
		local rc, _, err = H.lanner(("-R %s --stats-interval 1 -- %s"):format(H.RULES, w))
		assert.equal(0, rc, err)
		local periodic = err:match("lanner: stats: ([^\n]*)")
		assert.truthy(periodic, err)
		assert.matches("events %d+, stops %d+", periodic)
		assert.matches("rules {Read hostname: 1}", periodic)
		local final = err:match("lanner: final stats: ([^\n]*)")
		assert.truthy(final, err)
		assert.matches("rules {Read hostname: 1, Read hosts: 2}", final)
	end)

	it("--stats-interval with -j prints JSON stats lines", function()
		local w = "sh -c 'cat /etc/hosts >/dev/null; sleep 1.3'"
		local rc, out, err = H.lanner(("-j -R %s --stats-interval 1 -- %s"):format(H.RULES, w))
		assert.equal(0, rc, err)
		local finals = 0
		for _, l in ipairs(H.json_lines(err)) do
			local obj = json.decode(l)
			assert.equal("stats", obj.type)
			assert.is_number(obj.events)
			if obj.final then
				finals = finals + 1
				assert.equal(1, obj.rules["Read hosts"])
			end
		end
		assert.equal(1, finals)
		assert.equal(1, #H.json_lines(out)) -- the alert itself, on stdout
	end)
end)
