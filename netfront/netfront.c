/* SPDX-License-Identifier: MIT */
/*
 * netfront: the guest side of netif (see netfront.h).  Freestanding: memory
 * from the platform, strings through XenBus.
 *
 * Transmit slot i owns page tx[i] (granted read-only) and ring id i; a
 * slot is busy from its request until its response.  Receive slot i owns
 * page rx[i] (granted writable) and ring id i; it is posted from its
 * request until its response, then copied out and posted again.  The ids
 * are ours: a response naming a slot not busy (or not posted) is a lie.
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

struct nf_buf {
	void *page;
	sdrv_grant_ref_t gref;
	bool busy; /* tx: in flight; rx: posted */
	uint16_t next_free; /* the free list: tx slots free, rx slots not posted */
};

struct sdrv_netfront {
	struct sdrv_xenbus_device dev; /* bus-less: ours alone */
	struct sdrv_platform *p;
	struct sdrv_netfront_info info;
	struct sdrv_netfront_stats stats;
	struct sdrv_xenbus_ring tx_ring, rx_ring;
	struct sdrv_ring_front tx, rx;
	bool attached;
	/* One channel for both rings, or one each (split event channels:
	 * tx_port != rx_port). */
	sdrv_evtchn_port_t tx_port, rx_port;
	bool base_protocol; /* config: ask for nothing beyond it */
	struct nf_buf *bufs; /* tx_slots, then rx_slots */
	unsigned bufs_pages;
	uint16_t tx_free;
	unsigned tx_nr_free; /* transmit slots on the free list */
	uint16_t rx_free; /* receive slots taken and copied, not yet posted */
	unsigned rx_to_post; /* how many */
	/* The frame being put together from a chain of receive slots. */
	struct {
		size_t len; /* bytes so far */
		unsigned slots; /* slots so far; 0: between frames */
		bool bad; /* dropped whole when it ends */
	} rx_frame;
	const char *broken;
	int timeout_ms;
	uint64_t checked_ms; /* when the backend's state was last read */
	unsigned since_clock; /* receive calls since the clock was read */
	bool polled; /* never ask the backend to notify (config) */
	unsigned reconnects;
};

static struct nf_buf *tx_buf(struct sdrv_netfront *nf, unsigned i)
{
	return &nf->bufs[i];
}

static struct nf_buf *rx_buf(struct sdrv_netfront *nf, unsigned i)
{
	return &nf->bufs[nf->info.tx_slots + i];
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

static void close_ports(struct sdrv_netfront *nf)
{
	if (nf->rx_port && nf->rx_port != nf->tx_port)
		sdrv_evtchn_close(nf->p, nf->rx_port);
	if (nf->tx_port)
		sdrv_evtchn_close(nf->p, nf->tx_port);
	nf->tx_port = nf->rx_port = 0;
}

/* ---- buffers ------------------------------------------------------------ */

static int alloc_bufs(struct sdrv_netfront *nf)
{
	unsigned n = nf->info.tx_slots + nf->info.rx_slots;
	size_t bytes = (size_t)n * sizeof(struct nf_buf);

	nf->bufs_pages = (unsigned)((bytes + SDRV_PAGE_SIZE - 1) / SDRV_PAGE_SIZE);
	nf->bufs = sdrv_pages_alloc(nf->p, nf->bufs_pages);
	if (!nf->bufs)
		return -SDRV_ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		bool is_tx = i < nf->info.tx_slots;
		struct nf_buf *b = &nf->bufs[i];
		int64_t ref;

		b->busy = false;
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

static void free_bufs(struct sdrv_netfront *nf)
{
	unsigned n = nf->info.tx_slots + nf->info.rx_slots;

	if (!nf->bufs)
		return;
	for (unsigned i = 0; i < n; i++) {
		struct nf_buf *b = &nf->bufs[i];

		/* Still mapped by the backend: leak rather than reuse. */
		if (b->page && !sdrv_grant_end_access(nf->p, b->gref))
			sdrv_page_free(nf->p, b->page);
	}
	sdrv_pages_free(nf->p, nf->bufs, nf->bufs_pages);
	nf->bufs = NULL;
}

/* Post every receive slot not posted, a batch of requests at a time. */
static void post_rx(struct sdrv_netfront *nf)
{
	bool any = false;

	while (nf->rx_free != NONE) {
		struct sdrv_netif_rx_request r[64];
		uint32_t n = 0, put;
		uint16_t id = nf->rx_free;

		while (n < 64 && id != NONE) {
			r[n].id = id;
			r[n++].gref = rx_buf(nf, id)->gref;
			id = rx_buf(nf, id)->next_free;
		}
		put = sdrv_netif_rx_front_put_requests(&nf->rx, r, n);
		for (uint32_t k = 0; k < put; k++) {
			struct nf_buf *b = rx_buf(nf, r[k].id);

			nf->rx_free = b->next_free;
			b->busy = true;
		}
		nf->rx_to_post -= put;
		any |= put != 0;
		if (put < n)
			break;
	}
	if (any && sdrv_ring_front_push(&nf->rx))
		sdrv_evtchn_notify(nf->p, nf->rx_port);
}

/* Every buffer idle: every transmit slot free, every receive slot to be
 * posted (a fresh connection). */
static void reset_bufs(struct sdrv_netfront *nf)
{
	nf->tx_free = NONE;
	nf->tx_nr_free = nf->info.tx_slots;
	for (unsigned i = nf->info.tx_slots; i-- > 0;) {
		tx_buf(nf, i)->busy = false;
		tx_buf(nf, i)->next_free = nf->tx_free;
		nf->tx_free = (uint16_t)i;
	}
	nf->rx_free = NONE;
	for (unsigned i = nf->info.rx_slots; i-- > 0;) {
		rx_buf(nf, i)->busy = false;
		rx_buf(nf, i)->next_free = nf->rx_free;
		nf->rx_free = (uint16_t)i;
	}
	nf->rx_to_post = nf->info.rx_slots;
}

/* ---- handshake ---------------------------------------------------------- */

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
		/* We never send checksum-blank frames nor take them. */
		{ "feature-no-csum-offload", 1 },
		/* We take frames over several receive buffers. */
		{ "feature-sg", !nf->base_protocol },
		{ "feature-gso-tcpv4", 0 },
		{ "feature-gso-tcpv6", 0 },
	};
	int err;

	(void)xs;
	/* Granted again on a retried transaction. */
	sdrv_xenbus_ungrant_ring(&nf->dev, &nf->tx_ring);
	sdrv_xenbus_ungrant_ring(&nf->dev, &nf->rx_ring);
	close_ports(nf);
	err = sdrv_xenbus_grant_ring(&nf->dev, tx, "tx-", 0, &nf->tx_ring);
	if (!err)
		err = sdrv_xenbus_grant_ring(&nf->dev, tx, "rx-", 0, &nf->rx_ring);
	/* The keys of the other choice go: an earlier connection's would
	 * name channels long closed. */
	if (!err && nf->info.split_event_channels) {
		err = sdrv_xenbus_remove_key(xb, tx, "event-channel");
		if (!err)
			err = sdrv_xenbus_alloc_evtchn(&nf->dev, tx, "",
						       "event-channel-tx",
						       &nf->tx_port);
		if (!err)
			err = sdrv_xenbus_alloc_evtchn(&nf->dev, tx, "",
						       "event-channel-rx",
						       &nf->rx_port);
	} else if (!err) {
		err = sdrv_xenbus_remove_key(xb, tx, "event-channel-tx");
		if (!err)
			err = sdrv_xenbus_remove_key(xb, tx, "event-channel-rx");
		if (!err)
			err = sdrv_xenbus_alloc_evtchn(&nf->dev, tx, "",
						       "event-channel", &nf->tx_port);
		nf->rx_port = nf->tx_port;
	}
	for (unsigned i = 0; !err && i < sizeof(keys) / sizeof(keys[0]); i++)
		err = sdrv_xenbus_write_uint(xb, tx, keys[i].key, keys[i].value);
	return err;
}

static int attach_rings(struct sdrv_netfront *nf)
{
	int err = sdrv_ring_sring_init(nf->tx_ring.addr, SDRV_PAGE_SIZE);

	if (!err)
		err = sdrv_ring_sring_init(nf->rx_ring.addr, SDRV_PAGE_SIZE);
	if (!err)
		err = sdrv_netif_tx_front_attach(&nf->tx, nf->tx_ring.addr,
						 SDRV_PAGE_SIZE, 0);
	if (!err)
		err = sdrv_netif_rx_front_attach(&nf->rx, nf->rx_ring.addr,
						 SDRV_PAGE_SIZE, 0);
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
	nf->info.max_packet = nf->info.sg ? SDRV_NETFRONT_MAX_PACKET : SDRV_PAGE_SIZE;
	nf->info.tx_slots = sdrv_netif_tx_ring_nr_slots(SDRV_PAGE_SIZE);
	nf->info.rx_slots = sdrv_netif_rx_ring_nr_slots(SDRV_PAGE_SIZE);
	err = again ? 0 : alloc_bufs(nf);
	if (!err)
		err = sdrv_xs_transaction_run(nf->dev.xb.xs, publish_body, nf, 8);
	if (!err)
		err = attach_rings(nf);
	if (err)
		return err;
	reset_bufs(nf);
	post_rx(nf);
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
	close_ports(nf);
	sdrv_xenbus_ungrant_ring(&nf->dev, &nf->tx_ring);
	sdrv_xenbus_ungrant_ring(&nf->dev, &nf->rx_ring);
	free_bufs(nf);
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
	close_ports(nf);
	sdrv_xenbus_ungrant_ring(&nf->dev, &nf->tx_ring);
	sdrv_xenbus_ungrant_ring(&nf->dev, &nf->rx_ring);
	nf->attached = false;
	nf->rx_frame.slots = 0;
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
 * that found nothing (since_clock is then set to the limit): it reads the
 * clock, which a busy poller should not pay per burst. */
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

/* Take the backend's transmit answers: their slots are free again. */
static void reclaim_tx(struct sdrv_netfront *nf)
{
	struct sdrv_netif_tx_response rsp[32];

	while (!nf->broken) {
		uint32_t got = sdrv_netif_tx_front_take_responses(&nf->tx, rsp, 32);

		if (sdrv_ring_front_fault(&nf->tx)) {
			break_device(nf, "backend's transmit response index out of range");
			return;
		}
		if (!got) {
			if (nf->polled || !sdrv_ring_front_final_check(&nf->tx))
				return;
			continue;
		}
		for (uint32_t k = 0; k < got; k++) {
			uint16_t id = rsp[k].id;
			struct nf_buf *b;

			if (rsp[k].status == SDRV_NETIF_RSP_NULL)
				continue; /* the answer to an extra-info slot */
			if (id >= nf->info.tx_slots || !tx_buf(nf, id)->busy) {
				break_device(nf, "transmit response for no packet in flight");
				return;
			}
			b = tx_buf(nf, id);
			b->busy = false;
			b->next_free = nf->tx_free;
			nf->tx_free = id;
			nf->tx_nr_free++;
			if (rsp[k].status != SDRV_NETIF_RSP_OKAY)
				nf->stats.tx_errors++;
		}
	}
}

/* The first slot's checksum flags for a frame's SDRV_NETFRONT_F_*. */
static uint16_t tx_flags(unsigned flags)
{
	return (uint16_t)((flags & SDRV_NETFRONT_F_CSUM_BLANK ? SDRV_NETTXF_CSUM_BLANK : 0) |
			  (flags & SDRV_NETFRONT_F_DATA_VALIDATED ? SDRV_NETTXF_DATA_VALIDATED : 0));
}

/* Put one frame on the ring (not pushed): one slot, or with
 * scatter-gather one per page, the first saying the frame's length and
 * each but the last MORE_DATA.  Return: 0, -SDRV_EAGAIN. */
static int put_tx(struct sdrv_netfront *nf, const void *pkt, size_t len,
		  unsigned flags)
{
	struct sdrv_netif_tx_request r[NF_MAX_SLOTS];
	unsigned need = (unsigned)((len + SDRV_PAGE_SIZE - 1) / SDRV_PAGE_SIZE);
	uint16_t id = nf->tx_free;
	size_t off = 0;

	if (nf->tx_nr_free < need || sdrv_ring_front_free(&nf->tx) < need)
		return -SDRV_EAGAIN;
	for (unsigned k = 0; k < need; k++) {
		struct nf_buf *b = tx_buf(nf, id);
		size_t part = len - off < SDRV_PAGE_SIZE ? len - off : SDRV_PAGE_SIZE;

		sdrv_copy(b->page, (const char *)pkt + off, part);
		r[k] = (struct sdrv_netif_tx_request){
			.gref = b->gref,
			.flags = (uint16_t)((k + 1 < need ? SDRV_NETTXF_MORE_DATA : 0) |
					    (k ? 0 : tx_flags(flags))),
			.id = id,
			.size = (uint16_t)(k ? part : len),
		};
		off += part;
		id = b->next_free;
	}
	if (sdrv_netif_tx_front_put_requests(&nf->tx, r, need) != need)
		return -SDRV_EAGAIN;
	for (unsigned k = 0; k < need; k++) {
		tx_buf(nf, r[k].id)->busy = true;
		nf->tx_free = tx_buf(nf, r[k].id)->next_free;
	}
	nf->tx_nr_free -= need;
	nf->stats.tx_packets++;
	nf->stats.tx_bytes += len;
	return 0;
}

SDRV_PUBLIC int sdrv_netfront_send_burst(struct sdrv_netfront *nf,
					 const struct sdrv_netfront_frame *f,
					 unsigned n)
{
	unsigned i;

	if (nf->broken)
		return -SDRV_EIO;
	for (i = 0; i < n; i++) {
		if (f[i].len < ETH_HLEN || f[i].len > nf->info.max_packet) {
			if (i == 0)
				return -SDRV_EINVAL;
			break;
		}
		if (nf->tx_nr_free < NF_MAX_SLOTS)
			reclaim_tx(nf);
		if (nf->broken || put_tx(nf, f[i].data, f[i].len, f[i].flags))
			break;
	}
	/* A sender that never receives still notices a backend gone (the
	 * ring stays full). */
	if (!i)
		check_backend_now_and_then(nf);
	/* One push and at most one notification for the whole burst. */
	if (i && sdrv_ring_front_push(&nf->tx))
		sdrv_evtchn_notify(nf->p, nf->tx_port);
	if (!i && nf->broken)
		return -SDRV_EIO;
	return (int)i;
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

/* Drop the frame being put together (counted). */
static void rx_frame_drop(struct sdrv_netfront *nf)
{
	if (nf->rx_frame.slots)
		nf->stats.rx_dropped++;
	nf->rx_frame.slots = 0;
}

/*
 * One receive response: its buffer is free to post again; its part of the
 * frame goes to @buf at the frame's length so far.  A frame is one slot,
 * or (we offered feature-sg) a chain of slots each but the last saying
 * MORE_DATA, at most NF_MAX_SLOTS.  A bad part (negative status, beyond
 * its page), a chain too long or beyond @cap, or a chain when we take
 * none drops the whole frame, counted once.
 * Return: the frame's length when this response ends it; 0 when it does
 * not (or the frame is dropped); -SDRV_EIO when it breaks the device.
 */
static int rx_response(struct sdrv_netfront *nf,
		       const struct sdrv_netif_rx_response *r, void *buf,
		       size_t cap)
{
	struct nf_buf *b;
	int part = r->status;
	bool more = r->flags & SDRV_NETRXF_MORE_DATA;

	if (r->id >= nf->info.rx_slots || !rx_buf(nf, r->id)->busy) {
		break_device(nf, "receive response for no posted buffer");
		return -SDRV_EIO;
	}
	b = rx_buf(nf, r->id);
	b->busy = false;
	b->next_free = nf->rx_free;
	nf->rx_free = r->id;
	nf->rx_to_post++;
	/* Extra-info slots follow only what we negotiated (GSO, ...):
	 * none.  Their slot would be read as a response: stop. */
	if (r->flags & SDRV_NETRXF_EXTRA_INFO) {
		break_device(nf, "receive extra info we never asked for");
		return -SDRV_EIO;
	}
	if (!nf->rx_frame.slots) {
		nf->rx_frame.len = 0;
		nf->rx_frame.bad = false;
	}
	nf->rx_frame.slots++;
	if (part < 0 || r->offset >= SDRV_PAGE_SIZE ||
	    (unsigned)part > SDRV_PAGE_SIZE - r->offset ||
	    (size_t)part > cap - nf->rx_frame.len ||
	    nf->rx_frame.slots > NF_MAX_SLOTS ||
	    (nf->base_protocol && (more || nf->rx_frame.slots > 1)))
		nf->rx_frame.bad = true;
	if (!nf->rx_frame.bad) {
		sdrv_copy((char *)buf + nf->rx_frame.len,
			  (const char *)b->page + r->offset, (size_t)part);
		nf->rx_frame.len += (size_t)part;
	}
	if (more)
		return 0;
	if (nf->rx_frame.bad || nf->rx_frame.len < ETH_HLEN) {
		rx_frame_drop(nf);
		return 0;
	}
	nf->rx_frame.slots = 0;
	nf->stats.rx_packets++;
	nf->stats.rx_bytes += nf->rx_frame.len;
	return (int)nf->rx_frame.len;
}

#define NF_RX_BATCH 32u

SDRV_PUBLIC int sdrv_netfront_recv_burst(struct sdrv_netfront *nf,
					 struct sdrv_netfront_frame *f,
					 unsigned n)
{
	unsigned i = 0;

	check_backend_now_and_then(nf);
	reclaim_tx(nf);
	/* Responses are taken a batch at a time, never more than frames
	 * asked for: each gives one frame at most, none is left over. */
	while (i < n && !nf->broken) {
		struct sdrv_netif_rx_response r[NF_RX_BATCH];
		uint32_t want = n - i < NF_RX_BATCH ? n - i : NF_RX_BATCH;
		uint32_t got = sdrv_netif_rx_front_take_responses(&nf->rx, r, want);

		if (sdrv_ring_front_fault(&nf->rx)) {
			break_device(nf, "backend's receive response index out of range");
			break;
		}
		if (!got) {
			post_rx(nf);
			if (nf->polled || !sdrv_ring_front_final_check(&nf->rx)) {
				/* A backend pushes a frame's slots together:
				 * a chain ending at its producer index is a
				 * frame it will never finish. */
				rx_frame_drop(nf);
				break;
			}
			continue;
		}
		/* The backend just wrote these pages from another CPU:
		 * start every line's transfer before the first copy waits
		 * for one (a hint; the responses are checked below). */
		for (uint32_t k = 0; k < got; k++)
			if (r[k].id < nf->info.rx_slots && r[k].offset < SDRV_PAGE_SIZE)
				__builtin_prefetch((const char *)rx_buf(nf, r[k].id)->page +
						   r[k].offset);
		for (uint32_t k = 0; k < got; k++) {
			int len = rx_response(nf, &r[k], f[i].data, f[i].cap);

			if (len < 0)
				break;
			if (len > 0)
				f[i++].len = (size_t)len;
		}
		if (nf->rx_to_post >= 8)
			post_rx(nf);
	}
	if (!i)
		nf->since_clock = NF_CLOCK_CALLS;
	return !i && nf->broken ? -SDRV_EIO : (int)i;
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
	sdrv_evtchn_port_t ports[2] = { nf->rx_port, nf->tx_port };

	return sdrv_evtchn_wait_ports(nf->p, ports,
				      nf->tx_port == nf->rx_port ? 1 : 2,
				      timeout_ms);
}
