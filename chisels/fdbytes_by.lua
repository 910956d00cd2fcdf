-- I/O bytes, summed by any field given as argument (chisels/lib/fd_by.lua).
require("lib.fd_by")("bytes")
