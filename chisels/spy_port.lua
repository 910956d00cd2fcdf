-- Echo the data exchanged on one TCP/UDP port (chisels/lib/spy_net.lua).
require("lib.spy_net")("port")
