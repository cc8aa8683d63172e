/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "spsc.h"

#include <errno.h>

#include <splitdrv/ring_spsc.h>

#include "timing.h"

SDRV_RING_SPSC_DEFINE(u64q, uint64_t);

int spsc_lib_producer(void *arg)
{
	struct spsc_shared *s = arg;
	struct sdrv_ring_spsc_prod p;
	uint64_t buf[64], next = 0;

	if (sdrv_ring_spsc_prod_attach(&p, (void *)s->ring, SPSC_RING_ELEMS,
				       sizeof(uint64_t)))
		return 1;
	s->start_ns = now_ns();
	while (next < s->count) {
		uint32_t n = s->count - next < s->burst
				     ? (uint32_t)(s->count - next)
				     : s->burst;

		for (uint32_t i = 0; i < n; i++)
			buf[i] = next + i;
		next += u64q_enqueue_burst(&p, buf, n);
	}
	return 0;
}

int spsc_lib_consumer(void *arg)
{
	struct spsc_shared *s = arg;
	struct sdrv_ring_spsc_cons c;
	uint64_t buf[64], expect = 0;

	if (sdrv_ring_spsc_cons_attach(&c, (void *)s->ring, SPSC_RING_ELEMS,
				       sizeof(uint64_t)))
		return 1;
	while (expect < s->count) {
		uint32_t n = u64q_dequeue_burst(&c, buf, s->burst);

		for (uint32_t i = 0; i < n; i++)
			if (buf[i] != expect++)
				return 2;
	}
	s->end_ns = now_ns();
	return 0;
}

double spsc_bench(bool rte, enum pair_mode pm, uint32_t burst, uint64_t count,
		  int *err)
{
	size_t ring_bytes = rte ? spsc_rte_memsize()
				: sdrv_ring_spsc_memsize(SPSC_RING_ELEMS, 8);
	size_t bytes = sizeof(struct spsc_shared) + ring_bytes;
	struct spsc_shared *s = pair_shared_alloc(bytes);
	double per_sec = 0;

	*err = 0;
	if (!s) {
		*err = -errno;
		return 0;
	}
	s->count = count;
	s->burst = burst;
	*err = rte ? spsc_rte_init(s->ring)
		   : sdrv_ring_spsc_init((void *)s->ring, SPSC_RING_ELEMS, 8);
	if (*err == 0)
		*err = rte ? pair_run(pm, spsc_rte_producer, spsc_rte_consumer, s)
			   : pair_run(pm, spsc_lib_producer, spsc_lib_consumer, s);
	if (*err == 0)
		per_sec = (double)count * 1e9 / (double)(s->end_ns - s->start_ns);
	pair_shared_free(s, bytes);
	return per_sec;
}
