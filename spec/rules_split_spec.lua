-- The rules engine runs an open's rules split by the open's read and
-- write (lanner/rules/engine.lua, M.split): a rule whose condition needs
-- evt.is_open_write = true (or _read) among its top-level conjuncts is
-- left out where the event does not have it.  The split must change
-- nothing but the work: the same alerts, in the same order, as an engine
-- that runs every rule of the type.
local H = require "spec.fields_helper"
local rules = require "lanner.rules"
local engine = require "lanner.rules.engine"

local PACKAGED = { "rules/00-lists-macros.yaml", "rules/05-escapes.yaml", "rules/10-files.yaml",
	"rules/20-process.yaml", "rules/30-network.yaml", "rules/40-system.yaml" }

local function load(yaml)
	local set = rules.load({ { name = "split.yaml", content = yaml } })
	assert.same({}, set.errors)
	local by = {}
	for _, r in ipairs(set.rules) do by[r.name] = r end
	return by
end

describe("rules engine: an open's rules split by read and write", function()
	it("finds the requirement among the top-level conjuncts, through macros", function()
		local by = load [[
- macro: open_write
  condition: evt.type in (open, openat) and evt.is_open_write = true
- rule: W
  desc: d
  condition: open_write and fd.name startswith /etc
  output: o
  priority: WARNING
- rule: R
  desc: d
  condition: (evt.type = openat and evt.is_open_read = true) and fd.name = /x
  output: o
  priority: WARNING
- rule: Both
  desc: d
  condition: evt.type = openat and evt.is_open_read = true and evt.is_open_write = true
  output: o
  priority: WARNING
- rule: Either
  desc: d
  condition: evt.type = openat and (evt.is_open_read = true or evt.is_open_write = true)
  output: o
  priority: WARNING
- rule: Negated
  desc: d
  condition: evt.type = openat and not evt.is_open_write = true
  output: o
  priority: WARNING
- rule: False
  desc: d
  condition: evt.type = openat and evt.is_open_write = false
  output: o
  priority: WARNING
]]
		assert.equal(1, engine.requirements(by.W))
		assert.equal(2, engine.requirements(by.R))
		assert.equal(3, engine.requirements(by.Both))
		-- no requirement where it is not needed for every match
		assert.equal(0, engine.requirements(by.Either))
		assert.equal(0, engine.requirements(by.Negated))
		assert.equal(0, engine.requirements(by.False))
	end)

	describe("the packaged rules on opens of every kind", function()
		local O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND = 0, 1, 2, 64, 512, 1024
		local paths = { "/etc/shadow", "/etc/passwd", "/etc/ld.so.preload", "/root/.bashrc", "/usr/bin/ls",
			"/usr/lib/x86_64-linux-gnu/libz.so.1", "/var/log/syslog", "/home/u/.ssh/id_rsa",
			"/home/u/.ssh/authorized_keys", "/etc/cron.d/job", "/proc/1/environ", "/dev/mem", "/tmp/x",
			"/sys/fs/cgroup/release_agent", "/etc/sudoers" }
		local flags = { O_RDONLY, O_WRONLY, O_RDWR, O_WRONLY + O_CREAT + O_TRUNC, O_RDWR + O_APPEND,
			O_WRONLY + O_TRUNC }
		local comms = { { "cat", "/usr/bin/cat" }, { "sshd", "/usr/sbin/sshd" }, { "bash", "/usr/bin/bash" } }
		local events, procs, sample = {}, {}, {}
		local pid = 7000
		for _, c in ipairs(comms) do
			for _, path in ipairs(paths) do
				for _, fl in ipairs(flags) do
					for _, res in ipairs { 3, -2 } do
						pid = pid + 1
						local proc = H.proc { pid = pid, ppid = 1, comm = c[1], exe = c[2], exepath = c[2],
							args = { path }, cwd = "/" }
						procs[#procs + 1] = proc
						local th = H.thread { tid = pid, proc = proc, uid = 1000, gid = 1000 }
						local fd = res >= 0 and H.fd { num = 3, type = "FILE", name = path, flags = fl } or nil
						for _, ty in ipairs { "openat", "open" } do
							local params = ty == "openat" and { fd = res, dirfd = -100, name = path, flags = fl, mode = 420 }
								or { fd = res, name = path, flags = fl, mode = 420 }
							events[#events + 1] = H.event { type = ty, thread = th, fd = fd, res = res, params = params }
							if ty == "openat" and res >= 0 then sample[fl] = sample[fl] or events[#events] end
						end
					end
				end
			end
		end
		H.world { procs = procs }
		local set = rules.load(PACKAGED)

		local function alerts_of(eng)
			local out = {}
			for i, ev in ipairs(events) do
				local alerts, n = eng:process(ev)
				local names = {}
				for k = 1, n do names[k] = alerts[k].rule end
				out[i] = table.concat(names, "|")
			end
			return out
		end

		for _, matching in ipairs { "all", "first" } do
			it("the same alerts with and without the split (rule_matching " .. matching .. ")", function()
				assert.same({}, set.errors)
				local split = rules.engine(set, { rule_matching = matching })
				local whole = rules.engine(set, { rule_matching = matching })
				whole.splits = setmetatable({}, { __index = function() return false end })
				local a, b = alerts_of(split), alerts_of(whole)
				assert.same(b, a)
				local fired = 0
				for _, x in ipairs(a) do if x ~= "" then fired = fired + 1 end end
				-- enough of them alert for the comparison to mean something
				assert.is_true(fired > 50, fired .. " events alerted")
			end)
		end

		-- The rules cache keeps each rule's requirement and makes its
		-- condition tree only when asked (rules/cache.lua): the split must
		-- not make the trees, and must agree with them.
		it("from the rules cache: split without making the trees, as the trees say", function()
			local had = rawget(_G, "LANNER_ROOT")
			rawset(_G, "LANNER_ROOT", os.getenv("PWD"))	-- as the lanner binary sets it
			local dir = os.tmpname()
			os.remove(dir)
			local ok, err = pcall(function()
				local _, how, keep = rules.load_cached(PACKAGED, { cache_dir = dir })
				assert.equal("miss", how)
				assert(keep())
				local cached, how2 = rules.load_cached(PACKAGED, { cache_dir = dir })
				assert.equal("hit", how2)
				local eng = rules.engine(cached, {})
				assert.truthy(eng.splits[eng:rules_for "openat"])
				for _, r in ipairs(cached.rules) do
					assert.is_nil(rawget(r, "ast"), r.name .. ": its tree was made")
				end
				for _, r in ipairs(cached.rules) do
					assert.equal(engine.requirements(r), r.open_needs, r.name)
				end
			end)
			rawset(_G, "LANNER_ROOT", had)
			os.execute("rm -rf '" .. dir .. "'")
			assert(ok, err)
		end)

		it("runs fewer rules on a read-only open than on a write", function()
			local eng = rules.engine(set, {})
			local list = eng:rules_for "openat"
			local sp = assert(eng.splits[list], "the openat rules are split")
			local read_ev, write_ev = sample[O_RDONLY], sample[O_WRONLY]
			assert.is_true(#sp(read_ev) < #list)
			assert.is_true(#sp(write_ev) < #list)
			assert.is_true(#sp(read_ev) < #sp(write_ev))
		end)
	end)
end)
