/* Prints sizeof/offsetof of the FFI contract's structs as the C compiler
 * sees them, one "name value" per line, for spec/abi_spec.lua. */
#include <stddef.h>
#include <stdio.h>
#include "lanner.h"

#define SZ(t) printf("sizeof %s %zu\n", #t, sizeof(t))
#define OFF(t, m) printf("offsetof %s.%s %zu\n", #t, #m, offsetof(t, m))

int main(void)
{
	SZ(ln_param); SZ(ln_type_info); SZ(ln_tuple); SZ(ln_fd); SZ(ln_proc);
	SZ(ln_thread); SZ(ln_event); SZ(ln_stats); SZ(ln_capture_opts);
	OFF(ln_param, kind); OFF(ln_param, flags); OFF(ln_param, len);
	OFF(ln_type_info, pname); OFF(ln_tuple, lip); OFF(ln_tuple, rip);
	OFF(ln_fd, tuple); OFF(ln_fd, name); OFF(ln_proc, comm); OFF(ln_proc, exe);
	OFF(ln_proc, container_id); OFF(ln_proc, cmdline); OFF(ln_thread, proc); OFF(ln_thread, start_ts);
	OFF(ln_event, type); OFF(ln_event, fdnum); OFF(ln_event, rawargs);
	OFF(ln_event, thread); OFF(ln_event, fd); OFF(ln_event, params);
	OFF(ln_stats, tracer_ns); OFF(ln_stats, no_verdict); OFF(ln_event, flags); SZ(ln_argcmp); OFF(ln_capture_opts, compress);
	return 0;
}
