-- spy_ip and spy_port: echo the data exchanged on IP sockets that match one
-- address or one port, on either end of the connection.
--
--   require("lib.spy_net")("ip")   -- or "port"
--
-- Runs in the requiring chisel's environment, so the globals it sets are
-- that chisel's.
local report = require "lib.report"

local VARIANTS = {
	ip = {
		description = "Prints the data the traced programs send to and receive from the given IP address, on "
			.. "either end of the connection.",
		short = "Show the data exchanged with the given IP address",
		arg = { name = "host_ip", description = "the remote (or local) IP address", argtype = "ipv4" },
		-- hex digits, dots and colons: an IPv4 or IPv6 address, not a filter word
		parse = function(val) return val:match("^[%x:.]+$") and val end,
		field = "fd.ip",
	},
	port = {
		description = "Prints the data the traced programs send and receive on connections that use the "
			.. "given port, local or remote.",
		short = "Show the data exchanged using the given IP port number",
		arg = { name = "port", description = "the port number", argtype = "int" },
		parse = function(val)
			local port = tonumber(val)
			return port ~= nil and port >= 0 and port < 65536 and port
		end,
		field = "fd.port",
	},
}

return function(variant)
	local v = assert(VARIANTS[variant], variant)
	description = v.description
	short_description = v.short
	category = "Net"
	args = { v.arg }

	local value
	on_set_arg, on_init, on_event = report.echo {
		on_set_arg = function(_, val)
			value = v.parse(val)
			return value ~= nil and value ~= false
		end,
		filter = function()
			return "evt.is_io=true and fd.type in (ipv4, ipv6) and " .. v.field .. "=" .. value
		end,
	}
end
