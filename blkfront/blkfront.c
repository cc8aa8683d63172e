/* SPDX-License-Identifier: MIT */
/*
 * blkfront: the guest side of blkif.  Freestanding (no libc): memory from
 * the platform, strings through XenBus.
 *
 * Each request in flight has a shadow: the caller's request, the grants of
 * its pages, its queue.  The id on the wire is the shadow's index with a
 * generation above it, so a response naming a shadow not in flight, on
 * another queue, or answered already (even if the shadow was reused since)
 * is told apart from a good one, and breaks the device.
 */
#include <splitdrv/blkfront.h>
#include <splitdrv/platform.h>
#include <splitdrv/xenbus_driver.h>

#define BF_MAX_QUEUES 4u
#define BF_MAX_SEGS 32u
#define BF_DEFAULT_ORDER 3u
#define SECT 512u
#define SEGS_PER_PAGE (SDRV_PAGE_SIZE / sizeof(struct sdrv_blkif_segment))

struct bf_shadow {
	struct sdrv_blkfront_req *req; /* NULL: free */
	uint32_t gen;
	uint32_t next_free;
	uint16_t nr_grefs;
	uint8_t queue;
	bool failed; /* to complete -SDRV_EIO: could not be sent again */
	sdrv_grant_ref_t grefs[BF_MAX_SEGS];
	struct sdrv_blkif_segment *indirect; /* a page, granted once */
	sdrv_grant_ref_t indirect_gref;
	/* The request as it went on the ring, to send it again on a new
	 * ring after the backend came back (its pages stay granted). */
	union sdrv_blkif_slot wire;
};

struct bf_queue {
	struct sdrv_xenbus_ring ring;
	struct sdrv_ring_front front;
	sdrv_evtchn_port_t port;
	bool ready;
};

struct sdrv_blkfront {
	struct sdrv_xenbus_device dev; /* bus-less: ours alone */
	struct sdrv_platform *p;
	struct sdrv_blkfront_info info;
	struct bf_queue q[BF_MAX_QUEUES];
	struct bf_shadow *shadow;
	uint32_t shadow_pages;
	uint32_t nr_shadow, free_head, in_flight;
	uint32_t fail_cursor; /* broken: next shadow to fail */
	uint32_t nr_failed; /* shadows marked failed */
	unsigned next_queue;
	const char *broken;
	struct sdrv_blkfront_config cfg; /* what the caller asked for */
	/* The backend left Connected (it restarted, or closed): reconnect
	 * from sdrv_blkfront_complete(). */
	bool backend_left;
	uint64_t checked_ms; /* when its state was last read */
};

#define NONE UINT32_MAX

static void zero(void *p, size_t n)
{
	volatile unsigned char *c = p; /* not a memset call */

	while (n--)
		*c++ = 0;
}

/* ---- handshake ---------------------------------------------------------- */

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/* What both sides agree on: the least of the backend's @offer, what we
 * support, and what the caller wants (@want 0: @dflt). */
static unsigned agree(uint64_t offer, unsigned supported, unsigned want,
		      unsigned dflt)
{
	unsigned v = min_u(want ? want : dflt, supported);

	return offer < v ? (unsigned)offer : v;
}

/* The backend's offer, read with bounds.  On a reconnect the shadows
 * are already sized: nothing may grow beyond what was agreed first. */
static int read_offer(struct sdrv_blkfront *bf, bool reconnect)
{
	const struct sdrv_blkfront_config *cfg = &bf->cfg;
	struct sdrv_xenbus_dev *xb = &bf->dev.xb;
	struct sdrv_blkfront_info *in = &bf->info;
	uint64_t v, order, queues, indirect, info;
	int err;

	err = sdrv_xenbus_read_bounded(xb, true, "sectors", 0,
				       UINT64_MAX >> 9, SDRV_XENBUS_REQUIRED,
				       &in->sectors);
	if (!err)
		err = sdrv_xenbus_read_bounded(xb, true, "sector-size", 512,
					       65536, 512, &v);
	if (err || (v & (v - 1)))
		return sdrv_xenbus_device_fail(&bf->dev, -SDRV_EPROTO,
					       "backend's sectors or sector-size");
	in->sector_size = (unsigned)v;
	if (sdrv_xenbus_read_bounded(xb, true, "physical-sector-size", 512,
				     1u << 20, in->sector_size, &v))
		v = in->sector_size;
	in->physical_sector_size = (unsigned)v;
	if (sdrv_xenbus_read_bounded(xb, true, "info", 0, UINT32_MAX, 0, &info))
		info = 0;
	in->readonly = info & 4u;
	/* Optional features: anything but a number in range means "no". */
	if (sdrv_xenbus_read_bounded(xb, true, "max-ring-page-order", 0, 255,
				     0, &order))
		order = 0;
	if (sdrv_xenbus_read_bounded(xb, true, "multi-queue-max-queues", 1,
				     UINT32_MAX, 1, &queues))
		queues = 1;
	if (sdrv_xenbus_read_bounded(xb, true, "feature-max-indirect-segments",
				     0, UINT32_MAX, 0, &indirect))
		indirect = 0;
	in->flush = sdrv_xenbus_read_feature(xb, true, "feature-flush-cache") == 1;
	in->barrier = sdrv_xenbus_read_feature(xb, true, "feature-barrier") == 1;
	in->discard = sdrv_xenbus_read_feature(xb, true, "feature-discard") == 1;
	if (cfg->no_features) {
		order = 0;
		queues = 1;
		indirect = 0;
	}
	if (reconnect) {
		order = min_u((unsigned)(order < 255 ? order : 255),
			      in->ring_order);
		queues = min_u((unsigned)(queues < BF_MAX_QUEUES ? queues
								 : BF_MAX_QUEUES),
			       in->nr_queues);
		if (in->max_segments <= SDRV_BLKIF_MAX_SEGMENTS)
			indirect = 0;
		else if (indirect > in->max_segments)
			indirect = in->max_segments;
	}
	in->ring_order = agree(order, SDRV_XENBUS_MAX_RING_ORDER,
			       cfg->ring_order, BF_DEFAULT_ORDER);
	in->nr_queues = agree(queues, BF_MAX_QUEUES, cfg->nr_queues, 1);
	indirect = agree(indirect, BF_MAX_SEGS, cfg->max_indirect, BF_MAX_SEGS);
	in->max_segments = indirect > SDRV_BLKIF_MAX_SEGMENTS
				   ? (unsigned)indirect
				   : SDRV_BLKIF_MAX_SEGMENTS;
	in->ring_slots = sdrv_blkif_ring_nr_slots((size_t)SDRV_PAGE_SIZE
						  << in->ring_order);
	in->max_request_bytes = in->max_segments * SDRV_PAGE_SIZE;
	return 0;
}

static int alloc_shadows(struct sdrv_blkfront *bf)
{
	uint32_t n = bf->info.ring_slots * bf->info.nr_queues;
	size_t bytes = (size_t)n * sizeof(struct bf_shadow);

	bf->shadow_pages = (uint32_t)((bytes + SDRV_PAGE_SIZE - 1) /
				      SDRV_PAGE_SIZE);
	bf->shadow = sdrv_pages_alloc(bf->p, bf->shadow_pages);
	if (!bf->shadow)
		return -SDRV_ENOMEM;
	bf->nr_shadow = n;
	for (uint32_t i = 0; i < n; i++)
		bf->shadow[i].next_free = i + 1 < n ? i + 1 : NONE;
	bf->free_head = 0;
	if (bf->info.max_segments <= SDRV_BLKIF_MAX_SEGMENTS)
		return 0;
	/* An indirect page per shadow, granted read-only once. */
	for (uint32_t i = 0; i < n; i++) {
		struct bf_shadow *s = &bf->shadow[i];
		int64_t ref;

		s->indirect = sdrv_page_alloc(bf->p);
		if (!s->indirect)
			return -SDRV_ENOMEM;
		ref = sdrv_grant_access(bf->p, bf->dev.xb.backend_domid,
					s->indirect, true);
		if (ref < 0)
			return (int)ref;
		s->indirect_gref = (sdrv_grant_ref_t)ref;
	}
	return 0;
}

static void free_shadows(struct sdrv_blkfront *bf)
{
	if (!bf->shadow)
		return;
	for (uint32_t i = 0; i < bf->nr_shadow; i++) {
		struct bf_shadow *s = &bf->shadow[i];

		if (!s->indirect)
			continue;
		/* Still mapped by the backend: leak rather than reuse. */
		if (!sdrv_grant_end_access(bf->p, s->indirect_gref))
			sdrv_page_free(bf->p, s->indirect);
	}
	sdrv_pages_free(bf->p, bf->shadow, bf->shadow_pages);
	bf->shadow = NULL;
}

static int publish_body(struct sdrv_xs *xs, uint32_t tx, void *arg)
{
	struct sdrv_blkfront *bf = arg;
	struct sdrv_xenbus_dev *xb = &bf->dev.xb;
	int err = 0;

	(void)xs;
	for (unsigned i = 0; !err && i < bf->info.nr_queues; i++) {
		struct bf_queue *q = &bf->q[i];
		char prefix[24];

		err = sdrv_xenbus_queue_prefix(prefix, sizeof(prefix),
					       bf->info.nr_queues, i);
		if (err < 0)
			break;
		/* The ring is granted again on a retried transaction. */
		sdrv_xenbus_ungrant_ring(&bf->dev, &q->ring);
		if (q->port)
			sdrv_evtchn_close(bf->p, q->port);
		q->port = 0;
		err = sdrv_xenbus_grant_ring(&bf->dev, tx, prefix,
					     bf->info.ring_order, &q->ring);
		if (!err)
			err = sdrv_xenbus_alloc_evtchn(&bf->dev, tx, prefix,
						       "event-channel",
						       &q->port);
	}
	if (!err)
		err = bf->info.nr_queues > 1
			      ? sdrv_xenbus_write_uint(xb, tx,
						       "multi-queue-num-queues",
						       bf->info.nr_queues)
			      : sdrv_xenbus_remove_key(xb, tx,
						       "multi-queue-num-queues");
	if (!err)
		err = sdrv_xenbus_write_str(xb, tx, "protocol", "x86_64-abi");
	if (!err)
		err = sdrv_xenbus_write_uint(xb, tx, "feature-persistent", 0);
	return err;
}

static int attach_rings(struct sdrv_blkfront *bf)
{
	for (unsigned i = 0; i < bf->info.nr_queues; i++) {
		struct bf_queue *q = &bf->q[i];
		size_t bytes = (size_t)SDRV_PAGE_SIZE << bf->info.ring_order;
		int err = sdrv_ring_sring_init(q->ring.addr, bytes);

		if (!err)
			err = sdrv_blkif_front_attach(&q->front, q->ring.addr,
						      bytes, 0);
		if (err)
			return err;
		q->ready = true;
	}
	return 0;
}

/* Let go of every queue's ring and port (a ring page the backend still
 * maps is leaked, never reused). */
static void drop_rings(struct sdrv_blkfront *bf)
{
	for (unsigned i = 0; i < BF_MAX_QUEUES; i++) {
		struct bf_queue *q = &bf->q[i];

		if (q->port)
			sdrv_evtchn_close(bf->p, q->port);
		q->port = 0;
		sdrv_xenbus_ungrant_ring(&bf->dev, &q->ring);
		q->ready = false;
	}
}

static void release(struct sdrv_blkfront *bf)
{
	drop_rings(bf);
	free_shadows(bf);
	sdrv_xenbus_detach(&bf->dev.xb);
}

/*
 * The XenBus handshake, from Initialising to Connected: on open, and again
 * when the backend came back.  The peer is waited for up to the caller's
 * timeout at each step.
 */
static int handshake(struct sdrv_blkfront *bf, bool reconnect)
{
	int timeout = bf->cfg.timeout_ms ? bf->cfg.timeout_ms : 10000;
	int err, state;

	/* Initialising again after an earlier connection closed: that is
	 * what tells the backend to offer again (InitWait). */
	err = sdrv_xenbus_switch_state(&bf->dev.xb, SDRV_XENBUS_INITIALISING);
	if (err)
		return err;
	state = sdrv_xenbus_wait_peer_state(
		&bf->dev.xb,
		1u << SDRV_XENBUS_INIT_WAIT | 1u << SDRV_XENBUS_CONNECTED,
		timeout);
	err = state < 0 ? state : 0;
	if (!err)
		err = read_offer(bf, reconnect);
	if (!err && !bf->shadow)
		err = alloc_shadows(bf);
	if (!err)
		err = sdrv_xs_transaction_run(bf->dev.xb.xs, publish_body, bf,
					      8);
	if (!err)
		err = attach_rings(bf);
	if (!err)
		err = sdrv_xenbus_switch_state(&bf->dev.xb,
					       SDRV_XENBUS_INITIALISED);
	if (!err) {
		state = sdrv_xenbus_wait_peer_state(
			&bf->dev.xb,
			1u << SDRV_XENBUS_CONNECTED | 1u << SDRV_XENBUS_CLOSING |
				1u << SDRV_XENBUS_CLOSED,
			timeout);
		err = state < 0 ? state
				: state == SDRV_XENBUS_CONNECTED ? 0
								 : -SDRV_EPROTO;
	}
	/* The size may change up to Connected (Linux reads it again). */
	if (!err && sdrv_xenbus_read_bounded(&bf->dev.xb, true, "sectors", 0,
					     UINT64_MAX >> 9,
					     SDRV_XENBUS_REQUIRED,
					     &bf->info.sectors))
		err = -SDRV_EPROTO;
	if (!err)
		err = sdrv_xenbus_switch_state(&bf->dev.xb,
					       SDRV_XENBUS_CONNECTED);
	return err;
}

SDRV_PUBLIC int sdrv_blkfront_open(struct sdrv_platform *p, struct sdrv_xs *xs,
				   uint32_t devid,
				   const struct sdrv_blkfront_config *cfg,
				   struct sdrv_blkfront **out)
{
	struct sdrv_blkfront *bf;
	int err;

	SDRV_STATIC_ASSERT(sizeof(struct sdrv_blkfront) <= SDRV_PAGE_SIZE,
			   "blkfront fits a page");
	bf = sdrv_page_alloc(p);
	if (!bf)
		return -SDRV_ENOMEM;
	bf->p = p;
	bf->dev.platform = p;
	if (cfg)
		sdrv_copy(&bf->cfg, cfg, sizeof(*cfg));
	err = sdrv_xenbus_attach(&bf->dev.xb, xs, false, sdrv_platform_domid(p),
				 0, "vbd", devid);
	if (!err)
		err = handshake(bf, false);
	if (!err) {
		bf->checked_ms = sdrv_platform_clock_ms(p);
		*out = bf;
		return 0;
	}
	if (bf->dev.xb.xs)
		sdrv_xenbus_switch_state(&bf->dev.xb, SDRV_XENBUS_CLOSED);
	release(bf);
	sdrv_page_free(p, bf);
	return err;
}

SDRV_PUBLIC const struct sdrv_blkfront_info *
sdrv_blkfront_info(const struct sdrv_blkfront *bf)
{
	return &bf->info;
}

SDRV_PUBLIC const char *sdrv_blkfront_broken(const struct sdrv_blkfront *bf)
{
	return bf->broken;
}

SDRV_PUBLIC unsigned sdrv_blkfront_in_flight(const struct sdrv_blkfront *bf)
{
	return bf->in_flight;
}

/* ---- requests ----------------------------------------------------------- */

static void end_grants(struct sdrv_blkfront *bf, struct bf_shadow *s)
{
	for (uint16_t i = 0; i < s->nr_grefs; i++)
		if (sdrv_grant_end_access(bf->p, s->grefs[i]) && !bf->broken)
			/* The backend still maps a page it answered
			 * for: it may write it later; the caller must
			 * not trust the buffer. */
			bf->broken = "backend kept a page mapped after answering";
	s->nr_grefs = 0;
}

static void put_shadow(struct sdrv_blkfront *bf, uint32_t i)
{
	bf->shadow[i].req = NULL;
	bf->shadow[i].next_free = bf->free_head;
	bf->free_head = i;
	bf->in_flight--;
}

/* Grant each page of @req's buffer into @s; the segments into @seg. */
static int grant_pages(struct sdrv_blkfront *bf, struct bf_shadow *s,
		       const struct sdrv_blkfront_req *req,
		       struct sdrv_blkif_segment *seg)
{
	uintptr_t at = (uintptr_t)req->buf;
	uint32_t left = req->len;
	bool ro = req->operation == SDRV_BLKIF_OP_WRITE;

	s->nr_grefs = 0;
	while (left) {
		uintptr_t page = at & ~(uintptr_t)(SDRV_PAGE_SIZE - 1);
		uint32_t off = (uint32_t)(at - page);
		uint32_t chunk = SDRV_PAGE_SIZE - off < left
					 ? SDRV_PAGE_SIZE - off
					 : left;
		int64_t ref;

		if (s->nr_grefs == bf->info.max_segments)
			return -SDRV_E2BIG;
		ref = sdrv_grant_access(bf->p, bf->dev.xb.backend_domid,
					(void *)page, ro);
		if (ref < 0)
			return ref == -SDRV_EINVAL ? -SDRV_EINVAL : (int)ref;
		seg[s->nr_grefs].gref = (sdrv_grant_ref_t)ref;
		seg[s->nr_grefs].first_sect = (uint8_t)(off / SECT);
		seg[s->nr_grefs].last_sect = (uint8_t)((off + chunk) / SECT - 1);
		s->grefs[s->nr_grefs++] = (sdrv_grant_ref_t)ref;
		at += chunk;
		left -= chunk;
	}
	return 0;
}

static int check(const struct sdrv_blkfront *bf,
		 const struct sdrv_blkfront_req *req)
{
	const struct sdrv_blkfront_info *in = &bf->info;

	if (bf->broken)
		return -SDRV_EIO;
	switch (req->operation) {
	case SDRV_BLKIF_OP_READ:
	case SDRV_BLKIF_OP_WRITE:
		if (!req->len || req->len % SECT || (uintptr_t)req->buf % SECT)
			return -SDRV_EINVAL;
		if (req->len > in->max_request_bytes)
			return -SDRV_E2BIG;
		if (req->operation == SDRV_BLKIF_OP_WRITE && in->readonly)
			return -SDRV_EROFS;
		break;
	case SDRV_BLKIF_OP_FLUSH_DISKCACHE:
		return in->flush ? 0 : -SDRV_EOPNOTSUPP;
	case SDRV_BLKIF_OP_DISCARD:
		if (!in->discard)
			return -SDRV_EOPNOTSUPP;
		if (in->readonly)
			return -SDRV_EROFS;
		break;
	default:
		return -SDRV_EINVAL;
	}
	if (req->sector > in->sectors ||
	    req->len / SECT > in->sectors - req->sector)
		return -SDRV_EINVAL;
	return 0;
}

SDRV_PUBLIC int sdrv_blkfront_submit(struct sdrv_blkfront *bf,
				     struct sdrv_blkfront_req *req)
{
	union sdrv_blkif_slot slot;
	struct sdrv_blkif_segment seg[BF_MAX_SEGS];
	struct bf_queue *q;
	struct bf_shadow *s;
	uint32_t i;
	int err = check(bf, req);

	if (err)
		return err;
	q = &bf->q[bf->next_queue];
	if (!sdrv_ring_front_free(&q->front) || bf->free_head == NONE)
		return -SDRV_EAGAIN;
	i = bf->free_head;
	s = &bf->shadow[i];
	zero(&slot, sizeof(slot));
	if (req->operation == SDRV_BLKIF_OP_DISCARD) {
		struct sdrv_blkif_request_discard *d = (void *)&slot;

		d->operation = SDRV_BLKIF_OP_DISCARD;
		d->sector_number = req->sector;
		d->nr_sectors = req->len / SECT;
		s->nr_grefs = 0;
	} else if (req->operation == SDRV_BLKIF_OP_FLUSH_DISKCACHE) {
		slot.req.operation = req->operation;
		slot.req.sector_number = req->sector;
		s->nr_grefs = 0;
	} else {
		err = grant_pages(bf, s, req, seg);
		if (err) {
			end_grants(bf, s);
			return err;
		}
		if (s->nr_grefs <= SDRV_BLKIF_MAX_SEGMENTS) {
			slot.req.operation = req->operation;
			slot.req.nr_segments = (uint8_t)s->nr_grefs;
			slot.req.sector_number = req->sector;
			sdrv_copy(slot.req.seg, seg,
				  s->nr_grefs * sizeof(seg[0]));
		} else {
			struct sdrv_blkif_request_indirect *ind = (void *)&slot;

			ind->operation = SDRV_BLKIF_OP_INDIRECT;
			ind->indirect_op = req->operation;
			ind->nr_segments = s->nr_grefs;
			ind->sector_number = req->sector;
			ind->indirect_grefs[0] = s->indirect_gref;
			sdrv_copy(s->indirect, seg,
				  s->nr_grefs * sizeof(seg[0]));
		}
	}
	/* The id sits at offset 8 in every layout; the handle at 2, but
	 * at 24 in an indirect request (where 2 is its segment count). */
	s->gen++;
	slot.req.id = (uint64_t)s->gen << 32 | i;
	if (slot.req.operation == SDRV_BLKIF_OP_INDIRECT)
		((struct sdrv_blkif_request_indirect *)&slot)->handle =
			(uint16_t)bf->dev.xb.devid;
	else
		slot.req.handle = (uint16_t)bf->dev.xb.devid;
	if (sdrv_blkif_front_put_requests(&q->front, &slot.req, 1) != 1) {
		end_grants(bf, s);
		return -SDRV_EAGAIN;
	}
	sdrv_copy(&s->wire, &slot, sizeof(slot));
	bf->free_head = s->next_free;
	s->req = req;
	s->queue = (uint8_t)bf->next_queue;
	bf->in_flight++;
	bf->next_queue = (bf->next_queue + 1) % bf->info.nr_queues;
	return 0;
}

SDRV_PUBLIC void sdrv_blkfront_kick(struct sdrv_blkfront *bf)
{
	for (unsigned i = 0; i < bf->info.nr_queues; i++)
		if (bf->q[i].ready && sdrv_ring_front_push(&bf->q[i].front))
			sdrv_evtchn_notify(bf->p, bf->q[i].port);
}

static void break_device(struct sdrv_blkfront *bf, const char *why)
{
	if (bf->broken)
		return;
	bf->broken = why;
	bf->fail_cursor = 0; /* every request in flight fails now */
}

/* Fail what is in flight (a broken device), or what is marked failed, a
 * few at a time. */
static unsigned fail_some(struct sdrv_blkfront *bf,
			  struct sdrv_blkfront_req **done, unsigned max)
{
	unsigned n = 0;

	if (!bf->broken && !bf->nr_failed)
		return 0;
	for (; bf->fail_cursor < bf->nr_shadow && n < max; bf->fail_cursor++) {
		struct bf_shadow *s = &bf->shadow[bf->fail_cursor];

		if (!s->req || (!bf->broken && !s->failed))
			continue;
		if (s->failed)
			bf->nr_failed--;
		s->failed = false;
		end_grants(bf, s);
		s->req->status = -SDRV_EIO;
		done[n++] = s->req;
		put_shadow(bf, bf->fail_cursor);
	}
	if (bf->fail_cursor == bf->nr_shadow && !bf->broken)
		bf->fail_cursor = 0; /* all marked ones are done */
	return n;
}

static unsigned take_queue(struct sdrv_blkfront *bf, unsigned qi,
			   struct sdrv_blkfront_req **done, unsigned max)
{
	struct bf_queue *q = &bf->q[qi];
	struct sdrv_blkif_response rsp[32];
	unsigned n = 0;

	while (n < max && !bf->broken) {
		uint32_t got = sdrv_blkif_front_take_responses(
			&q->front, rsp, min_u(32, max - n));

		if (sdrv_ring_front_fault(&q->front)) {
			break_device(bf, "backend's response index out of range");
			break;
		}
		if (!got) {
			if (!sdrv_ring_front_final_check(&q->front))
				break;
			continue;
		}
		for (uint32_t k = 0; k < got; k++) {
			uint32_t i = (uint32_t)rsp[k].id;
			struct bf_shadow *s = i < bf->nr_shadow ? &bf->shadow[i]
								: NULL;

			if (!s || !s->req || s->gen != (uint32_t)(rsp[k].id >> 32) ||
			    s->queue != qi) {
				break_device(bf, "response for a request not in flight");
				break;
			}
			end_grants(bf, s);
			s->req->status = rsp[k].status == SDRV_BLKIF_RSP_OKAY ? 0
					 : rsp[k].status == SDRV_BLKIF_RSP_EOPNOTSUPP
						 ? -SDRV_EOPNOTSUPP
						 : -SDRV_EIO;
			done[n++] = s->req;
			put_shadow(bf, i);
		}
	}
	return n;
}

/* ---- the backend going away and coming back ---------------------------- */

/*
 * Put every request in flight on the new rings, as it was sent but with a
 * new generation in its id (an answer from the old ring can never match).
 * Its pages stayed granted.  A request the new agreement cannot carry (the
 * backend came back offering fewer segments, or a smaller ring) is marked
 * to fail with -SDRV_EIO.
 */
static void reissue(struct sdrv_blkfront *bf)
{
	for (uint32_t i = 0; i < bf->nr_shadow; i++) {
		struct bf_shadow *s = &bf->shadow[i];
		struct bf_queue *q;

		if (!s->req)
			continue;
		q = &bf->q[bf->next_queue];
		s->gen++;
		s->wire.req.id = (uint64_t)s->gen << 32 | i;
		if (s->nr_grefs > bf->info.max_segments ||
		    sdrv_blkif_front_put_requests(&q->front, &s->wire.req, 1) !=
			    1) {
			s->failed = true;
			bf->nr_failed++;
			continue;
		}
		s->queue = (uint8_t)bf->next_queue;
		bf->next_queue = (bf->next_queue + 1) % bf->info.nr_queues;
		bf->info.reissued++;
	}
	sdrv_blkfront_kick(bf);
}

/*
 * The backend left Connected.  A new backend process (the old one died)
 * waits in InitWait: connect to it afresh.  A backend that is closing
 * first finishes the Closing/Closed exchange, which is when it lets go of
 * our pages, and is then invited back by Initialising.
 */
static void reconnect(struct sdrv_blkfront *bf)
{
	int timeout = bf->cfg.timeout_ms ? bf->cfg.timeout_ms : 10000;
	int state = sdrv_xenbus_read_state(&bf->dev.xb, true);

	bf->backend_left = false;
	if (state == SDRV_XENBUS_CLOSING || state == SDRV_XENBUS_CLOSED) {
		sdrv_xenbus_switch_state(&bf->dev.xb, SDRV_XENBUS_CLOSING);
		sdrv_xenbus_wait_peer_state(&bf->dev.xb,
					    1u << SDRV_XENBUS_CLOSED |
						    1u << SDRV_XENBUS_UNKNOWN,
					    timeout);
		sdrv_xenbus_switch_state(&bf->dev.xb, SDRV_XENBUS_CLOSED);
	}
	drop_rings(bf);
	bf->next_queue = 0;
	if (handshake(bf, true)) {
		break_device(bf, "the backend did not come back");
		return;
	}
	bf->info.reconnects++;
	reissue(bf);
}

/* Whether the backend left Connected; XenStore is asked at most every
 * BF_CHECK_MS, and only while requests wait. */
#define BF_CHECK_MS 100u
static bool backend_left(struct sdrv_blkfront *bf)
{
	uint64_t now = sdrv_platform_clock_ms(bf->p);
	int state;

	if (bf->backend_left)
		return true;
	if (!bf->in_flight || bf->broken || now - bf->checked_ms < BF_CHECK_MS)
		return false;
	bf->checked_ms = now;
	state = sdrv_xenbus_read_state(&bf->dev.xb, true);
	if (state == SDRV_XENBUS_CONNECTED)
		return false;
	if (state == SDRV_XENBUS_UNKNOWN) {
		/* Its directory went (the toolstack detached the disk) or
		 * holds garbage. */
		break_device(bf, "the backend's state is gone or garbage");
		return false;
	}
	bf->backend_left = true;
	return true;
}

SDRV_PUBLIC unsigned sdrv_blkfront_complete(struct sdrv_blkfront *bf,
					    struct sdrv_blkfront_req **done,
					    unsigned max)
{
	unsigned n = 0;

	for (unsigned qi = 0; qi < bf->info.nr_queues && n < max; qi++)
		n += take_queue(bf, qi, done + n, max - n);
	/* What the old rings answered is good; the rest goes again. */
	if (!n && bf->backend_left && !bf->broken)
		reconnect(bf);
	if (n < max)
		n += fail_some(bf, done + n, max - n);
	return n;
}

static int wait_ports(struct sdrv_blkfront *bf, int timeout_ms)
{
	sdrv_evtchn_port_t ports[BF_MAX_QUEUES];
	int n;

	if (bf->info.nr_queues == 1)
		return sdrv_evtchn_wait_port(bf->p, bf->q[0].port, timeout_ms);
	n = sdrv_evtchn_wait(bf->p, ports, BF_MAX_QUEUES, timeout_ms);
	return n < 0 ? n : n > 0;
}

SDRV_PUBLIC int sdrv_blkfront_wait(struct sdrv_blkfront *bf, int timeout_ms)
{
	uint64_t start = sdrv_platform_clock_ms(bf->p);

	for (bool first = true;; first = false) {
		uint64_t spent = sdrv_platform_clock_ms(bf->p) - start;
		int slice = BF_CHECK_MS, r;

		if (backend_left(bf) || bf->nr_failed)
			return 1; /* sdrv_blkfront_complete() has work */
		if (timeout_ms >= 0) {
			uint64_t left = spent >= (uint64_t)timeout_ms
						? 0
						: (uint64_t)timeout_ms - spent;

			if (!left && !first)
				return 0;
			if (left < BF_CHECK_MS)
				slice = (int)left;
		}
		r = wait_ports(bf, slice);
		if (r)
			return r;
	}
}

SDRV_PUBLIC void sdrv_blkfront_close(struct sdrv_blkfront *bf)
{
	if (!bf)
		return;
	sdrv_xenbus_switch_state(&bf->dev.xb, SDRV_XENBUS_CLOSING);
	sdrv_xenbus_wait_peer_state(&bf->dev.xb,
				    1u << SDRV_XENBUS_CLOSING |
					    1u << SDRV_XENBUS_CLOSED |
					    1u << SDRV_XENBUS_UNKNOWN,
				    5000);
	sdrv_xenbus_switch_state(&bf->dev.xb, SDRV_XENBUS_CLOSED);
	for (uint32_t i = 0; bf->shadow && i < bf->nr_shadow; i++)
		if (bf->shadow[i].req)
			end_grants(bf, &bf->shadow[i]);
	release(bf);
	sdrv_page_free(bf->p, bf);
}
