-- Processes by bytes of network I/O (chisels/lib/topprocs_io.lua).
require("lib.topprocs_io")("net")
