-- Opening a file by handle (issue #17): spec/progs/esc_handle runs
-- name_to_handle_at, then open_by_handle_at, the "Shocker" way to a file
-- with no path.  open_by_handle_at is an open for Falco's open fields
-- (evt.is_open_read, fd.name), its fd named by the kernel (the path the
-- program gave is not in the call at all), and the packaged rules alert
-- when the file is a sensitive one.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

teardown(cmp.cleanup)

local FMT = "*%evt.type|%evt.res|%fd.name|%evt.arg.path|%evt.is_open_read|%evt.is_open_write|%fd.typechar|%evt.arg.pathname"
local FILTER = "evt.type in (open_by_handle_at, name_to_handle_at)"

describe("escape: a file opened by handle", function()
	local file = cmp.scratch() .. "/target.txt"
	local link = cmp.scratch() .. "/link"
	setup(function() trace.sh("echo x > " .. file .. " && ln -s target.txt " .. link) end)

	it("both calls are events; the open has the kernel's name of the file, not the symlink's", function()
		local r = cmp.lanner({ "-p", FMT, FILTER }, { trace.prog("esc_handle"), link }, { timeout = 30 })
		assert.equal(0, r.status, r.stdout)
		assert.equal("name: " .. file .. "\n", r.stdout:match("name: .*$"))
		assert.same({
			"name_to_handle_at|SUCCESS|<NA>|<NA>|false|false|<NA>|" .. link,
			"open_by_handle_at|SUCCESS|" .. file .. "|" .. file .. "|true|false|f|<NA>",
		}, r.events)
	end)

	it("the packaged rules alert on /etc/shadow opened by handle", function()
		local r = cmp.lanner({ "-j", "-R", cmp.root .. "/rules" }, { trace.prog("esc_handle"), "/etc/shadow" },
			{ timeout = 30 })
		assert.equal(0, r.status, r.stdout)
		local n = cmp.count(r.events, function(l)
			return l:find('"rule":"Sensitive file opened by handle"', 1, true)
				and l:find('"fd.name":"/etc/shadow"', 1, true)
		end)
		assert.equal(1, n, table.concat(r.events, "\n"))
	end)

	it("a file of its own opened by handle raises nothing", function()
		local r = cmp.lanner({ "-j", "-R", cmp.root .. "/rules" }, { trace.prog("esc_handle"), file }, { timeout = 30 })
		assert.equal(0, r.status, r.stdout)
		assert.same({}, r.events)
	end)
end)
