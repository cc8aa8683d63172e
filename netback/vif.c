/* SPDX-License-Identifier: MIT */
/*
 * The "vif" XenBus driver: the handshake Linux's netback does, with the
 * same keys, so that any netfront can talk to it.
 *
 *   probe            read "mac", publish what we offer (rx-copy, one
 *                    queue, split event channels and scatter-gather
 *                    unless --base-protocol, no GSO), InitWait
 *   front Initialised/Connected
 *                    read tx-ring-ref, rx-ring-ref, event-channel (or
 *                    event-channel-tx and -rx), request-rx-copy; map,
 *                    bind, Connected
 *   front Closing    disconnect, Closing
 *   front Closed     Closed; InitWait again if it comes back
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
static struct nb_vif *gone;

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
		{ "feature-gso-tcpv4", 0 },
		{ "feature-gso-tcpv6", 0 },
		/* Blank checksums from the guest are finished here, over
		 * IPv4 (always, as Linux netback) and IPv6. */
		{ "feature-ipv6-csum-offload", more },
		{ "feature-split-event-channels", more },
		{ "multi-queue-max-queues", 1 },
		{ "feature-multicast-control", more },
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

static void disconnect(struct nb_vif *v)
{
	if (!v->connected)
		return;
	nb_vif_drop_waiting(v);
	nb_fdb_forget_vif(v);
	if (v->rx_port != v->tx_port)
		sdrv_evtchn_close(v->dev->platform, v->rx_port);
	sdrv_evtchn_close(v->dev->platform, v->tx_port);
	sdrv_xenbus_unmap_ring(v->dev, &v->tx_ring);
	sdrv_xenbus_unmap_ring(v->dev, &v->rx_ring);
	v->connected = false;
	v->disabled = false;
}

/* The guest's event channels: one per ring if we offered that and it
 * took it (Linux's keys event-channel-tx and -rx), else the one. */
static int bind_ports(struct nb_vif *v)
{
	struct sdrv_xenbus_device *dev = v->dev;
	char buf[16];
	int err;

	if (!options->base_protocol &&
	    sdrv_xenbus_read_str(&dev->xb, true, "event-channel-tx", buf,
				 sizeof(buf)) >= 0) {
		err = sdrv_xenbus_bind_evtchn(dev, "", "event-channel-tx",
					      &v->tx_port);
		if (err)
			return err;
		err = sdrv_xenbus_bind_evtchn(dev, "", "event-channel-rx",
					      &v->rx_port);
		if (err)
			sdrv_evtchn_close(dev->platform, v->tx_port);
		return err;
	}
	err = sdrv_xenbus_bind_evtchn(dev, "", "event-channel", &v->tx_port);
	v->rx_port = v->tx_port;
	return err;
}

static int connect(struct nb_vif *v)
{
	struct sdrv_xenbus_device *dev = v->dev;
	uint64_t copy;
	int err;

	/* rx-flip (page transfer) went with Linux 3.x: copy or nothing. */
	if (sdrv_xenbus_read_bounded(&dev->xb, true, "request-rx-copy", 0, 1, 0,
				     &copy) ||
	    !copy)
		return sdrv_xenbus_device_fail(dev, -EPROTONOSUPPORT,
					       "request-rx-copy must be 1");
	if (sdrv_xenbus_read_bounded(&dev->xb, true, "multi-queue-num-queues",
				     1, 1, 1, &copy))
		return sdrv_xenbus_device_fail(dev, -EINVAL,
					       "multi-queue-num-queues above what we offer");
	/* Frames over several receive buffers, if it takes them. */
	if (sdrv_xenbus_read_bounded(&dev->xb, true, "feature-sg", 0, 1, 0, &copy))
		return sdrv_xenbus_device_fail(dev, -EINVAL, "feature-sg is garbage");
	v->sg = copy && !options->base_protocol;
	/* Only the multicast groups it adds, if it asks. */
	if (sdrv_xenbus_read_bounded(&dev->xb, true, "request-multicast-control",
				     0, 1, 0, &copy))
		return sdrv_xenbus_device_fail(dev, -EINVAL,
					       "request-multicast-control is garbage");
	v->mcast_control = copy && !options->base_protocol;
	v->nr_mcast = 0;
	err = sdrv_xenbus_map_ring(dev, "tx-", 0, &v->tx_ring);
	if (err)
		return err;
	err = sdrv_xenbus_map_ring(dev, "rx-", 0, &v->rx_ring);
	if (!err)
		err = sdrv_netif_tx_back_attach(&v->tx, v->tx_ring.addr,
						SDRV_PAGE_SIZE, 0);
	if (!err)
		err = sdrv_netif_rx_back_attach(&v->rx, v->rx_ring.addr,
						SDRV_PAGE_SIZE, 0);
	if (!err)
		err = bind_ports(v);
	if (err) {
		sdrv_xenbus_unmap_ring(dev, &v->tx_ring);
		sdrv_xenbus_unmap_ring(dev, &v->rx_ring);
		return err;
	}
	v->connected = true;
	v->disabled = false;
	err = sdrv_xenbus_switch_state(&dev->xb, SDRV_XENBUS_CONNECTED);
	if (options->verbose)
		fprintf(stderr, "netback-dpdk: %s: connected, %s\n", v->name,
			v->tx_port != v->rx_port ? "an event channel per ring"
						 : "one event channel");
	return err;
}

static int vif_connect(struct sdrv_xenbus_device *dev)
{
	return connect(dev->priv);
}

static void vif_disconnect(struct sdrv_xenbus_device *dev)
{
	disconnect(dev->priv);
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
	disconnect(v);
	v->dev = NULL;
	v->next_gone = gone;
	gone = v;
	dev->priv = NULL;
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
}

unsigned nb_live_vifs(struct sdrv_xenbus_bus *bus, struct nb_vif **out,
		      unsigned max)
{
	unsigned n = 0;

	for (struct sdrv_xenbus_device *d = sdrv_xenbus_bus_devices(bus);
	     d && n < max; d = d->next) {
		struct nb_vif *v = d->priv;

		if (d->driver == &nb_driver && v && v->connected && !v->disabled)
			out[n++] = v;
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
}
