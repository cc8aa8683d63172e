/* SPDX-License-Identifier: MIT */
/*
 * hvctl block-attach / block-detach / block-list: the toolstack's part of a
 * virtual block device, as xl's: both XenStore directories with the keys
 * Linux's blkfront and blkback read, written in one transaction on
 * XenStore's socket ($XENSTORED_PATH).
 */
#define _DEFAULT_SOURCE /* realpath */
#include "hvctl.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <splitdrv/xenbus.h>
#include <splitdrv/xs.h>

#include "cli.h"

/* Xen's virtual device numbers: xvdX is major 202, 16 minors a disk. */
#define XVD_MAJOR 202u

/* "xvda".."xvdz" or a number.  Return: the device id. */
static uint32_t parse_vdev(const char *s)
{
	if (!strncmp(s, "xvd", 3) && s[3] >= 'a' && s[3] <= 'z' && !s[4])
		return XVD_MAJOR << 8 | (uint32_t)(s[3] - 'a') << 4;
	return (uint32_t)cli_number("--vdev", s, 1, UINT32_MAX >> 1);
}

int hvctl_block_attach(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vdev", required_argument, NULL, 'v' },
		{ "mode", required_argument, NULL, 'm' },
		{ "backend", required_argument, NULL, 'b' },
		{ 0 },
	};
	uint32_t devid = XVD_MAJOR << 8, frontend;
	unsigned backend = 0;
	const char *mode = "w";
	char params[PATH_MAX], devid_s[16], devname[16];
	struct stat st;
	struct sdrv_xs *xs;
	int o, err;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (o) {
		case 'v':
			devid = parse_vdev(optarg);
			break;
		case 'm':
			if (strcmp(optarg, "r") && strcmp(optarg, "w"))
				cli_usage_error("--mode %s: expected r or w",
						optarg);
			mode = optarg;
			break;
		case 'b':
			backend = (unsigned)cli_number(
				"--backend", optarg, 0,
				SDRV_DOMID_FIRST_RESERVED - 1);
			break;
		default:
			cli_getopt_error(o, argv);
		}
	}
	if (argc - optind != 2)
		cli_usage_error("block-attach: expected a domain id and a file or block device");
	frontend = (uint32_t)cli_number("domain id", argv[optind], 1,
					SDRV_DOMID_FIRST_RESERVED - 1);
	if (!realpath(argv[optind + 1], params))
		cli_fail("%s: %s", argv[optind + 1], strerror(errno));
	if (stat(params, &st) || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		cli_fail("%s: neither a regular file nor a block device", params);
	snprintf(devid_s, sizeof(devid_s), "%u", devid);
	if (devid >> 8 == XVD_MAJOR && (devid & 15) == 0 && (devid & 0xff) >> 4 < 26)
		snprintf(devname, sizeof(devname), "xvd%c",
			 'a' + (int)((devid & 0xff) >> 4));
	else
		snprintf(devname, sizeof(devname), "%u", devid);
	{
		const char *const front_keys[] = {
			"virtual-device", devid_s, "device-type", "disk", NULL,
		};
		const char *const back_keys[] = {
			"params", params,
			"mode", mode,
			"type", S_ISBLK(st.st_mode) ? "phy" : "file",
			"dev", devname,
			"device-type", "disk",
			"removable", "0",
			"bootable", "1",
			NULL,
		};

		xs = hvctl_xs_connect();
		err = sdrv_xenbus_device_create_with(
			xs, (sdrv_domid_t)backend, (sdrv_domid_t)frontend,
			"vbd", devid, front_keys, back_keys);
	}
	sdrv_xs_close(xs);
	if (err)
		cli_fail("domain %u: vbd %u: %s", frontend, devid, strerror(-err));
	printf("domain %u: vbd %u (%s) -> %s (%s), backend domain %u\n",
	       frontend, devid, devname, params,
	       *mode == 'r' ? "read-only" : "read-write", backend);
	return 0;
}

int hvctl_block_detach(int argc, char **argv)
{
	return hvctl_device_detach(argc, argv, "vbd", "vdev", parse_vdev);
}
