-- How often a new child's first event comes before its creator's clone
-- event: build/bench/bench_clone_order (40 threads and 40 forks, each
-- child's first act a failing open of /nonexistent/clone_order/<tid>)
-- run RUNS times under lanner with clone events asked for, in three
-- configurations; prints, per configuration, the children seen and how
-- many came first.
--   luajit bench/clone_order.lua        (RUNS=20 by default)
local RUNS = tonumber(os.getenv("RUNS")) or 20
local prog = "build/bench/bench_clone_order"
local FMT = "'*%evt.num %thread.tid %evt.type %evt.rawres %evt.arg.name'"
local CLONES = "evt.type in (clone, clone3, fork, openat)"

local function count(file)
	local created, first = {}, {}
	for l in io.lines(file) do
		local num, tid, ty, res = l:match("^(%d+) (%d+) (%S+) (%S+)")
		if num then
			num = tonumber(num)
			if (ty == "clone" or ty == "clone3" or ty == "fork") and (tonumber(res) or 0) > 0 then
				created[res] = num
			elseif ty == "openat" and l:find("/nonexistent/clone_order/", 1, true) then
				first[tid] = num
			end
		end
	end
	local n, early = 0, 0
	for tid, num in pairs(first) do
		n = n + 1
		if not created[tid] or created[tid] > num then early = early + 1 end
	end
	return n, early
end

local out = os.tmpname()
for _, c in ipairs {
	{ "clone events and opens", "'" .. CLONES .. "'" },
	{ "the same with -R rules/", "-R rules/ '" .. CLONES .. "'" },
	{ "every syscall", "" },
} do
	local seen, early = 0, 0
	for _ = 1, RUNS do
		assert(os.execute(string.format("build/lanner -q --output-file %s -p %s %s -- %s >/dev/null",
			out, FMT, c[2], prog)) == 0)
		local n, e = count(out)
		seen, early = seen + n, early + e
	end
	print(string.format("%-26s %d runs: %d children, %d with an event before their creator's clone event",
		c[1], RUNS, seen, early))
end
os.remove(out)
