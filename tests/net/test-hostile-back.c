/* SPDX-License-Identifier: MIT */
/*
 * A hostile backend against netfront: under a real hv-stub (running
 * sdrv-xenstored), this test is guest domain 1 (two netfronts, the code
 * under test) and, in a thread, dom0 writing netif responses by hand.
 * vif 0's backend lies as each test says; vif 1's answers honestly.
 * netfront must drop a malformed frame (and count it) or break vif 0 with
 * a reason, never deliver garbage, and serve vif 1 on.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <splitdrv/netfront.h>
#include <splitdrv/platform.h>
#include <splitdrv/xenbus_driver.h>
#include <splitdrv/xs.h>

#include "../platform/hvstub_ctl.h"

enum lie {
	HONEST,
	NEGATIVE_STATUS, /* a receive answered with status -1 */
	PAST_THE_PAGE, /* offset + length beyond the page */
	CHAINED, /* a frame over two slots with MORE_DATA */
	CHAIN_TOO_LONG, /* a frame over 19 slots (18 at most) */
	CHAIN_AT_PROD, /* MORE_DATA on the last response pushed */
	EXTRA, /* EXTRA_INFO on a receive (nothing negotiated) */
	RX_ID_NOT_POSTED, /* a receive answer naming no posted buffer */
	TX_ID_NOT_IN_FLIGHT, /* a transmit answer for no frame sent */
	RX_INDEX_AHEAD, /* rsp_prod far beyond the requests */
	REWRITE, /* honest answers, and garbage written over every slot of
		  * both rings meanwhile, in a thread of its own */
	KEEP_GRANT, /* honest, but it keeps a receive buffer's grant held
		     * after the frontend ends access (a marker in it) */
	/* The guest asked for GSO: */
	GSO_SIZE_0, /* a GSO extra of size 0 */
	GSO_UNKNOWN_TYPE, /* a GSO extra of GSO type 9 */
	EXTRA_UNKNOWN, /* an extra of type 77 */
	EXTRA_AT_PROD, /* EXTRA_INFO, and no extra slot pushed */
};

/* KEEP_GRANT's hold, let go by the test. */
static struct sdrv_grant_hold kept;
static const char marker[] = "the backend still holds this page";

struct evil_back {
	enum lie lie;
	uint32_t devid;
	struct sdrv_xenbus_device dev;
	struct sdrv_xenbus_ring tx_ring, rx_ring;
	struct sdrv_ring_back tx, rx;
	sdrv_evtchn_port_t port;
	bool connected, failed, lied;
	uint64_t paused_until_ms; /* answers nothing until then */
};

static struct hvstub_pair w; /* dom0, guest 1, their XenStore */
static struct evil_back backs[2];
static pthread_t back_thread;
static volatile bool stop;

#define FRAME_LEN 60

/* ---- dom0, by hand ------------------------------------------------------ */

static void handshake(struct evil_back *b)
{
	if (b->connected || b->failed ||
	    sdrv_xenbus_read_state(&b->dev.xb, true) != SDRV_XENBUS_INITIALISED)
		return;
	b->failed = true;
	if (sdrv_xenbus_map_ring(&b->dev, "tx-", 0, &b->tx_ring) ||
	    sdrv_xenbus_map_ring(&b->dev, "rx-", 0, &b->rx_ring) ||
	    sdrv_netif_tx_back_attach(&b->tx, b->tx_ring.addr, SDRV_PAGE_SIZE, 0) ||
	    sdrv_netif_rx_back_attach(&b->rx, b->rx_ring.addr, SDRV_PAGE_SIZE, 0) ||
	    sdrv_xenbus_bind_evtchn(&b->dev, "", "event-channel", &b->port)) {
		fprintf(stderr, "test backend: vif %u: handshake failed\n", b->devid);
		return;
	}
	sdrv_xenbus_switch_state(&b->dev.xb, SDRV_XENBUS_CONNECTED);
	b->failed = false;
	b->connected = true;
}

/* Write a frame of 0xab into the guest's posted buffer @gref (held, as
 * netback-dpdk reaches it). */
static bool fill(uint32_t gref, uint16_t len)
{
	struct sdrv_grant_hold h = { .granter = 1, .ref = gref };

	if (sdrv_grant_hold(w.dom0, &h, 1) != 0)
		return false;
	memset(h.page, 0xab, len);
	sdrv_grant_release(w.dom0, &h, 1);
	return true;
}

/* Every transmit request answered (honestly, or for a frame not sent);
 * one receive answered as the lie says, then honest ones. */
static void serve(struct evil_back *b)
{
	struct sdrv_netif_tx_request tq;
	struct sdrv_netif_rx_request rq;
	bool any = false;

	while (sdrv_netif_tx_back_take_requests(&b->tx, &tq, 1)) {
		struct sdrv_netif_tx_response r = { .id = tq.id,
						    .status = SDRV_NETIF_RSP_OKAY };

		if (b->lie == TX_ID_NOT_IN_FLIGHT && !b->lied) {
			r.id = (uint16_t)(tq.id + 100);
			b->lied = true;
		}
		sdrv_netif_tx_back_put_responses(&b->tx, &r, 1);
		/* Each frame sent is answered by one received. */
		if (sdrv_netif_rx_back_take_requests(&b->rx, &rq, 1)) {
			struct sdrv_netif_rx_response a = { .id = rq.id,
							    .status = FRAME_LEN };
			enum lie lie = b->lied ? HONEST : b->lie;

			fill(rq.gref, FRAME_LEN);
			if (lie == KEEP_GRANT && !kept.page) {
				kept = (struct sdrv_grant_hold){ .granter = 1, .ref = rq.gref };
				if (sdrv_grant_hold(w.dom0, &kept, 1) == 0)
					memcpy((char *)kept.page + 2048, marker, sizeof(marker));
				else
					kept.page = NULL;
			}
			switch (lie) {
			case NEGATIVE_STATUS:
				a.status = SDRV_NETIF_RSP_ERROR;
				break;
			case PAST_THE_PAGE:
				a.offset = 4090;
				break;
			case CHAINED:
			case CHAIN_TOO_LONG:
			case CHAIN_AT_PROD:
				a.flags = SDRV_NETRXF_MORE_DATA;
				break;
			case EXTRA:
			case GSO_SIZE_0:
			case GSO_UNKNOWN_TYPE:
			case EXTRA_UNKNOWN:
			case EXTRA_AT_PROD:
				a.flags = SDRV_NETRXF_EXTRA_INFO;
				break;
			case RX_ID_NOT_POSTED:
				a.id = 999;
				break;
			case RX_INDEX_AHEAD:
				__atomic_store_n(&b->rx.sring->rsp_prod,
						 b->rx.rsp_prod_pvt + 5000,
						 __ATOMIC_RELEASE);
				b->lied = true;
				sdrv_evtchn_notify(w.dom0, b->port);
				return;
			default:
				break;
			}
			if (lie != HONEST)
				b->lied = true;
			sdrv_netif_rx_back_put_responses(&b->rx, &a, 1);
			/* the chain's other slots, honest-looking: one more,
			 * or 18 more (19 in all) */
			for (int k = 0; (lie == CHAINED && k < 1) ||
					(lie == CHAIN_TOO_LONG && k < 18); k++) {
				if (!sdrv_netif_rx_back_take_requests(&b->rx, &rq, 1))
					break;
				a.id = rq.id;
				a.flags = lie == CHAIN_TOO_LONG && k < 17
						  ? SDRV_NETRXF_MORE_DATA : 0;
				fill(rq.gref, FRAME_LEN);
				sdrv_netif_rx_back_put_responses(&b->rx, &a, 1);
			}
			/* the extra info slot after the frame's one */
			if ((lie == GSO_SIZE_0 || lie == GSO_UNKNOWN_TYPE ||
			     lie == EXTRA_UNKNOWN) &&
			    sdrv_netif_rx_back_take_requests(&b->rx, &rq, 1)) {
				union {
					struct sdrv_netif_rx_response rsp;
					struct sdrv_netif_extra_info x;
				} e = { .x = {
					.type = lie == EXTRA_UNKNOWN ? 77 : SDRV_NETIF_EXTRA_TYPE_GSO,
					.u.gso = { .size = lie == GSO_SIZE_0 ? 0 : 1448,
						   .type = lie == GSO_UNKNOWN_TYPE ? 9 : 1 },
				} };

				sdrv_netif_rx_back_put_responses(&b->rx, &e.rsp, 1);
			}
			/* the chain ends at the producer index: pushed
			 * alone, then nothing for a while */
			if (lie == CHAIN_AT_PROD || lie == EXTRA_AT_PROD) {
				b->paused_until_ms = sdrv_platform_clock_ms(w.dom0) + 500;
				any = true;
				break;
			}
		}
		any = true;
	}
	if (any) {
		sdrv_ring_back_push(&b->tx);
		sdrv_ring_back_push(&b->rx);
		sdrv_evtchn_notify(w.dom0, b->port);
	}
}

static void *backend(void *arg)
{
	sdrv_evtchn_port_t ports[4];

	(void)arg;
	for (int i = 0; i < 2; i++) {
		sdrv_xenbus_write_uint(&backs[i].dev.xb, 0, "feature-rx-copy", 1);
		/* GSO rides on it */
		sdrv_xenbus_write_uint(&backs[i].dev.xb, 0, "feature-sg", 1);
		sdrv_xenbus_switch_state(&backs[i].dev.xb, SDRV_XENBUS_INIT_WAIT);
	}
	while (!stop) {
		for (int i = 0; i < 2; i++) {
			struct evil_back *b = &backs[i];

			handshake(b);
			if (b->connected && !(b->lie == RX_INDEX_AHEAD && b->lied) &&
			    sdrv_platform_clock_ms(w.dom0) >= b->paused_until_ms)
				serve(b);
			if (sdrv_xenbus_read_state(&b->dev.xb, true) ==
			    SDRV_XENBUS_CLOSING)
				sdrv_xenbus_switch_state(&b->dev.xb,
							 SDRV_XENBUS_CLOSED);
		}
		sdrv_evtchn_wait(w.dom0, ports, 4, 10);
	}
	return NULL;
}

/* ---- the world ---------------------------------------------------------- */

static void world_up(enum lie lie)
{
	hvstub_pair_up(&w, XENSTORED_PATH, 4096);
	for (int i = 0; i < 2; i++) {
		struct evil_back *b = &backs[i];
		const char *const keys[] = { "mac", i ? "00:16:3e:00:01:01"
						      : "00:16:3e:00:01:00",
					     NULL };

		memset(b, 0, sizeof(*b));
		b->lie = i ? HONEST : lie;
		b->devid = (uint32_t)i;
		b->dev.platform = w.dom0;
		cr_assert_eq(sdrv_xenbus_device_create_with(w.dom0_xs, 0, 1, "vif",
							    b->devid, keys, keys), 0);
		cr_assert_eq(sdrv_xenbus_attach(&b->dev.xb, w.dom0_xs, true, 0, 1,
						"vif", b->devid), 0);
	}
	stop = false;
	cr_assert_eq(pthread_create(&back_thread, NULL, backend, NULL), 0);
}

static void world_down(void)
{
	stop = true;
	pthread_join(back_thread, NULL);
	for (int i = 0; i < 2; i++) {
		sdrv_xenbus_unmap_ring(&backs[i].dev, &backs[i].tx_ring);
		sdrv_xenbus_unmap_ring(&backs[i].dev, &backs[i].rx_ring);
		sdrv_xenbus_detach(&backs[i].dev.xb);
	}
	hvstub_pair_down(&w);
}

TestSuite(netfront_hostile, .timeout = 120);

/* ---- the guest: netfront ------------------------------------------------ */

/* Send @n frames and take what comes back (3 s at most).  Return: the
 * frames received; every one must be the backend's 0xab frame, of
 * FRAME_LEN bytes or (a chain of two, taken whole) twice that. */
static unsigned two_slot_frames; /* received whole from a chain of two */
static volatile bool scribbling;

/* Garbage over every slot of vif 0's rings (not their indices), as fast
 * as it goes, while netfront reads them. */
static void *scribble(void *arg)
{
	struct evil_back *b = arg;
	unsigned seed = 12345;

	while (scribbling) {
		for (int r = 0; r < 2; r++) {
			unsigned char *ring = r ? b->rx_ring.addr : b->tx_ring.addr;

			if (!ring)
				continue;
			for (unsigned off = 64; off < SDRV_PAGE_SIZE; off += 4) {
				uint32_t v = (uint32_t)rand_r(&seed);

				__atomic_store_n((uint32_t *)(void *)(ring + off), v,
						 __ATOMIC_RELAXED);
			}
		}
	}
	return NULL;
}

/* Receive through sdrv_netfront_queue_recv_lend() (with GSO asked for),
 * giving each lent buffer back once its bytes are copied to @buf. */
static bool lending;

static int recv_one(struct sdrv_netfront *nf, unsigned char *buf, size_t cap)
{
	struct sdrv_netfront_frame f = { .data = buf, .cap = cap };
	uint16_t id;
	int n;

	if (!lending)
		return sdrv_netfront_recv(nf, buf, cap);
	n = sdrv_netfront_queue_recv_lend(nf, 0, &f, &id, 1);
	if (n != 1)
		return n;
	if (id != SDRV_NETFRONT_NOT_LENT) {
		cr_expect_leq(f.len, SDRV_PAGE_SIZE, "a lent frame lies in its page");
		memcpy(buf, f.data, f.len);
		cr_expect_eq(sdrv_netfront_queue_give_back(nf, 0, &id, 1), 0);
	}
	return (int)f.len;
}

static int exchange(struct sdrv_netfront *nf, int n)
{
	unsigned char frame[FRAME_LEN], buf[SDRV_NETFRONT_MAX_PACKET];
	int got = 0;

	memset(frame, 0xff, 12);
	memset(frame + 12, 0x5a, sizeof(frame) - 12);
	for (int i = 0; i < n; i++)
		sdrv_netfront_send(nf, frame, sizeof(frame));
	for (int idle = 0; idle < 30 && got < n && !sdrv_netfront_broken(nf);) {
		int r = recv_one(nf, buf, sizeof(buf));

		if (r > 0) {
			two_slot_frames += r == 2 * FRAME_LEN;
			/* Under garbage a frame may be any length a posted
			 * buffer holds, made of whatever it holds. */
			if (scribbling) {
				cr_expect_leq(r, 18 * 4096, "a frame of %d bytes", r);
				got++;
				continue;
			}
			cr_expect(r == FRAME_LEN || r == 2 * FRAME_LEN, "a frame of %d bytes", r);
			for (int k = 0; k < r; k++)
				if (buf[k] != 0xab) {
					cr_expect_fail("byte %d of %d is %#x: the backend's bytes, nothing else",
						       k, r, buf[k]);
					break;
				}
			got++;
		} else if (r == 0 && sdrv_netfront_wait(nf, 100) == 0) {
			idle++;
		}
	}
	return got;
}

/* vif 0's netfront, asking for the base protocol alone or not, meets a
 * backend that lies as @lie says: it breaks (with @reason), or drops
 * @dropped frames and serves on; vif 1 is served on either way. */
static void lie_and_check_as(enum lie lie, bool base, bool breaks,
			     const char *reason, unsigned dropped)
{
	struct sdrv_netfront_config cfg = {
		.base_protocol = base,
		/* the lies about extras it asked for, and the lending path */
		.gso = lie >= GSO_SIZE_0 || lending,
	};
	struct sdrv_netfront *a, *b;

	world_up(lie);
	two_slot_frames = 0;
	cr_assert_eq(sdrv_netfront_open(w.guest, w.guest_xs, 0, &cfg, &a), 0);
	cr_assert_eq(sdrv_netfront_open(w.guest, w.guest_xs, 1, NULL, &b), 0);
	if (lie == REWRITE) {
		pthread_t t;

		scribbling = true;
		cr_assert_eq(pthread_create(&t, NULL, scribble, &backs[0]), 0);
		for (int i = 0; i < 20 && !sdrv_netfront_broken(a); i++)
			exchange(a, 16);
		scribbling = false;
		pthread_join(t, NULL);
		/* Broken with a reason, or serving on: either way alive. */
		if (sdrv_netfront_broken(a))
			cr_expect_gt(strlen(sdrv_netfront_broken(a)), 0);
		fprintf(stderr, "vif 0 under garbage: %s; %llu frames dropped\n",
			sdrv_netfront_broken(a) ? sdrv_netfront_broken(a) : "serving on",
			(unsigned long long)sdrv_netfront_stats(a)->rx_dropped);
	}
	exchange(a, 4);
	if (lie == CHAINED)
		cr_expect_eq(two_slot_frames, base ? 0u : 1u,
			     "the chain taken whole: %u frames of two slots",
			     two_slot_frames);
	if (lie == REWRITE) {
		/* checked above */
	} else if (breaks) {
		cr_expect_not_null(sdrv_netfront_broken(a), "vif 0 broke");
		cr_expect(!sdrv_netfront_carrier(a), "a broken vif has no carrier");
		if (sdrv_netfront_broken(a))
			cr_expect(strstr(sdrv_netfront_broken(a), reason),
				  "the reason says \"%s\": %s", reason,
				  sdrv_netfront_broken(a));
	} else {
		cr_expect_null(sdrv_netfront_broken(a), "%s", sdrv_netfront_broken(a));
		cr_expect_eq(sdrv_netfront_stats(a)->rx_dropped, dropped,
			     "%u malformed frames dropped and counted (%llu)", dropped,
			     (unsigned long long)sdrv_netfront_stats(a)->rx_dropped);
	}
	cr_expect_eq(exchange(b, 4), 4, "vif 1 served on");
	cr_expect_null(sdrv_netfront_broken(b));
	cr_expect(sdrv_netfront_carrier(b), "vif 1 has its carrier");
	sdrv_netfront_close(a);
	sdrv_netfront_close(b);
	world_down();
}

static void lie_and_check(enum lie lie, bool breaks, const char *reason)
{
	lie_and_check_as(lie, false, breaks, reason, 1);
}

Test(netfront_hostile, a_gso_extra_of_size_0_is_dropped)
{
	lie_and_check(GSO_SIZE_0, false, NULL);
}

Test(netfront_hostile, a_gso_extra_of_an_unknown_gso_type_is_dropped)
{
	lie_and_check(GSO_UNKNOWN_TYPE, false, NULL);
}

Test(netfront_hostile, an_extra_of_an_unknown_type_is_dropped)
{
	lie_and_check(EXTRA_UNKNOWN, false, NULL);
}

Test(netfront_hostile, an_extra_promised_at_the_producer_index_is_dropped)
{
	lie_and_check(EXTRA_AT_PROD, false, NULL);
}

/* A backend whose feature key @key is garbage (@value): vif 0's netfront
 * refuses to connect, saying which key in its "error"; vif 1 is served. */
static void garbage_feature(const char *key, const char *value)
{
	struct sdrv_netfront *a = NULL, *b;
	char path[96], error[160] = "";

	struct sdrv_xs *xs0;

	world_up(HONEST);
	/* A connection of our own: the backend's thread uses dom0's. */
	cr_assert_eq(sdrv_xs_open_socket(hvstub_xenstore_socket(), &xs0), 0);
	snprintf(path, sizeof(path), "/local/domain/0/backend/vif/1/0/%s", key);
	cr_assert_eq(sdrv_xs_write_str(xs0, 0, path, value), 0);
	sdrv_xs_close(xs0);
	cr_expect_eq(sdrv_netfront_open(w.guest, w.guest_xs, 0, NULL, &a), -SDRV_EPROTO,
		     "%s = \"%s\": refused", key, value);
	sdrv_xs_read(w.guest_xs, 0, "device/vif/0/error", error, sizeof(error));
	cr_expect(strstr(error, key), "the error names %s: \"%s\"", key, error);
	cr_assert_eq(sdrv_netfront_open(w.guest, w.guest_xs, 1, NULL, &b), 0);
	cr_expect_eq(exchange(b, 4), 4, "vif 1 served on");
	sdrv_netfront_close(b);
	if (a)
		sdrv_netfront_close(a);
	world_down();
}

Test(netfront_hostile, a_garbage_queue_count_refuses_the_connection)
{
	garbage_feature("multi-queue-max-queues", "lots");
}

Test(netfront_hostile, a_garbage_gso_feature_refuses_the_connection)
{
	garbage_feature("feature-gso-tcpv4", "2");
}

Test(netfront_hostile, a_receive_with_a_negative_status_is_dropped)
{
	lie_and_check(NEGATIVE_STATUS, false, NULL);
}

Test(netfront_hostile, a_receive_past_the_page_is_dropped)
{
	lie_and_check(PAST_THE_PAGE, false, NULL);
}

Test(netfront_hostile, a_frame_chained_over_slots_not_asked_for_is_dropped)
{
	lie_and_check_as(CHAINED, true, false, NULL, 1);
}

Test(netfront_hostile, a_frame_chained_over_two_slots_is_taken_whole_with_sg)
{
	lie_and_check_as(CHAINED, false, false, NULL, 0);
}

Test(netfront_hostile, a_chain_longer_than_18_slots_is_dropped)
{
	lie_and_check(CHAIN_TOO_LONG, false, NULL);
}

Test(netfront_hostile, a_chain_ending_at_the_producer_index_is_dropped)
{
	lie_and_check(CHAIN_AT_PROD, false, NULL);
}

Test(netfront_hostile, receive_extra_info_never_asked_for_breaks_the_vif)
{
	lie_and_check(EXTRA, true, "extra info");
}

Test(netfront_hostile, a_receive_naming_no_posted_buffer_breaks_the_vif)
{
	lie_and_check(RX_ID_NOT_POSTED, true, "no posted buffer");
}

Test(netfront_hostile, a_transmit_answer_for_no_frame_breaks_the_vif)
{
	lie_and_check(TX_ID_NOT_IN_FLIGHT, true, "no packet in flight");
}

Test(netfront_hostile, a_receive_index_running_ahead_breaks_the_vif)
{
	lie_and_check(RX_INDEX_AHEAD, true, "index");
}

Test(netfront_hostile, slots_rewritten_with_garbage_while_read_never_hurt_the_guest)
{
	lie_and_check(REWRITE, false, NULL);
}

/* The same garbage at a netfront that takes GSO (extra info slots read)
 * and lends frames in place. */
Test(netfront_hostile, slots_rewritten_never_hurt_a_guest_taking_gso_and_lending)
{
	lending = true;
	lie_and_check(REWRITE, false, NULL);
	lending = false;
}

/* Honest frames, lent in place and given back, exactly as copied ones. */
Test(netfront_hostile, frames_lent_in_place_are_the_backends_bytes)
{
	lending = true;
	lie_and_check_as(HONEST, false, false, NULL, 0);
	lending = false;
}

/*
 * A backend that keeps a receive buffer's grant held after the frontend
 * closes: netfront cannot end access to it and must never give the page
 * back to be used again.  The guest then takes every page it can and
 * writes each over: the backend's page must still hold its marker.
 */
Test(netfront_hostile, a_page_the_backend_keeps_is_never_reused)
{
	struct sdrv_netfront *a;
	void **pages;
	unsigned n = 0;

	world_up(KEEP_GRANT);
	kept.page = NULL;
	cr_assert_eq(sdrv_netfront_open(w.guest, w.guest_xs, 0, NULL, &a), 0);
	cr_expect_eq(exchange(a, 4), 4);
	cr_assert_not_null(kept.page, "the backend holds a buffer's grant");
	sdrv_netfront_close(a);
	pages = calloc(8192, sizeof(*pages));
	while (n < 8192 && (pages[n] = sdrv_page_alloc(w.guest)) != NULL)
		memset(pages[n++], 0, SDRV_PAGE_SIZE);
	cr_expect_gt(n, 100, "the guest took %u pages", n);
	cr_expect_str_eq((char *)kept.page + 2048, marker,
			 "the page the backend holds was not handed out again");
	for (unsigned i = 0; i < n; i++)
		sdrv_page_free(w.guest, pages[i]);
	free(pages);
	sdrv_grant_release(w.dom0, &kept, 1);
	kept.page = NULL;
	world_down();
}
