/* SPDX-License-Identifier: MIT */
/*
 * netfront: the guest side of netif (see netfront.h).  Freestanding: memory
 * from the platform, strings through XenBus.
 *
 * Each queue has a transmit and a receive ring and its own buffers.
 * Transmit slot i of a queue owns page tx[i] (granted read-only) and ring
 * id i; a slot is busy from its request until its response.  Receive slot
 * i owns page rx[i] (granted writable) and ring id i; it is posted from
 * its request until its response, then copied out and posted again.  The
 * ids are ours: a response naming a slot not busy (or not posted) is a
 * lie.
 */
#include <splitdrv/netfront.h>
#include <splitdrv/platform.h>
#include <splitdrv/xenbus_driver.h>

#define NONE 0xffffu
/* Slots a frame may take, either way (Linux's XEN_NETIF_NR_SLOTS_MIN):
 * 65535 bytes in pages, and a chain longer is a backend's lie. */
#define NF_MAX_SLOTS 18u
/* Calls between clock reads while frames flow (see recv_burst). */
#define NF_CLOCK_CALLS 64u
#define ETH_HLEN 14u
/* Receive ring slots at most (a ring of a page has 256). */
#define NF_RX_RING_MAX 256u
/* Receive buffers posted together while the ring is at least half full:
 * each post ends in a full barrier (Xen's rule before reading req_event),
 * which waits for every store before it. */
#define NF_RX_POST_BATCH 32u
/* Extra info slots a received frame may carry. */
#define NF_MAX_EXTRAS 4u

/* A transmit ring slot: a request, or the extra info that follows one. */
union nf_tx_slot {
	struct sdrv_netif_tx_request req;
	struct sdrv_netif_extra_info extra;
};

struct nf_buf {
	void *page;
	sdrv_grant_ref_t gref;
	bool busy; /* tx: in flight; rx: posted */
	bool lent; /* rx: handed to the caller in place, until it gives it back */
	uint16_t next_free; /* the free list: tx slots free, rx slots not posted */
};

/* One queue: its rings, its channels and its buffers. */
struct nf_queue {
	unsigned index;
	struct sdrv_xenbus_ring tx_ring, rx_ring;
	struct sdrv_ring_front tx, rx;
	/* One channel for both rings, or one each (split event channels:
	 * tx_port != rx_port). */
	sdrv_evtchn_port_t tx_port, rx_port;
	struct nf_buf *bufs; /* tx_slots, then rx_slots */
	uint16_t tx_free;
	unsigned tx_nr_free; /* transmit slots on the free list */
	uint16_t rx_free; /* receive slots taken and copied, not yet posted */
	unsigned rx_to_post; /* how many */
	/* The buffer posted at each receive ring index: an extra info slot
	 * answers a request with no id of its own (Linux's netfront ties
	 * ids to indices; ours come from the free list). */
	uint16_t rx_at[NF_RX_RING_MAX];
	/* The frame being put together from a chain of receive slots. */
	struct {
		size_t len; /* bytes so far */
		unsigned slots; /* slots so far; 0: between frames */
		bool bad; /* dropped whole when it ends */
		bool data_done; /* its last data slot came */
		bool want_extra; /* an extra info slot comes next */
		unsigned extras;
		unsigned flags; /* SDRV_NETFRONT_F_* */
		uint16_t gso_size;
	} rx_frame;
};

struct sdrv_netfront {
	struct sdrv_xenbus_device dev; /* bus-less: ours alone */
	struct sdrv_platform *p;
	struct sdrv_netfront_info info;
	struct sdrv_netfront_stats stats;
	bool attached;
	bool base_protocol; /* config: ask for nothing beyond it */
	bool gso_wanted; /* config: take GSO frames */
	unsigned queues_wanted; /* config */
	/* Queues allocated (the first connection's count: a backend that
	 * comes back offering fewer gets fewer of them used). */
	struct nf_queue *queues;
	unsigned nr_alloc, queues_pages;
	struct nf_buf *bufs; /* every queue's */
	unsigned bufs_pages;
	unsigned rx_next; /* the queue a receive burst looks at first */
	const char *broken;
	int timeout_ms;
	uint64_t checked_ms; /* when the backend's state was last read */
	unsigned since_clock; /* receive calls since the clock was read */
	bool polled; /* never ask the backend to notify (config) */
	unsigned reconnects;
};

static struct nf_buf *tx_buf(struct nf_queue *q, unsigned i)
{
	return &q->bufs[i];
}

static struct nf_buf *rx_buf(const struct sdrv_netfront *nf, struct nf_queue *q,
			     unsigned i)
{
	return &q->bufs[nf->info.tx_slots + i];
}

static void break_device(struct sdrv_netfront *nf, const char *why)
{
	if (!nf->broken)
		nf->broken = why;
}

/* ---- the MAC address ---------------------------------------------------- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "aa:bb:cc:dd:ee:ff" exactly.  Return: 0, or -SDRV_EINVAL. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hi < 0 ? -1 : hex_digit(s[3 * i + 1]);
		char sep = s[3 * i + 2];

		if (hi < 0 || lo < 0 || sep != (i == 5 ? '\0' : ':'))
			return -SDRV_EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* ---- event channels ----------------------------------------------------- */

static void close_ports(struct sdrv_netfront *nf, struct nf_queue *q)
{
	if (q->rx_port && q->rx_port != q->tx_port)
		sdrv_evtchn_close(nf->p, q->rx_port);
	if (q->tx_port)
		sdrv_evtchn_close(nf->p, q->tx_port);
	q->tx_port = q->rx_port = 0;
}

/* Every queue's ports closed and rings ungranted (the backend let go, or
 * we publish afresh). */
static void unpublish_queues(struct sdrv_netfront *nf)
{
	for (unsigned i = 0; nf->queues && i < nf->nr_alloc; i++) {
		close_ports(nf, &nf->queues[i]);
		sdrv_xenbus_ungrant_ring(&nf->dev, &nf->queues[i].tx_ring);
		sdrv_xenbus_ungrant_ring(&nf->dev, &nf->queues[i].rx_ring);
	}
}

/* ---- buffers ------------------------------------------------------------ */

/* The queues, and every queue's buffers granted: for @n queues. */
static int alloc_queues(struct sdrv_netfront *nf, unsigned n)
{
	unsigned per_queue = nf->info.tx_slots + nf->info.rx_slots;
	size_t qbytes = (size_t)n * sizeof(struct nf_queue);
	size_t bytes = (size_t)n * per_queue * sizeof(struct nf_buf);

	nf->queues_pages = (unsigned)((qbytes + SDRV_PAGE_SIZE - 1) / SDRV_PAGE_SIZE);
	nf->queues = sdrv_pages_alloc(nf->p, nf->queues_pages);
	if (!nf->queues)
		return -SDRV_ENOMEM;
	nf->nr_alloc = n;
	nf->bufs_pages = (unsigned)((bytes + SDRV_PAGE_SIZE - 1) / SDRV_PAGE_SIZE);
	nf->bufs = sdrv_pages_alloc(nf->p, nf->bufs_pages);
	if (!nf->bufs)
		return -SDRV_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		nf->queues[i].index = i;
		nf->queues[i].bufs = nf->bufs + (size_t)i * per_queue;
	}
	for (unsigned i = 0; i < n * per_queue; i++) {
		bool is_tx = i % per_queue < nf->info.tx_slots;
		struct nf_buf *b = &nf->bufs[i];
		int64_t ref;

		b->page = sdrv_page_alloc(nf->p);
		if (!b->page)
			return -SDRV_ENOMEM;
		ref = sdrv_grant_access(nf->p, nf->dev.xb.backend_domid,
					b->page, is_tx);
		if (ref < 0) {
			sdrv_page_free(nf->p, b->page);
			b->page = NULL;
			return (int)ref;
		}
		b->gref = (sdrv_grant_ref_t)ref;
	}
	return 0;
}

static void free_queues(struct sdrv_netfront *nf)
{
	unsigned n = nf->nr_alloc * (nf->info.tx_slots + nf->info.rx_slots);

	if (nf->bufs) {
		for (unsigned i = 0; i < n; i++) {
			struct nf_buf *b = &nf->bufs[i];

			/* Still mapped by the backend, or still lent to
			 * the caller: leak rather than reuse. */
			if (b->page && !sdrv_grant_end_access(nf->p, b->gref) && !b->lent)
				sdrv_page_free(nf->p, b->page);
		}
		sdrv_pages_free(nf->p, nf->bufs, nf->bufs_pages);
		nf->bufs = NULL;
	}
	if (nf->queues)
		sdrv_pages_free(nf->p, nf->queues, nf->queues_pages);
	nf->queues = NULL;
	nf->nr_alloc = 0;
}

/* Post every receive slot not posted. */
static void post_rx(struct sdrv_netfront *nf, struct nf_queue *q)
{
	uint32_t n = 0;

	/* In place, field by field (as put_tx() says why), pad included:
	 * nothing of our stack goes to the backend. */
	while (q->rx_free != NONE) {
		struct sdrv_netif_rx_request *r = sdrv_ring_front_request_slot(&q->rx, n);
		uint16_t id = q->rx_free;
		struct nf_buf *b = rx_buf(nf, q, id);

		if (!r)
			break; /* full, or broken */
		r->id = id;
		r->pad = 0;
		r->gref = b->gref;
		q->rx_at[(q->rx.req_prod_pvt + n) & q->rx.mask] = id;
		q->rx_free = b->next_free;
		b->busy = true;
		n++;
	}
	n = sdrv_ring_front_produce(&q->rx, n);
	q->rx_to_post -= n;
	if (n && sdrv_ring_front_push(&q->rx))
		sdrv_evtchn_notify(nf->p, q->rx_port);
}

/* Every buffer idle: every transmit slot free, every receive slot to be
 * posted (a fresh connection). */
static void reset_bufs(struct sdrv_netfront *nf, struct nf_queue *q)
{
	q->tx_free = NONE;
	q->tx_nr_free = nf->info.tx_slots;
	for (unsigned i = nf->info.tx_slots; i-- > 0;) {
		tx_buf(q, i)->busy = false;
		tx_buf(q, i)->next_free = q->tx_free;
		q->tx_free = (uint16_t)i;
	}
	q->rx_free = NONE;
	q->rx_to_post = 0;
	for (unsigned i = nf->info.rx_slots; i-- > 0;) {
		rx_buf(nf, q, i)->busy = false;
		/* A page lent to the caller is posted when it comes back. */
		if (rx_buf(nf, q, i)->lent)
			continue;
		rx_buf(nf, q, i)->next_free = q->rx_free;
		q->rx_free = (uint16_t)i;
		q->rx_to_post++;
	}
	q->rx_frame.slots = 0;
}

/* ---- handshake ---------------------------------------------------------- */

/* @a then @b into @out (@len bytes, truncated). */
static void key_join(char *out, size_t len, const char *a, const char *b)
{
	size_t n = 0;

	for (; *a && n + 1 < len; a++)
		out[n++] = *a;
	for (; *b && n + 1 < len; b++)
		out[n++] = *b;
	out[n] = '\0';
}

/* Queue @q's rings and channels, under its prefix ("" for a single
 * queue, else "queue-<i>/"), in @tx. */
static int publish_queue(struct sdrv_netfront *nf, uint32_t tx,
			 struct nf_queue *q)
{
	struct sdrv_xenbus_dev *xb = &nf->dev.xb;
	char prefix[16], key[48];
	int err = sdrv_xenbus_queue_prefix(prefix, sizeof(prefix),
					   nf->info.queues, q->index);

	if (err < 0)
		return err;
	key_join(key, sizeof(key), prefix, "tx-");
	err = sdrv_xenbus_grant_ring(&nf->dev, tx, key, 0, &q->tx_ring);
	key_join(key, sizeof(key), prefix, "rx-");
	if (!err)
		err = sdrv_xenbus_grant_ring(&nf->dev, tx, key, 0, &q->rx_ring);
	/* The keys of the other choice go: an earlier connection's would
	 * name channels long closed. */
	if (!err && nf->info.split_event_channels) {
		key_join(key, sizeof(key), prefix, "event-channel");
		err = sdrv_xenbus_remove_key(xb, tx, key);
		if (!err)
			err = sdrv_xenbus_alloc_evtchn(&nf->dev, tx, prefix,
						       "event-channel-tx", &q->tx_port);
		if (!err)
			err = sdrv_xenbus_alloc_evtchn(&nf->dev, tx, prefix,
						       "event-channel-rx", &q->rx_port);
	} else if (!err) {
		key_join(key, sizeof(key), prefix, "event-channel-tx");
		err = sdrv_xenbus_remove_key(xb, tx, key);
		key_join(key, sizeof(key), prefix, "event-channel-rx");
		if (!err)
			err = sdrv_xenbus_remove_key(xb, tx, key);
		if (!err)
			err = sdrv_xenbus_alloc_evtchn(&nf->dev, tx, prefix,
						       "event-channel", &q->tx_port);
		q->rx_port = q->tx_port;
	}
	return err;
}

static int publish_body(struct sdrv_xs *xs, uint32_t tx, void *arg)
{
	struct sdrv_netfront *nf = arg;
	struct sdrv_xenbus_dev *xb = &nf->dev.xb;
	const struct {
		const char *key;
		uint64_t value;
	} keys[] = {
		{ "request-rx-copy", 1 },
		{ "feature-rx-notify", 1 },
		/* Frames with a blank checksum come only with GSO, which
		 * the caller asked to take. */
		{ "feature-no-csum-offload", !nf->info.gso_receive },
		/* We take frames over several receive buffers. */
		{ "feature-sg", !nf->base_protocol },
		{ "feature-gso-tcpv4", nf->info.gso_receive },
		{ "feature-gso-tcpv6", nf->info.gso_receive },
		/* Our buffers' grants are made once and ended only once
		 * the backend is gone: it may keep them held meanwhile. */
		{ "feature-persistent", !nf->base_protocol },
	};
	int err;

	(void)xs;
	/* Granted again on a retried transaction. */
	unpublish_queues(nf);
	/* Several queues say how many (their keys under queue-N/); one has
	 * its keys at the top and no count, as before multi-queue. */
	if (nf->info.queues > 1)
		err = sdrv_xenbus_write_uint(xb, tx, "multi-queue-num-queues",
					     nf->info.queues);
	else
		err = sdrv_xenbus_remove_key(xb, tx, "multi-queue-num-queues");
	for (unsigned i = 0; !err && i < nf->info.queues; i++)
		err = publish_queue(nf, tx, &nf->queues[i]);
	for (unsigned i = 0; !err && i < sizeof(keys) / sizeof(keys[0]); i++)
		err = sdrv_xenbus_write_uint(xb, tx, keys[i].key, keys[i].value);
	return err;
}

static int attach_rings(struct sdrv_netfront *nf)
{
	int err = 0;

	for (unsigned i = 0; !err && i < nf->info.queues; i++) {
		struct nf_queue *q = &nf->queues[i];

		err = sdrv_ring_sring_init(q->tx_ring.addr, SDRV_PAGE_SIZE);
		if (!err)
			err = sdrv_ring_sring_init(q->rx_ring.addr, SDRV_PAGE_SIZE);
		if (!err)
			err = sdrv_netif_tx_front_attach(&q->tx, q->tx_ring.addr,
							 SDRV_PAGE_SIZE, 0);
		if (!err)
			err = sdrv_netif_rx_front_attach(&q->rx, q->rx_ring.addr,
							 SDRV_PAGE_SIZE, 0);
	}
	nf->attached = !err;
	return err;
}

static int handshake(struct sdrv_netfront *nf, bool again)
{
	char mac[24];
	uint64_t offered;
	int err, state;

	err = sdrv_xenbus_switch_state(&nf->dev.xb, SDRV_XENBUS_INITIALISING);
	if (err)
		return err;
	state = sdrv_xenbus_wait_peer_state(
		&nf->dev.xb,
		1u << SDRV_XENBUS_INIT_WAIT | 1u << SDRV_XENBUS_CONNECTED,
		nf->timeout_ms);
	if (state < 0)
		return state;
	/* The toolstack's MAC, in our own directory (Linux reads it there). */
	err = sdrv_xenbus_read_str(&nf->dev.xb, false, "mac", mac, sizeof(mac));
	if (err < 0 || (size_t)err >= sizeof(mac) ||
	    parse_mac(mac, nf->info.mac))
		return sdrv_xenbus_device_fail(&nf->dev, -SDRV_EPROTO,
					       "no usable \"mac\" key");
	/* What the backend offers, as far as we take it. */
	err = sdrv_xenbus_read_bounded(&nf->dev.xb, true,
				       "feature-split-event-channels", 0, 1, 0,
				       &offered);
	if (err)
		return sdrv_xenbus_device_fail(&nf->dev, -SDRV_EPROTO,
					       "backend's feature-split-event-channels is garbage");
	nf->info.split_event_channels = offered && !nf->base_protocol;
	err = sdrv_xenbus_read_bounded(&nf->dev.xb, true, "feature-sg", 0, 1, 0,
				       &offered);
	if (err)
		return sdrv_xenbus_device_fail(&nf->dev, -SDRV_EPROTO,
					       "backend's feature-sg is garbage");
	nf->info.sg = offered && !nf->base_protocol;
	/* GSO either way rides on scatter-gather: frames beyond a page. */
	nf->info.gso_receive = nf->info.sg && nf->gso_wanted;
	err = sdrv_xenbus_read_bounded(&nf->dev.xb, true, "feature-gso-tcpv4", 0, 1,
				       0, &offered);
	if (!err) {
		nf->info.gso_tcpv4 = offered && nf->info.sg;
		err = sdrv_xenbus_read_bounded(&nf->dev.xb, true, "feature-gso-tcpv6",
					       0, 1, 0, &offered);
	}
	if (err)
		return sdrv_xenbus_device_fail(&nf->dev, -SDRV_EPROTO,
					       "backend's feature-gso-tcpv4 or -tcpv6 is garbage");
	nf->info.gso_tcpv6 = offered && nf->info.sg;
	nf->info.max_packet = nf->info.sg ? SDRV_NETFRONT_MAX_PACKET : SDRV_PAGE_SIZE;
	/* As many queues as asked for and offered (no key: one), and on a
	 * reconnection no more than the first connection's. */
	err = sdrv_xenbus_read_bounded(&nf->dev.xb, true, "multi-queue-max-queues",
				       0, UINT32_MAX, 1, &offered);
	if (err)
		return sdrv_xenbus_device_fail(&nf->dev, -SDRV_EPROTO,
					       "backend's multi-queue-max-queues is garbage");
	nf->info.queues = nf->base_protocol || !offered ? 1 : nf->queues_wanted;
	if (nf->info.queues > offered)
		nf->info.queues = (unsigned)offered;
	if (again && nf->info.queues > nf->nr_alloc)
		nf->info.queues = nf->nr_alloc;
	nf->info.tx_slots = sdrv_netif_tx_ring_nr_slots(SDRV_PAGE_SIZE);
	nf->info.rx_slots = sdrv_netif_rx_ring_nr_slots(SDRV_PAGE_SIZE);
	SDRV_STATIC_ASSERT(sizeof(((struct nf_queue *)0)->rx_at) / sizeof(uint16_t) ==
				   NF_RX_RING_MAX, "rx_at");
	if (nf->info.rx_slots > NF_RX_RING_MAX)
		return -SDRV_EINVAL;
	err = 0;
	/* Each queue takes tx_slots + rx_slots pages and grants: as many as
	 * the domain's memory and grant table hold, down to one. */
	while (!again) {
		err = alloc_queues(nf, nf->info.queues);
		if (!err || nf->info.queues == 1 ||
		    (err != -SDRV_ENOSPC && err != -SDRV_ENOMEM))
			break;
		free_queues(nf);
		nf->info.queues--;
	}
	if (!err)
		err = sdrv_xs_transaction_run(nf->dev.xb.xs, publish_body, nf, 8);
	if (!err)
		err = attach_rings(nf);
	if (err)
		return err;
	for (unsigned i = 0; i < nf->info.queues; i++) {
		reset_bufs(nf, &nf->queues[i]);
		post_rx(nf, &nf->queues[i]);
	}
	err = sdrv_xenbus_switch_state(&nf->dev.xb, SDRV_XENBUS_INITIALISED);
	if (err)
		return err;
	state = sdrv_xenbus_wait_peer_state(
		&nf->dev.xb,
		1u << SDRV_XENBUS_CONNECTED | 1u << SDRV_XENBUS_CLOSING |
			1u << SDRV_XENBUS_CLOSED,
		nf->timeout_ms);
	if (state < 0)
		return state;
	if (state != SDRV_XENBUS_CONNECTED)
		return -SDRV_EPROTO;
	return sdrv_xenbus_switch_state(&nf->dev.xb, SDRV_XENBUS_CONNECTED);
}

static void release(struct sdrv_netfront *nf)
{
	unpublish_queues(nf);
	free_queues(nf);
	if (nf->dev.xb.xs)
		sdrv_xenbus_detach(&nf->dev.xb);
}

SDRV_PUBLIC int sdrv_netfront_open(struct sdrv_platform *p, struct sdrv_xs *xs,
				   uint32_t devid,
				   const struct sdrv_netfront_config *cfg,
				   struct sdrv_netfront **out)
{
	struct sdrv_netfront *nf;
	int err;

	SDRV_STATIC_ASSERT(sizeof(struct sdrv_netfront) <= SDRV_PAGE_SIZE,
			   "netfront fits a page");
	nf = sdrv_page_alloc(p);
	if (!nf)
		return -SDRV_ENOMEM;
	nf->p = p;
	nf->dev.platform = p;
	nf->timeout_ms = cfg && cfg->timeout_ms ? cfg->timeout_ms : 10000;
	nf->polled = cfg && cfg->polled;
	nf->base_protocol = cfg && cfg->base_protocol;
	nf->gso_wanted = cfg && cfg->gso;
	nf->queues_wanted = cfg && cfg->queues ? cfg->queues : 1;
	if (nf->queues_wanted > SDRV_NETFRONT_MAX_QUEUES)
		nf->queues_wanted = SDRV_NETFRONT_MAX_QUEUES;
	nf->since_clock = NF_CLOCK_CALLS;
	err = sdrv_xenbus_attach(&nf->dev.xb, xs, false, sdrv_platform_domid(p),
				 0, "vif", devid);
	if (!err)
		err = handshake(nf, false);
	if (!err) {
		nf->checked_ms = sdrv_platform_clock_ms(p);
		*out = nf;
		return 0;
	}
	if (nf->dev.xb.xs)
		sdrv_xenbus_switch_state(&nf->dev.xb, SDRV_XENBUS_CLOSED);
	release(nf);
	sdrv_page_free(p, nf);
	return err;
}

SDRV_PUBLIC void sdrv_netfront_close(struct sdrv_netfront *nf)
{
	if (!nf)
		return;
	sdrv_xenbus_switch_state(&nf->dev.xb, SDRV_XENBUS_CLOSING);
	sdrv_xenbus_wait_peer_state(&nf->dev.xb,
				    1u << SDRV_XENBUS_CLOSING |
					    1u << SDRV_XENBUS_CLOSED |
					    1u << SDRV_XENBUS_UNKNOWN,
				    5000);
	sdrv_xenbus_switch_state(&nf->dev.xb, SDRV_XENBUS_CLOSED);
	release(nf);
	sdrv_page_free(nf->p, nf);
}

SDRV_PUBLIC const struct sdrv_netfront_info *
sdrv_netfront_info(const struct sdrv_netfront *nf)
{
	return &nf->info;
}

SDRV_PUBLIC const struct sdrv_netfront_stats *
sdrv_netfront_stats(const struct sdrv_netfront *nf)
{
	return &nf->stats;
}

SDRV_PUBLIC bool sdrv_netfront_carrier(const struct sdrv_netfront *nf)
{
	return nf->attached && !nf->broken;
}

SDRV_PUBLIC const char *sdrv_netfront_broken(const struct sdrv_netfront *nf)
{
	return nf->broken;
}

/* ---- the backend going away and coming back ---------------------------- */

/*
 * The backend left Connected: a new backend process waits in InitWait (the
 * old one died), or a closing one says Closing.  Connect again on new
 * rings with the same buffers (still granted): frames in flight on the old
 * ring are lost, as frames may be; every receive buffer is posted anew.
 */
static void reconnect(struct sdrv_netfront *nf)
{
	int state = sdrv_xenbus_read_state(&nf->dev.xb, true);

	if (state == SDRV_XENBUS_CLOSING || state == SDRV_XENBUS_CLOSED) {
		sdrv_xenbus_switch_state(&nf->dev.xb, SDRV_XENBUS_CLOSING);
		sdrv_xenbus_wait_peer_state(&nf->dev.xb,
					    1u << SDRV_XENBUS_CLOSED |
						    1u << SDRV_XENBUS_UNKNOWN,
					    nf->timeout_ms);
		sdrv_xenbus_switch_state(&nf->dev.xb, SDRV_XENBUS_CLOSED);
	}
	unpublish_queues(nf);
	nf->attached = false;
	if (handshake(nf, true)) {
		break_device(nf, "the backend did not come back");
		return;
	}
	nf->reconnects++;
}

/* Whether the backend is still Connected; XenStore is asked at most every
 * NF_CHECK_MS.  A backend gone for good (its directory removed, or
 * garbage in its state) breaks the device. */
#define NF_CHECK_MS 200u
static void check_backend(struct sdrv_netfront *nf)
{
	uint64_t now = sdrv_platform_clock_ms(nf->p);
	int state;

	if (nf->broken || now - nf->checked_ms < NF_CHECK_MS)
		return;
	nf->checked_ms = now;
	state = sdrv_xenbus_read_state(&nf->dev.xb, true);
	if (state == SDRV_XENBUS_CONNECTED)
		return;
	if (state == SDRV_XENBUS_UNKNOWN) {
		break_device(nf, "the backend's state is gone or garbage");
		return;
	}
	reconnect(nf);
}

/* check_backend() on every NF_CLOCK_CALLS-th call, or the call after one
 * that found nothing (since_clock is then set to the limit) unless the
 * device is polled: it reads the clock, which a busy poller should not pay
 * per burst, nor per empty poll (a poller's next NF_CLOCK_CALLS calls come
 * soon; reading the clock after each empty one was a fifth of a testpmd
 * guest's time at 64 B). */
static void check_backend_now_and_then(struct sdrv_netfront *nf)
{
	if (++nf->since_clock < NF_CLOCK_CALLS)
		return;
	nf->since_clock = 0;
	check_backend(nf);
}

SDRV_PUBLIC unsigned sdrv_netfront_reconnects(const struct sdrv_netfront *nf)
{
	return nf->reconnects;
}

/* ---- transmit ----------------------------------------------------------- */

/* Take the backend's transmit answers on @q: their slots are free again. */
static void reclaim_tx(struct sdrv_netfront *nf, struct nf_queue *q)
{
	struct sdrv_netif_tx_response rsp[32];

	while (!nf->broken) {
		uint32_t got = sdrv_netif_tx_front_take_responses(&q->tx, rsp, 32);

		if (sdrv_ring_front_fault(&q->tx)) {
			break_device(nf, "backend's transmit response index out of range");
			return;
		}
		if (!got) {
			if (nf->polled || !sdrv_ring_front_final_check(&q->tx))
				return;
			continue;
		}
		for (uint32_t k = 0; k < got; k++) {
			uint16_t id = rsp[k].id;
			struct nf_buf *b;

			if (rsp[k].status == SDRV_NETIF_RSP_NULL)
				continue; /* the answer to an extra-info slot */
			if (id >= nf->info.tx_slots || !tx_buf(q, id)->busy) {
				break_device(nf, "transmit response for no packet in flight");
				return;
			}
			b = tx_buf(q, id);
			b->busy = false;
			b->next_free = q->tx_free;
			q->tx_free = id;
			q->tx_nr_free++;
			if (rsp[k].status != SDRV_NETIF_RSP_OKAY)
				nf->stats.tx_errors++;
		}
	}
}

/* From this size on, a frame's bytes go through the platform's copy
 * (sdrv_platform_copy()): a call, then the CPU's widest moves; below it,
 * inline 16-byte moves cost less than the call.  The platform's copy sent
 * 5-12 % more 1500-byte frames (alternating, on one host). */
#define NF_PLATFORM_COPY_MIN 256u

/* Copy @len bytes of a frame, the way NF_PLATFORM_COPY_MIN says. */
static SDRV_ALWAYS_INLINE void frame_copy(void *dst, const void *src, size_t len)
{
	if (len >= NF_PLATFORM_COPY_MIN)
		sdrv_platform_copy(dst, src, len);
	else
		sdrv_copy(dst, src, len);
}

/* Write request slot @s for buffer @b (@id): @size bytes at its page's
 * start, with @flags. */
static SDRV_ALWAYS_INLINE void write_tx_slot(union nf_tx_slot *s, const struct nf_buf *b,
					     uint16_t id, uint16_t flags, uint16_t size)
{
	s->req.gref = b->gref;
	s->req.offset = 0;
	s->req.flags = flags;
	s->req.id = id;
	s->req.size = size;
}

/* The first slot's checksum flags for a frame's SDRV_NETFRONT_F_*. */
static uint16_t tx_flags(unsigned flags)
{
	return (uint16_t)((flags & SDRV_NETFRONT_F_CSUM_BLANK ? SDRV_NETTXF_CSUM_BLANK : 0) |
			  (flags & SDRV_NETFRONT_F_DATA_VALIDATED ? SDRV_NETTXF_DATA_VALIDATED : 0));
}

/* Put frame @f on @q's ring (not pushed): one slot, or with
 * scatter-gather one per page, the first saying the frame's length and
 * each but the last MORE_DATA; a GSO frame's extra info slot after the
 * first.  The slots are written in place, field by field: a request built
 * on the stack and copied in reloads as whole words what was stored in
 * halves, which no store forwards, and that load then waits for every
 * store before it, the copy into the page included (measured: most of
 * the sender's time at 64 B).  Return: 0, -SDRV_EAGAIN. */
static int put_tx(struct sdrv_netfront *nf, struct nf_queue *q,
		  const struct sdrv_netfront_frame *f)
{
	uint16_t ids[NF_MAX_SLOTS];
	size_t len = f->len, off = 0;
	unsigned need = (unsigned)((len + SDRV_PAGE_SIZE - 1) / SDRV_PAGE_SIZE);
	unsigned gso = f->flags & (SDRV_NETFRONT_F_GSO_TCPV4 | SDRV_NETFRONT_F_GSO_TCPV6);
	unsigned slots = need + (gso ? 1 : 0), k = 0;
	uint16_t id = q->tx_free;

	if (q->tx_nr_free < need || sdrv_ring_front_free(&q->tx) < slots ||
	    sdrv_ring_front_fault(&q->tx))
		return -SDRV_EAGAIN;
	for (unsigned d = 0; d < need; d++) {
		struct nf_buf *b = tx_buf(q, id);
		size_t part = len - off < SDRV_PAGE_SIZE ? len - off : SDRV_PAGE_SIZE;
		union nf_tx_slot *s = sdrv_ring_front_request_slot(&q->tx, k++);

		frame_copy(b->page, (const char *)f->data + off, part);
		write_tx_slot(s, b, id,
			      (uint16_t)((d + 1 < need ? SDRV_NETTXF_MORE_DATA : 0) |
					 (d ? 0 : tx_flags(f->flags)) |
					 (!d && gso ? SDRV_NETTXF_EXTRA_INFO : 0)),
			      (uint16_t)(d ? part : len));
		ids[d] = id;
		if (!d && gso) {
			/* The extra info slot: a request's slot, read as
			 * an extra; the request's id and size (past the
			 * extra) zero. */
			s = sdrv_ring_front_request_slot(&q->tx, k++);
			s->req.id = 0;
			s->req.size = 0;
			s->extra.type = SDRV_NETIF_EXTRA_TYPE_GSO;
			s->extra.flags = 0;
			s->extra.u.gso.size = f->gso_size;
			s->extra.u.gso.type = gso == SDRV_NETFRONT_F_GSO_TCPV4
						      ? SDRV_NETIF_GSO_TYPE_TCPV4
						      : SDRV_NETIF_GSO_TYPE_TCPV6;
			s->extra.u.gso.pad = 0;
			s->extra.u.gso.features = 0;
		}
		off += part;
		id = b->next_free;
	}
	sdrv_ring_front_produce(&q->tx, slots);
	for (unsigned d = 0; d < need; d++) {
		tx_buf(q, ids[d])->busy = true;
		q->tx_free = tx_buf(q, ids[d])->next_free;
	}
	q->tx_nr_free -= need;
	nf->stats.tx_packets++;
	nf->stats.tx_bytes += len;
	return 0;
}

/*
 * Put the frames at the head of @f (@n) that each take one slot (no more
 * than a page, no GSO) on @q's ring, up to the first that does not or
 * until the ring or the buffers run out, as put_tx() would one by one.
 * Room, faults and the counters are looked at once for the run, not per
 * frame: a testpmd guest's 64-byte frame cost 461 instructions the general
 * way and 338 this way (callgrind, all of its forwarding thread).
 * Return: the frames put.
 */
static unsigned put_tx_run(struct sdrv_netfront *nf, struct nf_queue *q,
			   const struct sdrv_netfront_frame *f, unsigned n)
{
	uint32_t room = sdrv_ring_front_free(&q->tx);
	uint32_t max = nf->info.max_packet < SDRV_PAGE_SIZE ? nf->info.max_packet : SDRV_PAGE_SIZE;
	uint16_t id = q->tx_free;
	uint64_t bytes = 0;
	unsigned i;

	if (sdrv_ring_front_fault(&q->tx))
		return 0;
	if (room > q->tx_nr_free)
		room = q->tx_nr_free;
	if (n > room)
		n = room;
	for (i = 0; i < n; i++) {
		struct nf_buf *b = tx_buf(q, id);
		union nf_tx_slot *s = sdrv_ring_front_request_slot(&q->tx, i);
		size_t len = f[i].len;

		if (len < ETH_HLEN || len > max ||
		    (f[i].flags & (SDRV_NETFRONT_F_GSO_TCPV4 | SDRV_NETFRONT_F_GSO_TCPV6)))
			break;
		frame_copy(b->page, f[i].data, len);
		write_tx_slot(s, b, id, tx_flags(f[i].flags), (uint16_t)len);
		b->busy = true;
		id = b->next_free;
		bytes += len;
	}
	sdrv_ring_front_produce(&q->tx, i);
	q->tx_free = id;
	q->tx_nr_free -= i;
	nf->stats.tx_packets += i;
	nf->stats.tx_bytes += bytes;
	return i;
}

/*
 * The queue a frame goes out on: by its flow (IPv4 or IPv6 addresses, and
 * TCP or UDP ports), so that a flow keeps its order and flows spread over
 * the backend's lcores, as Linux's netfront picks by the skb's hash.
 * Anything else goes on queue 0.
 */
static unsigned flow_queue(const struct sdrv_netfront *nf, const uint8_t *pkt,
			   size_t len)
{
	unsigned ethertype, l4 = 0, from = 0, to = 0;
	uint32_t h = 2166136261u;

	if (nf->info.queues == 1 || len < ETH_HLEN)
		return 0;
	ethertype = (unsigned)pkt[12] << 8 | pkt[13];
	if (ethertype == 0x0800 && len >= ETH_HLEN + 20) {
		unsigned ihl = (pkt[ETH_HLEN] & 0xfu) * 4u;

		from = ETH_HLEN + 12; /* source and destination addresses */
		to = ETH_HLEN + 20;
		/* Ports only of a first fragment (or none). */
		if ((pkt[ETH_HLEN + 9] == 6 || pkt[ETH_HLEN + 9] == 17) &&
		    !((pkt[ETH_HLEN + 6] & 0x1fu) | pkt[ETH_HLEN + 7]))
			l4 = ETH_HLEN + ihl;
	} else if (ethertype == 0x86dd && len >= ETH_HLEN + 40) {
		from = ETH_HLEN + 8;
		to = ETH_HLEN + 40;
		if (pkt[ETH_HLEN + 6] == 6 || pkt[ETH_HLEN + 6] == 17)
			l4 = ETH_HLEN + 40;
	} else {
		return 0;
	}
	for (unsigned i = from; i < to; i++)
		h = (h ^ pkt[i]) * 16777619u;
	for (unsigned i = l4; l4 && i < l4 + 4 && i < len; i++)
		h = (h ^ pkt[i]) * 16777619u;
	return (h ^ h >> 16) % nf->info.queues;
}

/* Whether @f's GSO (if any) is one the backend takes, with a size. */
static bool gso_sendable(const struct sdrv_netfront *nf,
			 const struct sdrv_netfront_frame *f)
{
	unsigned gso = f->flags & (SDRV_NETFRONT_F_GSO_TCPV4 | SDRV_NETFRONT_F_GSO_TCPV6);

	if (!gso)
		return true;
	if (!f->gso_size)
		return false;
	return gso == SDRV_NETFRONT_F_GSO_TCPV4 ? nf->info.gso_tcpv4
	       : gso == SDRV_NETFRONT_F_GSO_TCPV6 ? nf->info.gso_tcpv6 : false;
}

/*
 * Ask for what sending @n frames on @q will write: the ring's slots and
 * the first line of each free page, in the backend's CPU's cache since it
 * read them.  They come while the frames are prepared, together, where
 * each store would otherwise wait for its line in turn.
 */
static void prefetch_tx(struct nf_queue *q, unsigned n)
{
	uint16_t id = q->tx_free;

	/* Only slots answered already: a slot the backend has yet to answer
	 * in is a line it is about to write, and asking for it would take
	 * the line from under it (on a full ring, every try). */
	if (n > sdrv_ring_front_free(&q->tx))
		n = sdrv_ring_front_free(&q->tx);
	sdrv_ring_front_prefetch(&q->tx, n);
	for (unsigned k = 0; k < n && k < q->tx_nr_free; k++) {
		const struct nf_buf *b = tx_buf(q, id);

		__builtin_prefetch(b->page, 1, 3);
		id = b->next_free;
	}
}

/* Put frames @f (@n) on queue @only, or each on its flow's queue
 * (@only < 0); one push and at most one notification per queue. */
static int send_frames(struct sdrv_netfront *nf, int only,
		       const struct sdrv_netfront_frame *f, unsigned n)
{
	uint32_t touched = 0;
	unsigned i;

	if (nf->broken)
		return -SDRV_EIO;
	if (n && (only >= 0 || nf->info.queues == 1))
		prefetch_tx(&nf->queues[only >= 0 ? only : 0], n);
	for (i = 0; i < n;) {
		struct nf_queue *q;
		unsigned run;

		if (f[i].len < ETH_HLEN || f[i].len > nf->info.max_packet ||
		    !gso_sendable(nf, &f[i])) {
			if (i == 0)
				return -SDRV_EINVAL;
			break;
		}
		q = &nf->queues[only >= 0 ? (unsigned)only
					  : flow_queue(nf, f[i].data, f[i].len)];
		if (q->tx_nr_free < NF_MAX_SLOTS)
			reclaim_tx(nf, q);
		if (nf->broken)
			break;
		/* On one queue, the frames that take a slot each go as a
		 * run; the first frame that is not goes the general way. */
		run = only >= 0 || nf->info.queues == 1 ? put_tx_run(nf, q, &f[i], n - i) : 0;
		if (!run && put_tx(nf, q, &f[i]))
			break;
		i += run ? run : 1;
		touched |= 1u << q->index;
	}
	/* A sender that never receives still notices a backend gone (the
	 * ring stays full). */
	if (!i)
		check_backend_now_and_then(nf);
	for (unsigned k = 0; touched; k++, touched >>= 1) {
		struct nf_queue *q = &nf->queues[k];

		if ((touched & 1) && sdrv_ring_front_push(&q->tx))
			sdrv_evtchn_notify(nf->p, q->tx_port);
	}
	if (!i && nf->broken)
		return -SDRV_EIO;
	return (int)i;
}

SDRV_PUBLIC int sdrv_netfront_send_burst(struct sdrv_netfront *nf,
					 const struct sdrv_netfront_frame *f,
					 unsigned n)
{
	return send_frames(nf, -1, f, n);
}

SDRV_PUBLIC int sdrv_netfront_queue_send_burst(struct sdrv_netfront *nf,
					       unsigned queue,
					       const struct sdrv_netfront_frame *f,
					       unsigned n)
{
	if (queue >= nf->info.queues)
		return -SDRV_EINVAL;
	return send_frames(nf, (int)queue, f, n);
}

SDRV_PUBLIC int sdrv_netfront_send(struct sdrv_netfront *nf, const void *pkt,
				   size_t len)
{
	struct sdrv_netfront_frame f = { .data = (void *)(uintptr_t)pkt,
					 .len = len };
	int n = sdrv_netfront_send_burst(nf, &f, 1);

	return n == 1 ? 0 : n < 0 ? n : -SDRV_EAGAIN;
}

/* ---- receive ------------------------------------------------------------ */

/* Drop the frame being put together on @q (counted). */
static void rx_frame_drop(struct sdrv_netfront *nf, struct nf_queue *q)
{
	if (q->rx_frame.slots || q->rx_frame.extras)
		nf->stats.rx_dropped++;
	q->rx_frame.slots = 0;
	q->rx_frame.extras = 0;
	q->rx_frame.want_extra = false;
}

/* Receive buffer @id of @q is ours again (the backend answered it).
 * Return: false when it was not posted: a lie. */
static bool rx_buf_back(struct sdrv_netfront *nf, struct nf_queue *q, uint16_t id)
{
	struct nf_buf *b;

	if (id >= nf->info.rx_slots || !rx_buf(nf, q, id)->busy) {
		break_device(nf, "receive response for no posted buffer");
		return false;
	}
	b = rx_buf(nf, q, id);
	b->busy = false;
	b->next_free = q->rx_free;
	q->rx_free = id;
	q->rx_to_post++;
	return true;
}

/* The frame's last piece came (its last data slot, then any extras):
 * hand it to @fr.  Return: 1, or 0 when it is dropped. */
static int rx_frame_end(struct sdrv_netfront *nf, struct nf_queue *q,
			struct sdrv_netfront_frame *fr)
{
	if (q->rx_frame.bad || q->rx_frame.len < ETH_HLEN) {
		rx_frame_drop(nf, q);
		return 0;
	}
	fr->len = q->rx_frame.len;
	fr->flags = q->rx_frame.flags;
	fr->gso_size = q->rx_frame.gso_size;
	q->rx_frame.slots = 0;
	q->rx_frame.extras = 0;
	nf->stats.rx_packets++;
	nf->stats.rx_bytes += q->rx_frame.len;
	return 1;
}

/*
 * An extra info slot at ring index @at of @q: the request posted there
 * carried a buffer the backend did not fill (free again).  A GSO extra
 * gives the frame its gso_size; one of size 0, of a GSO type or an extra
 * type we do not know, or more than NF_MAX_EXTRAS drop the frame.
 */
static int rx_extra(struct sdrv_netfront *nf, struct nf_queue *q,
		    const struct sdrv_netif_rx_response *r, uint32_t at,
		    struct sdrv_netfront_frame *fr)
{
	union {
		struct sdrv_netif_rx_response rsp;
		struct sdrv_netif_extra_info extra;
	} u = { .rsp = *r };
	const struct sdrv_netif_extra_info x = u.extra;

	SDRV_STATIC_ASSERT(sizeof(u.extra) == sizeof(*r), "an extra is a response's size");
	if (!rx_buf_back(nf, q, q->rx_at[at & q->rx.mask]))
		return -SDRV_EIO;
	q->rx_frame.want_extra = x.flags & SDRV_NETIF_EXTRA_FLAG_MORE;
	if (++q->rx_frame.extras > NF_MAX_EXTRAS)
		q->rx_frame.bad = true;
	else if (x.type != SDRV_NETIF_EXTRA_TYPE_GSO || !x.u.gso.size ||
		 (x.u.gso.type != SDRV_NETIF_GSO_TYPE_TCPV4 &&
		  x.u.gso.type != SDRV_NETIF_GSO_TYPE_TCPV6))
		q->rx_frame.bad = true;
	else {
		q->rx_frame.gso_size = x.u.gso.size;
		q->rx_frame.flags |= x.u.gso.type == SDRV_NETIF_GSO_TYPE_TCPV4
					     ? SDRV_NETFRONT_F_GSO_TCPV4
					     : SDRV_NETFRONT_F_GSO_TCPV6;
	}
	if (q->rx_frame.want_extra || !q->rx_frame.data_done)
		return 0;
	return rx_frame_end(nf, q, fr);
}

/*
 * One receive response on @q (at ring index @at): its buffer is free to
 * post again; its part of the frame goes to @fr's buffer at the frame's
 * length so far.  A frame is one slot, or (we offered feature-sg) a chain
 * of slots each but the last saying MORE_DATA, at most NF_MAX_SLOTS; the
 * first may say EXTRA_INFO (we asked for GSO): extra info slots follow
 * it, before the rest of the chain.  A bad part (negative status, beyond
 * its page), a chain too long or beyond the buffer, or a chain when we
 * take none drops the whole frame, counted once.
 * Return: 1 when this response ends a frame (@fr's len, flags and
 * gso_size set); 0 when it does not (or the frame is dropped); -SDRV_EIO
 * when it breaks the device.
 */
static int rx_response(struct sdrv_netfront *nf, struct nf_queue *q,
		       const struct sdrv_netif_rx_response *r, uint32_t at,
		       struct sdrv_netfront_frame *fr, uint16_t *lent)
{
	struct nf_buf *b;
	int part = r->status;
	bool more = r->flags & SDRV_NETRXF_MORE_DATA;

	if (q->rx_frame.want_extra)
		return rx_extra(nf, q, r, at, fr);
	/* A frame of one buffer, whole and sound, lent in place. */
	if (lent && !q->rx_frame.slots && !more && !(r->flags & SDRV_NETRXF_EXTRA_INFO) &&
	    part >= (int)ETH_HLEN && r->offset < SDRV_PAGE_SIZE &&
	    (unsigned)part <= SDRV_PAGE_SIZE - r->offset) {
		if (r->id >= nf->info.rx_slots || !rx_buf(nf, q, r->id)->busy) {
			break_device(nf, "receive response for no posted buffer");
			return -SDRV_EIO;
		}
		b = rx_buf(nf, q, r->id);
		b->busy = false;
		b->lent = true;
		fr->data = (char *)b->page + r->offset;
		fr->len = (size_t)part;
		fr->flags = (r->flags & SDRV_NETRXF_CSUM_BLANK ? SDRV_NETFRONT_F_CSUM_BLANK : 0) |
			    (r->flags & SDRV_NETRXF_DATA_VALIDATED ? SDRV_NETFRONT_F_DATA_VALIDATED : 0);
		fr->gso_size = 0;
		*lent = r->id;
		nf->stats.rx_packets++;
		nf->stats.rx_bytes += (size_t)part;
		return 1;
	}
	if (lent)
		*lent = SDRV_NETFRONT_NOT_LENT;
	if (!rx_buf_back(nf, q, r->id))
		return -SDRV_EIO;
	b = rx_buf(nf, q, r->id);
	/* Extra info slots follow only what we asked for (GSO); without,
	 * their slot would be read as a response: stop. */
	if ((r->flags & SDRV_NETRXF_EXTRA_INFO) && !nf->info.gso_receive) {
		break_device(nf, "receive extra info we never asked for");
		return -SDRV_EIO;
	}
	if (!q->rx_frame.slots) {
		q->rx_frame.len = 0;
		q->rx_frame.bad = false;
		q->rx_frame.extras = 0;
		q->rx_frame.gso_size = 0;
		q->rx_frame.flags =
			(r->flags & SDRV_NETRXF_CSUM_BLANK ? SDRV_NETFRONT_F_CSUM_BLANK : 0) |
			(r->flags & SDRV_NETRXF_DATA_VALIDATED ? SDRV_NETFRONT_F_DATA_VALIDATED : 0);
	}
	q->rx_frame.slots++;
	q->rx_frame.data_done = !more;
	if (r->flags & SDRV_NETRXF_EXTRA_INFO) {
		q->rx_frame.want_extra = true;
		if (q->rx_frame.slots > 1)
			q->rx_frame.bad = true; /* extras follow the first alone */
	}
	if (part < 0 || r->offset >= SDRV_PAGE_SIZE ||
	    (unsigned)part > SDRV_PAGE_SIZE - r->offset ||
	    (size_t)part > fr->cap - q->rx_frame.len ||
	    q->rx_frame.slots > NF_MAX_SLOTS ||
	    (nf->base_protocol && (more || q->rx_frame.slots > 1)))
		q->rx_frame.bad = true;
	if (!q->rx_frame.bad) {
		frame_copy((char *)fr->data + q->rx_frame.len,
			   (const char *)b->page + r->offset, (size_t)part);
		q->rx_frame.len += (size_t)part;
	}
	if (more || q->rx_frame.want_extra)
		return 0;
	return rx_frame_end(nf, q, fr);
}

#define NF_RX_BATCH 32u

/* Up to @n frames from @q into @f (lending where @lent).  Return: how
 * many. */
static unsigned recv_queue(struct sdrv_netfront *nf, struct nf_queue *q,
			   struct sdrv_netfront_frame *f, uint16_t *lent, unsigned n)
{
	unsigned i = 0;

	reclaim_tx(nf, q);
	/* Responses are taken a batch at a time, never more than frames
	 * asked for: each gives one frame at most, none is left over. */
	while (i < n && !nf->broken) {
		struct sdrv_netif_rx_response r[NF_RX_BATCH];
		uint32_t want = n - i < NF_RX_BATCH ? n - i : NF_RX_BATCH;
		uint32_t at = q->rx.rsp_cons;
		uint32_t got = sdrv_netif_rx_front_take_responses(&q->rx, r, want);

		if (sdrv_ring_front_fault(&q->rx)) {
			break_device(nf, "backend's receive response index out of range");
			break;
		}
		if (!got) {
			post_rx(nf, q);
			if (nf->polled || !sdrv_ring_front_final_check(&q->rx)) {
				/* A backend pushes a frame's slots together:
				 * a chain ending at its producer index is a
				 * frame it will never finish. */
				rx_frame_drop(nf, q);
				break;
			}
			continue;
		}
		/* The backend just wrote these pages from another CPU:
		 * start every line's transfer before the first copy waits
		 * for one (a hint; the responses are checked below).  Not
		 * for frames lent in place: whether their bytes are read
		 * is the caller's business, and a line fetched here that it
		 * never reads is one the backend must take back before it
		 * writes the page again. */
		for (uint32_t k = 0; !lent && k < got; k++)
			if (r[k].id < nf->info.rx_slots && r[k].offset < SDRV_PAGE_SIZE)
				__builtin_prefetch((const char *)rx_buf(nf, q, r[k].id)->page +
						   r[k].offset);
		for (uint32_t k = 0; k < got; k++) {
			int end = rx_response(nf, q, &r[k], at + k, &f[i],
					      lent ? &lent[i] : NULL);

			if (end < 0)
				break;
			i += (unsigned)end;
		}
		if (q->rx_to_post >= NF_RX_POST_BATCH ||
		    (q->rx_to_post &&
		     sdrv_ring_front_in_flight(&q->rx) < (q->rx.mask + 1) / 2))
			post_rx(nf, q);
	}
	return i;
}

/* Frames from queue @only, or from every queue in turn (@only < 0). */
static int recv_frames(struct sdrv_netfront *nf, int only,
		       struct sdrv_netfront_frame *f, uint16_t *lent, unsigned n)
{
	unsigned i = 0;

	check_backend_now_and_then(nf);
	if (only >= 0) {
		i = recv_queue(nf, &nf->queues[only], f, lent, n);
	} else {
		/* A different queue first each call: none starves. */
		unsigned first = nf->rx_next++ % nf->info.queues;

		for (unsigned k = 0; k < nf->info.queues && i < n && !nf->broken; k++)
			i += recv_queue(nf, &nf->queues[(first + k) % nf->info.queues],
					f + i, NULL, n - i);
	}
	if (!i && !nf->polled)
		nf->since_clock = NF_CLOCK_CALLS;
	return !i && nf->broken ? -SDRV_EIO : (int)i;
}

SDRV_PUBLIC int sdrv_netfront_recv_burst(struct sdrv_netfront *nf,
					 struct sdrv_netfront_frame *f,
					 unsigned n)
{
	return recv_frames(nf, -1, f, NULL, n);
}

SDRV_PUBLIC int sdrv_netfront_queue_recv_burst(struct sdrv_netfront *nf,
					       unsigned queue,
					       struct sdrv_netfront_frame *f,
					       unsigned n)
{
	if (queue >= nf->info.queues)
		return -SDRV_EINVAL;
	return recv_frames(nf, (int)queue, f, NULL, n);
}

SDRV_PUBLIC int sdrv_netfront_queue_recv_lend(struct sdrv_netfront *nf,
					      unsigned queue,
					      struct sdrv_netfront_frame *f,
					      uint16_t *lent, unsigned n)
{
	if (queue >= nf->info.queues)
		return -SDRV_EINVAL;
	return recv_frames(nf, (int)queue, f, lent, n);
}

SDRV_PUBLIC int sdrv_netfront_queue_give_back(struct sdrv_netfront *nf,
					      unsigned queue,
					      const uint16_t *bufs, unsigned n)
{
	struct nf_queue *q;

	if (queue >= nf->info.queues)
		return -SDRV_EINVAL;
	q = &nf->queues[queue];
	for (unsigned i = 0; i < n; i++) {
		struct nf_buf *b;

		if (bufs[i] >= nf->info.rx_slots || !rx_buf(nf, q, bufs[i])->lent)
			return -SDRV_EINVAL;
		b = rx_buf(nf, q, bufs[i]);
		b->lent = false;
		b->next_free = q->rx_free;
		q->rx_free = bufs[i];
		q->rx_to_post++;
	}
	return 0;
}

SDRV_PUBLIC int sdrv_netfront_recv(struct sdrv_netfront *nf, void *buf,
				   size_t cap)
{
	struct sdrv_netfront_frame f = { .data = buf, .cap = cap };
	int n = sdrv_netfront_recv_burst(nf, &f, 1);

	return n == 1 ? (int)f.len : n;
}

SDRV_PUBLIC int sdrv_netfront_wait(struct sdrv_netfront *nf, int timeout_ms)
{
	sdrv_evtchn_port_t ports[2 * SDRV_NETFRONT_MAX_QUEUES];
	unsigned n = 0;

	for (unsigned i = 0; i < nf->info.queues; i++) {
		struct nf_queue *q = &nf->queues[i];

		ports[n++] = q->rx_port;
		if (q->tx_port != q->rx_port)
			ports[n++] = q->tx_port;
	}
	return sdrv_evtchn_wait_ports(nf->p, ports, n, timeout_ms);
}
