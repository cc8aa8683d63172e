/* SPDX-License-Identifier: MIT */
/*
 * The XenStore client's ring transport: the domain's shared page (two byte
 * rings) and its event channel to the daemon.  Freestanding: memory and
 * events come from the platform.
 *
 * The daemon writes rsp_prod and req_cons; each is read once per pass and
 * checked (at most one ring's worth outstanding) before use.  We keep our
 * own copies of the indices we own (req_prod, rsp_cons) and only publish
 * them.
 */
#include <splitdrv/platform.h>
#include <splitdrv/xs.h>

#include "client_internal.h"

_Static_assert(sizeof(struct sdrv_xs) <= SDRV_PAGE_SIZE,
	       "the connection fits one platform page");
_Static_assert(sizeof(struct xs_watch) <= SDRV_PAGE_SIZE,
	       "a watch fits one platform page");

/* Wait for the daemon's event: 1, 0 on timeout, -errno. */
static int wait_event(struct sdrv_xs *xs, int timeout_ms)
{
	return sdrv_evtchn_wait_port(xs->plat, xs->port, timeout_ms);
}

static int ring_send(struct sdrv_xs *xs, const void *buf, size_t len)
{
	struct sdrv_xs_ring_page *pg = xs->page;
	const char *p = buf;

	while (len) {
		/* pairs with the daemon's release of req_cons */
		uint32_t cons = __atomic_load_n(&pg->req_cons, __ATOMIC_ACQUIRE);
		uint32_t used = xs->req_prod - cons, space, at, n;
		int r;

		if (used > SDRV_XS_RING_SIZE)
			return -SDRV_EPROTO;
		space = SDRV_XS_RING_SIZE - used;
		if (!space) {
			r = wait_event(xs, xs_time_left(xs));
			if (r == 0)
				return -SDRV_ETIMEDOUT; /* the daemon reads nothing */
			if (r < 0)
				return r;
			continue;
		}
		at = SDRV_XS_RING_MASK(xs->req_prod);
		n = SDRV_XS_RING_SIZE - at;
		if (n > space)
			n = space;
		if (n > len)
			n = (uint32_t)len;
		sdrv_copy(pg->req + at, p, n);
		xs->req_prod += n;
		p += n;
		len -= n;
		/* pairs with the daemon's acquire of req_prod */
		__atomic_store_n(&pg->req_prod, xs->req_prod, __ATOMIC_RELEASE);
		/* A kick that cannot be sent would leave us waiting forever
		 * for a reply: say so instead. */
		r = sdrv_evtchn_notify(xs->plat, xs->port);
		if (r < 0)
			return r;
	}
	return 0;
}

static size_t ring_room(struct sdrv_xs *xs)
{
	uint32_t cons = __atomic_load_n(&xs->page->req_cons, __ATOMIC_ACQUIRE);
	uint32_t used = xs->req_prod - cons;

	return used > SDRV_XS_RING_SIZE ? 0 : SDRV_XS_RING_SIZE - used;
}

static int ring_recv(struct sdrv_xs *xs, void *buf, size_t len, int timeout_ms)
{
	struct sdrv_xs_ring_page *pg = xs->page;

	for (;;) {
		/* pairs with the daemon's release of rsp_prod */
		uint32_t prod = __atomic_load_n(&pg->rsp_prod, __ATOMIC_ACQUIRE);
		uint32_t avail = prod - xs->rsp_cons, at, n;
		int r;

		if (avail > SDRV_XS_RING_SIZE)
			return -SDRV_EPROTO;
		if (__atomic_load_n(&pg->error, __ATOMIC_RELAXED))
			return -SDRV_ESHUTDOWN; /* the daemon gave up on us */
		if (avail) {
			at = SDRV_XS_RING_MASK(xs->rsp_cons);
			n = SDRV_XS_RING_SIZE - at;
			if (n > avail)
				n = avail;
			if (n > len)
				n = (uint32_t)len;
			sdrv_copy(buf, pg->rsp + at, n);
			xs->rsp_cons += n;
			/* pairs with the daemon's acquire of rsp_cons */
			__atomic_store_n(&pg->rsp_cons, xs->rsp_cons,
					 __ATOMIC_RELEASE);
			sdrv_evtchn_notify(xs->plat, xs->port);
			return (int)n;
		}
		if (timeout_ms == 0)
			return 0;
		r = wait_event(xs, timeout_ms);
		if (r < 0)
			return r;
		/* One look after the wait: the caller's deadline decides
		 * whether to wait again. */
		timeout_ms = 0;
	}
}

static uint64_t ring_now_ms(struct sdrv_xs *xs)
{
	return sdrv_platform_clock_ms(xs->plat);
}

static int ring_fd(struct sdrv_xs *xs)
{
	return sdrv_evtchn_fd(xs->plat);
}

static void *ring_alloc(struct sdrv_xs *xs)
{
	return sdrv_page_alloc(xs->plat);
}

static void ring_free(struct sdrv_xs *xs, void *mem)
{
	sdrv_page_free(xs->plat, mem);
}

static void ring_close(struct sdrv_xs *xs)
{
	struct sdrv_platform *p = xs->plat;

	sdrv_page_free(p, xs->rx);
	sdrv_page_free(p, xs->evq.buf);
	sdrv_page_free(p, xs->cbq.buf);
	sdrv_page_free(p, xs);
}

static const struct xs_transport ring_transport = {
	.send = ring_send,
	.room = ring_room,
	.recv = ring_recv,
	.fd = ring_fd,
	.now_ms = ring_now_ms,
	.close = ring_close,
	.alloc = ring_alloc,
	.free = ring_free,
};

SDRV_PUBLIC int sdrv_xs_open_ring(struct sdrv_platform *p, struct sdrv_xs **out)
{
	void *page;
	sdrv_evtchn_port_t port;
	struct sdrv_xs *xs;
	char *rx, *evq, *cbq;
	int err = sdrv_platform_xenstore(p, &page, &port);

	if (err)
		return err;
	xs = sdrv_page_alloc(p);
	rx = sdrv_page_alloc(p);
	evq = sdrv_page_alloc(p);
	cbq = sdrv_page_alloc(p);
	if (!xs || !rx || !evq || !cbq) {
		sdrv_page_free(p, xs);
		sdrv_page_free(p, rx);
		sdrv_page_free(p, evq);
		sdrv_page_free(p, cbq);
		return -SDRV_ENOMEM;
	}
	xs_client_init(xs, &ring_transport, rx, evq, cbq);
	xs->plat = p;
	xs->page = page;
	xs->port = port;
	/* Continue from wherever the ring is (a previous user of it may have
	 * left it mid-way): the indices we own are the page's. */
	xs->req_prod = __atomic_load_n(&xs->page->req_prod, __ATOMIC_ACQUIRE);
	xs->rsp_cons = __atomic_load_n(&xs->page->rsp_cons, __ATOMIC_ACQUIRE);
	*out = xs;
	return 0;
}
