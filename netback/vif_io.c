/* SPDX-License-Identifier: MIT */
/*
 * The data path of one vif queue, on the worker that serves it.  Every request is copied out of the ring once
 * and only the copy is checked, as Linux netback checks it:
 *
 *   a frame is a first slot (its size: the whole frame) and the slots its
 *   MORE_DATA flags chain, at most NB_MAX_SLOTS (more is fatal, as Linux's
 *   fatal_skb_slots); extra-info slots follow when EXTRA_INFO is set, each
 *   with FLAG_MORE for the next; a chain that runs past the producer index
 *   is fatal (a frontend publishes whole frames);
 *   each slot lies inside its page; the slots' sizes add up to the
 *   first's; the frame is at least an Ethernet header and at most
 *   NB_MAX_FRAME; follow-on slots are not empty; extras are of a type we
 *   know (GSO, which we did not offer, drops the frame); a checksum left
 *   blank (NETTXF_csum_blank) is finished (csum.c), and a frame whose
 *   blank checksum cannot be (not TCP or UDP over IP) is dropped.
 *
 * A malformed frame is answered ERROR slot by slot and counted; a fatal
 * one disables this vif alone (its rings are left, the others served on).
 * A frame that fits one mbuf is copied into it by grant reads (checked,
 * not pinned: the entry is looked at again after the copy, and a read the
 * guest ended access under is an error); a GSO frame over a chain through
 * grant holds (checked and pinned) for the time of the copy; a large
 * frame in one slot is lent on, held, until the frame is sent (lend.c).
 */
#include "netback.h"

#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

union tx_slot {
	struct sdrv_netif_tx_request req;
	struct sdrv_netif_extra_info extra;
};

static struct sdrv_platform *plat(struct nb_queue *q)
{
	return q->vif->dev->platform;
}

static bool vif_disabled(const struct nb_vif *v)
{
	return __atomic_load_n(&v->disabled, __ATOMIC_ACQUIRE);
}

void nb_queue_tx_dropped(struct nb_queue *q, const char *why)
{
	q->stats.tx_dropped++;
	if (why && q->vif->opt->verbose)
		fprintf(stderr, "netback-dpdk: %s: frame dropped: %s\n", q->name, why);
}

void nb_vif_disable(struct nb_vif *v, const char *why)
{
	const char *none = NULL;

	/* The first worker to find something says why; XenStore is told
	 * by the main lcore (nb_report_disabled()). */
	if (!__atomic_compare_exchange_n(&v->disabled_why, &none, why, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&v->disabled, true, __ATOMIC_RELEASE);
	nb_worker_wake(0); /* the main lcore tells XenStore */
	fprintf(stderr, "netback-dpdk: %s: %s; vif disabled\n", v->name, why);
}

/* One frame's slots, copied out. */
struct frame {
	struct sdrv_netif_tx_request slot[NB_MAX_SLOTS];
	unsigned nr_slots, nr_extras;
	/* A GSO extra: the frame is to be cut into TCP segments of
	 * gso_size payload (SDRV_NETIF_GSO_TYPE_*; 0: none). */
	uint8_t gso_type;
	uint16_t gso_size;
	/* A multicast-control request (MCAST_ADD or _DEL extra, 0: none):
	 * no frame, only the filter changed. */
	uint8_t mcast_op;
	struct rte_ether_addr mcast_addr;
};

enum parse { FRAME_OK, FRAME_BAD, FRAME_INCOMPLETE, FRAME_FATAL };

/* Read the frame starting at span index @i (of @n); set *@used to the
 * slots it takes (extras included). */
static enum parse parse_frame(const struct sdrv_ring_span *sp, uint32_t i,
			      uint32_t n, struct frame *f, uint32_t *used,
			      const char **why)
{
	union tx_slot s;
	uint32_t j = i;
	bool more, extra;

	memcpy(&s, sdrv_ring_span_slot(sp, j++), sizeof(s.req));
	f->slot[0] = s.req;
	f->nr_slots = 1;
	f->nr_extras = 0;
	f->gso_type = 0;
	f->mcast_op = 0;
	more = s.req.flags & SDRV_NETTXF_MORE_DATA;
	extra = s.req.flags & SDRV_NETTXF_EXTRA_INFO;
	while (extra) {
		if (j == n)
			return FRAME_INCOMPLETE;
		memcpy(&s, sdrv_ring_span_slot(sp, j++), sizeof(s.req));
		f->nr_extras++;
		switch (s.extra.type) {
		case SDRV_NETIF_EXTRA_TYPE_GSO:
			/* Linux netback: a size of 0 is fatal, an unknown
			 * type drops the frame (check_frame()). */
			if (!s.extra.u.gso.size) {
				*why = "a GSO extra of size 0";
				return FRAME_FATAL;
			}
			f->gso_type = s.extra.u.gso.type ? s.extra.u.gso.type : 0xff;
			f->gso_size = s.extra.u.gso.size;
			break;
		case SDRV_NETIF_EXTRA_TYPE_MCAST_ADD:
		case SDRV_NETIF_EXTRA_TYPE_MCAST_DEL:
			f->mcast_op = s.extra.type;
			memcpy(f->mcast_addr.addr_bytes, s.extra.u.mcast.addr, 6);
			break;
		default:
			*why = "extra info of an unknown type";
			return FRAME_FATAL;
		}
		extra = s.extra.flags & SDRV_NETIF_EXTRA_FLAG_MORE;
	}
	while (more) {
		if (j == n)
			return FRAME_INCOMPLETE;
		if (f->nr_slots == NB_MAX_SLOTS) {
			*why = "a frame of more slots than any frontend may use";
			return FRAME_FATAL;
		}
		memcpy(&s, sdrv_ring_span_slot(sp, j++), sizeof(s.req));
		f->slot[f->nr_slots++] = s.req;
		more = s.req.flags & SDRV_NETTXF_MORE_DATA;
	}
	*used = j - i;
	return FRAME_OK;
}

/* The checks of a whole frame's copy.  Return: its length, or 0 (bad). */
static uint32_t check_frame(const struct frame *f, bool base_protocol,
			    const char **why)
{
	uint32_t rest = 0, first;

	for (unsigned k = 1; k < f->nr_slots; k++) {
		const struct sdrv_netif_tx_request *s = &f->slot[k];

		if (!s->size) {
			*why = "an empty follow-on slot";
			return 0;
		}
		if ((uint32_t)s->offset + s->size > SDRV_PAGE_SIZE) {
			*why = "a slot crossing its page";
			return 0;
		}
		rest += s->size;
	}
	/* A GSO frame may be up to 65535 bytes (the size field's width). */
	if (f->slot[0].size < RTE_ETHER_HDR_LEN ||
	    (!f->gso_type && f->slot[0].size > NB_MAX_FRAME)) {
		*why = "a frame shorter than an Ethernet header or too long";
		return 0;
	}
	if (rest >= f->slot[0].size) {
		*why = "slot sizes adding up to more than the frame";
		return 0;
	}
	first = f->slot[0].size - rest;
	if ((uint32_t)f->slot[0].offset + first > SDRV_PAGE_SIZE) {
		*why = "a slot crossing its page";
		return 0;
	}
	if (f->gso_type && (base_protocol ||
			    (f->gso_type != SDRV_NETIF_GSO_TYPE_TCPV4 &&
			     f->gso_type != SDRV_NETIF_GSO_TYPE_TCPV6))) {
		*why = base_protocol ? "GSO, which we do not offer"
				     : "GSO of a type we do not know";
		return 0;
	}
	return f->slot[0].size;
}

/* ---- multicast control -------------------------------------------------- */

/* A multicast-control request (the guest asked for request-multicast-
 * control) on @q: add or remove one group address from the vif's filter,
 * at most NB_MCAST_MAX (Linux's XEN_NETBK_MCAST_MAX) however many it asks
 * for.  Return: the answer, OKAY or ERROR with *@why. */
static int16_t mcast_request(struct nb_queue *q, const struct frame *f,
			     const char **why)
{
	struct nb_vif *v = q->vif;
	int16_t st = SDRV_NETIF_RSP_OKAY;
	unsigned i;

	if (!v->mcast_control) {
		*why = "multicast control, which the guest did not ask for";
		return SDRV_NETIF_RSP_ERROR;
	}
	if (!rte_is_multicast_ether_addr(&f->mcast_addr)) {
		*why = "a multicast-control address that is not a group address";
		return SDRV_NETIF_RSP_ERROR;
	}
	rte_spinlock_lock(&v->mcast_lock);
	for (i = 0; i < v->nr_mcast; i++)
		if (rte_is_same_ether_addr(&v->mcast[i], &f->mcast_addr))
			break;
	if (f->mcast_op == SDRV_NETIF_EXTRA_TYPE_MCAST_DEL) {
		if (i < v->nr_mcast)
			v->mcast[i] = v->mcast[--v->nr_mcast];
	} else if (i == v->nr_mcast && v->nr_mcast == NB_MCAST_MAX) {
		q->stats.mcast_refused++;
		*why = "more multicast groups than a vif may filter";
		st = SDRV_NETIF_RSP_ERROR;
	} else if (i == v->nr_mcast) {
		v->mcast[v->nr_mcast++] = f->mcast_addr;
	}
	rte_spinlock_unlock(&v->mcast_lock);
	return st;
}

/* Whether a vif with multicast control wants @m: a group address it did
 * not add is not for it; broadcast and unicast are. */
static bool mcast_wanted(struct nb_vif *v, const struct rte_mbuf *m)
{
	const struct rte_ether_addr *dst =
		&rte_pktmbuf_mtod(m, const struct rte_ether_hdr *)->dst_addr;
	bool wanted = false;

	if (!v->mcast_control || !rte_is_multicast_ether_addr(dst) ||
	    rte_is_broadcast_ether_addr(dst))
		return true;
	rte_spinlock_lock(&v->mcast_lock);
	for (unsigned i = 0; i < v->nr_mcast && !wanted; i++)
		wanted = rte_is_same_ether_addr(&v->mcast[i], dst);
	rte_spinlock_unlock(&v->mcast_lock);
	return wanted;
}

/* Holds of one burst: one sdrv_grant_hold() and one release for every
 * slot of every frame (the lane and the granter's lock once, not per
 * frame). */
#define NB_BURST_HOLDS 128u

/* A frame of the burst, checked, waiting for its data. */
struct pending {
	struct frame f;
	int16_t mcast_status; /* the answer to a multicast-control request */
	uint32_t len; /* 0: malformed, or a multicast-control request */
	const char *why;
	struct rte_mbuf *m;
	unsigned first_hold;
	/* Copied into one mbuf by reads (no pin), from first_read on; else
	 * through holds, from first_hold on. */
	bool by_reads;
	unsigned first_read;
	bool lend; /* to be lent if a loan is free (lend.c), else copied */
	bool lent; /* lent: its loan answers it */
};

/* Whether frame @pf may be lent: one slot, long enough that a copy costs
 * more than a loan, and nothing for us to write into it. */
static bool lendable(const struct nb_queue *q, const struct pending *pf)
{
	return q->loans && pf->len >= NB_LEND_MIN && pf->f.nr_slots == 1 &&
	       !pf->f.nr_extras && !(pf->f.slot[0].flags & SDRV_NETTXF_CSUM_BLANK);
}

/* The bytes of frame @pf in its first slot: the frame's length (the first
 * slot's size) less the others' (check_frame() made it positive). */
static uint32_t first_slot_bytes(const struct pending *pf)
{
	uint32_t first = pf->len;

	for (unsigned k = 1; k < pf->f.nr_slots; k++)
		first -= pf->f.slot[k].size;
	return first;
}

/* Fill in read @r of @len bytes at @offset in grant @ref of @granter into
 * @dst, field by field: the status is the reader's to write. */
static SDRV_ALWAYS_INLINE void set_read(struct sdrv_grant_read *r, sdrv_domid_t granter,
					sdrv_grant_ref_t ref, uint16_t offset, uint16_t len,
					void *dst)
{
	r->granter = granter;
	r->ref = ref;
	r->offset = offset;
	r->len = len;
	r->dst = dst;
}

/* Queue the reads that copy frame @pf's slots into its one mbuf. */
static void queue_reads(struct nb_queue *q, struct pending *pf,
			struct sdrv_grant_read *rd, unsigned *nrd)
{
	char *dst = rte_pktmbuf_mtod(pf->m, char *);
	uint32_t first = first_slot_bytes(pf);
	sdrv_domid_t granter = q->vif->dev->xb.frontend_domid;
	unsigned at = *nrd;

	pf->by_reads = true;
	pf->first_read = at;
	for (unsigned k = 0; k < pf->f.nr_slots; k++, at++) {
		uint16_t n = (uint16_t)(k ? pf->f.slot[k].size : first);

		set_read(&rd[at], granter, pf->f.slot[k].gref, pf->f.slot[k].offset, n, dst);
		dst += n;
	}
	*nrd = at;
}

/* Copy each good pending frame's slots out of the guest's pages into its
 * mbuf from held pages, or lend a frame its page; the frames copied by
 * reads were read already (@rd, sdrv_grant_read() returned @rr).  A frame
 * with a slot that did not read or hold loses its mbuf. */
static void fetch_frames(struct nb_queue *q, struct pending *fr, unsigned nr,
			 struct sdrv_grant_hold *h, unsigned nh,
			 const struct sdrv_grant_read *rd, int rr)
{
	int r = nh ? sdrv_grant_hold(plat(q), h, nh) : 0;
	bool lent[NB_BURST_HOLDS];
	unsigned keep = 0;

	/* The guest just wrote these lines, on its CPU: asked for together,
	 * they come at once, where each copy would wait for its own. */
	for (unsigned i = 0; r >= 0 && nh && i < nr; i++)
		for (unsigned k = 0; !fr[i].by_reads && (fr[i].m || fr[i].lend) &&
				     k < fr[i].f.nr_slots; k++)
			if (h[fr[i].first_hold + k].status == SDRV_GNTST_okay)
				__builtin_prefetch((char *)h[fr[i].first_hold + k].page +
							   fr[i].f.slot[k].offset, 0, 3);
	for (unsigned k = 0; k < nh; k++)
		lent[k] = false;
	for (unsigned i = 0; i < nr; i++) {
		struct pending *pf = &fr[i];
		uint32_t first;
		bool ok = r >= 0;

		if (!pf->m && !pf->lend)
			continue;
		if (pf->by_reads) {
			ok = rr >= 0;
			for (unsigned k = 0; ok && k < pf->f.nr_slots; k++)
				ok = rd[pf->first_read + k].status == SDRV_GNTST_okay;
		}
		for (unsigned k = 0; !pf->by_reads && ok && k < pf->f.nr_slots; k++)
			ok = h[pf->first_hold + k].status == SDRV_GNTST_okay;
		if (!ok) {
			q->stats.errors++;
			pf->why = "a slot's grant is not ours to use";
			rte_pktmbuf_free(pf->m);
			pf->m = NULL;
			continue;
		}
		if (pf->by_reads)
			continue; /* copied already */
		if (pf->lend) {
			pf->m = nb_loan_make(q->loans, &h[pf->first_hold],
					     pf->f.slot[0].offset, (uint16_t)pf->len,
					     pf->f.slot[0].id);
			pf->lent = lent[pf->first_hold] = pf->m != NULL;
			q->stats.tx_lent += pf->lent;
			if (pf->lent)
				continue;
			/* No loan free: copied as any other. */
			pf->m = nb_mbuf_chain(q->vif->opt->pool, pf->len);
			if (!pf->m) {
				pf->why = "no mbuf free";
				continue;
			}
		}
		first = first_slot_bytes(pf);
		if (pf->m->nb_segs == 1) {
			char *dst = rte_pktmbuf_mtod(pf->m, char *);

			for (unsigned k = 0; k < pf->f.nr_slots; k++) {
				uint32_t n = k ? pf->f.slot[k].size : first;
				nb_copy(dst, (char *)h[pf->first_hold + k].page +
						     pf->f.slot[k].offset, n);
				dst += n;
			}
			continue;
		}
		/* A GSO frame longer than an mbuf: over the chain. */
		for (unsigned k = 0, at = 0; k < pf->f.nr_slots; k++) {
			uint32_t n = k ? pf->f.slot[k].size : first;

			nb_mbuf_chain_write(pf->m, at, (char *)h[pf->first_hold + k].page +
							       pf->f.slot[k].offset, n);
			at += n;
		}
	}
	if (r < 0)
		return;
	/* Every hold but the loans' (theirs go when the loan comes back). */
	for (unsigned k = 0; k < nh; k++)
		if (!lent[k])
			h[keep++] = h[k];
	sdrv_grant_release(plat(q), h, keep);
}

/*
 * The toolstack's rate limit (the "rate" key, as Linux netback's credit):
 * a frame of @len bytes goes if this window's credit has room, and the
 * credit comes back whole every credit_ms.  A frame larger than a whole
 * window's credit goes when the credit is whole (or it would never go).
 * Return: whether it may go now.
 */
static bool credit_take(struct nb_queue *q, uint32_t len)
{
	uint64_t now = nb_self->now_ms;

	if (!q->credit_bytes)
		return true;
	if (now >= q->credit_refill_ms) {
		q->credit_left = q->credit_bytes;
		q->credit_refill_ms = now + q->credit_ms;
	}
	if (len > q->credit_left && q->credit_left < q->credit_bytes) {
		q->credit_blocked = true;
		return false;
	}
	q->credit_left -= len < q->credit_left ? len : q->credit_left;
	q->credit_blocked = false;
	return true;
}

int nb_queue_credit_in_ms(const struct nb_queue *q)
{
	uint64_t now = nb_self->now_ms;

	if (!q->credit_blocked)
		return -1;
	return now >= q->credit_refill_ms ? 0 : (int)(q->credit_refill_ms - now);
}

/*
 * Start fetching the next round's data now (sdrv_grant_prefetch()): the
 * next NB_BURST requests posted on @ring, the transmit ring (frames to be
 * read) or the receive ring (@write: buffers to be written).  The guest's
 * CPU last had those lines, and a copy that asks for them only when it is
 * about to touch them waits for each (measured: most of netback's time at
 * 64 B); asked for a round ahead, they come while this round's frames go
 * out.  Every transmit slot is read as a request: an extra's bytes make a
 * hint that fetches nothing of use, and nothing here is trusted or kept.
 */
static void prefetch_posted(struct nb_queue *q, struct sdrv_ring_back *ring, bool write)
{
	struct sdrv_grant_touch t[NB_BURST];
	struct sdrv_ring_span sp;
	uint32_t n = sdrv_ring_back_peek_requests(ring, NB_BURST, &sp);

	for (uint32_t i = 0; i < n; i++) {
		const void *slot = sdrv_ring_span_slot(&sp, i);

		if (write) {
			struct sdrv_netif_rx_request r;

			memcpy(&r, slot, sizeof(r));
			t[i] = (struct sdrv_grant_touch){ .ref = r.gref, .write = true };
		} else {
			union tx_slot x;

			memcpy(&x, slot, sizeof(x.req));
			t[i] = (struct sdrv_grant_touch){ .ref = x.req.gref,
							  .offset = x.req.offset };
		}
	}
	sdrv_grant_prefetch(plat(q), q->vif->dev->xb.frontend_domid, t, n);
}

/* The bytes a frame may have in one mbuf of @pool (0: none). */
static uint32_t mbuf_capacity(struct rte_mempool *pool)
{
	uint16_t room = rte_pktmbuf_data_room_size(pool);

	return room < RTE_PKTMBUF_HEADROOM ? 0 : (uint32_t)(room - RTE_PKTMBUF_HEADROOM);
}

/* Refill @q's empty stash: a burst at a time (an allocation each paid the
 * pool's per-lcore lookup each time: 7-11 % of netback at 64 B), or the
 * one mbuf left.  Return: whether it holds one now. */
static __attribute__((noinline)) bool stash_refill(struct nb_queue *q)
{
	struct rte_mempool *pool = q->vif->opt->pool;

	if (rte_pktmbuf_alloc_bulk(pool, q->stash, NB_BURST) == 0)
		q->stashed = NB_BURST;
	else if ((q->stash[0] = rte_pktmbuf_alloc(pool)) != NULL)
		q->stashed = 1;
	return q->stashed;
}

/* One mbuf from @q's stash for a frame of @len bytes, which fits it.
 * Inline: a call cost a quarter of the mbuf's 56 instructions a frame. */
static SDRV_ALWAYS_INLINE struct rte_mbuf *stash_take(struct nb_queue *q, uint32_t len)
{
	struct rte_mbuf *m;

	if (!q->stashed && !stash_refill(q))
		return NULL;
	m = q->stash[--q->stashed];
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	return m;
}

/* An mbuf for a guest's frame of @len bytes: one from the stash where it
 * fits, else a chain.  Return: NULL when the pool is empty. */
static struct rte_mbuf *frame_mbuf(struct nb_queue *q, uint32_t len)
{
	struct rte_mempool *pool = q->vif->opt->pool;

	if (len > mbuf_capacity(pool))
		return nb_mbuf_chain(pool, len);
	return stash_take(q, len);
}

/* Transmit slots looked at a round: a burst's frames with their extras
 * and follow-on slots (a frame that runs past them waits a round). */
#define NB_TX_PEEK (NB_BURST * 4)

/*
 * A frame of the burst in ring order.  Most frames are one slot that
 * fits an mbuf, with no extras and nothing to lend: those take a short
 * way (quick), read straight into their mbuf with one grant read each,
 * checked here and answered from these few fields.  Through the general
 * way (struct pending) netback-dpdk spent 569 instructions on a 64-byte
 * frame, this way 521 (callgrind, guest TX).  A quick frame is never
 * malformed: is_quick() makes every check check_frame() would, and any
 * frame that fails one goes the general way, to be answered and counted
 * there.
 */
struct taken {
	struct rte_mbuf *m; /* quick: its mbuf (NULL: none was free) */
	uint16_t id; /* quick: the request's id */
	uint16_t flags; /* quick: the request's flags */
	uint16_t read; /* quick with an mbuf: its grant read */
	uint8_t pending; /* 0: quick; else its index in the pendings + 1 */
};

/* The longest frame the quick way takes, with its checksum left blank
 * (@blank) or not: it fits one mbuf, and is not long enough to be lent
 * (a loan is not made for a frame whose checksum we finish). */
static uint32_t quick_max(const struct nb_queue *q, bool blank)
{
	uint32_t max = mbuf_capacity(q->vif->opt->pool);

	if (max > NB_MAX_FRAME)
		max = NB_MAX_FRAME;
	if (!blank && q->loans && max >= NB_LEND_MIN)
		max = NB_LEND_MIN - 1;
	return max;
}

/* Whether request @s is a whole quick frame (struct taken), by the same
 * checks check_frame() makes of a one-slot frame; @max and @max_blank
 * from quick_max(). */
static bool is_quick(const struct sdrv_netif_tx_request *s, uint32_t max, uint32_t max_blank)
{
	if (s->flags & (SDRV_NETTXF_MORE_DATA | SDRV_NETTXF_EXTRA_INFO))
		return false;
	return s->size >= RTE_ETHER_HDR_LEN &&
	       s->size <= (s->flags & SDRV_NETTXF_CSUM_BLANK ? max_blank : max) &&
	       (uint32_t)s->offset + s->size <= SDRV_PAGE_SIZE;
}

/* Answer a pending frame @pf: its mbuf to @out (*@got) unless it was
 * dropped, and an answer for each of its slots to @rsp (*@nrsp). */
static void answer_pending(struct nb_queue *q, struct pending *pf, struct rte_mbuf **out,
			   unsigned *got, uint64_t *bytes,
			   struct sdrv_netif_tx_response *rsp, unsigned *nrsp)
{
	int16_t st;

	/* A checksum the guest left blank is finished here, before any
	 * port or guest sees the frame. */
	if (pf->m && pf->f.gso_type) {
		/* Its segments' checksums are made as it is cut
		 * (nb_gso_segment()); a guest that takes GSO gets it
		 * whole, checksum blank. */
		bool v4 = pf->f.gso_type == SDRV_NETIF_GSO_TYPE_TCPV4;

		pf->m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG |
				   (v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
		pf->m->tso_segsz = pf->f.gso_size;
	} else if (pf->m && (pf->f.slot[0].flags & SDRV_NETTXF_CSUM_BLANK) &&
		   nb_csum_complete(pf->m, &pf->why)) {
		rte_pktmbuf_free(pf->m);
		pf->m = NULL;
	}
	st = pf->m ? SDRV_NETIF_RSP_OKAY : SDRV_NETIF_RSP_ERROR;
	if (pf->f.mcast_op)
		st = pf->mcast_status;
	if (pf->f.mcast_op && st == SDRV_NETIF_RSP_OKAY) {
		/* a filter changed: nothing to count */
	} else if (!pf->m) {
		nb_queue_tx_dropped(q, pf->why);
	} else {
		*bytes += pf->len;
		out[(*got)++] = pf->m;
	}
	/* Every slot answered, in order: the data slots by id, the extras
	 * as NULL.  A loan is answered when it comes back (nb_loans_reap()). */
	if (!pf->lent)
		rsp[(*nrsp)++] = (struct sdrv_netif_tx_response){ pf->f.slot[0].id, st };
	for (unsigned e = 0; e < pf->f.nr_extras; e++)
		rsp[(*nrsp)++] = (struct sdrv_netif_tx_response){ 0, SDRV_NETIF_RSP_NULL };
	for (unsigned s2 = 1; s2 < pf->f.nr_slots; s2++)
		rsp[(*nrsp)++] = (struct sdrv_netif_tx_response){ pf->f.slot[s2].id, st };
}

/* Answer quick frame @t, whose read (if it had an mbuf) is in @rd; as
 * answer_pending(). */
static void answer_quick(struct nb_queue *q, struct taken *t, const struct sdrv_grant_read *rd,
			 bool reads_ok, struct rte_mbuf **out, unsigned *got, uint64_t *bytes,
			 struct sdrv_netif_tx_response *rsp, unsigned *nrsp)
{
	const char *why = NULL;

	if (t->m && (!reads_ok || rd[t->read].status != SDRV_GNTST_okay)) {
		q->stats.errors++;
		why = "a slot's grant is not ours to use";
		rte_pktmbuf_free(t->m);
		t->m = NULL;
	} else if (t->m && (t->flags & SDRV_NETTXF_CSUM_BLANK) && nb_csum_complete(t->m, &why)) {
		rte_pktmbuf_free(t->m);
		t->m = NULL;
	}
	if (t->m) {
		*bytes += t->m->pkt_len;
		out[(*got)++] = t->m;
	} else {
		nb_queue_tx_dropped(q, why);
	}
	rsp[(*nrsp)++] = (struct sdrv_netif_tx_response){
		t->id, t->m ? SDRV_NETIF_RSP_OKAY : SDRV_NETIF_RSP_ERROR
	};
}

unsigned nb_queue_take_tx(struct nb_queue *q, struct rte_mbuf **out)
{
	struct nb_vif *v = q->vif;
	struct taken tk[NB_BURST];
	struct pending fr[NB_BURST];
	struct sdrv_grant_hold h[NB_BURST_HOLDS];
	struct sdrv_grant_read rd[NB_BURST_HOLDS];
	/* Every slot taken is answered once: at most NB_TX_PEEK. */
	struct sdrv_netif_tx_response rsp[NB_TX_PEEK];
	struct sdrv_ring_span sp;
	uint32_t n, i = 0, max, max_blank;
	unsigned nr = 0, np = 0, nh = 0, nrd = 0, got = 0, nrsp = 0;
	uint64_t bytes = 0;
	sdrv_domid_t granter;
	int rr;

	if (vif_disabled(v))
		return 0;
	n = sdrv_ring_back_peek_requests(&q->tx, NB_TX_PEEK, &sp);
	sdrv_ring_back_prefetch(&q->tx, n); /* answered in the same slots */
	max = quick_max(q, false);
	max_blank = quick_max(q, true);
	granter = v->dev->xb.frontend_domid;
	/* Each frame's copy checked, its reads or holds queued. */
	while (i < n && nr < NB_BURST) {
		struct sdrv_netif_tx_request s;
		struct taken *t = &tk[nr];
		struct pending *pf = &fr[np];
		uint32_t used = 1;
		enum parse p;

		memcpy(&s, sdrv_ring_span_slot(&sp, i), sizeof(s));
		if (is_quick(&s, max, max_blank)) {
			if (nh + nrd + 1 > NB_BURST_HOLDS || !credit_take(q, s.size))
				break; /* the next round, or the next window */
			i++;
			nr++;
			t->pending = 0;
			t->id = s.id;
			t->flags = s.flags;
			t->m = stash_take(q, s.size);
			if (!t->m)
				continue;
			t->read = (uint16_t)nrd;
			set_read(&rd[nrd++], granter, s.gref, s.offset, s.size,
				 rte_pktmbuf_mtod(t->m, void *));
			continue;
		}
		pf->why = NULL;
		pf->lend = pf->lent = pf->by_reads = false;
		p = parse_frame(&sp, i, n, &pf->f, &used, &pf->why);
		if (p == FRAME_INCOMPLETE) {
			/* Past what we peeked: the rest comes next round.
			 * Past the producer index: the frontend lies. */
			if (n < NB_TX_PEEK)
				nb_vif_disable(v, "a frame running past the producer index");
			break;
		}
		if (p == FRAME_FATAL) {
			nb_vif_disable(v, pf->why);
			break;
		}
		if (nh + nrd + pf->f.nr_slots > NB_BURST_HOLDS)
			break; /* the next round takes it */
		/* Over its rate: it waits in the ring for the next window. */
		if (!pf->f.mcast_op && !credit_take(q, pf->f.slot[0].size))
			break;
		i += used;
		t->pending = (uint8_t)(++np);
		nr++;
		if (pf->f.mcast_op) {
			/* Linux's way: the request carries no frame. */
			pf->mcast_status = mcast_request(q, &pf->f, &pf->why);
			pf->len = 0;
			pf->m = NULL;
			continue;
		}
		pf->len = check_frame(&pf->f, v->opt->base_protocol, &pf->why);
		pf->lend = pf->len && lendable(q, pf);
		pf->m = pf->len && !pf->lend ? frame_mbuf(q, pf->len) : NULL;
		pf->first_hold = nh;
		/* Copied into one mbuf: read, no pin (the copy is over before
		 * the answer).  Lent, or over a chain: held. */
		if (pf->m && pf->m->nb_segs == 1) {
			queue_reads(q, pf, rd, &nrd);
			continue;
		}
		for (unsigned k = 0; (pf->m || pf->lend) && k < pf->f.nr_slots; k++, nh++) {
			h[nh].granter = granter;
			h[nh].ref = pf->f.slot[k].gref;
			h[nh].readonly = true;
		}
	}
	sdrv_ring_back_consume_requests(&q->tx, i);
	rr = nrd ? sdrv_grant_read(plat(q), rd, nrd) : 0;
	if (np)
		fetch_frames(q, fr, np, h, nh, rd, rr);
	for (unsigned k = 0; k < nr; k++) {
		if (tk[k].pending)
			answer_pending(q, &fr[tk[k].pending - 1], out, &got, &bytes, rsp, &nrsp);
		else
			answer_quick(q, &tk[k], rd, rr >= 0, out, &got, &bytes, rsp, &nrsp);
	}
	sdrv_netif_tx_back_put_responses(&q->tx, rsp, nrsp);
	q->stats.tx_packets += got;
	q->stats.tx_bytes += bytes;
	if (sdrv_ring_back_fault(&q->tx))
		nb_vif_disable(v, "transmit ring index out of range");
	else
		prefetch_posted(q, &q->tx, false);
	return got;
}

/* Guest buffers (slots) a frame of @len bytes takes: one, or with
 * feature-sg one per page. */
static unsigned rx_slots_for(uint32_t len)
{
	return len ? (len + SDRV_PAGE_SIZE - 1) / SDRV_PAGE_SIZE : 1;
}

static bool is_gso(const struct rte_mbuf *m)
{
	return m->ol_flags & RTE_MBUF_F_TX_TCP_SEG;
}

/* Requests a frame takes: its buffers, and a GSO frame's extra info. */
static unsigned rx_requests_for(const struct rte_mbuf *m)
{
	return rx_slots_for(rte_pktmbuf_pkt_len(m)) + is_gso(m);
}

/*
 * Receive responses are written in their slots, field by field, and handed
 * over whole by sdrv_ring_back_produce().  Built on the stack and copied
 * in, a response was reloaded as a word from halves stored apart, which no
 * store forwards: that load waited for every store before it, the copies
 * into the guest's buffers included.
 */
static void put_rx_response(struct nb_queue *q, uint32_t k, uint16_t id,
			    uint16_t flags, int16_t status)
{
	struct sdrv_netif_rx_response *r = sdrv_ring_back_response_slot(&q->rx, k);

	if (!r)
		return; /* a broken ring: nothing goes out */
	r->id = id;
	r->offset = 0;
	r->flags = flags;
	r->status = status;
}

/* The GSO extra after a GSO frame's first response, in slot @k. */
static void put_rx_gso_extra(struct nb_queue *q, uint32_t k,
			     const struct rte_mbuf *m)
{
	union rx_slot {
		struct sdrv_netif_rx_response rsp;
		struct sdrv_netif_extra_info extra;
	} *s = sdrv_ring_back_response_slot(&q->rx, k);

	if (!s)
		return;
	s->extra.type = SDRV_NETIF_EXTRA_TYPE_GSO;
	s->extra.flags = 0;
	s->extra.u.gso.size = m->tso_segsz;
	s->extra.u.gso.type = m->ol_flags & RTE_MBUF_F_TX_IPV4 ? SDRV_NETIF_GSO_TYPE_TCPV4
							      : SDRV_NETIF_GSO_TYPE_TCPV6;
	s->extra.u.gso.pad = 0;
	s->extra.u.gso.features = 0;
}

/*
 * Copy the waiting frames that fit in the buffers the guest posted, up to
 * NB_BURST buffers: one hold and one release for the whole burst, as on
 * transmit.  A frame longer than a page (the guest asked for feature-sg)
 * fills a buffer per page, each answered with its part and MORE_DATA but
 * the last.  A buffer whose grant is not ours to write is answered ERROR
 * (its frame is lost).  Return: frames taken off the waiting queue; 0
 * when not one fits.
 */
static unsigned deliver_burst(struct nb_queue *q)
{
	struct sdrv_netif_rx_request req[NB_BURST];
	struct sdrv_grant_hold h[NB_BURST], kept_rel[NB_BURST];
	struct sdrv_grant_hold *rel = h; /* what to release after the burst */
	struct rte_mbuf *done[NB_BURST];
	/* Fresh, not the count last seen: a frame of several buffers
	 * waits for all of them. */
	uint32_t posted = sdrv_ring_back_pending_at_least(&q->rx, NB_BURST);
	uint32_t nslots = 0, k = 0, nh = 0;
	unsigned frames = 0, packets = 0, nrel = 0;
	uint64_t bytes = 0;
	int held;

	if (sdrv_ring_back_fault(&q->rx)) {
		nb_vif_disable(q->vif, "receive ring index out of range");
		return 0;
	}
	if (posted > NB_BURST)
		posted = NB_BURST;
	sdrv_ring_back_prefetch(&q->rx, posted); /* answered in the same slots */
	/* Whole frames only: what does not fit waits for more buffers. */
	while (frames < q->nr_waiting) {
		struct rte_mbuf *m = q->waiting[(q->wait_head + frames) % NB_RX_WAITING];
		unsigned need = rx_requests_for(m);

		if (nslots + need > posted)
			break;
		nslots += need;
		frames++;
	}
	if (!frames || sdrv_netif_rx_back_take_requests(&q->rx, req, nslots) != nslots)
		return 0;
	/* A hold for each buffer a frame fills; a GSO frame's extra info
	 * takes the request after its first and no buffer. */
	for (unsigned f = 0, r = 0; f < frames; f++) {
		const struct rte_mbuf *m = q->waiting[(q->wait_head + f) % NB_RX_WAITING];
		unsigned need = rx_requests_for(m);

		for (unsigned i = 0; i < need; i++, r++) {
			if (is_gso(m) && i == 1)
				continue;
			h[nh].granter = q->vif->dev->xb.frontend_domid;
			h[nh].ref = req[r].gref;
			h[nh++].readonly = false;
		}
	}
	if (q->pins) {
		held = nb_pins_hold(q->pins, plat(q), h, nh, kept_rel, &nrel);
		rel = kept_rel;
	} else {
		held = sdrv_grant_hold(plat(q), h, nh);
		nrel = nh;
	}
	for (unsigned f = 0, hk = 0; f < frames; f++) {
		struct rte_mbuf *m = q->waiting[q->wait_head];
		uint32_t len = rte_pktmbuf_pkt_len(m), off = 0;
		unsigned bufs = rx_slots_for(len), first = hk;
		bool ok = held >= 0, gso = is_gso(m);

		for (unsigned i = 0; ok && i < bufs; i++)
			ok = h[first + i].status == SDRV_GNTST_okay;
		for (unsigned i = 0; i < bufs; i++, k++, hk++) {
			uint32_t part = len - off < SDRV_PAGE_SIZE ? len - off
								  : SDRV_PAGE_SIZE;

			/* A GSO frame's checksum is the guest's blank one:
			 * the receiver finishes it, or its segments'. */
			put_rx_response(q, k, req[k].id,
					(uint16_t)((i + 1 < bufs ? SDRV_NETRXF_MORE_DATA : 0) |
						   (gso && !i ? SDRV_NETRXF_EXTRA_INFO |
									SDRV_NETRXF_CSUM_BLANK |
									SDRV_NETRXF_DATA_VALIDATED
							      : 0)),
					ok ? (int16_t)part : SDRV_NETIF_RSP_ERROR);
			if (ok) {
				const void *data = rte_pktmbuf_read(m, off, part, h[hk].page);

				if (data != h[hk].page)
					nb_copy(h[hk].page, data, part);
			}
			off += part;
			if (gso && !i)
				put_rx_gso_extra(q, ++k, m);
		}
		if (ok) {
			packets++;
			bytes += len;
		} else {
			q->stats.errors++;
		}
		done[f] = m;
		q->wait_head = (q->wait_head + 1) % NB_RX_WAITING;
	}
	q->stats.rx_packets += packets;
	q->stats.rx_bytes += bytes;
	q->nr_waiting -= frames;
	nb_self->waiting_total -= frames;
	q->rx_progress_ms = nb_self->now_ms;
	if (held >= 0)
		sdrv_grant_release(plat(q), rel, nrel);
	sdrv_ring_back_produce(&q->rx, nslots); /* written in place above */
	rte_pktmbuf_free_bulk(done, frames);
	/* Not for grants kept (pins.c): their entries are not touched
	 * again, and their pages' lines are this CPU's but for those the
	 * guest read, which came no sooner for asking (measured: no gain
	 * into a guest that reads each frame's header, 8 % lost into one
	 * that reads none). */
	if (!q->pins)
		prefetch_posted(q, &q->rx, true);
	return frames;
}

/* Let go of what waits for @q (on its worker, or on the main lcore under
 * the world lock). */
static void drop_waiting(struct nb_queue *q)
{
	nb_worker(nb_queue_worker(q->vif->opt, q->index))->waiting_total -=
		q->nr_waiting;
	while (q->nr_waiting) {
		rte_pktmbuf_free(q->waiting[q->wait_head]);
		q->wait_head = (q->wait_head + 1) % NB_RX_WAITING;
		q->nr_waiting--;
	}
}

/* The guest took nothing for NB_RX_STALL_MS: drop what waits (counted
 * starved) and every frame for it until it posts a buffer. */
static void stall(struct nb_queue *q)
{
	q->stats.rx_dropped += q->nr_waiting;
	drop_waiting(q);
	q->rx_stalled = true;
	q->stats.rx_stalls++;
	if (q->vif->opt->verbose)
		fprintf(stderr, "netback-dpdk: %s: no receive buffer for %u ms: "
			"its frames are dropped until it posts some\n",
			q->name, NB_RX_STALL_MS);
}

static unsigned deliver_waiting(struct nb_queue *q)
{
	unsigned n = 0, got;

	/* Stalled first: a guest back after the stall gets only what came
	 * after it, never frames it left waiting for seconds. */
	if (q->nr_waiting && nb_queue_rx_stall_in_ms(q) == 0)
		stall(q);
	while (q->nr_waiting && !vif_disabled(q->vif) &&
	       (got = deliver_burst(q)) != 0)
		n += got;
	return n;
}

int nb_queue_rx_stall_in_ms(const struct nb_queue *q)
{
	uint64_t since = nb_self->now_ms - q->rx_progress_ms;

	if (!q->nr_waiting)
		return -1;
	return since >= NB_RX_STALL_MS ? 0 : (int)(NB_RX_STALL_MS - since);
}

/* Queue @m for @q's posted receive buffers (on @q's own worker): copied a
 * burst at a time, when NB_BURST wait or at the round's end
 * (nb_queue_flush()).  With no buffer posted, up to NB_RX_WAITING frames
 * wait for the guest to post some; beyond, @m is dropped and counted. */
static void queue_deliver(struct nb_queue *q, struct rte_mbuf *m)
{
	struct nb_worker *w = nb_self;

	/* Stalled: dropped until the guest posts a buffer again. */
	if (q->rx_stalled) {
		if (!sdrv_ring_back_pending(&q->rx)) {
			q->stats.rx_dropped++;
			rte_pktmbuf_free(m);
			return;
		}
		q->rx_stalled = false;
	}
	/* Queued, in order, and copied a burst at a time (a full burst at
	 * once; the rest at the round's end, nb_queue_flush()). */
	if (q->nr_waiting == NB_RX_WAITING || w->waiting_total == NB_RX_WAITING_TOTAL) {
		deliver_waiting(q);
		if (q->nr_waiting == NB_RX_WAITING ||
		    w->waiting_total == NB_RX_WAITING_TOTAL) {
			q->stats.rx_dropped++;
			rte_pktmbuf_free(m);
			return;
		}
	}
	if (!q->nr_waiting)
		q->rx_progress_ms = w->now_ms;
	q->waiting[(q->wait_head + q->nr_waiting) % NB_RX_WAITING] = m;
	q->nr_waiting++;
	w->waiting_total++;
	if (q->nr_waiting % NB_BURST == 0)
		deliver_waiting(q);
}

void nb_vif_deliver(struct nb_vif *v, struct rte_mbuf *m)
{
	struct nb_worker *w = nb_self;
	struct nb_queue *q;

	/* One slot a frame unless the guest asked for feature-sg: a longer
	 * one cannot go. */
	if (vif_disabled(v) ||
	    (!is_gso(m) && rte_pktmbuf_pkt_len(m) > (v->sg ? NB_MAX_FRAME : SDRV_PAGE_SIZE))) {
		__atomic_fetch_add(&v->deliver_dropped, !vif_disabled(v),
				   __ATOMIC_RELAXED);
		rte_pktmbuf_free(m);
		return;
	}
	if (!mcast_wanted(v, m)) {
		rte_pktmbuf_free(m);
		return;
	}
	q = &v->queues[w->index % v->nr_queues];
	if (nb_queue_worker(v->opt, q->index) == w->index) {
		queue_deliver(q, m);
		return;
	}
	/* Another worker's queue: its inbox (a full one drops), and that
	 * worker woken if it sleeps. */
	NB_HANDOFF_RELEASE(q->inbox);
	if (rte_ring_mp_enqueue(q->inbox, m)) {
		__atomic_fetch_add(&v->deliver_dropped, 1, __ATOMIC_RELAXED);
		rte_pktmbuf_free(m);
		return;
	}
	nb_worker_nudge(nb_queue_worker(v->opt, q->index));
}

bool nb_queue_rx_waiting(struct nb_queue *q)
{
	if (!q->nr_waiting || vif_disabled(q->vif))
		return false;
	/* Buffers enough for the first frame waiting: deliver, do not
	 * sleep.  Else ask the guest to notify when it posts more; true
	 * if it just did. */
	return sdrv_ring_back_final_check_for(&q->rx,
					      rx_requests_for(q->waiting[q->wait_head]));
}

void nb_queue_drop_waiting(struct nb_queue *q)
{
	struct rte_mbuf *m;

	drop_waiting(q);
	while (q->inbox && rte_ring_sc_dequeue(q->inbox, (void **)&m) == 0) {
		NB_HANDOFF_ACQUIRE(q->inbox);
		rte_pktmbuf_free(m);
	}
	q->rx_stalled = false;
}

unsigned nb_queue_flush(struct nb_queue *q)
{
	unsigned delivered;
	bool tx, rx;

	if (q->inbox && !rte_ring_empty(q->inbox)) {
		struct rte_mbuf *in[NB_BURST];
		unsigned n;

		while ((n = rte_ring_sc_dequeue_burst(q->inbox, (void **)in,
						      NB_BURST, NULL)) != 0) {
			NB_HANDOFF_ACQUIRE(q->inbox);
			for (unsigned i = 0; i < n; i++)
				queue_deliver(q, in[i]);
		}
	}
	delivered = deliver_waiting(q);
	/* What still waits for the guest's buffers may wait for seconds:
	 * not on another guest's slots (a loan becomes a copy). */
	for (unsigned i = 0; i < q->nr_waiting; i++) {
		struct rte_mbuf **m = &q->waiting[(q->wait_head + i) % NB_RX_WAITING];
		struct rte_mbuf *c;

		if (nb_is_loan(*m) && (c = nb_loan_settle(*m, q->vif->opt->pool)) != NULL)
			*m = c;
	}
	nb_loans_reap(q->loans);
	tx = sdrv_ring_back_push(&q->tx);
	rx = sdrv_ring_back_push(&q->rx);
	if (q->tx_port == q->rx_port) {
		if (tx || rx)
			sdrv_evtchn_notify(plat(q), q->tx_port);
	} else {
		if (tx)
			sdrv_evtchn_notify(plat(q), q->tx_port);
		if (rx)
			sdrv_evtchn_notify(plat(q), q->rx_port);
	}
	return delivered;
}

bool nb_queue_tx_pending(struct nb_queue *q)
{
	if (vif_disabled(q->vif))
		return false;
	/* Waiting for credit: the worker may sleep until it comes. */
	if (nb_queue_credit_in_ms(q) > 0)
		return false;
	if (q->inbox && !rte_ring_empty(q->inbox))
		return true;
	if (nb_loans_returned(q->loans))
		return true;
	if (sdrv_ring_back_pending(&q->tx))
		return true;
	return sdrv_ring_back_final_check(&q->tx);
}
