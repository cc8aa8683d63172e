/* SPDX-License-Identifier: MIT */
/*
 * Asynchronous XenStore requests (see sdrv_xs_request_async() in xs.h):
 * sent at once, answered through a callback from the client's callback
 * loop.  Freestanding.
 *
 * A reply is read wherever the client reads (sdrv_xs_dispatch(), or a
 * blocking request waiting for its own reply): it is queued, then handed
 * to its callback when no request waits, so a callback may make requests
 * of its own.  A slot stays taken from the request until its reply is
 * read, even after a deadline passed or its owner forgot it: a late reply
 * then finds the slot and is dropped, where an unknown id would break the
 * connection as a lying daemon's does.
 */
#include <splitdrv/xs.h>

#include "../wire.h"
#include "client_internal.h"

SDRV_STATIC_ASSERT(SDRV_XS_ASYNC_MAX * sizeof(struct xs_async) +
				   SDRV_XS_ASYNC_REPLY_MAX <=
			   SDRV_PAGE_SIZE,
		   "the slots and the reply handed out share a page");
SDRV_STATIC_ASSERT(sizeof(struct xs_async_reply) + SDRV_XS_ASYNC_REPLY_MAX <=
			   XS_EVQ_SIZE,
		   "the longest reply fits the queue");

/* In a slot's type: its reply found no room in the queue (the error is
 * delivered from the slot). */
#define SLOT_ERR_NOROOM UINT32_MAX

static int alloc_async(struct sdrv_xs *xs)
{
	char *slots, *q;

	if (xs->async)
		return 0;
	slots = xs->t->alloc(xs);
	q = xs->t->alloc(xs);
	if (!slots || !q) {
		if (slots)
			xs->t->free(xs, slots);
		if (q)
			xs->t->free(xs, q);
		return -SDRV_ENOMEM;
	}
	xs->async = (struct xs_async *)(void *)slots;
	for (unsigned i = 0; i < SDRV_XS_ASYNC_MAX; i++) {
		xs->async[i].req_id = 0;
		xs->async[i].done = NULL;
	}
	xs->async_rx = slots + SDRV_XS_ASYNC_MAX * sizeof(struct xs_async);
	xs->aq.buf = q;
	xs->aq.head = xs->aq.tail = 0;
	xs->nr_async = 0;
	return 0;
}

void xs_async_free(struct sdrv_xs *xs)
{
	if (!xs->async)
		return;
	xs->t->free(xs, xs->async);
	xs->t->free(xs, xs->aq.buf);
	xs->async = NULL;
}

static void release(struct sdrv_xs *xs, struct xs_async *a)
{
	a->req_id = 0;
	a->done = NULL;
	xs->nr_async--;
}

/*
 * A blocking request's send waits for room while nothing of ours reads
 * the replies; with many requests in flight the daemon may in turn wait
 * for room to answer.  So before sending, read (and queue) what has come
 * until the request fits (or the ring is empty, for one that never would).
 */
static int make_room(struct sdrv_xs *xs, size_t need)
{
	uint64_t start = xs->t->now_ms(xs);

	if (!xs->t->room)
		return 0;
	if (need > SDRV_XS_RING_SIZE)
		need = SDRV_XS_RING_SIZE;
	while (xs->t->room(xs) < need) {
		uint64_t spent = xs->t->now_ms(xs) - start;
		int left = xs->timeout_ms, r;

		if (left >= 0) {
			if (spent >= (uint64_t)left)
				return xs_fail(xs, -SDRV_ETIMEDOUT);
			left -= (int)spent;
		}
		r = xs_pump(xs, left);
		if (r < 0)
			return r;
	}
	return 0;
}

SDRV_PUBLIC int sdrv_xs_request_async(struct sdrv_xs *xs, uint32_t type,
				      uint32_t tx, const void *payload,
				      size_t len, int timeout_ms,
				      sdrv_xs_reply_fn done, void *arg)
{
	struct xs_async *a = NULL;
	uint32_t req_id;
	int err;

	if (!done || type == SDRV_XS_WATCH_EVENT)
		return -SDRV_EINVAL;
	if (xs->broken)
		return -SDRV_ESHUTDOWN;
	err = alloc_async(xs);
	if (err)
		return err;
	for (unsigned i = 0; i < SDRV_XS_ASYNC_MAX && !a; i++)
		if (!xs->async[i].req_id)
			a = &xs->async[i];
	if (!a)
		return -SDRV_EBUSY;
	err = make_room(xs, sizeof(struct sdrv_xs_msg) + len);
	if (!err)
		err = xs_send(xs, type, tx, payload, len, &req_id);
	if (err)
		return err;
	a->req_id = req_id;
	a->type = type;
	a->deadline_ms = 0;
	if (timeout_ms >= 0)
		a->deadline_ms = xs->t->now_ms(xs) + (uint64_t)timeout_ms + 1;
	a->done = done;
	a->arg = arg;
	xs->nr_async++;
	return 0;
}

SDRV_PUBLIC int sdrv_xs_read_async(struct sdrv_xs *xs, uint32_t tx,
				   const char *path, int timeout_ms,
				   sdrv_xs_reply_fn done, void *arg)
{
	return sdrv_xs_request_async(xs, SDRV_XS_READ, tx, path,
				     xs_strnlen(path, SDRV_XS_PAYLOAD_MAX) + 1,
				     timeout_ms, done, arg);
}

SDRV_PUBLIC int sdrv_xs_write_async(struct sdrv_xs *xs, uint32_t tx,
				    const char *path, const char *value,
				    int timeout_ms, sdrv_xs_reply_fn done,
				    void *arg)
{
	char buf[SDRV_XS_PAYLOAD_MAX];
	size_t plen = xs_strnlen(path, SDRV_XS_PAYLOAD_MAX) + 1;
	size_t vlen = xs_strnlen(value, SDRV_XS_PAYLOAD_MAX);

	if (plen + vlen > SDRV_XS_PAYLOAD_MAX)
		return -SDRV_E2BIG;
	sdrv_copy(buf, path, plen);
	sdrv_copy(buf + plen, value, vlen);
	return sdrv_xs_request_async(xs, SDRV_XS_WRITE, tx, buf, plen + vlen,
				     timeout_ms, done, arg);
}

SDRV_PUBLIC unsigned sdrv_xs_async_forget(struct sdrv_xs *xs, const void *arg)
{
	unsigned n = 0;

	for (unsigned i = 0; xs->async && i < SDRV_XS_ASYNC_MAX; i++) {
		struct xs_async *a = &xs->async[i];

		if (a->req_id && a->done && a->arg == arg) {
			a->done = NULL; /* the reply, when it comes, is dropped */
			n++;
		}
	}
	return n;
}

SDRV_PUBLIC unsigned sdrv_xs_async_pending(const struct sdrv_xs *xs)
{
	return xs->async ? xs->nr_async : 0;
}

SDRV_PUBLIC int sdrv_xs_timeout_ms(struct sdrv_xs *xs)
{
	uint64_t now, first = 0;

	for (unsigned i = 0; xs->async && i < SDRV_XS_ASYNC_MAX; i++) {
		struct xs_async *a = &xs->async[i];

		if (a->req_id && a->done && a->deadline_ms &&
		    (!first || a->deadline_ms < first))
			first = a->deadline_ms;
	}
	if (!first)
		return -1;
	now = xs->t->now_ms(xs);
	if (now >= first)
		return 0;
	return first - now > 0x7fffffff ? 0x7fffffff : (int)(first - now);
}

int xs_async_take_reply(struct sdrv_xs *xs)
{
	struct xs_async_reply rec;
	struct xs_async *a = NULL;
	uint32_t len = xs->hdr.len;

	for (unsigned i = 0; xs->async && i < SDRV_XS_ASYNC_MAX && !a; i++)
		if (xs->async[i].req_id == xs->hdr.req_id)
			a = &xs->async[i];
	if (!a)
		return 0;
	if (xs->hdr.type != SDRV_XS_ERROR && xs->hdr.type != a->type)
		return xs_fail(xs, -SDRV_EPROTO);
	if (!a->done) { /* forgotten, or its deadline passed */
		release(xs, a);
		return 1;
	}
	rec.slot = (uint32_t)(a - xs->async);
	rec.err = 0;
	if (xs->hdr.type == SDRV_XS_ERROR)
		rec.err = sdrv_xs_errno(xs->rx, len);
	else if (len > SDRV_XS_ASYNC_REPLY_MAX)
		rec.err = -SDRV_E2BIG;
	rec.len = rec.err ? 0 : len;
	if (xs_evq_used(&xs->aq) + sizeof(rec) + rec.len > XS_EVQ_SIZE) {
		/* No room while a blocking request waits: the reply is
		 * lost, its request told so. */
		a->type = SLOT_ERR_NOROOM;
		a->deadline_ms = 0;
		return 1;
	}
	xs_evq_put(&xs->aq, &rec, sizeof(rec));
	xs_evq_put(&xs->aq, xs->rx, rec.len);
	a->deadline_ms = 0; /* answered: no deadline left to run */
	return 1;
}

/* Call @a's callback once and free its slot (first: the callback may
 * send a request that takes it). */
static void complete(struct sdrv_xs *xs, struct xs_async *a, int err,
		     const char *payload, size_t len)
{
	sdrv_xs_reply_fn done = a->done;
	void *arg = a->arg;

	release(xs, a);
	if (done)
		done(arg, err, payload, len);
}

bool xs_async_run(struct sdrv_xs *xs)
{
	uint64_t now;

	if (!xs->async)
		return false;
	if (xs_evq_used(&xs->aq)) {
		struct xs_async_reply rec;

		xs_evq_get(&xs->aq, &rec, sizeof(rec));
		xs_evq_get(&xs->aq, xs->async_rx, rec.len);
		complete(xs, &xs->async[rec.slot % SDRV_XS_ASYNC_MAX], rec.err,
			 xs->async_rx, rec.len);
		return true;
	}
	now = xs->t->now_ms(xs);
	for (unsigned i = 0; i < SDRV_XS_ASYNC_MAX; i++) {
		struct xs_async *a = &xs->async[i];
		sdrv_xs_reply_fn done = a->done;

		if (!a->req_id)
			continue;
		if (a->type == SLOT_ERR_NOROOM) {
			complete(xs, a, -SDRV_ENOBUFS, NULL, 0);
			return true;
		}
		if (xs->broken) {
			complete(xs, a, -SDRV_ESHUTDOWN, NULL, 0);
			return true;
		}
		if (done && a->deadline_ms && now >= a->deadline_ms) {
			/* The slot waits on for the late reply, to drop it. */
			a->done = NULL;
			done(a->arg, -SDRV_ETIMEDOUT, NULL, 0);
			return true;
		}
	}
	return false;
}
