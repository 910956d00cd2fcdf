-- The data-echo chisels and the I/O byte counters, over programs whose
-- reads and writes are known.  The chisels write to --output-file so that
-- the traced program's own output stays apart.
local H = require "spec.fixtures.chisels.support.helper"

local d
before_each(function()
	d = H.tmpdir()
	H.write(d .. "/f", string.rep("y", 2000))
end)
after_each(function() H.rmdir(d) end)

-- Runs lanner with the chisel writing to a file (a new one each run:
-- --output-file appends): returns the run and the chisel's output.
local nrun = 0
local function run(chisel_args, cmd, opts)
	nrun = nrun + 1
	local file = d .. "/chisel" .. nrun .. ".out"
	local args = { "--output-file", file }
	for _, a in ipairs(chisel_args) do args[#args + 1] = a end
	args[#args + 1] = "--"
	for _, a in ipairs(cmd) do args[#args + 1] = a end
	local r = H.lanner(args, opts)
	return r, H.read(file) or ""
end

describe("spy_file", function()
	it("echoes the reads and writes of one file, with the data", function()
		local s = d .. "/s"
		local r, out = run({ "-c", "spy_file", s }, { "sh", "-c",
			"echo hello-spy > " .. s .. "; cat " .. s .. " >/dev/null; cat " .. d .. "/f >/dev/null" })
		assert.equal(0, r.status, r.err)
		assert.matches("%-%-%-%-%-%- [%d:.]+ Write 10B to " .. s:gsub("%p", "%%%0") .. " %(sh %d+%) write\nhello%-spy\n", out)
		assert.matches("%-%-%-%-%-%- [%d:.]+ Read 10B from " .. s:gsub("%p", "%%%0") .. " %(cat %d+%) read\nhello%-spy\n", out)
		assert.not_matches(d:gsub("%p", "%%%0") .. "/f", out)
	end)

	it("watches a directory for writes only", function()
		local r, out = run({ "-c", "spy_file", d .. "/ W" }, { "sh", "-c",
			"echo one > " .. d .. "/a; cat " .. d .. "/a >/dev/null; cat /etc/hostname >/dev/null" })
		assert.equal(0, r.status, r.err)
		assert.matches("Write 4B to " .. d:gsub("%p", "%%%0") .. "/a", out)
		assert.not_matches("Read", out)
		assert.not_matches("hostname", out)
	end)

	it("raises the snaplen so that long writes come whole", function()
		local line = string.rep("0123456789", 50)
		local r, out = run({ "-c", "spy_file", d .. "/long" }, { "sh", "-c",
			"echo " .. line .. " > " .. d .. "/long" })
		assert.equal(0, r.status, r.err)
		assert.matches("Write 501B", out)
		assert.matches("\n" .. line .. "\n", out)
	end)
end)

-- One process writes into a pipe and reads it back (a shell pipeline
-- would fork, and a forked child's fds are the core's business).
local PIPE = { "perl", "-e", "pipe(R, W); syswrite(W, qq(piped-data\\n)); sysread(R, $b, 11)" }

describe("echo_fds", function()
	it("shows the data going through a pipe, both ends", function()
		local r, out = run({ "-c", "echo_fds" }, PIPE)
		assert.equal(0, r.status, r.err)
		assert.matches("Write 11B to pipe:%[(%d+)%] %(perl %d+%) write\npiped%-data\n", out)
		local ino = out:match("Write 11B to pipe:%[(%d+)%]")
		assert.matches("Read 11B from pipe:%[" .. ino .. "%] %(perl %d+%) read\npiped%-data\n", out)
	end)

	it("narrows with a command-line filter", function()
		local r, out = run({ "-c", "echo_fds", "evt.is_io_read=true" }, PIPE)
		assert.equal(0, r.status, r.err)
		assert.matches("Read 11B from pipe", out)
		assert.not_matches("Write", out)
	end)
end)

describe("stdin, stdout, stderr", function()
	it("stdin shows what the program reads on fd 0", function()
		local r, out = run({ "-c", "stdin" }, { "head", "-n", "1" }, { stdin = "from-stdin\n" })
		assert.equal(0, r.status, r.err)
		assert.matches("Read 11B from %S+ %(head %d+%) read\nfrom%-stdin\n", out)
		assert.not_matches("Write", out)
	end)

	it("stdout shows fd 1 only, stderr fd 2 only", function()
		-- ls writes its complaint on fd 2 (sh's `>&2` would write on fd 1)
		local cmd = { "sh", "-c", "echo to-out; ls /nonexistent-xyz; true" }
		local r, out = run({ "-c", "stdout" }, cmd)
		assert.equal(0, r.status, r.err)
		assert.matches("Write 7B to %S+ %(sh %d+%) write\nto%-out\n", out)
		assert.not_matches("nonexistent%-xyz", out)
		r, out = run({ "-c", "stderr" }, cmd)
		-- stderr is unbuffered: ls writes its message in pieces
		assert.matches("Write 4B to %S+ %(ls %d+%) write\nls: \n", out)
		assert.matches("write\ncannot access '/nonexistent%-xyz'\n", out)
		assert.not_matches("to%-out", out)
	end)
end)

describe("iobytes", function()
	it("totals the bytes read and written", function()
		local r, out = run({ "-c", "iobytes" }, { "dd", "if=/dev/zero", "of=" .. d .. "/out", "bs=3000", "count=1",
			"status=none" })
		assert.equal(0, r.status, r.err)
		assert.matches("total all I/O +in: %S+ +out: %S+ +total: %S+", out)
		local rd, wr = out:match("(%d+) bytes read, (%d+) bytes written")
		assert.is_true(tonumber(wr) >= 3000 and tonumber(rd) >= 3000, out)
	end)

	it("iobytes_file hands over to iobytes for files (exact bytes written)", function()
		local r, out = run({ "-c", "iobytes_file" }, { "dd", "if=/dev/zero", "of=" .. d .. "/out", "bs=3000",
			"count=1", "status=none" })
		assert.equal(0, r.status, r.err)
		assert.matches("total file I/O", out)
		assert.matches("; %d+ bytes read, 3000 bytes written", out)
	end)

	it("prints per interval when asked", function()
		local r, out = run({ "-c", "iobytes_file", "1" }, { "sh", "-c",
			"cat " .. d .. "/f >/dev/null; sleep 1.2; cat " .. d .. "/f >/dev/null; sleep 1" })
		assert.equal(0, r.status, r.err)
		local n = 0
		for _ in out:gmatch("\n?%d%d:%d%d:%d%d +in:") do n = n + 1 end
		assert.is_true(n >= 2, out)
		assert.matches("total file I/O", out)
	end)
end)
