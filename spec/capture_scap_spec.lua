-- sysdig's .scap format both ways (src/scap_*.c, doc/capture-format.md part
-- two): what lanner writes, sysdig 0.29.3 reads; what sysdig writes (from
-- lanner's captures, filtered, gzip'd), lanner reads.  sysdig is the
-- oracle here; without it (make deps-sysdig installs it) the specs that
-- need it are pending.
--
-- Needs `make all progs`; run from the repository root:
--   busted spec/capture_scap_spec.lua
local trace = require "spec.helpers.trace"
local CR = require "spec.helpers.capture_run"
local D = require "spec.helpers.scapdiff"

local LANNER = CR.LANNER
local run, lanner, lines, same_lines = CR.run, CR.lanner, CR.lines, CR.same_lines

local have_sysdig = D.have_sysdig()

local function count(s)
	return #lines(s)
end

describe(".scap captures", function()
	local dir
	before_each(function() dir = trace.mkdtemp() end)
	after_each(function() trace.rmrf(dir) end)

	it("by extension, --capture-format, and the magic when reading", function()
		local rc, _, err = lanner(dir, "-q", "-w", "a.scap", "--", "/bin/cat", "/etc/hostname")
		assert.equal(0, rc, err)
		local s = trace.read_file(dir .. "/a.scap")
		assert.equal("\n\r\r\n", s:sub(1, 4))
		rc, _, err = lanner(dir, "-q", "--capture-format", "scap", "-w", "b.cap", "--", "/bin/true")
		assert.equal(0, rc, err)
		assert.equal("\n\r\r\n", trace.read_file(dir .. "/b.cap"):sub(1, 4))
		rc, _, err = lanner(dir, "-q", "--capture-format", "lcap", "-w", "c.scap", "--", "/bin/true")
		assert.equal(0, rc, err)
		assert.equal("LNCAP", trace.read_file(dir .. "/c.scap"):sub(1, 5))
		rc, _, err = lanner(dir, "--capture-format", "pcap", "-w", "d", "--", "/bin/true")
		assert.equal(2, rc)
		assert.truthy(err:find("takes scap or lcap", 1, true), err)
		-- read by magic, whatever the name
		local out
		rc, out, err = lanner(dir, "-q", "-r", "b.cap", "-p", "%proc.name %evt.type")
		assert.equal(0, rc, err)
		assert.truthy(out:find("true execve", 1, true), out)
	end)

	it("a lanner replay of its .scap has the events and state of its .lcap", function()
		local argv = { trace.prog("fileops"), dir .. "/f" }
		assert.equal(0, os.execute("mkdir -p " .. dir .. "/f") and 0 or 1)
		local rc, _, err = run(dir, { LANNER, "-q", "-w", "x.scap", "--", argv[1], argv[2] })
		assert.equal(0, rc, err)
		-- the same run recorded twice cannot be had: compare what the
		-- .scap carries with itself re-written to .lcap and back
		rc, _, err = lanner(dir, "-q", "-r", "x.scap", "-w", "y.lcap")
		assert.equal(0, rc, err)
		rc, _, err = lanner(dir, "-q", "-r", "y.lcap", "-w", "z.scap")
		assert.equal(0, rc, err)
		local fmt = "*%evt.num %evt.type %evt.rawres %proc.name %proc.pid %proc.ppid %proc.cwd %thread.tid " ..
			"%fd.num %fd.name %fd.type %user.uid %evt.info"
		local _, a = lanner(dir, "-q", "-r", "x.scap", "-p", fmt)
		local _, b = lanner(dir, "-q", "-r", "y.lcap", "-p", fmt)
		local _, c = lanner(dir, "-q", "-r", "z.scap", "-p", fmt)
		assert.is_true(count(a) > 50, a)
		same_lines(lines(a), lines(b), "x.scap and its .lcap", "scap", "lcap")
		-- z.scap numbers its events anew (state-only blocks differ): compare
		-- without evt.num
		local function strip(t)
			for i, l in ipairs(t) do t[i] = l:gsub("^%d+ ", "") end
			return t
		end
		same_lines(strip(lines(a)), strip(lines(c)), "x.scap and z.scap", "x", "z")
	end)

	it("rules and chisels run on a .scap as on the .lcap of the same run", function()
		-- one run, written twice: as .scap live, then re-written to .lcap
		local rc, _, err = run(dir, { LANNER, "-q", "-w", "r.scap", "--", "sh", "-c",
			"cat /etc/shadow > /dev/null; cat /etc/hostname > /dev/null" })
		assert.equal(0, rc, err)
		rc, _, err = lanner(dir, "-q", "-r", "r.scap", "-w", "r.lcap")
		assert.equal(0, rc, err)
		for _, how in ipairs { { "-R", trace.root .. "/rules" }, { "-c", "topfiles_bytes" }, { "-c", "spy_users" } } do
			local ra, a, ea = lanner(dir, "-q", "-r", "r.scap", how[1], how[2])
			local rb, b, eb = lanner(dir, "-q", "-r", "r.lcap", how[1], how[2])
			assert.equal(0, ra, ea)
			assert.equal(0, rb, eb)
			assert.is_true(#a > 0, how[2])
			assert.equal(b, a, how[2])
		end
		local _, alerts = lanner(dir, "-q", "-r", "r.scap", "-R", trace.root .. "/rules")
		assert.truthy(alerts:find("file=/etc/shadow", 1, true), alerts)
	end)

	it("sysdig reads what lanner writes: the opens of tar (the issue's check)", function()
		if not have_sysdig then return pending("sysdig is not installed") end
		local rc, _, err = run(dir, { LANNER, "-q", "-w", "x.scap", "--", "tar", "cf", "/dev/null", "/usr/share/doc" })
		assert.equal(0, rc, err)
		local s, src = run(dir, { "sysdig", "-r", "x.scap", "evt.type=openat" })
		local l
		rc, l, err = lanner(dir, "-q", "-r", "x.scap", "evt.type=openat")
		assert.equal(0, s, src)
		assert.equal(0, rc, err)
		assert.is_true(count(l) > 100, "tar opened " .. count(l) .. " files?")
		assert.equal(count(src), count(l))
	end)

	it("with a recording filter, the state the other events changed travels state-only", function()
		if not have_sysdig then return pending("sysdig is not installed") end
		local rc, _, err = run(dir, { LANNER, "-q", "-w", "f.scap", "evt.type=read", "--", "sh", "-c",
			"cd /etc && cat hostname >/dev/null; ls / >/dev/null" })
		assert.equal(0, rc, err)
		local f = dir .. "/f.scap"
		local types
		rc, types = run(dir, { "sysdig", "-r", f, "-p", "%evt.type" })
		assert.equal(0, rc)
		for _, t in ipairs(lines(types)) do assert.equal("read", t) end
		-- cat's reads are cat's, of the files it opened (exec, clone and
		-- openat were not recorded as events)
		local fs = { "proc.name", "proc.cmdline", "proc.cwd", "proc.pname", "fd.name", "thread.tid", "evt.rawres" }
		D.assert_agree(f, fs)
		local _, out = lanner(dir, "-q", "-r", "f.scap", "-p", "%proc.name %fd.name", "evt.rawres > 0")
		assert.truthy(out:find("cat /etc/hostname", 1, true), out)
	end)

	it("lanner reads what sysdig writes: re-written, filtered, gzip'd", function()
		if not have_sysdig then return pending("sysdig is not installed") end
		assert.equal(0, os.execute("mkdir -p " .. dir .. "/n") and 0 or 1)
		local rc, _, err = run(dir, { LANNER, "-q", "-w", "x.scap", "--", trace.prog("net"), dir .. "/n" })
		assert.equal(0, rc, err)
		local fmt = "*%evt.num %evt.type %evt.rawres %proc.name %thread.tid %fd.name %fd.sport %fd.cport"
		for _, how in ipairs { { "y.scap" }, { "y.scap", "-z" } } do
			rc, _, err = run(dir, { "sysdig", "-r", "x.scap", "-w", how[1], how[2] })
			assert.equal(0, rc, err)
			local _, want = lanner(dir, "-q", "-r", "x.scap", "-p", fmt)
			local got
			rc, got, err = lanner(dir, "-q", "-r", "y.scap", "-p", fmt)
			assert.equal(0, rc, err)
			local w, g = lines(want), lines(got)
			assert.is_true(#w > 5, table.concat(how, " "))
			-- sysdig numbers the events anew (it drops the state-only ones)
			for _, t in ipairs { w, g } do
				for i, l in ipairs(t) do t[i] = l:gsub("^%d+ ", "") end
			end
			same_lines(w, g, "sysdig -w " .. table.concat(how, " "), "x.scap", "y.scap")
		end
		-- sysdig -w FILTER keeps the matching events only (a socket's exit
		-- without its enter): lanner reads that file as sysdig does
		local filter = "evt.type=connect or evt.type=accept or fd.type=ipv4"
		rc, _, err = run(dir, { "sysdig", "-r", "x.scap", "-w", "z.scap", filter })
		assert.equal(0, rc, err)
		local z = dir .. "/z.scap"
		local fs = { "evt.type", "evt.rawres", "proc.name", "thread.tid", "proc.pid" }
		D.assert_agree(z, fs, 10)
	end)
end)
