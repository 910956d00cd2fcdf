-- lanner.cli.check: a command-line filter or -p format that names an event
-- type or a field that does not exist, or a field lanner cannot fill, is an
-- error with a "did you mean"; good ones pass.
local check = require "lanner.cli.check"
local filter = require "lanner.filter"
local H = dofile("spec/fixtures/outputs/helper.lua")

local function filter_err(text, env)
	local ast = assert(filter.parse(text))
	local ok, err = check.filter(ast, env)
	if ok then return nil end
	return err
end

describe("cli.check", function()
	describe("filters", function()
		local bad = {
			{ "evt.type=opn", "unknown event type 'opn'; did you mean open? (lanner -L lists them)" },
			{ "evt.type in (open, opn)", "unknown event type 'opn'; did you mean open?" },
			{ "evt.type != clsoe", "unknown event type 'clsoe'; did you mean close?" },
			{ "syscall.type = 'exceve'", "unknown event type 'exceve'; did you mean execve?" },
			{ "evt.type=mmap2", "event type 'mmap2' is reported as 'mmap' (as Falco does): write evt.type=mmap" },
			{ "proc.nmae=cat", "unknown field 'proc.nmae'; did you mean proc.name? (lanner -l lists them)" },
			{ "evt.type=open and not fd.nmae startswith /etc", "unknown field 'fd.nmae'; did you mean fd.name?" },
			{ "proc.name = val(proc.pnmae)", "unknown field 'proc.pnmae'; did you mean proc.pname?" },
			{ "fd.sip.name = example.com", "field 'fd.sip.name' is not supported by lanner (lanner does no DNS tracking)" },
		}
		for _, c in ipairs(bad) do
			it(c[1], function()
				local err = filter_err(c[1])
				assert.is_string(err)
				assert.matches(c[2], err, 1, true)
			end)
		end

		local good = { "evt.type=open", "evt.type in (open, openat, openat2)", "evt.type startswith opn",
			"proc.name=cat and fd.name contains /etc", "spawned_process and proc.name=sh", "evt.type=procexit" }
		for _, g in ipairs(good) do
			it("passes " .. g, function() assert.is_nil(filter_err(g)) end)
		end

		it("warns, and no more, for a syscall the kernel has and lanner does not trace", function()
			local ok, warnings = check.filter(assert(filter.parse("evt.type in (openat, waitid)")))
			assert.is_true(ok)
			assert.same({ "lanner does not trace waitid: evt.type=waitid matches nothing "
				.. "(lanner -L lists the types it traces)" }, warnings)
		end)

		it("takes a bare word in a list for a list's name where the rules define it", function()
			assert.is_nil(filter_err("evt.type in (my_types)", { lists = { my_types = { "open" } } }))
			assert.matches("unknown event type 'my_types'", filter_err("evt.type in (my_types)", { lists = {} }))
		end)
	end)

	describe("formats", function()
		it("names an unknown field with the nearest one", function()
			local ok, err = check.format("%evt.num %proc.nmae")
			assert.is_nil(ok)
			assert.matches("unknown field 'proc.nmae'; did you mean proc.name?", err, 1, true)
		end)

		it("refuses a field lanner cannot fill", function()
			local ok, err = check.format("%proc.name %fd.sip.name")
			assert.is_nil(ok)
			assert.matches("field 'fd.sip.name' is not supported by lanner", err, 1, true)
		end)

		it("passes a good format", function()
			assert.is_true(check.format("*%evt.num %proc.name %fd.name %evt.arg.flags"))
		end)
	end)

	describe("through build/lanner", function()
		if not H.ready() then
			pending("build/lanner is not built")
			return
		end
		it("a typo in an event type or field is an error before anything runs, exit 2", function()
			for _, c in ipairs {
				{ "'evt.type=opn'", "lanner: filter: unknown event type 'opn'; did you mean open?" },
				{ "-p '%proc.nmae'", "did you mean proc.name?" },
			} do
				local rc, _, err = H.lanner(c[1] .. " -- true")
				assert.equal(2, rc, err)
				assert.matches(c[2], err, 1, true)
			end
		end)
	end)
end)
