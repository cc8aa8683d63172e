/* SPDX-License-Identifier: MIT */
/*
 * net-attack: a hostile guest for bench/netperf's attack run.  Becomes
 * guest domain ID, connects its vif 0 by hand (no netfront: nothing here
 * is what a netfront sends) and, until SIGINT or SIGTERM, keeps its
 * transmit ring full of malformed frames, each of which netback-dpdk must
 * check and answer ERROR:
 *   - a frame shorter than an Ethernet header,
 *   - a slot crossing its page,
 *   - follow-on slots adding up to more than the frame,
 *   - a ref never granted,
 * and posts no receive buffer, so that every frame for it starves.  It
 * prints how many malformed frames it sent and slots netback-dpdk answered.
 * With --idle it connects the same way and sends nothing: the quiet guest
 * beside which the attack's cost is measured (a second vif alone costs
 * the others something: frames to unknown addresses are flooded to it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <splitdrv/netif.h>
#include <splitdrv/platform.h>
#include <splitdrv/xenbus_driver.h>
#include <splitdrv/xs.h>

#include "cli.h"
#include "cli_domain.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: net-attack [OPTION]... ID\n"
		"Become guest domain ID and flood its vif 0's transmit ring with malformed\n"
		"frames (each must be answered ERROR), posting no receive buffer, until\n"
		"SIGINT or SIGTERM.  bench/netperf's hostile guest.  ID is 1 to 32751.\n"
		"\n"
		"  -i, --idle           connect the same way and send nothing (a quiet guest)\n"
		"  -s, --socket SOCKET  hv-stub's socket (default: $HVSTUB_SOCKET)\n"
		"  -h, --help           show this help and exit\n"
		"      --version        show the version and exit\n");
}

/* The frontend's half of the handshake, by hand. */
static int connect_vif(struct sdrv_xenbus_device *dev, struct sdrv_xenbus_ring *tx_ring,
		       struct sdrv_xenbus_ring *rx_ring, struct sdrv_ring_front *tx,
		       sdrv_evtchn_port_t *port)
{
	struct sdrv_ring_front rx;
	int err;

	err = sdrv_xenbus_switch_state(&dev->xb, SDRV_XENBUS_INITIALISING);
	if (err)
		return err;
	if (sdrv_xenbus_wait_peer_state(&dev->xb, 1u << SDRV_XENBUS_INIT_WAIT,
					10000) != SDRV_XENBUS_INIT_WAIT)
		return -ETIMEDOUT;
	err = sdrv_xenbus_grant_ring(dev, 0, "tx-", 0, tx_ring);
	if (!err)
		err = sdrv_xenbus_grant_ring(dev, 0, "rx-", 0, rx_ring);
	if (!err)
		err = sdrv_xenbus_alloc_evtchn(dev, 0, "", "event-channel", port);
	if (!err)
		err = sdrv_xenbus_write_uint(&dev->xb, 0, "request-rx-copy", 1);
	if (!err)
		err = sdrv_ring_sring_init(tx_ring->addr, SDRV_PAGE_SIZE);
	if (!err)
		err = sdrv_ring_sring_init(rx_ring->addr, SDRV_PAGE_SIZE);
	if (!err)
		err = sdrv_netif_tx_front_attach(tx, tx_ring->addr, SDRV_PAGE_SIZE, 0);
	if (!err)
		err = sdrv_netif_rx_front_attach(&rx, rx_ring->addr, SDRV_PAGE_SIZE, 0);
	if (!err)
		err = sdrv_xenbus_switch_state(&dev->xb, SDRV_XENBUS_INITIALISED);
	if (!err && sdrv_xenbus_wait_peer_state(&dev->xb, 1u << SDRV_XENBUS_CONNECTED,
						10000) != SDRV_XENBUS_CONNECTED)
		err = -ETIMEDOUT;
	return err;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "idle", no_argument, NULL, 'i' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	static struct sdrv_xenbus_device dev;
	struct sdrv_xenbus_ring tx_ring = { 0 }, rx_ring = { 0 };
	struct sdrv_ring_front tx;
	sdrv_evtchn_port_t port = 0;
	const char *hvstub = NULL;
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	unsigned long id, answered = 0, lies = 0;
	void *page;
	int64_t gref;
	bool idle = false;
	int o, err;

	cli_init(argv[0]);
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":is:h", longopts, NULL)) != -1) {
		if (o == 'i')
			idle = true;
		else if (o == 's')
			hvstub = optarg;
		else
			cli_getopt_other(o, argv, usage);
	}
	id = cli_domain_operand(argc, argv, optind);
	p = cli_attach_domain(hvstub, id);
	xs = cli_open_xs_ring(p, id);
	dev.platform = p;
	err = sdrv_xenbus_attach(&dev.xb, xs, false, (sdrv_domid_t)id, 0, "vif", 0);
	if (!err)
		err = connect_vif(&dev, &tx_ring, &rx_ring, &tx, &port);
	page = sdrv_page_alloc(p);
	gref = page ? sdrv_grant_access(p, 0, page, true) : -ENOMEM;
	if (err || gref < 0)
		cli_fail("domain %lu: vif 0: %s", id, strerror(-(err ? err : (int)gref)));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (idle && !stop)
		sdrv_evtchn_wait_port(p, port, 100);
	while (!idle && !stop) {
		struct sdrv_netif_tx_request r[2];
		struct sdrv_netif_tx_response rsp[64];
		unsigned n = 1;
		uint32_t got;

		memset(r, 0, sizeof(r));
		r[0] = (struct sdrv_netif_tx_request){ .gref = (sdrv_grant_ref_t)gref,
						       .id = 1, .size = 100 };
		switch (lies++ % 4) {
		case 0:
			r[0].size = 10;
			break;
		case 1:
			r[0].offset = 4000;
			r[0].size = 200;
			break;
		case 2:
			r[0].flags = SDRV_NETTXF_MORE_DATA;
			r[1] = r[0];
			r[1].flags = 0;
			r[1].id = 2;
			n = 2;
			break;
		default:
			r[0].gref = 4000;
			break;
		}
		if (sdrv_ring_front_free(&tx) >= n &&
		    sdrv_netif_tx_front_put_requests(&tx, r, n) == n) {
			if (sdrv_ring_front_push(&tx))
				sdrv_evtchn_notify(p, port);
		} else {
			lies--;
		}
		while ((got = sdrv_netif_tx_front_take_responses(&tx, rsp, 64)) != 0)
			answered += got;
		if (sdrv_ring_front_fault(&tx))
			cli_fail("domain %lu: vif 0: the backend's answer index is out of range", id);
		if (sdrv_ring_front_free(&tx) < 2 && !sdrv_ring_front_final_check(&tx))
			sdrv_evtchn_wait_port(p, port, 10);
	}
	if (idle)
		printf("net-attack: idle, nothing sent\n");
	else
		printf("net-attack: %lu malformed frames sent, %lu slots answered\n", lies,
		       answered);
	sdrv_xenbus_switch_state(&dev.xb, SDRV_XENBUS_CLOSED);
	sdrv_xenbus_detach(&dev.xb); /* its watch goes with it */
	sdrv_xs_close(xs);
	sdrv_platform_detach(p);
	return 0;
}
