-- iobytes for file descriptors only (chisels/lib/iobytes_of.lua).
require("lib.iobytes_of")("file")
