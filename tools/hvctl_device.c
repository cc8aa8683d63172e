/* SPDX-License-Identifier: MIT */
/*
 * What hvctl's device commands share: XenStore's socket, and the detach
 * that removes both directories of a device (the backend lets go of it).
 */
#include "hvctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitdrv/xenbus.h>
#include <splitdrv/xs.h>

#include "cli.h"

struct sdrv_xs *hvctl_xs_connect(void)
{
	struct sdrv_xs *xs;
	const char *path = getenv("XENSTORED_PATH");
	int err = sdrv_xs_open_socket(NULL, &xs);

	if (err)
		cli_fail("XenStore %s: %s (is it running? set XENSTORED_PATH)",
			 path && *path ? path : SDRV_XS_SOCKET_DEFAULT,
			 strerror(-err));
	return xs;
}

int hvctl_device_detach(int argc, char **argv, const char *type,
			const char *what, uint32_t (*parse_devid)(const char *))
{
	uint32_t frontend, devid;
	unsigned backend = 0;
	struct sdrv_xs *xs;
	int err;

	if (argc != 3 && !(argc == 5 && !strcmp(argv[3], "--backend")))
		cli_usage_error("%s: expected a domain id and a %s [--backend ID]",
				argv[0], what);
	frontend = (uint32_t)cli_number("domain id", argv[1], 1,
					SDRV_DOMID_FIRST_RESERVED - 1);
	devid = parse_devid(argv[2]);
	if (argc == 5)
		backend = (unsigned)cli_number("--backend", argv[4], 0,
					       SDRV_DOMID_FIRST_RESERVED - 1);
	xs = hvctl_xs_connect();
	err = sdrv_xenbus_device_destroy(xs, (sdrv_domid_t)backend,
					 (sdrv_domid_t)frontend, type, devid);
	sdrv_xs_close(xs);
	if (err)
		cli_fail("domain %u: %s %u: %s", frontend, type, devid,
			 strerror(-err));
	printf("domain %u: %s %u detached\n", frontend, type, devid);
	return 0;
}
