-- The cache of loaded rule sets (lua/lanner/rules/cache.lua): a kept set
-- gives the same alerts and warnings as the files it came from; a change
-- to the files or to lanner is a miss; a file someone else could have
-- written, a damaged one or one for other rules is not used; a set with
-- errors is never kept; the folder stays bounded.  And below that, a
-- condition's function made again from its description (revive) agrees
-- with the compiled one.
local trace = require "spec.helpers.trace"
local filter = require "lanner.filter"
local compile = require "lanner.filter.compile"
local fakecat = require "lanner.filter.fakecat"
local cache = require "lanner.rules.cache"

local ROOT = os.getenv("PWD")
local L = ROOT .. "/build/lanner"

local RULES = [==[
- list: shells
  items: [sh, bash, dash, zsh, ksh, csh, tcsh, fish, ash, mksh, busybox, rbash]
- macro: opened
  condition: evt.type in (open, openat, openat2) and evt.dir = <
- rule: read hostname
  desc: an in list of a list, on the core's bytes
  condition: opened and fd.name = /etc/hostname and proc.name in (shells, cat, head)
  output: "A1 %proc.name %fd.name %evt.res"
  priority: WARNING
- rule: regex on name
  desc: a compiled regex
  condition: opened and fd.name regex '/etc/pass[a-z]+' and not fd.name startswith /proc
  output: "A2 %fd.name %proc.name"
  priority: NOTICE
- rule: pmatch and glob
  desc: prefixes and a glob
  condition: opened and (fd.name pmatch (/etc/group, /nonexistent) or fd.name glob '/etc/gr*p')
  output: "A3 %fd.name %fd.directory"
  priority: INFO
- rule: exec with a big number
  desc: an int64 constant
  condition: evt.type = execve and evt.dir = < and proc.pid < 99999999999999999 and proc.name in (shells)
  output: "A4 %proc.name %proc.args"
  priority: INFO
- rule: field against field
  desc: val()
  condition: opened and fd.name = val(fd.name) and fd.typechar = f and fd.filename in (shadow, services)
  output: "A5 %fd.filename"
  priority: INFO
- rule: with exceptions
  desc: exceptions
  condition: opened and fd.directory = /etc
  exceptions:
    - name: known
      fields: [fd.filename]
      values: [[passwd], [group], [hostname]]
  output: "A6 %fd.name"
  priority: INFO
- rule: no type
  desc: a warning to be given again from the cache
  condition: proc.name = nosuchprogramxyz
  output: "A7"
  priority: INFO
]==]

local WORK = "cat /etc/hostname /etc/passwd /etc/group /etc/services > /dev/null; "
	.. "head -c1 /etc/hostname > /dev/null; cat /etc/shadow > /dev/null 2>&1; true"

local function write(path, text)
	local f = assert(io.open(path, "w"))
	f:write(text)
	f:close()
end

-- Alerts and warnings of one run, sorted, times left out; and what
-- --stats said of the cache.
local function run(dir, rules, extra, env)
	local cmd = ("%sLANNER_CACHE_DIR=%s %s --stats %s -R %s -- sh -c %s 2>&1")
		:format(env or "", dir, L, extra or "", rules, trace.shell_quote(WORK))
	local out, rc = trace.sh(cmd)
	local lines, how = {}, nil
	for l in out:gmatch("[^\n]+") do
		local h = l:match("^rules cache: (.*)")
		if h then
			how = h
		elseif l:find(" [AB]%d") or l:find("warning") or l:find("error") then
			lines[#lines + 1] = (l:gsub("^%d%d:%d%d:%d%d%.%d+: ", ""))
		end
	end
	table.sort(lines)
	return table.concat(lines, "\n"), how, rc, out
end

local function files_in(dir)
	local out = trace.sh("ls -A " .. dir .. " 2>/dev/null")
	local t = {}
	for l in out:gmatch("[^\n]+") do t[#t + 1] = l end
	return t
end

describe("rules cache", function()
	local T, rules
	before_each(function()
		T = trace.mkdtemp()
		rules = T .. "/r.yaml"
		write(rules, RULES)
	end)

	it("keeps a set on the first run and gives the same alerts and warnings from it", function()
		local dir = T .. "/c"
		local fresh, how, rc = run(dir, rules, "--no-rules-cache")
		assert.equal(0, rc)
		assert.equal("off: --no-rules-cache", how)
		assert.same({}, files_in(dir))
		assert.truthy(fresh:find("A1 cat /etc/hostname", 1, true), fresh)
		assert.truthy(fresh:find("A2 /etc/passwd", 1, true), fresh)
		assert.truthy(fresh:find("A3 /etc/group", 1, true), fresh)
		assert.truthy(fresh:find("A4 sh", 1, true), fresh)
		assert.truthy(fresh:find("A5 services", 1, true), fresh)
		assert.truthy(fresh:find("rule 'no type'", 1, true), fresh)
		local first
		first, how = run(dir, rules)
		assert.equal("miss, kept", how)
		assert.equal(fresh, first)
		local kept = files_in(dir)
		assert.equal(1, #kept)
		assert.truthy(kept[1]:match("^rules%-%d+%.luac$"), kept[1])
		assert.equal("600", (trace.sh("stat -c %a " .. dir .. "/" .. kept[1]):gsub("%s", "")))
		assert.equal("700", (trace.sh("stat -c %a " .. dir):gsub("%s", "")))
		local again
		again, how = run(dir, rules)
		assert.equal("hit", how)
		assert.equal(fresh, again)
	end)

	it("a hit parses no YAML: libyaml is not even loaded", function()
		-- the traced shell's parent is lanner: its maps say what it loaded
		local dir = T .. "/c"
		-- (marked: the rules' alerts share the output, in any order)
		local probe = "echo libyaml=$(grep -c libyaml /proc/$PPID/maps)"
		local function loaded(extra)
			local out = trace.sh(("LANNER_CACHE_DIR=%s %s -q %s -R %s -- sh -c %s 2>/dev/null")
				:format(dir, L, extra or "", rules, trace.shell_quote(probe)))
			return tonumber(out:match("libyaml=(%d+)"))
		end
		assert.is_true(loaded() > 0)	-- the miss parses the file
		assert.equal(0, loaded())	-- the hit does not
		assert.is_true(loaded("--no-rules-cache") > 0)
	end)

	it("misses when a rules file changes, and runs the new rules", function()
		local dir = T .. "/c"
		run(dir, rules)
		local _, how = run(dir, rules)
		assert.equal("hit", how)
		write(rules, (RULES:gsub("A1 %%proc%.name", "B1 %%proc.name")))
		local out
		out, how = run(dir, rules)
		assert.equal("miss, kept", how)
		assert.truthy(out:find("B1 cat /etc/hostname", 1, true), out)
		assert.falsy(out:find("A1 ", 1, true), out)
		out, how = run(dir, rules)
		assert.equal("hit", how)
		assert.truthy(out:find("B1 cat /etc/hostname", 1, true), out)
	end)

	it("keeps a missed set while a long run goes on, not only at its end", function()
		local dir = T .. "/c"
		local out = trace.sh(("LANNER_CACHE_DIR=%s %s -q -R %s -- sh -c 'sleep 3; ls %s' 2>&1")
			:format(dir, L, rules, dir))
		assert.truthy(out:match("rules%-%d+%.luac"), out)
	end)

	it("misses with other load options (-m)", function()
		local dir = T .. "/c"
		run(dir, rules)
		local out, how = run(dir, rules, "-m warning")
		assert.equal("miss, kept", how)
		assert.truthy(out:find("A1 ", 1, true), out)
		assert.falsy(out:find("A2 ", 1, true), out)
	end)

	it("does not use a file someone else could have written, a symlink or a damaged file", function()
		local dir = T .. "/c"
		local fresh = run(dir, rules)
		local kept = dir .. "/" .. files_in(dir)[1]
		trace.sh("chmod 666 " .. kept)
		local out, how = run(dir, rules)
		assert.truthy(how:find("miss", 1, true), how)
		assert.equal(fresh, out)
		-- the miss wrote it again, privately
		assert.equal("600", (trace.sh("stat -c %a " .. kept):gsub("%s", "")))
		local _, h2 = run(dir, rules)
		assert.equal("hit", h2)

		trace.sh(("mv %s %s/real && ln -s %s/real %s"):format(kept, T, T, kept))
		out, how = run(dir, rules)
		assert.truthy(how:find("miss", 1, true), how)
		assert.equal(fresh, out)

		write(kept, "\27LJ\2 not really bytecode")
		trace.sh("chmod 600 " .. kept)
		out, how = run(dir, rules)
		assert.truthy(how:find("miss", 1, true), how)
		assert.equal(fresh, out)
		_, how = run(dir, rules)
		assert.equal("hit", how)
	end)

	it("does not use a folder that others can write to", function()
		local dir = T .. "/c"
		run(dir, rules)
		trace.sh("chmod 777 " .. dir)
		local out, how = run(dir, rules)
		assert.truthy(how:find("not kept", 1, true), how)
		assert.truthy(out:find("A1 ", 1, true), out)
	end)

	it("never keeps a set with errors, and refuses to start on it every time", function()
		local dir = T .. "/c"
		write(rules, RULES .. "- rule: broken\n  desc: x\n  condition: evt.type = openat and nosuch.field = 1\n"
			.. "  output: x\n  priority: INFO\n")
		for _ = 1, 2 do
			local out, _, rc = run(dir, rules)
			assert.equal(1, rc, out)
			assert.truthy(out:find("nosuch.field", 1, true), out)
		end
		assert.same({}, files_in(dir))
	end)

	it("misses when lanner's own modules change", function()
		local R = T .. "/root"
		assert.equal(0, select(2, trace.sh(("mkdir -p %s/build && cp -r lua %s/lua && cp -r build/lua %s/build/")
			:format(R, R, R))))
		local env = "LANNER_ROOT=" .. R .. " "
		local dir = T .. "/c"
		local _, how = run(dir, rules, nil, env)
		assert.equal("miss, kept", how)
		_, how = run(dir, rules, nil, env)
		assert.equal("hit", how)
		trace.sh("sleep 0.01; touch " .. R .. "/lua/lanner/filter/compile.lua")
		_, how = run(dir, rules, nil, env)
		assert.equal("miss, kept", how)
	end)

	it("keeps the folder bounded", function()
		local dir = T .. "/c"
		trace.sh(("mkdir -m 700 %s && for i in $(seq 1 40); do echo x > %s/rules-old$i.luac; done"
			.. " && echo x > %s/rules-1.luac.99.tmp && touch -d '2 hours ago' %s/rules-1.luac.99.tmp"
			.. " && echo x > %s/rules-2.luac.98.tmp"):format(dir, dir, dir, dir, dir))
		run(dir, rules)
		local names = files_in(dir)
		local luac, tmp = 0, {}
		for _, n in ipairs(names) do
			if n:match "%.luac$" then luac = luac + 1 end
			if n:match "%.tmp$" then tmp[#tmp + 1] = n end
		end
		assert.equal(cache.KEEP_FILES, luac)
		assert.same({ "rules-2.luac.98.tmp" }, tmp) -- a writer's file less than an hour old stays
		local _, how = run(dir, rules)
		assert.equal("hit", how) -- the newest, just written, was kept
	end)
end)

describe("a condition made again from its description", function()
	local EV = {
		type = "openat", res = -2, latency = 1500,
		proc = { name = "bash", pname = "sshd", cmdline = "bash -c ls", pid = 4242, exe = "/usr/bin/bash" },
		fd = { name = "/etc/passwd", directory = "/etc", sip = "10.1.2.3", types = { "file", "ipv4" } },
	}
	local OTHER = { type = "connect", proc = { name = "curl", pid = 7 }, fd = { sip = "192.168.1.7", name = "x" } }
	local CONDS = {
		"proc.name in (sh, bash, zsh, dash, ksh, csh, tcsh, fish, ash, mksh, busybox, rbash, x1, x2)",
		"fd.name regex '/etc/pass.*' and proc.cmdline icontains 'BASH -C'",
		"fd.name pmatch (/etc, /usr) and fd.name glob '/e?c/*'",
		"proc.pid < 99999999999999999 and proc.pid > 4000",
		"fd.sip in (10.0.0.0/8, 192.168.1.7) or fd.sip = 172.16.0.1",
		"fd.name = val(fd.name) and not proc.name startswith cur",
		"evt.type in (openat, connect) and (proc.exe endswith bash or fd.name contains x)",
	}

	it("agrees with the compiled function after a trip through the cache's text", function()
		for _, src in ipairs(CONDS) do
			local ast = assert(filter.parse(src))
			local fn, _, describe = filter.compile(ast, fakecat, { lazy = true })
			assert.is_function(describe, src)
			local d = assert(describe())
			local back = assert(loadstring("return " .. cache.serialize(d)))()
			local again = assert(compile.revive(back, fakecat))
			for _, ev in ipairs { EV, OTHER, { type = "close" } } do
				assert.equal(fn(ev), again(ev), src)
			end
		end
	end)

	it("fails, not guesses, when a constant cannot be made", function()
		local ast = assert(filter.parse("proc.name = bash"))
		local _, _, describe = filter.compile(ast, fakecat, { lazy = true })
		local d = assert(describe())
		for _, k in ipairs(d.k) do
			if k[1] == "field" then k[2] = "no.such.field" end
		end
		local fn, err = compile.revive(d, fakecat)
		assert.is_nil(fn)
		assert.truthy(err:find("cannot be made", 1, true), err)
	end)
end)
