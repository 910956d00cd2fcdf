-- File descriptors opened, counted by any field given as argument
-- (chisels/lib/fd_by.lua).
require("lib.fd_by")("count")
