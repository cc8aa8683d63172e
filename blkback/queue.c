/* SPDX-License-Identifier: MIT */
/*
 * One queue of a vbd: requests off the ring, checked, the I/O on io_uring
 * straight into the guest's pages, held (pinned) for the I/O's life, or,
 * where grants cannot be held (or no hold is free), through bounce pages
 * with grant copies; responses back.
 *
 * Resources are bounded when the queue connects: a tag per ring slot (an
 * I/O in flight), a pool of bounce pages.  A pass takes only as many
 * requests as it can start; the rest stay on the ring until completions
 * free what they need, so a guest can never make us allocate.
 */
#include "blkback.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define PASS_MAX 32u
#define MAX_PORTS 4096u /* hv-stub's largest --max-ports */

static struct bb_queue *port_map[MAX_PORTS];

struct bb_queue *bb_queue_of_port(sdrv_evtchn_port_t port)
{
	return port < MAX_PORTS ? port_map[port] : NULL;
}
 /* requests taken per pass */
#define SECT_SHIFT 9

struct bb_io {
	struct bb_plan plan;
	uint32_t pages[BB_MAX_SEGMENTS + 1]; /* pool indices; +1: indirect */
	uint32_t nr_pages;
	struct iovec iov[BB_MAX_SEGMENTS];
	int pending; /* CQEs still to come */
	int16_t status;
	bool held; /* zero copy: holds[] pin the guest's pages */
	struct sdrv_grant_hold holds[BB_MAX_SEGMENTS];
};

static void *page_at(struct bb_queue *q, uint32_t i)
{
	return (char *)q->pool + (size_t)i * SDRV_PAGE_SIZE;
}

static struct sdrv_platform *plat(struct bb_queue *q)
{
	return q->vbd->dev->platform;
}

/* ---- resources ---------------------------------------------------------- */

static void io_release(struct bb_queue *q, uint32_t tag)
{
	struct bb_io *io = &q->ios[tag];

	/* Before the answer goes out: the guest ends access when it reads
	 * it, and a page still pinned then is a backend that lies. */
	if (io->held)
		sdrv_grant_release(plat(q), io->holds, io->plan.nr_segs);
	io->held = false;
	for (uint32_t i = 0; i < io->nr_pages; i++)
		q->free_pages[q->nr_free_pages++] = io->pages[i];
	io->nr_pages = 0;
	q->free_tags[q->nr_free_tags++] = tag;
}

static uint32_t io_alloc(struct bb_queue *q, uint32_t nr_pages)
{
	uint32_t tag = q->free_tags[--q->nr_free_tags];
	struct bb_io *io = &q->ios[tag];

	for (uint32_t i = 0; i < nr_pages; i++)
		io->pages[i] = q->free_pages[--q->nr_free_pages];
	io->nr_pages = nr_pages;
	io->pending = 0;
	io->status = SDRV_BLKIF_RSP_OKAY;
	io->held = false;
	return tag;
}

/*
 * Zero copy: hold every data page of @io's request (read-only for a
 * write: we only read it) and give its bounce pages back.  Return: 1 held;
 * 0 not held (copy instead: no holds here, or none free now); -1 a grant
 * is bad (the request is answered ERROR, as its copy would have been).
 */
static int hold_pages(struct bb_queue *q, struct bb_io *io)
{
	const struct bb_plan *plan = &io->plan;
	int r;

	for (uint32_t i = 0; i < plan->nr_segs; i++) {
		io->holds[i].granter = q->vbd->dev->xb.frontend_domid;
		io->holds[i].ref = plan->seg[i].gref;
		io->holds[i].readonly = plan->kind == BB_WRITE;
	}
	r = sdrv_grant_hold(plat(q), io->holds, plan->nr_segs);
	if (r == -EOPNOTSUPP)
		q->zero_copy = false; /* and never again on this queue */
	if (r < 0)
		return 0;
	if (r > 0) { /* release what did hold */
		for (uint32_t i = 0; i < plan->nr_segs; i++)
			if (io->holds[i].status != SDRV_GNTST_okay)
				io->holds[i].page = NULL;
		sdrv_grant_release(plat(q), io->holds, plan->nr_segs);
		return -1;
	}
	io->held = true;
	/* The data's bounce pages go back; an indirect request's page (the
	 * one past them: plan->indirect is cleared once it was read) stays,
	 * first. */
	for (uint32_t i = 0; i < plan->nr_segs; i++)
		q->free_pages[q->nr_free_pages++] = io->pages[i];
	if (io->nr_pages > plan->nr_segs)
		io->pages[0] = io->pages[plan->nr_segs];
	io->nr_pages -= plan->nr_segs;
	q->vbd->stats.zero_copy++;
	return 1;
}

static void free_resources(struct bb_queue *q)
{
	sdrv_pages_free(plat(q), q->pool, q->pool_pages);
	q->pool = NULL;
	free(q->ios);
	free(q->free_tags);
	free(q->free_pages);
	q->ios = NULL;
	q->free_tags = q->free_pages = NULL;
}

static int alloc_resources(struct bb_queue *q, uint32_t nr_tags)
{
	uint32_t pages = q->vbd->opt->pool_pages;

	q->ios = calloc(nr_tags, sizeof(*q->ios));
	q->free_tags = calloc(nr_tags, sizeof(uint32_t));
	q->free_pages = calloc(pages, sizeof(uint32_t));
	/* Bounce pages are our domain's memory: grant copies name them by
	 * frame.  Fewer than asked is fine down to one request's worth. */
	while (!(q->pool = sdrv_pages_alloc(plat(q), pages)) &&
	       pages > 2 * (BB_MAX_SEGMENTS + 1))
		pages /= 2;
	if (!q->ios || !q->free_tags || !q->free_pages || !q->pool) {
		free_resources(q);
		return -ENOMEM;
	}
	q->pool_pages = pages;
	q->nr_tags = q->nr_free_tags = nr_tags;
	for (uint32_t i = 0; i < nr_tags; i++)
		q->free_tags[i] = nr_tags - 1 - i;
	q->nr_free_pages = pages;
	for (uint32_t i = 0; i < pages; i++)
		q->free_pages[i] = pages - 1 - i;
	return 0;
}

/* ---- grant copies ------------------------------------------------------- */

/* One copy per segment between the guest's grant and our bounce page at
 * the same offset, so that neither side crosses a page. */
static void seg_copy(struct bb_queue *q, struct sdrv_gnttab_copy *c,
		     const struct sdrv_blkif_segment *s, uint32_t page,
		     bool to_guest)
{
	struct sdrv_gnttab_copy_ptr guest = { 0 }, local = { 0 };

	guest.u.ref = s->gref;
	guest.domid = q->vbd->dev->xb.frontend_domid;
	guest.offset = (uint16_t)(s->first_sect << SECT_SHIFT);
	local.u.gmfn = (uint64_t)sdrv_page_frame(plat(q), page_at(q, page));
	local.domid = sdrv_platform_domid(plat(q));
	local.offset = guest.offset;
	c->source = to_guest ? local : guest;
	c->dest = to_guest ? guest : local;
	c->len = (uint16_t)((s->last_sect - s->first_sect + 1u) << SECT_SHIFT);
	c->flags = to_guest ? SDRV_GNTCOPY_dest_gref : SDRV_GNTCOPY_source_gref;
	c->status = 0;
}

/* The grant copies of one pass: every segment of each request added, one
 * call for them all, then each request's statuses read back in the order
 * the requests were added. */
struct copy_batch {
	struct sdrv_gnttab_copy c[PASS_MAX * BB_MAX_SEGMENTS];
	uint32_t n, next;
};

static void batch_add(struct bb_queue *q, struct copy_batch *b,
		      const struct bb_io *io, bool to_guest)
{
	for (uint32_t i = 0; i < io->plan.nr_segs; i++)
		seg_copy(q, &b->c[b->n++], &io->plan.seg[i], io->pages[i],
			 to_guest);
}

static void batch_run(struct bb_queue *q, struct copy_batch *b)
{
	if (b->n)
		sdrv_grant_copy(plat(q), b->c, b->n);
	b->next = 0;
}

/* Whether every copy of @io (the next request added) succeeded. */
static bool batch_ok(struct copy_batch *b, const struct bb_io *io)
{
	bool ok = true;

	for (uint32_t i = 0; i < io->plan.nr_segs; i++)
		if (b->c[b->next++].status != SDRV_GNTST_okay)
			ok = false;
	return ok;
}

/* One batch serves both halves of a pass, one after the other. */
static struct copy_batch batch;

/* An indirect request's segments: copy its indirect pages into our own
 * memory once, then check that copy (the guest may rewrite its pages). */
static int fetch_indirect(struct bb_queue *q, struct bb_io *io,
			  const char **why)
{
	struct bb_plan *plan = &io->plan;
	uint32_t page = io->pages[io->nr_pages - 1];
	struct sdrv_blkif_segment whole = { plan->indirect_grefs[0], 0, 7 };
	struct sdrv_gnttab_copy c;

	/* BB_MAX_SEGMENTS fit one page: only the first indirect page is
	 * ever read, and only as far as the segments go. */
	SDRV_STATIC_ASSERT(BB_MAX_SEGMENTS <= BB_SEGS_PER_INDIRECT_PAGE,
			   "one indirect page");
	seg_copy(q, &c, &whole, page, false);
	c.len = (uint16_t)(plan->nr_segs * sizeof(struct sdrv_blkif_segment));
	if (sdrv_grant_copy(plat(q), &c, 1)) {
		*why = "indirect page not granted to us";
		return SDRV_BLKIF_RSP_ERROR;
	}
	return bb_plan_segments(plan, page_at(q, page), &q->vbd->lim, why);
}

/* ---- io_uring ----------------------------------------------------------- */

static struct io_uring_sqe *sqe_for(struct bb_queue *q, uint32_t tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->uring);

	if (!sqe) { /* full: hand what we have to the kernel, then retry */
		io_uring_submit(&q->uring);
		sqe = io_uring_get_sqe(&q->uring);
	}
	if (sqe) {
		io_uring_sqe_set_data64(sqe, tag);
		q->ios[tag].pending++;
		q->inflight++;
	}
	return sqe;
}

static void build_iov(struct bb_queue *q, struct bb_io *io)
{
	for (uint32_t i = 0; i < io->plan.nr_segs; i++) {
		const struct sdrv_blkif_segment *s = &io->plan.seg[i];

		void *page = io->held ? io->holds[i].page
				      : page_at(q, io->pages[i]);

		io->iov[i].iov_base = (char *)page +
				      ((size_t)s->first_sect << SECT_SHIFT);
		io->iov[i].iov_len = (size_t)(s->last_sect - s->first_sect + 1u)
				     << SECT_SHIFT;
	}
}

/* Queue the I/O of a checked request.  Return: false when io_uring had no
 * room even after a submit (the request is answered ERROR). */
static bool start_io(struct bb_queue *q, uint32_t tag)
{
	struct bb_io *io = &q->ios[tag];
	struct bb_vbd *v = q->vbd;
	struct io_uring_sqe *sqe = sqe_for(q, tag);
	off_t off = (off_t)(io->plan.sector << SECT_SHIFT);

	if (!sqe)
		return false;
	switch (io->plan.kind) {
	case BB_READ:
		build_iov(q, io);
		io_uring_prep_readv(sqe, v->fd, io->iov, io->plan.nr_segs, off);
		break;
	case BB_WRITE:
		build_iov(q, io);
		io_uring_prep_writev(sqe, v->fd, io->iov, io->plan.nr_segs, off);
		if (io->plan.barrier) {
			/* After everything before it; durable before what
			 * comes after: drain, then a linked fdatasync. */
			sqe->flags |= IOSQE_IO_DRAIN | IOSQE_IO_LINK;
			sqe = sqe_for(q, tag);
			if (!sqe)
				return true; /* the write alone still answers */
			io_uring_prep_fsync(sqe, v->fd, IORING_FSYNC_DATASYNC);
		}
		break;
	case BB_FLUSH:
		io_uring_prep_fsync(sqe, v->fd, IORING_FSYNC_DATASYNC);
		if (io->plan.barrier)
			sqe->flags |= IOSQE_IO_DRAIN;
		break;
	case BB_DISCARD:
		if (v->is_blkdev) {
			/* No io_uring op for BLKDISCARD here: a no-op
			 * completes it after the ioctl's result. */
			uint64_t range[2] = { io->plan.sector << SECT_SHIFT,
					      io->plan.nr_sectors << SECT_SHIFT };
			int r = ioctl(v->fd, io->plan.secure ? BLKSECDISCARD
							     : BLKDISCARD,
				      range);

			io_uring_prep_nop(sqe);
			if (r)
				io->status = SDRV_BLKIF_RSP_ERROR;
		} else {
			io_uring_prep_fallocate(
				sqe, v->fd,
				FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
				(off_t)(io->plan.nr_sectors << SECT_SHIFT));
		}
		break;
	}
	return true;
}

/* ---- responses ---------------------------------------------------------- */

struct answers {
	struct sdrv_blkif_response rsp[PASS_MAX * 2];
	uint32_t n;
};

static void answer(struct bb_queue *q, struct answers *a, uint64_t id,
		   uint8_t op, int16_t status)
{
	struct sdrv_blkif_response *r = &a->rsp[a->n++];

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->operation = op;
	r->status = status;
	if (a->n == sizeof(a->rsp) / sizeof(a->rsp[0])) {
		sdrv_blkif_back_put_responses(&q->back, a->rsp, a->n);
		a->n = 0;
	}
}

static void count(struct bb_queue *q, const struct bb_plan *plan)
{
	struct bb_stats *st = &q->vbd->stats;

	switch (plan->kind) {
	case BB_READ:
		st->rd_req++;
		st->rd_sect += plan->nr_sectors;
		break;
	case BB_WRITE:
		st->wr_req++;
		st->wr_sect += plan->nr_sectors;
		break;
	case BB_FLUSH:
		st->flush_req++;
		break;
	case BB_DISCARD:
		st->discard_req++;
		break;
	}
}

/* ---- the two halves of a pass ------------------------------------------- */

/* Completions: reads are copied into the guest's pages in one batch, then
 * every finished request is answered. */
static unsigned reap(struct bb_queue *q, struct answers *a)
{
	uint32_t done[PASS_MAX], nr_done = 0;
	struct io_uring_cqe *cqe;

	batch.n = 0;
	while (nr_done < PASS_MAX && !io_uring_peek_cqe(&q->uring, &cqe)) {
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		struct bb_io *io;

		q->inflight--;
		if (tag >= q->nr_tags) { /* not ours: cannot happen */
			io_uring_cqe_seen(&q->uring, cqe);
			continue;
		}
		io = &q->ios[tag];
		if (cqe->res < 0 ||
		    ((io->plan.kind == BB_READ || io->plan.kind == BB_WRITE) &&
		     cqe->res > 0 &&
		     (uint64_t)cqe->res != io->plan.nr_sectors << SECT_SHIFT)) {
			if (io->status == SDRV_BLKIF_RSP_OKAY)
				q->vbd->stats.io_err++;
			io->status = SDRV_BLKIF_RSP_ERROR;
		}
		io_uring_cqe_seen(&q->uring, cqe);
		if (--io->pending)
			continue;
		done[nr_done++] = (uint32_t)tag;
		if (io->plan.kind == BB_READ && io->status == 0 && !io->held)
			batch_add(q, &batch, io, true);
	}
	batch_run(q, &batch);
	for (uint32_t k = 0; k < nr_done; k++) {
		struct bb_io *io = &q->ios[done[k]];

		if (io->plan.kind == BB_READ && io->status == 0 &&
		    !io->held && !batch_ok(&batch, io)) {
			io->status = SDRV_BLKIF_RSP_ERROR;
			q->vbd->stats.copy_err++;
		}
		io_release(q, done[k]);
		answer(q, a, io->plan.id, io->plan.operation, io->status);
	}
	return nr_done;
}

/* How many requests this pass can surely start. */
static uint32_t room(const struct bb_queue *q)
{
	uint32_t by_pages = q->nr_free_pages / (BB_MAX_SEGMENTS + 1);
	uint32_t n = q->nr_free_tags < by_pages ? q->nr_free_tags : by_pages;

	return n < PASS_MAX ? n : PASS_MAX;
}

/* New requests: check each copy, fetch writes' data in one batch of grant
 * copies, start the I/O. */
static unsigned take(struct bb_queue *q, struct answers *a, bool *more)
{
	struct sdrv_blkif_request reqs[PASS_MAX];
	uint32_t started[PASS_MAX], nr_started = 0;
	uint32_t max = room(q), n;
	const struct bb_limits *lim = &q->vbd->lim;

	*more = false;
	if (!max)
		return 0;
	batch.n = 0;
	n = sdrv_blkif_back_take_requests(&q->back, reqs, max);
	*more = n == max;
	if (n)
		q->took_since_event = true;
	for (uint32_t k = 0; k < n; k++) {
		struct bb_plan plan;
		const char *why;
		int st = bb_plan_request(&reqs[k], lim, &plan, &why);
		uint32_t tag;
		struct bb_io *io;

		if (st == SDRV_BLKIF_RSP_OKAY) {
			tag = io_alloc(q, plan.indirect ? plan.nr_segs + 1
							: plan.nr_segs);
			io = &q->ios[tag];
			io->plan = plan;
			if (plan.indirect)
				st = fetch_indirect(q, io, &why);
			if (st == SDRV_BLKIF_RSP_OKAY && q->zero_copy &&
			    (io->plan.kind == BB_READ ||
			     io->plan.kind == BB_WRITE) &&
			    hold_pages(q, io) < 0) {
				q->vbd->stats.copy_err++;
				st = SDRV_BLKIF_RSP_ERROR;
				why = "a segment's grant is not ours to use";
			}
			if (st != SDRV_BLKIF_RSP_OKAY)
				io_release(q, tag);
		}
		if (st != SDRV_BLKIF_RSP_OKAY) {
			q->vbd->stats.bad_req++;
			if (q->vbd->opt->verbose)
				fprintf(stderr, "blkback: %s: request %#llx: %s\n",
					q->vbd->name,
					(unsigned long long)reqs[k].id, why);
			answer(q, a, reqs[k].id, reqs[k].operation,
			       (int16_t)st);
			continue;
		}
		count(q, &io->plan);
		started[nr_started++] = tag;
		if (io->plan.kind == BB_WRITE && !io->held)
			batch_add(q, &batch, io, false);
	}
	batch_run(q, &batch);
	for (uint32_t k = 0; k < nr_started; k++) {
		struct bb_io *io = &q->ios[started[k]];
		bool ok = io->plan.kind != BB_WRITE || io->held ||
			  batch_ok(&batch, io);

		if (!ok)
			q->vbd->stats.copy_err++;
		/* start_io() fails with nothing queued: answer it here. */
		if (!ok || !start_io(q, started[k])) {
			io_release(q, started[k]);
			answer(q, a, io->plan.id, io->plan.operation,
			       SDRV_BLKIF_RSP_ERROR);
		}
	}
	if (nr_started)
		io_uring_submit(&q->uring);
	return n;
}

bool bb_queue_event_spurious(struct bb_queue *q)
{
	bool spurious = !q->took_since_event;

	q->took_since_event = false;
	return spurious;
}

unsigned bb_queue_run(struct bb_queue *q)
{
	static struct answers a;
	unsigned total = 0;
	bool more;

	if (!q->connected || q->broken)
		return 0;
	for (;;) {
		unsigned n;

		a.n = 0;
		n = reap(q, &a) + take(q, &a, &more);
		if (a.n)
			sdrv_blkif_back_put_responses(&q->back, a.rsp, a.n);
		if (sdrv_ring_back_push(&q->back))
			sdrv_evtchn_notify(plat(q), q->port);
		total += n;
		if (sdrv_ring_back_fault(&q->back)) {
			q->broken = true;
			fprintf(stderr, "blkback: %s: queue %u: ring %s; device stopped\n",
				q->vbd->name, q->index,
				sdrv_ring_fault_name(sdrv_ring_back_fault(&q->back)));
			sdrv_xenbus_device_fail(q->vbd->dev, -EPROTO,
						"ring index out of range");
			return total;
		}
		if (n)
			continue;
		/* Out of room: completions bring us back. */
		if (!room(q) || more)
			return total;
		if (!sdrv_ring_back_final_check(&q->back))
			return total;
	}
}

/* ---- connect / disconnect ---------------------------------------------- */

int bb_queue_connect(struct bb_queue *q, const char *prefix,
		     unsigned max_order)
{
	struct sdrv_xenbus_device *dev = q->vbd->dev;
	struct epoll_event ev = { .events = EPOLLIN };
	uint32_t slots;
	int err;

	q->uring_fd = -1;
	err = sdrv_xenbus_map_ring(dev, prefix, max_order, &q->ring);
	if (err)
		return err;
	slots = sdrv_ring_nr_slots((size_t)SDRV_PAGE_SIZE << q->ring.order,
				   sizeof(union sdrv_blkif_slot));
	err = sdrv_blkif_back_attach(&q->back, q->ring.addr,
				     (size_t)SDRV_PAGE_SIZE << q->ring.order, 0);
	if (err)
		goto fail_ring;
	err = sdrv_xenbus_bind_evtchn(dev, prefix, "event-channel", &q->port);
	if (err)
		goto fail_ring;
	err = alloc_resources(q, slots);
	if (err) {
		sdrv_xenbus_device_fail(dev, err, "no memory for the queue");
		goto fail_port;
	}
	err = io_uring_queue_init(slots * 2 > 4096 ? 4096 : slots * 2,
				  &q->uring, 0);
	if (err) {
		sdrv_xenbus_device_fail(dev, err, "io_uring_queue_init");
		goto fail_res;
	}
	q->uring_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->uring_fd < 0 ||
	    io_uring_register_eventfd(&q->uring, q->uring_fd)) {
		err = -errno;
		sdrv_xenbus_device_fail(dev, err, "io_uring eventfd");
		goto fail_uring;
	}
	ev.data.u64 = (uint64_t)(uintptr_t)q | BB_EPOLL_URING;
	if (epoll_ctl(q->vbd->opt->epoll_fd, EPOLL_CTL_ADD, q->uring_fd, &ev)) {
		err = -errno;
		sdrv_xenbus_device_fail(dev, err, "epoll");
		goto fail_uring;
	}
	q->inflight = 0;
	q->broken = false;
	q->zero_copy = !q->vbd->opt->copy;
	q->connected = true;
	if (q->port < MAX_PORTS)
		port_map[q->port] = q;
	return 0;
fail_uring:
	if (q->uring_fd >= 0)
		close(q->uring_fd);
	q->uring_fd = -1;
	io_uring_queue_exit(&q->uring);
fail_res:
	free_resources(q);
fail_port:
	sdrv_evtchn_close(plat(q), q->port);
fail_ring:
	sdrv_xenbus_unmap_ring(dev, &q->ring);
	return err;
}

void bb_queue_disconnect(struct bb_queue *q)
{
	struct io_uring_cqe *cqe;

	if (!q->connected)
		return;
	/* No granted page may be let go while the kernel may still write
	 * it (our bounce pages) or before the answers are void: wait for
	 * every I/O in flight. */
	io_uring_submit(&q->uring);
	while (q->inflight && !io_uring_wait_cqe(&q->uring, &cqe)) {
		io_uring_cqe_seen(&q->uring, cqe);
		q->inflight--;
	}
	/* The guest's pages the unanswered requests held go back to it. */
	for (uint32_t t = 0; t < q->nr_tags; t++)
		if (q->ios[t].held) {
			sdrv_grant_release(plat(q), q->ios[t].holds,
					   q->ios[t].plan.nr_segs);
			q->ios[t].held = false;
		}
	epoll_ctl(q->vbd->opt->epoll_fd, EPOLL_CTL_DEL, q->uring_fd, NULL);
	close(q->uring_fd);
	q->uring_fd = -1;
	io_uring_queue_exit(&q->uring);
	free_resources(q);
	if (q->port < MAX_PORTS)
		port_map[q->port] = NULL;
	sdrv_evtchn_close(plat(q), q->port);
	sdrv_xenbus_unmap_ring(q->vbd->dev, &q->ring);
	q->connected = false;
}
