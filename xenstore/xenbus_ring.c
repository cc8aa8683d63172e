/* SPDX-License-Identifier: MIT */
/*
 * Shared rings and event channels through XenStore, both sides, with the
 * keys Linux's drivers use: "ring-ref" for one page, "ring-page-order" and
 * "ring-ref%u" for 2^order pages, "event-channel".  Freestanding.
 *
 * The backend reads every number the frontend wrote with bounds: an order
 * above what it offered, a ref or port that is not a number, are refused
 * with a one-line reason in the device's "error" key.
 */
#include <splitdrv/platform.h>
#include <splitdrv/xenbus_driver.h>

#include "xenbus_internal.h"

/* "<prefix><name>", with <i> after it when @i >= 0, into @buf. */
static int prefixed_key(char *buf, size_t len, const char *prefix,
			const char *name, int i)
{
	struct strbuf b = strbuf_at(buf, len);

	put_str(&b, prefix);
	put_str(&b, name);
	if (i >= 0)
		put_uint(&b, (uint64_t)i);
	return b.err;
}

/* A ring page's ref key: "ring-ref" alone for one page. */
static int ref_key(char *buf, size_t len, const char *prefix, unsigned order,
		   unsigned i)
{
	return prefixed_key(buf, len, prefix, "ring-ref", order ? (int)i : -1);
}

static int order_key(char *buf, size_t len, const char *prefix)
{
	return prefixed_key(buf, len, prefix, "ring-page-order", -1);
}

SDRV_PUBLIC int sdrv_xenbus_queue_prefix(char *buf, size_t len,
					 unsigned nr_queues, unsigned queue)
{
	struct strbuf b = strbuf_at(buf, len);

	put_str(&b, "");
	if (nr_queues > 1) {
		put_str(&b, "queue-");
		put_uint(&b, queue);
		put_str(&b, "/");
	}
	return strbuf_done(&b);
}

SDRV_PUBLIC int sdrv_xenbus_grant_ring(struct sdrv_xenbus_device *dev,
				       uint32_t tx, const char *prefix,
				       unsigned order,
				       struct sdrv_xenbus_ring *ring)
{
	unsigned n = 1u << order;
	char key[64];
	int err = 0;

	if (order > SDRV_XENBUS_MAX_RING_ORDER)
		return -SDRV_EINVAL;
	ring->order = order;
	ring->mapped = false;
	ring->addr = sdrv_pages_alloc(dev->platform, n);
	if (!ring->addr)
		return -SDRV_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		int64_t ref = sdrv_grant_access(
			dev->platform, dev->xb.backend_domid,
			(char *)ring->addr + (size_t)i * SDRV_PAGE_SIZE, false);

		if (ref < 0) {
			while (i--)
				sdrv_grant_end_access(dev->platform,
						      ring->refs[i]);
			sdrv_pages_free(dev->platform, ring->addr, n);
			ring->addr = NULL;
			return (int)ref;
		}
		ring->refs[i] = (sdrv_grant_ref_t)ref;
	}
	/* Order 0 is "ring-ref" and no order key, as Linux's backends
	 * expect; a key left from an earlier, larger ring goes. */
	err = order_key(key, sizeof(key), prefix);
	if (!err)
		err = order ? sdrv_xenbus_write_uint(&dev->xb, tx, key, order)
			    : sdrv_xenbus_remove_key(&dev->xb, tx, key);
	for (unsigned i = 0; !err && i < n; i++) {
		err = ref_key(key, sizeof(key), prefix, order, i);
		if (!err)
			err = sdrv_xenbus_write_uint(&dev->xb, tx, key,
						     ring->refs[i]);
	}
	if (err)
		sdrv_xenbus_ungrant_ring(dev, ring);
	return err;
}

SDRV_PUBLIC void sdrv_xenbus_ungrant_ring(struct sdrv_xenbus_device *dev,
					  struct sdrv_xenbus_ring *ring)
{
	unsigned n = 1u << ring->order;
	bool all_ended = true;

	if (!ring->addr)
		return;
	for (unsigned i = 0; i < n; i++)
		if (sdrv_grant_end_access(dev->platform, ring->refs[i]))
			all_ended = false;
	/* A page the backend still maps must not be reused: leak it
	 * rather than hand it out again (Linux does the same). */
	if (all_ended)
		sdrv_pages_free(dev->platform, ring->addr, n);
	ring->addr = NULL;
}

SDRV_PUBLIC int sdrv_xenbus_map_ring(struct sdrv_xenbus_device *dev,
				     const char *prefix, unsigned max_order,
				     struct sdrv_xenbus_ring *ring)
{
	struct sdrv_grant_map ops[SDRV_XENBUS_MAX_RING_PAGES];
	uint64_t order, ref;
	unsigned n;
	char key[64];
	int err;

	ring->addr = NULL;
	ring->mapped = false;
	if (max_order > SDRV_XENBUS_MAX_RING_ORDER)
		max_order = SDRV_XENBUS_MAX_RING_ORDER;
	err = order_key(key, sizeof(key), prefix);
	if (!err)
		err = sdrv_xenbus_read_bounded(&dev->xb, true, key, 0,
					       max_order, 0, &order);
	if (err)
		return sdrv_xenbus_device_fail(dev, err,
					       "ring-page-order above what we offer");
	n = 1u << order;
	for (unsigned i = 0; i < n; i++) {
		err = ref_key(key, sizeof(key), prefix, (unsigned)order, i);
		if (!err)
			err = sdrv_xenbus_read_bounded(&dev->xb, true, key, 0,
						       UINT32_MAX,
						       SDRV_XENBUS_REQUIRED,
						       &ref);
		if (err) {
			/* Name the key: with queues, which queue's. */
			char why[96];
			struct strbuf b = strbuf_at(why, sizeof(why));

			put_str(&b, key);
			put_str(&b, " missing or garbage");
			return sdrv_xenbus_device_fail(dev, err,
						       b.err ? "a ring-ref missing or garbage"
							     : why);
		}
		ops[i].granter = dev->xb.frontend_domid;
		ops[i].ref = (sdrv_grant_ref_t)ref;
		ops[i].readonly = false;
		ring->refs[i] = (sdrv_grant_ref_t)ref;
	}
	if (sdrv_grant_map(dev->platform, ops, n))
		err = -SDRV_EINVAL;
	for (unsigned i = 1; !err && i < n; i++)
		if ((char *)ops[i].addr !=
		    (char *)ops[0].addr + (size_t)i * SDRV_PAGE_SIZE)
			err = -SDRV_EINVAL;
	if (err) {
		struct sdrv_grant_map un[SDRV_XENBUS_MAX_RING_PAGES];
		unsigned m = 0;

		for (unsigned i = 0; i < n; i++)
			if (ops[i].status == SDRV_GNTST_okay)
				un[m++] = ops[i];
		sdrv_grant_unmap(dev->platform, un, m);
		return sdrv_xenbus_device_fail(
			dev, err,
			"mapping the ring: a ref not granted to us, or pages not contiguous");
	}
	for (unsigned i = 0; i < n; i++)
		ring->handles[i] = ops[i].handle;
	ring->addr = ops[0].addr;
	ring->order = (unsigned)order;
	ring->mapped = true;
	return 0;
}

SDRV_PUBLIC void sdrv_xenbus_unmap_ring(struct sdrv_xenbus_device *dev,
					struct sdrv_xenbus_ring *ring)
{
	struct sdrv_grant_map un[SDRV_XENBUS_MAX_RING_PAGES];
	unsigned n = 1u << ring->order;

	if (!ring->mapped)
		return;
	for (unsigned i = 0; i < n; i++) {
		un[i].handle = ring->handles[i];
		un[i].addr = (char *)ring->addr + (size_t)i * SDRV_PAGE_SIZE;
	}
	sdrv_grant_unmap(dev->platform, un, n);
	ring->mapped = false;
	ring->addr = NULL;
}

SDRV_PUBLIC int sdrv_xenbus_bind_evtchn(struct sdrv_xenbus_device *dev,
					const char *prefix, const char *key,
					sdrv_evtchn_port_t *port)
{
	char path[64];
	uint64_t remote;
	int err = prefixed_key(path, sizeof(path), prefix, key, -1);

	if (!err)
		err = sdrv_xenbus_read_bounded(&dev->xb, true, path, 1,
					       UINT32_MAX, SDRV_XENBUS_REQUIRED,
					       &remote);
	if (!err)
		err = sdrv_evtchn_bind_interdomain(
			dev->platform, dev->xb.frontend_domid,
			(sdrv_evtchn_port_t)remote, port);
	if (err)
		return sdrv_xenbus_device_fail(dev, err,
					       "binding the event channel");
	return 0;
}

SDRV_PUBLIC int sdrv_xenbus_alloc_evtchn(struct sdrv_xenbus_device *dev,
					 uint32_t tx, const char *prefix,
					 const char *key,
					 sdrv_evtchn_port_t *port)
{
	char path[64];
	int err = prefixed_key(path, sizeof(path), prefix, key, -1);

	if (err)
		return err;
	err = sdrv_evtchn_alloc_unbound(dev->platform, dev->xb.backend_domid,
					port);
	if (err)
		return err;
	err = sdrv_xenbus_write_uint(&dev->xb, tx, path, *port);
	if (err)
		sdrv_evtchn_close(dev->platform, *port);
	return err;
}
