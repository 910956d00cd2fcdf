-- What the core keeps of a file's and a process's identity (issue #17):
-- the executable's inode, device and times at exec, which traced process
-- last wrote it (proc.exe_writer, followed through a rename), the name exec
-- gave a process beside the one it gives itself (proc.name, proc.comm), a
-- FIFO on stdio seen as a pipe, and the times utimensat and futimesat set.
-- Runs build/lanner -p on small shell lines.
local H = require "spec.fixtures.detect.harness"
local q = H.q

-- The -p lines of `lanner -p FMT FILTER -- sh -c LINE`.
local function lines(fmt, filter, line)
	local rc, out, err = H.sh("timeout -k 5 60 " .. H.LANNER .. " -q -p " .. q(fmt) .. " " .. q(filter)
		.. " -- sh -c " .. q(line))
	assert.are.equal(0, rc, err)
	local list = {}
	for l in out:gmatch("[^\n]+") do list[#list + 1] = l end
	return list
end

describe("core: identity", function()
	local dir
	before_each(function() dir = H.tmpdir() end)
	after_each(function() H.sh("rm -rf " .. q(dir)) end)

	it("keeps the executable's inode and mtime at exec, and who in the tree wrote it", function()
		local x, y = dir .. "/x", dir .. "/y"
		local got = lines("*%proc.name %proc.exe_ino %proc.exe_ino.mtime %proc.exe_writer",
			"evt.type = execve and evt.rawres = 0 and proc.exepath startswith " .. dir,
			-- (utime, not touch: touch opens the file for writing)
			"cp /bin/true " .. x .. " && python3 -c 'import os,sys; os.utime(sys.argv[1], (1, 978307200))' " .. x
				.. " && " .. x .. " && mv " .. x .. " " .. y .. " && " .. y)
		local _, out = H.sh("stat -c %i " .. q(y))
		local ino = out:gsub("%s+$", "")
		-- the copy was written by cp; the rename keeps its inode, so its writer
		assert.are.same({ "x " .. ino .. " 978307200000000000 cp", "y " .. ino .. " 978307200000000000 cp" }, got)
	end)

	it("leaves exe_writer empty for a program the tree did not write", function()
		assert.are.same({ "true <NA>" }, lines("*%proc.name %proc.exe_writer",
			"evt.type = execve and evt.rawres = 0 and proc.name = true", "/bin/true"))
	end)

	it("proc.name is what exec ran; proc.comm the name the process set with prctl", function()
		local got = lines("*%proc.name %proc.comm", "evt.type = openat and fd.name = /etc/hostname",
			"python3 spec/rules/evade.py rename-as sshd /etc/hostname")
		assert.are.same({ "python3 sshd" }, got)
	end)

	it("a FIFO on stdin is a pipe, with its inode", function()
		local f = dir .. "/f"
		local got = lines("*%proc.name %proc.stdin.type %proc.stdin.ino",
			"evt.type = execve and evt.rawres = 0 and proc.name = cat",
			"mkfifo " .. f .. " && (echo x > " .. f .. " &) && cat < " .. f .. " > /dev/null")
		local _, out = H.sh("stat -c %i " .. q(f))
		assert.are.same({ "cat pipe " .. out:gsub("%s+$", "") }, got)
	end)

	it("utimensat and futimesat carry the times they set, and the file they set them on", function()
		local f = dir .. "/f"
		local got = lines("*%evt.type %fs.path.name %evt.rawarg.times %evt.arg.times",
			"evt.type in (utimensat, futimesat) and evt.rawres = 0",
			"touch " .. f .. " && touch -d @978307200.5 " .. f .. " && touch -a -d @1 " .. f .. " && python3 -c "
				.. q("import ctypes,sys; tv=(ctypes.c_long*4)(1,0,978307200,250000);"
					.. " ctypes.CDLL(None).syscall(261, -100, sys.argv[1].encode(), tv)") .. " " .. f)
		assert.are.same({
			"utimensat " .. f .. " -1 NULL",                                  -- touch: now
			"utimensat " .. f .. " 978307200500000000 [978307200.500000000, 978307200.500000000]",
			"utimensat " .. f .. " -2 [1.000000000, UTIME_OMIT]",          -- -a: mtime kept
			"futimesat " .. f .. " 978307200250000000 [1.000000000, 978307200.250000000]",
		}, got)
	end)
end)
