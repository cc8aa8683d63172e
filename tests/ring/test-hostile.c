/* SPDX-License-Identifier: MIT */
/*
 * The Xen shared ring against a hostile peer: indices that lie, move
 * backwards or change under us, slots rewritten after we took them.  The
 * handle must break (never crash, never touch memory outside the ring) and
 * stay broken.  Rings are heap blocks of exactly their size, so ASan reports
 * any access outside.
 */
#include <sys/mman.h>

#include "ring_test_util.h"

struct msg {
	uint64_t w[8];
};
SDRV_RING_DEFINE(hmsg, struct msg, struct msg);

#define RING_BYTES 4096u
#define NR_SLOTS 32u

static struct sdrv_sring *sring_of(void *mem)
{
	return mem;
}

Test(ring_hostile, back_breaks_when_req_prod_claims_more_than_ring)
{
	void *mem = ring_mem_new(RING_BYTES);
	struct sdrv_ring_back b;
	struct msg out[64];

	cr_assert_eq(hmsg_back_attach(&b, mem, RING_BYTES, 0), 0);
	__atomic_store_n(&sring_of(mem)->req_prod, NR_SLOTS + 1, __ATOMIC_SEQ_CST);
	cr_assert_eq(hmsg_back_take_requests(&b, out, 64), 0);
	cr_assert_eq(sdrv_ring_back_fault(&b), SDRV_RING_FAULT_PEER_INDEX);
	cr_assert_eq(b.fault_index, NR_SLOTS + 1);
	cr_assert_str_eq(sdrv_ring_fault_name(sdrv_ring_back_fault(&b)),
			 "peer producer index out of range");
	/* Broken is final, even if the peer puts a sane value back. */
	__atomic_store_n(&sring_of(mem)->req_prod, 1, __ATOMIC_SEQ_CST);
	cr_assert_eq(hmsg_back_take_requests(&b, out, 64), 0);
	cr_assert_eq(sdrv_ring_back_pending(&b), 0);
	cr_assert_not(sdrv_ring_back_final_check(&b));
	cr_assert_null(hmsg_back_response_slot(&b, 0));
	free(mem);
}

Test(ring_hostile, back_accepts_exactly_a_full_ring)
{
	void *mem = ring_mem_new(RING_BYTES);
	struct sdrv_ring_back b;
	struct msg out[64];

	cr_assert_eq(hmsg_back_attach(&b, mem, RING_BYTES, 0), 0);
	__atomic_store_n(&sring_of(mem)->req_prod, NR_SLOTS, __ATOMIC_SEQ_CST);
	cr_assert_eq(hmsg_back_take_requests(&b, out, 64), NR_SLOTS);
	cr_assert_eq(sdrv_ring_back_fault(&b), SDRV_RING_HEALTHY);
	/* Until we answer, not one more may arrive. */
	__atomic_store_n(&sring_of(mem)->req_prod, NR_SLOTS + 1, __ATOMIC_SEQ_CST);
	cr_assert_eq(hmsg_back_take_requests(&b, out, 64), 0);
	cr_assert_eq(sdrv_ring_back_fault(&b), SDRV_RING_FAULT_PEER_INDEX);
	free(mem);
}

Test(ring_hostile, back_breaks_when_req_prod_moves_backwards)
{
	void *mem = ring_mem_new(RING_BYTES);
	struct sdrv_ring_back b;
	struct msg out[8];

	cr_assert_eq(hmsg_back_attach(&b, mem, RING_BYTES, 0), 0);
	__atomic_store_n(&sring_of(mem)->req_prod, 8, __ATOMIC_SEQ_CST);
	cr_assert_eq(hmsg_back_take_requests(&b, out, 2), 2);
	__atomic_store_n(&sring_of(mem)->req_prod, 5, __ATOMIC_SEQ_CST);
	cr_assert_eq(hmsg_back_take_requests(&b, out, 6), 6,
		     "the 6 already seen need no new read of req_prod");
	cr_assert_eq(hmsg_back_take_requests(&b, out, 8), 0);
	cr_assert_eq(sdrv_ring_back_fault(&b), SDRV_RING_FAULT_PEER_INDEX);
	free(mem);
}

Test(ring_hostile, front_breaks_on_responses_to_unsent_requests)
{
	void *mem = ring_mem_new(RING_BYTES);
	struct sdrv_ring_front f;
	struct msg m[4] = { 0 };

	cr_assert_eq(hmsg_front_attach(&f, mem, RING_BYTES, 0), 0);
	cr_assert_eq(hmsg_front_put_requests(&f, m, 3), 3);
	sdrv_ring_front_push(&f);
	/* 3 published: 4 responses is a lie, though well within the ring. */
	__atomic_store_n(&sring_of(mem)->rsp_prod, 4, __ATOMIC_SEQ_CST);
	cr_assert_eq(hmsg_front_take_responses(&f, m, 4), 0);
	cr_assert_eq(sdrv_ring_front_fault(&f), SDRV_RING_FAULT_PEER_INDEX);
	cr_assert_eq(f.fault_index, 4);
	cr_assert_null(hmsg_front_request_slot(&f, 0));
	cr_assert_eq(hmsg_front_put_requests(&f, m, 1), 0);
	cr_assert_not(sdrv_ring_front_final_check(&f));
	free(mem);
}

Test(ring_hostile, front_ignores_unpublished_requests_when_checking)
{
	void *mem = ring_mem_new(RING_BYTES);
	struct sdrv_ring_front f;
	struct msg m[4] = { 0 };

	cr_assert_eq(hmsg_front_attach(&f, mem, RING_BYTES, 0), 0);
	hmsg_front_put_requests(&f, m, 2);
	sdrv_ring_front_push(&f);
	hmsg_front_put_requests(&f, m, 2); /* produced, not published */
	__atomic_store_n(&sring_of(mem)->rsp_prod, 3, __ATOMIC_SEQ_CST);
	cr_assert_eq(hmsg_front_take_responses(&f, m, 4), 0,
		     "the back cannot answer what it cannot have seen");
	cr_assert_eq(sdrv_ring_front_fault(&f), SDRV_RING_FAULT_PEER_INDEX);
	free(mem);
}

Test(ring_hostile, front_breaks_when_rsp_prod_moves_backwards)
{
	void *mem = ring_mem_new(RING_BYTES);
	struct sdrv_ring_front f;
	struct msg m[8] = { 0 };

	cr_assert_eq(hmsg_front_attach(&f, mem, RING_BYTES, 0), 0);
	hmsg_front_put_requests(&f, m, 8);
	sdrv_ring_front_push(&f);
	__atomic_store_n(&sring_of(mem)->rsp_prod, 4, __ATOMIC_SEQ_CST);
	cr_assert_eq(sdrv_ring_front_pending(&f), 4);
	cr_assert_eq(hmsg_front_take_responses(&f, m, 4), 4);
	__atomic_store_n(&sring_of(mem)->rsp_prod, 3, __ATOMIC_SEQ_CST);
	cr_assert_eq(sdrv_ring_front_pending(&f), 0);
	cr_assert_eq(sdrv_ring_front_fault(&f), SDRV_RING_FAULT_PEER_INDEX);
	free(mem);
}

Test(ring_hostile, request_copy_is_immune_to_later_slot_writes)
{
	void *mem = ring_mem_new(RING_BYTES);
	struct sdrv_ring_front f;
	struct sdrv_ring_back b;
	struct msg m, got;

	memset(&m, 0x11, sizeof(m));
	cr_assert_eq(hmsg_front_attach(&f, mem, RING_BYTES, 0), 0);
	cr_assert_eq(hmsg_back_attach(&b, mem, RING_BYTES, 0), 0);
	hmsg_front_put_requests(&f, &m, 1);
	sdrv_ring_front_push(&f);
	cr_assert_eq(hmsg_back_take_requests(&b, &got, 1), 1);
	/* The peer rewrites the slot after we took it. */
	memset((unsigned char *)mem + SDRV_SRING_HEADER_SIZE, 0xEE,
	       sizeof(struct msg));
	for (int i = 0; i < 8; i++)
		cr_assert_eq(got.w[i], 0x1111111111111111ull);
	free(mem);
}

Test(ring_hostile, back_survives_garbage_header_at_attach)
{
	void *mem = aligned_alloc(4096, RING_BYTES);
	struct sdrv_ring_back b;
	struct msg out[4];

	memset(mem, 0xFF, RING_BYTES); /* never initialised by the front */
	cr_assert_eq(hmsg_back_attach(&b, mem, RING_BYTES, 0), 0);
	cr_assert_eq(hmsg_back_take_requests(&b, out, 4), 0);
	cr_assert_eq(sdrv_ring_back_fault(&b), SDRV_RING_FAULT_PEER_INDEX);
	free(mem);
}

/*
 * A hostile front writes random indices and slot bytes between every call
 * of a back that answers whatever it takes.  The back must only ever take
 * what the rules allow, and must never read or write outside the ring.
 */
Test(ring_hostile, random_front_indices_never_escape_the_ring)
{
	uint64_t rng = 0x5eed;

	for (int trial = 0; trial < 2000; trial++) {
		void *mem = ring_mem_new(RING_BYTES);
		struct sdrv_ring_back b;
		struct msg out[NR_SLOTS];
		uint32_t base = (uint32_t)test_rand(&rng);

		__atomic_store_n(&sring_of(mem)->req_prod, base, __ATOMIC_SEQ_CST);
		cr_assert_eq(hmsg_back_attach(&b, mem, RING_BYTES, base), 0);
		for (int step = 0; step < 50; step++) {
			uint64_t r = test_rand(&rng);
			uint32_t prod = (r & 1) ? base + (uint32_t)(r >> 8) % 40
						: (uint32_t)(r >> 16);
			uint32_t before = b.req_cons;
			uint32_t n;

			__atomic_store_n(&sring_of(mem)->req_prod, prod, __ATOMIC_SEQ_CST);
			memset((unsigned char *)mem + SDRV_SRING_HEADER_SIZE +
				       (r >> 3) % (RING_BYTES - 64 - 8),
			       (int)r, 8);
			n = hmsg_back_take_requests(&b, out, NR_SLOTS);
			cr_assert_leq(n, NR_SLOTS);
			cr_assert_leq(b.req_cons - b.rsp_prod_pub, NR_SLOTS);
			cr_assert_eq(b.req_cons - before, n);
			hmsg_back_put_responses(&b, out, n);
			sdrv_ring_back_push(&b);
			if (sdrv_ring_back_fault(&b))
				break;
			base = b.req_cons;
		}
		free(mem);
	}
}

Test(ring_hostile, random_back_indices_never_escape_the_ring)
{
	uint64_t rng = 0xfeed;

	for (int trial = 0; trial < 2000; trial++) {
		void *mem = ring_mem_new(RING_BYTES);
		struct sdrv_ring_front f;
		struct msg buf[NR_SLOTS] = { 0 };

		cr_assert_eq(hmsg_front_attach(&f, mem, RING_BYTES, 0), 0);
		for (int step = 0; step < 50; step++) {
			uint64_t r = test_rand(&rng);
			uint32_t before = f.rsp_cons, n;

			hmsg_front_put_requests(&f, buf, (uint32_t)r % 9);
			sdrv_ring_front_push(&f);
			__atomic_store_n(&sring_of(mem)->rsp_prod, (r & 2) ? f.rsp_cons + (uint32_t)(r >> 8) % 40
					     : (uint32_t)(r >> 16), __ATOMIC_SEQ_CST);
			__atomic_store_n(&sring_of(mem)->rsp_event, (uint32_t)(r >> 32), __ATOMIC_SEQ_CST);
			n = hmsg_front_take_responses(&f, buf, NR_SLOTS);
			cr_assert_leq(f.req_prod_pub - f.rsp_cons, NR_SLOTS);
			cr_assert_eq(f.rsp_cons - before, n);
			if (sdrv_ring_front_fault(&f))
				break;
		}
		free(mem);
	}
}

/* A page of its own, so it can be made read-only. */
static void *ring_page_new(void)
{
	void *mem = mmap(NULL, RING_BYTES, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(mem, MAP_FAILED);
	return mem;
}

Test(ring_hostile, a_broken_back_never_writes_the_shared_page_again)
{
	void *mem = ring_page_new();
	struct sdrv_ring_back b;
	struct msg io[4] = { 0 };

	cr_assert_eq(hmsg_back_attach(&b, mem, RING_BYTES, 0), 0);
	__atomic_store_n(&sring_of(mem)->req_prod, 4, __ATOMIC_SEQ_CST);
	cr_assert_eq(hmsg_back_take_requests(&b, io, 4), 4);
	/* two answers produced privately, not yet published */
	cr_assert_eq(hmsg_back_put_responses(&b, io, 2), 2);
	__atomic_store_n(&sring_of(mem)->req_prod, 3, __ATOMIC_SEQ_CST);
	cr_assert_not(sdrv_ring_back_final_check(&b));
	cr_assert_eq(sdrv_ring_back_fault(&b), SDRV_RING_FAULT_PEER_INDEX);
	/* From here any write to the page is a SIGSEGV. */
	cr_assert_eq(mprotect(mem, RING_BYTES, PROT_READ), 0);
	sdrv_ring_back_publish(&b);
	cr_assert_not(sdrv_ring_back_push(&b));
	cr_assert_eq(hmsg_back_put_responses(&b, io, 2), 0);
	cr_assert_eq(sdrv_ring_back_produce(&b, 2), 0);
	cr_assert_null(hmsg_back_response_slot(&b, 0));
	cr_assert_not(sdrv_ring_back_final_check(&b));
	cr_assert_eq(sdrv_ring_back_pending(&b), 0);
	munmap(mem, RING_BYTES);
}

Test(ring_hostile, a_broken_front_never_writes_the_shared_page_again)
{
	void *mem = ring_page_new();
	struct sdrv_ring_front f;
	struct msg io[4] = { 0 };

	cr_assert_eq(hmsg_front_attach(&f, mem, RING_BYTES, 1), 0);
	cr_assert_eq(hmsg_front_put_requests(&f, io, 2), 2);
	sdrv_ring_front_publish(&f);
	cr_assert_eq(hmsg_front_put_requests(&f, io, 2), 2); /* unpublished */
	/* responses to requests never sent */
	__atomic_store_n(&sring_of(mem)->rsp_prod, 9, __ATOMIC_SEQ_CST);
	cr_assert_eq(hmsg_front_take_responses(&f, io, 4), 0);
	cr_assert_eq(sdrv_ring_front_fault(&f), SDRV_RING_FAULT_PEER_INDEX);
	cr_assert_eq(mprotect(mem, RING_BYTES, PROT_READ), 0);
	sdrv_ring_front_publish(&f);
	cr_assert_not(sdrv_ring_front_push(&f));
	cr_assert_eq(hmsg_front_put_requests(&f, io, 1), 0);
	cr_assert_eq(sdrv_ring_front_produce(&f, 1), 0);
	cr_assert_null(hmsg_front_request_slot(&f, 0));
	cr_assert_not(sdrv_ring_front_final_check(&f));
	munmap(mem, RING_BYTES);
}

Test(ring_hostile, spans_never_reach_past_what_was_checked)
{
	void *mem = ring_mem_new(RING_BYTES);
	struct sdrv_ring_back b;
	struct sdrv_ring_span sp;
	struct msg copy;

	cr_assert_eq(hmsg_back_attach(&b, mem, RING_BYTES, 0), 0);
	__atomic_store_n(&sring_of(mem)->req_prod, 5, __ATOMIC_SEQ_CST);
	cr_assert_eq(sdrv_ring_back_peek_requests(&b, 64, &sp), 5);
	/* the front publishes more: the span stays what was checked */
	__atomic_store_n(&sring_of(mem)->req_prod, 9, __ATOMIC_SEQ_CST);
	cr_assert_eq(sp.count, 5);
	/* consuming more than was checked is clamped */
	sdrv_ring_back_consume_requests(&b, 1000);
	cr_assert_eq(b.req_cons, 5);
	/* answers: only as many slots as requests owed */
	cr_assert_eq(sdrv_ring_back_reserve_responses(&b, 64, &sp), 5);
	cr_assert_eq(sdrv_ring_back_produce(&b, 5), 5);
	/* a copy taken out of a span does not change with the slot */
	cr_assert_eq(sdrv_ring_back_peek_requests(&b, 64, &sp), 4);
	memset(hmsg_span_request(&sp, 0), 0x11, sizeof(struct msg));
	hmsg_span_copy_request(&sp, 0, &copy);
	memset(hmsg_span_request(&sp, 0), 0x22, sizeof(struct msg));
	cr_assert_eq(copy.w[0], 0x1111111111111111ull);
	/* a lying index breaks the handle: empty spans from then on */
	sdrv_ring_back_consume_requests(&b, 4);
	__atomic_store_n(&sring_of(mem)->req_prod, 9 + NR_SLOTS + 1,
			 __ATOMIC_SEQ_CST);
	cr_assert_eq(sdrv_ring_back_peek_requests(&b, 64, &sp), 0);
	cr_assert_eq(sdrv_ring_back_fault(&b), SDRV_RING_FAULT_PEER_INDEX);
	cr_assert_eq(sdrv_ring_back_reserve_responses(&b, 64, &sp), 0);
	free(mem);
}

Test(ring_hostile, front_spans_never_reach_past_what_was_checked)
{
	void *mem = ring_mem_new(RING_BYTES);
	struct sdrv_ring_front f;
	struct sdrv_ring_span sp;

	cr_assert_eq(hmsg_front_attach(&f, mem, RING_BYTES, 0), 0);
	cr_assert_eq(sdrv_ring_front_reserve_requests(&f, 64, &sp), NR_SLOTS);
	cr_assert_eq(sdrv_ring_front_produce(&f, 3), 3);
	sdrv_ring_front_publish(&f);
	__atomic_store_n(&sring_of(mem)->rsp_prod, 2, __ATOMIC_SEQ_CST);
	cr_assert_eq(sdrv_ring_front_peek_responses(&f, 64, &sp), 2);
	sdrv_ring_front_consume_responses(&f, 50);
	cr_assert_eq(f.rsp_cons, 2);
	/* responses to requests never sent */
	__atomic_store_n(&sring_of(mem)->rsp_prod, 7, __ATOMIC_SEQ_CST);
	cr_assert_eq(sdrv_ring_front_peek_responses(&f, 64, &sp), 0);
	cr_assert_eq(sdrv_ring_front_fault(&f), SDRV_RING_FAULT_PEER_INDEX);
	cr_assert_eq(sdrv_ring_front_reserve_requests(&f, 64, &sp), 0);
	free(mem);
}
