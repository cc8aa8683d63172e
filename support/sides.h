/* SPDX-License-Identifier: MIT */
/*
 * support/sides.h - the two sides of a streaming request/response
 * workload over a 64-byte-message ring, written once with libring and once
 * with Xen's own macros, for the interop and concurrency tests and the demo.
 *
 * Every request and response carries a sequence number and a payload derived
 * from it; each side checks every one it receives.  Sides notify each other
 * through spin_events following the ring's event indices and sleep (spin)
 * only after a final check, so a wrongly suppressed notification hangs the
 * run and the test's timeout reports it.
 */
#ifndef TESTS_RING_SIDES_H
#define TESTS_RING_SIDES_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "pair.h"
#include "spin_event.h"

/* Lives in pair_shared_alloc() memory, followed by the ring pages. */
struct sides_shared {
	struct spin_event to_back;
	struct spin_event to_front;
	_Atomic int failure; /* first failure of either side, 0 if none */
	uint64_t requests; /* how many round trips to run */
	uint32_t ring_bytes;
	uint32_t max_batch; /* requests the front produces per push */
	_Alignas(4096) unsigned char ring[];
};

enum side_failure {
	SIDE_OK = 0,
	SIDE_BAD_REQUEST = 10, /* wrong sequence or payload */
	SIDE_BAD_RESPONSE = 11,
	SIDE_RING_BROKEN = 12, /* a handle or Xen's overflow check tripped */
	SIDE_ATTACH = 13,
	SIDE_PEER_FAILED = 14,
};

size_t sides_shared_size(uint32_t ring_bytes);
/* Initialises the header and the ring (as the front would before granting). */
void sides_shared_init(struct sides_shared *s, uint32_t ring_bytes,
		       uint64_t requests, uint32_t max_batch);

/* pair_side_fn-compatible: arg is the struct sides_shared. */
int lib_front(void *arg);
int lib_back(void *arg);
/* The same through the span API (peek/consume, reserve/produce). */
int lib_front_span(void *arg);
int lib_back_span(void *arg);
/* In support/sides-xen.c, built only where the Xen headers are. */
int xen_front(void *arg);
int xen_back(void *arg);

/* Allocate shared memory and a ring of @pages, run @front and @back over it
 * as @mode says, free it.  Returns pair_run()'s status, or -errno. */
int sides_run(enum pair_mode mode, pair_side_fn front, pair_side_fn back,
	      uint32_t pages, uint64_t requests, uint32_t max_batch);

/* Record the first failure and wake the peer so it can give up too. */
int sides_fail(struct sides_shared *s, int failure);

#endif
