/* SPDX-License-Identifier: MIT */
/*
 * netfront's features against a running netback-dpdk with two polling
 * lcores (-l 0,1) offering three queues a vif (--max-queues 3: queues 0
 * and 2 on lcore 0, queue 1 on lcore 1).  This test process is guest
 * domains 1 and 2 of a real hv-stub (running sdrv-xenstored), each with
 * libsplitdrv's netfront; netback-dpdk is the build's own, under the same
 * sanitizers.
 *
 * Multi-queue: the queue count negotiated down to what both ends take;
 * every queue carrying frames, in order per flow; frames crossing lcores
 * (a queue of one lcore to a guest whose only queue is the other's); a
 * frontend that names more queues than offered, a queue without its keys,
 * or a feature-persistent that is not 0 or 1, refused with a reason while
 * the other guest is served on.
 *
 * GSO: a large TCP frame handed whole to a guest that takes GSO, and cut
 * into right segments for one that does not.
 *
 * The backend: frames lent in place to a netfront, a rate limit, vifs
 * gone kept in bounds, and large transmit frames lent on in the sender's
 * page (small ones copied; one left waiting for a guest copied after all,
 * so that it keeps none of its sender's slots).
 *
 * A port (a net_pcap file, netback-dpdk on one lcore): frames shorter than
 * an Ethernet header dropped and counted, the others taken.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <splitdrv/netfront.h>
#include <splitdrv/platform.h>
#include <splitdrv/xenbus_driver.h>
#include <splitdrv/xs.h>

#include "netback_world.h"
#include "../platform/hvstub_ctl.h"

/* Each queue of a netfront takes 514 of a domain's 2044 grants: three
 * fit, with nothing else granted. */
#define OFFERED 3u

static struct netback_world w;

static const uint8_t mac1[6] = { 0x00, 0x16, 0x3e, 0x00, 0x01, 0x00 };
static const uint8_t mac2[6] = { 0x00, 0x16, 0x3e, 0x00, 0x02, 0x00 };

static void world_up(void)
{
	static const char *const eal[] = { "-l", "0,1", NULL };
	static const char *const own[] = { "--max-queues", "3", NULL };

	/* Each queue's buffers are 512 pages of the domain's memory. */
	netback_world_up(&w, NETBACK_PATH, XENSTORED_PATH, 8192, eal, own);
}

static void world_down(void)
{
	netback_world_down(&w);
}

TestSuite(net_multiqueue, .init = world_up, .fini = world_down, .timeout = 120);
TestSuite(net_gso, .init = world_up, .fini = world_down, .timeout = 120);
TestSuite(net_backend, .init = world_up, .fini = world_down, .timeout = 120);

static struct sdrv_netfront *open_with(struct sdrv_platform *p, struct sdrv_xs *xs,
				       uint32_t devid,
				       const struct sdrv_netfront_config *cfg);

static struct sdrv_netfront *open_vif(struct sdrv_platform *p, struct sdrv_xs *xs,
				      uint32_t devid, unsigned queues, bool base)
{
	struct sdrv_netfront_config cfg = { .queues = queues, .base_protocol = base };

	return open_with(p, xs, devid, &cfg);
}

static struct sdrv_netfront *open_with(struct sdrv_platform *p, struct sdrv_xs *xs,
				       uint32_t devid,
				       const struct sdrv_netfront_config *cfg)
{
	struct sdrv_netfront *nf = NULL;
	int err = sdrv_netfront_open(p, xs, devid, cfg, &nf);

	cr_assert_eq(err, 0, "domain %u vif %u connects (%d)",
		     (unsigned)sdrv_platform_domid(p), devid, err);
	return nf;
}

/* A frame @from -> @to of an experimental ethertype, saying @tag and @seq. */
static size_t frame(uint8_t *f, const uint8_t *to, const uint8_t *from,
		    uint8_t tag, uint32_t seq)
{
	memset(f, 0, 64);
	memcpy(f, to, 6);
	memcpy(f + 6, from, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	f[14] = tag;
	memcpy(f + 16, &seq, sizeof(seq));
	return 64;
}

/* Each side says where it is (a broadcast), so that the switch learns it:
 * later frames go to it alone. */
static void introduce(struct sdrv_netfront *nf, const uint8_t *mac)
{
	static const uint8_t all[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t f[64];
	size_t len = frame(f, all, mac, 0xee, 0);

	cr_assert_eq(sdrv_netfront_send(nf, f, len), 0);
}

/* Take whatever came for @nf in the next 100 ms (the introductions). */
static void drain(struct sdrv_netfront *nf)
{
	for (int i = 0; i < 100; i++) {
		uint8_t buf[2048];

		while (sdrv_netfront_recv(nf, buf, sizeof(buf)) > 0)
			;
		usleep(1000);
	}
}

/* Receive on @nf (queue @queue, or every queue: -1) until @want frames of
 * tags below 0xee came, or 5 s; each frame's tag and sequence into
 * @tags/@seqs, the queue it came on into @queues.  Return: frames. */
static unsigned collect(struct sdrv_netfront *nf, unsigned want, uint8_t *tags,
			uint32_t *seqs, unsigned *queues)
{
	unsigned got = 0;

	for (int round = 0; round < 5000 && got < want; round++) {
		bool any = false;

		for (unsigned q = 0; q < sdrv_netfront_info(nf)->queues; q++) {
			uint8_t buf[2048];
			struct sdrv_netfront_frame f = { .data = buf, .cap = sizeof(buf) };

			while (sdrv_netfront_queue_recv_burst(nf, q, &f, 1) == 1) {
				any = true;
				if (buf[14] >= 0xee || got == want)
					continue;
				tags[got] = buf[14];
				memcpy(&seqs[got], buf + 16, sizeof(seqs[got]));
				queues[got++] = q;
			}
		}
		if (!any)
			usleep(1000);
	}
	return got;
}

Test(net_multiqueue, queue_counts_negotiated_down)
{
	struct sdrv_netfront *a = open_vif(w.guest1, w.xs1, 0, 2, false);
	struct sdrv_netfront *b = open_vif(w.guest2, w.xs2, 0, 8, false);
	struct sdrv_netfront *c = open_vif(w.guest1, w.xs1, 1, 3, true);
	char path[64], val[16];

	cr_expect_eq(sdrv_netfront_info(a)->queues, 2, "asked 2 of 3: 2");
	cr_expect_eq(sdrv_netfront_info(b)->queues, OFFERED, "asked 8 of 3: 3");
	cr_expect_eq(sdrv_netfront_info(c)->queues, 1,
		     "the base protocol alone: one queue");
	/* Linux's keys: the count, and each queue's under queue-N/. */
	cr_assert_gt(sdrv_xs_read(w.xs1, 0, "device/vif/0/multi-queue-num-queues",
				  val, sizeof(val)), 0);
	cr_expect_str_eq(val, "2");
	for (unsigned q = 0; q < 2; q++) {
		snprintf(path, sizeof(path), "device/vif/0/queue-%u/tx-ring-ref", q);
		cr_expect_gt(sdrv_xs_read(w.xs1, 0, path, val, sizeof(val)), 0,
			     "%s written", path);
		snprintf(path, sizeof(path), "device/vif/0/queue-%u/event-channel-rx", q);
		cr_expect_gt(sdrv_xs_read(w.xs1, 0, path, val, sizeof(val)), 0,
			     "%s written", path);
	}
	cr_expect_lt(sdrv_xs_read(w.xs1, 0, "device/vif/1/multi-queue-num-queues",
				  val, sizeof(val)), 0,
		     "one queue: no count, its keys at the top");
	cr_expect_gt(sdrv_xs_read(w.xs1, 0, "device/vif/1/tx-ring-ref", val,
				  sizeof(val)), 0);
	sdrv_netfront_close(c);
	sdrv_netfront_close(b);
	sdrv_netfront_close(a);
}

Test(net_multiqueue, queues_fit_the_grant_table)
{
	/* vif 1/1 takes 514 of guest 1's grants first: three queues more
	 * do not fit, two do. */
	struct sdrv_netfront *c = open_vif(w.guest1, w.xs1, 1, 1, false);
	struct sdrv_netfront *a = open_vif(w.guest1, w.xs1, 0, 3, false);

	cr_expect_eq(sdrv_netfront_info(a)->queues, 2,
		     "asked 3, the grant table holds 2: %u",
		     sdrv_netfront_info(a)->queues);
	sdrv_netfront_close(a);
	sdrv_netfront_close(c);
}

Test(net_multiqueue, every_queue_carries_frames_in_order)
{
	enum { PER_QUEUE = 40, TOTAL = PER_QUEUE * OFFERED };
	struct sdrv_netfront *a = open_vif(w.guest1, w.xs1, 0, OFFERED, false);
	struct sdrv_netfront *b = open_vif(w.guest2, w.xs2, 0, OFFERED, false);
	uint8_t tags[TOTAL];
	uint32_t seqs[TOTAL], last[OFFERED];
	unsigned queues[TOTAL], per_rx_queue[OFFERED] = { 0 }, got;

	introduce(a, mac1);
	introduce(b, mac2);
	drain(a);
	drain(b);
	for (unsigned q = 0; q < OFFERED; q++) {
		for (uint32_t s = 0; s < PER_QUEUE; s++) {
			uint8_t f[64];
			struct sdrv_netfront_frame fr = {
				.data = f, .len = frame(f, mac2, mac1, (uint8_t)q, s) };
			int sent;

			while ((sent = sdrv_netfront_queue_send_burst(a, q, &fr, 1)) == 0)
				sdrv_netfront_queue_recv_burst(a, q, &fr, 0);
			cr_assert_eq(sent, 1, "queue %u frame %u sent", q, s);
		}
	}
	got = collect(b, TOTAL, tags, seqs, queues);
	cr_expect_eq(got, TOTAL, "every frame of every queue arrived (%u of %u)",
		     got, (unsigned)TOTAL);
	memset(last, 0xff, sizeof(last));
	for (unsigned i = 0; i < got; i++) {
		cr_assert_lt(tags[i], OFFERED);
		cr_expect_eq(seqs[i], last[tags[i]] + 1,
			     "queue %u's frames in order: %u after %u", tags[i],
			     seqs[i], last[tags[i]]);
		last[tags[i]] = seqs[i];
		per_rx_queue[queues[i]]++;
	}
	/* Each lcore delivers on its own queue of the guest: both lcores
	 * moved frames. */
	cr_expect_gt(per_rx_queue[0], 0, "guest 2's queue 0 received");
	cr_expect_gt(per_rx_queue[1], 0, "guest 2's queue 1 received");
	cr_expect_eq(sdrv_netfront_stats(b)->rx_dropped, 0);
	sdrv_netfront_close(b);
	sdrv_netfront_close(a);
}

Test(net_multiqueue, frames_cross_lcores_to_a_one_queue_guest)
{
	enum { N = 100 };
	struct sdrv_netfront *a = open_vif(w.guest1, w.xs1, 0, 1, false);
	struct sdrv_netfront *b = open_vif(w.guest2, w.xs2, 0, OFFERED, false);
	uint8_t tags[N];
	uint32_t seqs[N];
	unsigned queues[N], got;

	cr_assert_eq(sdrv_netfront_info(a)->queues, 1);
	introduce(a, mac1);
	introduce(b, mac2);
	drain(a);
	drain(b);
	/* Guest 2's queue 1 is lcore 1's; guest 1's one queue is lcore 0's:
	 * every frame crosses through its inbox. */
	for (uint32_t s = 0; s < N; s++) {
		uint8_t f[64];
		struct sdrv_netfront_frame fr = { .data = f,
						  .len = frame(f, mac1, mac2, 1, s) };
		int sent;

		while ((sent = sdrv_netfront_queue_send_burst(b, 1, &fr, 1)) == 0)
			sdrv_netfront_queue_recv_burst(b, 1, &fr, 0);
		cr_assert_eq(sent, 1);
	}
	got = collect(a, N, tags, seqs, queues);
	cr_expect_eq(got, N, "every frame crossed (%u of %u)", got, (unsigned)N);
	for (unsigned i = 0; i < got; i++)
		cr_expect_eq(seqs[i], i, "in order: frame %u is %u", i, seqs[i]);
	sdrv_netfront_close(b);
	sdrv_netfront_close(a);
}

/* ---- frontends that lie about their queues or features ------------------ */

/* Attach @dev (guest 1's) to vif 1/1 by hand and start it: Initialising,
 * until netback offers InitWait. */
static void raw_start(struct sdrv_xenbus_device *dev)
{
	cr_assert_eq(sdrv_xenbus_attach(&dev->xb, w.xs1, false, 1, 0, "vif", 1), 0);
	cr_assert_eq(sdrv_xenbus_switch_state(&dev->xb, SDRV_XENBUS_INITIALISING), 0);
	cr_assert_eq(sdrv_xenbus_wait_peer_state(&dev->xb, 1u << SDRV_XENBUS_INIT_WAIT, 10000),
		     SDRV_XENBUS_INIT_WAIT);
}

/* Say Initialised and return netback's answer: Connected, Closing or
 * Closed (a negative errno after 10 s). */
static int raw_initialised(struct sdrv_xenbus_device *dev)
{
	cr_assert_eq(sdrv_xenbus_switch_state(&dev->xb, SDRV_XENBUS_INITIALISED), 0);
	return sdrv_xenbus_wait_peer_state(&dev->xb,
					   1u << SDRV_XENBUS_CONNECTED | 1u << SDRV_XENBUS_CLOSING |
						   1u << SDRV_XENBUS_CLOSED,
					   10000);
}

/* Connect vif 1/1 by hand: @nr_queues announced, keys written for the
 * first @with_keys queues, and feature-persistent written as @persistent
 * (NULL: not written).  Return: the backend's error key ("" if none)
 * once it left InitWait. */
static void lying_frontend(unsigned nr_queues, unsigned with_keys, const char *persistent,
			   char *error, size_t cap)
{
	struct sdrv_xenbus_device dev = { .platform = w.guest1 };
	struct sdrv_xenbus_ring rings[2 * OFFERED + 2];
	int state;

	memset(rings, 0, sizeof(rings));
	raw_start(&dev);
	/* No queue's keys of an earlier attempt. */
	for (unsigned q = 0; q <= OFFERED + 1; q++) {
		char dir[16];

		snprintf(dir, sizeof(dir), "queue-%u", q);
		cr_assert_eq(sdrv_xenbus_remove_key(&dev.xb, 0, dir), 0);
	}
	cr_assert_eq(sdrv_xenbus_remove_key(&dev.xb, 0, "feature-persistent"), 0);
	cr_assert_eq(sdrv_xenbus_write_uint(&dev.xb, 0, "request-rx-copy", 1), 0);
	cr_assert_eq(sdrv_xenbus_write_uint(&dev.xb, 0, "multi-queue-num-queues",
					    nr_queues), 0);
	if (persistent)
		cr_assert_eq(sdrv_xenbus_write_str(&dev.xb, 0, "feature-persistent",
						   persistent), 0);
	for (unsigned q = 0; q < with_keys; q++) {
		char pfx[16], key[32];
		sdrv_evtchn_port_t port;

		snprintf(pfx, sizeof(pfx), "queue-%u/", q);
		snprintf(key, sizeof(key), "%stx-", pfx);
		cr_assert_eq(sdrv_xenbus_grant_ring(&dev, 0, key, 0, &rings[2 * q]), 0);
		snprintf(key, sizeof(key), "%srx-", pfx);
		cr_assert_eq(sdrv_xenbus_grant_ring(&dev, 0, key, 0, &rings[2 * q + 1]), 0);
		cr_assert_eq(sdrv_xenbus_alloc_evtchn(&dev, 0, pfx, "event-channel",
						      &port), 0);
	}
	state = raw_initialised(&dev);
	cr_expect_neq(state, SDRV_XENBUS_CONNECTED, "netback refused the vif");
	error[0] = '\0';
	sdrv_xenbus_read_str(&dev.xb, true, "error", error, cap);
	sdrv_xenbus_switch_state(&dev.xb, SDRV_XENBUS_CLOSED);
	for (unsigned i = 0; i < 2 * OFFERED + 2; i++)
		sdrv_xenbus_ungrant_ring(&dev, &rings[i]);
	sdrv_xenbus_detach(&dev.xb);
}

Test(net_multiqueue, lying_frontends_refused_others_served)
{
	struct sdrv_netfront *b = open_vif(w.guest2, w.xs2, 0, OFFERED, false);
	struct sdrv_netfront *a;
	char error[200];
	uint8_t tags[1];
	uint32_t seqs[1];
	unsigned queues[1];

	lying_frontend(OFFERED + 1, OFFERED + 1, NULL, error, sizeof(error));
	cr_expect(strstr(error, "multi-queue-num-queues") != NULL,
		  "more queues than offered: the reason says so (\"%s\")", error);
	lying_frontend(2, 1, NULL, error, sizeof(error));
	cr_expect(strstr(error, "queue-1/") != NULL,
		  "a queue without its keys: the reason names it (\"%s\")", error);
	/* feature-persistent is 0 or 1: anything else refuses the vif. */
	lying_frontend(2, 2, "banana", error, sizeof(error));
	cr_expect(strstr(error, "feature-persistent") != NULL,
		  "feature-persistent not a number: the reason names it (\"%s\")", error);
	lying_frontend(2, 2, "7", error, sizeof(error));
	cr_expect(strstr(error, "feature-persistent") != NULL,
		  "feature-persistent of 7: the reason names it (\"%s\")", error);
	/* Guest 1's honest vif and guest 2 still talk. */
	a = open_vif(w.guest1, w.xs1, 0, 2, false);
	introduce(b, mac2);
	drain(a);
	drain(b);
	{
		uint8_t f[64];

		for (int i = 0; i < 50 && sdrv_netfront_send(a, f, frame(f, mac2, mac1, 0, 0)); i++)
			usleep(1000);
	}
	cr_expect_eq(collect(b, 1, tags, seqs, queues), 1,
		     "guest 1's other vif reaches guest 2");
	sdrv_netfront_close(a);
	sdrv_netfront_close(b);
}

/*
 * A frontend refused (netback Closing, with its reason) that starts over
 * at once, never saying Closed, is offered the vif again (InitWait): its
 * Closed may as well have come and gone unseen, which is how a frontend
 * that did say it sometimes found the vif shut.  A netfront then
 * connects on it.
 */
Test(net_multiqueue, a_refused_frontend_starting_over_without_closing_is_offered_the_vif_again)
{
	struct sdrv_xenbus_device dev = { .platform = w.guest1 };
	struct sdrv_netfront *a;
	int state;

	raw_start(&dev);
	cr_assert_eq(sdrv_xenbus_write_uint(&dev.xb, 0, "request-rx-copy", 1), 0);
	cr_assert_eq(sdrv_xenbus_write_uint(&dev.xb, 0, "multi-queue-num-queues", OFFERED + 1),
		     0);
	state = raw_initialised(&dev);
	cr_assert_eq(state, SDRV_XENBUS_CLOSING, "netback refused the vif (state %d)", state);
	cr_assert_eq(sdrv_xenbus_switch_state(&dev.xb, SDRV_XENBUS_INITIALISING), 0);
	state = sdrv_xenbus_wait_peer_state(&dev.xb, 1u << SDRV_XENBUS_INIT_WAIT, 10000);
	cr_expect_eq(state, SDRV_XENBUS_INIT_WAIT, "netback offers the vif again (state %d)",
		     state);
	sdrv_xenbus_switch_state(&dev.xb, SDRV_XENBUS_CLOSED);
	sdrv_xenbus_detach(&dev.xb);
	a = open_vif(w.guest1, w.xs1, 1, 1, false);
	cr_expect_null(sdrv_netfront_broken(a));
	sdrv_netfront_close(a);
}

/* ---- GSO ------------------------------------------------------------------- */

/* A TCP frame guest 1 -> guest 2 over IPv4 or IPv6 at @f with @payload
 * bytes (byte i is i * 7 + 1), sequence number 1000, PSH|ACK, its TCP
 * checksum blank.  Return: its length; *@hdr its headers' length. */
static size_t tcp_frame(uint8_t *f, bool v6, unsigned payload, unsigned *hdr)
{
	unsigned l3 = 14, l4 = l3 + (v6 ? 40 : 20);

	*hdr = l4 + 20;
	memset(f, 0, *hdr);
	memcpy(f, mac2, 6);
	memcpy(f + 6, mac1, 6);
	if (v6) {
		f[12] = 0x86, f[13] = 0xdd;
		f[l3] = 0x60;
		f[l3 + 4] = (uint8_t)((20 + payload) >> 8);
		f[l3 + 5] = (uint8_t)(20 + payload);
		f[l3 + 6] = 6;
		f[l3 + 7] = 64;
		f[l3 + 8] = 0xfd, f[l3 + 23] = 1; /* fd00::1 */
		f[l3 + 24] = 0xfd, f[l3 + 39] = 2; /* fd00::2 */
	} else {
		uint32_t sum;

		f[12] = 0x08;
		f[l3] = 0x45;
		f[l3 + 2] = (uint8_t)((40 + payload) >> 8);
		f[l3 + 3] = (uint8_t)(40 + payload);
		f[l3 + 8] = 64;
		f[l3 + 9] = 6;
		memcpy(f + l3 + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
		sum = ones_sum(f + l3, 20, 0);
		f[l3 + 10] = (uint8_t)(~sum >> 8);
		f[l3 + 11] = (uint8_t)~sum;
	}
	f[l4] = 0x13, f[l4 + 1] = 0x88; /* 5000 -> 5001 */
	f[l4 + 2] = 0x13, f[l4 + 3] = 0x89;
	f[l4 + 6] = 0x03, f[l4 + 7] = 0xe8; /* seq 1000 */
	f[l4 + 12] = 0x50;
	f[l4 + 13] = 0x18; /* PSH, ACK */
	f[l4 + 14] = 0xff;
	for (unsigned i = 0; i < payload; i++)
		f[*hdr + i] = (uint8_t)(i * 7 + 1);
	return *hdr + payload;
}

/* Whether segment @s (@len bytes, headers @hdr) has a right TCP checksum. */
static bool tcp_sum_right(const uint8_t *s, size_t len, bool v6, unsigned hdr)
{
	unsigned l3 = 14, l4 = l3 + (v6 ? 40 : 20);
	uint32_t tcp_len = (uint32_t)(len - l4);
	uint32_t pseudo = v6 ? ones_sum(s + l3 + 8, 32, 6 + tcp_len)
			     : ones_sum(s + l3 + 12, 8, 6 + tcp_len);

	(void)hdr;
	return ones_sum(s + l4, tcp_len, pseudo) == 0xffffu;
}

/* Send @len bytes of @f with GSO of @mss from @nf (its ring may be full). */
static void send_gso(struct sdrv_netfront *nf, uint8_t *f, size_t len, bool v6,
		     uint16_t mss)
{
	struct sdrv_netfront_frame fr = {
		.data = f, .len = len, .gso_size = mss,
		.flags = SDRV_NETFRONT_F_CSUM_BLANK |
			 (v6 ? SDRV_NETFRONT_F_GSO_TCPV6 : SDRV_NETFRONT_F_GSO_TCPV4),
	};
	int sent = 0;

	for (int i = 0; i < 1000 && (sent = sdrv_netfront_send_burst(nf, &fr, 1)) == 0; i++)
		sdrv_netfront_recv_burst(nf, &fr, 0);
	cr_assert_eq(sent, 1, "the GSO frame is sent (%d)", sent);
}

Test(net_gso, a_gso_frame_passes_whole_to_a_guest_that_takes_gso)
{
	static uint8_t f[65536], got[65536];
	struct sdrv_netfront_config cfg = { .gso = true };
	struct sdrv_netfront *a = open_with(w.guest1, w.xs1, 0, &cfg);
	struct sdrv_netfront *b = open_with(w.guest2, w.xs2, 0, &cfg);
	struct sdrv_netfront_frame fr = { .data = got, .cap = sizeof(got) };
	unsigned hdr;
	size_t len = tcp_frame(f, false, 20000, &hdr);
	int n = 0;

	cr_assert(sdrv_netfront_info(a)->gso_tcpv4 && sdrv_netfront_info(a)->gso_tcpv6,
		  "netback-dpdk takes GSO");
	cr_assert(sdrv_netfront_info(b)->gso_receive);
	introduce(a, mac1);
	introduce(b, mac2);
	drain(a);
	drain(b);
	send_gso(a, f, len, false, 1448);
	for (int i = 0; i < 500 && n == 0; i++) {
		n = sdrv_netfront_recv_burst(b, &fr, 1);
		if (n == 0)
			usleep(1000);
	}
	cr_assert_eq(n, 1, "guest 2 received it");
	cr_expect_eq(fr.len, len, "whole: %zu bytes", fr.len);
	cr_expect_eq(fr.flags & (SDRV_NETFRONT_F_GSO_TCPV4 | SDRV_NETFRONT_F_GSO_TCPV6),
		     SDRV_NETFRONT_F_GSO_TCPV4, "a TCP/IPv4 GSO frame");
	cr_expect(fr.flags & SDRV_NETFRONT_F_CSUM_BLANK, "its checksum still blank");
	cr_expect_eq(fr.gso_size, 1448);
	cr_expect_eq(memcmp(got, f, len), 0, "byte for byte");
	sdrv_netfront_close(b);
	sdrv_netfront_close(a);
}

/* A stream of the largest GSO frames, taken as they come: the receiving
 * netfront's buffers all come back (none lost to extra info slots). */
Test(net_gso, a_stream_of_64k_gso_frames_all_arrive)
{
	enum { FRAMES = 300 };
	static uint8_t f[65536], got[65536];
	struct sdrv_netfront_config cfg = { .gso = true };
	struct sdrv_netfront *a = open_with(w.guest1, w.xs1, 0, &cfg);
	struct sdrv_netfront *b = open_with(w.guest2, w.xs2, 0, &cfg);
	unsigned hdr, sent = 0, received = 0;
	size_t len = tcp_frame(f, false, 65535 - 54, &hdr);

	introduce(a, mac1);
	introduce(b, mac2);
	drain(a);
	drain(b);
	for (int idle = 0; received < FRAMES && idle < 2000;) {
		struct sdrv_netfront_frame in = { .data = got, .cap = sizeof(got) };
		struct sdrv_netfront_frame out = {
			.data = f, .len = len, .gso_size = 1448,
			.flags = SDRV_NETFRONT_F_CSUM_BLANK | SDRV_NETFRONT_F_GSO_TCPV4,
		};
		bool moved = false;

		if (sent < FRAMES && sdrv_netfront_send_burst(a, &out, 1) == 1) {
			sent++;
			moved = true;
		}
		sdrv_netfront_recv_burst(a, &in, 0);
		while (sdrv_netfront_recv_burst(b, &in, 1) == 1) {
			cr_assert_eq(in.len, len);
			received++;
			moved = true;
			in = (struct sdrv_netfront_frame){ .data = got, .cap = sizeof(got) };
		}
		if (moved) {
			idle = 0;
		} else {
			idle++;
			usleep(1000);
		}
	}
	cr_expect_eq(received, FRAMES, "%u of %u frames of 64 KiB arrived (%u sent)",
		     received, (unsigned)FRAMES, sent);
	cr_expect_null(sdrv_netfront_broken(b));
	sdrv_netfront_close(b);
	sdrv_netfront_close(a);
}

Test(net_gso, a_gso_frame_is_cut_for_a_guest_that_takes_none)
{
	enum { PAYLOAD = 20000, MSS = 1440 };
	static uint8_t f[65536], got[4096];
	struct sdrv_netfront_config gso = { .gso = true };
	struct sdrv_netfront *a = open_with(w.guest1, w.xs1, 0, &gso);
	struct sdrv_netfront *b = open_vif(w.guest2, w.xs2, 0, 1, false);
	unsigned hdr, segs = 0, bytes = 0;
	size_t len = tcp_frame(f, true, PAYLOAD, &hdr);

	cr_assert(!sdrv_netfront_info(b)->gso_receive);
	introduce(a, mac1);
	introduce(b, mac2);
	drain(a);
	drain(b);
	send_gso(a, f, len, true, MSS);
	for (int i = 0; i < 2000 && bytes < PAYLOAD; i++) {
		struct sdrv_netfront_frame fr = { .data = got, .cap = sizeof(got) };
		uint32_t seq;

		if (sdrv_netfront_recv_burst(b, &fr, 1) != 1) {
			usleep(1000);
			continue;
		}
		cr_expect_eq(fr.flags, 0, "a segment is a plain frame");
		cr_assert_leq(fr.len, hdr + MSS);
		seq = (uint32_t)got[hdr - 20 + 4] << 24 | (uint32_t)got[hdr - 20 + 5] << 16 |
		      (uint32_t)got[hdr - 20 + 6] << 8 | got[hdr - 20 + 7];
		cr_expect_eq(seq, 1000 + bytes, "segment %u's sequence number", segs);
		cr_expect_eq(got[18] << 8 | got[19], fr.len - 54,
			     "segment %u's IPv6 payload length", segs);
		cr_expect(tcp_sum_right(got, fr.len, true, hdr),
			  "segment %u's TCP checksum is right", segs);
		cr_expect_eq(memcmp(got + hdr, f + hdr + bytes, fr.len - hdr), 0,
			     "segment %u's payload", segs);
		bytes += (unsigned)(fr.len - hdr);
		segs++;
	}
	cr_expect_eq(bytes, PAYLOAD, "every byte came");
	cr_expect_eq(segs, (PAYLOAD + MSS - 1) / MSS, "in %u segments", segs);
	sdrv_netfront_close(b);
	sdrv_netfront_close(a);
}

Test(net_gso, netfront_sends_no_gso_the_backend_did_not_offer)
{
	static uint8_t f[65536];
	struct sdrv_netfront_config base = { .base_protocol = true, .gso = true };
	struct sdrv_netfront *a = open_with(w.guest1, w.xs1, 0, &base);
	struct sdrv_netfront_frame fr = { .data = f, .gso_size = 1448,
					  .flags = SDRV_NETFRONT_F_GSO_TCPV4 };
	unsigned hdr;

	fr.len = tcp_frame(f, false, 3000, &hdr);
	cr_expect(!sdrv_netfront_info(a)->gso_tcpv4 && !sdrv_netfront_info(a)->gso_receive,
		  "the base protocol: no GSO either way");
	fr.len = 1400;
	cr_expect_eq(sdrv_netfront_send_burst(a, &fr, 1), -EINVAL,
		     "a GSO frame is refused");
	sdrv_netfront_close(a);
}

/* ---- receiving in place ------------------------------------------------------ */

/* Guest 2 takes 600 frames lent in place (more than its 256 buffers: each
 * must come back), each read where it lies, and gives each back; a buffer
 * not lent is refused; a frame of several buffers is copied instead. */
Test(net_backend, frames_lent_in_place_and_given_back)
{
	enum { FRAMES = 600 };
	static uint8_t f[9000], copy[9100];
	struct sdrv_netfront *a = open_vif(w.guest1, w.xs1, 0, 1, false);
	struct sdrv_netfront *b = open_vif(w.guest2, w.xs2, 0, 1, false);
	unsigned sent = 0, got = 0, lent = 0, copied = 0;
	uint16_t bogus = 7;

	introduce(a, mac1);
	introduce(b, mac2);
	drain(a);
	drain(b);
	cr_expect_eq(sdrv_netfront_queue_give_back(b, 0, &bogus, 1), -EINVAL,
		     "a buffer never lent is refused");
	for (int idle = 0; got < FRAMES + 1 && idle < 2000;) {
		struct sdrv_netfront_frame in = { .data = copy, .cap = sizeof(copy) };
		uint16_t id;
		bool moved = false;

		if (sent < FRAMES + 1) {
			/* 600 small frames, then one jumbo (three buffers) */
			size_t len = sent < FRAMES ? frame(f, mac2, mac1, 1, sent) : 9000;

			if (sent == FRAMES) {
				frame(f, mac2, mac1, 2, sent);
				memset(f + 64, 0x5a, len - 64);
			}
			if (sdrv_netfront_send(a, f, len) == 0) {
				sent++;
				moved = true;
			}
		}
		sdrv_netfront_recv_burst(a, &in, 0);
		while (sdrv_netfront_queue_recv_lend(b, 0, &in, &id, 1) == 1) {
			uint32_t seq;

			memcpy(&seq, (const uint8_t *)in.data + 16, sizeof(seq));
			cr_assert_eq(seq, got, "frame %u in order", got);
			if (id != SDRV_NETFRONT_NOT_LENT) {
				cr_assert(in.data != copy, "a lent frame points into its page");
				cr_assert_eq(sdrv_netfront_queue_give_back(b, 0, &id, 1), 0);
				lent++;
			} else {
				cr_assert(in.data == copy);
				cr_expect_eq(in.len, 9000, "only the jumbo frame is copied");
				copied++;
			}
			got++;
			moved = true;
			in = (struct sdrv_netfront_frame){ .data = copy, .cap = sizeof(copy) };
		}
		idle = moved ? 0 : idle + 1;
		if (!moved)
			usleep(1000);
	}
	cr_expect_eq(lent, FRAMES, "%u frames lent in place", lent);
	cr_expect_eq(copied, 1, "the jumbo frame copied");
	cr_expect_null(sdrv_netfront_broken(b));
	sdrv_netfront_close(b);
	sdrv_netfront_close(a);
}

/* ---- the toolstack's rate limit ------------------------------------------------ */

/* Frames of 1000 bytes from guest 1's vif @devid to guest 2: how many of
 * @n arrive within a second. */
static unsigned frames_through(uint32_t devid, unsigned n)
{
	static uint8_t f[1000], got[2048];
	struct sdrv_netfront *a = open_vif(w.guest1, w.xs1, devid, 1, false);
	struct sdrv_netfront *b = open_vif(w.guest2, w.xs2, 0, 1, false);
	unsigned received = 0;

	introduce(b, mac2);
	drain(b);
	for (unsigned i = 0; i < n; i++) {
		frame(f, mac2, mac1, 3, i);
		cr_assert_eq(sdrv_netfront_send(a, f, sizeof(f)), 0);
	}
	for (int i = 0; i < 1000; i++) {
		while (sdrv_netfront_recv(b, got, sizeof(got)) == (int)sizeof(f))
			received++;
		sdrv_netfront_recv(a, got, 0);
		usleep(1000);
	}
	cr_expect_eq(sdrv_netfront_stats(a)->tx_errors, 0, "nothing refused: frames wait");
	sdrv_netfront_close(b);
	sdrv_netfront_close(a);
	return received;
}

/* The toolstack's "rate" (Linux's key: BYTES,MICROSECONDS): 4000 bytes
 * an hour lets four frames of 1000 bytes through, the rest wait; a rate
 * that is no rate limits nothing. */
Test(net_backend, a_vif_over_its_rate_waits_for_credit)
{
	struct sdrv_xs *xs0 = NULL;

	cr_assert_eq(sdrv_xs_open_socket(hvstub_xenstore_socket(), &xs0), 0);
	cr_assert_eq(sdrv_xs_write_str(xs0, 0, "/local/domain/0/backend/vif/1/0/rate",
				       "4000,3600000000"), 0);
	cr_assert_eq(sdrv_xs_write_str(xs0, 0, "/local/domain/0/backend/vif/1/1/rate",
				       "banana"), 0);
	sdrv_xs_close(xs0);
	cr_expect_eq(frames_through(0, 20), 4, "4000 bytes an hour: four frames of 1000");
	cr_expect_eq(frames_through(1, 20), 20, "a rate that is no rate: no limit");
}

/* ---- the backend's own state ------------------------------------------------ */

/* Guest 1 gets vifs 1/10, 1/11, ... one after another, each connected,
 * used and removed (as a toolstack does when a guest detaches one):
 * netback-dpdk keeps the counters of the newest 64 gone one by one and
 * sums the older into one line, so that a guest that comes and goes
 * forever does not grow it. */
Test(net_backend, vifs_gone_are_kept_64_and_the_older_summed)
{
	enum { KEPT = 64, GONE = KEPT + 5 };
	struct sdrv_xs *xs0 = NULL;
	char line[512];
	unsigned kept = 0, summed = 0;
	FILE *out;

	cr_assert_eq(sdrv_xs_open_socket(hvstub_xenstore_socket(), &xs0), 0);
	for (uint32_t i = 0; i < GONE; i++) {
		uint32_t devid = 10 + i;
		const char *const keys[] = { "mac", "00:16:3e:00:01:0a", NULL };
		struct sdrv_netfront *nf;

		cr_assert_eq(sdrv_xenbus_device_create_with(xs0, 0, 1, "vif", devid,
							    keys, keys), 0);
		nf = open_vif(w.guest1, w.xs1, devid, 1, false);
		introduce(nf, mac1);
		sdrv_netfront_close(nf);
		cr_assert_eq(sdrv_xenbus_device_destroy(xs0, 0, 1, "vif", devid), 0);
	}
	sdrv_xs_close(xs0);
	usleep(200000); /* netback-dpdk sees the last one go */
	netback_world_stop_netback(&w);
	out = fopen(w.netback_out, "r");
	cr_assert_not_null(out);
	while (fgets(line, sizeof(line), out)) {
		unsigned devid;

		if (sscanf(line, "netback-dpdk: vif 1/%u (gone):", &devid) == 1 && devid >= 10)
			kept++;
		summed += strstr(line, "netback-dpdk: vifs gone earlier:") != NULL;
	}
	fclose(out);
	cr_expect_eq(kept, KEPT, "the newest %u vifs gone, one by one (%u)", KEPT, kept);
	cr_expect_eq(summed, 1, "the %u older in one line", GONE - KEPT);
}

/* ---- frames lent on in the sender's page ------------------------------------ */

/* A frame of @len bytes to guest 2 saying @seq, every byte after the
 * header a function of @seq and its place. */
static void lendable_frame(uint8_t *f, size_t len, uint32_t seq)
{
	frame(f, mac2, mac1, 4, seq);
	for (size_t k = 64; k < len; k++)
		f[k] = (uint8_t)(seq * 7u + k);
}

/* Whether @f (@len bytes) is such a frame of @want_len bytes, whole; its
 * @seq. */
static bool lendable_intact(const uint8_t *f, size_t len, size_t want_len, uint32_t *seq)
{
	uint8_t again[2048];

	if (len != want_len || f[14] != 4)
		return false;
	memcpy(seq, f + 16, sizeof(*seq));
	lendable_frame(again, len, *seq);
	return memcmp(f, again, len) == 0;
}

/* Guest 1 sends @n frames of @len bytes to guest 2, which takes them as
 * they come: how many came whole and in order. */
static unsigned lendable_through(struct sdrv_netfront *a, struct sdrv_netfront *b,
				 unsigned n, size_t len, uint32_t seq0)
{
	static uint8_t f[2048], in[2048];
	unsigned sent = 0, got = 0;

	for (int idle = 0; got < n && idle < 2000;) {
		bool moved = false;
		int r;

		if (sent < n) {
			lendable_frame(f, len, seq0 + sent);
			if (sdrv_netfront_send(a, f, len) == 0) {
				sent++;
				moved = true;
			}
		}
		while ((r = sdrv_netfront_recv(b, in, sizeof(in))) > 0) {
			uint32_t seq;

			moved = true;
			if (in[14] == 0xee)
				continue; /* an introduction */
			cr_assert(lendable_intact(in, (size_t)r, len, &seq),
				  "frame %u of %zu bytes arrived whole (%d bytes)", got, len, r);
			cr_assert_eq(seq, seq0 + got, "in order");
			got++;
		}
		idle = moved ? 0 : idle + 1;
		if (!moved)
			usleep(1000);
	}
	return got;
}

/* Frames of 512 bytes and more leave netback-dpdk in the sender's own
 * page (its "lent" counter); smaller ones are copied.  Either way the
 * receiver gets every byte. */
Test(net_backend, large_frames_go_lent_small_ones_copied_all_whole)
{
	struct sdrv_netfront *a = open_vif(w.guest1, w.xs1, 0, 1, false);
	struct sdrv_netfront *b = open_vif(w.guest2, w.xs2, 0, 1, false);
	long long lent0, lent1, lent2;

	introduce(b, mac2);
	drain(b);
	lent0 = netback_world_counter(&w, "vif 1/0", "lent");
	cr_assert_geq(lent0, 0, "netback-dpdk prints its counters on SIGUSR1");
	cr_assert_eq(lendable_through(a, b, 50, 300, 0), 50);
	lent1 = netback_world_counter(&w, "vif 1/0", "lent");
	cr_expect_eq(lent1, lent0, "frames of 300 bytes are copied (%lld lent)", lent1 - lent0);
	cr_assert_eq(lendable_through(a, b, 100, 1400, 50), 100);
	lent2 = netback_world_counter(&w, "vif 1/0", "lent");
	cr_expect(lent2 > lent1 && lent2 - lent1 <= 100,
		  "frames of 1400 bytes are lent (%lld of 100)", lent2 - lent1);
	sdrv_netfront_close(b);
	sdrv_netfront_close(a);
}

/*
 * One burst mixing frames of one slot with frames of several pages
 * (netfront puts a run of one-slot frames on the ring together, and any
 * other frame its own way): every frame arrives whole, in the order
 * sent; a burst stops at a frame that cannot be sent, and says how many
 * went before it.
 */
Test(net_backend, a_burst_of_one_and_many_slot_frames_arrives_whole_and_in_order)
{
	static const size_t lens[] = { 64, 3000, 300, 1400, 60, 5000, 128 };
	enum { N = sizeof(lens) / sizeof(lens[0]) };
	static uint8_t out[N][5000], in[8192];
	struct sdrv_netfront *a = open_vif(w.guest1, w.xs1, 0, 1, false);
	struct sdrv_netfront *b = open_vif(w.guest2, w.xs2, 0, 1, false);
	struct sdrv_netfront_frame fr[N];
	unsigned sent = 0, got = 0;

	cr_assert(sdrv_netfront_info(a)->sg && sdrv_netfront_info(b)->sg,
		  "both guests took scatter-gather");
	introduce(b, mac2);
	drain(b);
	for (unsigned i = 0; i < N; i++) {
		frame(out[i], mac2, mac1, (uint8_t)i, 0);
		for (size_t k = 20; k < lens[i]; k++)
			out[i][k] = (uint8_t)(k * 7 + i);
		fr[i] = (struct sdrv_netfront_frame){ .data = out[i], .len = lens[i] };
	}
	for (int i = 0; i < 1000 && sent < N; i++) {
		int n = sdrv_netfront_send_burst(a, fr + sent, N - sent);

		cr_assert_geq(n, 0, "the burst is taken (%d)", n);
		sent += (unsigned)n;
		sdrv_netfront_recv(a, in, 0); /* the ring is full: answers */
	}
	cr_assert_eq(sent, N);
	for (int round = 0; round < 500 && got < N; round++) {
		int n = sdrv_netfront_recv(b, in, sizeof(in));

		if (n <= 0) {
			sdrv_netfront_wait(b, 10);
			continue;
		}
		cr_expect_eq(in[14], got, "frame %u came %u-th", in[14], got);
		cr_expect_eq((size_t)n, lens[got], "frame %u is %d bytes long", got, n);
		cr_expect(!memcmp(in, out[got], lens[got]), "frame %u came whole", got);
		got++;
	}
	cr_expect_eq(got, N, "%u of %u frames came", got, N);
	fr[1].len = 5; /* shorter than an Ethernet header */
	cr_expect_eq(sdrv_netfront_send_burst(a, fr, 3), 1,
		     "a burst stops at the frame it cannot send");
	sdrv_netfront_close(b);
	sdrv_netfront_close(a);
}

/* Guest 2 takes nothing while guest 1 sends it more than its 256
 * buffers hold: the frames left waiting for guest 2 are copied, so that
 * they keep none of guest 1's slots (each of its requests is answered),
 * and guest 2 gets them whole when it takes them. */
Test(net_backend, a_lent_frame_left_waiting_is_copied_and_its_sender_answered)
{
	enum { FRAMES = 256 + 64 + 16 };
	static uint8_t f[1400], in[2048];
	struct sdrv_netfront *a = open_vif(w.guest1, w.xs1, 0, 1, false);
	struct sdrv_netfront *b = open_vif(w.guest2, w.xs2, 0, 1, false);
	long long copied0, copied, taken0, taken = 0;
	unsigned sent = 0, got = 0;
	int r;

	introduce(b, mac2);
	drain(b);
	copied0 = netback_world_counter(&w, "vif 1/0", "copied after all");
	taken0 = netback_world_counter(&w, "vif 1/0", "from guest");
	cr_assert_geq(copied0, 0);
	for (int tries = 0; sent < FRAMES && tries < 5000; tries++) {
		lendable_frame(f, sizeof(f), sent);
		if (sdrv_netfront_send(a, f, sizeof(f)) == 0)
			sent++;
		else
			usleep(1000);
	}
	cr_assert_eq(sent, FRAMES, "guest 1's requests are all answered (%u sent)", sent);
	/* The last of them may still be on the ring: until netback took
	 * them all, guest 2 takes nothing. */
	for (int i = 0; i < 100; i++, usleep(50000))
		if ((taken = netback_world_counter(&w, "vif 1/0", "from guest")) >= taken0 + FRAMES)
			break;
	cr_assert_geq(taken, taken0 + FRAMES, "netback-dpdk took all %u frames", FRAMES);
	copied = netback_world_counter(&w, "vif 1/0", "copied after all") - copied0;
	cr_expect(copied >= 1 && copied <= 64,
		  "the frames left waiting for guest 2 were copied (%lld)", copied);
	for (int idle = 0; idle < 200; idle++) {
		uint32_t seq;

		while ((r = sdrv_netfront_recv(b, in, sizeof(in))) > 0) {
			cr_assert(lendable_intact(in, (size_t)r, sizeof(f), &seq),
				  "frame %u arrived whole", got);
			got++;
			idle = 0;
		}
		usleep(1000);
	}
	cr_expect(got >= 256 && got <= 256 + 64,
		  "guest 2 got its buffers' worth and what waited (%u)", got);
	sdrv_netfront_close(b);
	sdrv_netfront_close(a);
}

/* ---- what a port passes on ----------------------------------------------- */

/* A port whose driver hands netback-dpdk frames shorter than an Ethernet
 * header (a pcap file of two such, around a good one). */
static char runts_pcap[] = "/tmp/sdrv-runts-XXXXXX";

static void pcap_world_up(void)
{
	static char vdev[96];
	static const char *const eal[] = { "-l", "0", "--vdev", vdev, NULL };
	static const char *const own[] = { NULL };
	/* pcap's header (microseconds, Ethernet), then each frame's. */
	const uint32_t head[6] = { 0xa1b2c3d4, 2 | 4u << 16, 0, 0, 65535, 1 };
	const uint32_t sizes[3] = { 10, 60, 13 };
	uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x77, 0x88, 0xb5 };
	int fd = mkstemp(runts_pcap);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");

	cr_assert(f, "a pcap file: %s", strerror(errno));
	fwrite(head, sizeof(head), 1, f);
	for (unsigned i = 0; i < 3; i++) {
		const uint32_t rec[4] = { 0, 0, sizes[i], sizes[i] };

		fwrite(rec, sizeof(rec), 1, f);
		fwrite(frame, sizes[i], 1, f);
	}
	cr_assert_eq(fclose(f), 0);
	snprintf(vdev, sizeof(vdev), "net_pcap0,rx_pcap=%s", runts_pcap);
	netback_world_up(&w, NETBACK_PATH, XENSTORED_PATH, 1024, eal, own);
}

static void pcap_world_down(void)
{
	netback_world_down(&w);
	unlink(runts_pcap);
}

TestSuite(net_port, .init = pcap_world_up, .fini = pcap_world_down, .timeout = 120);

/* The switch reads a frame's addresses in its first 12 bytes: shorter
 * frames from a port are dropped and counted ("runts"), the good one
 * between them taken, and netback-dpdk serves on (it exits 0 at the
 * end). */
Test(net_port, frames_shorter_than_an_ethernet_header_are_dropped_and_counted)
{
	long long runts = -1, in = -1;
	char state[8] = "";

	/* Serving (its signals taken) once it offers vif 1/0: InitWait. */
	for (int i = 0; i < 100 && strcmp(state, "2"); i++, usleep(100000))
		if (sdrv_xs_read(w.xs1, 0, "/local/domain/0/backend/vif/1/0/state", state,
				 sizeof(state) - 1) < 0)
			state[0] = 0;
	cr_assert(!strcmp(state, "2"), "netback-dpdk offers vif 1/0 (its state: \"%s\")", state);
	for (int i = 0; i < 50 && runts != 2; i++, usleep(100000))
		runts = netback_world_counter(&w, "port 0 (net_pcap0)", "runts");
	in = netback_world_counter(&w, "port 0 (net_pcap0)", ": in");
	cr_expect_eq(runts, 2, "runts counted: %lld", runts);
	cr_expect_eq(in, 3, "frames the port received: %lld", in);
}
