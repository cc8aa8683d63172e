/* SPDX-License-Identifier: MIT */
/*
 * bench/ringperf/spsc.h - one-way element throughput: libring's SPSC ring
 * against DPDK's rte_ring (SP/SC), 8-byte elements, bursts of 1..32.
 */
#ifndef RINGPERF_SPSC_H
#define RINGPERF_SPSC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pair.h"

#define SPSC_RING_ELEMS 1024u

/* Lives in pair_shared_alloc() memory; the ring follows. */
struct spsc_shared {
	uint64_t count;
	uint32_t burst;
	uint64_t start_ns; /* producer, before its first enqueue */
	uint64_t end_ns; /* consumer, after its last dequeue */
	_Alignas(128) unsigned char ring[];
};

/* The sides, for pair_run(); arg is the struct spsc_shared. */
int spsc_lib_producer(void *arg);
int spsc_lib_consumer(void *arg);
/* In peer_rte.c (DPDK); rte_ring_init() on the shared memory. */
int spsc_rte_producer(void *arg);
int spsc_rte_consumer(void *arg);
size_t spsc_rte_memsize(void);
int spsc_rte_init(void *ring);

/* Elements per second through the ring; 0 with *err set on failure. */
double spsc_bench(bool rte, enum pair_mode pm, uint32_t burst, uint64_t count,
		  int *err);

#endif
