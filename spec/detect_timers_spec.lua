-- d.every runs on event time: the same timers fire over a capture as they
-- did live; with no event coming, the clock runs on by wall time.
local H = require "spec.fixtures.detect.harness"

local F = H.ROOT
local ACT = H.build_act()

local function ticks(alerts)
	local out = {}
	for _, a in ipairs(H.of_rule(alerts, "Tick")) do out[#out + 1] = a.output_fields.opens end
	return out
end

describe("detection timers", function()
	local steps = { ACT, "read", "/etc/hostname", "sleepms", "1100", "read", "/etc/hostname",
		"sleepms", "1100", "read", "/etc/hostname" }

	it("fire by event time live and again the same over a capture", function()
		local cap = os.tmpname() .. ".lcap"
		local args = { "-w", cap, "--script", F .. "ticker.lua", "--" }
		for _, s in ipairs(steps) do args[#args + 1] = s end
		local rc, live = H.cli(args)
		assert.are.equal(0, rc)
		-- ticks come with the events after each second: 1 open seen, then 2
		assert.are.same({ 1, 2 }, ticks(live))
		local rc2, replay, err = H.cli({ "--script", F .. "ticker.lua", "-r", cap })
		os.remove(cap)
		assert.are.equal(0, rc2, err)
		assert.are.same(ticks(live), ticks(replay))
		local live_ticks = H.of_rule(live, "Tick")
		for i, a in ipairs(H.of_rule(replay, "Tick")) do
			-- the capture's times, not today's
			assert.are.equal(live_ticks[i].output_fields.now, a.output_fields.now)
			assert.are.equal(live_ticks[i].time, a.time)
		end
		-- no event at a timer: its fields print <NA>
		assert.matches("tick by <NA>$", replay[1].output)
	end)

	it("fire on wall time while the program is quiet", function()
		local r = assert(H.trace({ F .. "ticker.lua" },
			{ ACT, "read", "/etc/hostname", "sleepms", "2500", "read", "/etc/hostname" }))
		assert.are.equal(0, r.status)
		local t = ticks(r.alerts)
		-- two ticks in the quiet 2.5 s: each had seen only the first open
		assert.is_true(#t >= 2, #t .. " ticks")
		assert.are.same({ 1, 1 }, { t[1], t[2] })
		assert.are.equal(require("lanner.json").null, r.alerts[1].output_fields["proc.name"])
	end)
end)
