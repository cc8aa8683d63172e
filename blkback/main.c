/* SPDX-License-Identifier: MIT */
/*
 * blkback: serve every vbd of every guest from one event loop (XenStore,
 * the queues' event channels, their io_uring completions, signals).
 */
#include "blkback.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <splitdrv/xs.h>

#include "cli.h"
#include "cli_domain.h"

/* epoll data of the loop's own descriptors (queues' are pointers, never
 * this small). */
enum { EV_XS = 2, EV_PORTS = 4, EV_SIGNAL = 6, EV_TIMER = 8 };

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: blkback [OPTION]...\n"
		"The block backend: serves every vbd of every guest whose XenStore\n"
		"directory names this domain as backend, each from the file or block\n"
		"device in its \"params\" key, with io_uring.  Devices come and go with\n"
		"the toolstack (hvctl block-attach / block-detach).\n"
		"\n"
		"  -s, --socket SOCKET     hv-stub's socket (default: $HVSTUB_SOCKET or\n"
		"                          " SDRV_HVSTUB_SOCKET_DEFAULT ")\n"
		"  -x, --xenstore SOCKET   XenStore's socket, for domain 0 (default:\n"
		"                          $XENSTORED_PATH or " SDRV_XS_SOCKET_DEFAULT ");\n"
		"                          another domain talks over its ring\n"
		"  -d, --domid N           the domain to serve from (default 0); it must\n"
		"                          be privileged (a driver domain)\n"
		"      --buffered          page-cache I/O instead of O_DIRECT\n"
		"      --max-queues N      queues offered per device, 1 to %u (default %u)\n"
		"      --max-ring-order N  ring pages offered, 2^N, 0 to %u (default %u)\n"
		"      --pool-pages N      bounce pages per queue (default 1024), for\n"
		"                          copies when the guest's pages cannot be held\n"
		"      --copy              always copy through bounce pages: no I/O\n"
		"                          straight into the guest's held pages\n"
		"      --stats SECONDS     print each device's counters this often\n"
		"                          (also on SIGUSR1, and always at exit)\n"
		"  -v, --verbose           say what each device does, and why a request\n"
		"                          was refused\n"
		"  -h, --help              show this help and exit\n"
		"      --version           show the version and exit\n"
		"\n"
		"Exit status: 0 after SIGINT or SIGTERM, 1 a failure (hv-stub or\n"
		"XenStore not there, domain not privileged), 2 a wrong command line.\n",
		BB_MAX_QUEUES, 2u, BB_MAX_RING_ORDER, BB_MAX_RING_ORDER);
}

static void print_vbd(const struct bb_vbd *v, bool gone, void *arg)
{
	const struct bb_stats *s = &v->stats;

	(void)arg;
	printf("blkback: %s%s %s: rd %llu req %llu sect, wr %llu req %llu sect, "
	       "flush %llu, discard %llu, refused %llu, io errors %llu, "
	       "copy errors %llu, zero-copy %llu\n",
	       v->name, gone ? " (gone)" : "", v->params,
	       (unsigned long long)s->rd_req, (unsigned long long)s->rd_sect,
	       (unsigned long long)s->wr_req, (unsigned long long)s->wr_sect,
	       (unsigned long long)s->flush_req,
	       (unsigned long long)s->discard_req,
	       (unsigned long long)s->bad_req, (unsigned long long)s->io_err,
	       (unsigned long long)s->copy_err,
	       (unsigned long long)s->zero_copy);
}

static void print_stats(struct sdrv_xenbus_bus *bus)
{
	bb_for_each_vbd(bus, print_vbd, NULL);
	fflush(stdout);
}

static int add_fd(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Every port with an event: run its queue; tell late EOI whether the
 * event found work (a guest kicking for nothing is held back). */
static void run_ports(struct sdrv_platform *p)
{
	sdrv_evtchn_port_t ports[256];
	int n;

	while ((n = sdrv_evtchn_wait(p, ports, 256, 0)) > 0) {
		for (int i = 0; i < n; i++) {
			struct bb_queue *q = bb_queue_of_port(ports[i]);

			if (q)
				bb_queue_run(q);
			sdrv_evtchn_lateeoi(p, ports[i],
					    !q || bb_queue_event_spurious(q));
		}
		if (n < 256)
			break;
	}
}

static int serve(struct sdrv_platform *p, struct sdrv_xenbus_bus *bus,
		 int epfd, unsigned stats_s)
{
	int sfd, tfd = -1;
	sigset_t sigs;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0 || add_fd(epfd, sfd, EV_SIGNAL) ||
	    add_fd(epfd, sdrv_xenbus_bus_fd(bus), EV_XS) ||
	    add_fd(epfd, sdrv_evtchn_fd(p), EV_PORTS))
		return -errno;
	if (stats_s) {
		struct itimerspec its = { { stats_s, 0 }, { stats_s, 0 } };

		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) ||
		    add_fd(epfd, tfd, EV_TIMER))
			return -errno;
	}
	/* Devices already there: the bus's first events. */
	sdrv_xenbus_bus_dispatch(bus);
	for (;;) {
		struct epoll_event evs[64];
		/* Wake when a port held back by late EOI is let go, and
		 * when a XenStore request's deadline passes. */
		int t_ports = sdrv_evtchn_timeout_ms(p);
		int t_xs = sdrv_xenbus_bus_timeout_ms(bus);
		int timeout = t_ports < 0 || (t_xs >= 0 && t_xs < t_ports)
				      ? t_xs
				      : t_ports;
		int n = epoll_wait(epfd, evs, 64, timeout);
		bool xs = n == 0 && t_xs >= 0; /* a deadline passed */

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag == EV_XS) {
				xs = true;
			} else if (tag == EV_PORTS) {
				run_ports(p);
			} else if (tag == EV_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
				    si.ssi_signo != SIGUSR1)
					return 0;
				print_stats(bus);
			} else if (tag == EV_TIMER) {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) > 0)
					print_stats(bus);
			} else if (tag & BB_EPOLL_URING) {
				struct bb_queue *q = (struct bb_queue *)(uintptr_t)(
					tag & ~(uint64_t)BB_EPOLL_URING);
				uint64_t cnt;

				if (read(q->uring_fd, &cnt, sizeof(cnt)) < 0 &&
				    errno != EAGAIN)
					continue;
				bb_queue_run(q);
			}
		}
		/* XenStore last: it may remove a queue whose events this
		 * batch still held. */
		if (xs) {
			int r = sdrv_xenbus_bus_dispatch(bus);

			if (r < 0)
				return r;
		}
	}
}

int main(int argc, char **argv)
{
	enum { OPT_BUFFERED = 256, OPT_QUEUES, OPT_ORDER, OPT_POOL, OPT_STATS,
	       OPT_COPY };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "xenstore", required_argument, NULL, 'x' },
		{ "domid", required_argument, NULL, 'd' },
		{ "buffered", no_argument, NULL, OPT_BUFFERED },
		{ "max-queues", required_argument, NULL, OPT_QUEUES },
		{ "max-ring-order", required_argument, NULL, OPT_ORDER },
		{ "pool-pages", required_argument, NULL, OPT_POOL },
		{ "copy", no_argument, NULL, OPT_COPY },
		{ "stats", required_argument, NULL, OPT_STATS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	static struct bb_options opt = { .max_queues = 2,
					  .max_ring_order = BB_MAX_RING_ORDER,
					  .pool_pages = 1024 };
	const char *hvstub = NULL, *xsock = NULL;
	struct sdrv_xenbus_bus *bus;
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	unsigned domid = 0, stats_s = 0;
	int o, err;

	cli_init(argv[0]);
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":s:x:d:vh", longopts, NULL)) != -1) {
		switch (o) {
		case 's':
			hvstub = optarg;
			break;
		case 'x':
			xsock = optarg;
			break;
		case 'd':
			domid = (unsigned)cli_number("--domid", optarg, 0,
						     SDRV_DOMID_FIRST_RESERVED - 1);
			break;
		case OPT_BUFFERED:
			opt.buffered = true;
			break;
		case OPT_QUEUES:
			opt.max_queues = (unsigned)cli_number(
				"--max-queues", optarg, 1, BB_MAX_QUEUES);
			break;
		case OPT_ORDER:
			opt.max_ring_order = (unsigned)cli_number(
				"--max-ring-order", optarg, 0, BB_MAX_RING_ORDER);
			break;
		case OPT_POOL:
			opt.pool_pages = (unsigned)cli_number(
				"--pool-pages", optarg, 2 * (BB_MAX_SEGMENTS + 1),
				1u << 20);
			break;
		case OPT_COPY:
			opt.copy = true;
			break;
		case OPT_STATS:
			stats_s = (unsigned)cli_number("--stats", optarg, 1,
						       86400);
			break;
		case 'v':
			opt.verbose = true;
			break;
		default:
			cli_getopt_other(o, argv, usage);
		}
	}
	cli_no_operands(argc, argv, optind);
	p = cli_attach_domain(hvstub, domid);
	if (domid == 0) {
		err = sdrv_xs_open_socket(xsock, &xs);
		if (err) {
			sdrv_platform_detach(p);
			cli_fail("XenStore %s: %s (is it running? give -x or XENSTORED_PATH)",
				 xsock ? xsock : "socket", strerror(-err));
		}
	} else {
		xs = cli_open_xs_ring(p, domid);
	}
	opt.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	bb_driver_init(&opt);
	err = sdrv_xenbus_bus_open(p, xs, (sdrv_domid_t)domid, true, &bus);
	if (!err)
		err = sdrv_xenbus_bus_register(bus, &bb_driver);
	if (!err) {
		if (opt.verbose)
			fprintf(stderr, "blkback: serving vbds of domain %u\n", domid);
		err = serve(p, bus, opt.epoll_fd, stats_s);
	}
	if (err)
		cli_error("domain %u: %s", domid, strerror(-err));
	print_stats(bus);
	sdrv_xenbus_bus_close(bus);
	bb_forget_gone();
	sdrv_xs_close(xs);
	sdrv_platform_detach(p);
	return err ? 1 : 0;
}
