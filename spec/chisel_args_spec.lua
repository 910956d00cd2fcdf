-- Chisel arguments (sysdig's splitting and matching), how many command-line
-- words a chisel takes, and the -cl / -i listings.
local argm = require "lanner.chisel.args"
local H = require "spec.fixtures.chisels.support.helper"

describe("chisel argument splitting", function()
	it("splits on spaces and keeps quoted words whole", function()
		assert.same({ "a", "b c", "d" }, argm.split("a 'b c' d"))
		assert.same({ "x y", "z" }, argm.split("`x y` z"))
		assert.same({ "/etc/passwd" }, argm.split("  /etc/passwd  "))
		assert.same({}, argm.split(""))
		assert.same({}, argm.split(nil))
		assert.same({ "", "b" }, argm.split("'' b"))
	end)

	it("refuses an unterminated quote", function()
		local v, err = argm.split("a 'b")
		assert.is_nil(v)
		assert.matches("unterminated", err)
	end)

	it("joins values back as chisel.exec hands them over", function()
		assert.equal("a 'b c' 7", argm.join({ "a", "b c", 7 }))
		assert.same({ "a", "b c", "7" }, argm.split(argm.join({ "a", "b c", 7 })))
	end)
end)

describe("chisel argument matching", function()
	local decl = assert(argm.declared({
		{ name = "one", description = "first", argtype = "string" },
		{ name = "two", description = "second", argtype = "int", optional = true },
	}))

	it("binds values to names in order", function()
		local b = assert(argm.bind(decl, { "x", "3" }, "t"))
		assert.same({ { name = "one", value = "x" }, { name = "two", value = "3" } }, b)
		assert.equal(1, #assert(argm.bind(decl, { "x" }, "t")))
	end)

	it("reports missing and extra values as sysdig does", function()
		local b, err = argm.bind(decl, {}, "t")
		assert.is_nil(b)
		assert.equal("wrong number of parameters for chisel t, 1 required, 0 given", err)
		b, err = argm.bind(decl, { "a", "b", "c" }, "t")
		assert.is_nil(b)
		assert.equal("too many parameters for chisel t, 1 required, 1 optional, 3 given", err)
	end)

	it("gives the words after the last filter argument to it", function()
		local fdecl = assert(argm.declared({ { name = "filter", argtype = "filter", optional = true } }))
		local b = assert(argm.bind(fdecl, { "fd.name", "contains", "x" }, "t"))
		assert.equal("fd.name contains x", b[1].value)
	end)

	it("checks the args table", function()
		assert.is_nil(argm.declared(nil))
		assert.is_nil(argm.declared({ "not a table" }))
		assert.is_nil(argm.declared({ { description = "no name" } }))
	end)
end)

describe("chisel.nargs", function()
	local chisel = require "lanner.chisel"

	it("is 0 for a chisel without arguments, 1 with a required one", function()
		assert.equal(0, chisel.nargs("topscalls_none_such"))
		assert.equal(0, chisel.nargs("echo_fds"))
		assert.equal(1, chisel.nargs("spy_port"))
		assert.equal(1, chisel.nargs("spy_port", "--"))
	end)

	it("takes an optional argument unless the next word is a filter, an option or --", function()
		assert.equal(1, chisel.nargs("spy_file"))
		assert.equal(1, chisel.nargs("spy_file", "/etc/passwd"))
		assert.equal(0, chisel.nargs("spy_file", "proc.name=cat"))
		assert.equal(0, chisel.nargs("spy_file", "-M"))
		assert.equal(0, chisel.nargs("spy_file", "--"))
		-- lsof's one argument is itself a filter
		assert.equal(1, chisel.nargs("lsof", "fd.type=ipv4"))
	end)
end)

describe("lanner -cl and -i", function()
	it("lists the packaged chisels by category with their short description", function()
		local r = H.lanner({ "-cl" })
		assert.equal(0, r.status)
		assert.matches("Category: I/O\n%-+\n", r.out)
		assert.matches("\nspy_file +Echo any read/write made on files\n", r.out)
		assert.matches("Category: System State", r.out)
		local n = 0
		for _ in r.out:gmatch("\n[%w_]+ +%S[^\n]*") do n = n + 1 end
		assert.is_true(n >= 32, "only " .. n .. " chisels listed")
		assert.not_matches("report", r.out) -- the helper library is no chisel
	end)

	it("adds LANNER_CHISEL_PATH directories, hides hidden chisels", function()
		local r = H.lanner({ "-cl" }, { path = H.FIXTURES })
		assert.matches("\nsysdig_countsc +syscall count\n", r.out)
		assert.not_matches("hidden_one", r.out)
		assert.matches("\ntopscalls ", r.out)
	end)

	it("describes a chisel and its arguments", function()
		local r = H.lanner({ "-i", "spy_port" })
		assert.equal(0, r.status)
		assert.matches("Category: Net", r.out)
		assert.matches("Prints the data the traced programs send", r.out)
		assert.matches("%[int%] port %- the port number", r.out)
		r = H.lanner({ "-i", "no_such_chisel" })
		assert.are_not.equal(0, r.status)
		assert.matches("no_such_chisel not found", r.err)
	end)
end)
