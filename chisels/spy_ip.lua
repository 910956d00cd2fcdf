-- Echo the data exchanged with one IP address (chisels/lib/spy_net.lua).
require("lib.spy_net")("ip")
