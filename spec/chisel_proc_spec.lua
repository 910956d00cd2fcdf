-- Process, latency and state chisels, over programs whose process tree and
-- timing are known.
local H = require "spec.fixtures.chisels.support.helper"

local function esc(s) return (tostring(s):gsub("%p", "%%%0")) end

local ME = (function()
	local p = io.popen("id -un")
	local u = p:read("*l")
	p:close()
	return u
end)()

local d
before_each(function()
	d = H.tmpdir()
	H.write(d .. "/f", string.rep("y", 2000))
end)
after_each(function() H.rmdir(d) end)

describe("proc_exec_time", function()
	it("prints each process's running time and exit status as it exits", function()
		local r = H.lanner({ "-c", "proc_exec_time", "--", "sh", "-c", "sleep 0.3; sh -c 'exit 3'; true" })
		assert.equal(0, r.status, r.err)
		assert.matches("^Duration +PID +PPID +Exit +Command\n", r.out)
		local dur = r.out:match("\n(%S+) +%d+ +%d+ +0 +sleep 0%.3\n")
		assert.is_not_nil(dur, r.out)
		local ms = tonumber(dur:match("^([%d.]+)ms$"))
		assert.is_true(ms ~= nil and ms >= 290 and ms < 2000, dur)
		assert.matches("\n%S+ +%d+ +%d+ +3 +sh %-c exit 3\n", r.out)
		assert.matches("Longest first:\n%S+ +%d+ +sh %-c sleep", r.out)
	end)
end)

describe("fileslower", function()
	it("lists file calls over the threshold, and only those", function()
		local cmd = { "sh", "-c", "cat " .. d .. "/f >/dev/null" }
		local r = H.lanner({ "-c", "fileslower", "0", "--", unpack(cmd) })
		assert.equal(0, r.status, r.err)
		assert.matches("\n[%d:.]+ +cat +%d+ +openat +%S+ +" .. esc(d) .. "/f\n", r.out)
		assert.matches("\n[%d:.]+ +cat +%d+ +read +%S+ +" .. esc(d) .. "/f\n", r.out)
		r = H.lanner({ "-c", "fileslower", "100000", "--", unpack(cmd) })
		assert.equal(1, #H.lines(r.out), r.out)
	end)
end)

describe("scallslower", function()
	it("lists the calls slower than the threshold", function()
		local r = H.lanner({ "-c", "scallslower", "200", "--", "sh", "-c", "sleep 0.3 | cat" })
		assert.equal(0, r.status, r.err)
		local lines = H.lines(r.out)
		assert.is_true(#lines >= 2, r.out)
		local saw_read = false
		for i = 2, #lines do
			local proc, call, lat = lines[i]:match("^[%d:.]+ +(%S+) +%d+ +(%S+) +(%S+)")
			assert.is_not_nil(lat, lines[i])
			local v, u = lat:match("^([%d.]+)(%a+)$")
			local ns = tonumber(v) * ({ s = 1e9, ms = 1e6, us = 1e3, ns = 1 })[u]
			assert.is_true(ns >= 200e6, lines[i])
			if proc == "cat" and call == "read" then saw_read = true end
		end
		assert.is_true(saw_read, r.out)
	end)
end)

describe("spy_users", function()
	it("prints each command with its user, login shell and depth", function()
		local r = H.lanner({ "-c", "spy_users", "--", "sh", "-c", "ls >/dev/null; sh -c 'id >/dev/null'" })
		assert.equal(0, r.status, r.err)
		local shell = r.out:match("^[%d:.]+ " .. esc(ME) .. " +shell=(%d+) +%d+ +sh %-c ls")
		assert.is_not_nil(shell, r.out)
		assert.matches("\n[%d:.]+ " .. esc(ME) .. " +shell=" .. shell .. " +%d+ +  ls  %[", r.out)
		assert.matches("\n[%d:.]+ " .. esc(ME) .. " +shell=" .. shell .. " +%d+ +    id  %[", r.out)
	end)
end)

describe("list_login_shells", function()
	it("lists the login shells of the commands and counts what ran under each", function()
		-- the spec itself runs under a shell (os.execute), so every traced
		-- command has a login shell outside the capture
		local r = H.lanner({ "-c", "list_login_shells", "--", "sh", "-c", "ls >/dev/null; sh -c 'id >/dev/null'" })
		assert.equal(0, r.status, r.err)
		assert.matches("^Shell ID +User +TTY +Commands +Shell command line\n", r.out)
		local rows = {}
		for l in r.out:gmatch("[^\n]+") do
			local pid, user, n, cmd = l:match("^(%d+) +(%S+) +%S+ +(%d+) (.*)$")
			if pid then rows[#rows + 1] = { pid = tonumber(pid), user = user, n = tonumber(n), cmd = cmd } end
		end
		assert.equal(1, #rows, r.out)
		-- sh, ls, sh, id
		assert.equal(4, rows[1].n)
		assert.equal(ME, rows[1].user)
		assert.are_not.equal("?", rows[1].cmd)
	end)
end)

describe("lsof", function()
	it("lists the fds a process holds when it exits", function()
		local r = H.lanner({ "-c", "lsof", "--", "sh", "-c", "exec 7<" .. d .. "/f; exec 8>" .. d .. "/g; true" })
		assert.equal(0, r.status, r.err)
		assert.matches("COMMAND +PID +TID +USER +FD +TYPE +NAME\n", r.out)
		assert.matches("\nsh +(%d+) +%1 +" .. esc(ME) .. " +7 +file +" .. esc(d) .. "/f\n", r.out)
		assert.matches("\nsh +%d+ +%d+ +%S+ +8 +file +" .. esc(d) .. "/g\n", r.out)
	end)
end)

describe("ps", function()
	it("lists the processes with their parent and command line", function()
		-- with the queue the chisel sees each exit after the fact, when
		-- /proc has nothing of the process left
		local r = H.lanner({ "--queue", "1M", "-c", "ps", "--", "sh", "-c", "ls " .. d .. " >/dev/null; true" })
		assert.equal(0, r.status, r.err)
		assert.matches("^PID +PPID +USER +VIRT +RES +FDS +CMD\n", r.out)
		local shpid, virt = r.out:match("\n(%d+) +%d+ +%S+ +(%S+) +%S+ +%d+ sh %-c ls ")
		assert.is_not_nil(shpid, r.out)
		-- the memory figures as of its exec, kept for chisels
		assert.are_not.equal("0B", virt, r.out)
		assert.matches("\n%d+ +" .. shpid .. " +" .. esc(ME) .. " +%S+ +%S+ +%d+ ls " .. esc(d) .. "\n", r.out)
	end)
end)
