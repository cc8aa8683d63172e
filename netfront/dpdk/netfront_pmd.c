/* SPDX-License-Identifier: MIT */
/*
 * net_netfront: a DPDK poll-mode driver over netfront, so that any DPDK
 * application (dpdk-testpmd, for one) sends and receives through a split
 * driver as through any port:
 *
 *   dpdk-testpmd -d librte_net_netfront.so \
 *       --vdev net_netfront0,domid=1,vif=0,socket=/run/hv.sock -- ...
 *
 * The process becomes guest domain @domid of the hv-stub at @socket (or
 * $HVSTUB_SOCKET), as a process domain does, and connects that domain's
 * vif @vif.  A process is one domain: every net_netfront port in it names
 * the same @domid, and they share its XenStore ring, so they are polled
 * from one lcore (netfront is driven by one thread).
 *
 * Queues: as many receive and transmit queues as the connection has
 * (queues=N asks for N, up to 8; the backend may grant fewer: the port's
 * max_rx_queues says), queue i on netfront's queue i.  netfront is driven
 * by one thread, so a port's queues are polled from one lcore (testpmd:
 * --nb-cores=1, or a port per lcore).  Frames are copied into netfront's
 * granted pages on transmit (the mbuf is free again at once) and out of
 * them into mbufs on receive unless lent in place (below); a chained mbuf
 * is gathered into a scratch
 * buffer first.  Transmit frames shorter than an Ethernet header or
 * longer than the connection takes (a page, or 65535 bytes with
 * scatter-gather) are dropped and counted in oerrors; received frames that
 * do not fit an mbuf are dropped by netfront and counted in ierrors.  TCP
 * and UDP checksum offload on transmit: the frame goes checksum-blank and
 * the backend finishes it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <splitdrv/netfront.h>
#include <splitdrv/platform.h>
#include <splitdrv/xs.h>

#define NFP_BURST 32u
#define NFP_STASH 64u

extern int nfp_logtype;
#define NFP_LOG(level, ...)                                                    \
	rte_log(RTE_LOG_##level, nfp_logtype, "net_netfront: " __VA_ARGS__)

/* The domain this process is: one platform and XenStore ring for all its
 * ports. */
static struct {
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	unsigned long domid;
	unsigned ports;
} nfp_domain;

/*
 * Receive without a copy: a frame netfront lends in place (one buffer,
 * whole) goes to the application as an mbuf whose data is the granted
 * page itself (an external buffer).  When the application frees it, the
 * page comes back through the queue's return ring (any lcore may free an
 * mbuf) and the next receive gives it back to netfront.  The shared info
 * is here, never in the page: the backend writes the page.
 */
#define NFP_RX_SLOTS 256u /* a receive ring of a page */
struct nfp_loans;
struct nfp_loan {
	struct rte_mbuf_ext_shared_info shinfo;
	struct nfp_loans *area;
	uint16_t id;
};
struct nfp_loans {
	struct rte_ring *back; /* struct nfp_loan *, freed by the application */
	unsigned out; /* lent and not yet back */
	/* Loans freed on the lcore that polls the queue (the common case)
	 * come back here, with no locked instruction; the ring is for any
	 * other.  poller: that lcore, LCORE_ID_ANY before the first poll. */
	unsigned poller;
	unsigned nr_home;
	uint16_t home[NFP_RX_SLOTS];
	struct nfp_loan loan[NFP_RX_SLOTS];
};

struct nfp_rxq {
	struct nfp_port *port;
	unsigned index;
	struct rte_mempool *mp;
	uint16_t port_id;
	struct rte_mbuf *stash[NFP_STASH]; /* allocated ahead, in bulk */
	unsigned stashed;
	/* Where a fresh mbuf of mp has its data, from the mbuf's address, and
	 * room for how much: what rte_pktmbuf_init() and _reset() make it. */
	uint32_t data_at, data_cap;
	struct nfp_loans *loans; /* NULL: frames are copied */
};

struct nfp_txq {
	struct nfp_port *port;
	unsigned index;
	uint8_t (*scratch)[SDRV_NETFRONT_MAX_PACKET]; /* NFP_BURST chained frames */
};

struct nfp_port {
	struct sdrv_netfront *nf;
	struct rte_ether_addr mac;
	unsigned nr_queues;
	struct nfp_rxq rxq[SDRV_NETFRONT_MAX_QUEUES];
	struct nfp_txq txq[SDRV_NETFRONT_MAX_QUEUES];
	uint64_t tx_dropped; /* bad lengths, never sent */
	struct sdrv_netfront_stats base; /* at the last stats reset */
	uint64_t base_tx_dropped;
};

/* ---- the data path ------------------------------------------------------- */

/* An mbuf lent a page is freed: the page goes home (any lcore). */
static void nfp_loan_back(void *addr, void *opaque)
{
	struct nfp_loan *l = opaque;
	struct nfp_loans *a = l->area;
	unsigned me = rte_lcore_id();

	(void)addr;
	if (me != LCORE_ID_ANY && me == __atomic_load_n(&a->poller, __ATOMIC_RELAXED) &&
	    a->nr_home < NFP_RX_SLOTS) {
		a->home[a->nr_home++] = l->id;
		return;
	}
	/* Never full: it holds every buffer of the ring. */
	rte_ring_mp_enqueue(a->back, l);
}

/* What the application freed goes back to netfront. */
static void nfp_loans_home(struct nfp_rxq *q)
{
	struct nfp_loan *l[64];
	uint16_t ids[64];
	unsigned n;

	/* This lcore polls the queue now: its own frees come home unlocked. */
	__atomic_store_n(&q->loans->poller, rte_lcore_id(), __ATOMIC_RELAXED);
	if (q->loans->nr_home) {
		sdrv_netfront_queue_give_back(q->port->nf, q->index, q->loans->home,
					      q->loans->nr_home);
		q->loans->out -= q->loans->nr_home;
		q->loans->nr_home = 0;
	}
	while ((n = rte_ring_sc_dequeue_burst(q->loans->back, (void **)l, 64, NULL))) {
		for (unsigned i = 0; i < n; i++)
			ids[i] = l[i]->id;
		sdrv_netfront_queue_give_back(q->port->nf, q->index, ids, n);
		q->loans->out -= n;
	}
}

static uint16_t nfp_rx_burst(void *queue, struct rte_mbuf **bufs, uint16_t n)
{
	struct nfp_rxq *q = queue;
	struct sdrv_netfront_frame f[NFP_BURST];
	uint16_t lent[NFP_BURST];
	int got;

	if (n > NFP_BURST)
		n = NFP_BURST;
	if (q->loans)
		nfp_loans_home(q);
	if (q->stashed < n) {
		unsigned want = NFP_STASH - q->stashed;

		if (rte_pktmbuf_alloc_bulk(q->mp, q->stash + q->stashed, want) == 0)
			q->stashed += want;
		if (q->stashed < n)
			n = (uint16_t)q->stashed;
	}
	/* The buffers' places from their addresses alone: a frame lent in
	 * place needs none, and reading each stashed mbuf's header here,
	 * every call, found it out of the cache (perf: half of this
	 * function's time at 64 B). */
	for (unsigned i = 0; i < n; i++) {
		char *m = (char *)q->stash[q->stashed - 1 - i];

		f[i].data = m + q->data_at;
		f[i].cap = q->data_cap;
	}
	got = q->loans ? sdrv_netfront_queue_recv_lend(q->port->nf, q->index, f, lent, n)
		       : sdrv_netfront_queue_recv_burst(q->port->nf, q->index, f, n);
	if (got <= 0)
		return 0;
	for (int i = 0; i < got; i++) {
		struct rte_mbuf *m = q->stash[--q->stashed];

		if (q->loans && lent[i] != SDRV_NETFRONT_NOT_LENT && lent[i] < NFP_RX_SLOTS) {
			struct nfp_loan *l = &q->loans->loan[lent[i]];
			char *page = (char *)((uintptr_t)f[i].data &
					      ~(uintptr_t)(SDRV_PAGE_SIZE - 1));

			rte_mbuf_ext_refcnt_set(&l->shinfo, 1);
			rte_pktmbuf_attach_extbuf(m, page, (rte_iova_t)(uintptr_t)page,
						  SDRV_PAGE_SIZE, &l->shinfo);
			m->data_off = (uint16_t)((char *)f[i].data - page);
			q->loans->out++;
		}
		m->data_len = (uint16_t)f[i].len;
		m->pkt_len = (uint32_t)f[i].len;
		m->port = q->port_id;
		bufs[i] = m;
	}
	return (uint16_t)got;
}

static uint16_t nfp_tx_burst(void *queue, struct rte_mbuf **bufs, uint16_t n)
{
	struct nfp_txq *q = queue;
	struct sdrv_netfront_frame f[NFP_BURST];
	uint16_t at[NFP_BURST]; /* f[k] is bufs[at[k]] */
	size_t max = sdrv_netfront_info(q->port->nf)->max_packet;
	unsigned nf = 0, used, i;
	int sent;

	if (n > NFP_BURST)
		n = NFP_BURST;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = bufs[i];

		if (m->pkt_len < RTE_ETHER_HDR_LEN || m->pkt_len > max) {
			q->port->tx_dropped++;
			continue;
		}
		if (m->nb_segs == 1) {
			f[nf].data = rte_pktmbuf_mtod(m, void *);
		} else {
			f[nf].data = q->scratch[nf];
			rte_pktmbuf_read(m, 0, m->pkt_len, q->scratch[nf]);
		}
		f[nf].len = m->pkt_len;
		/* L4 checksum offload: netback-dpdk finishes it. */
		f[nf].flags = (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM ||
				      (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM
			      ? SDRV_NETFRONT_F_CSUM_BLANK : 0;
		at[nf++] = (uint16_t)i;
	}
	sent = nf ? sdrv_netfront_queue_send_burst(q->port->nf, q->index, f, nf) : 0;
	if (sent < 0)
		sent = 0;
	/* What was taken is a prefix of bufs: everything before the first
	 * frame the ring had no room for (dropped ones included). */
	used = (unsigned)sent < nf ? at[sent] : n;
	rte_pktmbuf_free_bulk(bufs, used);
	return (uint16_t)used;
}

/* ---- device operations ------------------------------------------------- */

static int nfp_configure(struct rte_eth_dev *dev)
{
	(void)dev;
	return 0;
}

static void nfp_queues_state(struct rte_eth_dev *dev, uint8_t state)
{
	for (uint16_t i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = state;
	for (uint16_t i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = state;
}

static int nfp_start(struct rte_eth_dev *dev)
{
	dev->data->dev_link.link_status = RTE_ETH_LINK_UP;
	nfp_queues_state(dev, RTE_ETH_QUEUE_STATE_STARTED);
	return 0;
}

static int nfp_stop(struct rte_eth_dev *dev)
{
	dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	nfp_queues_state(dev, RTE_ETH_QUEUE_STATE_STOPPED);
	dev->data->dev_started = 0;
	return 0;
}

static void nfp_domain_put(void)
{
	if (--nfp_domain.ports)
		return;
	sdrv_xs_close(nfp_domain.xs);
	sdrv_platform_detach(nfp_domain.p);
	nfp_domain.xs = NULL;
	nfp_domain.p = NULL;
}

static int nfp_close(struct rte_eth_dev *dev)
{
	struct nfp_port *port = dev->data->dev_private;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY || !port->nf)
		return 0;
	for (unsigned i = 0; i < SDRV_NETFRONT_MAX_QUEUES; i++) {
		struct nfp_rxq *q = &port->rxq[i];

		if (q->stashed)
			rte_pktmbuf_free_bulk(q->stash, q->stashed);
		q->stashed = 0;
		if (!q->loans)
			continue;
		nfp_loans_home(q);
		/* Pages the application still holds: their area stays (an
		 * mbuf freed later finds it), and netfront leaks them. */
		if (q->loans->out) {
			NFP_LOG(WARNING, "queue %u: the application still holds %u received frames at close: kept, not reused\n",
				i, q->loans->out);
		} else {
			rte_ring_free(q->loans->back);
			rte_free(q->loans);
		}
		q->loans = NULL;
	}
	sdrv_netfront_close(port->nf);
	port->nf = NULL;
	for (unsigned i = 0; i < SDRV_NETFRONT_MAX_QUEUES; i++) {
		rte_free(port->txq[i].scratch);
		port->txq[i].scratch = NULL;
	}
	nfp_domain_put();
	dev->data->mac_addrs = NULL; /* ours, not rte_malloc'ed */
	return 0;
}

static int nfp_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct nfp_port *port = dev->data->dev_private;
	/* What the backend takes: frames of a page, or more with SG. */
	size_t max = port->nf ? sdrv_netfront_info(port->nf)->max_packet
			      : SDRV_PAGE_SIZE;

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = (uint32_t)max;
	info->max_mtu = (uint16_t)(max - RTE_ETHER_HDR_LEN);
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_rx_queues = (uint16_t)port->nr_queues;
	info->max_tx_queues = (uint16_t)port->nr_queues;
	info->min_rx_bufsize = 0;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS |
				RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
				RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	return 0;
}

static int nfp_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid,
			      uint16_t nb_desc, unsigned int socket,
			      const struct rte_eth_rxconf *conf,
			      struct rte_mempool *mp)
{
	struct nfp_port *port = dev->data->dev_private;
	struct nfp_rxq *q;
	uint16_t headroom;

	(void)nb_desc, (void)socket, (void)conf;
	if (qid >= port->nr_queues)
		return -EINVAL;
	q = &port->rxq[qid];
	if (q->stashed)
		rte_pktmbuf_free_bulk(q->stash, q->stashed);
	q->stashed = 0;
	q->port = port;
	q->index = qid;
	q->mp = mp;
	headroom = RTE_MIN(RTE_PKTMBUF_HEADROOM, rte_pktmbuf_data_room_size(mp));
	q->data_at = (uint32_t)(sizeof(struct rte_mbuf) + rte_pktmbuf_priv_size(mp) + headroom);
	q->data_cap = rte_pktmbuf_data_room_size(mp) - headroom;
	q->port_id = dev->data->port_id;
	/* Lent pages are named by their virtual address: only where that
	 * is the I/O address too can another port send them. */
	if (!q->loans && rte_eal_iova_mode() == RTE_IOVA_VA &&
	    sdrv_netfront_info(port->nf)->rx_slots <= NFP_RX_SLOTS) {
		char name[RTE_RING_NAMESIZE];

		q->loans = rte_zmalloc_socket("net_netfront loans", sizeof(*q->loans), 0,
					      (int)socket);
		snprintf(name, sizeof(name), "nfp%u_%u_back", dev->data->port_id, qid);
		if (q->loans)
			q->loans->back = rte_ring_create(name, 2 * NFP_RX_SLOTS, (int)socket,
							 RING_F_SC_DEQ);
		if (q->loans && !q->loans->back) {
			rte_free(q->loans);
			q->loans = NULL;
		}
		if (q->loans)
			q->loans->poller = LCORE_ID_ANY;
		for (unsigned i = 0; q->loans && i < NFP_RX_SLOTS; i++) {
			struct nfp_loan *l = &q->loans->loan[i];

			l->area = q->loans;
			l->id = (uint16_t)i;
			l->shinfo.free_cb = nfp_loan_back;
			l->shinfo.fcb_opaque = l;
		}
		/* Without: frames are copied, as before. */
	}
	dev->data->rx_queues[qid] = q;
	return 0;
}

static int nfp_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid,
			      uint16_t nb_desc, unsigned int socket,
			      const struct rte_eth_txconf *conf)
{
	struct nfp_port *port = dev->data->dev_private;
	struct nfp_txq *q;

	(void)nb_desc, (void)conf;
	if (qid >= port->nr_queues)
		return -EINVAL;
	q = &port->txq[qid];
	if (!q->scratch) {
		q->scratch = rte_malloc_socket("net_netfront scratch",
			NFP_BURST * SDRV_NETFRONT_MAX_PACKET, 0, (int)socket);
		if (!q->scratch)
			return -ENOMEM;
	}
	q->port = port;
	q->index = qid;
	dev->data->tx_queues[qid] = q;
	return 0;
}

static int nfp_link_update(struct rte_eth_dev *dev, int wait)
{
	struct nfp_port *port = dev->data->dev_private;

	(void)wait;
	/* The link is netfront's carrier (while the port is started). */
	if (port->nf && !sdrv_netfront_carrier(port->nf))
		dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	return 0;
}

static int nfp_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	struct nfp_port *port = dev->data->dev_private;
	const struct sdrv_netfront_stats *s;

	if (!port->nf)
		return 0;
	s = sdrv_netfront_stats(port->nf);
	st->ipackets = s->rx_packets - port->base.rx_packets;
	st->ibytes = s->rx_bytes - port->base.rx_bytes;
	st->ierrors = s->rx_dropped - port->base.rx_dropped;
	st->opackets = s->tx_packets - port->base.tx_packets;
	st->obytes = s->tx_bytes - port->base.tx_bytes;
	st->oerrors = s->tx_errors - port->base.tx_errors +
		      port->tx_dropped - port->base_tx_dropped;
	return 0;
}

static int nfp_stats_reset(struct rte_eth_dev *dev)
{
	struct nfp_port *port = dev->data->dev_private;

	if (port->nf)
		port->base = *sdrv_netfront_stats(port->nf);
	port->base_tx_dropped = port->tx_dropped;
	return 0;
}

/* The backend's switch gives a vif every frame for its MAC, broadcast and
 * multicast alike: it is always promiscuous enough. */
static int nfp_accept(struct rte_eth_dev *dev)
{
	(void)dev;
	return 0;
}

static void nfp_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	(void)dev, (void)qid;
}

static const struct eth_dev_ops nfp_ops = {
	.dev_configure = nfp_configure,
	.dev_start = nfp_start,
	.dev_stop = nfp_stop,
	.dev_close = nfp_close,
	.dev_infos_get = nfp_infos_get,
	.rx_queue_setup = nfp_rx_queue_setup,
	.tx_queue_setup = nfp_tx_queue_setup,
	.rx_queue_release = nfp_queue_release,
	.tx_queue_release = nfp_queue_release,
	.link_update = nfp_link_update,
	.stats_get = nfp_stats_get,
	.stats_reset = nfp_stats_reset,
	.promiscuous_enable = nfp_accept,
	.promiscuous_disable = nfp_accept,
	.allmulticast_enable = nfp_accept,
	.allmulticast_disable = nfp_accept,
};

/* ---- probe and remove -------------------------------------------------- */

#define NFP_ARG_DOMID "domid"
#define NFP_ARG_VIF "vif"
#define NFP_ARG_SOCKET "socket"
#define NFP_ARG_QUEUES "queues"
static const char *const nfp_args[] = { NFP_ARG_DOMID, NFP_ARG_VIF,
					NFP_ARG_SOCKET, NFP_ARG_QUEUES, NULL };

struct nfp_devargs {
	unsigned long domid, vif, queues;
	bool has_domid;
	char socket[256];
};

static int nfp_arg_number(const char *key, const char *value, void *out)
{
	char *end;
	unsigned long v;

	bool domid = !strcmp(key, NFP_ARG_DOMID), queues = !strcmp(key, NFP_ARG_QUEUES);

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno || end == value || *end || value[0] == '-' ||
	    v > (domid ? 0x7fefUL : queues ? SDRV_NETFRONT_MAX_QUEUES : 0xffffffffUL) ||
	    (queues && !v)) {
		NFP_LOG(ERR, "%s=%s: not a %s\n", key, value,
			domid ? "domain id (1 to 32751)"
			      : queues ? "number of queues (1 to 8)" : "vif number");
		return -EINVAL;
	}
	*(unsigned long *)out = v;
	return 0;
}

static int nfp_arg_socket(const char *key, const char *value, void *out)
{
	if (strlen(value) >= sizeof(((struct nfp_devargs *)0)->socket)) {
		NFP_LOG(ERR, "%s=%s: path too long\n", key, value);
		return -EINVAL;
	}
	strcpy(out, value);
	return 0;
}

static int nfp_parse_args(const char *name, const char *params,
			  struct nfp_devargs *a)
{
	struct rte_kvargs *kv = rte_kvargs_parse(params ? params : "", nfp_args);
	const char *env = getenv("HVSTUB_SOCKET");
	int err = 0;

	memset(a, 0, sizeof(*a));
	if (!kv) {
		NFP_LOG(ERR, "%s: bad arguments \"%s\" (expected %s)\n", name,
			params, "domid=<id>[,vif=<n>][,queues=<n>][,socket=<path>]");
		return -EINVAL;
	}
	if (rte_kvargs_count(kv, NFP_ARG_DOMID) == 1) {
		a->has_domid = true;
		err = rte_kvargs_process(kv, NFP_ARG_DOMID, nfp_arg_number, &a->domid);
	}
	if (!err)
		err = rte_kvargs_process(kv, NFP_ARG_VIF, nfp_arg_number, &a->vif);
	if (!err)
		err = rte_kvargs_process(kv, NFP_ARG_QUEUES, nfp_arg_number, &a->queues);
	if (!err && env && strlen(env) < sizeof(a->socket))
		strcpy(a->socket, env);
	if (!err)
		err = rte_kvargs_process(kv, NFP_ARG_SOCKET, nfp_arg_socket, a->socket);
	rte_kvargs_free(kv);
	if (!err && (!a->has_domid || !a->domid)) {
		NFP_LOG(ERR, "%s: say which guest domain this process is (domid=<id>)\n",
			name);
		err = -EINVAL;
	}
	if (!err && !a->socket[0]) {
		NFP_LOG(ERR, "%s: say where hv-stub is (socket=<path>, or $HVSTUB_SOCKET)\n",
			name);
		err = -EINVAL;
	}
	return err;
}

/* Become domain @a->domid, or check that we already are. */
static int nfp_domain_get(const char *name, const struct nfp_devargs *a)
{
	int err;

	if (nfp_domain.ports) {
		if (nfp_domain.domid != a->domid) {
			NFP_LOG(ERR, "%s: this process is already domain %lu (one domain a process)\n",
				name, nfp_domain.domid);
			return -EINVAL;
		}
		nfp_domain.ports++;
		return 0;
	}
	err = sdrv_hvstub_attach(a->socket, (sdrv_domid_t)a->domid, &nfp_domain.p);
	if (err) {
		NFP_LOG(ERR, "%s: cannot become domain %lu of hv-stub %s: %s\n",
			name, a->domid, a->socket, strerror(-err));
		return err;
	}
	err = sdrv_xs_open_ring(nfp_domain.p, &nfp_domain.xs);
	if (err) {
		NFP_LOG(ERR, "%s: domain %lu has no XenStore ring: %s\n", name,
			a->domid, strerror(-err));
		sdrv_platform_detach(nfp_domain.p);
		nfp_domain.p = NULL;
		return err;
	}
	nfp_domain.domid = a->domid;
	nfp_domain.ports = 1;
	return 0;
}

static int nfp_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct nfp_devargs a;
	struct rte_eth_dev *dev;
	struct nfp_port *port;
	struct sdrv_netfront *nf;
	int err;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		NFP_LOG(ERR, "%s: secondary processes are not supported\n", name);
		return -ENOTSUP;
	}
	err = nfp_parse_args(name, rte_vdev_device_args(vdev), &a);
	if (err)
		return err;
	err = nfp_domain_get(name, &a);
	if (err)
		return err;
	err = sdrv_netfront_open(nfp_domain.p, nfp_domain.xs, (uint32_t)a.vif,
				 &(struct sdrv_netfront_config){
					 .polled = true, .queues = (unsigned)a.queues },
				 &nf);
	if (err) {
		NFP_LOG(ERR, "%s: domain %lu vif %lu: %s\n", name, a.domid, a.vif,
			err == -ENOENT ? "no such vif (hvctl network-attach it first)"
				       : strerror(-err));
		nfp_domain_put();
		return err;
	}
	dev = rte_eth_vdev_allocate(vdev, sizeof(*port));
	if (!dev) {
		sdrv_netfront_close(nf);
		nfp_domain_put();
		return -ENOMEM;
	}
	port = dev->data->dev_private;
	port->nf = nf;
	memcpy(port->mac.addr_bytes, sdrv_netfront_info(nf)->mac, RTE_ETHER_ADDR_LEN);
	dev->data->mac_addrs = &port->mac;
	port->nr_queues = sdrv_netfront_info(nf)->queues;
	dev->data->nb_rx_queues = 1;
	dev->data->nb_tx_queues = 1;
	dev->data->dev_link.link_speed = RTE_ETH_SPEED_NUM_10G;
	dev->data->dev_link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	dev->data->dev_link.link_autoneg = RTE_ETH_LINK_FIXED;
	dev->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dev->dev_ops = &nfp_ops;
	dev->rx_pkt_burst = nfp_rx_burst;
	dev->tx_pkt_burst = nfp_tx_burst;
	rte_eth_dev_probing_finish(dev);
	NFP_LOG(INFO, "%s: domain %lu vif %lu connected, %u queue%s, MAC "
		RTE_ETHER_ADDR_PRT_FMT "\n", name, a.domid, a.vif, port->nr_queues,
		port->nr_queues == 1 ? "" : "s", RTE_ETHER_ADDR_BYTES(&port->mac));
	return 0;
}

static int nfp_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (!dev)
		return 0;
	nfp_close(dev);
	return rte_eth_dev_release_port(dev);
}

static struct rte_vdev_driver nfp_driver = {
	.probe = nfp_probe,
	.remove = nfp_remove,
};

RTE_PMD_REGISTER_VDEV(net_netfront, nfp_driver);
RTE_PMD_REGISTER_PARAM_STRING(net_netfront,
			      "domid=<id> vif=<n> queues=<n> socket=<hv-stub socket>");
RTE_LOG_REGISTER(nfp_logtype, pmd.net.netfront, NOTICE)
