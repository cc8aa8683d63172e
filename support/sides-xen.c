/* SPDX-License-Identifier: MIT */
/*
 * The sides of support/sides.h written with Xen's ring.h macros, the way
 * Linux's blkfront/blkback use them: RING_GET_REQUEST to fill in place,
 * RING_COPY_REQUEST to read, the PROD_OVERFLOW checks on the peer's index.
 */
#include "sides.h"

#include "xen_peer.h"

static int peer_failed(struct sides_shared *s)
{
	return atomic_load_explicit(&s->failure, memory_order_relaxed) != 0;
}

int xen_front(void *arg)
{
	struct sides_shared *s = arg;
	xmsg64_front_ring_t f;
	uint64_t sent = 0, received = 0;

	FRONT_RING_INIT(&f, (xmsg64_sring_t *)(void *)s->ring, s->ring_bytes);
	while (received < s->requests) {
		uint32_t produced = 0, taken = 0;
		RING_IDX rp;
		int notify, more;

		while (sent < s->requests && produced < s->max_batch &&
		       !RING_FULL(&f)) {
			msg64_fill(RING_GET_REQUEST(&f, f.req_prod_pvt),
				   sent++, MSG64_REQ_SALT);
			f.req_prod_pvt++;
			produced++;
		}
		RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
		if (notify)
			spin_event_notify(&s->to_back);
		rp = f.sring->rsp_prod;
		xen_rmb();
		if (RING_RESPONSE_PROD_OVERFLOW(&f, rp))
			return sides_fail(s, SIDE_RING_BROKEN);
		while (f.rsp_cons != rp) {
			struct msg64 rsp;

			RING_COPY_RESPONSE(&f, f.rsp_cons, &rsp);
			f.rsp_cons++;
			taken++;
			if (!msg64_check(&rsp, received++, MSG64_RSP_SALT))
				return sides_fail(s, SIDE_BAD_RESPONSE);
		}
		if (produced == 0 && taken == 0) {
			uint64_t snap = spin_event_snapshot(&s->to_front);

			if (peer_failed(s))
				return SIDE_PEER_FAILED;
			RING_FINAL_CHECK_FOR_RESPONSES(&f, more);
			if (!more)
				spin_event_wait(&s->to_front, snap);
		}
	}
	return 0;
}

int xen_back(void *arg)
{
	struct sides_shared *s = arg;
	xmsg64_back_ring_t b;
	uint64_t answered = 0;

	BACK_RING_INIT(&b, (xmsg64_sring_t *)(void *)s->ring, s->ring_bytes);
	while (answered < s->requests) {
		RING_IDX rc = b.req_cons, rp = b.sring->req_prod;
		uint32_t taken = 0;
		int notify, more;

		xen_rmb();
		if (RING_REQUEST_PROD_OVERFLOW(&b, rp))
			return sides_fail(s, SIDE_RING_BROKEN);
		while (rc != rp && !RING_REQUEST_CONS_OVERFLOW(&b, rc)) {
			struct msg64 req;

			RING_COPY_REQUEST(&b, rc, &req);
			b.req_cons = ++rc;
			if (!msg64_check(&req, answered, MSG64_REQ_SALT))
				return sides_fail(s, SIDE_BAD_REQUEST);
			msg64_fill(RING_GET_RESPONSE(&b, b.rsp_prod_pvt),
				   answered++, MSG64_RSP_SALT);
			b.rsp_prod_pvt++;
			taken++;
		}
		if (taken) {
			RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&b, notify);
			if (notify)
				spin_event_notify(&s->to_front);
			continue;
		}
		uint64_t snap = spin_event_snapshot(&s->to_back);

		if (peer_failed(s))
			return SIDE_PEER_FAILED;
		RING_FINAL_CHECK_FOR_REQUESTS(&b, more);
		if (!more)
			spin_event_wait(&s->to_back, snap);
	}
	return 0;
}
