/* SPDX-License-Identifier: MIT */
/*
 * bench/ringperf/peer_rte.c - DPDK's rte_ring (single producer, single
 * consumer) as the peer of libring's SPSC ring.  No EAL: the ring is
 * initialised in place on shared memory, as DPDK allows.  Kept in its own
 * file because DPDK's headers bring their own compiler flags.
 */
#include <rte_ring.h>

#include "spsc.h"
#include "timing.h"

size_t spsc_rte_memsize(void)
{
	ssize_t bytes = rte_ring_get_memsize_elem(sizeof(void *), SPSC_RING_ELEMS);

	return bytes < 0 ? 0 : (size_t)bytes;
}

int spsc_rte_init(void *ring)
{
	return rte_ring_init(ring, "ringperf", SPSC_RING_ELEMS,
			     RING_F_SP_ENQ | RING_F_SC_DEQ);
}

int spsc_rte_producer(void *arg)
{
	struct spsc_shared *s = arg;
	struct rte_ring *r = (struct rte_ring *)(void *)s->ring;
	void *buf[64];
	uint64_t next = 0;

	s->start_ns = now_ns();
	while (next < s->count) {
		uint32_t n = s->count - next < s->burst
				     ? (uint32_t)(s->count - next)
				     : s->burst;

		for (uint32_t i = 0; i < n; i++)
			buf[i] = (void *)(uintptr_t)(next + i);
		next += rte_ring_enqueue_burst(r, buf, n, NULL);
	}
	return 0;
}

int spsc_rte_consumer(void *arg)
{
	struct spsc_shared *s = arg;
	struct rte_ring *r = (struct rte_ring *)(void *)s->ring;
	void *buf[64];
	uint64_t expect = 0;

	while (expect < s->count) {
		uint32_t n = rte_ring_dequeue_burst(r, buf, s->burst, NULL);

		for (uint32_t i = 0; i < n; i++)
			if ((uint64_t)(uintptr_t)buf[i] != expect++)
				return 2;
	}
	s->end_ns = now_ns();
	return 0;
}
