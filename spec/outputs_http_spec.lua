-- http_output against a real receiver on 127.0.0.1 (a python3 server the
-- spec starts): Falco's alert JSON, retries after 5xx, no retry after a
-- 4xx, a bounded queue, gzip, and a hung receiver that must not slow the
-- traced program.
local outputs = require "lanner.outputs"
local alert_format = require "lanner.alert_format"
local json = require "dkjson"
local H = dofile("spec/fixtures/outputs/helper.lua")

local FALCO_KEYS = { "hostname", "output", "output_fields", "priority", "rule", "source", "tags", "time" }

local QUIET = { write = function() end, flush = function() end }

local function alert(i)
	return { time = 1700000000 * 1e9 + i, rule = "R" .. i, priority = "Notice", output = "alert " .. i,
		tags = { "t" }, output_fields = { ["proc.name"] = "cat" } }
end

local function http_outputs(url, extra, top)
	local cfg = { enabled = true, url = url }
	for k, v in pairs(extra or {}) do cfg[k] = v end
	local all = { http_output = cfg, stdout_output = { enabled = false } }
	for k, v in pairs(top or {}) do all[k] = v end
	return outputs.new(all, { quiet = true, stats_stream = QUIET })
end

local function bodies(server)
	local out = {}
	for i, r in ipairs(server.records()) do out[i] = r.body end
	table.sort(out)
	return out
end

describe("http output", function()
	if not H.PYTHON then
		pending("needs python3 (the receiver)")
		return
	end
	local dir, server
	before_each(function() dir = H.tmpdir() end)
	after_each(function()
		if server then server.stop() end
		server = nil
		H.rmdir(dir)
	end)

	it("POSTs each alert as exactly alert_format.json's text, with Falco's keys", function()
		server = H.http_server(dir, "ok")
		local o = http_outputs(server.url, { user_agent = "spec-agent/1" })
		local want = {}
		for i = 1, 6 do
			o:alert(alert(i))
			want[i] = alert_format.json(alert(i))
		end
		o:close()
		table.sort(want)
		assert.same(want, bodies(server))
		local r = server.records()[1]
		assert.equal("application/json", r.content_type)
		assert.equal("spec-agent/1", r.user_agent)
		assert.equal("/falco", r.path)
		local obj = json.decode(r.body)
		for _, k in ipairs(FALCO_KEYS) do assert.is_not_nil(obj[k], k) end
		assert.equal(6, o:stats().outputs.http.sent)
	end)

	it("sends JSON even when the other outputs print text", function()
		server = H.http_server(dir, "ok")
		local o = http_outputs(server.url, nil, { json_output = false })
		o:alert(alert(1))
		o:close()
		assert.matches('^{"hostname":', server.records()[1].body)
	end)

	it("gzips bodies with compress_uploads (Content-Encoding: gzip)", function()
		server = H.http_server(dir, "ok")
		local o = http_outputs(server.url, { compress_uploads = true })
		o:alert(alert(1))
		o:close()
		local r = server.records()[1]
		assert.equal("gzip", r.encoding)
		assert.equal(alert_format.json(alert(1)), r.body)
	end)

	it("retries after 500s with backoff until the receiver recovers: every alert arrives once", function()
		server = H.http_server(dir, "fail:4")
		local o = http_outputs(server.url)
		for i = 1, 8 do o:alert(alert(i)) end
		o:close()
		local got = bodies(server)
		assert.equal(8, #got)
		for i = 2, #got do assert.are_not.equal(got[i - 1], got[i]) end
		local st = o:stats().outputs.http
		assert.equal(8, st.sent)
		assert.is_true(st.retries >= 4, "retries " .. st.retries)
		assert.equal(0, st.failed)
	end)

	it("gives up at once on a 4xx answer and counts the alert as failed", function()
		server = H.http_server(dir, "code:404")
		local o = http_outputs(server.url)
		for i = 1, 3 do o:alert(alert(i)) end
		o:close()
		local st = o:stats().outputs.http
		assert.equal(3, st.failed)
		assert.equal(0, st.retries)
	end)

	it("gives an alert up after max_retries", function()
		server = H.http_server(dir, "code:503")
		local o = http_outputs(server.url, { max_retries = 2 })
		o:alert(alert(1))
		o:close()
		local st = o:stats().outputs.http
		assert.equal(1, st.failed)
		assert.equal(2, st.retries)
	end)

	it("never sends an alert twice to a slow receiver: no retry once the request may have been delivered", function()
		-- 0.7 s per POST, one at a time, and a 1 s time-out: the third
		-- request in line times out on the client after the receiver got it
		server = H.http_server(dir, "slow:0.7")
		local o = http_outputs(server.url, nil, { output_timeout = 1000, outputs_queue = { drain_timeout = 8 } })
		for i = 1, 5 do o:alert(alert(i)) end
		o:close()
		-- the receiver works through what it was sent after lanner gave up
		-- waiting: let it finish, then a retry would show as a sixth body
		H.wait_for(function() return #server.records() >= 5 end, 10)
		os.execute("sleep 1")
		local got = bodies(server)
		local want = {}
		for i = 1, 5 do want[i] = alert_format.json(alert(i)) end
		table.sort(want)
		assert.same(want, got)
		local st = o:stats().outputs.http
		assert.equal(5, st.sent + st.failed)
		assert.is_true(st.unconfirmed > 0, "no request timed out: the spec tests nothing")
		assert.equal(st.failed, st.unconfirmed)
		assert.equal(0, st.retries)
	end)

	it("retries a request that never left (nothing listens), and it arrives once", function()
		server = H.http_server(dir, "ok")
		local url = server.url
		server.stop()
		os.execute("sleep 0.2")
		local o = http_outputs(url, { max_retries = 2 })
		o:alert(alert(1))
		o:close()
		local st = o:stats().outputs.http
		assert.equal(2, st.retries)
		assert.equal(1, st.failed)
		assert.equal(0, st.unconfirmed)
	end)

	it("queues up to outputs_queue.capacity behind a hung receiver, then drops and counts", function()
		server = H.http_server(dir, "stall")
		local o = http_outputs(server.url, nil,
			{ output_timeout = 300, outputs_queue = { capacity = 5, drain_timeout = 0.3 } })
		for i = 1, 30 do o:alert(alert(i)) end
		local st = o:stats().outputs.http
		assert.equal(30, st.pending + st.dropped)
		assert.is_true(st.dropped >= 20, "dropped " .. st.dropped)
		o:close()
		st = o:stats().outputs.http
		assert.equal(0, st.sent)
		assert.equal(30, st.failed + st.dropped)
		assert.equal(30, o:lost())
	end)
end)

describe("http output over TLS", function()
	if not H.PYTHON then
		pending("needs python3 (the receiver)")
		return
	end
	local dir, server, cert, key
	setup(function()
		dir = H.tmpdir()
		cert, key = H.make_cert(dir, "server")
	end)
	teardown(function() H.rmdir(dir) end)
	after_each(function()
		if server then server.stop() end
		server = nil
		os.remove(dir .. "/records.jsonl")
	end)

	local function send_one(cfg)
		local o = http_outputs(server.url, cfg)
		o:alert(alert(1))
		o:close()
		return o:stats().outputs.http
	end

	it("verifies the receiver against ca_cert", function()
		if not cert then return pending("needs openssl") end
		server = H.http_server(dir, "ok", { cert = cert, key = key })
		assert.matches("^https://", server.url)
		assert.equal(1, send_one({ ca_cert = cert }).sent)
		assert.equal(1, #server.records())
	end)

	it("refuses a receiver it cannot verify, unless insecure", function()
		if not cert then return pending("needs openssl") end
		server = H.http_server(dir, "ok", { cert = cert, key = key })
		local st = send_one({ ca_path = dir .. "/no-cas", ca_cert = "" })
		assert.equal(0, st.sent)
		assert.equal(1, st.failed)
		assert.equal(0, st.retries) -- an unverified receiver stays unverified
		assert.equal(0, #server.records())
		assert.equal(1, send_one({ insecure = true }).sent)
		assert.equal(1, #server.records())
	end)

	it("presents client_cert and client_key with mtls", function()
		if not cert then return pending("needs openssl") end
		local ccert, ckey = H.make_cert(dir, "client")
		server = H.http_server(dir, "ok", { cert = cert, key = key, client_ca = ccert })
		assert.equal(0, send_one({ ca_cert = cert, max_retries = 0 }).sent)
		assert.equal(1, send_one({ ca_cert = cert, mtls = true, client_cert = ccert, client_key = ckey }).sent)
		assert.equal(1, #server.records())
	end)
end)

describe("http output through lanner", function()
	if not H.ready() or not H.PYTHON then
		pending("needs build/lanner (make all) and python3")
		return
	end
	local dir, server
	before_each(function() dir = H.tmpdir() end)
	after_each(function()
		if server then server.stop() end
		server = nil
		H.rmdir(dir)
	end)

	local function http_args(url, more)
		return ("-R %s -o http_output.enabled=true -o http_output.url=%s %s"):format(H.RULES, url, more or "")
	end

	it("the receiver gets exactly the alerts raised, as -j prints them", function()
		server = H.http_server(dir, "ok")
		local w = H.workload { "/etc/hostname", "/etc/hosts", "/etc/hostname", "/etc/hosts", "/etc/hosts" }
		local rc, out, err = H.lanner("-j " .. http_args(server.url) .. " -- " .. w)
		assert.equal(0, rc, err)
		local printed = H.json_lines(out)
		table.sort(printed)
		assert.equal(5, #printed)
		assert.same(printed, bodies(server))
		local rules = {}
		for _, b in ipairs(bodies(server)) do
			local obj = json.decode(b)
			for _, k in ipairs(FALCO_KEYS) do assert.is_not_nil(obj[k], k) end
			rules[obj.rule] = (rules[obj.rule] or 0) + 1
		end
		assert.same({ ["Read hostname"] = 2, ["Read hosts"] = 3 }, rules)
	end)

	it("a receiver that answers 500 then recovers gets them all", function()
		server = H.http_server(dir, "fail:3")
		local w = H.workload { "/etc/hostname", "/etc/hostname", "/etc/hostname", "/etc/hostname" }
		local rc, _, err = H.lanner(http_args(server.url, "-o stdout_output.enabled=false") .. " -- " .. w)
		assert.equal(0, rc, err)
		assert.equal(4, #bodies(server))
		assert.is_nil(err:match("lost"), err)
	end)

	it("a receiver that never answers does not slow the traced program", function()
		-- 100 alerts; the program times itself (date +%s%N), so lanner's
		-- drain at exit is not counted in the comparison
		local function run(url, tag)
			local t = dir .. "/" .. tag
			local w = ("sh -c 's=$(date +%%s%%N); i=0; while [ $i -lt 100 ]; do cat /etc/hostname >/dev/null; "
				.. "i=$((i+1)); done; echo $(( ($(date +%%s%%N) - s) / 1000000 )) > %s'"):format(t)
			local rc, _, err, took = H.lanner(http_args(url, "-o stdout_output.enabled=false -o output_timeout=500 "
				.. "-o outputs_queue.drain_timeout=1") .. " -- " .. w)
			assert.equal(0, rc, err)
			return tonumber(H.read(t)) / 1000, took, err
		end
		server = H.http_server(dir, "ok")
		local base = run(server.url, "ok")
		assert.equal(100, #bodies(server))
		server.stop()
		server = H.http_server(dir, "stall")
		local stalled, took, err = run(server.url, "stall")
		-- loose: scheduling noise, not a stall (which would be 100 x 0.5 s)
		assert.is_true(stalled < base * 3 + 2, ("program took %.2fs, %.2fs with a live receiver"):format(stalled, base))
		assert.is_true(took < stalled + 1 + 4, ("lanner took %.2fs"):format(took))
		assert.matches("100 alert deliveries lost: http 100", err)
	end)
end)
