-- iobytes_file and iobytes_net: iobytes for one kind of descriptor, handed
-- over with chisel.exec so that the counting lives in iobytes alone.
--
--   require("lib.iobytes_of")("file")   -- or "net"
--
-- Runs in the requiring chisel's environment, so the globals it sets are
-- that chisel's.
local VARIANTS = {
	file = { short = "Sum of file I/O bytes", category = "I/O" },
	net = { short = "Sum of net I/O bytes", category = "Net" },
}

return function(kind)
	local v = assert(VARIANTS[kind], kind)
	description = "Counts the bytes the traced programs read and write on " .. kind .. " descriptors, and prints "
		.. "the totals at the end of the capture, and every N seconds if an interval is given. Runs the "
		.. "iobytes chisel."
	short_description = v.short
	category = v.category
	args = {
		{ name = "interval", description = "print the bytes of every N seconds too", argtype = "int", optional = true },
	}

	local every
	function on_set_arg(_, val)
		every = val
		return tonumber(val) ~= nil
	end

	function on_init()
		if every then chisel.exec("iobytes", kind, every) else chisel.exec("iobytes", kind) end
		return true
	end
end
