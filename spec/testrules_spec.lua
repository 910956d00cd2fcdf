-- lanner --test-rules: the harness rule authors use, run on a small cases
-- file with a case that passes, one that fails and one pending.
local function sh(cmd)
	local p = io.popen(cmd .. " 2>&1; echo \"rc=$?\"")
	local out = p:read("*a")
	p:close()
	return out, tonumber(out:match("rc=(%d+)%s*$"))
end

describe("lanner --test-rules", function()
	local dir
	setup(function()
		dir = io.popen("mktemp -d /tmp/lanner-tr.XXXXXX"):read("*l")
		local f = io.open(dir .. "/rules.yaml", "w")
		f:write([[
- rule: Hostname read
  desc: test rule
  condition: evt.type in (open, openat) and fd.name = /etc/hostname
  output: "%proc.name read %fd.name"
  priority: notice
]])
		f:close()
	end)
	teardown(function() os.execute("rm -rf " .. dir) end)

	local function cases(text)
		local f = io.open(dir .. "/cases.yaml", "w")
		f:write(text)
		f:close()
		return sh("build/lanner --test-rules " .. dir .. "/cases.yaml")
	end

	it("passes a case whose rule alerts and one whose rule stays quiet", function()
		local out, rc = cases(([[
- name: trigger
  shell: cat /etc/hostname >/dev/null
  rules: [DIR/rules.yaml]
  expect: [Hostname read]
  fields: {proc.name: cat}
- name: benign
  command: [cat, /etc/passwd]
  rules: [DIR/rules.yaml]
  quiet: true
]]):gsub("DIR", dir))
		assert.equals(0, rc, out)
		assert.matches("rule tests: 2 passed, 0 failed, 0 skipped", out, 1, true)
	end)

	it("fails, exit 1, naming the case and why, when an expectation does not hold", function()
		local out, rc = cases(([[
- name: wrong expectation
  shell: cat /etc/passwd >/dev/null
  rules: [DIR/rules.yaml]
  expect: [Hostname read]
- name: wrong field
  shell: head -c1 /etc/hostname >/dev/null
  rules: [DIR/rules.yaml]
  expect: [Hostname read]
  fields: {proc.name: cat}
- name: later
  shell: "true"
  rules: [DIR/rules.yaml]
  pending: not written yet
]]):gsub("DIR", dir))
		assert.equals(1, rc, out)
		assert.matches("FAIL wrong expectation", out, 1, true)
		assert.matches("expected 'Hostname read' to alert", out, 1, true)
		assert.matches("proc.name: expected cat, got head", out, 1, true)
		assert.matches("rule tests: 0 passed, 2 failed, 1 skipped", out, 1, true)
	end)

	it("fails a benign case when lanner failed or the command did not end as it should", function()
		local out, rc = cases(([[
- name: rules lanner cannot read
  command: [cat, /etc/passwd]
  rules: [DIR/no-such-rules.yaml]
  quiet: true
- name: exits 3
  shell: exit 3
  rules: [DIR/rules.yaml]
  expect_not: [Hostname read]
- name: exits 3 as it says
  shell: exit 3
  rules: [DIR/rules.yaml]
  expect_not: [Hostname read]
  status: 3
]]):gsub("DIR", dir))
		assert.equals(1, rc, out)
		-- lanner refuses to start on a rules file it cannot read (exit 1)
		assert.matches("FAIL rules lanner cannot read\n     exit status 1, expected 0\n"
			.. "     stderr: lanner: error: " .. dir .. "/no-such-rules.yaml", out, 1, true)
		assert.matches("FAIL exits 3\n     exit status 3, expected 0\n", out, 1, true)
		assert.matches("rule tests: 1 passed, 2 failed, 0 skipped", out, 1, true)
	end)

	it("reports a file that is not YAML with exit 2", function()
		local out, rc = cases("- name: [unclosed\n")
		assert.equals(2, rc, out)
		assert.matches("cases.yaml", out, 1, true)
	end)
end)
