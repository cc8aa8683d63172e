/* SPDX-License-Identifier: MIT */
/*
 * tests/ring/notify_trace.h - one step of a produce/consume/notify trace,
 * carried out by Xen's macros (xen_step) or by libring (lib_step) on a
 * 64-byte-message ring driven from one thread.  Each step returns what the
 * protocol decides: a count, or a notify / more-work boolean.
 *
 * Steps (the letter is the trace file's):
 *   P n  front produces up to n requests     p  front push: notify?
 *   T n  back takes up to n requests         f  back final check: more?
 *   R n  back answers up to n taken requests r  back push: notify?
 *   t n  front takes up to n responses       F  front final check: more?
 */
#ifndef TESTS_RING_NOTIFY_TRACE_H
#define TESTS_RING_NOTIFY_TRACE_H

#include "xen_peer.h"

#define TRACE_RING_BYTES 4096u
/* Start near the top so the trace crosses the 2^32 index wrap. */
#define TRACE_START_INDEX (UINT32_MAX - 300u)

struct xen_pair {
	_Alignas(4096) unsigned char mem[TRACE_RING_BYTES];
	xmsg64_front_ring_t f;
	xmsg64_back_ring_t b;
	uint32_t taken_unanswered;
};

struct lib_pair {
	_Alignas(4096) unsigned char mem[TRACE_RING_BYTES];
	struct sdrv_ring_front f;
	struct sdrv_ring_back b;
};

static inline void trace_sring_init(void *mem)
{
	struct sdrv_sring *s = mem;

	sdrv_ring_sring_init(mem, TRACE_RING_BYTES);
	__atomic_store_n(&s->req_prod, TRACE_START_INDEX, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->rsp_prod, TRACE_START_INDEX, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->req_event, TRACE_START_INDEX + 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->rsp_event, TRACE_START_INDEX + 1, __ATOMIC_SEQ_CST);
}

static inline void xen_pair_init(struct xen_pair *x)
{
	xmsg64_sring_t *s = (xmsg64_sring_t *)(void *)x->mem;

	trace_sring_init(x->mem);
	FRONT_RING_ATTACH(&x->f, s, TRACE_START_INDEX, TRACE_RING_BYTES);
	BACK_RING_ATTACH(&x->b, s, TRACE_START_INDEX, TRACE_RING_BYTES);
	x->taken_unanswered = 0;
}

static inline int lib_pair_init(struct lib_pair *l)
{
	trace_sring_init(l->mem);
	return msg64_front_attach(&l->f, l->mem, TRACE_RING_BYTES,
				  TRACE_START_INDEX) ||
	       msg64_back_attach(&l->b, l->mem, TRACE_RING_BYTES,
				 TRACE_START_INDEX);
}

static inline uint32_t xen_step(struct xen_pair *x, char op, uint32_t n)
{
	uint32_t done = 0;
	int flag = 0;
	struct msg64 m;

	switch (op) {
	case 'P':
		while (done < n && !RING_FULL(&x->f)) {
			msg64_fill(RING_GET_REQUEST(&x->f, x->f.req_prod_pvt),
				   x->f.req_prod_pvt, MSG64_REQ_SALT);
			x->f.req_prod_pvt++;
			done++;
		}
		return done;
	case 'p':
		RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&x->f, flag);
		return flag != 0;
	case 'T': {
		RING_IDX rp = x->b.sring->req_prod;

		while (done < n && x->b.req_cons != rp &&
		       !RING_REQUEST_CONS_OVERFLOW(&x->b, x->b.req_cons)) {
			RING_COPY_REQUEST(&x->b, x->b.req_cons, &m);
			x->b.req_cons++;
			done++;
		}
		x->taken_unanswered += done;
		return done;
	}
	case 'f':
		RING_FINAL_CHECK_FOR_REQUESTS(&x->b, flag);
		return flag != 0;
	case 'R':
		while (done < n && x->taken_unanswered) {
			msg64_fill(RING_GET_RESPONSE(&x->b, x->b.rsp_prod_pvt),
				   x->b.rsp_prod_pvt, MSG64_RSP_SALT);
			x->b.rsp_prod_pvt++;
			x->taken_unanswered--;
			done++;
		}
		return done;
	case 'r':
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&x->b, flag);
		return flag != 0;
	case 't':
		while (done < n && x->f.rsp_cons != x->f.sring->rsp_prod) {
			RING_COPY_RESPONSE(&x->f, x->f.rsp_cons, &m);
			x->f.rsp_cons++;
			done++;
		}
		return done;
	case 'F':
		RING_FINAL_CHECK_FOR_RESPONSES(&x->f, flag);
		return flag != 0;
	}
	return UINT32_MAX;
}

static inline uint32_t lib_step(struct lib_pair *l, char op, uint32_t n)
{
	struct msg64 buf[64];
	uint32_t k;

	if (n > 64)
		n = 64;
	switch (op) {
	case 'P':
		k = sdrv_ring__min(n, sdrv_ring_front_free(&l->f));
		for (uint32_t i = 0; i < k; i++)
			msg64_fill(&buf[i], l->f.req_prod_pvt + i,
				   MSG64_REQ_SALT);
		return msg64_front_put_requests(&l->f, buf, k);
	case 'p':
		return sdrv_ring_front_push(&l->f);
	case 'T':
		return msg64_back_take_requests(&l->b, buf, n);
	case 'f':
		return sdrv_ring_back_final_check(&l->b);
	case 'R':
		k = sdrv_ring__min(n, sdrv_ring_back_unanswered(&l->b));
		for (uint32_t i = 0; i < k; i++)
			msg64_fill(&buf[i], l->b.rsp_prod_pvt + i,
				   MSG64_RSP_SALT);
		return msg64_back_put_responses(&l->b, buf, k);
	case 'r':
		return sdrv_ring_back_push(&l->b);
	case 't':
		return msg64_front_take_responses(&l->f, buf, n);
	case 'F':
		return sdrv_ring_front_final_check(&l->f);
	}
	return UINT32_MAX;
}

/* A random step; counts up to 40 so the ring (32 slots) fills and drains. */
static inline char trace_random_op(uint64_t r, uint32_t *n)
{
	static const char ops[] = "PpTfRrtF";

	*n = 1 + (uint32_t)((r >> 8) % 40);
	return ops[r % 8];
}

#endif
