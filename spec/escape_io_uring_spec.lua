-- Escape through io_uring (issue #17): spec/progs/esc_io_uring reads a file
-- with IORING_OP_OPENAT and IORING_OP_READ, raw syscalls, no open or read
-- syscall of its own.  lanner cannot see the ring's operations: the
-- packaged rules say that I/O is now out of sight, and --refuse-io-uring
-- (config refuse_io_uring) makes io_uring_setup fail with EPERM, as
-- container runtimes' default seccomp profiles do: a program that falls
-- back to plain calls keeps working (and is seen), one that requires
-- io_uring fails.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

teardown(cmp.cleanup)

local FMT = "*%evt.type %evt.res %fd.name"
local FILTER = "evt.type in (io_uring_setup, openat, read) and proc.name = esc_io_uring"

describe("escape: io_uring", function()
	local file, want, untraced

	setup(function()
		file = cmp.scratch() .. "/secret.txt"
		want = "the-secret-" .. tostring(os.time())
		local f = assert(io.open(file, "w"))
		f:write(want, "\n")
		f:close()
		untraced = cmp.run { trace.prog("esc_io_uring"), file }
	end)

	local function opened(r)
		return cmp.count(r.events, function(l) return l:find(file, 1, true) ~= nil end)
	end

	it("untraced: the file is read through the ring", function()
		assert.equal(0, untraced.status)
		assert.equal("setup: ok\nvia io_uring: " .. (#want + 1) .. " bytes\n" .. want .. "\n", untraced.stdout)
	end)

	-- documented: what lanner cannot see
	it("traced: the read works and no event names the file; io_uring_setup is an event", function()
		local r = cmp.lanner({ "-p", FMT, FILTER }, { trace.prog("esc_io_uring"), file }, { timeout = 30 })
		assert.equal(untraced.stdout, r.stdout)
		assert.equal(0, opened(r), table.concat(r.events, "\n"))
		assert.equal(1, cmp.count(r.events, function(l) return l:match("^io_uring_setup SUCCESS") end))
	end)

	it("the packaged rules alert on the set-up", function()
		local r = cmp.lanner({ "-j", "-R", cmp.root .. "/rules" }, { trace.prog("esc_io_uring"), file }, { timeout = 30 })
		assert.equal(untraced.stdout, r.stdout)
		local n = cmp.count(r.events, function(l)
			return l:find('"rule":"io_uring instance created"', 1, true) and l:find('"evt.res":"SUCCESS"', 1, true)
		end)
		assert.equal(1, n, table.concat(r.events, "\n"))
	end)

	it("--refuse-io-uring: set-up fails with EPERM, the program falls back to read and is seen", function()
		local r = cmp.lanner({ "--refuse-io-uring", "-p", FMT, FILTER }, { trace.prog("esc_io_uring"), file },
			{ timeout = 30 })
		assert.equal("setup: EPERM\nvia read: " .. (#want + 1) .. " bytes\n" .. want .. "\n", r.stdout)
		assert.equal(1, cmp.count(r.events, function(l) return l:match("^io_uring_setup EPERM") end))
		assert.equal(1, cmp.count(r.events, function(l) return l == "openat SUCCESS " .. file end),
			table.concat(r.events, "\n"))
	end)

	it("refuse_io_uring in the config: a program that requires io_uring fails", function()
		local r = cmp.lanner({ "-o", "refuse_io_uring=true", "evt.type = io_uring_setup" },
			{ trace.prog("esc_io_uring"), file, "strict" }, { timeout = 30 })
		assert.equal(1, r.status)
		assert.equal("setup: EPERM\n", r.stdout)
	end)

	it("refused even when no rule or filter asks for io_uring_setup", function()
		local r = cmp.lanner({ "--refuse-io-uring", "evt.type = getpid" }, { trace.prog("esc_io_uring"), file, "strict" },
			{ timeout = 30 })
		assert.equal("setup: EPERM\n", r.stdout)
	end)
end)
