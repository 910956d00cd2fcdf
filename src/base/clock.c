/*
 * clock.c - the two clocks of the core: wall time for events, monotonic
 * time for durations and deadlines (both from the vDSO, no syscall).
 */
#include <time.h>
#include "base/base.h"

uint64_t ln_now_realtime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ln_now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
