/* SPDX-License-Identifier: MIT */
/*
 * netback-dpdk: EAL, options, the "vif" driver on the XenBus, and worker
 * 0's polling loop on the main lcore (the other workers: worker.c), which
 * also dispatches XenStore and wakes the workers whose event channels
 * fired, sleeping on them, XenStore and the ports when nothing moves.
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
		"      --max-queues N      offer each vif up to N queues (1-8; default:\n"
		"                          one per lcore, -l).  Queue q is polled by the\n"
		"                          lcore q mod lcores\n"
		"      --base-protocol     offer guests only netif's base protocol (one\n"
		"                          queue, one event channel), as a minimal backend\n"
		"                          does\n"
		"      --copy-tx           copy every frame a guest sends; by default one\n"
		"                          of 512 bytes or more is lent on in the guest's\n"
		"                          own page until it is sent (to guests and to\n"
		"                          net_null, net_tap, net_af_packet, net_pcap)\n"
		"  -v, --verbose           say what each vif does, and why a frame was\n"
		"                          dropped\n"
		"  -h, --help              show this help and exit\n"
		"      --version           show the version and exit\n"
		"\n"
		"Exit status: 0 after SIGINT or SIGTERM, 1 a failure (EAL, hv-stub or\n"
		"XenStore not there), 2 a wrong command line.\n");
}

/* ---- counters ----------------------------------------------------------- */

static struct sdrv_xenbus_bus *bus;

static void print_vif(struct nb_vif *v, bool gone, void *arg)
{
	struct nb_stats s;

	(void)arg;
	nb_vif_stats(v, &s);
	printf("netback-dpdk: %s%s: from guest %llu packets %llu bytes, to guest "
	       "%llu packets %llu bytes, malformed %llu, starved %llu (stalls %llu), "
	       "grant errors %llu, multicast groups refused %llu, lent %llu "
	       "(copied after all %llu), grants kept %llu\n",
	       v->name,
	       /* the sum of the vifs gone earlier is named so already */
	       gone && !strncmp(v->name, "vif ", 4) ? " (gone)" : "",
	       (unsigned long long)s.tx_packets, (unsigned long long)s.tx_bytes,
	       (unsigned long long)s.rx_packets, (unsigned long long)s.rx_bytes,
	       (unsigned long long)s.tx_dropped, (unsigned long long)s.rx_dropped,
	       (unsigned long long)s.rx_stalls, (unsigned long long)s.errors,
	       (unsigned long long)s.mcast_refused, (unsigned long long)s.tx_lent,
	       (unsigned long long)s.tx_lent_copied, (unsigned long long)s.rx_grants_kept);
	for (unsigned i = 0; v->nr_queues > 1 && i < v->nr_queues; i++) {
		const struct nb_stats *q = &v->queues[i].stats;

		printf("netback-dpdk: %s: from guest %llu packets, to guest %llu packets\n",
		       v->queues[i].name, (unsigned long long)q->tx_packets,
		       (unsigned long long)q->rx_packets);
	}
}

/* Under the world lock: the workers' counters hold still. */
static void print_stats(void)
{
	nb_for_each_vif(bus, print_vif, NULL);
	nb_ports_print();
	fflush(stdout);
}

/* ---- the loop ----------------------------------------------------------- */

enum { EV_XS = 1, EV_PORTS, EV_SIGNAL, EV_ETH, EV_WORKERS };

static int add_fd(int ep, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* XenStore's watches, the workers' findings and the counters telemetry
 * reads, with every worker between rounds.  Return: 0, -errno. */
static int control(void)
{
	int r;

	nb_world_lock();
	r = sdrv_xenbus_bus_dispatch(bus);
	/* A dispatch may connect or drop vifs: always a new world. */
	nb_report_disabled(bus);
	nb_telemetry_publish(bus);
	nb_world_unlock(true);
	return r < 0 ? r : 0;
}

/* Worker 0 on the main lcore: its queues and the ports, and between
 * rounds the wake-ups and XenStore. */
static int serve(struct sdrv_platform *p, int sfd, unsigned stats_s)
{
	struct nb_worker *w = nb_worker(0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	uint64_t next_stats = stats_s ? nb_clock_ms() + stats_s * 1000ull : 0;
	unsigned idle = 0, rounds = 0;
	int poll_sleep = 1; /* ms, doubling while idle, for polled ports */
	bool polled_ports;

	if (ep < 0 || add_fd(ep, sfd, EV_SIGNAL) ||
	    add_fd(ep, sdrv_xenbus_bus_fd(bus), EV_XS) ||
	    add_fd(ep, sdrv_evtchn_fd(p), EV_PORTS) ||
	    add_fd(ep, w->wake_fd, EV_WORKERS))
		return -errno;
	polled_ports = nb_ports_watch(ep, EV_ETH);
	if (control())
		return -EIO;
	for (;;) {
		struct epoll_event evs[8];
		int timeout = 0, n;
		bool slept = false, changed = false;

		rounds++;
		if (nb_worker_round(w)) {
			idle = 0;
			poll_sleep = 1;
		} else if (++idle >= NB_IDLE_ROUNDS && nb_worker_may_sleep(w)) {
			/* Sleep: event channels, XenStore and the ports'
			 * interrupts wake us; a port without them is looked
			 * at after 1 ms, then less often while idle. */
			int t_xs = sdrv_xenbus_bus_timeout_ms(bus);
			int t_ev = sdrv_evtchn_timeout_ms(p);
			int t_w = nb_worker_timeout_ms(w);

			timeout = polled_ports ? poll_sleep : -1;
			if (polled_ports && poll_sleep < POLL_SLEEP_MAX_MS)
				poll_sleep *= 2;
			if (t_xs >= 0 && (timeout < 0 || t_xs < timeout))
				timeout = t_xs;
			if (t_ev >= 0 && (timeout < 0 || t_ev < timeout))
				timeout = t_ev;
			if (t_w >= 0 && (timeout < 0 || t_w < timeout))
				timeout = t_w;
			if (stats_s && (timeout < 0 || timeout > 1000))
				timeout = 1000;
			nb_ports_wake_us(true);
			slept = true;
			idle = 0;
		}
		/* Busy: the wake-ups (signals, event channels) and XenStore
		 * are looked at every BUSY_CHECK_ROUNDS rounds, not every
		 * round: each is a system call. */
		if (timeout == 0 && rounds % BUSY_CHECK_ROUNDS)
			continue;
		n = epoll_wait(ep, evs, 8, timeout);
		if (slept) {
			nb_ports_wake_us(false);
			nb_worker_awake(w);
		}
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == EV_SIGNAL) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo != SIGUSR1)
						return 0;
					nb_world_lock();
					print_stats();
					nb_world_unlock(false);
				}
			} else if (evs[i].data.u64 == EV_PORTS) {
				sdrv_evtchn_port_t ports[64];
				int got;

				/* Our rings are polled: the events only wake
				 * the workers whose queues they name. */
				do {
					got = sdrv_evtchn_wait(p, ports, 64, 0);
					if (got > 0)
						nb_workers_wake(ports, (unsigned)got);
				} while (got == 64);
			} else if (evs[i].data.u64 == EV_XS) {
				changed = true;
			} else if (evs[i].data.u64 == EV_WORKERS) {
				uint64_t count;

				/* A worker disabled a vif: XenStore hears it
				 * now, not after this lcore's next sleep. */
				if (read(w->wake_fd, &count, sizeof(count)) > 0)
					changed = true;
			}
		}
		/* XenStore (and the counters telemetry reads) after each
		 * sleep or wake-up, and every so often while busy. */
		if (changed || timeout != 0 || rounds % (4 * BUSY_CHECK_ROUNDS) == 0) {
			int r = control();

			nb_loans_sweep(false);
			if (r < 0)
				return r;
		}
		if (next_stats && nb_clock_ms() >= next_stats) {
			nb_world_lock();
			print_stats();
			nb_world_unlock(false);
			next_stats = nb_clock_ms() + stats_s * 1000ull;
		}
	}
}

int main(int argc, char **argv)
{
	enum { OPT_STATS = 256, OPT_BASE, OPT_QUEUES, OPT_COPY_TX };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "xenstore", required_argument, NULL, 'x' },
		{ "stats", required_argument, NULL, OPT_STATS },
		{ "base-protocol", no_argument, NULL, OPT_BASE },
		{ "max-queues", required_argument, NULL, OPT_QUEUES },
		{ "copy-tx", no_argument, NULL, OPT_COPY_TX },
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
	bool copy_tx = false;
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
		case OPT_QUEUES:
			opt.max_queues = (unsigned)cli_number("--max-queues", optarg, 1,
							      NB_MAX_QUEUES);
			break;
		case OPT_COPY_TX:
			copy_tx = true;
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
	if (!opt.pool || nb_lend_init(!copy_tx))
		cli_fail("mbuf pool: %s (give the EAL more memory: -m)",
			 rte_strerror(rte_errno));
	/* A polling worker on each lcore the EAL gives (-l), up to
	 * NB_MAX_WORKERS; as many queues offered unless --max-queues. */
	opt.nr_workers = rte_lcore_count() < NB_MAX_WORKERS ? rte_lcore_count()
							    : NB_MAX_WORKERS;
	if (!opt.max_queues)
		opt.max_queues = opt.nr_workers;
	err = nb_workers_init(opt.nr_workers);
	if (err)
		cli_fail("workers: %s", strerror(-err));
	err = nb_ports_init(&opt, &port);
	if (err) {
		char name[RTE_ETH_NAME_MAX_LEN] = "?";

		rte_eth_dev_get_name_by_port(port, name);
		cli_fail("port %u (%s): %s", port, name, rte_strerror(-err));
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
			fprintf(stderr, "netback-dpdk: serving vifs of domain 0, %u port%s, "
				"%u polling lcore%s, up to %u queue%s a vif\n",
				nb_nr_ports, nb_nr_ports == 1 ? "" : "s",
				opt.nr_workers, opt.nr_workers == 1 ? "" : "s",
				opt.max_queues, opt.max_queues == 1 ? "" : "s");
		err = nb_workers_start(bus);
		if (!err)
			err = serve(p, sfd, stats_s);
		nb_workers_stop();
	}
	if (err)
		cli_error("domain 0: %s", strerror(-err));
	print_stats();
	sdrv_xenbus_bus_close(bus);
	nb_forget_gone();
	/* The ports let go of what they kept, then the loans of it go,
	 * while there is a platform to let their grants go through. */
	nb_ports_close();
	nb_loans_sweep(true);
	sdrv_xs_close(xs);
	sdrv_platform_detach(p);
	rte_eal_cleanup();
	return err ? 1 : 0;
}
