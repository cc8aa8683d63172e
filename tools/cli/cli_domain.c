/* SPDX-License-Identifier: MIT */
/* tools/cli/cli_domain.c - becoming an hv-stub domain (cli_domain.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_domain.h"

/* The socket sdrv_hvstub_attach() uses for @given, to name it. */
static const char *socket_name(const char *given)
{
	const char *env = getenv("HVSTUB_SOCKET");

	if (given)
		return given;
	return env && *env ? env : SDRV_HVSTUB_SOCKET_DEFAULT;
}

unsigned long cli_domain_operand(int argc, char **argv, int optind_now)
{
	if (argc - optind_now == 0)
		cli_usage_error("expected a domain ID");
	cli_no_operands(argc, argv, optind_now + 1);
	return (unsigned long)cli_number("domain ID", argv[optind_now], 1,
					 SDRV_DOMID_FIRST_RESERVED - 1);
}

struct sdrv_platform *cli_attach_domain(const char *socket, unsigned long id)
{
	struct sdrv_platform *p;
	int err = sdrv_hvstub_attach(socket, (sdrv_domid_t)id, &p);

	if (err == -ECONNREFUSED)
		cli_fail("hv-stub %s: not running (start it, or give -s or HVSTUB_SOCKET)",
			 socket_name(socket));
	if (err == -ENOENT)
		cli_fail("domain %lu: no such domain in hv-stub %s (hvctl create it first)",
			 id, socket_name(socket));
	if (err)
		cli_fail("domain %lu: cannot attach to hv-stub %s: %s", id,
			 socket_name(socket), strerror(-err));
	return p;
}

struct sdrv_xs *cli_open_xs_ring(struct sdrv_platform *p, unsigned long id)
{
	struct sdrv_xs *xs;
	int err = sdrv_xs_open_ring(p, &xs);

	if (err) {
		sdrv_platform_detach(p);
		cli_fail("domain %lu: no XenStore ring (%s): is hv-stub running XenStore?",
			 id, strerror(-err));
	}
	return xs;
}
