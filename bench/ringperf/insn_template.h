/* SPDX-License-Identifier: MIT */
/*
 * bench/ringperf/insn_template.h - one slot type's round trips in lock
 * step in one thread, for counting instructions (insn.c): the front fills
 * every free slot and pushes, the back takes and answers them all and
 * pushes, the front takes every response.  The same work per request as
 * the threaded sides (rt_template.h), without the waiting, so that
 * callgrind's count is the data path alone.
 */
#define RT_CAT2(a, b) a##b
#define RT_CAT(a, b) RT_CAT2(a, b)
#define RT_FN(suffix) RT_CAT(RT_NAME, suffix)
#define RT_LIBFN(suffix) RT_CAT(RT_LIB, suffix)
#define RT_XT(suffix) RT_CAT(RT_XEN, suffix)

static __attribute__((noinline)) uint64_t
RT_FN(_insn_lib)(unsigned char *ring, size_t bytes, uint64_t rounds)
{
	struct sdrv_ring_front f;
	struct sdrv_ring_back b;
	uint64_t sent = 0, answered = 0, received = 0;

	memset(ring, 0, bytes);
	if (RT_LIBFN(_front_attach)(&f, ring, bytes, 0) ||
	    RT_LIBFN(_back_attach)(&b, ring, bytes, 0))
		return 0;
	for (uint64_t r = 0; r < rounds; r++) {
		uint32_t n = sdrv_ring_front_free(&f), got;
		RT_RSP rsp[64];
		RT_REQ req;

		for (uint32_t k = 0; k < n; k++)
			RT_FILL_REQ(RT_LIBFN(_front_request_slot)(&f, k), sent + k);
		sdrv_ring_front_produce(&f, n);
		sent += n;
		sdrv_ring_front_push(&f);
		while (RT_LIBFN(_back_take_requests)(&b, &req, 1)) {
			if (!RT_REQ_OK(&req, answered))
				return 0;
			RT_FILL_RSP(RT_LIBFN(_back_response_slot)(&b, 0), answered);
			sdrv_ring_back_produce(&b, 1);
			answered++;
		}
		sdrv_ring_back_push(&b);
		while ((got = RT_LIBFN(_front_take_responses)(&f, rsp, 64)))
			for (uint32_t i = 0; i < got; i++)
				if (!RT_RSP_OK(&rsp[i], received++))
					return 0;
	}
	return received;
}

static __attribute__((noinline)) uint64_t
RT_FN(_insn_span)(unsigned char *ring, size_t bytes, uint64_t rounds)
{
	struct sdrv_ring_front f;
	struct sdrv_ring_back b;
	uint64_t sent = 0, answered = 0, received = 0;

	memset(ring, 0, bytes);
	if (RT_LIBFN(_front_attach)(&f, ring, bytes, 0) ||
	    RT_LIBFN(_back_attach)(&b, ring, bytes, 0))
		return 0;
	for (uint64_t r = 0; r < rounds; r++) {
		struct sdrv_ring_span sp, out;
		uint32_t n = sdrv_ring_front_reserve_requests(&f, UINT32_MAX, &sp);
		uint32_t got;

		for (uint32_t k = 0; k < n; k++)
			RT_FILL_REQ(RT_LIBFN(_span_request)(&sp, k), sent + k);
		sdrv_ring_front_produce(&f, n);
		sent += n;
		sdrv_ring_front_push(&f);
		got = sdrv_ring_back_peek_requests(&b, UINT32_MAX, &sp);
		sdrv_ring_back_consume_requests(&b, got);
		sdrv_ring_back_reserve_responses(&b, got, &out);
		for (uint32_t i = 0; i < got; i++) {
			RT_REQ req;

			RT_LIBFN(_span_copy_request)(&sp, i, &req);
			if (!RT_REQ_OK(&req, answered + i))
				return 0;
			RT_FILL_RSP(RT_LIBFN(_span_response)(&out, i), answered + i);
		}
		sdrv_ring_back_produce(&b, got);
		answered += got;
		sdrv_ring_back_push(&b);
		got = sdrv_ring_front_peek_responses(&f, UINT32_MAX, &sp);
		for (uint32_t i = 0; i < got; i++) {
			RT_RSP rsp;

			RT_LIBFN(_span_copy_response)(&sp, i, &rsp);
			if (!RT_RSP_OK(&rsp, received++))
				return 0;
		}
		sdrv_ring_front_consume_responses(&f, got);
	}
	return received;
}

static __attribute__((noinline)) uint64_t
RT_FN(_insn_xen)(unsigned char *ring, size_t bytes, uint64_t rounds)
{
	RT_XT(_front_ring_t) f;
	RT_XT(_back_ring_t) b;
	uint64_t sent = 0, answered = 0, received = 0;
	int notify;

	memset(ring, 0, bytes);
	SHARED_RING_INIT((RT_XT(_sring_t) *)(void *)ring);
	FRONT_RING_INIT(&f, (RT_XT(_sring_t) *)(void *)ring, bytes);
	BACK_RING_INIT(&b, (RT_XT(_sring_t) *)(void *)ring, bytes);
	for (uint64_t r = 0; r < rounds; r++) {
		uint32_t n = RING_FREE_REQUESTS(&f);
		RING_IDX rc, rp;

		for (uint32_t k = 0; k < n; k++)
			RT_FILL_REQ(RING_GET_REQUEST(&f, f.req_prod_pvt + k), sent + k);
		f.req_prod_pvt += n;
		sent += n;
		RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
		rc = b.req_cons;
		rp = b.sring->req_prod;
		xen_rmb();
		if (RING_REQUEST_PROD_OVERFLOW(&b, rp))
			return 0;
		while (rc != rp && !RING_REQUEST_CONS_OVERFLOW(&b, rc)) {
			RT_XREQ req;

			RING_COPY_REQUEST(&b, rc, &req);
			b.req_cons = ++rc;
			if (!RT_REQ_OK(&req, answered))
				return 0;
			RT_FILL_RSP(RING_GET_RESPONSE(&b, b.rsp_prod_pvt), answered);
			b.rsp_prod_pvt++;
			answered++;
		}
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&b, notify);
		rp = f.sring->rsp_prod;
		xen_rmb();
		if (RING_RESPONSE_PROD_OVERFLOW(&f, rp))
			return 0;
		for (; f.rsp_cons != rp; f.rsp_cons++) {
			RT_XRSP rsp;

			RING_COPY_RESPONSE(&f, f.rsp_cons, &rsp);
			if (!RT_RSP_OK(&rsp, received++))
				return 0;
		}
	}
	(void)notify;
	return received;
}
