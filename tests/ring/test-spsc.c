/* SPDX-License-Identifier: MIT */
/* The general SPSC ring: behaviour, hostile indices, and two real threads
 * and processes moving millions of checked elements. */
#include "ring_test_util.h"

#include <splitdrv/ring_spsc.h>

#include "pair.h"

SDRV_RING_SPSC_DEFINE(u64q, uint64_t);

struct q {
	struct sdrv_ring_spsc_shared *shared;
	size_t bytes;
	struct sdrv_ring_spsc_prod p;
	struct sdrv_ring_spsc_cons c;
};

static void q_init(struct q *q, uint32_t nr)
{
	q->bytes = sdrv_ring_spsc_memsize(nr, sizeof(uint64_t));
	cr_assert_neq(q->bytes, 0);
	q->shared = aligned_alloc(128, q->bytes);
	cr_assert_eq(sdrv_ring_spsc_init(q->shared, nr, sizeof(uint64_t)), 0);
	cr_assert_eq(sdrv_ring_spsc_prod_attach(&q->p, q->shared, nr,
						sizeof(uint64_t)),
		     0);
	cr_assert_eq(sdrv_ring_spsc_cons_attach(&q->c, q->shared, nr,
						sizeof(uint64_t)),
		     0);
}

Test(ring_spsc, geometry_is_checked)
{
	struct sdrv_ring_spsc_prod p;
	void *mem = aligned_alloc(128, 4096);

	cr_assert_eq(sdrv_ring_spsc_memsize(16, 8), 256 + 128);
	cr_assert_eq(sdrv_ring_spsc_memsize(12, 8), 0, "not a power of two");
	cr_assert_eq(sdrv_ring_spsc_memsize(1, 8), 0);
	cr_assert_eq(sdrv_ring_spsc_memsize(1u << 31, 8), 0, "over 2^30");
	cr_assert_eq(sdrv_ring_spsc_memsize(16, 0), 0);
	cr_assert_eq(sdrv_ring_spsc_init((void *)((char *)mem + 64), 16, 8),
		     -SDRV_EINVAL, "misaligned");
	cr_assert_eq(sdrv_ring_spsc_prod_attach(&p, NULL, 16, 8), -SDRV_EINVAL);
	free(mem);
}

Test(ring_spsc, burst_is_partial_when_full_and_empty)
{
	struct q q;
	uint64_t in[20], out[20];

	q_init(&q, 16);
	for (int i = 0; i < 20; i++)
		in[i] = (uint64_t)i * 3;
	cr_assert_eq(u64q_enqueue_burst(&q.p, in, 20), 16);
	cr_assert_eq(u64q_enqueue_burst(&q.p, in, 1), 0);
	cr_assert_eq(u64q_dequeue_burst(&q.c, out, 5), 5);
	cr_assert_arr_eq(out, in, 5 * sizeof(uint64_t));
	cr_assert_eq(u64q_enqueue_burst(&q.p, in + 16, 4), 4, "wraps around");
	cr_assert_eq(u64q_dequeue_burst(&q.c, out, 20), 15);
	cr_assert_arr_eq(out, in + 5, 15 * sizeof(uint64_t));
	cr_assert_eq(u64q_dequeue_burst(&q.c, out, 20), 0);
	free(q.shared);
}

Test(ring_spsc, generic_runtime_size_matches_typed)
{
	struct sdrv_ring_spsc_prod p;
	struct sdrv_ring_spsc_cons c;
	size_t bytes = sdrv_ring_spsc_memsize(8, 3);
	struct sdrv_ring_spsc_shared *shared = aligned_alloc(128, bytes);
	uint8_t in[30], out[30];

	for (int i = 0; i < 30; i++)
		in[i] = (uint8_t)(i + 1);
	cr_assert_eq(sdrv_ring_spsc_init(shared, 8, 3), 0);
	cr_assert_eq(sdrv_ring_spsc_prod_attach(&p, shared, 8, 3), 0);
	cr_assert_eq(sdrv_ring_spsc_cons_attach(&c, shared, 8, 3), 0);
	for (int round = 0; round < 5; round++) {
		cr_assert_eq(sdrv_ring_spsc_enqueue_burst(&p, in, 10), 8);
		cr_assert_eq(sdrv_ring_spsc_dequeue_burst(&c, out, 10), 8);
		cr_assert_arr_eq(out, in, 24);
	}
	free(shared);
}

Test(ring_spsc_hostile, producer_breaks_when_tail_passes_head)
{
	struct q q;
	uint64_t v[16] = { 0 };

	q_init(&q, 16);
	cr_assert_eq(u64q_enqueue_burst(&q.p, v, 16), 16);
	atomic_store(&q.shared->tail, 17); /* consumed more than produced */
	cr_assert_eq(u64q_enqueue_burst(&q.p, v, 1), 0);
	cr_assert_eq(q.p.fault, SDRV_RING_FAULT_PEER_INDEX);
	atomic_store(&q.shared->tail, 16);
	cr_assert_eq(u64q_enqueue_burst(&q.p, v, 1), 0, "broken stays broken");
	free(q.shared);
}

Test(ring_spsc_hostile, consumer_breaks_when_head_laps_tail)
{
	struct q q;
	uint64_t v[16];

	q_init(&q, 16);
	atomic_store(&q.shared->head, 17);
	cr_assert_eq(u64q_dequeue_burst(&q.c, v, 16), 0);
	cr_assert_eq(q.c.fault, SDRV_RING_FAULT_PEER_INDEX);
	free(q.shared);
}

Test(ring_spsc_hostile, consumer_breaks_when_head_moves_backwards)
{
	struct q q;
	uint64_t v[16] = { 0 };

	q_init(&q, 16);
	u64q_enqueue_burst(&q.p, v, 8);
	cr_assert_eq(u64q_dequeue_burst(&q.c, v, 2), 2);
	atomic_store(&q.shared->head, 1);
	cr_assert_eq(u64q_dequeue_burst(&q.c, v, 6), 6, "seen ones are fine");
	cr_assert_eq(u64q_dequeue_burst(&q.c, v, 16), 0);
	cr_assert_eq(q.c.fault, SDRV_RING_FAULT_PEER_INDEX);
	free(q.shared);
}

Test(ring_spsc_hostile, attach_refuses_inconsistent_indices)
{
	struct q q;
	struct sdrv_ring_spsc_cons c;

	q_init(&q, 16);
	atomic_store(&q.shared->head, 100);
	cr_assert_eq(sdrv_ring_spsc_cons_attach(&c, q.shared, 16, 8),
		     -SDRV_EPROTO);
	free(q.shared);
}

/* Two sides in threads or processes: every element arrives once, in order. */
#define STREAM_ELEMS 4000000ull

struct stream {
	struct sdrv_ring_spsc_shared *shared;
	uint32_t nr;
	uint32_t burst;
};

static int stream_producer(void *arg)
{
	struct stream *s = arg;
	struct sdrv_ring_spsc_prod p;
	uint64_t buf[64], next = 0;

	if (sdrv_ring_spsc_prod_attach(&p, s->shared, s->nr, 8))
		return 1;
	while (next < STREAM_ELEMS) {
		uint32_t n = s->burst;

		if (STREAM_ELEMS - next < n)
			n = (uint32_t)(STREAM_ELEMS - next);
		for (uint32_t i = 0; i < n; i++)
			buf[i] = next + i;
		next += u64q_enqueue_burst(&p, buf, n);
	}
	return 0;
}

static int stream_consumer(void *arg)
{
	struct stream *s = arg;
	struct sdrv_ring_spsc_cons c;
	uint64_t buf[64], expect = 0;

	if (sdrv_ring_spsc_cons_attach(&c, s->shared, s->nr, 8))
		return 1;
	while (expect < STREAM_ELEMS) {
		uint32_t n = u64q_dequeue_burst(&c, buf, s->burst);

		for (uint32_t i = 0; i < n; i++)
			if (buf[i] != expect++)
				return 2;
		if (c.fault)
			return 3;
	}
	return 0;
}

static void stream(enum pair_mode mode, uint32_t burst)
{
	struct stream s = { .nr = 1024, .burst = burst };
	size_t bytes = sdrv_ring_spsc_memsize(s.nr, 8);

	s.shared = pair_shared_alloc(bytes);
	cr_assert_not_null(s.shared);
	cr_assert_eq(sdrv_ring_spsc_init(s.shared, s.nr, 8), 0);
	cr_assert_eq(pair_run(mode, stream_producer, stream_consumer, &s), 0,
		     "%s, burst %u", pair_mode_name(mode), burst);
	pair_shared_free(s.shared, bytes);
}

Test(ring_spsc_concurrent, threads_deliver_every_element_in_order,
     .timeout = 120)
{
	stream(PAIR_THREADS, 1);
	stream(PAIR_THREADS, 32);
}

Test(ring_spsc_concurrent, processes_deliver_every_element_in_order,
     .timeout = 120)
{
	stream(PAIR_PROCESSES, 1);
	stream(PAIR_PROCESSES, 32);
}
