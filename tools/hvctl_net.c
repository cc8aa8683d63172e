/* SPDX-License-Identifier: MIT */
/*
 * hvctl network-attach / network-detach: the toolstack's part of a virtual
 * network interface, as xl's: both XenStore directories with the keys
 * Linux's netfront and netback read (the MAC in both), in one transaction.
 */
#include "hvctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitdrv/xenbus.h>
#include <splitdrv/xs.h>

#include "cli.h"

/* A unicast MAC "aa:bb:cc:dd:ee:ff", or a usage error. */
static void check_mac(const char *s)
{
	unsigned b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6 || strlen(s) != 17)
		cli_usage_error("--mac %s: expected six hex bytes, aa:bb:cc:dd:ee:ff", s);
	if (b[0] & 1)
		cli_usage_error("--mac %s: a group address (its first byte is odd)", s);
}

int hvctl_network_attach(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "devid", required_argument, NULL, 'd' },
		{ "mac", required_argument, NULL, 'm' },
		{ "backend", required_argument, NULL, 'b' },
		{ 0 },
	};
	unsigned backend = 0, devid = 0, frontend;
	char mac[24] = "", handle[16];
	struct sdrv_xs *xs;
	int o, err;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (o) {
		case 'd':
			devid = (unsigned)cli_number("--devid", optarg, 0, 255);
			break;
		case 'm':
			check_mac(optarg);
			snprintf(mac, sizeof(mac), "%s", optarg);
			break;
		case 'b':
			backend = (unsigned)cli_number("--backend", optarg, 0,
						       SDRV_DOMID_FIRST_RESERVED - 1);
			break;
		default:
			cli_getopt_error(o, argv);
		}
	}
	if (argc - optind != 1)
		cli_usage_error("network-attach: expected a domain id");
	frontend = (unsigned)cli_number("domain id", argv[optind], 1,
					SDRV_DOMID_FIRST_RESERVED - 1);
	if (!*mac) /* Xen's prefix, then the domain and the device */
		snprintf(mac, sizeof(mac), "00:16:3e:%02x:%02x:%02x",
			 (frontend >> 8) & 0x7f, frontend & 0xff, devid);
	snprintf(handle, sizeof(handle), "%u", devid);
	{
		const char *const front_keys[] = { "mac", mac, "handle", handle,
						   NULL };
		const char *const back_keys[] = { "mac", mac, "handle", handle,
						  "type", "vif", NULL };

		xs = hvctl_xs_connect();
		err = sdrv_xenbus_device_create_with(
			xs, (sdrv_domid_t)backend, (sdrv_domid_t)frontend, "vif",
			devid, front_keys, back_keys);
	}
	sdrv_xs_close(xs);
	if (err)
		cli_fail("domain %u: vif %u: %s", frontend, devid, strerror(-err));
	printf("domain %u: vif %u, mac %s, backend domain %u\n", frontend, devid,
	       mac, backend);
	return 0;
}

static uint32_t parse_devid(const char *s)
{
	return (uint32_t)cli_number("devid", s, 0, 255);
}

int hvctl_network_detach(int argc, char **argv)
{
	return hvctl_device_detach(argc, argv, "vif", "devid", parse_devid);
}
