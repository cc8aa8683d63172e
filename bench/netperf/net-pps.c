/* SPDX-License-Identifier: MIT */
/*
 * net-pps: the guest end of bench/netperf.  Becomes guest domain ID and,
 * through its netfront, sends frames of SIZE bytes as fast as the ring
 * takes them (--tx), or counts the frames it receives (--rx), for SECS
 * seconds; prints one line: "tx|rx PPS pps CPU_NS ns/packet".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <splitdrv/netfront.h>
#include <splitdrv/platform.h>
#include <splitdrv/xs.h>

#include "cli.h"
#include "cli_domain.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: net-pps [OPTION]... ID\n"
		"Become guest domain ID and send (--tx) or receive (--rx) frames through\n"
		"its netfront for a while; print the packets per second and the CPU\n"
		"this process spent per packet.  The guest end of bench/netperf.\n"
		"\n"
		"  -s, --socket SOCKET  hv-stub's socket (default: $HVSTUB_SOCKET)\n"
		"      --tx             send broadcast frames as fast as the ring takes\n"
		"                       them (the default)\n"
		"      --rx             count the frames received\n"
		"      --size N         frame size, 60 to 4096 bytes (default 64)\n"
		"      --secs N         how long, 1 to 3600 seconds (default 5)\n"
		"  -h, --help           show this help and exit\n"
		"      --version        show the version and exit\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	enum { OPT_TX = 256, OPT_RX, OPT_SIZE, OPT_SECS };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "tx", no_argument, NULL, OPT_TX },
		{ "rx", no_argument, NULL, OPT_RX },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "secs", required_argument, NULL, OPT_SECS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	static unsigned char frame[SDRV_NETFRONT_MAX_PACKET];
	const char *hvstub = NULL;
	unsigned size = 64, secs = 5;
	bool rx = false;
	struct sdrv_netfront *nf;
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	unsigned long id;
	uint64_t n = 0;
	double t0, c0, t, c;
	int o, err;

	cli_init(argv[0]);
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":s:h", longopts, NULL)) != -1) {
		switch (o) {
		case 's':
			hvstub = optarg;
			break;
		case OPT_TX:
			rx = false;
			break;
		case OPT_RX:
			rx = true;
			break;
		case OPT_SIZE:
			size = (unsigned)cli_number("--size", optarg, 60,
						    SDRV_NETFRONT_MAX_PACKET);
			break;
		case OPT_SECS:
			secs = (unsigned)cli_number("--secs", optarg, 1, 3600);
			break;
		default:
			cli_getopt_other(o, argv, usage);
		}
	}
	id = cli_domain_operand(argc, argv, optind);
	p = cli_attach_domain(hvstub, id);
	xs = cli_open_xs_ring(p, id);
	err = sdrv_netfront_open(p, xs, 0, NULL, &nf);
	if (err)
		cli_fail("domain %lu: vif 0: %s", id, strerror(-err));
	memset(frame, 0xff, 6);
	memcpy(frame + 6, sdrv_netfront_info(nf)->mac, 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	t0 = now_s();
	c0 = cpu_s();
	do {
		for (int burst = 0; burst < 256; burst++) {
			if (rx) {
				int r = sdrv_netfront_recv(nf, frame, sizeof(frame));

				if (r > 0)
					n++;
				else if (r == 0 && sdrv_netfront_wait(nf, 10) < 0)
					break;
			} else if (sdrv_netfront_send(nf, frame, size) == 0) {
				n++;
			} else {
				/* The ring is full: take the answers. */
				sdrv_netfront_recv(nf, frame, sizeof(frame));
			}
		}
		t = now_s();
	} while (t - t0 < secs && !sdrv_netfront_broken(nf));
	c = cpu_s();
	printf("%s %.0f pps %.0f ns/packet\n", rx ? "rx" : "tx", (double)n / (t - t0),
	       n ? (c - c0) * 1e9 / (double)n : 0.0);
	err = sdrv_netfront_broken(nf) ? 1 : 0;
	sdrv_netfront_close(nf);
	sdrv_xs_close(xs);
	sdrv_platform_detach(p);
	return err;
}
