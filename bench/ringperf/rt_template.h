/* SPDX-License-Identifier: MIT */
/*
 * bench/ringperf/rt_template.h - the four sides of a round-trip workload for
 * one slot type, included once per type by rt.c with:
 *
 *   RT_NAME   prefix of the generated functions
 *   RT_LIB    libring typed-ring prefix (SDRV_RING_DEFINE name)
 *   RT_XEN    Xen ring prefix (DEFINE_RING_TYPES name)
 *   RT_REQ, RT_RSP    our request and response types
 *   RT_XREQ, RT_XRSP  Xen's (same field names)
 *   RT_FILL_REQ(r, seq), RT_REQ_OK(r, seq), RT_FILL_RSP(r, seq),
 *   RT_RSP_OK(r, seq)   what each side writes and checks
 *
 * Both implementations do the same work per request: fill in place, copy out
 * once, check the sequence number; and they wait the same way.
 */
#define RT_CAT2(a, b) a##b
#define RT_CAT(a, b) RT_CAT2(a, b)
#define RT_FN(suffix) RT_CAT(RT_NAME, suffix)
#define RT_LIBFN(suffix) RT_CAT(RT_LIB, suffix)
#define RT_XT(suffix) RT_CAT(RT_XEN, suffix)

static int RT_FN(_lib_front)(void *arg)
{
	struct rt_shared *s = arg;
	struct sdrv_ring_front f;
	RT_RSP rsp[64];
	uint64_t sent = 0, received = 0, started = 0, begin;
	uint32_t spins = 0;

	if (RT_LIBFN(_front_attach)(&f, s->ring, s->ring_bytes, 0))
		return 1;
	begin = now_ns();
	while (received < s->count) {
		uint32_t room = sdrv_ring_front_free(&f), n, got;
		uint64_t in_flight = sent - received;

		if (in_flight + room > s->max_in_flight)
			room = (uint32_t)(s->max_in_flight - in_flight);
		n = s->count - sent < room ? (uint32_t)(s->count - sent) : room;
		if (n) {
			if (s->samples)
				started = ticks();
			for (uint32_t k = 0; k < n; k++) {
				RT_REQ *slot = RT_LIBFN(_front_request_slot)(&f, k);

				if (!slot)
					return 4;
				RT_FILL_REQ(slot, sent + k);
			}
			sdrv_ring_front_produce(&f, n);
			sent += n;
			lib_front_publish(s, &f);
		}
		got = RT_LIBFN(_front_take_responses)(&f, rsp, 64);
		for (uint32_t i = 0; i < got; i++) {
			if (!RT_RSP_OK(&rsp[i], received))
				return 2;
			if (s->samples)
				s->samples[received] = ticks() - started;
			received++;
		}
		if (sdrv_ring_front_fault(&f))
			return 3;
		if (n || got) {
			spins = 0;
			idle_gap(s, sent, received);
			continue;
		}
		lib_front_idle(s, &f, &spins);
	}
	s->elapsed_ns = now_ns() - begin;
	return 0;
}

static int RT_FN(_lib_back)(void *arg)
{
	struct rt_shared *s = arg;
	struct sdrv_ring_back b;
	RT_REQ req;
	uint64_t answered = 0, cpu0 = thread_cpu_ns();
	uint32_t spins = 0;

	if (RT_LIBFN(_back_attach)(&b, s->ring, s->ring_bytes, 0))
		return 1;
	while (answered < s->count) {
		uint32_t got = 0;
		/* Answer what one read of req_prod showed, then publish: a
		 * longer batch would hold back the front's free slots. */
		uint32_t batch = sdrv_ring_back_pending(&b);

		/* One at a time: each request's response goes into its slot
		 * while the line is still hot from reading it. */
		while (got < batch && got < 64 &&
		       RT_LIBFN(_back_take_requests)(&b, &req, 1)) {
			if (!RT_REQ_OK(&req, answered + got))
				return 2;
			RT_RSP *slot = RT_LIBFN(_back_response_slot)(&b, 0);

			if (!slot)
				return 4;
			RT_FILL_RSP(slot, answered + got);
			sdrv_ring_back_produce(&b, 1);
			got++;
		}
		if (got) {
			answered += got;
			spins = 0;
			lib_back_publish(s, &b);
			continue;
		}
		if (sdrv_ring_back_fault(&b))
			return 3;
		lib_back_idle(s, &b, &spins);
	}
	s->back_cpu_ns = thread_cpu_ns() - cpu0;
	return 0;
}

/* The span API on both sides: requests filled in a reserved span,
 * responses peeked and copied out once; the back peeks what one read of
 * req_prod showed, copies each request out once and answers it in its
 * slot while the line is hot, then consumes and produces once. */
static int RT_FN(_span_front)(void *arg)
{
	struct rt_shared *s = arg;
	struct sdrv_ring_front f;
	uint64_t sent = 0, received = 0, started = 0, begin;
	uint32_t spins = 0;

	if (RT_LIBFN(_front_attach)(&f, s->ring, s->ring_bytes, 0))
		return 1;
	begin = now_ns();
	while (received < s->count) {
		struct sdrv_ring_span sp;
		uint64_t in_flight = sent - received, want = s->count - sent;
		uint32_t n, got;

		if (want > s->max_in_flight - in_flight)
			want = s->max_in_flight - in_flight;
		n = sdrv_ring_front_reserve_requests(
			&f, want > UINT32_MAX ? UINT32_MAX : (uint32_t)want, &sp);
		if (n) {
			if (s->samples)
				started = ticks();
			_Pragma("GCC unroll 8")
			for (uint32_t k = 0; k < n; k++)
				RT_FILL_REQ(RT_LIBFN(_span_request)(&sp, k), sent + k);
			sdrv_ring_front_produce(&f, n);
			sent += n;
			lib_front_publish(s, &f);
		}
		got = sdrv_ring_front_peek_responses(&f, 64, &sp);
		for (uint32_t i = 0; i < got; i++) {
			RT_RSP rsp;

			RT_LIBFN(_span_copy_response)(&sp, i, &rsp);
			if (!RT_RSP_OK(&rsp, received))
				return 2;
			if (s->samples)
				s->samples[received] = ticks() - started;
			received++;
		}
		sdrv_ring_front_consume_responses(&f, got);
		if (sdrv_ring_front_fault(&f))
			return 3;
		if (n || got) {
			spins = 0;
			idle_gap(s, sent, received);
			continue;
		}
		lib_front_idle(s, &f, &spins);
	}
	s->elapsed_ns = now_ns() - begin;
	return 0;
}

static int RT_FN(_span_back)(void *arg)
{
	struct rt_shared *s = arg;
	struct sdrv_ring_back b;
	uint64_t answered = 0, cpu0 = thread_cpu_ns();
	uint32_t spins = 0;

	if (RT_LIBFN(_back_attach)(&b, s->ring, s->ring_bytes, 0))
		return 1;
	while (answered < s->count) {
		struct sdrv_ring_span in, out;
		uint32_t got = sdrv_ring_back_peek_requests(&b, 64, &in);

		if (got) {
			sdrv_ring_back_consume_requests(&b, got);
			sdrv_ring_back_reserve_responses(&b, got, &out);
			for (uint32_t i = 0; i < got; i++) {
				RT_REQ req;

				RT_LIBFN(_span_copy_request)(&in, i, &req);
				if (!RT_REQ_OK(&req, answered + i))
					return 2;
				RT_FILL_RSP(RT_LIBFN(_span_response)(&out, i),
					    answered + i);
			}
			sdrv_ring_back_produce(&b, got);
			answered += got;
			spins = 0;
			lib_back_publish(s, &b);
			continue;
		}
		if (sdrv_ring_back_fault(&b))
			return 3;
		lib_back_idle(s, &b, &spins);
	}
	s->back_cpu_ns = thread_cpu_ns() - cpu0;
	return 0;
}

static int RT_FN(_xen_front)(void *arg)
{
	struct rt_shared *s = arg;
	RT_XT(_front_ring_t) f;
	uint64_t sent = 0, received = 0, started = 0, begin;
	uint32_t spins = 0;

	FRONT_RING_INIT(&f, (RT_XT(_sring_t) *)(void *)s->ring, s->ring_bytes);
	begin = now_ns();
	while (received < s->count) {
		uint32_t room = RING_FREE_REQUESTS(&f), n, got = 0;
		uint64_t in_flight = sent - received;
		RING_IDX rp;
		int notify, more;

		if (in_flight + room > s->max_in_flight)
			room = (uint32_t)(s->max_in_flight - in_flight);
		n = s->count - sent < room ? (uint32_t)(s->count - sent) : room;
		if (n) {
			if (s->samples)
				started = ticks();
			for (uint32_t k = 0; k < n; k++) {
				RT_XREQ *slot = RING_GET_REQUEST(&f, f.req_prod_pvt + k);

				RT_FILL_REQ(slot, sent + k);
			}
			f.req_prod_pvt += n;
			sent += n;
			if (s->mode == NOTIFY_BUSY) {
				RING_PUSH_REQUESTS(&f);
			} else {
				RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
				if (notify)
					evt_notify(s->efd_to_back);
			}
		}
		rp = f.sring->rsp_prod;
		xen_rmb();
		if (RING_RESPONSE_PROD_OVERFLOW(&f, rp))
			return 3;
		for (; f.rsp_cons != rp && got < 64; got++) {
			RT_XRSP rsp;

			RING_COPY_RESPONSE(&f, f.rsp_cons, &rsp);
			f.rsp_cons++;
			if (!RT_RSP_OK(&rsp, received))
				return 2;
			if (s->samples)
				s->samples[received] = ticks() - started;
			received++;
		}
		if (n || got) {
			spins = 0;
			idle_gap(s, sent, received);
			continue;
		}
		if (keep_polling(s, &spins))
			continue;
		RING_FINAL_CHECK_FOR_RESPONSES(&f, more);
		if (!more)
			evt_wait(s->efd_to_front);
	}
	s->elapsed_ns = now_ns() - begin;
	return 0;
}

static int RT_FN(_xen_back)(void *arg)
{
	struct rt_shared *s = arg;
	RT_XT(_back_ring_t) b;
	uint64_t answered = 0, cpu0 = thread_cpu_ns();
	uint32_t spins = 0;

	BACK_RING_INIT(&b, (RT_XT(_sring_t) *)(void *)s->ring, s->ring_bytes);
	while (answered < s->count) {
		RING_IDX rc = b.req_cons, rp = b.sring->req_prod;
		uint32_t got = 0;
		int notify, more;

		xen_rmb();
		if (RING_REQUEST_PROD_OVERFLOW(&b, rp))
			return 3;
		while (rc != rp && got < 64 &&
		       !RING_REQUEST_CONS_OVERFLOW(&b, rc)) {
			RT_XREQ req;

			RING_COPY_REQUEST(&b, rc, &req);
			b.req_cons = ++rc;
			if (!RT_REQ_OK(&req, answered))
				return 2;
			RT_XRSP *slot = RING_GET_RESPONSE(&b, b.rsp_prod_pvt);

			RT_FILL_RSP(slot, answered);
			b.rsp_prod_pvt++;
			answered++;
			got++;
		}
		if (got) {
			spins = 0;
			if (s->mode == NOTIFY_BUSY) {
				RING_PUSH_RESPONSES(&b);
			} else {
				RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&b, notify);
				if (notify)
					evt_notify(s->efd_to_front);
			}
			continue;
		}
		if (keep_polling(s, &spins))
			continue;
		RING_FINAL_CHECK_FOR_REQUESTS(&b, more);
		if (!more)
			evt_wait(s->efd_to_back);
	}
	s->back_cpu_ns = thread_cpu_ns() - cpu0;
	return 0;
}
