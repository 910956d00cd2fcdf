-- Echo the data exchanged with one IP address.
local report = require "lib.report"

description = "Prints the data the traced programs send to and receive from the given IP address, on either end of the connection."
short_description = "Show the data exchanged with the given IP address"
category = "Net"
args = {
	{ name = "host_ip", description = "the remote (or local) IP address", argtype = "ipv4" },
}

local ip

on_set_arg, on_init, on_event = report.echo {
	on_set_arg = function(_, val)
		ip = val
		return val:match("^[%x:.]+$") ~= nil
	end,
	filter = function() return "evt.is_io=true and fd.type in (ipv4, ipv6) and fd.ip=" .. ip end,
}
