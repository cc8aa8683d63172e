/* SPDX-License-Identifier: MIT */
/*
 * net-guest: a guest process domain whose network interface is a Linux TAP
 * device: frames the kernel sends on the TAP go out through netfront, and
 * frames netfront receives come in on the TAP.  Run it inside a network
 * namespace and real programs (ping, iperf3, curl) talk through the split
 * driver.
 *
 * Offloads: where the backend takes GSO, the TAP carries a virtio-net
 * header (IFF_VNET_HDR) and the kernel hands us TCP frames of up to 64 KiB
 * with their checksums left blank (TSO): they go out as GSO frames, cut by
 * the backend for whoever takes none; GSO frames that come in go to the
 * kernel whole the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if_arp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
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
		"      --no-offload     no checksum offload or GSO (TSO) through the TAP,\n"
		"                       even where the backend takes them\n"
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

/* A TAP device named @name, up, with @mac; with a virtio-net header on
 * every frame and the kernel's TSO and checksum offload for @offload
 * (TUN_F_*), if any.  Return: its fd. */
static int tap_open(const char *name, const uint8_t mac[6], unsigned offload)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK), s;

	if (fd < 0)
		cli_fail("/dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr))
		cli_fail("TAP %s: %s", name, strerror(errno));
	if (offload && ioctl(fd, TUNSETOFFLOAD, (unsigned long)offload))
		cli_fail("TAP %s: offloads: %s (try --no-offload)", name, strerror(errno));
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

/* ---- the virtio-net header ------------------------------------------- */

#define VNET_HLEN sizeof(struct virtio_net_hdr)

/* Where @f's L4 header starts and which protocol it is, for a TCP or UDP
 * frame over IPv4 or IPv6 (one VLAN tag at most).  Return: the offset,
 * or 0. */
static unsigned l4_offset(const uint8_t *f, size_t len, uint8_t *proto)
{
	unsigned l3 = 14, type;

	if (len < l3)
		return 0;
	type = (unsigned)f[12] << 8 | f[13];
	if (type == 0x8100 && len >= l3 + 4) {
		type = (unsigned)f[16] << 8 | f[17];
		l3 += 4;
	}
	if (type == 0x0800 && len >= l3 + 20) {
		*proto = f[l3 + 9];
		return l3 + (f[l3] & 0xfu) * 4u;
	}
	if (type == 0x86dd && len >= l3 + 40) {
		*proto = f[l3 + 6];
		return l3 + 40;
	}
	return 0;
}

/* What the kernel's header says of a frame it sends, as netfront's
 * flags.  Return: false for what the backend takes not (UDP GSO, never
 * asked for, or a blank checksum we cannot place). */
static bool vnet_to_frame(const struct virtio_net_hdr *h,
			  struct sdrv_netfront_frame *f)
{
	f->flags = 0;
	f->gso_size = 0;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		f->flags |= SDRV_NETFRONT_F_CSUM_BLANK;
	switch (h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		f->flags |= SDRV_NETFRONT_F_GSO_TCPV4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		f->flags |= SDRV_NETFRONT_F_GSO_TCPV6;
		break;
	default:
		return false;
	}
	f->gso_size = h->gso_size;
	return h->gso_size != 0;
}

/* The header for the kernel of a frame netfront received.  Return: false
 * for a blank checksum on what is not TCP or UDP over IP (dropped). */
static bool frame_to_vnet(const struct sdrv_netfront_frame *f,
			  struct virtio_net_hdr *h)
{
	uint8_t proto = 0;
	unsigned l4;

	memset(h, 0, sizeof(*h));
	if (f->flags & SDRV_NETFRONT_F_DATA_VALIDATED)
		h->flags |= VIRTIO_NET_HDR_F_DATA_VALID;
	if (!(f->flags & (SDRV_NETFRONT_F_CSUM_BLANK | SDRV_NETFRONT_F_GSO_TCPV4 |
			  SDRV_NETFRONT_F_GSO_TCPV6)))
		return true;
	l4 = l4_offset(f->data, f->len, &proto);
	if (!l4 || (proto != IPPROTO_TCP && proto != IPPROTO_UDP) ||
	    l4 + (proto == IPPROTO_TCP ? 20u : 8u) > f->len)
		return false;
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)l4;
	h->csum_offset = proto == IPPROTO_TCP ? 16 : 6;
	if (f->flags & (SDRV_NETFRONT_F_GSO_TCPV4 | SDRV_NETFRONT_F_GSO_TCPV6)) {
		if (proto != IPPROTO_TCP)
			return false;
		h->gso_type = f->flags & SDRV_NETFRONT_F_GSO_TCPV4
				      ? VIRTIO_NET_HDR_GSO_TCPV4
				      : VIRTIO_NET_HDR_GSO_TCPV6;
		h->gso_size = f->gso_size;
		h->hdr_len = (uint16_t)(l4 + (((const uint8_t *)f->data)[l4 + 12] >> 4) * 4u);
	}
	return true;
}

int main(int argc, char **argv)
{
	enum { OPT_DEVID = 256, OPT_TAP, OPT_QUEUES, OPT_NO_OFFLOAD };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "devid", required_argument, NULL, OPT_DEVID },
		{ "tap", required_argument, NULL, OPT_TAP },
		{ "queues", required_argument, NULL, OPT_QUEUES },
		{ "no-offload", no_argument, NULL, OPT_NO_OFFLOAD },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	/* A virtio-net header (when offloading), then the frame. */
	static unsigned char buf[VNET_HLEN + SDRV_NETFRONT_MAX_PACKET];
	const struct sdrv_netfront_stats *st;
	const struct sdrv_netfront_info *info;
	const char *hvstub = NULL, *tap_name = NULL;
	char tap_default[IFNAMSIZ];
	struct sdrv_netfront *nf;
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	unsigned long id;
	unsigned devid = 0;
	struct sdrv_netfront_config cfg = { .queues = 1, .gso = true };
	unsigned offload = 0;
	unsigned long long refused = 0; /* frames not passed on */
	unsigned long long unwritten = 0; /* frames the TAP took not */
	int last_errno = 0;
	bool tap_carrier = true; /* a TAP comes up with its carrier on */
	size_t hlen;
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
		case OPT_NO_OFFLOAD:
			cfg.gso = false;
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
	/* The kernel's TSO and checksum offload where the backend takes
	 * GSO (it then finishes blank checksums too). */
	if (cfg.gso && info->gso_receive && (info->gso_tcpv4 || info->gso_tcpv6))
		offload = TUN_F_CSUM | (info->gso_tcpv4 ? TUN_F_TSO4 : 0) |
			  (info->gso_tcpv6 ? TUN_F_TSO6 : 0);
	hlen = offload ? VNET_HLEN : 0;
	tap = tap_open(tap_name, info->mac, offload);
	printf("domain %lu: vif %u (mac %02x:%02x:%02x:%02x:%02x:%02x) on TAP %s, "
	       "%u queue%s, %s\n",
	       id, devid, info->mac[0], info->mac[1], info->mac[2], info->mac[3],
	       info->mac[4], info->mac[5], tap_name, info->queues,
	       info->queues == 1 ? "" : "s",
	       offload ? "TSO and checksum offload" : "no offloads");
	fflush(stdout);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop && !sdrv_netfront_broken(nf)) {
		bool carrier = sdrv_netfront_carrier(nf);

		/* The TAP's carrier is the vif's: programs see the link. */
		if (carrier != tap_carrier &&
		    ioctl(tap, TUNSETCARRIER, &(int){ carrier }) == 0)
			tap_carrier = carrier;
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
		while ((n = (int)read(tap, buf, sizeof(buf))) > (int)hlen) {
			struct sdrv_netfront_frame f = { .data = buf + hlen,
							 .len = (size_t)n - hlen };
			struct virtio_net_hdr h;

			if (hlen) {
				memcpy(&h, buf, sizeof(h));
				if (!vnet_to_frame(&h, &f)) {
					refused++;
					continue;
				}
			}
			if (sdrv_netfront_send_burst(nf, &f, 1) != 1) {
				refused++; /* the ring is full: this frame is lost */
				break;
			}
		}
		/* Received frames in. */
		for (;;) {
			struct sdrv_netfront_frame f = { .data = buf + hlen,
							 .cap = sizeof(buf) - hlen };
			struct virtio_net_hdr h;

			if (sdrv_netfront_recv_burst(nf, &f, 1) != 1)
				break;
			if (hlen) {
				if (!frame_to_vnet(&f, &h)) {
					refused++;
					continue;
				}
				memcpy(buf, &h, sizeof(h));
			}
			if (write(tap, buf, f.len + hlen) < 0) {
				/* the kernel refused it (EAGAIN: full) */
				unwritten++;
				last_errno = errno;
			}
		}
	}
	st = sdrv_netfront_stats(nf);
	printf("vif %u: sent %llu packets %llu bytes (%llu refused by the backend, "
	       "%llu not sent: ring full or offload unknown), received %llu "
	       "packets %llu bytes (%llu malformed, %llu the TAP took not%s%s), "
	       "the backend came back %u time%s%s%s\n",
	       devid, (unsigned long long)st->tx_packets,
	       (unsigned long long)st->tx_bytes, (unsigned long long)st->tx_errors,
	       (unsigned long long)refused,
	       (unsigned long long)st->rx_packets, (unsigned long long)st->rx_bytes,
	       (unsigned long long)st->rx_dropped, unwritten,
	       unwritten ? ": " : "", unwritten ? strerror(last_errno) : "",
	       sdrv_netfront_reconnects(nf),
	       sdrv_netfront_reconnects(nf) == 1 ? "" : "s",
	       sdrv_netfront_broken(nf) ? "; broken: " : "",
	       sdrv_netfront_broken(nf) ? sdrv_netfront_broken(nf) : "");
	err = sdrv_netfront_broken(nf) ? 1 : 0;
	if (err) /* the link is down for good */
		ioctl(tap, TUNSETCARRIER, &(int){ 0 });
	close(tap);
	sdrv_netfront_close(nf);
	sdrv_xs_close(xs);
	sdrv_platform_detach(p);
	return err;
}
