-- For the capture specs: running lanner (or any command) from a directory,
-- and comparing what two runs printed, line by line.
--
--   local CR = require "spec.helpers.capture_run"
--   local rc, out, err = CR.lanner(dir, "-r", "a.lcap", "-p", fmt)
--   CR.same_lines(CR.lines(live), CR.lines(out), "events")
local trace = require "spec.helpers.trace"

local q = trace.shell_quote
local M = {}

M.LANNER = os.getenv("LANNER_BIN") or trace.root .. "/build/lanner"	-- another build to test

-- Runs argv (a list) from dir; returns exit status, stdout, stderr.
function M.run(dir, argv)
	local words = {}
	for i, a in ipairs(argv) do words[i] = q(a) end
	local out, err = dir .. "/run.out", dir .. "/run.err"
	local _, rc = trace.sh("cd " .. q(dir) .. " && timeout -k 5 180 " .. table.concat(words, " ") ..
		" > " .. q(out) .. " 2> " .. q(err))
	return rc, trace.read_file(out) or "", trace.read_file(err) or ""
end

function M.lanner(dir, ...)
	return M.run(dir, { M.LANNER, ... })
end

function M.lines(s)
	local t = {}
	for l in s:gmatch("([^\n]*)\n") do t[#t + 1] = l end
	return t
end

-- Equal lists of lines, with the first difference in the message; a and b
-- name the two sides (default: live and replay).
function M.same_lines(want, got, what, a, b)
	a, b = a or "live", b or "replay"
	for i = 1, math.max(#want, #got) do
		if want[i] ~= got[i] then
			error(string.format("%s: line %d differs (%d lines %s, %d %s)\n%s: %s\n%s: %s", what, i,
				#want, a, #got, b, a, tostring(want[i]), b, tostring(got[i])), 2)
		end
	end
end

-- A shell command from dir; returns exit status, stdout, stderr.
function M.sh(dir, cmd)
	local out, err = dir .. "/sh.out", dir .. "/sh.err"
	local _, rc = trace.sh("cd " .. q(dir) .. " && " .. cmd .. " > " .. q(out) .. " 2> " .. q(err))
	return rc, trace.read_file(out) or "", trace.read_file(err) or ""
end

function M.write(path, s)
	local f = assert(io.open(path, "wb"))
	f:write(s)
	f:close()
end

-- What ASan and UBSan print when they find something.
M.SANITIZER = { "ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer", "SUMMARY: " }
function M.no_sanitizer_report(err, what)
	for _, pat in ipairs(M.SANITIZER) do
		if err:find(pat, 1, true) then error(what .. ": sanitizer report:\n" .. err:sub(1, 3000), 2) end
	end
end

-- A rotated capture's files (prefix0, prefix1, ...): { path, size } each.
function M.rotated(prefix)
	local out = {}
	for i = 0, 99 do
		local p = prefix .. i
		local f = io.open(p, "rb")
		if not f then break end
		out[#out + 1] = { path = p, size = f:seek("end") }
		f:close()
	end
	return out
end

-- The lists one after the other, as one new list.
function M.cat(...)
	local t = {}
	for _, l in ipairs { ... } do
		for _, x in ipairs(l) do t[#t + 1] = x end
	end
	return t
end

return M
