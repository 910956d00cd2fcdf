-- The web server (Falco's webserver.* keys): /healthz and /metrics scraped
-- with a real HTTP client (python3's urllib) on 127.0.0.1 while a traced
-- program runs, answering while the tracer waits for a stop and while the
-- event loop is busy; off by default; bad settings refused before the
-- program starts.
local webserver = require "lanner.webserver"
local H = dofile("spec/fixtures/outputs/helper.lua")

-- GET url with urllib; status (number, 0: no answer), body, seconds taken.
local function get(url)
	local script = [[
import sys, time, urllib.request, urllib.error
t = time.time()
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5)
    code, body = r.status, r.read().decode()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read().decode()
except Exception as e:
    code, body = 0, str(e)
sys.stdout.write("%d %.3f\n%s" % (code, time.time() - t, body))
]]
	local _, out = H.sh(("%s -c %s %s"):format(H.PYTHON, H.q(script), H.q(url)))
	local code, took, body = out:match("^(%d+) ([%d.]+)\n(.*)$")
	return tonumber(code), body, tonumber(took)
end

-- Sends raw bytes to host:port, returns the status line of the answer.
local function raw(base, bytes)
	local script = [[
import socket, sys
host, port = sys.argv[1].split("//")[1].split(":")
s = socket.create_connection((host, int(port)), timeout=5)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
sys.stdout.write(s.recv(4096).decode("latin-1").split("\r\n")[0])
]]
	local _, out = H.sh(("%s -c %s %s %s"):format(H.PYTHON, H.q(script), H.q(base), H.q(bytes)))
	return out
end

-- Starts build/lanner in the background with the web server on a free
-- port of 127.0.0.1; returns { base, wait() -> exit status, stderr() }.
local function start_lanner(dir, args)
	local cmd = ("%s -o webserver.enabled=true -o webserver.listen_address=127.0.0.1 "
		.. "-o webserver.listen_port=0 %s >%s/out 2>%s/err; echo $? > %s/rc"):format(
		H.LANNER, args, dir, dir, dir)
	os.execute("(" .. cmd .. ") </dev/null >/dev/null 2>&1 &")
	local port
	assert(H.wait_for(function()
		port = (H.read(dir .. "/err") or ""):match("web server listening on 127%.0%.0%.1 port (%d+)")
		return port
	end, 15), "lanner did not say its port: " .. tostring(H.read(dir .. "/err")))
	return {
		base = "http://127.0.0.1:" .. port,
		wait = function()
			assert(H.wait_for(function() return H.read(dir .. "/rc") end, 30), "lanner did not end")
			return tonumber(H.read(dir .. "/rc"))
		end,
		stderr = function() return H.read(dir .. "/err") end,
		out = function() return H.read(dir .. "/out") end,
	}
end

-- The value of a metric line (name with its labels, as written).
local function value(text, line_start)
	for l in text:gmatch("[^\n]+") do
		if l:sub(1, #line_start + 1) == line_start .. " " then return tonumber(l:sub(#line_start + 2)) end
	end
	return nil
end

describe("metrics text", function()
	it("writes Prometheus' text format with Falco's names, rules by rule name and Falco's priority number", function()
		local text = webserver.metrics_text {
			version = "0.1.0", start_ns = require("ffi").cast("uint64_t", 1700000000123456789ULL), duration_s = 12.7,
			events = 10, drops = 1, stops = { entry = 5, exit = 4, ptrace = 2, signal = 0 }, stops_polled = 7, polls_missed = 6, queue_sent = 5, tracer_s = 0.25,
			alerts = 3, rate_limited = 1, procs = 2, threads = 3,
			rules = { { rule = 'Say "hi"\\now', priority = "Warning", n = 2 }, { rule = "B", priority = "Critical", n = 1 } },
			outputs = { http = { sent = 1, failed = 1, dropped = 1 }, stdout = { sent = 2, failed = 0, dropped = 0 } },
		}
		assert.equal(1700000000123456789, value(text, "falcosecurity_falco_start_timestamp_nanoseconds"))
		assert.matches("\nfalcosecurity_falco_start_timestamp_nanoseconds 1700000000123456789\n", text, 1, true)
		assert.equal(12, value(text, "falcosecurity_falco_duration_seconds_total"))
		assert.equal(10, value(text, "falcosecurity_scap_n_evts_total"))
		assert.equal(1, value(text, "falcosecurity_scap_n_drops_total"))
		assert.equal(2, value(text, 'falcosecurity_falco_rules_matches_total{priority="4",rule_name="Say \\"hi\\"\\\\now",source="syscall"}'))
		assert.equal(1, value(text, 'falcosecurity_falco_rules_matches_total{priority="2",rule_name="B",source="syscall"}'))
		assert.equal(1, value(text, "falcosecurity_falco_outputs_queue_num_drops_total"))
		assert.equal(1, value(text, 'lanner_output_failed_total{output="http"}'))
		assert.equal(2, value(text, 'lanner_output_sent_total{output="stdout"}'))
		assert.equal(4, value(text, 'lanner_stops_total{kind="exit"}'))
		assert.equal(7, value(text, "lanner_stops_polled_total"))
		assert.equal(6, value(text, "lanner_polls_missed_total"))
		assert.equal(5, value(text, "lanner_queue_sent_bytes_total"))
		assert.equal(0.25, value(text, "lanner_tracer_stop_seconds_total"))
		assert.equal(2, value(text, "lanner_traced_processes"))
		assert.equal(1, value(text, 'falcosecurity_falco_version_info{version="0.1.0"}'))
		-- every sample is announced by its HELP and TYPE lines
		for name in text:gmatch("\n([%w_]+)[{ ]") do
			assert.matches("# TYPE " .. name .. " ", text, 1, true)
		end
	end)
end)

describe("web server", function()
	if not (H.PYTHON and H.ready()) then
		pending("needs python3 and build/lanner")
		return
	end
	local dir
	before_each(function() dir = H.tmpdir() end)
	after_each(function() H.rmdir(dir) end)

	it("answers /healthz and /metrics while the traced program runs, then stops listening", function()
		local l = start_lanner(dir, ("-o webserver.prometheus_metrics_enabled=true -R %s -- sh -c %s"):format(
			H.RULES, H.q("cat /etc/hostname /etc/hosts >/dev/null; sleep 2.5")))
		-- the tracer sleeps in waitpid all through the sleep
		local code, body = get(l.base .. "/healthz")
		assert.equal(200, code)
		assert.equal('{"status": "ok"}\n', body)
		local text
		assert.is_true(H.wait_for(function()
			code, text = get(l.base .. "/metrics")
			return code == 200 and value(text, 'falcosecurity_falco_rules_matches_total{priority="2",rule_name="Read hosts",source="syscall"}') == 1
		end, 5), text)
		assert.equal(1, value(text, 'falcosecurity_falco_rules_matches_total{priority="4",rule_name="Read hostname",source="syscall"}'))
		assert.is_true(value(text, "falcosecurity_scap_n_evts_total") > 0)
		assert.is_true(value(text, 'lanner_stops_total{kind="entry"}') > 0)
		assert.is_true(value(text, "lanner_traced_processes") >= 1)
		assert.is_true(value(text, "falcosecurity_falco_memory_rss_bytes") > 1e6)
		assert.is_true(value(text, "lanner_cpu_seconds_total") > 0)
		assert.is_true(value(text, "lanner_metrics_snapshot_age_seconds") < 2)
		assert.equal(2, value(text, 'lanner_output_sent_total{output="stdout"}'))
		assert.equal(404, (get(l.base .. "/other")))
		assert.equal(0, l.wait())
		-- gone with lanner
		assert.equal(0, (get(l.base .. "/healthz")))
	end)

	it("answers while the event loop is busy, and the snapshot's age says so", function()
		local l = start_lanner(dir, ("-o webserver.prometheus_metrics_enabled=true -c spec/fixtures/meta/busy.lua "
			.. "-- sh -c %s"):format(H.q("sleep 0.3; cat /etc/hostname >/dev/null; sleep 2.5")))
		-- the chisel holds the loop for 2 s from the cat on: probe then
		H.sh("sleep 1.2")
		local code, body, took = get(l.base .. "/healthz")
		assert.equal(200, code, body)
		assert.is_true(took < 0.5, "took " .. tostring(took))
		local text
		code, text, took = get(l.base .. "/metrics")
		assert.equal(200, code)
		assert.is_true(took < 0.5, "took " .. tostring(took))
		assert.is_true(value(text, "lanner_metrics_snapshot_age_seconds") >= 0.8, text)
		assert.equal(0, l.wait())
	end)

	it("serves /metrics only when prometheus_metrics_enabled, and the health endpoint where it is told", function()
		local l = start_lanner(dir, "-o webserver.k8s_healthz_endpoint=/live -- sleep 1.5")
		assert.equal(200, (get(l.base .. "/live")))
		assert.equal(404, (get(l.base .. "/healthz")))
		assert.equal(404, (get(l.base .. "/metrics")))
		assert.equal("HTTP/1.1 405 Method Not Allowed", raw(l.base, "POST /live HTTP/1.1\\r\\n\\r\\n"))
		assert.equal("HTTP/1.1 400 Bad Request", raw(l.base, "hello\\r\\n\\r\\n"))
		assert.equal("HTTP/1.1 200 OK", raw(l.base, "HEAD /live?probe=1 HTTP/1.0\\r\\n\\r\\n"))
		assert.equal(0, l.wait())
	end)

	it("is off by default: lanner holds no socket", function()
		-- the filter matches nothing: stdout holds only the count
		local probe = "'proc.name=none' -- sh -c " .. H.q("ls -l /proc/$PPID/fd | grep -c socket: || true")
		local rc, out = H.lanner(probe)
		assert.equal(0, rc)
		assert.equal("0", out:match("%d+"))
		rc, out = H.lanner("-q -o webserver.enabled=true -o webserver.listen_address=127.0.0.1 "
			.. "-o webserver.listen_port=0 " .. probe)
		assert.equal(0, rc)
		assert.equal("1", out:match("%d+"))
	end)

	it("refuses bad settings and a port it cannot have, before running anything", function()
		local marker = dir .. "/ran"
		local prog = "touch " .. marker
		for _, c in ipairs {
			{ "-o webserver.listen_port=70000", "-o webserver.listen_port: expected a port number %(0%-65535%)" },
			{ "-o webserver.k8s_healthz_endpoint=healthz", "-o webserver.k8s_healthz_endpoint: expected a path starting with /" },
			{ "-o webserver.ssl_enabled=true", "-o webserver.ssl_enabled: TLS is not supported" },
			{ "-o webserver.listen_address=not-an-ip", "webserver.listen_address 'not%-an%-ip'" },
		} do
			local rc, _, err = H.lanner("-o webserver.enabled=true " .. c[1] .. " -- " .. prog)
			assert.equal(2, rc, c[1])
			assert.matches(c[2], err)
		end
		-- a port in use: the first server holds it
		local l = start_lanner(dir, "-- sleep 2")
		local port = l.base:match("%d+$")
		local rc, _, err = H.lanner(("-o webserver.enabled=true -o webserver.listen_address=127.0.0.1 "
			.. "-o webserver.listen_port=%s -- %s"):format(port, prog))
		assert.equal(2, rc)
		assert.matches("webserver: cannot listen on 127%.0%.0%.1 port " .. port .. ": Address already in use", err)
		assert.is_nil(H.read(marker))
		assert.equal(0, l.wait())
	end)
end)
