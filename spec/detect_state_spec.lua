-- Per-process and per-container state of detection scripts: made on first
-- use, kept two minutes (event time) after the process exits (procexit) for
-- later steps to find, freed by the sweep after that or when the exit was
-- not seen; a reused pid starts afresh.
local H = require "spec.fixtures.detect.harness"
local state = require "lanner.detect.state"
local ffi = require "ffi"
require "lanner.core" -- the cdef (ln_proc)

local F = H.ROOT
local ACT = H.build_act()

local function kb()
	collectgarbage("collect")
	collectgarbage("collect")
	return collectgarbage("count")
end

describe("detection state", function()
	it("keeps the state of 1,000 processes that come and go for two minutes, then frees its memory", function()
		-- warm up: modules, compiled conditions, field caches
		assert(H.trace({ F .. "heavy_state.lua" }, { ACT, "fork", "20", "/etc/hostname" }))
		local base = kb()
		local peak_procs, peak_kb = 0, 0
		local r = assert(H.trace({ F .. "heavy_state.lua" }, { ACT, "fork", "1000", "/etc/hostname" }, {
			after_event = function(host)
				local n = host:stats().procs
				if n > peak_procs then
					peak_procs = n
					if n % 100 == 0 then peak_kb = math.max(peak_kb, collectgarbage("count")) end
				end
			end,
		}))
		assert.are.equal(0, r.status)
		assert.are.equal(1000, r.host.scripts[1].env.calls)
		-- all alive at once (act's fork gate), all gone at the end
		assert.are.equal(1000, peak_procs)
		assert.is_true(peak_kb - base > 5000, "the state was held: " .. (peak_kb - base) .. " kB")
		local st = r.host:stats()
		assert.are.equal(0, st.procs)
		assert.are.equal(0, st.containers)
		-- the exited ones are still found (d.proc), until two minutes pass
		local procs = r.host.scripts[1].procs
		local pid = next(procs.recent_by_pid)
		assert.is_string(procs:recent_of(pid).state.blob)
		assert.is_true(kb() - base > 5000, "exited processes' state kept")
		r.host.clock.now = r.host.clock.now + state.RECENT_NS
		r.host:sweep()
		assert.is_nil(procs:recent_of(pid))
		local after = kb()
		assert.is_true(after - base < 1000, "memory back near its base: +" .. (after - base) .. " kB")
	end)
end)

describe("state records", function()
	local function cproc(pid, start, cid)
		local p = ffi.new("ln_proc")
		p.pid, p.start_ts = pid, start
		local keep = cid and ffi.new("char[?]", #cid + 1, cid)
		p.container_id = keep
		return p, keep
	end

	it("gives a reused pid a fresh record", function()
		local procs = state.new()
		local p1 = cproc(42, 1000)
		local r1 = procs:of_proc(p1)
		r1.state.x = 1
		assert.are.equal(r1, procs:of_proc(p1))
		local p2 = cproc(42, 2000)
		local r2 = procs:of_proc(p2)
		assert.are_not.equal(r1, r2)
		assert.is_nil(r2.state.x)
		assert.are.equal(1, procs.n)
	end)

	it("shares a container's table among its processes, freed with the last", function()
		local procs = state.new()
		local a, ka = cproc(1, 1, "abc123")
		local b, kb2 = cproc(2, 1, "abc123")
		local h = cproc(3, 1, nil)
		local ra, rb, rh = procs:of_proc(a), procs:of_proc(b), procs:of_proc(h)
		assert.are.equal("abc123", ra.container_id)
		assert.are.equal("host", rh.container_id)
		ra.container.n = 5
		assert.are.equal(5, rb.container.n)
		assert.is_nil(rh.container.n)
		assert.are.equal(2, procs.nc)
		procs:free(1)
		assert.are.equal(5, procs:of_proc(b).container.n)
		procs:free(2)
		assert.is_nil(procs.cstate.abc123)
		assert.are.equal(1, procs.nc)
		-- a new process of that container starts with an empty table
		local c, kc = cproc(4, 1, "abc123")
		assert.is_nil(procs:of_proc(c).container.n)
		assert(ka and kb2 and kc)
	end)

	it("sweeps records of processes the core no longer knows", function()
		local procs = state.new()
		local alive = {}
		for pid = 1, 10 do
			local p = cproc(pid, 7)
			procs:of_proc(p)
			if pid % 2 == 0 then alive[pid] = p end
		end
		-- pid 4 was reused: another start time
		alive[4] = cproc(4, 8)
		assert.are.equal(6, procs:sweep(function(pid) return alive[pid] end))
		assert.are.equal(4, procs.n)
		assert.is_nil(procs.by_pid[4])
		assert.is_not_nil(procs.by_pid[6])
	end)
end)
