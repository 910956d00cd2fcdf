/*
 * ns_threads_m32: spec/progs/ns_threads.c built as a 32-bit x86 program.
 * Its libc makes threads with the 32-bit clone3 (struct pointer in ebx)
 * and forks with the 32-bit clone (flags in ebx): lanner must tell a
 * thread from a process there too (src/base/arch.c, ln_arch_clone_flags).
 */
#include "ns_threads.c"
