/* SPDX-License-Identifier: MIT */
/*
 * net-guest: a guest process domain whose network interface is a Linux TAP
 * device: frames the kernel sends on the TAP go out through netfront, and
 * frames netfront receives come in on the TAP.  Run it inside a network
 * namespace and real programs (ping, iperf3, curl) talk through the split
 * driver.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <splitdrv/netfront.h>
#include <splitdrv/platform.h>
#include <splitdrv/xs.h>

#include "cli.h"
#include "cli_domain.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: net-guest [OPTION]... ID\n"
		"Become guest domain ID and bridge its network interface (vif, through\n"
		"netfront and the backend's netback-dpdk) to a Linux TAP device in the\n"
		"current network namespace, up, with the vif's MAC address: give it an\n"
		"address and use it.  Runs until SIGINT or SIGTERM, then prints the\n"
		"interface's counters.\n"
		"\n"
		"  -s, --socket SOCKET  hv-stub's socket (default: $HVSTUB_SOCKET or\n"
		"                       " SDRV_HVSTUB_SOCKET_DEFAULT ")\n"
		"      --devid N        the vif, 0 to 255 (default 0; hvctl network-attach\n"
		"                       --devid)\n"
		"      --tap NAME       the TAP device's name (default: vifID.N)\n"
		"      --queues N       ask the backend for N queues, 1 to 8 (default 1;\n"
		"                       it may grant fewer): each flow keeps to one\n"
		"  -h, --help           show this help and exit\n"
		"      --version        show the version and exit\n"
		"\n"
		"Exit status: 0 after SIGINT or SIGTERM, 1 a failure, 2 a wrong command\n"
		"line.\n");
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* A TAP device named @name, up, with @mac.  Return: its fd. */
static int tap_open(const char *name, const uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK), s;

	if (fd < 0)
		cli_fail("/dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr))
		cli_fail("TAP %s: %s", name, strerror(errno));
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	if (s < 0 || ioctl(s, SIOCSIFHWADDR, &ifr))
		cli_fail("TAP %s: setting its MAC: %s", name, strerror(errno));
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			cli_fail("TAP %s: up: %s", name, strerror(errno));
	}
	close(s);
	return fd;
}

int main(int argc, char **argv)
{
	enum { OPT_DEVID = 256, OPT_TAP, OPT_QUEUES };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "devid", required_argument, NULL, OPT_DEVID },
		{ "tap", required_argument, NULL, OPT_TAP },
		{ "queues", required_argument, NULL, OPT_QUEUES },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	static unsigned char frame[SDRV_NETFRONT_MAX_PACKET];
	const struct sdrv_netfront_stats *st;
	const struct sdrv_netfront_info *info;
	const char *hvstub = NULL, *tap_name = NULL;
	char tap_default[IFNAMSIZ];
	struct sdrv_netfront *nf;
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	unsigned long id;
	unsigned devid = 0;
	struct sdrv_netfront_config cfg = { .queues = 1 };
	int o, err, tap;

	cli_init(argv[0]);
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":s:h", longopts, NULL)) != -1) {
		switch (o) {
		case 's':
			hvstub = optarg;
			break;
		case OPT_DEVID:
			devid = (unsigned)cli_number("--devid", optarg, 0, 255);
			break;
		case OPT_QUEUES:
			cfg.queues = (unsigned)cli_number("--queues", optarg, 1,
							  SDRV_NETFRONT_MAX_QUEUES);
			break;
		case OPT_TAP:
			if (!*optarg || strlen(optarg) >= IFNAMSIZ)
				cli_usage_error("--tap %s: 1 to %d characters", optarg,
						IFNAMSIZ - 1);
			tap_name = optarg;
			break;
		default:
			cli_getopt_other(o, argv, usage);
		}
	}
	id = cli_domain_operand(argc, argv, optind);
	if (!tap_name) {
		snprintf(tap_default, sizeof(tap_default), "vif%lu.%u", id, devid);
		tap_name = tap_default;
	}
	p = cli_attach_domain(hvstub, id);
	xs = cli_open_xs_ring(p, id);
	err = sdrv_netfront_open(p, xs, devid, &cfg, &nf);
	if (err) {
		sdrv_xs_close(xs);
		sdrv_platform_detach(p);
		cli_fail("domain %lu: vif %u: %s%s", id, devid, strerror(-err),
			 err == -ENOENT ? " (hvctl network-attach it first)"
			 : err == -ETIMEDOUT ? " (is netback-dpdk running?)" : "");
	}
	info = sdrv_netfront_info(nf);
	tap = tap_open(tap_name, info->mac);
	printf("domain %lu: vif %u (mac %02x:%02x:%02x:%02x:%02x:%02x) on TAP %s, "
	       "%u queue%s\n",
	       id, devid, info->mac[0], info->mac[1], info->mac[2], info->mac[3],
	       info->mac[4], info->mac[5], tap_name, info->queues,
	       info->queues == 1 ? "" : "s");
	fflush(stdout);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop && !sdrv_netfront_broken(nf)) {
		struct pollfd pfd[2] = {
			{ .fd = tap, .events = POLLIN },
			{ .fd = sdrv_evtchn_fd(p), .events = POLLIN },
		};
		sdrv_evtchn_port_t ports[16];
		int n;

		if (poll(pfd, 2, 100) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			while (sdrv_evtchn_wait(p, ports, 16, 0) == 16)
				;
		/* The TAP's frames out, as long as the ring takes them. */
		while ((n = (int)read(tap, frame, sizeof(frame))) > 0)
			if (sdrv_netfront_send(nf, frame, (size_t)n) == -EAGAIN)
				break; /* the ring is full: this frame is lost */
		/* Received frames in. */
		while ((n = sdrv_netfront_recv(nf, frame, sizeof(frame))) > 0)
			if (write(tap, frame, (size_t)n) < 0 && errno != EAGAIN)
				break;
	}
	st = sdrv_netfront_stats(nf);
	printf("vif %u: sent %llu packets %llu bytes (%llu refused), received %llu "
	       "packets %llu bytes (%llu malformed), the backend came back %u "
	       "time%s%s%s\n",
	       devid, (unsigned long long)st->tx_packets,
	       (unsigned long long)st->tx_bytes, (unsigned long long)st->tx_errors,
	       (unsigned long long)st->rx_packets, (unsigned long long)st->rx_bytes,
	       (unsigned long long)st->rx_dropped, sdrv_netfront_reconnects(nf),
	       sdrv_netfront_reconnects(nf) == 1 ? "" : "s",
	       sdrv_netfront_broken(nf) ? "; broken: " : "",
	       sdrv_netfront_broken(nf) ? sdrv_netfront_broken(nf) : "");
	err = sdrv_netfront_broken(nf) ? 1 : 0;
	close(tap);
	sdrv_netfront_close(nf);
	sdrv_xs_close(xs);
	sdrv_platform_detach(p);
	return err;
}
