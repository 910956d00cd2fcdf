-- The binary loads lanner's modules as bytecode (build/luac, made by make)
-- unless a module's source is newer: a developer's edit is never shadowed
-- by stale bytecode.
local trace = require "spec.helpers.trace"

local ROOT = os.getenv("PWD")

describe("bytecode modules", function()
	it("has bytecode for every module of lua/lanner", function()
		local srcs = trace.sh("cd lua && find lanner -name '*.lua' | sort")
		for f in srcs:gmatch("[^\n]+") do
			local h = io.open("build/luac/" .. f, "rb")
			assert.is_not_nil(h, "build/luac/" .. f)
			local head = h:read(3)
			h:close()
			assert.equal("\27LJ", head, f .. " is LuaJIT bytecode")
		end
	end)

	it("takes a source newer than its bytecode, and the bytecode otherwise", function()
		local T = trace.mkdtemp()
		assert.equal(0, select(2, trace.sh(("cp -r lua %s/lua && mkdir -p %s/build && cp -r build/luac build/lua %s/build/")
			:format(T, T, T))))
		local mod = T .. "/lua/lanner/jit_tuning.lua"
		local f = assert(io.open(mod))
		local text = f:read("*a")
		f:close()
		f = assert(io.open(mod, "w"))
		f:write('io.stderr:write("jit_tuning from source\\n")\n', text)
		f:close()
		local run = ("LANNER_ROOT=%s %s/build/lanner -q -- true 2>&1"):format(T, ROOT)
		local out, rc = trace.sh(run)
		assert.equal(0, rc, out)
		assert.truthy(out:find("jit_tuning from source", 1, true), "the edited source was loaded")
		-- the same source, compiled after the edit: the bytecode wins again
		-- (it lacks the edit only if the source was not read)
		trace.sh(("sleep 0.01; cp %s/build/luac/lanner/jit_tuning.lua %s/build/luac/lanner/jit_tuning.lua.tmp && mv %s/build/luac/lanner/jit_tuning.lua.tmp %s/build/luac/lanner/jit_tuning.lua")
			:format(T, T, T, T))
		out = trace.sh(run)
		assert.falsy(out:find("jit_tuning from source", 1, true), "the newer bytecode was loaded")
		trace.rmrf(T)
	end)
end)
