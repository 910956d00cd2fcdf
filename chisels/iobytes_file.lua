-- iobytes for file descriptors only: hands over to iobytes (chisel.exec).
description = "Counts the bytes the traced programs read and write on file descriptors, and prints the totals at the end of the capture, and every N seconds if an interval is given. Runs the iobytes chisel."
short_description = "Sum of file I/O bytes"
category = "I/O"
args = {
	{ name = "interval", description = "print the bytes of every N seconds too", argtype = "int", optional = true },
}

local every

function on_set_arg(name, val)
	every = val
	return tonumber(val) ~= nil
end

function on_init()
	if every then chisel.exec("iobytes", "file", every) else chisel.exec("iobytes", "file") end
	return true
end
