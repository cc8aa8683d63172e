/* SPDX-License-Identifier: MIT */
/* bench/common/timing.h - clocks and the cross-core transfer probe. */
#ifndef BENCH_TIMING_H
#define BENCH_TIMING_H

#include <stdint.h>

/* Monotonic nanoseconds (clock_gettime). */
uint64_t now_ns(void);

/* Cheap timestamps for per-sample latency: TSC ticks where available. */
static inline uint64_t ticks(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
#else
	return now_ns();
#endif
}

/* Nanoseconds per tick, calibrated once against now_ns(). */
double ns_per_tick(void);

/*
 * One cache line bounced between CPU 0 and CPU 1: the median time of one
 * transfer (half a round trip), in ns.  The physical floor of any ring
 * handoff; measured before each benchmark row because the host moves the
 * vCPUs and it changes by large factors.
 */
double crosscore_transfer_ns(void);

/* CPU time of the calling thread, ns. */
uint64_t thread_cpu_ns(void);

#endif
