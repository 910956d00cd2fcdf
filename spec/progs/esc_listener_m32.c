/*
 * esc_listener_m32: spec/progs/esc_listener.c as a 32-bit x86 program.
 * Refusing its install is a register write at the seccomp call's entry
 * stop, which must take effect in a 32-bit tracee's registers too
 * (src/base/arch.c: PTRACE_GETREGS, lanner's view, not the regset).
 */
#include "esc_listener.c"
