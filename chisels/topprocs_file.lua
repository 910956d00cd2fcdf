-- Processes by bytes of file I/O (chisels/lib/topprocs_io.lua).
require("lib.topprocs_io")("file")
