-- syslog_output: datagrams on a unix socket the spec binds (in place of
-- /dev/log), RFC 3164 and RFC 5424 framing, <PRI> from the priority.
local outputs = require "lanner.outputs"
local syslog = require "lanner.outputs.syslog"
local H = dofile("spec/fixtures/outputs/helper.lua")

local function alert(prio, i)
	return { time = 1700000000 * 1e9 + (i or 0), rule = "R", priority = prio, output = "alert " .. prio }
end

local QUIET = { write = function() end, flush = function() end }

describe("syslog output", function()
	local dir, sock
	before_each(function()
		dir = H.tmpdir()
		sock = H.syslog_socket(dir .. "/log")
	end)
	after_each(function()
		sock.close()
		H.rmdir(dir)
	end)

	local function syslog_outputs(extra)
		local cfg = { enabled = true, socket = dir .. "/log" }
		for k, v in pairs(extra or {}) do cfg[k] = v end
		return outputs.new({ syslog_output = cfg, stdout_output = { enabled = false } },
			{ quiet = true, stats_stream = QUIET })
	end

	it("maps every Falco priority to its severity, facility user", function()
		local o = syslog_outputs()
		local prios = { "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug" }
		for _, p in ipairs(prios) do o:alert(alert(p)) end
		o:close()
		local got = sock.recv_all()
		assert.equal(#prios, #got)
		for i, p in ipairs(prios) do
			assert.equal("<" .. (8 + i - 1) .. ">", got[i]:match("^<%d+>"), p)
			assert.matches(p .. " alert " .. p .. "$", got[i])
		end
	end)

	it("frames RFC 3164 as glibc's syslog() does: <PRI>Mmm dd hh:mm:ss ident[pid]: msg", function()
		local o = syslog_outputs()
		o:alert(alert("Warning"))
		o:close()
		local d = sock.recv_all()[1]
		assert.matches("^<12>%a%a%a [ %d]%d %d%d:%d%d:%d%d lanner%[%d+%]: %d%d:%d%d:%d%d%.%d+: Warning alert Warning$", d)
	end)

	it("frames RFC 5424 with the alert's time to the microsecond", function()
		local o = syslog_outputs { format = "rfc5424", ident = "falco" }
		o:alert(alert("Error", 123456789))
		o:close()
		local d = sock.recv_all()[1]
		assert.matches("^<11>1 2023%-11%-14T22:13:20%.123456Z %S+ falco %d+ %- %- .*Error alert Error$", d)
	end)

	it("counts alerts as failed while no daemon listens, and reconnects when one does", function()
		sock.close()
		os.remove(dir .. "/log")
		local o = syslog_outputs()
		o:alert(alert("Notice"))
		sock = H.syslog_socket(dir .. "/log")
		o:alert(alert("Notice"))
		o:close()
		local st = o:stats().outputs.syslog
		assert.equal(1, st.failed)
		assert.equal(1, st.sent)
		assert.equal(1, #sock.recv_all())
	end)

	it("knows Falco's lower-case and short priority names", function()
		assert.equal("<14>", syslog.frame("rfc3164", 8 + 6, "x", nil, "lanner", 1):match("^<%d+>"))
		assert.equal(6, syslog.SEVERITY.Informational)
	end)
end)

describe("syslog output through lanner", function()
	if not H.ready() then
		pending("needs build/lanner (make all)")
		return
	end

	it("sends each alert with its <PRI> to the configured socket", function()
		local dir = H.tmpdir()
		local sock = H.syslog_socket(dir .. "/log")
		local rc, out, err = H.lanner(("-R %s -o syslog_output.enabled=true -o syslog_output.socket=%s "
			.. "-o stdout_output.enabled=false -- %s"):format(H.RULES, dir .. "/log",
			H.workload { "/etc/hostname", "/etc/hosts", "/etc/hostname" }))
		local got = sock.recv_all()
		sock.close()
		H.rmdir(dir)
		assert.equal(0, rc, err)
		assert.equal("", out)
		assert.equal(3, #got)
		assert.matches("^<12>.* lanner%[%d+%]: .*Warning hostname read %(proc=cat file=/etc/hostname%)$", got[1])
		assert.matches("^<10>.*Critical hosts read", got[2])
		assert.matches("^<12>", got[3])
	end)
end)
