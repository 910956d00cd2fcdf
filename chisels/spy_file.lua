-- Echo the data read from and written to files.
local report = require "lib.report"

description = "Prints every read and write the traced programs make on files, with the data. Give a file name to watch only that file (a name ending in '/' watches a directory), and R or W to see only reads or only writes."
short_description = "Echo any read/write made on files"
category = "I/O"
args = {
	{ name = "file", description = "the file (or directory ending in /) to watch; all files when absent",
		argtype = "string", optional = true },
	{ name = "read_or_write", description = "R for reads only, W for writes only, RW for both (default)",
		argtype = "string", optional = true },
}

local file, rw = nil, "RW"

on_set_arg, on_init, on_event = report.echo {
	on_set_arg = function(name, val)
		if name == "file" then
			file = val
		elseif name == "read_or_write" then
			rw = val:upper()
			return rw == "R" or rw == "W" or rw == "RW"
		end
		return true
	end,
	filter = function()
		local f = "evt.is_io=true and fd.type=file"
		if rw == "R" then f = f .. " and evt.is_io_read=true" end
		if rw == "W" then f = f .. " and evt.is_io_write=true" end
		if file and file:sub(-1) == "/" then
			f = f .. " and fd.name startswith '" .. file .. "'"
		elseif file then
			f = f .. " and fd.name='" .. file .. "'"
		end
		return f
	end,
}
