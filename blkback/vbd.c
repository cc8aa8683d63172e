/* SPDX-License-Identifier: MIT */
/*
 * The "vbd" XenBus driver: the handshake Linux's blkback does, with the
 * same keys, so that any blkfront can talk to it.
 *
 *   probe            open "params" (mode "r": read-only), publish the
 *                    size and what we offer, InitWait
 *   front Initialised/Connected
 *                    read its ring(s), protocol and queue count, connect
 *                    each queue, Connected
 *   front Closing    drain and disconnect, Closing
 *   front Closed     Closed; InitWait again if it comes back
 *
 * Restarted after a crash, blkback finds frontends Connected to its dead
 * predecessor (our state key still says Connected).  Their rings hold the
 * old indices and requests it never answered, so we do not attach to
 * them: InitWait tells the frontend to connect afresh, and it sends what
 * was not answered again (blkfront does).
 */
#include "blkback.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct bb_options *options;
static struct bb_vbd *gone; /* removed devices, for the counters at exit */

void bb_driver_init(const struct bb_options *opt)
{
	options = opt;
}

/* Xen's VDISK_* bits of "info". */
#define VDISK_READONLY 4u

static int open_backing(struct bb_vbd *v, bool readonly)
{
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;

	v->fd = -1;
	if (!options->buffered)
		v->fd = open(v->params, flags | O_DIRECT);
	if (v->fd < 0 && (options->buffered || errno == EINVAL)) {
		/* tmpfs and some others refuse O_DIRECT: buffered then. */
		if (!options->buffered)
			fprintf(stderr, "blkback: %s: %s: no O_DIRECT here, buffered I/O\n",
				v->name, v->params);
		v->fd = open(v->params, flags);
	}
	if (v->fd < 0 || fstat(v->fd, &st))
		return -errno;
	v->sector_size = SDRV_BLKIF_SECTOR_SIZE;
	v->physical_sector_size = 4096;
	if (S_ISBLK(st.st_mode)) {
		uint64_t bytes = 0;
		int ss = 512;
		unsigned int pbs = 4096;

		v->is_blkdev = true;
		if (ioctl(v->fd, BLKGETSIZE64, &bytes))
			return -errno;
		if (!ioctl(v->fd, BLKSSZGET, &ss) && ss > 0)
			v->sector_size = (unsigned)ss;
		if (!ioctl(v->fd, BLKPBSZGET, &pbs) && pbs)
			v->physical_sector_size = pbs;
		v->lim.sectors = bytes / SDRV_BLKIF_SECTOR_SIZE;
	} else if (S_ISREG(st.st_mode)) {
		v->lim.sectors = (uint64_t)st.st_size / SDRV_BLKIF_SECTOR_SIZE;
	} else {
		return -EINVAL;
	}
	v->lim.readonly = readonly;
	v->lim.discard = !readonly;
	v->lim.discard_secure = v->is_blkdev && !readonly;
	v->lim.max_indirect = BB_MAX_INDIRECT_SEGMENTS;
	return 0;
}

static int publish_body(struct sdrv_xs *xs, uint32_t tx, void *arg)
{
	struct bb_vbd *v = arg;
	struct sdrv_xenbus_dev *xb = &v->dev->xb;
	const struct {
		const char *key;
		uint64_t value;
	} keys[] = {
		{ "sectors", v->lim.sectors },
		{ "sector-size", v->sector_size },
		{ "physical-sector-size", v->physical_sector_size },
		{ "info", v->lim.readonly ? VDISK_READONLY : 0 },
		{ "feature-flush-cache", 1 },
		{ "feature-barrier", 1 },
		{ "feature-persistent", 1 },
		{ "feature-max-indirect-segments", BB_MAX_INDIRECT_SEGMENTS },
		{ "max-ring-page-order", options->max_ring_order },
		{ "multi-queue-max-queues", options->max_queues },
		{ "feature-discard", v->lim.discard },
		{ "discard-granularity", 4096 },
		{ "discard-alignment", 0 },
		{ "discard-secure", v->lim.discard_secure },
	};
	int err = 0;

	(void)xs;
	for (size_t i = 0; !err && i < sizeof(keys) / sizeof(keys[0]); i++)
		err = sdrv_xenbus_write_uint(xb, tx, keys[i].key,
					     keys[i].value);
	return err;
}

static int probe_device(struct sdrv_xenbus_device *dev);

static int vbd_probe(struct sdrv_xenbus_device *dev)
{
	int err = probe_device(dev);
	struct bb_vbd *v = dev->priv;

	if (err && v) {
		if (v->fd >= 0)
			close(v->fd);
		free(v);
		dev->priv = NULL;
	}
	return err;
}

static int probe_device(struct sdrv_xenbus_device *dev)
{
	struct bb_vbd *v = calloc(1, sizeof(*v));
	char mode[8] = "w";
	int err;

	if (!v)
		return -ENOMEM;
	v->dev = dev;
	v->opt = options;
	v->fd = -1;
	dev->priv = v;
	snprintf(v->name, sizeof(v->name), "vbd %u/%u",
		 (unsigned)dev->xb.frontend_domid, dev->xb.devid);
	err = sdrv_xenbus_read_str(&dev->xb, false, "params", v->params,
				   sizeof(v->params));
	if (err <= 0) {
		fprintf(stderr, "blkback: %s: no usable \"params\" key\n", v->name);
		return err < 0 ? err : -EINVAL;
	}
	if (sdrv_xenbus_read_str(&dev->xb, false, "mode", mode, sizeof(mode)) <
	    0)
		strcpy(mode, "w");
	err = open_backing(v, mode[0] == 'r');
	if (err) {
		fprintf(stderr, "blkback: %s: %s: %s\n", v->name, v->params,
			strerror(-err));
		return err;
	}
	v->front_stale = sdrv_xenbus_backend_probe_stale(dev);
	err = sdrv_xs_transaction_run(dev->xb.xs, publish_body, v, 8);
	if (!err)
		err = sdrv_xenbus_switch_state(&dev->xb,
					       SDRV_XENBUS_INIT_WAIT);
	if (options->verbose && !err)
		fprintf(stderr, "blkback: %s: %s, %llu sectors%s, waiting for the frontend\n",
			v->name, v->params,
			(unsigned long long)v->lim.sectors,
			v->lim.readonly ? ", read-only" : "");
	return err;
}

static void disconnect_queues(struct bb_vbd *v)
{
	for (unsigned i = 0; i < v->nr_queues; i++)
		bb_queue_disconnect(&v->queues[i]);
	v->nr_queues = 0;
}

static int connect_queues(struct bb_vbd *v)
{
	struct sdrv_xenbus_device *dev = v->dev;
	char proto[32];
	uint64_t nq;
	int err;

	/* Only the 64-bit layout is ours; a 32-bit frontend would need
	 * its own request layouts. */
	err = sdrv_xenbus_read_str(&dev->xb, true, "protocol", proto,
				   sizeof(proto));
	if (err >= 0 && strcmp(proto, "x86_64-abi") != 0)
		return sdrv_xenbus_device_fail(dev, -EPROTONOSUPPORT,
					       "protocol: only x86_64-abi");
	err = sdrv_xenbus_read_bounded(&dev->xb, true,
				       "multi-queue-num-queues", 1,
				       options->max_queues, 1, &nq);
	if (err)
		return sdrv_xenbus_device_fail(
			dev, err, "multi-queue-num-queues above what we offer");
	for (unsigned i = 0; i < nq; i++) {
		char prefix[24];
		struct bb_queue *q = &v->queues[i];

		sdrv_xenbus_queue_prefix(prefix, sizeof(prefix), (unsigned)nq,
					 i);
		memset(q, 0, sizeof(*q));
		q->vbd = v;
		q->index = i;
		err = bb_queue_connect(q, prefix, options->max_ring_order);
		if (err) {
			disconnect_queues(v);
			return err;
		}
		v->nr_queues = i + 1;
	}
	err = sdrv_xenbus_switch_state(&dev->xb, SDRV_XENBUS_CONNECTED);
	if (options->verbose)
		fprintf(stderr, "blkback: %s: connected, %u queue%s, ring of %u page%s\n",
			v->name, v->nr_queues, v->nr_queues > 1 ? "s" : "",
			1u << v->queues[0].ring.order,
			v->queues[0].ring.order ? "s" : "");
	return err;
}

static int vbd_connect(struct sdrv_xenbus_device *dev)
{
	return connect_queues(dev->priv);
}

static void vbd_disconnect(struct sdrv_xenbus_device *dev)
{
	disconnect_queues(dev->priv);
}

static bool vbd_connected(const struct sdrv_xenbus_device *dev)
{
	return ((const struct bb_vbd *)dev->priv)->nr_queues != 0;
}

static const struct sdrv_xenbus_backend_ops vbd_ops = {
	.connect = vbd_connect,
	.disconnect = vbd_disconnect,
	.connected = vbd_connected,
};

static void vbd_otherend_changed(struct sdrv_xenbus_device *dev, int state)
{
	struct bb_vbd *v = dev->priv;

	sdrv_xenbus_backend_follow(dev, state, &v->front_stale, &vbd_ops);
}

static void vbd_remove(struct sdrv_xenbus_device *dev)
{
	struct bb_vbd *v = dev->priv;

	if (!v)
		return;
	disconnect_queues(v);
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	v->dev = NULL;
	v->next_closed = gone;
	gone = v;
	dev->priv = NULL;
}

const struct sdrv_xenbus_driver bb_driver = {
	.type = "vbd",
	.probe = vbd_probe,
	.otherend_changed = vbd_otherend_changed,
	.remove = vbd_remove,
};

void bb_for_each_vbd(struct sdrv_xenbus_bus *bus, bb_vbd_fn fn, void *arg)
{
	for (struct sdrv_xenbus_device *d = sdrv_xenbus_bus_devices(bus); d;
	     d = d->next)
		if (d->driver == &bb_driver && d->priv)
			fn(d->priv, false, arg);
	for (struct bb_vbd *v = gone; v; v = v->next_closed)
		fn(v, true, arg);
}

void bb_forget_gone(void)
{
	while (gone) {
		struct bb_vbd *v = gone;

		gone = v->next_closed;
		free(v);
	}
}
