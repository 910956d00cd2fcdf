-- The event the rules engine is evaluating now.  Within one
-- Engine:process every rule asks about the same event, and an open's 22
-- rules ask the same few fields (evt.is_open_read and _write, through the
-- open_read and open_write macros, are read about 20 times per open): a
-- getter may keep what it worked out for the scope's event and give it
-- again, rather than read the event's C struct each time (in LuaJIT's
-- interpreter, where lanner's first 2000 events run, each FFI access
-- allocates).
--
-- A kept value is good only while gen is the one it was made under and
-- the event is the scope's own cdata object (rawequal: the loop makes a
-- new one per event; the engine passes that one to every rule).  Outside
-- a scope (gen 0: filters, formats, chisels, specs) getters compute every
-- time, so an event changed between calls is always read afresh.
local M = { gen = 0, ev = false }

local seq = 0

function M.enter(ev)
	seq = seq + 1
	M.gen, M.ev = seq, ev
end

function M.leave()
	M.gen, M.ev = 0, false
end

-- The scope's gen if ev is its event, else 0 (no keeping).
function M.of(ev)
	local g = M.gen
	if g ~= 0 and rawequal(ev, M.ev) then return g end
	return 0
end

return M
