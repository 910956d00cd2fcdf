-- Echo the data exchanged on one TCP/UDP port.
local report = require "lib.report"

description = "Prints the data the traced programs send and receive on connections that use the given port, local or remote."
short_description = "Show the data exchanged using the given IP port number"
category = "Net"
args = {
	{ name = "port", description = "the port number", argtype = "int" },
}

local port

on_set_arg, on_init, on_event = report.echo {
	on_set_arg = function(_, val)
		port = tonumber(val)
		return port ~= nil and port >= 0 and port < 65536
	end,
	filter = function() return "evt.is_io=true and fd.type in (ipv4, ipv6) and fd.port=" .. port end,
}
