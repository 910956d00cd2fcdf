-- Time spent in system calls on file descriptors, summed by any field given
-- as argument (chisels/lib/fd_by.lua).
require("lib.fd_by")("time")
