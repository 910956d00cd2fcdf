-- The rules engine's event scope (lua/lanner/fields/scope.lua): within one
-- Engine:process a getter may keep what it read of the event (the open
-- flags behind evt.is_open_*, asked by about 20 of an open's rules); the
-- next event, and any call outside the engine, reads the event afresh.
local H = require "spec.fields_helper"
local rules = require "lanner.rules"
local scope = require "lanner.fields.scope"
local core = require "lanner.core"

local O_WRONLY, O_RDWR = 1, 2
local FLAGS = core.type_info[core.type_id.openat].pindex.flags

local RULES = [[
- rule: Write to x
  desc: an open for writing of /x
  condition: evt.type = openat and evt.is_open_write = true and fd.name = /x
  output: "write %fd.name"
  priority: WARNING
- rule: Read of x
  desc: an open for reading of /x
  condition: evt.type = openat and evt.is_open_read = true and fd.name = /x
  output: "read %fd.name"
  priority: WARNING
]]

describe("event scope", function()
	local thread, fd
	before_each(function()
		H.reset()
		thread = H.thread { proc = H.proc { pid = 200, comm = "cat" } }
		fd = H.fd { num = 3, type = "FILE", name = "/x" }
	end)

	local function open_ev(flags)
		return H.event { type = "openat", thread = thread, res = 3, fd = fd,
			params = { name = "/x", dirfd = -100, flags = flags } }
	end

	local function engine()
		local set = rules.load { { name = "scope.yaml", content = RULES } }
		assert.same({}, set.errors)
		return set:engine { hostname = "h" }
	end

	it("is open while the engine evaluates an event, for that event only", function()
		local set = rules.load { { name = "scope.yaml", content = RULES } }
		local seen, other = {}, open_ev(0)
		for _, r in ipairs(set.rules) do
			local fn = r.fn
			r.fn = function(ev)
				seen[#seen + 1] = { scope.of(ev), scope.of(other) }
				return fn(ev)
			end
		end
		-- read and write: both rules are evaluated (the engine leaves out
		-- an open's rules that need what the open does not do)
		local ev = open_ev(O_RDWR)
		assert.are.equal(0, scope.of(ev))
		local _, n = set:engine({ hostname = "h", rule_matching = "all" }):process(ev)
		assert.are.equal(2, n)
		assert.are.equal(2, #seen)
		assert.are_not.equal(0, seen[1][1])
		assert.are.equal(seen[1][1], seen[2][1])   -- one scope for all the event's rules
		assert.are.equal(0, seen[1][2])            -- another event is not the scope's
		assert.are.equal(0, scope.of(ev))          -- closed once process returned
	end)

	it("keeps a read for the event in scope, and reads afresh in the next scope", function()
		local ev = open_ev(O_WRONLY)
		scope.enter(ev)
		assert.is_true(H.get(ev, "evt.is_open_write"))
		ev.params[FLAGS].val = 0                  -- kept within the scope
		assert.is_true(H.get(ev, "evt.is_open_write"))
		scope.leave()
		assert.is_false(H.get(ev, "evt.is_open_write"))
		scope.enter(ev)
		assert.is_true(H.get(ev, "evt.is_open_read"))
		scope.leave()
	end)

	it("gives each event its own answers, the same cdata changed between events too", function()
		local e = engine()
		local ev = open_ev(O_WRONLY)
		local alerts, n = e:process(ev)
		assert.are.equal(1, n)
		assert.are.equal("Write to x", alerts[1].rule)
		-- the loop may hand the next event in the same memory
		ev.params[FLAGS].val = 0
		alerts, n = e:process(ev)
		assert.are.equal(1, n)
		assert.are.equal("Read of x", alerts[1].rule)
		-- outside the engine (filters, formats): always the event as it is
		ev.params[FLAGS].val = O_WRONLY
		assert.is_true(H.get(ev, "evt.is_open_write"))
		assert.is_false(H.get(ev, "evt.is_open_read"))
	end)
end)
