-- lanner --test-rules FILE: the rule-test harness.  FILE is a YAML list of
-- cases (spec/rules/cases.yaml documents the format): each runs a command
-- under lanner with the rules given and checks which rules alerted.  Rule
-- authors test their rules the way the packaged ones are tested.
local yaml = require "lanner.yaml"
local base = require "lanner.base"

local M = {}

-- Marks the line that carries the case's exit status.
local RC = "lanner_test_rules_status="

local function q(s)
	return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- The lanner binary running this (io.open reads /proc/self as lanner).
local function self_exe()
	local pid = (base.read_file("/proc/self/stat") or ""):match("^(%d+)")
	local r = io.popen("readlink /proc/" .. tostring(pid) .. "/exe")
	local exe = r:read("*l")
	r:close()
	return exe
end

local function run_case(exe, case, dir)
	local rules = {}
	for _, r in ipairs(case.rules or {}) do rules[#rules + 1] = "-R " .. q(r) end
	local cmd
	if case.shell then
		cmd = "sh -c " .. q(case.shell)
	else
		local parts = {}
		for i, a in ipairs(case.command) do parts[i] = q(a) end
		cmd = table.concat(parts, " ")
	end
	local tmp = io.popen("mktemp -d /tmp/lanner-test.XXXXXX"):read("*l")
	local line = string.format("%s -q -j %s -- %s", q(exe), table.concat(rules, " "), cmd)
	if case.container then line = "sh " .. q(dir .. "/in_container.sh") .. " " .. line end
	-- no controlling terminal unless the case asks for one
	if case.tty then
		line = "script -qec " .. q(line) .. " /dev/null"
	else
		line = "setsid -w " .. line
	end
	line = string.format("T=%s PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin %s", q(tmp), line)
	if os.getenv("LANNER_TEST_DEBUG") then io.stderr:write(line, "\n") end
	-- the status comes last on stdout, on a line of its own (LuaJIT's
	-- pclose does not give it back); stderr goes to a file beside $T
	local errfile = tmp .. ".err"
	local p = io.popen(string.format("%s 2>%s </dev/null; printf '\\n%s%%d\\n' $?", line, q(errfile), RC))
	local alerts, rc = {}, nil
	for l in p:lines() do
		local rule = l:match('"rule":"(.-)"')
		if rule then alerts[#alerts + 1] = { rule = rule, line = l } end
		rc = tonumber(l:match("^" .. RC .. "(%d+)$")) or rc
	end
	p:close()
	local err = base.read_file(errfile) or ""
	os.execute("rm -rf " .. q(tmp) .. " " .. q(errfile))
	return alerts, rc, err
end

local function check(case, alerts, rc, err)
	local fired = {}
	for _, a in ipairs(alerts) do fired[a.rule] = fired[a.rule] or a end
	local problems = {}
	for _, r in ipairs(case.expect or {}) do
		if not fired[r] then problems[#problems + 1] = "expected '" .. r .. "' to alert" end
	end
	for _, r in ipairs(case.expect_not or {}) do
		if fired[r] then problems[#problems + 1] = "'" .. r .. "' alerted: " .. fired[r].line end
	end
	if case.quiet and #alerts > 0 then
		problems[#problems + 1] = "expected no alert, got '" .. alerts[1].rule .. "'"
	end
	-- A benign case (no expect): no alert proves nothing unless lanner ran
	-- the command to its end (passing its status on) and said nothing.
	if not (case.expect and case.expect[1]) then
		local want = tonumber(case.status) or 0
		if rc ~= want then
			problems[#problems + 1] = string.format("exit status %s, expected %d", tostring(rc), want)
		end
		if err ~= "" then problems[#problems + 1] = "stderr: " .. err:gsub("\n$", ""):gsub("\n", "\n             ") end
	end
	local first = case.expect and case.expect[1] and fired[case.expect[1]]
	for k, v in pairs(case.fields or {}) do
		local got = first and first.line:match('"' .. k:gsub("%p", "%%%0") .. '":"?(.-)"?[,}]')
		if first and tostring(got) ~= tostring(v) then
			problems[#problems + 1] = string.format("%s: expected %s, got %s", k, tostring(v), tostring(got))
		end
	end
	return problems
end

function M.run(o)
	local src, err = yaml.read_file(o.test_rules)
	local docs = src and yaml.parse(src, o.test_rules)
	if not docs then
		if src then _, err = yaml.parse(src, o.test_rules) end
		io.stderr:write("lanner: ", tostring(err), "\n")
		return 2
	end
	local cases = docs[1] or {}
	if type(cases) ~= "table" or (cases[1] == nil and next(cases) ~= nil) then
		io.stderr:write("lanner: ", o.test_rules, ": expected a list of cases\n")
		return 2
	end
	local dir = o.test_rules:match("^(.*)/[^/]*$") or "."
	local exe = self_exe()
	local passed, failed, skipped = 0, 0, 0
	for i, case in ipairs(cases) do
		local name = case.name or ("case " .. i)
		if case.pending then
			skipped = skipped + 1
			io.stdout:write("skip ", name, " (", tostring(case.pending), ")\n")
		elseif not case.shell and type(case.command) ~= "table" then
			failed = failed + 1
			io.stdout:write("FAIL ", name, ": needs shell or command\n")
		else
			local problems = check(case, run_case(exe, case, dir))
			if #problems == 0 then
				passed = passed + 1
				if not o.quiet then io.stdout:write("ok   ", name, "\n") end
			else
				failed = failed + 1
				io.stdout:write("FAIL ", name, "\n")
				for _, p in ipairs(problems) do io.stdout:write("     ", p, "\n") end
			end
		end
	end
	io.stdout:write(string.format("rule tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped))
	return failed == 0 and 0 or 1
end

return M
