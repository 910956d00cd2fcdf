-- lanner -V for detection scripts: load each script as a run would (so
-- syntax errors and bad conditions are found), then look for what would
-- only fail when an alert fires (an unknown priority, a bad output format
-- written as a literal) and for handlers that make lanner trace everything.
--
--   validate(files, {env=, min_priority=}) -> { diag, ... }
--     diag = {severity = "error"|"warning", file=, line=, message=},
--     tostring(diag) = "file:line: message"
--   report(files, opts, out) -> errors, warnings (prints them, and a summary)
local format = require "lanner.format"
local priority = require "lanner.priority"
local base = require "lanner.base"

local M = {}

local Diag = {}
Diag.__index = Diag
Diag.__tostring = function(d)
	return d.file .. (d.line and (":" .. d.line) or "") .. ": " .. d.message
end

local function diag(list, sev, file, line, msg)
	list[#list + 1] = setmetatable({ severity = sev, file = file, line = line, message = msg }, Diag)
end

local function line_at(src, pos)
	local n = 1
	for _ in src:sub(1, pos - 1):gmatch("\n") do n = n + 1 end
	return n
end

-- priority = "..." and output = "..." written as plain literals.
local function check_literals(list, file, src)
	for pos, v in src:gmatch("()priority%s*=%s*[\"']([^\"'\n]*)[\"']") do
		if not priority.parse(v) then
			diag(list, "error", file, line_at(src, pos), priority.unknown(v))
		end
	end
	for pos, v in src:gmatch("()output%s*=%s*\"([^\"\n]*)\"") do
		local ok, err = format.parse(v)
		if not ok then diag(list, "error", file, line_at(src, pos), "output: " .. tostring(err)) end
	end
end

local NOWHERE = { write = function() end, flush = function() end }

function M.validate(files, opts)
	opts = opts or {}
	local hostm = require "lanner.detect.host"
	local list = {}
	for _, path in ipairs(files or {}) do
		local host, err = hostm.load({ path }, { env = opts.env, min_priority = opts.min_priority,
			alert = function() end, errout = NOWHERE, quiet = true })
		if not host then
			local file, line, msg = tostring(err):match("^(.-):(%d+): (.*)$")
			diag(list, "error", file or path, tonumber(line), msg or tostring(err))
		else
			local sc = host.scripts[1]
			if #sc.handlers == 0 and #host.clock.timers == 0 then
				diag(list, "warning", sc.display, nil, "the script adds no handler (d.on) and no timer (d.every)")
			end
			for _, h in ipairs(sc.handlers) do
				if h.info.types == nil then
					diag(list, "warning", sc.display, h.line,
						"the condition does not restrict evt.type: every syscall is traced")
				end
			end
			local src = base.read_file(path)
			if src then check_literals(list, sc.display, src) end
		end
	end
	return list
end

function M.report(files, opts, out)
	out = out or io.stdout
	local list = M.validate(files, opts)
	local ne, nw = 0, 0
	for _, d in ipairs(list) do
		if d.severity == "error" then ne = ne + 1 else nw = nw + 1 end
		out:write(d.severity, ": ", tostring(d), "\n")
	end
	out:write(string.format("%s: %d scripts, %d errors, %d warnings\n", ne == 0 and "ok" or "failed",
		#(files or {}), ne, nw))
	return ne, nw
end

return M
