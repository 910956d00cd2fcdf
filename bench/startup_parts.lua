-- Parts of `lanner -R rules/ -- true`'s start-up, each timed alone (CPU
-- time of this thread, the median of RUNS repetitions):
--   1. the code stamp the rules cache is keyed by (lanner's Lua trees and
--      binary, ln_tree_stamp)
--   2. the rules cache's key (the stamp, the rules files read and hashed)
--   3. the cache's fetch (read, bytecode load, tables made, rules revived),
--      and its load and run alone
--   4. the seccomp filter for the packaged rules' types and modes (not
--      their argument predicates), built by libseccomp and exported (both
--      ABIs), as ln_trace_spawn does
-- The first fetch of a fresh process pays page faults for its heap that
-- later ones do not: FIRST is the first run's figure.
--   LANNER_LIB=build/liblanner.so luajit bench/startup_parts.lua
package.path = "lua/?.lua;lua/?/init.lua;build/lua/?.lua;" .. package.path
jit.off()	-- as lanner's start-up runs (cli.lua)
local ffi = require "ffi"
local core = require "lanner.core"
local rules = require "lanner.rules"
local cache = require "lanner.rules.cache"
local session = require "lanner.session"

ffi.cdef [[ int clock_gettime(int clockid, void *tp); ]]
local ts = ffi.new("long[2]")
local function now()
	ffi.C.clock_gettime(3, ts)	-- CLOCK_THREAD_CPUTIME_ID
	return tonumber(ts[0]) * 1e9 + tonumber(ts[1])
end

local RUNS = tonumber(os.getenv("RUNS")) or 31
local root = os.getenv("PWD")
rawset(_G, "LANNER_ROOT", root)	-- as the lanner binary sets it: the cache needs it

local function median(xs)
	table.sort(xs)
	return xs[math.floor((#xs + 1) / 2)]
end

local function time(name, fn)
	local xs, first = {}, nil
	for i = 1, RUNS do
		local t0 = now()
		fn()
		xs[i] = (now() - t0) / 1e6
		first = first or xs[i]
	end
	print(string.format("%-34s median %.3f ms  (first %.3f ms)", name, median(xs), first))
end

local files = {}
for _, n in ipairs(require("lanner.base").list_dir("rules")) do
	if n:match("%.ya?ml$") then files[#files + 1] = "rules/" .. n end
end
table.sort(files)
local dir = os.tmpname()
os.remove(dir)
local opts = { cache_dir = dir }

time("code stamp (ln_tree_stamp)", function()
	local h = core.C.ln_tree_stamp("/proc/self/exe", 0)
	for _, d in ipairs { "/lua/lanner", "/build/luac/lanner", "/build/lua/lanner" } do
		h = core.C.ln_tree_stamp(root .. d, h)
	end
end)
local key
time("rules cache key", function() key = assert(cache.key(files, opts)) end)
local set, how, keep = rules.load_cached(files, opts)
assert(how == "miss" and keep, "a fresh cache folder should miss: " .. tostring(how))
assert(keep())
local deps = { filter = require "lanner.filter", fields = require "lanner.fields", format = require "lanner.format" }
time("rules cache fetch (" .. #set.rules .. " rules)", function() assert(cache.fetch(key, deps)) end)
-- the fetch's two big steps on the file alone: its bytecode loaded, then run
local f = assert(io.open(key.path, "rb"))
local bc = f:read("*a")
f:close()
time(string.format("  cache file (%d KB): load", math.floor(#bc / 1024)), function() assert(loadstring(bc)) end)
local chunk = assert(loadstring(bc))
time("  cache file: run (its tables made)", function() chunk() end)

local sess = assert(session.new())
local need = set:interest()
local modes = {}
for t in pairs(need.types or {}) do
	modes[t] = (need.exit_types == nil or need.exit_types[t]) and "exit" or "entry"
end
sess:trace(modes)
time("seccomp filter build + export", function() assert(core.C.ln_filter_export(sess.s, nil, 0) > 0) end)

os.execute("rm -rf '" .. dir .. "'")
