/* SPDX-License-Identifier: MIT */
/* The Xen shared ring driven by well-behaved front and back handles. */
#include "ring_test_util.h"

#include <splitdrv/blkif.h>
#include <splitdrv/netif.h>

struct msg {
	uint64_t seq;
	uint64_t payload[7];
};
SDRV_RING_DEFINE(tmsg, struct msg, struct msg);

static struct msg make_msg(uint64_t seq)
{
	struct msg m = { .seq = seq };

	for (int i = 0; i < 7; i++)
		m.payload[i] = seq * 31 + (uint64_t)i;
	return m;
}

Test(ring_geometry, nr_slots_is_power_of_two_that_fits)
{
	/* (4096 - 64) / 64 = 63 -> 32; Xen's blkif: 36 -> 32. */
	cr_assert_eq(sdrv_ring_nr_slots(4096, 64), 32);
	cr_assert_eq(sdrv_ring_nr_slots(4096, 112), 32);
	cr_assert_eq(sdrv_ring_nr_slots(4096, 12), 256);
	cr_assert_eq(sdrv_ring_nr_slots(8 * 4096, 64), 256);
	cr_assert_eq(sdrv_ring_nr_slots(4096, 4096), 0);
	cr_assert_eq(sdrv_ring_nr_slots(4096, 0), 0);
	cr_assert_eq(sdrv_ring_nr_slots(64, 8), 0);
	cr_assert_eq(sdrv_ring_nr_slots((size_t)4096 << 9, 64), 0,
		     "beyond the largest page order");
	for (uint32_t bytes = 4096; bytes <= 16 * 4096; bytes *= 2)
		cr_assert_eq(sdrv_ring_nr_slots(bytes, 64),
			     SDRV_RING_NR_SLOTS_CONST(bytes, 64));
}

Test(ring_geometry, attach_rejects_bad_arguments)
{
	struct sdrv_ring_front f;
	struct sdrv_ring_back b;
	void *mem = ring_mem_new(4096);

	cr_assert_eq(sdrv_ring_front_attach(NULL, mem, 4096, 64, 64, 64, 0),
		     -SDRV_EINVAL);
	cr_assert_eq(sdrv_ring_front_attach(&f, NULL, 4096, 64, 64, 64, 0),
		     -SDRV_EINVAL);
	cr_assert_eq(sdrv_ring_front_attach(&f, mem, 4096, 64, 65, 64, 0),
		     -SDRV_EINVAL, "request larger than its slot");
	cr_assert_eq(sdrv_ring_back_attach(&b, mem, 4096, 64, 64, 0, 0),
		     -SDRV_EINVAL, "zero response size");
	cr_assert_eq(sdrv_ring_back_attach(&b, mem, 4000, 64, 64, 64, 0),
		     -SDRV_EINVAL, "not a whole number of pages");
	cr_assert_eq(sdrv_ring_back_attach(&b, mem, 4096, 8192, 64, 64, 0),
		     -SDRV_EINVAL, "slot larger than the ring");
	cr_assert_eq(sdrv_ring_back_attach(&b, mem, (size_t)4096 << 9, 64, 64,
					   64, 0),
		     -SDRV_ERANGE);
	cr_assert_eq(sdrv_ring_sring_init(NULL, 4096), -SDRV_EINVAL);
	cr_assert_eq(sdrv_ring_sring_init(mem, 32), -SDRV_EINVAL);
	free(mem);
}

Test(ring_geometry, sring_init_sets_xen_initial_state)
{
	void *mem = ring_mem_new(4096);
	const uint8_t *bytes = mem;
	struct sdrv_sring *s = mem;

	cr_assert_eq(__atomic_load_n(&s->req_prod, __ATOMIC_SEQ_CST), 0);
	cr_assert_eq(__atomic_load_n(&s->rsp_prod, __ATOMIC_SEQ_CST), 0);
	cr_assert_eq(__atomic_load_n(&s->req_event, __ATOMIC_SEQ_CST), 1);
	cr_assert_eq(__atomic_load_n(&s->rsp_event, __ATOMIC_SEQ_CST), 1);
	for (int i = 16; i < 64; i++)
		cr_assert_eq(bytes[i], 0, "pad byte %d", i);
	free(mem);
}

/* A front and back over one ring, created for each test. */
struct pair {
	void *mem;
	struct sdrv_ring_front f;
	struct sdrv_ring_back b;
};

static void pair_init(struct pair *p, size_t bytes, uint32_t start)
{
	p->mem = ring_mem_new(bytes);
	struct sdrv_sring *s = p->mem;
	__atomic_store_n(&s->req_prod, start, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->rsp_prod, start, __ATOMIC_SEQ_CST);
	cr_assert_eq(tmsg_front_attach(&p->f, p->mem, bytes, start), 0);
	cr_assert_eq(tmsg_back_attach(&p->b, p->mem, bytes, start), 0);
}

Test(ring_front, push_fails_when_full)
{
	struct pair p;
	struct msg m[40];

	pair_init(&p, 4096, 0);
	for (int i = 0; i < 40; i++)
		m[i] = make_msg((uint64_t)i);
	struct sdrv_sring *s = (struct sdrv_sring *)p.mem;

	cr_assert_eq(sdrv_ring_front_free(&p.f), 32);
	cr_assert_eq(tmsg_front_put_requests(&p.f, m, 40), 32);
	cr_assert(sdrv_ring_front_push(&p.f),
		  "publishing the first 32 requests notifies the back");
	cr_assert_eq(__atomic_load_n(&s->req_prod, __ATOMIC_SEQ_CST), 32);
	/* full: nothing more goes in, and a push publishes nothing */
	cr_assert_eq(sdrv_ring_front_free(&p.f), 0);
	cr_assert_eq(tmsg_front_put_requests(&p.f, m, 1), 0);
	cr_assert_null(tmsg_front_request_slot(&p.f, 0));
	cr_assert_eq(sdrv_ring_front_produce(&p.f, 5), 0, "produce clamps");
	cr_assert(!sdrv_ring_front_push(&p.f),
		  "a push with nothing new does not notify");
	cr_assert_eq(__atomic_load_n(&s->req_prod, __ATOMIC_SEQ_CST), 32,
		     "a full ring published more than its slots");
	cr_assert_eq(sdrv_ring_front_in_flight(&p.f), 32);
	free(p.mem);
}

Test(ring_front, requests_and_responses_keep_order_and_content)
{
	struct pair p;
	struct msg in[32], out[32];

	pair_init(&p, 4096, 0);
	for (uint64_t round = 0; round < 100; round++) {
		uint32_t n = (uint32_t)(round % 32) + 1;

		for (uint32_t i = 0; i < n; i++)
			in[i] = make_msg(round * 1000 + i);
		cr_assert_eq(tmsg_front_put_requests(&p.f, in, n), n);
		sdrv_ring_front_push(&p.f);
		cr_assert_eq(sdrv_ring_back_pending(&p.b), n);
		cr_assert_eq(tmsg_back_take_requests(&p.b, out, 32), n);
		cr_assert_arr_eq(out, in, n * sizeof(in[0]));
		for (uint32_t i = 0; i < n; i++)
			out[i].seq = ~out[i].seq;
		cr_assert_eq(tmsg_back_put_responses(&p.b, out, n), n);
		sdrv_ring_back_push(&p.b);
		cr_assert_eq(tmsg_front_take_responses(&p.f, in, 32), n);
		for (uint32_t i = 0; i < n; i++)
			cr_assert_eq(in[i].seq, ~(round * 1000 + i));
	}
	cr_assert_eq(sdrv_ring_front_fault(&p.f), SDRV_RING_HEALTHY);
	cr_assert_eq(sdrv_ring_back_fault(&p.b), SDRV_RING_HEALTHY);
	free(p.mem);
}

Test(ring_front, indices_wrap_past_uint32_max)
{
	struct pair p;
	struct msg m, r;

	pair_init(&p, 4096, UINT32_MAX - 40);
	for (uint64_t i = 0; i < 200; i++) {
		m = make_msg(i);
		cr_assert_eq(tmsg_front_put_requests(&p.f, &m, 1), 1);
		sdrv_ring_front_publish(&p.f);
		cr_assert_eq(tmsg_back_take_requests(&p.b, &r, 1), 1);
		cr_assert_eq(r.seq, i);
		cr_assert_eq(tmsg_back_put_responses(&p.b, &r, 1), 1);
		sdrv_ring_back_publish(&p.b);
		cr_assert_eq(tmsg_front_take_responses(&p.f, &r, 1), 1);
		cr_assert_eq(r.seq, i);
	}
	cr_assert_eq(sdrv_ring_back_fault(&p.b), SDRV_RING_HEALTHY);
	free(p.mem);
}

Test(ring_front, in_place_fill_and_produce)
{
	struct pair p;
	struct msg out[4];

	pair_init(&p, 4096, 0);
	for (uint32_t k = 0; k < 4; k++)
		*tmsg_front_request_slot(&p.f, k) = make_msg(k + 7);
	cr_assert_eq(sdrv_ring_front_produce(&p.f, 4), 4);
	sdrv_ring_front_publish(&p.f);
	cr_assert_eq(tmsg_back_take_requests(&p.b, out, 4), 4);
	for (uint32_t k = 0; k < 4; k++)
		cr_assert_eq(out[k].seq, k + 7);
	/* The back answers in place too, and only what it took. */
	cr_assert_null(tmsg_back_response_slot(&p.b, 4));
	tmsg_back_response_slot(&p.b, 0)->seq = 99;
	cr_assert_eq(sdrv_ring_back_produce(&p.b, 9), 4, "clamped");
	free(p.mem);
}

Test(ring_back, put_responses_limited_to_taken_requests)
{
	struct pair p;
	struct msg m[3] = { make_msg(1), make_msg(2), make_msg(3) };

	pair_init(&p, 4096, 0);
	cr_assert_eq(tmsg_back_put_responses(&p.b, m, 3), 0);
	tmsg_front_put_requests(&p.f, m, 3);
	sdrv_ring_front_publish(&p.f);
	cr_assert_eq(tmsg_back_take_requests(&p.b, m, 2), 2);
	cr_assert_eq(sdrv_ring_back_unanswered(&p.b), 2);
	cr_assert_eq(tmsg_back_put_responses(&p.b, m, 3), 2);
	free(p.mem);
}

Test(ring_notify, first_push_notifies_then_suppressed_until_final_check)
{
	struct pair p;
	struct msg m = make_msg(1), r;

	pair_init(&p, 4096, 0);
	tmsg_front_put_requests(&p.f, &m, 1);
	cr_assert(sdrv_ring_front_push(&p.f), "req_event starts at 1");
	tmsg_front_put_requests(&p.f, &m, 1);
	cr_assert_not(sdrv_ring_front_push(&p.f),
		      "back has not asked again");
	cr_assert_not(sdrv_ring_front_push(&p.f), "nothing new");
	cr_assert_eq(tmsg_back_take_requests(&p.b, &r, 1), 1);
	cr_assert(sdrv_ring_back_final_check(&p.b), "one more is waiting");
	cr_assert_eq(tmsg_back_take_requests(&p.b, &r, 1), 1);
	cr_assert_not(sdrv_ring_back_final_check(&p.b));
	cr_assert_eq(__atomic_load_n(&((struct sdrv_sring *)p.mem)->req_event, __ATOMIC_SEQ_CST), 3);
	tmsg_front_put_requests(&p.f, &m, 1);
	cr_assert(sdrv_ring_front_push(&p.f), "back asked after going idle");
	free(p.mem);
}

Test(ring_notify, response_push_honours_rsp_event)
{
	struct pair p;
	struct msg m[4] = { make_msg(1), make_msg(2), make_msg(3),
			    make_msg(4) };

	pair_init(&p, 4096, 0);
	tmsg_front_put_requests(&p.f, m, 4);
	sdrv_ring_front_push(&p.f);
	tmsg_back_take_requests(&p.b, m, 4);
	tmsg_back_put_responses(&p.b, m, 1);
	cr_assert(sdrv_ring_back_push(&p.b), "rsp_event starts at 1");
	tmsg_back_put_responses(&p.b, m + 1, 1);
	cr_assert_not(sdrv_ring_back_push(&p.b));
	cr_assert_eq(tmsg_front_take_responses(&p.f, m, 4), 2);
	cr_assert_not(sdrv_ring_front_final_check(&p.f));
	tmsg_back_put_responses(&p.b, m + 2, 2);
	cr_assert(sdrv_ring_back_push(&p.b), "front asked after going idle");
	free(p.mem);
}

Test(ring_typed, protocol_rings_have_xen_sizes)
{
	cr_assert_eq(sdrv_blkif_ring_nr_slots(4096), 32);
	cr_assert_eq(sdrv_netif_tx_ring_nr_slots(4096), 256);
	cr_assert_eq(sdrv_netif_rx_ring_nr_slots(4096), 256);
	cr_assert_eq(sdrv_blkif_ring_nr_slots(16 * 4096), 512);
}

Test(ring_typed, blkif_request_round_trip)
{
	void *mem = ring_mem_new(2 * 4096);
	struct sdrv_ring_front f;
	struct sdrv_ring_back b;
	struct sdrv_blkif_request req = { .operation = SDRV_BLKIF_OP_READ,
					  .nr_segments = 2,
					  .handle = 51712,
					  .id = 77,
					  .sector_number = 8 },
				  got;
	struct sdrv_blkif_response rsp = { .id = 77, .status = 0 }, rgot;

	req.seg[1] = (struct sdrv_blkif_segment){ .gref = 9, .last_sect = 7 };
	cr_assert_eq(sdrv_blkif_front_attach(&f, mem, 2 * 4096, 0), 0);
	cr_assert_eq(sdrv_blkif_back_attach(&b, mem, 2 * 4096, 0), 0);
	cr_assert_eq(sdrv_ring_front_nr_slots(&f), 64);
	cr_assert_eq(sdrv_blkif_front_put_requests(&f, &req, 1), 1);
	cr_assert(sdrv_ring_front_push(&f));
	cr_assert_eq(sdrv_blkif_back_take_requests(&b, &got, 1), 1);
	cr_assert_eq(got.seg[1].gref, 9);
	cr_assert_eq(got.handle, 51712);
	cr_assert_eq(sdrv_blkif_back_put_responses(&b, &rsp, 1), 1);
	cr_assert(sdrv_ring_back_push(&b));
	cr_assert_eq(sdrv_blkif_front_take_responses(&f, &rgot, 1), 1);
	cr_assert_eq(rgot.id, 77);
	free(mem);
}

Test(ring_generic, runtime_sizes_match_typed)
{
	void *mem = ring_mem_new(4096);
	struct sdrv_ring_front f;
	struct sdrv_ring_back b;
	uint8_t req[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, got[12];
	uint8_t rsp[5] = { 9, 8, 7, 6, 5 }, rgot[5];

	/* Odd sizes take the word-by-word copy. */
	cr_assert_eq(sdrv_ring_front_attach(&f, mem, 4096, 13, 12, 5, 0), 0);
	cr_assert_eq(sdrv_ring_back_attach(&b, mem, 4096, 13, 12, 5, 0), 0);
	cr_assert_eq(sdrv_ring_front_nr_slots(&f), 256);
	cr_assert_eq(sdrv_ring_front_put_requests(&f, req, 1), 1);
	sdrv_ring_front_publish(&f);
	cr_assert_eq(sdrv_ring_back_take_requests(&b, got, 1), 1);
	cr_assert_arr_eq(got, req, sizeof(req));
	cr_assert_eq(sdrv_ring_back_put_responses(&b, rsp, 1), 1);
	sdrv_ring_back_publish(&b);
	cr_assert_eq(sdrv_ring_front_take_responses(&f, rgot, 1), 1);
	cr_assert_arr_eq(rgot, rsp, sizeof(rsp));
	free(mem);
}
