/*
 * table.h - the event type table, built from table/syscalls.def (the one
 * source of syscall names, arguments and classes), and the constants'
 * names (consts.h).  Uses only base/.
 */
#ifndef LN_TABLE_H
#define LN_TABLE_H
#include "base/base.h"

void ln_table_init(void);
int ln_kind_of_name(const char *key);
/* Type id of a syscall made through another ABI, or -1; *pages: its
 * argument counted in 4096-byte pages (ln_compat_alias), or -1. */
int ln_type_of_compat_nr(unsigned arch, int nr, int *pages);

#endif
