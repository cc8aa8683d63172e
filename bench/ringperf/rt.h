/* SPDX-License-Identifier: MIT */
/*
 * bench/ringperf/rt.h - request/response round trips over the Xen ring:
 * libring against Xen's ring.h macros on the same workload (slot type, ring
 * pages, notification mode, threads or processes).
 */
#ifndef RINGPERF_RT_H
#define RINGPERF_RT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "notify.h"
#include "pair.h"

/* Lives in pair_shared_alloc() memory, followed by the ring. */
struct rt_shared {
	uint64_t count; /* round trips (streaming) or samples (latency) */
	uint32_t ring_bytes;
	uint32_t mode; /* enum notify_mode */
	uint32_t max_in_flight; /* 1 for latency */
	uint32_t idle_gap_ms; /* > 0: idle test, see rt_idle_cpu() */
	int efd_to_back, efd_to_front;
	_Atomic int failed;
	uint64_t elapsed_ns; /* written by the front */
	uint64_t back_cpu_ns; /* written by the back */
	uint64_t *samples; /* front-local: per round trip ticks (latency) */
	_Alignas(4096) unsigned char ring[];
};

struct rt_impl {
	const char *name; /* "libring" or "Xen ring.h" */
	pair_side_fn front, back;
};

struct rt_workload {
	const char *name; /* "64B", "blkif", "netif-tx" */
	struct rt_impl lib, xen;
	struct rt_impl span; /* libring through the span API */
};

extern const struct rt_workload rt_workloads[];
extern const unsigned rt_nr_workloads;

struct rt_result {
	double per_sec; /* round trips per second (streaming) */
	double median_ns, p99_ns; /* latency */
	double idle_cpu; /* share of one CPU the back used while idle */
};

/* Streaming: @count round trips, as many in flight as the ring holds. */
int rt_stream(const struct rt_impl *impl, enum pair_mode pm, uint32_t pages,
	      enum notify_mode nm, uint64_t count, struct rt_result *res);

/* Latency: @count round trips, one in flight, each timed. */
int rt_latency(const struct rt_impl *impl, enum pair_mode pm,
	       enum notify_mode nm, uint64_t count, struct rt_result *res);

/* CPU the back burns while the front sends nothing for @gap_ms. */
int rt_idle_cpu(const struct rt_impl *impl, enum notify_mode nm,
		uint32_t gap_ms, struct rt_result *res);

#endif
