/* SPDX-License-Identifier: MIT */
/* The general SPSC ring: behaviour, hostile indices, and two real threads
 * and processes moving millions of checked elements. */
#include "ring_test_util.h"

#include <splitdrv/ring_spsc.h>


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
	q->shared = aligned_alloc(128, (q->bytes + 127) & ~(size_t)127);
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
	struct sdrv_ring_spsc_shared *shared =
		aligned_alloc(128, (bytes + 127) & ~(size_t)127);
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
	__atomic_store_n(&q.shared->tail, 17, __ATOMIC_SEQ_CST); /* consumed more than produced */
	cr_assert_eq(u64q_enqueue_burst(&q.p, v, 1), 0);
	cr_assert_eq(q.p.fault, SDRV_RING_FAULT_PEER_INDEX);
	__atomic_store_n(&q.shared->tail, 16, __ATOMIC_SEQ_CST);
	cr_assert_eq(u64q_enqueue_burst(&q.p, v, 1), 0, "broken stays broken");
	free(q.shared);
}

Test(ring_spsc_hostile, consumer_breaks_when_head_laps_tail)
{
	struct q q;
	uint64_t v[16];

	q_init(&q, 16);
	__atomic_store_n(&q.shared->head, 17, __ATOMIC_SEQ_CST);
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
	__atomic_store_n(&q.shared->head, 1, __ATOMIC_SEQ_CST);
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
	__atomic_store_n(&q.shared->head, 100, __ATOMIC_SEQ_CST);
	cr_assert_eq(sdrv_ring_spsc_cons_attach(&c, q.shared, 16, 8),
		     -SDRV_EPROTO);
	free(q.shared);
}
