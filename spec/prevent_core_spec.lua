-- Prevention's parts (issue #18): the action tags (lanner/rules/action.lua),
-- the conditions the filter decides alone (lanner/filter/exact.lua), the
-- core's held events and ln_verdict through the session (fail closed when
-- no verdict comes), and what alerts and --stats say.
local core = require "lanner.core"
local session = require "lanner.session"
local action = require "lanner.rules.action"
local exact = require "lanner.filter.exact"
local filter = require "lanner.filter"
local fields = require "lanner.fields"
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

local C = core.C

-- one scratch directory for the file
local dir
setup(function() dir = trace.mkdtemp() end)
teardown(function()
	if dir then trace.rmrf(dir) end
	cmp.cleanup()
end)

describe("prevention: action tags", function()
	it("reads the four actions and errno names", function()
		assert.are.same({ kind = "deny", errno = 1, ename = "EPERM", tag = "lanner.deny" },
			action.of { "x", "lanner.deny" })
		assert.are.same({ kind = "deny", errno = 13, ename = "EACCES", tag = "lanner.deny.EACCES" },
			action.of { "lanner.deny.EACCES", "prevention" })
		assert.are.equal("kill", action.of({ "lanner.kill" }).kind)
		assert.are.equal("kill_tree", action.of({ "lanner.kill_tree" }).kind)
		assert.is_nil(action.of { "lanner", "mitre", "T1003" })
	end)
	it("refuses a misspelt action and two actions, with a clear message", function()
		local a, err = action.of { "lanner.deny.EWHAT" }
		assert.is_nil(a)
		assert.matches("tag 'lanner.deny.EWHAT': not a lanner action", err, 1, true)
		a, err = action.of { "lanner.killall" }
		assert.is_nil(a)
		assert.matches("not a lanner action", err, 1, true)
		a, err = action.of { "lanner.deny", "lanner.kill" }
		assert.is_nil(a)
		assert.matches("a rule has one action", err, 1, true)
	end)
	it("says what was done, or would have been", function()
		assert.are.equal("would deny", action.done({ kind = "deny" }, false))
		assert.are.equal("would kill", action.done({ kind = "kill_tree" }, false))
		assert.are.equal("denied", action.done({ kind = "deny" }, true))
		assert.are.equal("killed", action.done({ kind = "kill" }, true))
	end)
end)

describe("prevention: conditions the filter decides alone", function()
	local function dnf(cond)
		local ast = assert(filter.parse(cond))
		local info = filter.analyze(ast, fields)
		return exact.dnf(ast, info.types, fields)
	end
	it("takes evt.type alone: every call", function()
		assert.are.same({ init_module = { {} }, finit_module = { {} } }, dnf "evt.type in (init_module, finit_module)")
	end)
	it("takes enumerations and flags as masked comparisons", function()
		local ptrace = assert(C.ln_const_value(C.LN_K_PTRACE_REQ, "PTRACE_SEIZE", core.ffi.new("int64_t[1]")) == 0)
		assert.is_true(ptrace)
		local d = dnf "evt.type = ptrace and evt.arg.request in (PTRACE_ATTACH, PTRACE_SEIZE)"
		assert.are.equal(2, #d.ptrace)
		for _, cl in ipairs(d.ptrace) do
			assert.are.equal(1, #cl)
			assert.are.equal(0, cl[1].arg)
			assert.are.equal(0xffffffff, cl[1].mask)
		end
		d = dnf [[evt.type = seccomp and evt.arg.op = SECCOMP_SET_MODE_FILTER
			and evt.arg.flags contains SECCOMP_FILTER_FLAG_NEW_LISTENER]]
		assert.are.same({ { { arg = 0, mask = 0xffffffff, value = 1 }, { arg = 1, mask = 8, value = 8 } } }, d.seccomp)
		d = dnf "evt.type = unshare and not evt.arg.flags contains CLONE_NEWUSER"
		assert.are.same({ { { arg = 0, mask = 0x10000000, value = 0 } } }, d.unshare)
	end)
	it("gives up on anything the registers cannot tell", function()
		assert.is_nil(dnf "evt.type = init_module and proc.name = insmod")
		assert.is_nil(dnf "evt.type in (open, openat) and fd.name = /etc/shadow")
		assert.is_nil(dnf "evt.type = ptrace and evt.arg.request != PTRACE_ATTACH")
		assert.is_nil(dnf "evt.arg.request = PTRACE_ATTACH")	-- no evt.type
	end)
end)

-- The core through the session: a held event waits for its verdict.
describe("prevention: held events and ln_verdict", function()

	local function held_run(answer) return require("spec.helpers.held").held_run(dir, answer) end

	it("deny at the entry: the file stays, and the exit event says so", function()
		local seen, st, rc, exists = held_run(function(s, ev)
			local name = core.type_name[ev.type]
			assert(s:verdict(ev, name:match("^unlink") and "deny" or "allow"))
		end)
		assert.is_true(exists)
		assert.are.equal(0, rc)	-- head read it
		assert.is_true(#seen >= 2)
		assert.is_true(st.denied >= 1)
		assert.are.equal(0, st.no_verdict)
	end)

	it("no verdict: the call is denied when ln_next comes again, and counted", function()
		local seen, st, rc, exists = held_run(function() end)
		assert.is_true(exists)	-- the unlink never ran
		assert.is_true(st.no_verdict >= 2, "held " .. #seen)
		assert.are.equal(st.no_verdict, st.denied)
		assert.are_not.equal(0, rc)	-- head could not even load its libraries
	end)

	it("a verdict on an event that is not held is refused", function()
		local s = assert(session.new())
		local ok, err = s:verdict(core.ffi.new("ln_event"), "deny")
		assert.is_nil(ok)
		assert.matches("not held", err, 1, true)
		assert.has_error(function() s:verdict(core.ffi.new("ln_event"), "maybe") end)
	end)
end)

describe("prevention: what alerts and --stats say", function()

	local function rules(tag)
		local p = dir .. "/r.yaml"
		local f = assert(io.open(p, "w"))
		f:write(([[
- rule: No module
  desc: d
  condition: evt.type in (init_module, finit_module)
  output: module %%evt.type by %%proc.name
  priority: ERROR
  tags: [%s]
]]):format(tag))
		f:close()
		return p
	end

	it("JSON alerts carry lanner.action in output_fields; --stats counts", function()
		local r = cmp.lanner({ "--enforce", "--stats", "-j", "-R", rules("lanner.deny.EACCES") },
			{ trace.prog("prevent_attacks"), "module" })
		assert.are.equal("init_module EACCES\nfinit_module EACCES\ncarried on\n", r.stdout)
		assert.are.equal(2, #r.events)
		for _, l in ipairs(r.events) do assert.matches('"lanner.action":"denied"', l, 1, true) end
		assert.matches("prevention: held 0, denied 2, killed 0, would deny 0, would kill 0, no verdict 0", r.stderr, 1, true)
	end)

	it("a dry run counts 'would deny'", function()
		local r = cmp.lanner({ "--stats", "-R", rules("lanner.deny") }, { trace.prog("prevent_attacks"), "module" })
		assert.matches("would deny 2", r.stderr, 1, true)
		assert.are.equal(2, #r.events)
		for _, l in ipairs(r.events) do assert.matches("(lanner: would deny)", l, 1, true) end
	end)

	it("the enforce config key turns it on; silent filter verdicts neither stop nor alert", function()
		local r = cmp.lanner({ "-o", "enforce=true", "-o", "enforce_filter_alerts=false", "--stats", "-R",
			rules("lanner.deny") }, { trace.prog("prevent_attacks"), "module" })
		assert.are.equal("init_module EPERM\nfinit_module EPERM\ncarried on\n", r.stdout)
		assert.are.same({}, r.events)
		assert.matches("stops: %d+ %(entry 0,", r.stderr)
	end)

	it("a bad action tag is an error: lanner refuses to start (fails closed)", function()
		local r = cmp.lanner({ "--enforce", "-R", rules("lanner.deny.EBOGUS") }, { trace.prog("prevent_attacks"), "module" })
		assert.matches("rule 'No module': tag 'lanner.deny.EBOGUS': not a lanner action", r.stderr, 1, true)
		assert.are.equal(1, r.code)
		assert.are.equal("", r.stdout)
		local r2 = cmp.run({ cmp.lanner_bin, "-V", "-R", dir .. "/r.yaml" })
		assert.are_not.equal(0, r2.code)
	end)

	it("kill_tree ends every traced process", function()
		local r = cmp.lanner({ "--enforce", "-R", rules("lanner.kill_tree") },
			{ "sh", "-c", "sleep 30 & " .. trace.prog("prevent_attacks") .. " module; wait; echo survived" },
			{ timeout = 20 })
		assert.is_false(r.timed_out)
		assert.are_not.matches("survived", r.stdout)
		assert.matches("(lanner: killed)", r.events[1] or "", 1, true)
	end)
end)

describe("prevention: --debug-filter says where each rule is decided", function()
	it("integer conditions by the filter, path rules held", function()
		local r = cmp.run({ cmp.lanner_bin, "--enforce", "--debug-filter", "-R", trace.root .. "/rules/prevent/" })
		assert.are.equal(0, r.code, r.stderr)
		assert.matches("# prevention: Refuse kernel module loading (lanner.deny): by the seccomp filter on "
			.. "finit_module,init_module", r.stdout, 1, true)
		assert.matches("# prevention: Kill execution from memfd or /dev/shm (lanner.kill): held on execve,execveat",
			r.stdout, 1, true)
		-- a verdict of the filter is an action of its own in the program:
		-- a stop for the alert, or with filter alerts off ENOSYS itself
		local nr = "%(" .. tostring(tonumber(core.type_info[core.type_id.io_uring_setup].nr)) .. "%)"
		assert.matches('"io_uring_setup" ' .. nr .. "[^\n]*\n[^\n]*\n%s*action TRACE%(19457%)", r.stdout)
		local q = cmp.run({ cmp.lanner_bin, "--enforce", "-o", "enforce_filter_alerts=false", "--debug-filter", "-R",
			trace.root .. "/rules/prevent/" })
		assert.matches('"io_uring_setup" ' .. nr .. "[^\n]*\n[^\n]*\n%s*action ERRNO%(38%)", q.stdout)
	end)
end)
