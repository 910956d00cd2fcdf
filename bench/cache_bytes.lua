-- The Lua side's string caches filled with long strings, as spec/fields_cache_spec.lua
-- fills them: kB each holds after 2,000 paths of 4 KB (the memo of fd.directory
-- and the like) and after 300 processes with 64 KB of environment each
-- (proc.env).  LANNER_LIB=build/liblanner.so luajit bench/cache_bytes.lua
package.path = "lua/?.lua;lua/?/init.lua;build/lua/?.lua;" .. package.path
local cm = require "lanner.fields.common"
local H = require "spec.fields_helper"
local function kb() collectgarbage("collect") collectgarbage("collect") return collectgarbage("count") end
H.reset()
local m = cm.memo(function(s) return s:sub(2) end)
local base = kb()
for i = 1, 2000 do m(("%04d"):format(i) .. ("x"):rep(4092)) end
print("memo of 2000 4 KB paths (kB)", math.floor(kb() - base))
local procs = {}
for i = 1, 300 do
	local env = {}
	for k = 1, 1000 do env[k] = ("V%04d=%03d%s"):format(k, i, ("e"):rep(55)) end
	procs[i] = H.proc { pid = 1000 + i, env = env, args = { "a", "b" } }
end
base = kb()
for i = 1, 300 do H.get(H.event { type = "read", res = 0, thread = H.thread { proc = procs[i] } }, "proc.env") end
print("args/env cache of 300 64 KB environments (kB)", math.floor(kb() - base))
