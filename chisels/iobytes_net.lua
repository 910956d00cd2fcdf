-- iobytes for network sockets only (chisels/lib/iobytes_of.lua).
require("lib.iobytes_of")("net")
