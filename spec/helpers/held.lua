-- A run for the prevention specs: the shell removes a file, then head
-- reads it, with openat, unlinkat and unlink held for a verdict that
-- answer(session, event) gives.  opts.queue: the session's queue size;
-- opts.lag: close is traced too, and the reader sleeps this many seconds
-- at its first close, while the tracer runs ahead to the next held call.
-- Returns the held types seen, the stats, the shell's exit status and
-- whether the file is still there.
local core = require "lanner.core"
local session = require "lanner.session"

local C = core.C
local M = {}

function M.held_run(dir, answer, opts)
	local s = assert(session.new())
	s:trace({ openat = "exit", unlinkat = "exit", unlink = "exit", close = opts and opts.lag and "exit" or nil })
	assert(s:hold("openat"))
	assert(s:hold("unlinkat"))
	assert(s:hold("unlink"))
	if opts and opts.queue then assert(s:set_queue(opts.queue)) end
	local f = dir .. "/victim"
	local fh = assert(io.open(f, "w")); fh:write("x"); fh:close()
	assert(s:spawn({ "sh", "-c", "rm -f " .. f .. "; head -c0 " .. f }))
	local seen, first = {}, true
	while true do
		local ev = s:next(10000)
		if ev == nil then break end
		if ev and first and opts and opts.lag and core.type_name[ev.type] == "close" then
			os.execute("sleep " .. opts.lag)
			first = false
		end
		if ev and bit.band(tonumber(ev.flags), tonumber(C.LN_EV_HELD)) ~= 0 then
			seen[#seen + 1] = core.type_name[ev.type]
			answer(s, ev)
		end
	end
	local st = s:stats()
	local rc = s:exit_status()
	local exists = io.open(f) ~= nil
	return seen, st, rc, exists
end

return M
