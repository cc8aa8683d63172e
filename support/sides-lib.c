/* SPDX-License-Identifier: MIT */
/* The libring sides of support/sides.h. */
#include "sides.h"

#include <errno.h>
#include <string.h>

#include "msg64.h"

size_t sides_shared_size(uint32_t ring_bytes)
{
	return sizeof(struct sides_shared) + ring_bytes;
}

void sides_shared_init(struct sides_shared *s, uint32_t ring_bytes,
		       uint64_t requests, uint32_t max_batch)
{
	memset(s, 0, sizeof(*s));
	s->requests = requests;
	s->ring_bytes = ring_bytes;
	s->max_batch = max_batch;
	sdrv_ring_sring_init(s->ring, ring_bytes);
}

int sides_run(enum pair_mode mode, pair_side_fn front, pair_side_fn back,
	      uint32_t pages, uint64_t requests, uint32_t max_batch)
{
	uint32_t ring_bytes = pages * 4096;
	size_t bytes = sides_shared_size(ring_bytes);
	struct sides_shared *s = pair_shared_alloc(bytes);
	int status;

	if (!s)
		return -errno;
	sides_shared_init(s, ring_bytes, requests, max_batch);
	status = pair_run(mode, front, back, s);
	pair_shared_free(s, bytes);
	return status;
}

int sides_fail(struct sides_shared *s, int failure)
{
	int none = 0;

	atomic_compare_exchange_strong(&s->failure, &none, failure);
	spin_event_notify(&s->to_back);
	spin_event_notify(&s->to_front);
	return failure;
}

static int peer_failed(struct sides_shared *s)
{
	return atomic_load_explicit(&s->failure, memory_order_relaxed) != 0;
}

/* Nothing moved: the final check, then sleep until the back notifies.
 * Return: non-zero if the back failed (give up). */
static int front_idle(struct sides_shared *s, struct sdrv_ring_front *f)
{
	uint64_t snap = spin_event_snapshot(&s->to_front);

	if (peer_failed(s))
		return 1;
	if (!sdrv_ring_front_final_check(f) && !sdrv_ring_front_fault(f))
		spin_event_wait(&s->to_front, snap);
	return 0;
}

static int back_idle(struct sides_shared *s, struct sdrv_ring_back *b)
{
	uint64_t snap = spin_event_snapshot(&s->to_back);

	if (peer_failed(s))
		return 1;
	if (!sdrv_ring_back_final_check(b) && !sdrv_ring_back_fault(b))
		spin_event_wait(&s->to_back, snap);
	return 0;
}

int lib_front(void *arg)
{
	struct sides_shared *s = arg;
	struct sdrv_ring_front f;
	struct msg64 rsp[64];
	uint64_t sent = 0, received = 0;

	if (msg64_front_attach(&f, s->ring, s->ring_bytes, 0))
		return sides_fail(s, SIDE_ATTACH);
	while (received < s->requests) {
		uint32_t produced = 0, taken;

		while (sent < s->requests && produced < s->max_batch) {
			struct msg64 *req = msg64_front_request_slot(&f, 0);

			if (!req)
				break;
			msg64_fill(req, sent++, MSG64_REQ_SALT);
			sdrv_ring_front_produce(&f, 1);
			produced++;
		}
		if (sdrv_ring_front_push(&f))
			spin_event_notify(&s->to_back);
		taken = msg64_front_take_responses(&f, rsp, 64);
		for (uint32_t i = 0; i < taken; i++)
			if (!msg64_check(&rsp[i], received++, MSG64_RSP_SALT))
				return sides_fail(s, SIDE_BAD_RESPONSE);
		if (sdrv_ring_front_fault(&f))
			return sides_fail(s, SIDE_RING_BROKEN);
		if (produced == 0 && taken == 0 && front_idle(s, &f))
			return SIDE_PEER_FAILED;
	}
	return 0;
}

int lib_back(void *arg)
{
	struct sides_shared *s = arg;
	struct sdrv_ring_back b;
	struct msg64 req[64];
	uint64_t answered = 0;

	if (msg64_back_attach(&b, s->ring, s->ring_bytes, 0))
		return sides_fail(s, SIDE_ATTACH);
	while (answered < s->requests) {
		uint32_t taken = msg64_back_take_requests(&b, req, 64);

		for (uint32_t i = 0; i < taken; i++) {
			if (!msg64_check(&req[i], answered, MSG64_REQ_SALT))
				return sides_fail(s, SIDE_BAD_REQUEST);
			msg64_fill(msg64_back_response_slot(&b, i), answered++,
				   MSG64_RSP_SALT);
		}
		sdrv_ring_back_produce(&b, taken);
		if (sdrv_ring_back_push(&b))
			spin_event_notify(&s->to_front);
		if (sdrv_ring_back_fault(&b))
			return sides_fail(s, SIDE_RING_BROKEN);
		if (taken == 0 && back_idle(s, &b))
			return SIDE_PEER_FAILED;
	}
	return 0;
}

/* The same two sides through the span API: requests filled in place in a
 * reserved span, peeked and copied out once, answered in place. */
int lib_front_span(void *arg)
{
	struct sides_shared *s = arg;
	struct sdrv_ring_front f;
	uint64_t sent = 0, received = 0;

	if (msg64_front_attach(&f, s->ring, s->ring_bytes, 0))
		return sides_fail(s, SIDE_ATTACH);
	while (received < s->requests) {
		struct sdrv_ring_span sp;
		uint64_t want = s->requests - sent;
		uint32_t produced, taken;

		produced = sdrv_ring_front_reserve_requests(
			&f, want < s->max_batch ? (uint32_t)want : s->max_batch,
			&sp);
		for (uint32_t i = 0; i < produced; i++)
			msg64_fill(msg64_span_request(&sp, i), sent++,
				   MSG64_REQ_SALT);
		sdrv_ring_front_produce(&f, produced);
		if (sdrv_ring_front_push(&f))
			spin_event_notify(&s->to_back);
		taken = sdrv_ring_front_peek_responses(&f, 64, &sp);
		for (uint32_t i = 0; i < taken; i++) {
			struct msg64 rsp;

			msg64_span_copy_response(&sp, i, &rsp);
			if (!msg64_check(&rsp, received++, MSG64_RSP_SALT))
				return sides_fail(s, SIDE_BAD_RESPONSE);
		}
		sdrv_ring_front_consume_responses(&f, taken);
		if (sdrv_ring_front_fault(&f))
			return sides_fail(s, SIDE_RING_BROKEN);
		if (produced == 0 && taken == 0 && front_idle(s, &f))
			return SIDE_PEER_FAILED;
	}
	return 0;
}

int lib_back_span(void *arg)
{
	struct sides_shared *s = arg;
	struct sdrv_ring_back b;
	uint64_t answered = 0;

	if (msg64_back_attach(&b, s->ring, s->ring_bytes, 0))
		return sides_fail(s, SIDE_ATTACH);
	while (answered < s->requests) {
		struct sdrv_ring_span in, out;
		uint32_t taken = sdrv_ring_back_peek_requests(&b, 64, &in);

		for (uint32_t i = 0; i < taken; i++) {
			struct msg64 req;

			msg64_span_copy_request(&in, i, &req);
			if (!msg64_check(&req, answered + i, MSG64_REQ_SALT))
				return sides_fail(s, SIDE_BAD_REQUEST);
		}
		sdrv_ring_back_consume_requests(&b, taken);
		sdrv_ring_back_reserve_responses(&b, taken, &out);
		for (uint32_t i = 0; i < taken; i++)
			msg64_fill(msg64_span_response(&out, i), answered++,
				   MSG64_RSP_SALT);
		sdrv_ring_back_produce(&b, taken);
		if (sdrv_ring_back_push(&b))
			spin_event_notify(&s->to_front);
		if (sdrv_ring_back_fault(&b))
			return sides_fail(s, SIDE_RING_BROKEN);
		if (taken == 0 && back_idle(s, &b))
			return SIDE_PEER_FAILED;
	}
	return 0;
}
