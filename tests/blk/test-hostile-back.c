/* SPDX-License-Identifier: MIT */
/*
 * A hostile backend against blkfront: under a real hv-stub (running
 * sdrv-xenstored), this test is both guest domain 1 (blkfront, the code
 * under test) and, in a thread, dom0 writing responses by hand.  Disk A's
 * backend lies as each test says; disk B's answers honestly.  blkfront
 * must break A with a reason, complete each of A's requests exactly once,
 * and serve B on.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <splitdrv/blkfront.h>
#include <splitdrv/platform.h>
#include <splitdrv/xenbus_driver.h>
#include <splitdrv/xs.h>

#include "../platform/hvstub_ctl.h"

#define XVDA 51712u
#define XVDB 51728u
#define NR_REQS 4u

enum lie {
	HONEST,
	UNKNOWN_ID, /* a response naming no request in flight */
	TWICE, /* the first request answered twice */
	AHEAD, /* rsp_prod far beyond the requests */
	BACKWARDS, /* rsp_prod moving back after an answer */
	KEEP_MAPPED, /* answers while it still maps the data page */
	BAD_SECTOR_SIZE, /* sector-size 1000 */
	HUGE_OFFER, /* every optional number far out of range */
	/* Not lies: a backend that answers two requests, then dies and is
	 * replaced (a new one in InitWait), or closes and comes back. */
	RESTART,
	CLOSE_AND_RETURN,
};

struct evil_back {
	enum lie lie;
	uint32_t devid;
	struct sdrv_xenbus_device dev;
	struct sdrv_xenbus_ring ring;
	sdrv_evtchn_port_t port;
	uint32_t req_cons, rsp_prod;
	struct sdrv_grant_map kept[NR_REQS * 2];
	unsigned nr_kept;
	bool connected, failed;
	/* After a restart: the sectors of the requests the new ring
	 * carried. */
	uint64_t again[NR_REQS * 2];
	unsigned nr_again;
	bool restarted;
};

static struct hvstub_pair w; /* dom0, guest 1, their XenStore */
static struct evil_back backs[2];
static pthread_t back_thread;
static volatile bool stop;

/* ---- dom0, by hand ------------------------------------------------------ */

static void offer(struct evil_back *b)
{
	struct sdrv_xenbus_dev *xb = &b->dev.xb;

	if (b->lie == BAD_SECTOR_SIZE) {
		sdrv_xenbus_write_uint(xb, 0, "sectors", 2048);
		sdrv_xenbus_write_uint(xb, 0, "sector-size", 1000);
	} else if (b->lie == HUGE_OFFER) {
		sdrv_xenbus_write_str(xb, 0, "sectors", "2048");
		sdrv_xenbus_write_str(xb, 0, "max-ring-page-order", "99");
		sdrv_xenbus_write_str(xb, 0, "multi-queue-max-queues", "4000000000");
		sdrv_xenbus_write_str(xb, 0, "feature-max-indirect-segments",
				      "99999999999999999999999");
		sdrv_xenbus_write_str(xb, 0, "feature-flush-cache", "yes please");
	} else {
		sdrv_xenbus_write_uint(xb, 0, "sectors", 2048);
	}
	sdrv_xenbus_switch_state(xb, SDRV_XENBUS_INIT_WAIT);
}

/* Connect once the frontend is Initialised (polled: a frontend may never
 * get there, refusing the offer). */
static void handshake(struct evil_back *b)
{
	if (b->connected || b->failed ||
	    sdrv_xenbus_read_state(&b->dev.xb, true) != SDRV_XENBUS_INITIALISED)
		return;
	b->failed = true;
	if (sdrv_xenbus_map_ring(&b->dev, "", SDRV_XENBUS_MAX_RING_ORDER,
				 &b->ring) ||
	    sdrv_xenbus_bind_evtchn(&b->dev, "", "event-channel", &b->port)) {
		fprintf(stderr, "test backend: vbd %u: handshake failed\n", b->devid);
		return;
	}
	sdrv_xenbus_switch_state(&b->dev.xb, SDRV_XENBUS_CONNECTED);
	b->failed = false;
	b->connected = true;
}

static unsigned char *slot(struct evil_back *b, uint32_t idx)
{
	uint32_t n = sdrv_blkif_ring_nr_slots((size_t)SDRV_PAGE_SIZE
					      << b->ring.order);

	return (unsigned char *)b->ring.addr + SDRV_SRING_HEADER_SIZE +
	       (size_t)(idx & (n - 1)) * sizeof(union sdrv_blkif_slot);
}

static void respond(struct evil_back *b, uint64_t id, int16_t status)
{
	struct sdrv_blkif_response r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.status = status;
	memcpy(slot(b, b->rsp_prod++), &r, sizeof(r));
}

static void serve(struct evil_back *b)
{
	struct sdrv_sring *s = b->ring.addr;
	uint32_t prod = __atomic_load_n(&s->req_prod, __ATOMIC_ACQUIRE);
	bool any = false;

	while (b->req_cons != prod) {
		struct sdrv_blkif_request req;

		memcpy(&req, slot(b, b->req_cons++), sizeof(req));
		any = true;
		switch (b->lie) {
		case UNKNOWN_ID:
			respond(b, req.id + 12345, SDRV_BLKIF_RSP_OKAY);
			break;
		case TWICE: /* as many answers as requests: the ids lie */
			if (b->req_cons < NR_REQS)
				respond(b, req.id, SDRV_BLKIF_RSP_OKAY);
			if (b->req_cons == 1)
				respond(b, req.id, SDRV_BLKIF_RSP_OKAY);
			break;
		case AHEAD:
			b->rsp_prod = prod + 5;
			break;
		case BACKWARDS: /* two answered, then the index goes back */
			if (b->req_cons <= 2)
				respond(b, req.id, SDRV_BLKIF_RSP_OKAY);
			break;
		case KEEP_MAPPED: {
			struct sdrv_grant_map *m = &b->kept[b->nr_kept];

			memset(m, 0, sizeof(*m));
			m->granter = 1;
			m->ref = req.seg[0].gref;
			if (!sdrv_grant_map(w.dom0, m, 1))
				b->nr_kept++;
			respond(b, req.id, SDRV_BLKIF_RSP_OKAY);
			break;
		}
		case RESTART:
		case CLOSE_AND_RETURN:
			if (b->req_cons <= 2)
				respond(b, req.id, SDRV_BLKIF_RSP_OKAY);
			break;
		default:
			if (b->restarted && b->nr_again < NR_REQS * 2)
				b->again[b->nr_again++] = req.sector_number;
			respond(b, req.id, SDRV_BLKIF_RSP_OKAY);
		}
	}
	if (any) {
		__atomic_store_n(&s->rsp_prod, b->rsp_prod, __ATOMIC_RELEASE);
		sdrv_evtchn_notify(w.dom0, b->port);
	}
	if ((b->lie == RESTART || b->lie == CLOSE_AND_RETURN) &&
	    b->req_cons == NR_REQS) {
		/* Two answered, two not: the backend goes (its mappings and
		 * port with it), and is honest from then on. */
		sdrv_xenbus_unmap_ring(&b->dev, &b->ring);
		sdrv_evtchn_close(w.dom0, b->port);
		b->connected = false;
		b->req_cons = b->rsp_prod = 0;
		b->restarted = true;
		sdrv_xenbus_switch_state(&b->dev.xb,
					 b->lie == RESTART ? SDRV_XENBUS_INIT_WAIT
							   : SDRV_XENBUS_CLOSING);
		b->lie = HONEST;
	}
	if (b->lie == BACKWARDS && b->rsp_prod == 2) {
		usleep(50000); /* the frontend took the two */
		b->rsp_prod = 1;
		__atomic_store_n(&s->rsp_prod, b->rsp_prod, __ATOMIC_RELEASE);
		sdrv_evtchn_notify(w.dom0, b->port);
	}
}

static void *backend(void *arg)
{
	sdrv_evtchn_port_t ports[4];

	(void)arg;
	for (int i = 0; i < 2; i++)
		offer(&backs[i]);
	while (!stop) {
		for (int i = 0; i < 2; i++) {
			struct evil_back *b = &backs[i];

			handshake(b);
			if (b->connected)
				serve(b);
			/* Let a closing frontend go at once, and offer again
			 * to one coming back. */
			switch (sdrv_xenbus_read_state(&b->dev.xb, true)) {
			case SDRV_XENBUS_CLOSING:
				sdrv_xenbus_switch_state(&b->dev.xb,
							 SDRV_XENBUS_CLOSED);
				break;
			case SDRV_XENBUS_INITIALISING:
				if (sdrv_xenbus_read_state(&b->dev.xb, false) ==
				    SDRV_XENBUS_CLOSED)
					offer(b);
				break;
			}
		}
		sdrv_evtchn_wait(w.dom0, ports, 4, 10);
	}
	return NULL;
}

/* ---- the world ---------------------------------------------------------- */

static void world_up(enum lie lie)
{
	hvstub_pair_up(&w, XENSTORED_PATH, 2048);
	for (int i = 0; i < 2; i++) {
		struct evil_back *b = &backs[i];

		memset(b, 0, sizeof(*b));
		b->lie = i ? HONEST : lie;
		b->devid = i ? XVDB : XVDA;
		b->dev.platform = w.dom0;
		cr_assert_eq(sdrv_xenbus_device_create(w.dom0_xs, 0, 1, "vbd",
						       b->devid), 0);
		cr_assert_eq(sdrv_xenbus_attach(&b->dev.xb, w.dom0_xs, true, 0, 1,
					    "vbd", b->devid), 0);
	}
	stop = false;
	cr_assert_eq(pthread_create(&back_thread, NULL, backend, NULL), 0);
}

static void world_down(void)
{
	stop = true;
	pthread_join(back_thread, NULL);
	for (int i = 0; i < 2; i++) {
		sdrv_grant_unmap(w.dom0, backs[i].kept, backs[i].nr_kept);
		sdrv_xenbus_unmap_ring(&backs[i].dev, &backs[i].ring);
		sdrv_xenbus_detach(&backs[i].dev.xb);
	}
	hvstub_pair_down(&w);
}

TestSuite(blkfront_hostile, .timeout = 120);

/* ---- the guest: blkfront ----------------------------------------------- */

struct tracked {
	struct sdrv_blkfront_req req;
	int completions;
};

/* Submit NR_REQS reads, take every completion (5 s at most).  Return:
 * how many completed. */
static unsigned run_reads(struct sdrv_blkfront *bf, struct tracked *t)
{
	struct sdrv_blkfront_req *done[16];
	unsigned completed = 0;

	for (unsigned i = 0; i < NR_REQS; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].req.operation = SDRV_BLKIF_OP_READ;
		t[i].req.sector = i * 8;
		t[i].req.len = 4096;
		t[i].req.buf = sdrv_page_alloc(w.guest);
		t[i].req.cookie = &t[i];
		cr_assert_eq(sdrv_blkfront_submit(bf, &t[i].req), 0);
	}
	sdrv_blkfront_kick(bf);
	for (int idle = 0; sdrv_blkfront_in_flight(bf) && idle < 50;) {
		unsigned n = sdrv_blkfront_complete(bf, done, 16);

		for (unsigned k = 0; k < n; k++)
			((struct tracked *)done[k]->cookie)->completions++;
		completed += n;
		if (!n && sdrv_blkfront_wait(bf, 100) == 0)
			idle++;
	}
	for (unsigned i = 0; i < NR_REQS; i++)
		cr_assert_eq(t[i].completions, 1,
			     "request %u completed %d times", i, t[i].completions);
	return completed;
}

static void lie_and_check(enum lie lie, const char *reason)
{
	struct sdrv_blkfront *a, *b;
	struct tracked ta[NR_REQS], tb[NR_REQS];

	world_up(lie);
	cr_assert_eq(sdrv_blkfront_open(w.guest, w.guest_xs, XVDA, NULL, &a), 0);
	cr_assert_eq(sdrv_blkfront_open(w.guest, w.guest_xs, XVDB, NULL, &b), 0);
	run_reads(a, ta);
	cr_assert_not_null(sdrv_blkfront_broken(a), "disk A broke");
	cr_expect(strstr(sdrv_blkfront_broken(a), reason),
		  "the reason says \"%s\": %s", reason, sdrv_blkfront_broken(a));
	run_reads(b, tb);
	cr_expect_null(sdrv_blkfront_broken(b), "disk B untouched");
	for (unsigned i = 0; i < NR_REQS; i++)
		cr_expect_eq(tb[i].req.status, 0, "disk B's request %u", i);
	sdrv_blkfront_close(a);
	sdrv_blkfront_close(b);
	world_down();
}

Test(blkfront_hostile, a_response_naming_no_request_in_flight_breaks_the_disk)
{
	lie_and_check(UNKNOWN_ID, "not in flight");
}

Test(blkfront_hostile, a_request_answered_twice_completes_once)
{
	lie_and_check(TWICE, "not in flight");
}

Test(blkfront_hostile, responses_running_ahead_of_the_requests_break_the_disk)
{
	lie_and_check(AHEAD, "index");
}

Test(blkfront_hostile, a_response_index_moving_backwards_breaks_the_disk)
{
	lie_and_check(BACKWARDS, "index");
}

Test(blkfront_hostile, a_backend_keeping_a_page_mapped_breaks_the_disk)
{
	lie_and_check(KEEP_MAPPED, "mapped");
}

Test(blkfront_hostile, a_sector_size_not_a_power_of_two_is_refused_at_open)
{
	struct sdrv_blkfront *a;
	char error[128];

	world_up(BAD_SECTOR_SIZE);
	cr_expect_eq(sdrv_blkfront_open(w.guest, w.guest_xs, XVDA, NULL, &a),
		     -SDRV_EPROTO);
	{
		char path[96];

		snprintf(path, sizeof(path), "/local/domain/1/device/vbd/%u/error",
			 XVDA);
		cr_expect_gt(sdrv_xs_read(w.guest_xs, 0, path, error, sizeof(error)), 0);
		cr_expect(strstr(error, "sector-size"), "the reason: %s", error);
	}
	cr_assert_eq(sdrv_blkfront_open(w.guest, w.guest_xs, XVDB, NULL, &a), 0,
		     "disk B opens");
	sdrv_blkfront_close(a);
	world_down();
}

Test(blkfront_hostile, an_offer_far_out_of_range_is_taken_as_no_offer)
{
	struct sdrv_blkfront *a;
	const struct sdrv_blkfront_info *in;
	struct tracked ta[NR_REQS];

	world_up(HUGE_OFFER);
	cr_assert_eq(sdrv_blkfront_open(w.guest, w.guest_xs, XVDA, NULL, &a), 0);
	in = sdrv_blkfront_info(a);
	cr_expect_eq(in->ring_order, 3, "an order of 99 held to what we ask");
	cr_expect_eq(in->nr_queues, 1);
	cr_expect_eq(in->max_segments, SDRV_BLKIF_MAX_SEGMENTS,
		     "a 23-digit segment count is no offer");
	cr_expect(!in->flush, "\"yes please\" is not a flag");
	run_reads(a, ta);
	cr_expect_null(sdrv_blkfront_broken(a));
	sdrv_blkfront_close(a);
	world_down();
}

/* The backend answers two of four requests and goes; blkfront connects to
 * its successor and sends exactly the two unanswered ones again. */
static void come_back_and_check(enum lie how)
{
	struct sdrv_blkfront *a, *b;
	struct tracked ta[NR_REQS], tb[NR_REQS];
	const struct sdrv_blkfront_info *in;

	world_up(how);
	cr_assert_eq(sdrv_blkfront_open(w.guest, w.guest_xs, XVDA, NULL, &a), 0);
	cr_assert_eq(sdrv_blkfront_open(w.guest, w.guest_xs, XVDB, NULL, &b), 0);
	cr_assert_eq(run_reads(a, ta), NR_REQS, "every request completed once");
	cr_expect_null(sdrv_blkfront_broken(a), "%s", sdrv_blkfront_broken(a));
	for (unsigned i = 0; i < NR_REQS; i++)
		cr_expect_eq(ta[i].req.status, 0, "request %u", i);
	in = sdrv_blkfront_info(a);
	cr_expect_eq(in->reconnects, 1);
	cr_expect_eq(in->reissued, 2, "the two unanswered sent again");
	cr_expect_eq(backs[0].nr_again, 2, "the new ring carried two requests");
	for (unsigned i = 0; i < backs[0].nr_again && i < 2; i++)
		cr_expect(backs[0].again[i] == 16 || backs[0].again[i] == 24,
			  "sent again: sector %llu, not one answered before",
			  (unsigned long long)backs[0].again[i]);
	run_reads(b, tb);
	cr_expect_null(sdrv_blkfront_broken(b), "disk B untouched");
	cr_expect_eq(sdrv_blkfront_info(b)->reconnects, 0);
	sdrv_blkfront_close(a);
	sdrv_blkfront_close(b);
	world_down();
}

Test(blkfront_hostile, a_backend_replaced_mid_request_gets_the_unanswered_ones_again)
{
	come_back_and_check(RESTART);
}

Test(blkfront_hostile, a_backend_closing_and_coming_back_gets_the_unanswered_ones_again)
{
	come_back_and_check(CLOSE_AND_RETURN);
}
