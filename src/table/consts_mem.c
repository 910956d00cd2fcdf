/*
 * consts_mem.c - names of memory constants: mmap/mprotect protections,
 * mmap flags, memfd_create flags.
 */
#include <sys/mman.h>
#include <linux/mman.h>		/* MAP_HUGE_* */
#include <linux/memfd.h>	/* MFD_HUGE_* */
#include "table/consts.h"

/* Bits 26-31 of mmap and memfd_create flags hold log2 of the huge page
 * size when MAP_HUGETLB / MFD_HUGETLB is set: a field, not flags. */
#define LN_HUGE_FIELD ((uint64_t)MAP_HUGE_MASK << MAP_HUGE_SHIFT)

static const struct ln_xval prot[] = {
	LN_XZ(PROT_NONE),
	LN_X(PROT_READ),
	LN_X(PROT_WRITE),
	LN_X(PROT_EXEC),
	LN_X(PROT_SEM),
	LN_X(PROT_GROWSDOWN),
	LN_X(PROT_GROWSUP),
};
const struct ln_xtable ln_x_prot = LN_XTABLE(prot, LN_XS_FLAGS, 32);

/* MAP_SHARED, MAP_PRIVATE and MAP_SHARED_VALIDATE are values of the
 * MAP_TYPE field (3 is both bits of 1 and 2). */
static const struct ln_xval mmap_flags[] = {
	LN_XF(MAP_SHARED, MAP_TYPE),
	LN_XF(MAP_PRIVATE, MAP_TYPE),
	LN_XF(MAP_SHARED_VALIDATE, MAP_TYPE),
	LN_X(MAP_FIXED),
	LN_X(MAP_ANONYMOUS),
#ifdef MAP_32BIT
	LN_X(MAP_32BIT),
#endif
	LN_X(MAP_GROWSDOWN),
	LN_X(MAP_DENYWRITE),
	LN_X(MAP_EXECUTABLE),
	LN_X(MAP_LOCKED),
	LN_X(MAP_NORESERVE),
	LN_X(MAP_POPULATE),
	LN_X(MAP_NONBLOCK),
	LN_X(MAP_STACK),
	LN_X(MAP_HUGETLB),
	LN_X(MAP_SYNC),
	LN_X(MAP_FIXED_NOREPLACE),
	LN_XF(MAP_HUGE_64KB, LN_HUGE_FIELD),
	LN_XF(MAP_HUGE_512KB, LN_HUGE_FIELD),
	LN_XF(MAP_HUGE_1MB, LN_HUGE_FIELD),
	LN_XF(MAP_HUGE_2MB, LN_HUGE_FIELD),
	LN_XF(MAP_HUGE_8MB, LN_HUGE_FIELD),
	LN_XF(MAP_HUGE_16MB, LN_HUGE_FIELD),
	LN_XF(MAP_HUGE_32MB, LN_HUGE_FIELD),
	LN_XF(MAP_HUGE_256MB, LN_HUGE_FIELD),
	LN_XF(MAP_HUGE_512MB, LN_HUGE_FIELD),
	LN_XF(MAP_HUGE_1GB, LN_HUGE_FIELD),
	LN_XF(MAP_HUGE_2GB, LN_HUGE_FIELD),
	LN_XF(MAP_HUGE_16GB, LN_HUGE_FIELD),
	LN_XA(MAP_ANON),
	LN_XA(MAP_FILE),
};
const struct ln_xtable ln_x_mmap = LN_XTABLE(mmap_flags, LN_XS_FLAGS, 32);

static const struct ln_xval memfd_flags[] = {
	LN_X(MFD_CLOEXEC),
	LN_X(MFD_ALLOW_SEALING),
	LN_X(MFD_HUGETLB),
	LN_XN(0x0008, "MFD_NOEXEC_SEAL"),	/* Linux 6.3, newer than the */
	LN_XN(0x0010, "MFD_EXEC"),		/* headers we build against */
	LN_XF(MFD_HUGE_64KB, LN_HUGE_FIELD),
	LN_XF(MFD_HUGE_512KB, LN_HUGE_FIELD),
	LN_XF(MFD_HUGE_1MB, LN_HUGE_FIELD),
	LN_XF(MFD_HUGE_2MB, LN_HUGE_FIELD),
	LN_XF(MFD_HUGE_8MB, LN_HUGE_FIELD),
	LN_XF(MFD_HUGE_16MB, LN_HUGE_FIELD),
	LN_XF(MFD_HUGE_32MB, LN_HUGE_FIELD),
	LN_XF(MFD_HUGE_256MB, LN_HUGE_FIELD),
	LN_XF(MFD_HUGE_512MB, LN_HUGE_FIELD),
	LN_XF(MFD_HUGE_1GB, LN_HUGE_FIELD),
	LN_XF(MFD_HUGE_2GB, LN_HUGE_FIELD),
	LN_XF(MFD_HUGE_16GB, LN_HUGE_FIELD),
};
const struct ln_xtable ln_x_memfd = LN_XTABLE(memfd_flags, LN_XS_FLAGS, 32);
