-- Lua-side cost per event type on real events: a capture replayed through
-- the rules, each engine:process timed (CLOCK_MONOTONIC, about 20 ns of
-- it the clock).  Hand-built events (bench/eval.lua) follow few paths
-- through the rules; a real stream mixes them, and its cost is set by how
-- LuaJIT's side traces fare.
--   build/lanner -q -w /tmp/x.lcap -- make -C <copy of the repo> -j2
--   LANNER_LIB=build/liblanner.so luajit bench/replay_eval.lua /tmp/x.lcap [rules files]
-- TOP=n prints the n costliest types (15); REPEAT=n replays n times;
-- JIT=off keeps the JIT off, as lanner runs its first 2000 events
-- (cli/run.lua): what a short run such as the python bench costs.
-- With `luajit -jp=Fi1m0` or `-jv=FILE` in front it profiles the same.
package.path = "lua/?.lua;lua/?/init.lua;build/lua/?.lua;" .. package.path
local ffi = require "ffi"
local fields = require "lanner.fields"
local rules = require "lanner.rules"
local session = require "lanner.session"

ffi.cdef [[ int clock_gettime(int clockid, void *tp); ]]
local ts = ffi.new("long[2]")
local function now()
	ffi.C.clock_gettime(1, ts)
	return tonumber(ts[0]) * 1e9 + tonumber(ts[1])
end

local cap = assert(arg[1], "usage: luajit bench/replay_eval.lua CAPTURE [rules files]")
local files = { select(2, unpack(arg)) }
if #files == 0 then
	files = { "rules/00-lists-macros.yaml", "rules/05-escapes.yaml", "rules/10-files.yaml",
		"rules/20-process.yaml", "rules/30-network.yaml", "rules/40-system.yaml" }
end
-- off while loading, as in lanner (cli.lua)
jit.off()
local rs = rules.load(files)
assert(#rs.errors == 0, tostring(rs.errors[1]))
local engine = rules.engine(rs, {})
local type_name = engine.type_name
if os.getenv("JIT") ~= "off" then jit.on() end

local per, cnt = {}, {}
for _ = 1, tonumber(os.getenv("REPEAT") or 1) do
	local sess = assert(session.open_capture(cap, {}))
	fields.set_session(sess.s)
	while true do
		local ev = sess:next(-1)
		if not ev then break end
		local t = type_name(ev)
		local t0 = now()
		local alerts = engine:process(ev)
		local d = now() - t0
		per[t], cnt[t] = (per[t] or 0) + d, (cnt[t] or 0) + 1
		if alerts == nil then break end
	end
end
local names = {}
for k in pairs(per) do names[#names + 1] = k end
table.sort(names, function(a, b) return per[a] > per[b] end)
for i = 1, math.min(tonumber(os.getenv("TOP") or 15), #names) do
	local k = names[i]
	print(string.format("%10.3f ms %9d events %7.0f ns  %s", per[k] / 1e6, cnt[k], per[k] / cnt[k], k))
end
