/* SPDX-License-Identifier: MIT */
/*
 * The "vif" XenBus driver: the handshake Linux's netback does, with the
 * same keys, so that any netfront can talk to it.
 *
 *   probe            read "mac", publish what we offer (rx-copy; unless
 *                    --base-protocol: up to --max-queues queues, split
 *                    event channels, scatter-gather, multicast control,
 *                    GSO over TCP/IPv4 and IPv6), InitWait
 *   front Initialised/Connected
 *                    read multi-queue-num-queues, and per queue (at the
 *                    top for one, under queue-N/ for several) tx-ring-ref,
 *                    rx-ring-ref, event-channel (or event-channel-tx and
 *                    -rx); request-rx-copy; map, bind, Connected
 *   front Closing    disconnect, Closing
 *   front Closed     Closed; InitWait again if it comes back (Initialising,
 *                    seen after our Closed or Closing)
 *
 * Restarted after a crash, netback finds frontends Connected to its dead
 * predecessor (our state key still says Connected): it does not attach to
 * their old rings but waits in InitWait, and netfront connects afresh.
 */
#include "netback.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct nb_options *options;
/* Vifs gone, newest first, for their counters (at exit, and through
 * telemetry): the newest NB_GONE_KEPT each, the older folded into one. */
static struct nb_vif *gone;
static unsigned nr_gone;
static struct nb_vif earlier = { .name = "vifs gone earlier" };
static unsigned long long nr_earlier;

void nb_driver_init(const struct nb_options *opt)
{
	options = opt;
}

static int publish_body(struct sdrv_xs *xs, uint32_t tx, void *arg)
{
	struct sdrv_xenbus_dev *xb = arg;
	bool more = !options->base_protocol;
	const struct {
		const char *key;
		uint64_t value;
	} keys[] = {
		{ "feature-rx-copy", 1 },
		{ "feature-rx-flip", 0 },
		{ "feature-sg", more },
		/* Large TCP frames from the guest, cut here for whoever
		 * takes none. */
		{ "feature-gso-tcpv4", more },
		{ "feature-gso-tcpv6", more },
		/* Blank checksums from the guest are finished here, over
		 * IPv4 (always, as Linux netback) and IPv6. */
		{ "feature-ipv6-csum-offload", more },
		{ "feature-split-event-channels", more },
		{ "multi-queue-max-queues", more ? options->max_queues : 1 },
		{ "feature-multicast-control", more },
		/* Receive grants kept held for a frontend that keeps them
		 * (pins.c). */
		{ "feature-persistent", more },
	};
	int err = 0;

	(void)xs;
	for (size_t i = 0; !err && i < sizeof(keys) / sizeof(keys[0]); i++)
		err = sdrv_xenbus_write_uint(xb, tx, keys[i].key, keys[i].value);
	return err;
}

static int parse_mac(const char *s, struct rte_ether_addr *mac)
{
	unsigned b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac->addr_bytes[i] = (uint8_t)b[i];
	return 0;
}

static int vif_probe(struct sdrv_xenbus_device *dev)
{
	struct nb_vif *v = calloc(1, sizeof(*v));
	char mac[32];
	int err;

	if (!v)
		return -ENOMEM;
	v->dev = dev;
	v->opt = options;
	rte_spinlock_init(&v->mcast_lock);
	dev->priv = v;
	snprintf(v->name, sizeof(v->name), "vif %u/%u",
		 (unsigned)dev->xb.frontend_domid, dev->xb.devid);
	err = sdrv_xenbus_read_str(&dev->xb, false, "mac", mac, sizeof(mac));
	if (err <= 0 || (size_t)err >= sizeof(mac) || parse_mac(mac, &v->mac)) {
		fprintf(stderr, "netback-dpdk: %s: no usable \"mac\" key\n", v->name);
		free(v);
		dev->priv = NULL;
		return err < 0 ? err : -EINVAL;
	}
	v->front_stale = sdrv_xenbus_backend_probe_stale(dev);
	err = sdrv_xs_transaction_run(dev->xb.xs, publish_body, &dev->xb, 8);
	if (!err)
		err = sdrv_xenbus_switch_state(&dev->xb, SDRV_XENBUS_INIT_WAIT);
	if (err) {
		free(v);
		dev->priv = NULL;
		return err;
	}
	if (options->verbose)
		fprintf(stderr, "netback-dpdk: %s: mac %s, waiting for the frontend\n",
			v->name, mac);
	return 0;
}

/* Let queue @q's rings and channels go (the workers are held off: the
 * world lock's write side). */
static void queue_release(struct nb_queue *q)
{
	struct sdrv_xenbus_device *dev = q->vif->dev;

	nb_queue_drop_waiting(q);
	rte_pktmbuf_free_bulk(q->stash, q->stashed);
	q->stashed = 0;
	/* Frames it lent may be out still: their grants go as they come
	 * back, their answers with the ring. */
	nb_loans_orphan(q->loans);
	q->loans = NULL;
	nb_pins_free(q->pins, dev->platform);
	q->pins = NULL;
	if (q->inbox)
		rte_ring_free(q->inbox);
	q->inbox = NULL;
	if (q->rx_port && q->rx_port != q->tx_port) {
		nb_evtchn_owner(q->rx_port, NB_NO_WORKER);
		sdrv_evtchn_close(dev->platform, q->rx_port);
	}
	if (q->tx_port) {
		nb_evtchn_owner(q->tx_port, NB_NO_WORKER);
		sdrv_evtchn_close(dev->platform, q->tx_port);
	}
	q->tx_port = q->rx_port = 0;
	sdrv_xenbus_unmap_ring(dev, &q->tx_ring);
	sdrv_xenbus_unmap_ring(dev, &q->rx_ring);
}

/* Fold @from's counters into @to. */
static void stats_add(struct nb_stats *to, const struct nb_stats *from)
{
	to->tx_packets += from->tx_packets;
	to->tx_bytes += from->tx_bytes;
	to->rx_packets += from->rx_packets;
	to->rx_bytes += from->rx_bytes;
	to->tx_dropped += from->tx_dropped;
	to->rx_dropped += from->rx_dropped;
	to->rx_stalls += from->rx_stalls;
	to->mcast_refused += from->mcast_refused;
	to->errors += from->errors;
	to->tx_lent += from->tx_lent;
	to->tx_lent_copied += from->tx_lent_copied;
}

void nb_vif_stats(const struct nb_vif *v, struct nb_stats *out)
{
	*out = v->stats;
	out->rx_dropped += __atomic_load_n(&v->deliver_dropped, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < v->nr_queues; i++) {
		stats_add(out, &v->queues[i].stats);
		out->rx_grants_kept += nb_pins_kept(v->queues[i].pins);
	}
}

static void disconnect_vif(struct nb_vif *v)
{
	if (!v->connected)
		return;
	nb_fdb_forget_vif(v);
	for (unsigned i = 0; i < v->nr_queues; i++) {
		queue_release(&v->queues[i]);
		stats_add(&v->stats, &v->queues[i].stats);
	}
	free(v->queues);
	v->queues = NULL;
	v->nr_queues = 0;
	v->connected = false;
	v->disabled = false;
	v->disabled_why = NULL;
	v->disabled_told = false;
}

/* Queue @q's event channels: one per ring if we offered that and it took
 * it (Linux's keys event-channel-tx and -rx under the queue's prefix),
 * else the one. */
static int bind_ports(struct nb_queue *q, const char *prefix)
{
	struct sdrv_xenbus_device *dev = q->vif->dev;
	char key[48], buf[16];
	int err;

	snprintf(key, sizeof(key), "%sevent-channel-tx", prefix);
	if (!options->base_protocol &&
	    sdrv_xenbus_read_str(&dev->xb, true, key, buf, sizeof(buf)) >= 0) {
		err = sdrv_xenbus_bind_evtchn(dev, prefix, "event-channel-tx",
					      &q->tx_port);
		if (err)
			return err;
		err = sdrv_xenbus_bind_evtchn(dev, prefix, "event-channel-rx",
					      &q->rx_port);
		if (err) {
			sdrv_evtchn_close(dev->platform, q->tx_port);
			q->tx_port = 0;
		}
		return err;
	}
	err = sdrv_xenbus_bind_evtchn(dev, prefix, "event-channel", &q->tx_port);
	q->rx_port = q->tx_port;
	return err;
}

/* Map queue @i of @n: its rings and channels under its prefix ("" for a
 * single queue, else "queue-<i>/"), and its inbox when several workers
 * switch frames. */
static int queue_connect(struct nb_vif *v, unsigned i, unsigned n)
{
	struct nb_queue *q = &v->queues[i];
	struct sdrv_xenbus_device *dev = v->dev;
	char prefix[16], key[32];
	int err;

	q->vif = v;
	q->index = i;
	q->credit_bytes = v->credit_bytes;
	q->credit_ms = v->credit_ms;
	q->credit_left = 0;
	q->credit_refill_ms = 0; /* whole at the first frame */
	if (n == 1)
		snprintf(q->name, sizeof(q->name), "%s", v->name);
	else
		snprintf(q->name, sizeof(q->name), "%s queue %u", v->name, i);
	err = sdrv_xenbus_queue_prefix(prefix, sizeof(prefix), n, i);
	if (err < 0)
		return err;
	snprintf(key, sizeof(key), "%stx-", prefix);
	err = sdrv_xenbus_map_ring(dev, key, 0, &q->tx_ring);
	if (err)
		return err;
	snprintf(key, sizeof(key), "%srx-", prefix);
	err = sdrv_xenbus_map_ring(dev, key, 0, &q->rx_ring);
	if (!err)
		err = sdrv_netif_tx_back_attach(&q->tx, q->tx_ring.addr,
						SDRV_PAGE_SIZE, 0);
	if (!err)
		err = sdrv_netif_rx_back_attach(&q->rx, q->rx_ring.addr,
						SDRV_PAGE_SIZE, 0);
	if (!err)
		err = bind_ports(q, prefix);
	if (!err && options->nr_workers > 1) {
		snprintf(key, sizeof(key), "nb%u_%u_%u",
			 (unsigned)dev->xb.frontend_domid, dev->xb.devid, i);
		q->inbox = rte_ring_create(key, NB_INBOX_SIZE, rte_socket_id(),
					   RING_F_SC_DEQ);
		if (!q->inbox)
			err = sdrv_xenbus_device_fail(dev, -ENOMEM,
						      "no memory for a queue's inbox");
	}
	if (!err)
		q->loans = nb_loans_new(q); /* none: every frame is copied */
	if (!err && v->persistent)
		q->pins = nb_pins_new(); /* none: held burst by burst */
	if (!err) {
		nb_evtchn_owner(q->tx_port, nb_queue_worker(options, i));
		nb_evtchn_owner(q->rx_port, nb_queue_worker(options, i));
	}
	return err;
}

/* The toolstack's "rate" key in our directory (Linux netback's: BYTES,
 * MICROSECONDS, at most BYTES from the guest every window, each queue):
 * none, or one that is not that, is no limit (the latter said once). */
static void read_rate(struct nb_vif *v)
{
	char rate[64];
	unsigned long long bytes = 0, usec = 0;
	char end;
	int n = sdrv_xenbus_read_str(&v->dev->xb, false, "rate", rate, sizeof(rate));

	v->credit_bytes = 0;
	v->credit_ms = 0;
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(rate) ||
	    sscanf(rate, "%llu,%llu%c", &bytes, &usec, &end) != 2 || !bytes || !usec) {
		fprintf(stderr, "netback-dpdk: %s: rate \"%.32s\" is not BYTES,MICROSECONDS: "
			"not limited\n", v->name, rate);
		return;
	}
	v->credit_bytes = bytes;
	/* Our clock counts milliseconds: a window is one at least. */
	v->credit_ms = usec < 1000 ? 1 : usec / 1000 > UINT32_MAX ? UINT32_MAX
								 : (uint32_t)(usec / 1000);
}

static int connect_vif(struct nb_vif *v)
{
	struct sdrv_xenbus_device *dev = v->dev;
	uint64_t copy, nq;
	int err = 0;

	/* rx-flip (page transfer) went with Linux 3.x: copy or nothing. */
	if (sdrv_xenbus_read_bounded(&dev->xb, true, "request-rx-copy", 0, 1, 0,
				     &copy) ||
	    !copy)
		return sdrv_xenbus_device_fail(dev, -EPROTONOSUPPORT,
					       "request-rx-copy must be 1");
	/* No key: one queue, its keys at the top (a frontend from before
	 * multi-queue). */
	if (sdrv_xenbus_read_bounded(&dev->xb, true, "multi-queue-num-queues",
				     1, options->base_protocol ? 1 : options->max_queues,
				     1, &nq))
		return sdrv_xenbus_device_fail(dev, -EINVAL,
					       "multi-queue-num-queues is 0, garbage or above what we offer");
	/* Frames over several receive buffers, if it takes them. */
	if (sdrv_xenbus_read_bounded(&dev->xb, true, "feature-sg", 0, 1, 0, &copy))
		return sdrv_xenbus_device_fail(dev, -EINVAL, "feature-sg is garbage");
	v->sg = copy && !options->base_protocol;
	/* GSO frames whole, if it takes them (and frames over buffers). */
	if (sdrv_xenbus_read_bounded(&dev->xb, true, "feature-gso-tcpv4", 0, 1, 0,
				     &copy))
		return sdrv_xenbus_device_fail(dev, -EINVAL,
					       "feature-gso-tcpv4 is garbage");
	v->gso_tcpv4 = copy && v->sg;
	if (sdrv_xenbus_read_bounded(&dev->xb, true, "feature-gso-tcpv6", 0, 1, 0,
				     &copy))
		return sdrv_xenbus_device_fail(dev, -EINVAL,
					       "feature-gso-tcpv6 is garbage");
	v->gso_tcpv6 = copy && v->sg;
	/* Only the multicast groups it adds, if it asks. */
	if (sdrv_xenbus_read_bounded(&dev->xb, true, "request-multicast-control",
				     0, 1, 0, &copy))
		return sdrv_xenbus_device_fail(dev, -EINVAL,
					       "request-multicast-control is garbage");
	v->mcast_control = copy && !options->base_protocol;
	/* Receive grants it keeps while connected, if it says so. */
	if (sdrv_xenbus_read_bounded(&dev->xb, true, "feature-persistent", 0, 1, 0,
				     &copy))
		return sdrv_xenbus_device_fail(dev, -EINVAL,
					       "feature-persistent is garbage");
	v->persistent = copy && !options->base_protocol;
	v->nr_mcast = 0;
	read_rate(v);
	v->queues = calloc(nq, sizeof(*v->queues));
	if (!v->queues)
		return sdrv_xenbus_device_fail(dev, -ENOMEM, "no memory for its queues");
	for (unsigned i = 0; !err && i < nq; i++) {
		err = queue_connect(v, i, (unsigned)nq);
		v->nr_queues = i + 1; /* released below if it failed */
	}
	if (err) {
		for (unsigned i = 0; i < v->nr_queues; i++)
			queue_release(&v->queues[i]);
		free(v->queues);
		v->queues = NULL;
		v->nr_queues = 0;
		return err;
	}
	v->connected = true;
	v->disabled = false;
	err = sdrv_xenbus_switch_state(&dev->xb, SDRV_XENBUS_CONNECTED);
	if (options->verbose)
		fprintf(stderr, "netback-dpdk: %s: connected, %u queue%s, %s\n",
			v->name, v->nr_queues, v->nr_queues == 1 ? "" : "s",
			v->queues[0].tx_port != v->queues[0].rx_port
				? "an event channel per ring"
				: "one event channel per queue");
	return err;
}

static int vif_connect(struct sdrv_xenbus_device *dev)
{
	return connect_vif(dev->priv);
}

static void vif_disconnect(struct sdrv_xenbus_device *dev)
{
	disconnect_vif(dev->priv);
}

static bool vif_connected(const struct sdrv_xenbus_device *dev)
{
	return ((const struct nb_vif *)dev->priv)->connected;
}

static const struct sdrv_xenbus_backend_ops vif_ops = {
	.connect = vif_connect,
	.disconnect = vif_disconnect,
	.connected = vif_connected,
};

static void vif_otherend_changed(struct sdrv_xenbus_device *dev, int state)
{
	struct nb_vif *v = dev->priv;

	sdrv_xenbus_backend_follow(dev, state, &v->front_stale, &vif_ops);
}

static void vif_remove(struct sdrv_xenbus_device *dev)
{
	struct nb_vif *v = dev->priv;

	if (!v)
		return;
	disconnect_vif(v);
	v->dev = NULL;
	v->next_gone = gone;
	gone = v;
	dev->priv = NULL;
	/* A guest that comes and goes forever must not grow us: the oldest
	 * goes into one sum (no worker holds it: the world lock is ours,
	 * and each worker's lists are made anew before its next round). */
	if (++nr_gone > NB_GONE_KEPT) {
		struct nb_vif **last = &gone;
		struct nb_stats st;

		while ((*last)->next_gone)
			last = &(*last)->next_gone;
		nb_vif_stats(*last, &st);
		stats_add(&earlier.stats, &st);
		free(*last);
		*last = NULL;
		nr_gone--;
		nr_earlier++;
	}
}

const struct sdrv_xenbus_driver nb_driver = {
	.type = "vif",
	.probe = vif_probe,
	.otherend_changed = vif_otherend_changed,
	.remove = vif_remove,
};

void nb_for_each_vif(struct sdrv_xenbus_bus *bus, nb_vif_fn fn, void *arg)
{
	for (struct sdrv_xenbus_device *d = sdrv_xenbus_bus_devices(bus); d;
	     d = d->next)
		if (d->driver == &nb_driver && d->priv)
			fn(d->priv, false, arg);
	for (struct nb_vif *v = gone; v; v = v->next_gone)
		fn(v, true, arg);
	if (nr_earlier)
		fn(&earlier, true, arg);
}

unsigned nb_live_vifs(struct sdrv_xenbus_bus *bus, struct nb_vif **out,
		      unsigned max)
{
	unsigned n = 0;

	for (struct sdrv_xenbus_device *d = sdrv_xenbus_bus_devices(bus);
	     d && n < max; d = d->next) {
		struct nb_vif *v = d->priv;

		if (d->driver == &nb_driver && v && v->connected &&
		    !__atomic_load_n(&v->disabled, __ATOMIC_ACQUIRE))
			out[n++] = v;
	}
	return n;
}

unsigned nb_report_disabled(struct sdrv_xenbus_bus *bus)
{
	unsigned n = 0;

	for (struct sdrv_xenbus_device *d = sdrv_xenbus_bus_devices(bus); d;
	     d = d->next) {
		struct nb_vif *v = d->priv;

		if (d->driver != &nb_driver || !v ||
		    !__atomic_load_n(&v->disabled, __ATOMIC_ACQUIRE) ||
		    v->disabled_told)
			continue;
		v->disabled_told = true;
		sdrv_xenbus_device_fail(d, -EPROTO, v->disabled_why);
		n++;
	}
	return n;
}

void nb_forget_gone(void)
{
	while (gone) {
		struct nb_vif *v = gone;

		gone = v->next_gone;
		free(v);
	}
	nr_gone = 0;
}
