-- Differential runs against sysdig 0.29.3 (the oracle, reading .scap
-- captures that lanner wrote): a corpus of workloads captured once, and
-- the comparisons of spec/scap_diff_spec.lua.
--
-- lanner's events are sysdig's exit events (and enters whose exit never
-- came): sysdig prints enters too, so its lines are first narrowed to the
-- events lanner has, computed from sysdig's own output (evt.num, thread,
-- direction, type), and then compared line for line by evt.num.
local M = {}

local ROOT = os.getenv("PWD")
M.LANNER = ROOT .. "/build/lanner"
M.PROGS = ROOT .. "/build/progs"

local function sh_quote(s)
	return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
M.q = sh_quote

function M.have_sysdig()
	local p = io.popen("command -v sysdig 2>/dev/null")
	local out = p:read("*a")
	p:close()
	return out ~= ""
end

-- Output lines of a shell command; the exit code second.
function M.lines(cmd)
	local p = io.popen(cmd .. "; echo \"rc=$?\"")
	local t = {}
	for l in p:lines() do t[#t + 1] = l end
	p:close()
	local rc = tonumber(table.remove(t):match("rc=(%d+)"))
	return t, rc
end

-- The workloads: files, processes, network on loopback, threads, failures.
function M.corpus_script(dir)
	local P = M.PROGS
	return table.concat({
		"mkdir -p " .. dir .. "/f " .. dir .. "/n",
		P .. "/fileops " .. dir .. "/f",
		P .. "/net " .. dir .. "/n",
		P .. "/threads",
		P .. "/fork_tree",
		"cat /etc/hostname /nonexistent",
		"ls -la /etc | head -3 | wc -l",
		"echo hi > " .. dir .. "/out.txt && mv " .. dir .. "/out.txt " .. dir .. "/moved.txt && rm " .. dir .. "/moved.txt",
		"sh -c 'cd /tmp && pwd'",
		"true",
	}, "; ") .. " >/dev/null 2>&1"
end

-- Capture the corpus to dir/corpus.scap; the path, or nil and why.
function M.capture(dir)
	local path = dir .. "/corpus.scap"
	local _, rc = M.lines(M.LANNER .. " -q -w " .. path .. " -- sh -c " .. sh_quote(M.corpus_script(dir)) .. " 2>&1")
	if rc ~= 0 then return nil, "lanner -w exited " .. rc end
	return path
end

-- evt.num of the events lanner has, from sysdig's view: every exit, and
-- every enter whose thread's next event is not its exit.  Second: those
-- of them made of an enter and its exit (their time is the enter's), with
-- the enter's evt.num.
function M.lanner_nums(path)
	local ls = M.lines("sysdig -r " .. path .. " -p '%evt.num %thread.tid %evt.dir %evt.type'")
	local nums, paired, open = {}, {}, {}
	for _, l in ipairs(ls) do
		local num, tid, dir, ty = l:match("^(%d+) (%S+) (%S) (%S+)")
		num = tonumber(num)
		local o = open[tid]
		if o and dir == "<" and o.ty == ty then paired[num] = o.num end
		if o and not (dir == "<" and o.ty == ty) then nums[o.num] = true end
		open[tid] = nil
		if dir == "<" or ty == "procexit" then
			nums[num] = true
		elseif dir == ">" then
			open[tid] = { num = num, ty = ty }
		end
	end
	for _, o in pairs(open) do nums[o.num] = true end
	return nums, paired
end

-- The events among nums of direction dir ("<" or ">") that have no pair.
local function unpaired(nums, paired, path, dir)
	local of_dir = M.sysdig_nums(path, "evt.dir = " .. dir)
	local set = {}
	for n in pairs(nums) do
		if of_dir[n] and not paired[n] then set[n] = true end
	end
	return set
end

-- The enters among nums whose exit never came.
function M.lone(nums, paired, path) return unpaired(nums, paired, path, ">") end

-- The exits among nums written without their enter.
function M.alone(nums, paired, path) return unpaired(nums, paired, path, "<") end

-- evt.num of the events sysdig's filter selects.
function M.sysdig_nums(path, filter)
	local set = {}
	local ls, rc = M.lines("sysdig -r " .. path .. " -p '%evt.num' " .. sh_quote(filter) .. " 2>&1")
	for _, l in ipairs(ls) do
		local n = tonumber(l)
		if not n then error("sysdig " .. filter .. ": " .. l) end
		set[n] = true
	end
	assert(rc == 0, "sysdig " .. filter .. ": exit " .. tostring(rc))
	return set
end

local SEP = " @@ "

-- Values of fields fs on path, by evt.num: sysdig's for the events in
-- nums, lanner's for all of its own.  Both { [num] = { v1, v2, ... } }.
function M.values(path, fs, nums)
	local fmt = "*%evt.num" .. SEP .. "%" .. table.concat(fs, SEP .. "%")
	local s = M.lines("sysdig -r " .. path .. " -p " .. sh_quote(fmt) .. " 2>&1")
	local l = M.lines(M.LANNER .. " -q -r " .. path .. " -p " .. sh_quote(fmt) .. " 2>&1")
	local function split(line)
		local t, pos = {}, 1
		while true do
			local a, b = line:find(SEP, pos, true)
			if not a then t[#t + 1] = line:sub(pos); break end
			t[#t + 1] = line:sub(pos, a - 1)
			pos = b + 1
		end
		return tonumber(table.remove(t, 1)), t
	end
	local sv, lv = {}, {}
	for _, line in ipairs(s) do
		local n, t = split(line)
		if n and nums[n] then sv[n] = t elseif not n then error("sysdig -p: " .. line) end
	end
	for _, line in ipairs(l) do
		local n, t = split(line)
		if n then lv[n] = t else error("lanner -p: " .. line) end
	end
	return sv, lv
end

-- Field i of the values: events compared (those not in skip), how many
-- agree, the first that does not; and the same over every event.
function M.agreement(sv, lv, i, skip)
	local r = { total = 0, agree = 0, all = 0, all_agree = 0 }
	for n, st in pairs(sv) do
		local lt = lv[n]
		local same = lt ~= nil and lt[i] == st[i]
		r.all = r.all + 1
		r.all_agree = r.all_agree + (same and 1 or 0)
		if not (skip and skip[n]) then
			r.total = r.total + 1
			if same then
				r.agree = r.agree + 1
			elseif not r.first_n or n < r.first_n then
				r.first_n = n
				r.first = string.format("evt.num %d: sysdig %q, lanner %q", n, st[i], lt and lt[i] or "(no event)")
			end
		end
	end
	return r
end

-- The evt.num list a filter selects, in sysdig (narrowed to nums) and
-- lanner; third, every event sysdig selects (enters too).
function M.selected(path, filter, nums)
	local s, src = M.lines("sysdig -r " .. path .. " -p '%evt.num' " .. sh_quote(filter) .. " 2>&1")
	local l, lrc = M.lines(M.LANNER .. " -q -r " .. path .. " -p '%evt.num' " .. sh_quote(filter) .. " 2>&1")
	local a, b, raw = {}, {}, {}
	for _, x in ipairs(s) do
		local n = tonumber(x)
		if not n then return nil, "sysdig: " .. x end
		raw[n] = true
		if nums[n] then a[#a + 1] = n end
	end
	for _, x in ipairs(l) do
		local n = tonumber(x)
		if not n then return nil, "lanner: " .. x end
		b[#b + 1] = n
	end
	table.sort(b)
	if src ~= 0 or lrc ~= 0 then return nil, "exit " .. src .. "/" .. lrc end
	return a, b, raw
end

-- Every event of path has fields fs alike in sysdig and lanner (and
-- there are more than `least` of them); for specs that need no exception.
function M.assert_agree(path, fs, least)
	local sv, lv = M.values(path, fs, M.lanner_nums(path))
	for i, f in ipairs(fs) do
		local r = M.agreement(sv, lv, i)
		assert(r.total > (least or 5), f .. ": " .. r.total .. " events")
		assert(r.total == r.agree, f .. ": " .. tostring(r.first))
	end
end

return M
