/* inv_files linked statically (the Makefile links *_static.c with -static). */
#include "inv_files.c"
