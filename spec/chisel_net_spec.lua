-- The network chisels over a TCP exchange on loopback with known numbers:
-- support/netpair.pl listens on 127.0.0.1, connects to itself, sends N
-- bytes client -> server and "pong" back (2N + 8 bytes through sockets).
local H = require "spec.fixtures.chisels.support.helper"

local NETPAIR = H.FIXTURES .. "/support/netpair.pl"
local N = 3000
local TOTAL = "5.87KB" -- 2 * 3000 + 8 bytes

local function netpair(chisel_args, port, hold)
	local args = {}
	for _, a in ipairs(chisel_args) do args[#args + 1] = a end
	for _, a in ipairs { "--", "perl", NETPAIR, tostring(port or 0), tostring(N) } do args[#args + 1] = a end
	if hold then args[#args + 1] = "hold" end
	local r = H.lanner(args)
	r.port = tonumber(r.err:match("port (%d+)"))
	return r
end

local function esc(s) return (tostring(s):gsub("%p", "%%%0")) end

describe("topprocs_net", function()
	it("sums the process's socket bytes", function()
		local r = netpair({ "-c", "topprocs_net" })
		assert.equal(0, r.status, r.err)
		assert.matches("\n" .. TOTAL .. " +%d+ +perl\n", r.out)
	end)
end)

describe("topconns", function()
	it("shows the connection with both ends and its bytes", function()
		local r = netpair({ "-c", "topconns" })
		assert.equal(0, r.status, r.err)
		assert.is_not_nil(r.port, r.err)
		assert.matches("Proto +Client IP +CPort +Server IP +SPort +Process", r.out)
		assert.matches("\n" .. TOTAL .. " +tcp +127%.0%.0%.1 +%d+ +127%.0%.0%.1 +" .. r.port .. " +perl\n", r.out)
	end)
end)

describe("topports_server", function()
	it("sums the bytes per server port", function()
		local r = netpair({ "-c", "topports_server" })
		assert.equal(0, r.status, r.err)
		assert.matches("\n" .. TOTAL .. " +" .. r.port .. "\n", r.out)
	end)
end)

describe("spy_ip", function()
	it("echoes the data exchanged with the address", function()
		local r = netpair({ "-c", "spy_ip", "127.0.0.1" })
		assert.equal(0, r.status, r.err)
		assert.matches("Write 3000B to 127%.0%.0%.1:%d+%->127%.0%.0%.1:" .. r.port .. " %(perl %d+%) write\nx+\n", r.out)
		assert.matches("Write 4B to [%d.:>-]+ %(perl %d+%) write\npong\n", r.out)
		r = netpair({ "-c", "spy_ip", "10.9.8.7" })
		assert.not_matches("Write", r.out)
	end)

	it("refuses something that is no address", function()
		local r = H.lanner({ "-c", "spy_ip", "not-an-ip!", "--", "true" })
		assert.equal(2, r.status)
	end)
end)

describe("spy_port", function()
	it("echoes the data on connections using the port", function()
		-- the port must be known before the run: try a few
		local r
		for i = 1, 5 do
			local port = 20000 + (os.time() * 7 + i * 131) % 30000
			r = netpair({ "-c", "spy_port", tostring(port) }, port)
			if r.status == 0 then break end
		end
		assert.equal(0, r.status, r.err)
		-- the server end's name: client->server when lanner saw the accept,
		-- local->remote when it read the socket from the kernel
		local name = r.out:match("Read 3000B from (%S+) %(perl %d+%) read\n")
		assert.is_not_nil(name, r.out)
		assert.matches("^127%.0%.0%.1:%d+%->127%.0%.0%.1:%d+$", name)
		assert.matches(":" .. r.port .. "%f[^%d]", name)
		assert.matches("pong", r.out)
		local other = netpair({ "-c", "spy_port", "1" })
		assert.not_matches("Write", other.out)
	end)
end)

describe("iobytes_net", function()
	it("counts exactly the socket bytes", function()
		local r = netpair({ "-c", "iobytes_net" })
		assert.equal(0, r.status, r.err)
		assert.matches("total net I/O +in: 2%.93KB +out: 2%.93KB +total: " .. TOTAL, r.out)
		assert.matches("4 I/O calls in %S+; 3004 bytes read, 3004 bytes written", r.out)
	end)
end)

describe("netstat", function()
	it("lists the sockets held at exit, with their state", function()
		local r = netpair({ "-c", "netstat" }, 0, true)
		assert.equal(0, r.status, r.err)
		local p = r.port
		assert.matches("\ntcp +127%.0%.0%.1:" .. p .. " +%*:%* +LISTEN +%d+/perl\n", r.out)
		assert.matches("\ntcp +127%.0%.0%.1:%d+ +127%.0%.0%.1:" .. p .. " +ESTABLISHED +%d+/perl\n", r.out)
		assert.matches("\ntcp +127%.0%.0%.1:" .. p .. " +127%.0%.0%.1:%d+ +ESTABLISHED +%d+/perl\n", r.out)
	end)
end)

describe("lsof with an fd filter", function()
	it("lists only the sockets", function()
		local r = netpair({ "-c", "lsof", "fd.type=ipv4" }, 0, true)
		assert.equal(0, r.status, r.err)
		local n = 0
		for l in r.out:gmatch("[^\n]+") do
			if l:match("^perl ") then
				n = n + 1
				assert.matches(" ipv4 ", l)
			end
		end
		assert.equal(3, n, r.out)
		assert.matches(esc(":" .. r.port), r.out)
	end)
end)
