/* SPDX-License-Identifier: MIT */
/*
 * netback-dpdk: EAL and its ports, the "vif" driver on the XenBus, and one
 * polling loop that switches frames between vifs and ports, sleeping on
 * the event channels and XenStore when nothing moves.
 *
 *   netback-dpdk [EAL options] -- [netback options]
 */
#include "netback.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <splitdrv/xs.h>

#include "cli.h"
#include "cli_domain.h"

#define IDLE_ROUNDS 200u /* empty rounds before sleeping */
#define BUSY_CHECK_ROUNDS 64u /* rounds between looks at wake-ups when busy */
#define POLL_SLEEP_MAX_MS 16 /* a port without interrupts: looked at this often */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: netback-dpdk [EAL OPTION]... -- [OPTION]...\n"
		"The network backend: serves every vif of every guest whose XenStore\n"
		"directory names this domain as backend, and switches frames between\n"
		"them and the DPDK ports the EAL options create (an L2 learning\n"
		"switch).  EAL options are DPDK's own, e.g. here:\n"
		"  --no-huge --no-pci -m 256 --vdev net_tap0,iface=sdrv-up\n"
		"\n"
		"  -s, --socket SOCKET     hv-stub's socket (default: $HVSTUB_SOCKET or\n"
		"                          " SDRV_HVSTUB_SOCKET_DEFAULT ")\n"
		"  -x, --xenstore SOCKET   XenStore's socket (default: $XENSTORED_PATH or\n"
		"                          " SDRV_XS_SOCKET_DEFAULT ")\n"
		"      --stats SECONDS     print each vif's and port's counters this often\n"
		"                          (also on SIGUSR1, and always at exit; DPDK's\n"
		"                          telemetry has them too: /netback/vifs and\n"
		"                          /netback/vif,vifDOMID_DEVID)\n"
		"      --base-protocol     offer guests only netif's base protocol (one\n"
		"                          event channel), as a minimal backend does\n"
		"  -v, --verbose           say what each vif does, and why a frame was\n"
		"                          dropped\n"
		"  -h, --help              show this help and exit\n"
		"      --version           show the version and exit\n"
		"\n"
		"Exit status: 0 after SIGINT or SIGTERM, 1 a failure (EAL, hv-stub or\n"
		"XenStore not there), 2 a wrong command line.\n");
}

/* ---- ports -------------------------------------------------------------- */

static uint16_t nr_ports;
static uint16_t port_ids[RTE_MAX_ETHPORTS];
/* Ports that wake us (receive interrupts on an fd) rather than being
 * polled while we sleep. */
static bool port_wakes[RTE_MAX_ETHPORTS];

static int port_setup(uint16_t port, struct rte_mempool *pool)
{
	struct rte_eth_conf conf = { 0 };
	int err;

	/* Receive interrupts where the driver has them (net_tap does): an
	 * idle switch then sleeps instead of polling. */
	conf.intr_conf.rxq = 1;
	err = rte_eth_dev_configure(port, 1, 1, &conf);
	port_wakes[port] = !err;
	if (err) {
		conf.intr_conf.rxq = 0;
		err = rte_eth_dev_configure(port, 1, 1, &conf);
	}

	if (!err)
		err = rte_eth_rx_queue_setup(port, 0, 512,
					     rte_eth_dev_socket_id(port), NULL,
					     pool);
	if (!err)
		err = rte_eth_tx_queue_setup(port, 0, 512,
					     rte_eth_dev_socket_id(port), NULL);
	if (!err)
		err = rte_eth_dev_start(port);
	if (!err)
		rte_eth_promiscuous_enable(port); /* a switch port */
	return err;
}

/* ---- the switch --------------------------------------------------------- */

static struct sdrv_xenbus_bus *bus;
static struct nb_vif *vifs[NB_MAX_VIFS];
static unsigned nr_vifs;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Frames for each port gather in its buffer and go in bursts: when it
 * fills, and at the end of each round (flush_ports()).  What the port
 * does not take is freed and counted in port_tx_dropped. */
static struct rte_eth_dev_tx_buffer *port_tx[RTE_MAX_ETHPORTS];
static uint64_t port_tx_dropped[RTE_MAX_ETHPORTS];

static void to_port(uint16_t port, struct rte_mbuf *m)
{
	rte_eth_tx_buffer(port, 0, port_tx[port], m);
}

static void flush_ports(void)
{
	for (uint16_t i = 0; i < nr_ports; i++)
		rte_eth_tx_buffer_flush(port_ids[i], 0, port_tx[port_ids[i]]);
}

/* Send @m on from @from: to where its destination was learnt, else to
 * every other vif and port.  @m is consumed: the last vif it goes to gets
 * @m itself (the others a reference each), and a port gets a copy unless
 * it is the only place @m goes (a port's driver may write into what it
 * sends; a guest's copy is taken from @m later). */
static void forward(struct rte_mbuf *m, struct nb_where from, uint64_t now)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct nb_vif *to_vifs[NB_MAX_VIFS];
	unsigned nv = 0, np = 0;
	struct nb_where to;

	nb_fdb_learn(&eth->src_addr, from, now);
	if (nb_fdb_lookup(&eth->dst_addr, now, &to)) {
		if (to.vif == from.vif && (to.vif || to.port == from.port))
			rte_pktmbuf_free(m); /* back where it came from */
		else if (to.vif)
			nb_vif_deliver(to.vif, m);
		else
			to_port(to.port, m);
		return;
	}
	for (unsigned i = 0; i < nr_vifs; i++)
		if (vifs[i] != from.vif)
			to_vifs[nv++] = vifs[i];
	for (uint16_t i = 0; i < nr_ports; i++)
		np += from.vif || port_ids[i] != from.port;
	for (uint16_t i = 0; i < nr_ports; i++) {
		struct rte_mbuf *c;

		if (!from.vif && port_ids[i] == from.port)
			continue;
		if (!nv && !--np) {
			to_port(port_ids[i], m);
			return;
		}
		c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
		if (c)
			to_port(port_ids[i], c);
	}
	if (!nv) {
		rte_pktmbuf_free(m);
		return;
	}
	if (nv > 1)
		rte_mbuf_refcnt_update(m, (int16_t)(nv - 1));
	for (unsigned k = 0; k < nv; k++)
		nb_vif_deliver(to_vifs[k], m);
}

/* One round over every vif and port.  Return: frames moved. */
uint64_t nb_now_ms;

static unsigned round_once(void)
{
	struct rte_mbuf *burst[NB_BURST];
	uint64_t now = now_ms();
	unsigned moved = 0;

	nb_now_ms = now;
	nr_vifs = nb_live_vifs(bus, vifs, NB_MAX_VIFS);
	for (unsigned i = 0; i < nr_vifs; i++) {
		unsigned n = nb_vif_take_tx(vifs[i], burst);

		for (unsigned k = 0; k < n; k++)
			forward(burst[k], (struct nb_where){ .vif = vifs[i] }, now);
		moved += n;
	}
	for (uint16_t i = 0; i < nr_ports; i++) {
		uint16_t n = rte_eth_rx_burst(port_ids[i], 0, burst, NB_BURST);

		for (uint16_t k = 0; k < n; k++)
			forward(burst[k], (struct nb_where){ .port = port_ids[i] },
				now);
		moved += n;
	}
	/* What waits for each guest (frames of this round and of rounds
	 * before, for buffers posted since) goes now, in order. */
	for (unsigned i = 0; i < nr_vifs; i++)
		moved += nb_vif_flush(vifs[i]);
	flush_ports();
	return moved;
}

/* ---- counters ----------------------------------------------------------- */

static void print_vif(struct nb_vif *v, bool gone, void *arg)
{
	const struct nb_stats *s = &v->stats;

	(void)arg;
	printf("netback-dpdk: %s%s: from guest %llu packets %llu bytes, to guest "
	       "%llu packets %llu bytes, malformed %llu, starved %llu (stalls %llu), "
	       "grant errors %llu, multicast groups refused %llu\n",
	       v->name, gone ? " (gone)" : "",
	       (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
	       (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
	       (unsigned long long)s->tx_dropped, (unsigned long long)s->rx_dropped,
	       (unsigned long long)s->rx_stalls, (unsigned long long)s->errors,
	       (unsigned long long)s->mcast_refused);
}

static void print_stats(void)
{
	nb_for_each_vif(bus, print_vif, NULL);
	for (uint16_t i = 0; i < nr_ports; i++) {
		struct rte_eth_stats st;
		char name[RTE_ETH_NAME_MAX_LEN] = "?";

		rte_eth_dev_get_name_by_port(port_ids[i], name);
		if (!rte_eth_stats_get(port_ids[i], &st))
			printf("netback-dpdk: port %u (%s): in %llu packets, out %llu "
			       "packets, missed %llu, errors %llu, not taken %llu\n",
			       port_ids[i], name, (unsigned long long)st.ipackets,
			       (unsigned long long)st.opackets,
			       (unsigned long long)st.imissed,
			       (unsigned long long)(st.ierrors + st.oerrors),
			       (unsigned long long)port_tx_dropped[port_ids[i]]);
	}
	fflush(stdout);
}

/* ---- the loop ----------------------------------------------------------- */

enum { EV_XS = 1, EV_PORTS, EV_SIGNAL, EV_ETH };

static int add_fd(int ep, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Whether any vif has work: transmit requests, or buffers posted for
 * frames that wait (asking each guest to notify when there is). */
static bool any_pending(void)
{
	bool any = false;

	for (unsigned i = 0; i < nr_vifs; i++) {
		any |= nb_vif_tx_pending(vifs[i]);
		any |= nb_vif_rx_waiting(vifs[i]);
	}
	return any;
}

/* Arm (or disarm) the receive interrupts of the ports that have them. */
static void ports_wake_us(bool on)
{
	for (uint16_t i = 0; i < nr_ports; i++)
		if (port_wakes[port_ids[i]]) {
			if (on)
				rte_eth_dev_rx_intr_enable(port_ids[i], 0);
			else
				rte_eth_dev_rx_intr_disable(port_ids[i], 0);
		}
}

static int serve(struct sdrv_platform *p, int sfd, unsigned stats_s)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	uint64_t next_stats = stats_s ? now_ms() + stats_s * 1000ull : 0;
	unsigned idle = 0, rounds = 0;
	int poll_sleep = 1; /* ms, doubling while idle, for polled ports */
	bool polled_ports = false;

	if (ep < 0 || add_fd(ep, sfd, EV_SIGNAL) ||
	    add_fd(ep, sdrv_xenbus_bus_fd(bus), EV_XS) ||
	    add_fd(ep, sdrv_evtchn_fd(p), EV_PORTS))
		return -errno;
	for (uint16_t i = 0; i < nr_ports; i++) {
		int fd = port_wakes[port_ids[i]]
				 ? rte_eth_dev_rx_intr_ctl_q_get_fd(port_ids[i], 0)
				 : -1;

		if (fd < 0 || add_fd(ep, fd, EV_ETH)) {
			port_wakes[port_ids[i]] = false;
			polled_ports = true;
		}
	}
	sdrv_xenbus_bus_dispatch(bus);
	for (;;) {
		struct epoll_event evs[8];
		int timeout = 0, n;
		bool slept = false;

		rounds++;
		if (round_once()) {
			idle = 0;
			poll_sleep = 1;
		} else if (++idle >= IDLE_ROUNDS && !any_pending()) {
			/* Sleep: event channels, XenStore and the ports'
			 * interrupts wake us; a port without them is looked
			 * at after 1 ms, then less often while idle. */
			int t_xs = sdrv_xenbus_bus_timeout_ms(bus);
			int t_ev = sdrv_evtchn_timeout_ms(p);

			timeout = polled_ports ? poll_sleep : -1;
			if (polled_ports && poll_sleep < POLL_SLEEP_MAX_MS)
				poll_sleep *= 2;
			if (t_xs >= 0 && (timeout < 0 || t_xs < timeout))
				timeout = t_xs;
			if (t_ev >= 0 && (timeout < 0 || t_ev < timeout))
				timeout = t_ev;
			/* Frames waiting for a guest stall on time even
			 * when nothing else happens. */
			for (unsigned i = 0; i < nr_vifs; i++) {
				int t = nb_vif_rx_stall_in_ms(vifs[i]);

				if (t >= 0 && (timeout < 0 || t + 1 < timeout))
					timeout = t + 1;
			}
			if (stats_s && (timeout < 0 || timeout > 1000))
				timeout = 1000;
			ports_wake_us(true);
			slept = true;
			idle = 0;
		}
		/* Busy: the wake-ups (signals, event channels) and XenStore
		 * are looked at every BUSY_CHECK_ROUNDS rounds, not every
		 * round: each is a system call. */
		if (timeout == 0 && rounds % BUSY_CHECK_ROUNDS)
			continue;
		n = epoll_wait(ep, evs, 8, timeout);
		if (slept)
			ports_wake_us(false);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == EV_SIGNAL) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo != SIGUSR1)
						return 0;
					print_stats();
				}
			} else if (evs[i].data.u64 == EV_PORTS) {
				sdrv_evtchn_port_t ports[64];

				/* The rings are polled: just clear them. */
				while (sdrv_evtchn_wait(p, ports, 64, 0) == 64)
					;
			}
		}
		/* XenStore (and the counters telemetry reads) after each
		 * sleep or wake-up, and every so often while busy. */
		if (n > 0 || timeout != 0 || rounds % (4 * BUSY_CHECK_ROUNDS) == 0) {
			nb_telemetry_publish(bus);
			int r = sdrv_xenbus_bus_dispatch(bus);

			if (r < 0)
				return r;
		}
		if (next_stats && now_ms() >= next_stats) {
			print_stats();
			next_stats = now_ms() + stats_s * 1000ull;
		}
	}
}

int main(int argc, char **argv)
{
	enum { OPT_STATS = 256, OPT_BASE };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "xenstore", required_argument, NULL, 'x' },
		{ "stats", required_argument, NULL, OPT_STATS },
		{ "base-protocol", no_argument, NULL, OPT_BASE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	static struct nb_options opt;
	const char *hvstub = NULL, *xsock = NULL;
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	unsigned stats_s = 0;
	int o, err, eal_args, sfd;
	sigset_t sigs;
	uint16_t port;

	cli_init("netback-dpdk");
	/* Blocked before the EAL starts its threads, so that they inherit
	 * the mask and the signals come to our signalfd. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		cli_fail("signalfd: %s", strerror(errno));
	/* Our own --help and --version need no EAL. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version")) {
			cli_print_version();
			return 0;
		}
	}
	eal_args = rte_eal_init(argc, argv);
	if (eal_args < 0 && rte_errno == EINVAL)
		cli_usage_error("DPDK's EAL refused its options (above)");
	if (eal_args < 0)
		cli_fail("DPDK's EAL: %s (here: --no-huge --no-pci -m 256)",
			 rte_strerror(rte_errno));
	argc -= eal_args;
	argv += eal_args;
	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, ":s:x:vh", longopts, NULL)) != -1) {
		switch (o) {
		case 's':
			hvstub = optarg;
			break;
		case 'x':
			xsock = optarg;
			break;
		case OPT_STATS:
			stats_s = (unsigned)cli_number("--stats", optarg, 1, 86400);
			break;
		case OPT_BASE:
			opt.base_protocol = true;
			break;
		case 'v':
			opt.verbose = true;
			break;
		default:
			cli_getopt_other(o, argv, usage);
		}
	}
	cli_no_operands(argc, argv, optind);
	opt.pool = rte_pktmbuf_pool_create("netback", 4095, 256, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE +
						   NB_MAX_FRAME - RTE_ETHER_MAX_LEN,
					   rte_socket_id());
	if (!opt.pool)
		cli_fail("mbuf pool: %s (give the EAL more memory: -m)",
			 rte_strerror(rte_errno));
	RTE_ETH_FOREACH_DEV(port) {
		char name[RTE_ETH_NAME_MAX_LEN] = "?";

		rte_eth_dev_get_name_by_port(port, name);
		err = port_setup(port, opt.pool);
		port_tx[port] = rte_zmalloc_socket("netback tx buffer",
			RTE_ETH_TX_BUFFER_SIZE(NB_BURST), 0, rte_eth_dev_socket_id(port));
		if (!err && !port_tx[port])
			err = -ENOMEM;
		if (!err)
			err = rte_eth_tx_buffer_init(port_tx[port], NB_BURST);
		if (!err)
			err = rte_eth_tx_buffer_set_err_callback(port_tx[port],
				rte_eth_tx_buffer_count_callback, &port_tx_dropped[port]);
		if (err)
			cli_fail("port %u (%s): %s", port, name, rte_strerror(-err));
		port_ids[nr_ports++] = port;
		if (opt.verbose)
			fprintf(stderr, "netback-dpdk: port %u (%s) up\n", port, name);
	}
	p = cli_attach_domain(hvstub, 0);
	err = sdrv_xs_open_socket(xsock, &xs);
	if (err) {
		sdrv_platform_detach(p);
		cli_fail("XenStore %s: %s (is it running? give -x or XENSTORED_PATH)",
			 xsock ? xsock : "socket", strerror(-err));
	}
	{
		/* Frames are copied through grant holds: only a privileged
		 * domain's process with hv-stub's fast path has them. */
		struct sdrv_grant_hold none;

		if (sdrv_grant_hold(p, &none, 0) == -EOPNOTSUPP)
			cli_fail("domain 0: no grant holds here (netback-dpdk needs "
				 "hv-stub's fast path, for a privileged domain)");
	}
	nb_driver_init(&opt);
	nb_telemetry_init();
	err = sdrv_xenbus_bus_open(p, xs, 0, true, &bus);
	if (!err)
		err = sdrv_xenbus_bus_register(bus, &nb_driver);
	if (!err) {
		if (opt.verbose)
			fprintf(stderr, "netback-dpdk: serving vifs of domain 0, %u port%s\n",
				nr_ports, nr_ports == 1 ? "" : "s");
		err = serve(p, sfd, stats_s);
	}
	if (err)
		cli_error("domain 0: %s", strerror(-err));
	print_stats();
	sdrv_xenbus_bus_close(bus);
	nb_forget_gone();
	sdrv_xs_close(xs);
	sdrv_platform_detach(p);
	RTE_ETH_FOREACH_DEV(port) {
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
	rte_eal_cleanup();
	return err ? 1 : 0;
}
