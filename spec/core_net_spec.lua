-- The core on sockets: spec/progs/net.c on loopback and a unix socket in a
-- fresh directory.  fd names come from the kernel (the socket's own ends),
-- written client->server as Falco does; the program writes the ports the
-- kernel chose to <dir>/ports.
local trace = require "spec.helpers.trace"

local NET = {
	socket = true, bind = true, listen = true, connect = true, accept4 = true,
	sendto = true, recvfrom = true, sendmsg = true, recvmsg = true, shutdown = true,
	getsockopt = true, socketpair = true, close = true,
}

describe("core: sockets (spec/progs/net)", function()
	local D, r, ev, P

	setup(function()
		D = trace.mkdtemp()
		r = trace.run({ trace.prog("net"), D })
		ev = trace.select(r.events, function(e)
			return NET[e.type] and not (e.type == "close" and (e.raw.fd or 0) < 3)
				and not (e.type == "close" and e.fd and e.fd.type == "file")
		end)
		local ports = trace.read_file(D .. "/ports") or ""
		local a, b, c, d = ports:match("^(%d+) (%d+) (%d+) (%d+)")
		P = { srv = tonumber(a), cli = tonumber(b), ua = tonumber(c), ub = tonumber(d) }
	end)

	teardown(function()
		if D then trace.rmrf(D) end
	end)

	local function tcp(c, s) return string.format("127.0.0.1:%d->127.0.0.1:%d", c, s) end

	it("exits 0 and wrote the four ports", function()
		assert.equal(0, r.status)
		assert.is_number(P.srv)
		assert.is_number(P.ub)
	end)

	it("makes the socket calls in the program's order", function()
		local got = {}
		for i, e in ipairs(ev) do got[i] = e.type end
		assert.same({
			"socket", "bind", "listen", "socket", "connect", "accept4",
			"sendto", "recvfrom", "sendmsg", "recvmsg", "getsockopt", "shutdown",
			"socket", "bind", "socket", "bind", "sendto", "recvfrom",
			"socketpair", "socket", "bind", "listen", "socket", "connect", "accept4",
			"socket", "connect",
			"close", "close", "close", "close", "close", "close", "close",
			"close", "close", "close", "close",
		}, got)
	end)

	-- Per event: the fd and its state after the event.  name: fd.name
	-- (%S server port, %C client port, %A/%B the UDP ports, %D the dir).
	local rows = {
		{ 1, "socket", fd = 3, type = "ipv4", res = 3, params = { domain = "2(AF_INET)", type = "1(SOCK_STREAM)" } },
		{ 2, "bind", fd = 3, type = "ipv4", res = 0, params = { addr = "127.0.0.1:0" } },
		{ 3, "listen", fd = 3, type = "ipv4", res = 0, server = 1, params = { backlog = "5" } },
		{ 4, "socket", fd = 4, type = "ipv4", res = 4 },
		{ 5, "connect", fd = 4, type = "ipv4", res = 0, server = 0, name = "127.0.0.1:%C->127.0.0.1:%S",
			params = { tuple = "127.0.0.1:%C->127.0.0.1:%S", addr = "127.0.0.1:%S",
				fd = "4(<4t>127.0.0.1:%C->127.0.0.1:%S)" } },
		{ 6, "accept4", fd = 5, type = "ipv4", res = 5, server = 1, name = "127.0.0.1:%C->127.0.0.1:%S",
			params = { fd = "5(<4t>127.0.0.1:%C->127.0.0.1:%S)", tuple = "127.0.0.1:%C->127.0.0.1:%S",
				addr = "127.0.0.1:%C", flags = "524288(SOCK_CLOEXEC)" } },
		{ 7, "sendto", fd = 4, res = 4, name = "127.0.0.1:%C->127.0.0.1:%S", params = { data = "ping", size = "4" } },
		{ 8, "recvfrom", fd = 5, res = 4, name = "127.0.0.1:%C->127.0.0.1:%S", params = { data = "ping", size = "64" } },
		{ 9, "sendmsg", fd = 5, res = 5, params = { data = "pong!", tuple = "127.0.0.1:%C->127.0.0.1:%S" } },
		{ 10, "recvmsg", fd = 4, res = 5, params = { data = "pong!", tuple = "127.0.0.1:%C->127.0.0.1:%S" } },
		{ 11, "getsockopt", fd = 4, res = 0, params = { level = "1(SOL_SOCKET)", optname = "3(SO_TYPE)" } },
		{ 12, "shutdown", fd = 4, res = 0, params = { how = "1(SHUT_WR)" } },
		{ 13, "socket", fd = 6, type = "ipv4", res = 6, params = { type = "2(SOCK_DGRAM)" } },
		{ 15, "socket", fd = 7, type = "ipv4", res = 7 },
		{ 17, "sendto", fd = 7, res = 3, name = "127.0.0.1:%B->127.0.0.1:%A",
			params = { addr = "127.0.0.1:%A", data = "udp", fd = "7(<4u>127.0.0.1:%B->127.0.0.1:%A)" } },
		{ 18, "recvfrom", fd = 6, res = 3, name = "127.0.0.1:%A->127.0.0.1:%B",
			params = { addr = "127.0.0.1:%B", data = "udp" } },
		{ 19, "socketpair", res = 0, params = { fds = "[8,9]", domain = "1(AF_UNIX)" } },
		{ 20, "socket", fd = 10, type = "unix", res = 10, params = { domain = "1(AF_UNIX)" } },
		{ 21, "bind", fd = 10, type = "unix", res = 0, name = "%D/sock", params = { addr = "%D/sock" } },
		{ 22, "listen", fd = 10, type = "unix", res = 0, server = 1, name = "%D/sock" },
		{ 24, "connect", fd = 11, type = "unix", res = 0, server = 0, name = "%D/sock",
			params = { addr = "%D/sock", tuple = "%D/sock" } },
		{ 25, "accept4", fd = 12, type = "unix", res = 12, server = 1, name = "%D/sock", params = { flags = "0" } },
		{ 27, "connect", fd = 13, type = "ipv4", res = -111, params = { res = "-111(ECONNREFUSED)", addr = "127.0.0.1:1" } },
	}

	local function sub(s)
		return (s:gsub("%%(%u)", function(k)
			if k == "S" then return tostring(P.srv) elseif k == "C" then return tostring(P.cli)
			elseif k == "A" then return tostring(P.ua) elseif k == "B" then return tostring(P.ub)
			elseif k == "D" then return D end
		end))
	end

	for _, row in ipairs(rows) do
		local i, ty = row[1], row[2]
		it(string.format("event %d: %s on fd %s", i, ty, tostring(row.fd or "-")), function()
			local e = ev[i]
			assert.equal(ty, e.type)
			assert.equal(row.res, e.res)
			if row.fd then
				assert.equal(row.fd, e.fdnum)
				assert.is_table(e.fd, "no fd state")
				assert.equal(row.fd, e.fd.num)
			end
			if row.type then assert.equal(row.type, e.fd.type) end
			if row.server then assert.equal(row.server, e.fd.is_server) end
			if row.name then assert.equal(sub(row.name), e.fd.name) end
			for k, v in pairs(row.params or {}) do assert.equal(sub(v), e.params[k], ty .. " " .. k) end
		end)
	end

	it("a listening socket is a server bound to its port", function()
		local e = ev[3]
		assert.equal(1, e.fd.is_server)
		assert.equal(P.srv, e.fd.tuple.lport)
		assert.equal("127.0.0.1", e.fd.tuple.lip)
		-- Falco's fd.name here is "127.0.0.1:PORT"; lanner's form may add
		-- an empty remote end, but it must name the bound address
		assert.truthy(e.fd.name:find("127.0.0.1:" .. P.srv, 1, true), e.fd.name)
	end)

	it("connected TCP ends carry both ends in the tuple and l4proto tcp", function()
		for _, i in ipairs { 5, 6 } do
			local t = ev[i].fd.tuple
			assert.equal(2, t.family)
			assert.equal(1, t.l4proto)
			assert.equal(1, ev[i].fd.connected)
		end
		assert.same({ P.cli, P.srv }, { ev[5].fd.tuple.lport, ev[5].fd.tuple.rport })
		assert.same({ P.srv, P.cli }, { ev[6].fd.tuple.lport, ev[6].fd.tuple.rport })
	end)

	it("UDP sockets are l4proto udp and take the peer of the datagram", function()
		assert.equal(2, ev[17].fd.tuple.l4proto)
		assert.equal(P.ua, ev[17].fd.tuple.rport)
		assert.equal(P.ub, ev[18].fd.tuple.rport)
	end)

	it("socketpair makes two unix fds", function()
		local sp = ev[19]
		-- the closes of 8 and 9 (events 33 and 34) show unix sockets
		for _, i in ipairs { 33, 34 } do
			assert.equal("close", ev[i].type)
			assert.equal("unix", ev[i].fd.type)
		end
		assert.equal(0, sp.res)
	end)

	it("closes show each socket's final name", function()
		local want = {
			[28] = { 3, "ipv4" }, [29] = { 4, "ipv4" }, [30] = { 5, "ipv4" },
			[31] = { 6, "ipv4" }, [32] = { 7, "ipv4" }, [35] = { 10, "unix" },
			[36] = { 11, "unix" }, [37] = { 12, "unix" }, [38] = { 13, "ipv4" },
		}
		for i, w in pairs(want) do
			assert.equal(w[1], ev[i].raw.fd)
			assert.equal(w[2], ev[i].fd.type)
			assert.equal(0, ev[i].res)
		end
		assert.equal(sub("127.0.0.1:%C->127.0.0.1:%S"), ev[29].fd.name)
		assert.equal(sub("127.0.0.1:%C->127.0.0.1:%S"), ev[30].fd.name)
		assert.equal(sub("%D/sock"), ev[37].fd.name)
	end)
end)
