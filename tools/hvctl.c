/* SPDX-License-Identifier: MIT */
/*
 * tools/hvctl.c - the toolstack of hv-stub, in the manner of xl:
 *
 *   hvctl [-s SOCKET] create NAME --id N [--mem SIZE] [--privileged]
 *                     [--owner UID] [--max-ports N] [--on-crash destroy|preserve]
 *   hvctl [-s SOCKET] list
 *   hvctl [-s SOCKET] destroy ID
 *   hvctl [-s SOCKET] show ID        grants offered and mapped, event channels
 *
 * Errors are one line naming the object and what is wrong; exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <splitdrv/platform.h>

#include "cli.h"
#include "hvctl.h"
#include "msg.h"

static _Alignas(8) unsigned char buf[HVP_MAX_MSG];
static const char *sock_path;

/* One request; returns the reply status, its payload in buf. */
static int request(uint16_t type, const void *payload, size_t len, size_t *rlen)
{
	struct hvp_hdr rep;
	long n = hvp_request_once(sock_path, type, payload, len, buf, sizeof(buf));

	if (n == -ENOENT || n == -ECONNREFUSED)
		cli_fail("hv-stub at %s: %s (is hv-stub running? set -s or HVSTUB_SOCKET)",
		    sock_path, strerror((int)-n));
	if (n < 0)
		cli_fail("hv-stub at %s: %s", sock_path, strerror((int)-n));
	memcpy(&rep, buf, sizeof(rep));
	if (rlen)
		*rlen = (size_t)n;
	return rep.status;
}

static uint32_t on_crash_arg(const char *v)
{
	uint32_t how = hvp_on_crash_parse(v);

	if (!how)
		cli_usage_error("--on-crash '%s': expected destroy or preserve",
				v);
	return how;
}

static int cmd_create(int argc, char **argv)
{
	struct hvp_create req = { .domid = UINT32_MAX, .owner_uid = getuid() };
	uint64_t mem = 16u << 20;
	const char *name;
	int st;

	if (argc < 2)
		cli_usage_error("create: expected a domain name");
	name = argv[1];
	if (!*name || strlen(name) >= sizeof(req.name))
		cli_usage_error("create: domain name '%s': 1 to %zu characters",
				name, sizeof(req.name) - 1);
	strcpy(req.name, name);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--privileged")) {
			req.privileged = 1;
			continue;
		}
		if (!v)
			cli_usage_error("create %s: option '%s' needs a value",
					name, a);
		if (!strcmp(a, "--id"))
			req.domid = (uint32_t)cli_number("--id", v, 0,
							 HVP_MAX_DOMID);
		else if (!strcmp(a, "--mem"))
			mem = cli_size("--mem", v, HVP_MIN_DOMAIN_BYTES,
				       HVP_MAX_DOMAIN_BYTES, SDRV_PAGE_SIZE);
		else if (!strcmp(a, "--owner"))
			req.owner_uid = (uint32_t)cli_number("--owner", v, 0,
							     UINT32_MAX);
		else if (!strcmp(a, "--max-ports"))
			req.max_ports = (uint32_t)cli_number(
				"--max-ports", v, 2, SDRV_EVTCHN_2L_NR_PORTS);
		else if (!strcmp(a, "--on-crash"))
			req.on_crash = on_crash_arg(v);
		else
			cli_usage_error("create %s: unknown option '%s'", name,
					a);
		i++;
	}
	if (req.domid == UINT32_MAX)
		cli_usage_error("create %s: --id N is required", name);
	req.nr_frames = (uint32_t)(mem / SDRV_PAGE_SIZE);
	st = request(HVP_CREATE, &req, sizeof(req), NULL);
	if (st == -EEXIST)
		cli_fail("domain %u: id already in use", req.domid);
	if (st == -EHOSTDOWN)
		cli_fail("domain %u (%s): XenStore is down (its daemon exited, "
			 "see hv-stub's log); restart hv-stub", req.domid, name);
	if (st == -EINVAL)
		cli_fail("domain %u (%s): invalid (memory 24 KiB to 1 GiB, --max-ports 2 to 4096)",
		    req.domid, name);
	if (st)
		cli_fail("domain %u (%s): %s", req.domid, name, strerror(-st));
	printf("domain %u (%s) created\n", req.domid, name);
	return 0;
}

static int cmd_text(uint16_t type, int argc, char **argv)
{
	struct hvp_domid req;
	size_t len;
	int st;

	if (type == HVP_SHOW) {
		if (argc != 2)
			cli_usage_error("show: expected one domain id");
		req.domid = (uint32_t)cli_number("domain id", argv[1], 0,
						 HVP_MAX_DOMID);
		st = request(type, &req, sizeof(req), &len);
		if (st == -ENOENT)
			cli_fail("domain %u: no such domain", req.domid);
	} else {
		if (argc != 1)
			cli_usage_error("%s: unexpected word '%s'", argv[0],
					argv[1]);
		st = request(type, NULL, 0, &len);
	}
	if (st)
		cli_fail("%s: %s", argv[0], strerror(-st));
	fwrite(buf + sizeof(struct hvp_hdr), 1, len, stdout);
	return 0;
}

static int cmd_destroy(int argc, char **argv)
{
	struct hvp_domid req;
	int st;

	if (argc != 2)
		cli_usage_error("destroy: expected one domain id");
	req.domid = (uint32_t)cli_number("domain id", argv[1], 0,
					 HVP_MAX_DOMID);
	st = request(HVP_DESTROY, &req, sizeof(req), NULL);
	if (st == -ENOENT)
		cli_fail("domain %u: no such domain", req.domid);
	if (st == -EPERM)
		cli_fail("domain %u: domain 0 cannot be destroyed", req.domid);
	if (st == -EBUSY)
		cli_fail("domain %u: XenStore runs in it and other domains "
			 "depend on it; destroy them first", req.domid);
	if (st)
		cli_fail("domain %u: %s", req.domid, strerror(-st));
	printf("domain %u destroyed\n", req.domid);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hvctl [-s SOCKET] create NAME --id N [CREATE OPTION]...\n"
		"  or:  hvctl [-s SOCKET] list\n"
		"  or:  hvctl [-s SOCKET] show ID\n"
		"  or:  hvctl [-s SOCKET] destroy ID\n"
		"  or:  hvctl block-attach ID FILE [--vdev xvdX|N] [--mode r|w]\n"
		"                          [--backend ID]\n"
		"  or:  hvctl block-detach ID VDEV [--backend ID]\n"
		"  or:  hvctl network-attach ID [--devid N] [--mac MAC] [--backend ID]\n"
		"  or:  hvctl network-detach ID DEVID [--backend ID]\n"
		"hv-stub's toolstack, in the manner of xl: create, list, inspect and\n"
		"destroy domains of a running hv-stub.\n"
		"\n"
		"  -s, --socket SOCKET  hv-stub's control socket (default: $HVSTUB_SOCKET\n"
		"                       or %s)\n"
		"  create NAME          a new domain named NAME (1 to %u characters):\n"
		"    --id N             its id, 0 to %u (required)\n"
		"    --mem SIZE         its memory, 24K to 1G in whole 4 KiB pages\n"
		"                       (default 16M)\n"
		"    --privileged       it may map other domains' grants (as dom0)\n"
		"    --owner UID        the user whose processes may become it\n"
		"                       (default: yours)\n"
		"    --max-ports N      event channel ports, 2 to %u (default %u)\n"
		"    --on-crash ACTION  destroy or preserve it when its process dies\n"
		"                       without shutting down (default: hv-stub's)\n"
		"  list                 every domain, one line each\n"
		"  show ID              a domain's grants and event channels\n"
		"  destroy ID           destroy a domain (not 0, nor XenStore's while\n"
		"                       other domains depend on it)\n"
		"  block-attach ID FILE give domain ID a virtual disk backed by FILE (a\n"
		"                       regular file or a block device), served by\n"
		"                       blkback in the backend domain (default 0); the\n"
		"                       device is xvda (51712) unless --vdev says;\n"
		"                       --mode r makes it read-only.  Talks to XenStore\n"
		"                       on $XENSTORED_PATH\n"
		"  block-detach ID VDEV remove that disk (the backend lets go of it)\n"
		"  network-attach ID    give domain ID a network interface (vif 0 unless\n"
		"                       --devid says), served by netback-dpdk in the\n"
		"                       backend domain (default 0); its MAC is\n"
		"                       00:16:3e (Xen's prefix) and the ids unless\n"
		"                       --mac says\n"
		"  network-detach ID DEVID  remove that interface\n"
		"  -h, --help           show this help and exit\n"
		"      --version        show the version and exit\n"
		"\n"
		"Exit status: 0 done, 1 hv-stub refused or is not running, 2 a wrong\n"
		"command line.\n",
		SDRV_HVSTUB_SOCKET_DEFAULT, HVP_NAME_MAX - 1, HVP_MAX_DOMID,
		SDRV_EVTCHN_2L_NR_PORTS, 1024u);
}

int main(int argc, char **argv)
{
	int i = 1;

	cli_init(argv[0]);
	cli_standard_options(argc, argv, usage);
	sock_path = getenv("HVSTUB_SOCKET");
	if (i < argc && (!strcmp(argv[i], "-s") || !strcmp(argv[i], "--socket"))) {
		if (i + 1 >= argc)
			cli_usage_error("option '%s' needs a value", argv[i]);
		sock_path = argv[i + 1];
		i += 2;
	}
	if (!sock_path || !*sock_path)
		sock_path = SDRV_HVSTUB_SOCKET_DEFAULT;
	if (i >= argc)
		cli_usage_error("expected a command: create, list, show, destroy, "
				"block-attach, block-detach, network-attach or "
				"network-detach");
	argc -= i;
	argv += i;
	if (!strcmp(argv[0], "create"))
		return cmd_create(argc, argv);
	if (!strcmp(argv[0], "list"))
		return cmd_text(HVP_LIST, argc, argv);
	if (!strcmp(argv[0], "show"))
		return cmd_text(HVP_SHOW, argc, argv);
	if (!strcmp(argv[0], "destroy"))
		return cmd_destroy(argc, argv);
	if (!strcmp(argv[0], "block-attach"))
		return hvctl_block_attach(argc, argv);
	if (!strcmp(argv[0], "block-detach"))
		return hvctl_block_detach(argc, argv);
	if (!strcmp(argv[0], "network-attach"))
		return hvctl_network_attach(argc, argv);
	if (!strcmp(argv[0], "network-detach"))
		return hvctl_network_detach(argc, argv);
	cli_usage_error("unknown command '%s' (create, list, show, destroy, "
			"block-attach, block-detach, network-attach, "
			"network-detach)",
			argv[0]);
}
