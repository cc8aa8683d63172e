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
		if (produced == 0 && taken == 0) {
			uint64_t snap = spin_event_snapshot(&s->to_front);

			if (peer_failed(s))
				return SIDE_PEER_FAILED;
			if (!sdrv_ring_front_final_check(&f) &&
			    !sdrv_ring_front_fault(&f))
				spin_event_wait(&s->to_front, snap);
		}
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
		if (taken == 0) {
			uint64_t snap = spin_event_snapshot(&s->to_back);

			if (peer_failed(s))
				return SIDE_PEER_FAILED;
			if (!sdrv_ring_back_final_check(&b) &&
			    !sdrv_ring_back_fault(&b))
				spin_event_wait(&s->to_back, snap);
		}
	}
	return 0;
}
