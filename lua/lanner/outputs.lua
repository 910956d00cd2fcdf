-- Where alerts go.  Every alert, from rules or detection scripts, passes
-- through one outputs object: it formats the alert once (text or Falco's
-- JSON) and hands it to each enabled output.  This file holds the stdout
-- output; the others (file, syslog, program, HTTP) live in lanner/outputs/.
local alert_format = require "lanner.alert_format"

local Outputs = {}
Outputs.__index = Outputs

local M = {}

-- cfg: the output part of the configuration (Falco's names):
--   json_output, json_include_output_property, json_include_tags_property,
--   stdout_output = { enabled = true }
-- opts.stream: the stream stdout_output writes to (--output-file).
function M.new(cfg, opts)
	cfg = cfg or {}
	opts = opts or {}
	local self = setmetatable({
		json = cfg.json_output == true,
		json_opts = {
			include_output = cfg.json_include_output_property ~= false,
			include_tags = cfg.json_include_tags_property ~= false,
		},
		list = {},
		counts = { alerts = 0, per_rule = {} },
	}, Outputs)
	local so = cfg.stdout_output
	if so == nil or so.enabled ~= false then
		local stream = opts.stream or io.stdout
		self.list[#self.list + 1] = {
			name = "stdout",
			send = function(line) stream:write(line, "\n") end,
			flush = function() stream:flush() end,
		}
	end
	return self
end

function Outputs:format(a)
	if self.json then return alert_format.json(a, self.json_opts) end
	return alert_format.text(a)
end

function Outputs:alert(a)
	local line = self:format(a)
	self.counts.alerts = self.counts.alerts + 1
	self.counts.per_rule[a.rule] = (self.counts.per_rule[a.rule] or 0) + 1
	for _, o in ipairs(self.list) do o.send(line, a) end
end

-- Called now and then from the event loop (timers, retries).
function Outputs:tick() end

function Outputs:close()
	for _, o in ipairs(self.list) do
		if o.flush then o.flush() end
		if o.close then o.close() end
	end
end

function Outputs:stats()
	return self.counts
end

return M
