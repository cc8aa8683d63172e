/* SPDX-License-Identifier: MIT */
/*
 * A hostile frontend against a running netback-dpdk: this test process is
 * guest domain 1 of a real hv-stub (running sdrv-xenstored), writing vif
 * 1/0's transmit ring by hand with what no netfront would send, and guest
 * domain 2, whose netfront (libsplitdrv's) receives what the switch
 * floods.  Guest 1's second vif (1/1, by hand, honest) shows that the
 * others are served on.  netback-dpdk (the build's own, under the same
 * sanitizers) must answer each malformed frame ERROR, disable only the vif
 * whose ring state is impossible, and forward the good frames.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <splitdrv/netfront.h>
#include <splitdrv/netif.h>
#include <splitdrv/platform.h>
#include <splitdrv/xenbus_driver.h>
#include <splitdrv/xs.h>

#include "netback_world.h"

static struct netback_world w;
static struct sdrv_netfront *nf2;

static void world_up(void)
{
	netback_world_up(&w, NETBACK_PATH, XENSTORED_PATH, 2048, NULL, NULL);
	cr_assert_eq(sdrv_netfront_open(w.guest2, w.xs2, 0, NULL, &nf2), 0,
		     "guest 2's netfront connects");
}

static void world_down(void)
{
	sdrv_netfront_close(nf2);
	nf2 = NULL;
	netback_world_down(&w);
}

TestSuite(netback_hostile, .init = world_up, .fini = world_down,
	  .timeout = 120);

/* ---- a frontend written by hand ---------------------------------------- */

struct raw_vif {
	struct sdrv_xenbus_device dev;
	struct sdrv_xenbus_ring tx_ring, rx_ring;
	struct sdrv_ring_front tx, rx;
	sdrv_evtchn_port_t port;
	void *page; /* a frame, granted read-only to dom0 */
	sdrv_grant_ref_t gref;
	sdrv_grant_ref_t rx_ref[16]; /* raw_post_rx()'s buffers, by id */
};

/* raw_connect() asks for multicast control (request-multicast-control). */
static bool raw_mcast_control;
/* raw_connect() says it keeps its receive grants (feature-persistent). */
static bool raw_persistent;

static void raw_connect(struct raw_vif *f, uint32_t devid)
{
	int64_t ref;

	memset(f, 0, sizeof(*f));
	f->dev.platform = w.guest1;
	cr_assert_eq(sdrv_xenbus_attach(&f->dev.xb, w.xs1, false, 1, 0, "vif", devid), 0);
	cr_assert_eq(sdrv_xenbus_switch_state(&f->dev.xb, SDRV_XENBUS_INITIALISING), 0);
	cr_assert_eq(sdrv_xenbus_wait_peer_state(&f->dev.xb,
						 1u << SDRV_XENBUS_INIT_WAIT, 10000),
		     SDRV_XENBUS_INIT_WAIT);
	cr_assert_eq(sdrv_xenbus_grant_ring(&f->dev, 0, "tx-", 0, &f->tx_ring), 0);
	cr_assert_eq(sdrv_xenbus_grant_ring(&f->dev, 0, "rx-", 0, &f->rx_ring), 0);
	cr_assert_eq(sdrv_xenbus_alloc_evtchn(&f->dev, 0, "", "event-channel",
					      &f->port), 0);
	cr_assert_eq(sdrv_xenbus_write_uint(&f->dev.xb, 0, "request-rx-copy", 1), 0);
	cr_assert_eq(sdrv_xenbus_write_uint(&f->dev.xb, 0, "request-multicast-control",
					    raw_mcast_control), 0);
	cr_assert_eq(sdrv_xenbus_write_uint(&f->dev.xb, 0, "feature-persistent",
					    raw_persistent), 0);
	cr_assert_eq(sdrv_ring_sring_init(f->tx_ring.addr, SDRV_PAGE_SIZE), 0);
	cr_assert_eq(sdrv_ring_sring_init(f->rx_ring.addr, SDRV_PAGE_SIZE), 0);
	cr_assert_eq(sdrv_netif_tx_front_attach(&f->tx, f->tx_ring.addr,
						SDRV_PAGE_SIZE, 0), 0);
	cr_assert_eq(sdrv_netif_rx_front_attach(&f->rx, f->rx_ring.addr,
						SDRV_PAGE_SIZE, 0), 0);
	cr_assert_eq(sdrv_xenbus_switch_state(&f->dev.xb, SDRV_XENBUS_INITIALISED), 0);
	cr_assert_eq(sdrv_xenbus_wait_peer_state(&f->dev.xb,
						 1u << SDRV_XENBUS_CONNECTED, 10000),
		     SDRV_XENBUS_CONNECTED, "netback connected vif 1/%u", devid);
	/* A broadcast frame of an experimental ethertype, 100 bytes. */
	f->page = sdrv_page_alloc(w.guest1);
	memset(f->page, 0xff, 6);
	memcpy((char *)f->page + 6, "\x00\x16\x3e\x00\x01\x00", 6);
	memcpy((char *)f->page + 12, "\x88\xb5", 2);
	for (int i = 14; i < 100; i++)
		((unsigned char *)f->page)[i] = (unsigned char)(i + devid);
	ref = sdrv_grant_access(w.guest1, 0, f->page, true);
	cr_assert_geq(ref, 0);
	f->gref = (sdrv_grant_ref_t)ref;
}

static void tx_put(struct raw_vif *f, const void *slots, unsigned n)
{
	cr_assert_eq(sdrv_netif_tx_front_put_requests(&f->tx, slots, n), n);
	if (sdrv_ring_front_push(&f->tx))
		sdrv_evtchn_notify(w.guest1, f->port);
}

/* Take @n transmit responses (10 s at most). */
static void tx_answers(struct raw_vif *f, struct sdrv_netif_tx_response *rsp,
		       unsigned n)
{
	unsigned got = 0;

	for (int idle = 0; got < n && idle < 100;) {
		uint32_t k = sdrv_netif_tx_front_take_responses(&f->tx, rsp + got,
								n - got);

		got += k;
		if (k || sdrv_ring_front_final_check(&f->tx))
			continue;
		if (sdrv_evtchn_wait_port(w.guest1, f->port, 100) == 0)
			idle++;
	}
	cr_assert_eq(got, n, "%u of %u transmit answers came", got, n);
}

static struct sdrv_netif_tx_request slot(struct raw_vif *f, uint16_t id,
					 uint16_t offset, uint16_t size,
					 uint16_t flags)
{
	return (struct sdrv_netif_tx_request){ .gref = f->gref, .offset = offset,
					       .flags = flags, .id = id,
					       .size = size };
}

/* Guest 2 receives a frame of @len within 5 s. */
static bool guest2_receives(int len)
{
	static unsigned char buf[SDRV_NETFRONT_MAX_PACKET];

	for (int i = 0; i < 50; i++) {
		int n = sdrv_netfront_recv(nf2, buf, sizeof(buf));

		if (n == len)
			return true;
		if (n == 0)
			sdrv_netfront_wait(nf2, 100);
	}
	return false;
}

/* vif 1/1 (@good, honest) is served on: a frame of it is answered OKAY
 * and reaches guest 2. */
static void expect_vif_1_1_served_on(struct raw_vif *good)
{
	struct sdrv_netif_tx_request one = slot(good, 3, 0, 100, 0);
	struct sdrv_netif_tx_response rsp;

	tx_put(good, &one, 1);
	tx_answers(good, &rsp, 1);
	cr_expect_eq(rsp.status, SDRV_NETIF_RSP_OKAY, "vif 1/1 is served on");
	cr_expect(guest2_receives(100), "and its frame reaches guest 2");
}

/* The backend's state of vif 1/@devid and its error key: the state
 * first, since the backend writes the error before it switches. */
static int backend_state(uint32_t devid, char *error, size_t len)
{
	char path[96];
	uint64_t st;
	int state;

	snprintf(path, sizeof(path), "/local/domain/0/backend/vif/1/%u/state", devid);
	state = sdrv_xs_read_uint(w.xs1, 0, path, &st) ? -1 : (int)st;
	snprintf(path, sizeof(path), "/local/domain/0/backend/vif/1/%u/error", devid);
	if (sdrv_xs_read(w.xs1, 0, path, error, len) < 0)
		error[0] = '\0';
	return state;
}

/* Guest 2 sends a frame of 100 bytes to @dst whose byte 14 is @mark. */
static void guest2_sends_to(const char *dst, unsigned char mark)
{
	unsigned char frame[100] = { 0 };

	memcpy(frame, dst, 6);
	memcpy(frame + 6, "\x00\x16\x3e\x00\x02\x00", 6);
	memcpy(frame + 12, "\x88\xb5", 2);
	frame[14] = mark;
	for (int i = 0; i < 100 && sdrv_netfront_send(nf2, frame, sizeof(frame)); i++)
		sdrv_netfront_recv(nf2, frame, 0); /* the ring is full: answers */
}

static void guest2_sends(unsigned char mark)
{
	guest2_sends_to("\xff\xff\xff\xff\xff\xff", mark);
}

/* Post @n receive buffers (pages of guest 1's, granted writable). */
static void raw_post_rx(struct raw_vif *f, void **pages, unsigned n)
{
	struct sdrv_netif_rx_request req[16];

	cr_assert_leq(n, 16u);
	for (unsigned i = 0; i < n; i++) {
		int64_t ref;

		pages[i] = sdrv_page_alloc(w.guest1);
		ref = sdrv_grant_access(w.guest1, 0, pages[i], false);
		cr_assert_geq(ref, 0);
		f->rx_ref[i] = (sdrv_grant_ref_t)ref;
		req[i] = (struct sdrv_netif_rx_request){ .id = (uint16_t)i,
							 .gref = (sdrv_grant_ref_t)ref };
	}
	cr_assert_eq(sdrv_netif_rx_front_put_requests(&f->rx, req, n), n);
	if (sdrv_ring_front_push(&f->rx))
		sdrv_evtchn_notify(w.guest1, f->port);
}

/* Take receive answers until @n came or 2 s pass.  Return: how many. */
static unsigned raw_take_rx(struct raw_vif *f, struct sdrv_netif_rx_response *rsp,
			    unsigned n)
{
	unsigned got = 0;

	for (int idle = 0; got < n && idle < 20;) {
		uint32_t k = sdrv_netif_rx_front_take_responses(&f->rx, rsp + got, n - got);

		got += k;
		if (!k && sdrv_evtchn_wait_port(w.guest1, f->port, 100) == 0)
			idle++;
	}
	return got;
}

/* ---- the cases ------------------------------------------------------------- */

Test(netback_hostile, malformed_frames_are_answered_error_and_the_vif_serves_on)
{
	struct raw_vif f;
	struct sdrv_netif_tx_response rsp[4];
	struct sdrv_netif_tx_request s[3];
	struct sdrv_netif_extra_info gso = { .type = SDRV_NETIF_EXTRA_TYPE_GSO };
	const struct {
		const char *what;
		unsigned nr;
	} cases[] = {
		{ "a frame shorter than an Ethernet header", 1 },
		{ "a slot crossing its page", 1 },
		{ "follow-on slots adding up to more than the frame", 2 },
		{ "an empty follow-on slot", 2 },
		{ "GSO of a type no one knows", 2 },
		{ "a ref never granted", 1 },
	};

	raw_connect(&f, 0);
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		switch (c) {
		case 0:
			s[0] = slot(&f, 1, 0, 10, 0);
			break;
		case 1:
			s[0] = slot(&f, 1, 4000, 200, 0);
			break;
		case 2:
			s[0] = slot(&f, 1, 0, 100, SDRV_NETTXF_MORE_DATA);
			s[1] = slot(&f, 2, 0, 100, 0);
			break;
		case 3:
			s[0] = slot(&f, 1, 0, 100, SDRV_NETTXF_MORE_DATA);
			s[1] = slot(&f, 2, 0, 0, 0);
			break;
		case 4:
			s[0] = slot(&f, 1, 0, 100, SDRV_NETTXF_EXTRA_INFO);
			gso.u.gso.size = 1400;
			gso.u.gso.type = 7;
			memcpy(&s[1], &gso, sizeof(gso));
			break;
		case 5:
			s[0] = slot(&f, 1, 0, 100, 0);
			s[0].gref = 4000;
			break;
		}
		tx_put(&f, s, cases[c].nr);
		tx_answers(&f, rsp, cases[c].nr);
		cr_expect_eq(rsp[0].status, SDRV_NETIF_RSP_ERROR, "%s: answered ERROR",
			     cases[c].what);
	}
	/* Then a good frame: answered OKAY and flooded to guest 2. */
	s[0] = slot(&f, 7, 0, 100, 0);
	tx_put(&f, s, 1);
	tx_answers(&f, rsp, 1);
	cr_expect_eq(rsp[0].status, SDRV_NETIF_RSP_OKAY);
	cr_expect(guest2_receives(100), "guest 2 got the good frame");
	cr_expect_null(sdrv_netfront_broken(nf2));
}

/*
 * One burst mixing every way a frame takes through netback-dpdk: one-slot
 * frames (its quick way), a two-slot frame, a runt and a one-slot frame
 * of a ref never granted.  Each slot is answered once, by its id, with
 * its own status, and the good frames reach guest 2 in the order sent
 * (told apart by their lengths: 90, 100, 80).
 */
Test(netback_hostile, a_burst_of_quick_general_and_bad_frames_is_answered_and_kept_in_order)
{
	struct raw_vif f;
	struct sdrv_netif_tx_request s[6];
	struct sdrv_netif_tx_response rsp[6];
	static unsigned char buf[SDRV_NETFRONT_MAX_PACKET];
	const int16_t want[6] = { SDRV_NETIF_RSP_OKAY,	SDRV_NETIF_RSP_OKAY,
				  SDRV_NETIF_RSP_OKAY,	SDRV_NETIF_RSP_ERROR,
				  SDRV_NETIF_RSP_ERROR, SDRV_NETIF_RSP_OKAY };
	const int lens[3] = { 90, 100, 80 };
	unsigned seen = 0, got = 0;

	raw_connect(&f, 0);
	s[0] = slot(&f, 0, 0, 90, 0);
	s[1] = slot(&f, 1, 0, 100, SDRV_NETTXF_MORE_DATA);
	s[2] = slot(&f, 2, 0, 40, 0);
	s[3] = slot(&f, 3, 0, 10, 0);
	s[4] = slot(&f, 4, 0, 100, 0);
	s[4].gref = 4000;
	s[5] = slot(&f, 5, 0, 80, 0);
	tx_put(&f, s, 6);
	tx_answers(&f, rsp, 6);
	for (unsigned i = 0; i < 6; i++) {
		cr_assert_lt(rsp[i].id, 6, "answer %u names a slot sent (%u)", i, rsp[i].id);
		cr_expect_eq(rsp[i].status, want[rsp[i].id], "slot %u answered %d", rsp[i].id,
			     rsp[i].status);
		seen |= 1u << rsp[i].id;
	}
	cr_expect_eq(seen, 0x3fu, "every slot answered once");
	for (int i = 0; i < 100 && got < 3; i++) {
		int n = sdrv_netfront_recv(nf2, buf, sizeof(buf));

		if (n > 0) {
			cr_expect_eq(n, lens[got], "guest 2's frame %u is %d bytes long", got, n);
			got++;
		} else if (n == 0) {
			sdrv_netfront_wait(nf2, 100);
		}
	}
	cr_expect_eq(got, 3, "guest 2 got the three good frames");
	cr_expect_null(sdrv_netfront_broken(nf2));
}

/* @fatal on vif 1/0 disables it, with a reason; vif 1/1 is served on. */
static void fatal_and_alone(const struct sdrv_netif_tx_request *s, unsigned n,
			    const char *reason)
{
	struct raw_vif bad, good;
	char error[160];
	int state = -1;

	raw_connect(&bad, 0);
	raw_connect(&good, 1);
	{
		struct sdrv_netif_tx_request r[32];

		/* Published together: a chain is never seen half-written. */
		for (unsigned i = 0; i < n; i++) {
			r[i] = s[i];
			r[i].gref = r[i].gref ? r[i].gref : bad.gref;
		}
		tx_put(&bad, r, n);
	}
	for (int i = 0; i < 100; i++) {
		state = backend_state(0, error, sizeof(error));
		if (state == SDRV_XENBUS_CLOSING)
			break;
		usleep(50000);
	}
	cr_expect_eq(state, SDRV_XENBUS_CLOSING, "vif 1/0 is closed by the backend");
	cr_expect(strstr(error, reason), "its error says \"%s\": \"%s\"", reason, error);
	expect_vif_1_1_served_on(&good);
}

Test(netback_hostile, a_frame_of_more_slots_than_allowed_disables_that_vif_alone)
{
	struct sdrv_netif_tx_request s[19];

	for (int i = 0; i < 19; i++)
		s[i] = (struct sdrv_netif_tx_request){
			.offset = 0, .size = i ? 10 : 400, .id = (uint16_t)i,
			.flags = i < 18 ? SDRV_NETTXF_MORE_DATA : 0 };
	fatal_and_alone(s, 19, "slots");
}

Test(netback_hostile, a_chain_running_past_the_producer_index_disables_that_vif)
{
	struct sdrv_netif_tx_request s = { .size = 100, .id = 1,
					   .flags = SDRV_NETTXF_MORE_DATA };

	fatal_and_alone(&s, 1, "producer index");
}

Test(netback_hostile, an_extra_of_an_unknown_type_disables_that_vif)
{
	struct sdrv_netif_tx_request s[2] = {
		{ .size = 100, .id = 1, .flags = SDRV_NETTXF_EXTRA_INFO },
	};
	struct sdrv_netif_extra_info x = { .type = 77 };

	/* Its first bytes (type 77) stand where a ref would: not zero, so
	 * fatal_and_alone() keeps the slot as written. */
	memcpy(&s[1], &x, sizeof(x));
	fatal_and_alone(s, 2, "unknown type");
}

Test(netback_hostile, an_extra_saying_more_at_the_producer_index_disables_that_vif)
{
	struct sdrv_netif_tx_request s[2] = {
		{ .size = 100, .id = 1, .flags = SDRV_NETTXF_EXTRA_INFO },
	};
	struct sdrv_netif_extra_info x = {
		.type = SDRV_NETIF_EXTRA_TYPE_GSO,
		.flags = SDRV_NETIF_EXTRA_FLAG_MORE,
		.u.gso = { .size = 1448, .type = SDRV_NETIF_GSO_TYPE_TCPV4 },
	};

	/* The extra promises another; the ring ends there. */
	memcpy(&s[1], &x, sizeof(x));
	fatal_and_alone(s, 2, "producer index");
}

Test(netback_hostile, a_gso_extra_of_size_0_disables_that_vif)
{
	struct sdrv_netif_tx_request s[2] = {
		{ .size = 100, .id = 1, .flags = SDRV_NETTXF_EXTRA_INFO },
	};
	struct sdrv_netif_extra_info x = {
		.type = SDRV_NETIF_EXTRA_TYPE_GSO,
		.u.gso = { .size = 0, .type = SDRV_NETIF_GSO_TYPE_TCPV4 },
	};

	/* As Linux netback: GSO size 0 is fatal. */
	memcpy(&s[1], &x, sizeof(x));
	fatal_and_alone(s, 2, "GSO extra of size 0");
}

/* Rewrites the first transmit slots of a ring with pseudo-random bytes,
 * over and over, while netback reads them. */
struct flipper {
	unsigned char *slots;
	size_t bytes;
	volatile bool stop;
};

static void *flip_slots(void *arg)
{
	struct flipper *fl = arg;
	uint32_t x = 12345;

	while (!fl->stop)
		for (size_t i = 0; i < fl->bytes; i++) {
			x = x * 1103515245u + 12345u;
			__atomic_store_n(&fl->slots[i], (unsigned char)(x >> 16),
					 __ATOMIC_RELAXED);
		}
	return NULL;
}

Test(netback_hostile, transmit_slots_rewritten_while_read_are_answered_or_the_vif_disabled)
{
	struct raw_vif bad, good;
	struct sdrv_netif_tx_request r[64];
	struct sdrv_netif_tx_response rsp[64];
	struct flipper fl = { 0 };
	pthread_t th;
	unsigned got = 0;
	char error[160];
	int state;

	raw_connect(&bad, 0);
	raw_connect(&good, 1);
	for (unsigned i = 0; i < 64; i++)
		r[i] = slot(&bad, (uint16_t)i, 0, 100, 0);
	fl.slots = (unsigned char *)bad.tx_ring.addr + SDRV_SRING_HEADER_SIZE;
	fl.bytes = 64 * sizeof(union sdrv_netif_tx_slot);
	cr_assert_eq(pthread_create(&th, NULL, flip_slots, &fl), 0);
	tx_put(&bad, r, 64);
	/* Each slot is answered once, whatever it read, unless what it read
	 * was fatal (a chain too long or past the producer index, an
	 * unknown extra): then the vif is disabled.  3 s at most. */
	for (int idle = 0; got < 64 && idle < 30;) {
		uint32_t k = sdrv_netif_tx_front_take_responses(&bad.tx, rsp, 64);

		got += k;
		if (k || sdrv_ring_front_final_check(&bad.tx))
			continue;
		state = backend_state(0, error, sizeof(error));
		if (state == SDRV_XENBUS_CLOSING)
			break;
		if (sdrv_evtchn_wait_port(w.guest1, bad.port, 100) == 0)
			idle++;
	}
	fl.stop = true;
	pthread_join(th, NULL);
	cr_expect(!sdrv_ring_front_fault(&bad.tx), "netback's answer index stays in range");
	state = backend_state(0, error, sizeof(error));
	cr_expect(got == 64 || (state == SDRV_XENBUS_CLOSING && error[0]),
		  "every slot answered (%u of 64) or the vif disabled with a reason "
		  "(state %d, \"%s\")", got, state, error);
	cr_expect_eq(kill(w.netback_pid, 0), 0, "netback-dpdk still runs");
	expect_vif_1_1_served_on(&good);
}

/* The guest ends access to its frames' page and grants it again, over and
 * over, while they are read (netback reads small frames without a pin, and
 * throws away a read whose grant changed under it). */
struct toggler {
	void *page;
	int64_t ref;
	volatile bool stop;
	unsigned ended;
};

static void *toggle_grant(void *arg)
{
	struct toggler *t = arg;

	while (!t->stop) {
		if (t->ref < 0 || sdrv_grant_end_access(w.guest1, (sdrv_grant_ref_t)t->ref))
			continue;
		t->ended++;
		t->ref = sdrv_grant_access(w.guest1, 0, t->page, true);
	}
	return NULL;
}

Test(netback_hostile, a_page_whose_grant_ends_while_read_is_answered_and_hurts_no_one)
{
	struct raw_vif bad, good;
	struct sdrv_netif_tx_request r[64];
	struct sdrv_netif_tx_response rsp[64];
	struct toggler t = { 0 };
	unsigned okay = 0, error = 0;
	pthread_t th;

	raw_connect(&bad, 0);
	raw_connect(&good, 1);
	t.page = bad.page;
	t.ref = bad.gref;
	for (unsigned i = 0; i < 64; i++)
		r[i] = slot(&bad, (uint16_t)i, 0, 100, 0);
	cr_assert_eq(pthread_create(&th, NULL, toggle_grant, &t), 0);
	for (int round = 0; round < 20; round++) {
		tx_put(&bad, r, 64);
		tx_answers(&bad, rsp, 64);
		for (unsigned i = 0; i < 64; i++) {
			okay += rsp[i].status == SDRV_NETIF_RSP_OKAY;
			error += rsp[i].status == SDRV_NETIF_RSP_ERROR;
		}
	}
	t.stop = true;
	pthread_join(th, NULL);
	cr_expect_geq(t.ref, 0, "the page granted again at the end");
	cr_expect_eq(okay + error, 20 * 64, "every frame answered OKAY or ERROR");
	cr_expect_gt(t.ended, 0, "the guest ended access while frames were out");
	cr_expect_eq(kill(w.netback_pid, 0), 0, "netback-dpdk still runs");
	expect_vif_1_1_served_on(&good);
}

/*
 * A frame of 1400 bytes leaves netback-dpdk in the guest's own page (it is
 * lent, not copied), so the guest can rewrite it while it is out: here a
 * thread rewrites the whole frame, header included, with random bytes the
 * whole time.  Every request is still answered OKAY (its length was
 * checked once, and stays), netback-dpdk lends and runs on, guest 2 gets
 * whatever frames the switch made of it at their length, and vif 1/1 is
 * served on.
 */
Test(netback_hostile, a_lent_page_rewritten_while_out_is_answered_and_hurts_no_one)
{
	enum { LEN = 1400 };
	static unsigned char buf[SDRV_NETFRONT_MAX_PACKET];
	struct raw_vif bad, good;
	struct sdrv_netif_tx_request r[64];
	struct sdrv_netif_tx_response rsp[64];
	struct flipper fl = { 0 };
	long long lent0, lent;
	unsigned ok = 0;
	pthread_t th;
	int n;

	raw_connect(&bad, 0);
	raw_connect(&good, 1);
	lent0 = netback_world_counter(&w, "vif 1/0", "lent");
	cr_assert_geq(lent0, 0);
	for (unsigned i = 0; i < 64; i++)
		r[i] = slot(&bad, (uint16_t)i, 0, LEN, 0);
	fl.slots = bad.page;
	fl.bytes = LEN;
	cr_assert_eq(pthread_create(&th, NULL, flip_slots, &fl), 0);
	tx_put(&bad, r, 64);
	tx_answers(&bad, rsp, 64);
	fl.stop = true;
	pthread_join(th, NULL);
	for (unsigned i = 0; i < 64; i++)
		ok += rsp[i].status == SDRV_NETIF_RSP_OKAY;
	cr_expect_eq(ok, 64, "every frame answered OKAY (%u)", ok);
	lent = netback_world_counter(&w, "vif 1/0", "lent") - lent0;
	cr_expect(lent >= 1 && lent <= 64, "frames were lent while rewritten (%lld)", lent);
	cr_expect_eq(kill(w.netback_pid, 0), 0, "netback-dpdk still runs");
	/* What reached guest 2 (a random destination floods, or goes
	 * nowhere) came at its length. */
	for (int idle = 0; idle < 3;) {
		n = sdrv_netfront_recv(nf2, buf, sizeof(buf));
		if (n == 0) {
			idle += sdrv_netfront_wait(nf2, 100) == 0;
			continue;
		}
		cr_assert_eq(n, LEN, "guest 2 got a frame of %d bytes", n);
	}
	cr_expect_null(sdrv_netfront_broken(nf2), "guest 2 is served on");
	expect_vif_1_1_served_on(&good);
}

/*
 * RX starvation: vif 1/0 posts no receive buffer while guest 2 floods it.
 * netback-dpdk holds a few frames for it, then (after NB_RX_STALL_MS, 2 s)
 * drops them and every frame for it, serving guest 2 on; when vif 1/0
 * posts buffers at last, it gets only what came after, never the frames
 * it left waiting.
 */
Test(netback_hostile, a_guest_that_posts_no_buffers_stalls_and_gets_only_fresh_frames)
{
	struct raw_vif f;
	struct sdrv_netif_rx_response rsp[8];
	void *pages[8];
	unsigned got;

	raw_connect(&f, 0);
	for (unsigned char i = 1; i <= 20; i++)
		guest2_sends(i); /* stale: vif 1/0 has no buffer */
	sleep(3);
	cr_expect_null(sdrv_netfront_broken(nf2), "guest 2 is served on");
	raw_post_rx(&f, pages, 8);
	usleep(200000);
	guest2_sends(99); /* fresh */
	got = raw_take_rx(&f, rsp, 8);
	cr_assert_geq(got, 1, "vif 1/0 received the fresh frame");
	cr_expect_eq(rsp[0].status, 100, "a whole frame (status %d)", rsp[0].status);
	cr_expect_lt(rsp[0].id, 8);
	cr_expect_eq(((unsigned char *)pages[rsp[0].id % 8])[14], 99,
		     "the first frame vif 1/0 got is the fresh one, not one it "
		     "left waiting (mark %u)",
		     ((unsigned char *)pages[rsp[0].id % 8])[14]);
	cr_expect_eq(got, 1, "and nothing else (%u frames)", got);
}

/*
 * Receive grants.  A frontend that does not say feature-persistent (as
 * Linux's, which ends access to each buffer as its answer comes, and
 * gives the device up if the grant is still in use) has each back with
 * its answer.  One that says it has them kept held while connected (a
 * burst then pins nothing), and back when it goes.
 */
/* vif 1/0 connected by hand (saying feature-persistent if @persistent),
 * 4 buffers posted into @pages, and guest 2's frame received into one.
 * Return: that buffer's id. */
static uint16_t raw_receives_one(struct raw_vif *f, bool persistent, void **pages)
{
	struct sdrv_netif_rx_response rsp;

	raw_persistent = persistent;
	raw_connect(f, 0);
	raw_persistent = false;
	raw_post_rx(f, pages, 4);
	usleep(200000);
	guest2_sends(7);
	cr_assert_eq(raw_take_rx(f, &rsp, 1), 1, "vif 1/0 received guest 2's frame");
	cr_assert_eq(rsp.status, 100);
	cr_assert_lt(rsp.id, 4);
	return rsp.id;
}

Test(netback_hostile, a_receive_grant_comes_back_with_its_answer_without_feature_persistent)
{
	struct raw_vif f;
	void *pages[4];
	uint16_t id = raw_receives_one(&f, false, pages);

	cr_expect_eq(sdrv_grant_end_access(w.guest1, f.rx_ref[id]), 0,
		     "the answered buffer's grant ends at once");
	cr_expect_eq(netback_world_counter(&w, "vif 1/0", "grants kept"), 0,
		     "netback-dpdk says it keeps no grant of vif 1/0");
}

Test(netback_hostile, a_persistent_frontends_receive_grants_stay_held_until_it_goes)
{
	struct raw_vif f;
	struct sdrv_netif_rx_response rsp[4];
	struct sdrv_netif_rx_request again;
	void *pages[4];
	uint16_t id = raw_receives_one(&f, true, pages);
	int end = -1;

	cr_expect_eq(sdrv_grant_end_access(w.guest1, f.rx_ref[id]), -SDRV_EBUSY,
		     "the answered buffer's grant is kept held");
	/* Posted again (after the three still posted), it is written again,
	 * through the grant kept. */
	again = (struct sdrv_netif_rx_request){ .id = id, .gref = f.rx_ref[id] };
	cr_assert_eq(sdrv_netif_rx_front_put_requests(&f.rx, &again, 1), 1);
	if (sdrv_ring_front_push(&f.rx))
		sdrv_evtchn_notify(w.guest1, f.port);
	for (unsigned char mark = 8; mark < 12; mark++)
		guest2_sends(mark);
	cr_assert_eq(raw_take_rx(&f, rsp, 4), 4, "four more frames came");
	cr_expect_eq(rsp[3].id, id, "the last into the buffer posted again");
	cr_expect_eq(((unsigned char *)pages[id])[14], 11,
		     "which holds the fourth frame (mark %u)", ((unsigned char *)pages[id])[14]);
	cr_expect_eq(netback_world_counter(&w, "vif 1/0", "grants kept"), 4,
		     "netback-dpdk says it keeps the four buffers' grants");
	/* Gone: every grant is ours again. */
	cr_assert_eq(sdrv_xenbus_switch_state(&f.dev.xb, SDRV_XENBUS_CLOSING), 0);
	sdrv_xenbus_wait_peer_state(&f.dev.xb, 1u << SDRV_XENBUS_CLOSING |
					       1u << SDRV_XENBUS_CLOSED, 10000);
	for (int i = 0; i < 50 && end; i++) {
		end = sdrv_grant_end_access(w.guest1, f.rx_ref[id]);
		if (end)
			usleep(100000);
	}
	cr_expect_eq(end, 0, "the grant ends once vif 1/0 is closing");
	for (unsigned i = 0; i < 4; i++)
		if (i != id)
			cr_expect_eq(sdrv_grant_end_access(w.guest1, f.rx_ref[i]), 0,
				     "and so does buffer %u's", i);
	cr_expect_null(sdrv_netfront_broken(nf2), "guest 2 is served on");
}

/* A broadcast UDP/IPv4 datagram of 32 bytes from guest @g's MAC into @p
 * (74 bytes), its UDP checksum 0xdead (garbage). */
static unsigned udp_frame(unsigned char *p, unsigned char g)
{
	const unsigned len = 14 + 20 + 8 + 32;
	uint32_t sum;

	memset(p, 0, len);
	memset(p, 0xff, 6);
	memcpy(p + 6, "\x00\x16\x3e\x00\x00\x00", 6);
	p[10] = g;
	memcpy(p + 12, "\x08\x00", 2);
	p[14] = 0x45;
	p[17] = 20 + 8 + 32;
	p[22] = 64;
	p[23] = 17; /* UDP */
	memcpy(p + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	sum = ones_sum(p + 14, 20, 0);
	p[24] = (unsigned char)(~sum >> 8);
	p[25] = (unsigned char)~sum;
	memcpy(p + 34, "\x30\x39\x00\x07\x00\x28\xde\xad", 8);
	for (int i = 0; i < 32; i++)
		p[42 + i] = (unsigned char)(i * 7);
	return len;
}

/* Whether the UDP/IPv4 datagram in @p (as udp_frame() builds it) has a
 * right checksum: pseudo-header and datagram sum to 0xffff. */
static bool udp_sum_right(const unsigned char *p)
{
	uint32_t sum = ones_sum(p + 26, 8, 17 + 40);

	return ones_sum(p + 34, 40, sum) == 0xffffu;
}

/* A TCP/IPv4 frame from 10.0.0.1:1000 to 10.0.0.2:2000 at @p with @payload
 * bytes (byte i is i * 3), sequence number 0x10000000, PSH|ACK|FIN, its
 * checksums blank (a GSO frame's are made as it is cut).  Return: its
 * length. */
static unsigned tcp_frame(unsigned char *p, unsigned payload)
{
	const unsigned hdr = 14 + 20 + 20;

	memset(p, 0, hdr);
	memcpy(p, "\x00\x16\x3e\x00\x02\x00", 6);
	memcpy(p + 6, "\x00\x16\x3e\x00\x01\x00", 6);
	memcpy(p + 12, "\x08\x00", 2);
	p[14] = 0x45;
	p[16] = (unsigned char)((20 + 20 + payload) >> 8);
	p[17] = (unsigned char)(20 + 20 + payload);
	p[18] = 0x12; /* IP id 0x1234 */
	p[19] = 0x34;
	p[22] = 64;
	p[23] = 6; /* TCP */
	memcpy(p + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	memcpy(p + 34, "\x03\xe8\x07\xd0\x10\x00\x00\x00", 8);
	p[46] = 0x50; /* a header of 20 bytes */
	p[47] = 0x19; /* FIN, PSH, ACK */
	p[48] = 0xff;
	for (unsigned i = 0; i < payload; i++)
		p[hdr + i] = (unsigned char)(i * 3);
	return hdr + payload;
}

/*
 * A GSO frame (NETTXF_extra_info with a GSO extra, as Linux's netfront
 * sends TCP): 5000 bytes of payload over two slots of two pages, GSO size
 * 1000.  Guest 2 took no GSO (libsplitdrv's netfront): it gets five
 * segments of 1000 bytes, each with its IP length and id, its sequence
 * number, FIN and PSH on the last alone, and right checksums.
 */
Test(netback_hostile, a_gso_frame_is_cut_into_segments_for_a_guest_that_takes_none)
{
	enum { PAYLOAD = 5000, MSS = 1000, SEGS = PAYLOAD / MSS };
	static unsigned char whole[8192], buf[SDRV_NETFRONT_MAX_PACKET];
	struct raw_vif f;
	struct sdrv_netif_tx_request s[3];
	struct sdrv_netif_extra_info x = {
		.type = SDRV_NETIF_EXTRA_TYPE_GSO,
		.u.gso = { .size = MSS, .type = SDRV_NETIF_GSO_TYPE_TCPV4 },
	};
	struct sdrv_netif_tx_response rsp[3];
	unsigned len = tcp_frame(whole, PAYLOAD);
	void *page2 = sdrv_page_alloc(w.guest1);
	int64_t ref2;

	raw_connect(&f, 0);
	cr_assert_not_null(page2);
	ref2 = sdrv_grant_access(w.guest1, 0, page2, true);
	cr_assert_geq(ref2, 0);
	memcpy(f.page, whole, SDRV_PAGE_SIZE);
	memcpy(page2, whole + SDRV_PAGE_SIZE, len - SDRV_PAGE_SIZE);
	s[0] = slot(&f, 1, 0, (uint16_t)len,
		    SDRV_NETTXF_EXTRA_INFO | SDRV_NETTXF_MORE_DATA | SDRV_NETTXF_CSUM_BLANK);
	memcpy(&s[1], &x, sizeof(x));
	s[2] = slot(&f, 2, 0, (uint16_t)(len - SDRV_PAGE_SIZE), 0);
	s[2].gref = (sdrv_grant_ref_t)ref2;
	tx_put(&f, s, 3);
	tx_answers(&f, rsp, 3);
	cr_expect_eq(rsp[0].status, SDRV_NETIF_RSP_OKAY, "the GSO frame: OKAY");
	for (unsigned k = 0; k < SEGS; k++) {
		unsigned char *t = buf + 34;
		uint32_t seq;
		int got = 0;

		for (int i = 0; i < 50 && got <= 0; i++) {
			got = sdrv_netfront_recv(nf2, buf, sizeof(buf));
			if (got == 0)
				sdrv_netfront_wait(nf2, 100);
		}
		cr_assert_eq(got, 54 + MSS, "segment %u: %d bytes", k, got);
		cr_expect_eq(buf[16] << 8 | buf[17], 40 + MSS, "segment %u's IP length", k);
		cr_expect_eq(buf[18] << 8 | buf[19], 0x1234 + k, "segment %u's IP id", k);
		cr_expect_eq(ones_sum(buf + 14, 20, 0), 0xffffu,
			     "segment %u's IP checksum is right", k);
		seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
		cr_expect_eq(seq, 0x10000000u + k * MSS, "segment %u's sequence number", k);
		cr_expect_eq(t[13], k + 1 < SEGS ? 0x10 : 0x19,
			     "segment %u's flags: FIN and PSH on the last alone (%#x)", k, t[13]);
		cr_expect_eq(ones_sum(t, 20 + MSS, ones_sum(buf + 26, 8, 6 + 20 + MSS)),
			     0xffffu, "segment %u's TCP checksum is right", k);
		cr_expect_eq(memcmp(buf + 54, whole + 54 + k * MSS, MSS), 0,
			     "segment %u's payload", k);
	}
	cr_expect_eq(sdrv_grant_end_access(w.guest1, (sdrv_grant_ref_t)ref2), 0);
}

/*
 * GSO frames whose headers lie (taken whole, answered OKAY, then cut):
 * not IP, an IP length that is not the frame's, a fragment, a TCP header
 * past the frame, a GSO type that is not the frame's, a GSO size that
 * would make 500 segments.  None is cut into anything guest 2 sees; the
 * good frame after them arrives first.
 */
Test(netback_hostile, gso_frames_whose_headers_lie_are_cut_into_nothing)
{
	struct raw_vif f;
	struct sdrv_netif_tx_request s[2];
	struct sdrv_netif_tx_response rsp[2];
	static unsigned char buf[SDRV_NETFRONT_MAX_PACKET];
	unsigned char *p;
	int got = 0;

	raw_connect(&f, 0);
	p = f.page;
	for (unsigned c = 0; c < 6; c++) {
		struct sdrv_netif_extra_info x = {
			.type = SDRV_NETIF_EXTRA_TYPE_GSO,
			.u.gso = { .size = c == 5 ? 10 : 1000,
				   .type = c == 4 ? SDRV_NETIF_GSO_TYPE_TCPV6
						  : SDRV_NETIF_GSO_TYPE_TCPV4 },
		};
		unsigned len = tcp_frame(p, 4000);

		switch (c) {
		case 0: /* ARP, not IP */
			p[12] = 0x08, p[13] = 0x06;
			break;
		case 1: /* an IP length short of the frame */
			p[16] = 0x01;
			break;
		case 2: /* a fragment */
			p[20] = 0x20;
			break;
		case 3: /* a TCP header of 60 bytes in a frame of 10 past it */
			len = 14 + 20 + 30;
			p[16] = 0, p[17] = 50;
			p[46] = 0xf0;
			break;
		}
		s[0] = slot(&f, (uint16_t)(1 + c), 0, (uint16_t)len,
			    SDRV_NETTXF_EXTRA_INFO | SDRV_NETTXF_CSUM_BLANK);
		memcpy(&s[1], &x, sizeof(x));
		tx_put(&f, s, 2);
		tx_answers(&f, rsp, 2);
	}
	/* Then a good frame of 100 bytes: the first thing guest 2 gets. */
	memset(p, 0xff, 6);
	memcpy(p + 6, "\x00\x16\x3e\x00\x01\x00", 6);
	memcpy(p + 12, "\x88\xb5", 2);
	s[0] = slot(&f, 9, 0, 100, 0);
	tx_put(&f, s, 1);
	tx_answers(&f, rsp, 1);
	cr_expect_eq(rsp[0].status, SDRV_NETIF_RSP_OKAY);
	for (int i = 0; i < 50 && got <= 0; i++) {
		got = sdrv_netfront_recv(nf2, buf, sizeof(buf));
		if (got == 0)
			sdrv_netfront_wait(nf2, 100);
	}
	cr_expect_eq(got, 100, "guest 2's first frame is the good one (%d bytes)", got);
	cr_expect_null(sdrv_netfront_broken(nf2));
}

/*
 * A checksum left blank (NETTXF_csum_blank, as Linux's netfront sends TCP
 * and UDP): netback-dpdk finishes it before guest 2 sees the frame; a
 * blank checksum on a frame that is not TCP or UDP over IP is dropped.
 */
Test(netback_hostile, a_blank_udp_checksum_is_finished_before_anyone_sees_it)
{
	struct raw_vif f;
	struct sdrv_netif_tx_request s;
	struct sdrv_netif_tx_response rsp;
	static unsigned char buf[SDRV_NETFRONT_MAX_PACKET];
	unsigned char *p;
	unsigned len;
	int got = 0;

	raw_connect(&f, 0);
	/* Not IP: the blank checksum cannot be finished. */
	s = slot(&f, 1, 0, 100, SDRV_NETTXF_CSUM_BLANK);
	tx_put(&f, &s, 1);
	tx_answers(&f, &rsp, 1);
	cr_expect_eq(rsp.status, SDRV_NETIF_RSP_ERROR, "a blank checksum on no IP frame: ERROR");
	/* Headers that lie about lengths: an IPv4 total length past the
	 * frame, then a header length below 20; each frame dropped. */
	p = f.page;
	len = udp_frame(p, 1);
	p[16] = 0x05; /* total length 1340 in a frame of 74 */
	s = slot(&f, 3, 0, (uint16_t)len, SDRV_NETTXF_CSUM_BLANK);
	tx_put(&f, &s, 1);
	tx_answers(&f, &rsp, 1);
	cr_expect_eq(rsp.status, SDRV_NETIF_RSP_ERROR, "an IP length past the frame: ERROR");
	len = udp_frame(p, 1);
	p[14] = 0x42; /* IHL 2: 8 bytes */
	tx_put(&f, &s, 1);
	tx_answers(&f, &rsp, 1);
	cr_expect_eq(rsp.status, SDRV_NETIF_RSP_ERROR, "an IP header of 8 bytes: ERROR");
	/* A broadcast UDP/IPv4 datagram of 32 bytes, its checksum garbage. */
	len = udp_frame(p, 1);
	s = slot(&f, 2, 0, (uint16_t)len, SDRV_NETTXF_CSUM_BLANK);
	tx_put(&f, &s, 1);
	tx_answers(&f, &rsp, 1);
	cr_expect_eq(rsp.status, SDRV_NETIF_RSP_OKAY);
	for (int i = 0; i < 50 && got <= 0; i++) {
		got = sdrv_netfront_recv(nf2, buf, sizeof(buf));
		if (got == 0)
			sdrv_netfront_wait(nf2, 100);
	}
	cr_assert_eq(got, (int)len, "guest 2 got the datagram (%d bytes)", got);
	cr_expect_neq(buf[40] << 8 | buf[41], 0xdead, "the checksum is no longer the guest's junk");
	cr_expect(udp_sum_right(buf), "the UDP checksum is right");
	cr_expect_eq(memcmp(buf + 42, p + 42, 32), 0, "the payload is untouched");
}

/* A multicast-control request: @op (MCAST_ADD or _DEL) of @addr, as an
 * extra on a request that carries no frame.  Return: the answer. */
static int16_t raw_mcast(struct raw_vif *f, uint8_t op, const char *addr)
{
	struct sdrv_netif_tx_request s[2];
	struct sdrv_netif_extra_info e = { .type = op };
	struct sdrv_netif_tx_response rsp[2];

	memcpy(e.u.mcast.addr, addr, 6);
	s[0] = slot(f, 1, 0, 0, SDRV_NETTXF_EXTRA_INFO);
	memcpy(&s[1], &e, sizeof(e));
	tx_put(f, s, 2);
	tx_answers(f, rsp, 2);
	return rsp[0].status;
}

/*
 * Multicast control: a guest that asked for it gets only the groups it
 * added (and broadcast); a request that is no group address is refused;
 * a flood of groups stops at 64 (Linux's limit), each one more answered
 * ERROR, and the vif serves on.
 */
Test(netback_hostile, multicast_control_filters_and_a_flood_of_groups_stops_at_64)
{
	struct raw_vif f;
	struct sdrv_netif_rx_response rsp[8];
	void *pages[8];
	unsigned got, ok = 0, refused = 0;
	char group[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

	raw_mcast_control = true;
	raw_connect(&f, 0);
	raw_mcast_control = false;
	cr_expect_eq(raw_mcast(&f, SDRV_NETIF_EXTRA_TYPE_MCAST_ADD, group), SDRV_NETIF_RSP_OKAY);
	cr_expect_eq(raw_mcast(&f, SDRV_NETIF_EXTRA_TYPE_MCAST_ADD, "\x00\x16\x3e\x00\x02\x00"),
		     SDRV_NETIF_RSP_ERROR, "a unicast address is no group");
	raw_post_rx(&f, pages, 8);
	guest2_sends_to("\x01\x00\x5e\x00\x00\x02", 2); /* not added */
	guest2_sends_to(group, 1);
	guest2_sends(3); /* broadcast */
	got = raw_take_rx(&f, rsp, 8);
	cr_assert_eq(got, 2, "vif 1/0 got the added group and broadcast only (%u frames)", got);
	cr_expect_eq(((unsigned char *)pages[rsp[0].id % 8])[14], 1);
	cr_expect_eq(((unsigned char *)pages[rsp[1].id % 8])[14], 3);
	/* 70 more groups: 63 fit beside the first, 7 are refused. */
	for (int i = 0; i < 70; i++) {
		group[4] = 1;
		group[5] = (char)i;
		if (raw_mcast(&f, SDRV_NETIF_EXTRA_TYPE_MCAST_ADD, group) == SDRV_NETIF_RSP_OKAY)
			ok++;
		else
			refused++;
	}
	cr_expect_eq(ok, 63, "%u groups added", ok);
	cr_expect_eq(refused, 7, "%u refused", refused);
	/* Removing one makes room for one. */
	group[5] = 0;
	cr_expect_eq(raw_mcast(&f, SDRV_NETIF_EXTRA_TYPE_MCAST_DEL, group), SDRV_NETIF_RSP_OKAY);
	group[5] = 69;
	cr_expect_eq(raw_mcast(&f, SDRV_NETIF_EXTRA_TYPE_MCAST_ADD, group), SDRV_NETIF_RSP_OKAY);
	cr_expect_null(sdrv_netfront_broken(nf2), "guest 2 is served on");
}

/* Checksum offload from netfront: a frame sent with
 * SDRV_NETFRONT_F_CSUM_BLANK goes NETTXF_csum_blank, and netback-dpdk
 * finishes its checksum before vif 1/0 receives it. */
Test(netback_hostile, netfront_sends_a_blank_checksum_and_it_arrives_finished)
{
	struct raw_vif f;
	struct sdrv_netif_rx_response rsp[4];
	unsigned char frame[80];
	void *pages[4];
	struct sdrv_netfront_frame out = { .data = frame, .flags = SDRV_NETFRONT_F_CSUM_BLANK };
	unsigned got;
	const unsigned char *p;

	raw_connect(&f, 0);
	raw_post_rx(&f, pages, 4);
	out.len = udp_frame(frame, 2);
	cr_assert_eq(sdrv_netfront_send_burst(nf2, &out, 1), 1);
	got = raw_take_rx(&f, rsp, 1);
	cr_assert_eq(got, 1, "vif 1/0 got guest 2's datagram");
	cr_assert_eq(rsp[0].status, (int16_t)out.len);
	p = pages[rsp[0].id % 4];
	cr_expect_neq(p[40] << 8 | p[41], 0xdead, "the checksum is no longer the sender's garbage");
	cr_expect(udp_sum_right(p), "the UDP checksum is right");
	cr_expect_eq(memcmp(p + 42, frame + 42, 32), 0, "the payload is untouched");
}

/*
 * Receive requests are the guest's too: buffers whose grants are not
 * ours to write are answered ERROR (the frame for them lost), and a
 * request index running past the ring disables that vif alone.
 */
static void garbage_receive_requests(bool persistent)
{
	struct raw_vif bad, good;
	struct sdrv_netif_rx_request req[4];
	struct sdrv_netif_rx_response rsp[4];
	char error[160];
	unsigned got;
	int state = -1;

	raw_persistent = persistent;
	raw_connect(&bad, 0);
	raw_persistent = false;
	raw_connect(&good, 1);
	for (int i = 0; i < 4; i++)
		req[i] = (struct sdrv_netif_rx_request){ .id = (uint16_t)(100 + i),
							 .gref = (sdrv_grant_ref_t)(3000 + i) };
	req[3].gref = bad.gref; /* granted, but read-only */
	cr_assert_eq(sdrv_netif_rx_front_put_requests(&bad.rx, req, 4), 4);
	sdrv_ring_front_push(&bad.rx);
	for (unsigned char i = 0; i < 4; i++)
		guest2_sends(i);
	got = raw_take_rx(&bad, rsp, 4);
	cr_expect_eq(got, 4, "every buffer answered (%u)", got);
	for (unsigned i = 0; i < got; i++) {
		cr_expect_eq(rsp[i].status, SDRV_NETIF_RSP_ERROR, "buffer %u: ERROR", i);
		cr_expect_eq(rsp[i].id, 100 + i, "its own id");
	}
	/* The request index runs far past the ring; a frame for it makes
	 * netback-dpdk look. */
	__atomic_store_n(&((struct sdrv_sring *)bad.rx_ring.addr)->req_prod,
			 bad.rx.req_prod_pvt + 5000, __ATOMIC_RELEASE);
	sdrv_evtchn_notify(w.guest1, bad.port);
	for (int i = 0; i < 100; i++) {
		guest2_sends(9);
		state = backend_state(0, error, sizeof(error));
		if (state == SDRV_XENBUS_CLOSING)
			break;
		usleep(50000);
	}
	cr_expect_eq(state, SDRV_XENBUS_CLOSING, "vif 1/0 is closed by the backend");
	cr_expect(strstr(error, "receive ring index"), "its error says why: \"%s\"", error);
	expect_vif_1_1_served_on(&good);
}

Test(netback_hostile, garbage_receive_requests_are_answered_error_or_disable_that_vif)
{
	garbage_receive_requests(false);
}

/* The same from a frontend whose grants are kept (netback/pins.c): a
 * grant that fails is never kept, a read-only one never written. */
Test(netback_hostile, garbage_receive_requests_of_a_persistent_frontend_are_answered_error)
{
	garbage_receive_requests(true);
}
