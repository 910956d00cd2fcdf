-- LuaJIT's trace limits, raised for lanner's hot loop.
--
-- An event runs one long straight path: the event loop, then every
-- compiled condition of the rules for its type, each comparison inlined
-- with its field getter.  With LuaJIT's defaults that path does not fit in
-- one trace: recording stops at the loop-unroll limit (15) and at 500 IR
-- constants (every field offset, string and set is one), and the loop runs
-- as a patchwork of side traces.  Raising them lets more of it compile as
-- one: on the 2-core CI machine `bench/eval.lua`'s 20-clause condition took
-- about 550 ns per event with the defaults and 240 ns with these (best of 5
-- runs each; preloading package.loaded["lanner.jit_tuning"] = true keeps the
-- defaults, to compare).  The cost is more machine code per trace, so the
-- machine-code area may grow to 8 MB (default 512 KB): when it is full
-- LuaJIT flushes every trace and compiles them all again, which
-- `luajit -jv bench/eval.lua` showed mid-measurement ("failed to allocate
-- mcode memory", then "flush").
local ok, jit = pcall(require, "jit")
-- (jit.opt.start works with the JIT off too: lanner's start-up runs with
-- it off, cli.lua, and the limits must hold once the event loop turns it on)
if ok and jit and jit.opt then
	jit.opt.start("loopunroll=60", "maxirconst=2000", "maxrecord=16000", "maxsnap=2000", "maxmcode=8192")
end
return true
