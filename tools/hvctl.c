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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <splitdrv/platform.h>

#include "msg.h"

static _Alignas(8) unsigned char buf[HVP_MAX_MSG];
static const char *sock_path;

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("hvctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* One request; returns the reply status, its payload in buf. */
static int request(uint16_t type, const void *payload, size_t len, size_t *rlen)
{
	struct hvp_hdr rep;
	long n = hvp_request_once(sock_path, type, payload, len, buf, sizeof(buf));

	if (n == -ENOENT || n == -ECONNREFUSED)
		die("hv-stub at %s: %s (is hv-stub running? set -s or HVSTUB_SOCKET)",
		    sock_path, strerror((int)-n));
	if (n < 0)
		die("hv-stub at %s: %s", sock_path, strerror((int)-n));
	memcpy(&rep, buf, sizeof(rep));
	if (rlen)
		*rlen = (size_t)n;
	return rep.status;
}

static unsigned long number(const char *what, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max)
		die("%s '%s': not a number from 0 to %lu", what, s, max);
	return v;
}

static uint64_t size_arg(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	int shift = 0;

	switch (*end) {
	case 'G': case 'g': shift = 30; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'K': case 'k': shift = 10; end++; break;
	default: break;
	}
	if (end == s || *end || v == 0 || v > (1ull << (40 - shift)))
		die("--mem '%s': not a size such as 16M", s);
	return v << shift;
}

static int cmd_create(int argc, char **argv)
{
	struct hvp_create req = { .domid = UINT32_MAX, .owner_uid = getuid() };
	uint64_t mem = 16u << 20;
	const char *name;
	int st;

	if (argc < 2)
		die("create: expected a domain name");
	name = argv[1];
	if (!*name || strlen(name) >= sizeof(req.name))
		die("create: domain name '%s': 1 to %zu characters", name,
		    sizeof(req.name) - 1);
	strcpy(req.name, name);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--privileged")) {
			req.privileged = 1;
			continue;
		}
		if (!v)
			die("create %s: option %s needs a value", name, a);
		if (!strcmp(a, "--id"))
			req.domid = (uint32_t)number("--id", v, 63);
		else if (!strcmp(a, "--mem"))
			mem = size_arg(v);
		else if (!strcmp(a, "--owner"))
			req.owner_uid = (uint32_t)number("--owner", v, UINT32_MAX);
		else if (!strcmp(a, "--max-ports"))
			req.max_ports = (uint32_t)number("--max-ports", v,
							 SDRV_EVTCHN_2L_NR_PORTS);
		else if (!strcmp(a, "--on-crash"))
			req.on_crash = !strcmp(v, "destroy")	 ? HVP_ON_CRASH_DESTROY
				       : !strcmp(v, "preserve") ? HVP_ON_CRASH_PRESERVE
								 : (die("create %s: --on-crash '%s': expected destroy or preserve",
									name, v), 0);
		else
			die("create %s: unknown option %s", name, a);
		i++;
	}
	if (req.domid == UINT32_MAX)
		die("create %s: --id N is required", name);
	if (mem % SDRV_PAGE_SIZE)
		die("create %s: --mem must be whole 4 KiB pages", name);
	req.nr_frames = (uint32_t)(mem / SDRV_PAGE_SIZE);
	st = request(HVP_CREATE, &req, sizeof(req), NULL);
	if (st == -EEXIST)
		die("domain %u: id already in use", req.domid);
	if (st == -EINVAL)
		die("domain %u (%s): invalid (memory 24 KiB to 1 GiB, --max-ports 2 to 4096)",
		    req.domid, name);
	if (st)
		die("domain %u (%s): %s", req.domid, name, strerror(-st));
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
			die("show: expected one domain id");
		req.domid = (uint32_t)number("domain id", argv[1], 63);
		st = request(type, &req, sizeof(req), &len);
		if (st == -ENOENT)
			die("domain %u: no such domain", req.domid);
	} else {
		st = request(type, NULL, 0, &len);
	}
	if (st)
		die("%s: %s", argv[0], strerror(-st));
	fwrite(buf + sizeof(struct hvp_hdr), 1, len, stdout);
	return 0;
}

static int cmd_destroy(int argc, char **argv)
{
	struct hvp_domid req;
	int st;

	if (argc != 2)
		die("destroy: expected one domain id");
	req.domid = (uint32_t)number("domain id", argv[1], 63);
	st = request(HVP_DESTROY, &req, sizeof(req), NULL);
	if (st == -ENOENT)
		die("domain %u: no such domain", req.domid);
	if (st == -EPERM)
		die("domain %u: domain 0 cannot be destroyed", req.domid);
	if (st)
		die("domain %u: %s", req.domid, strerror(-st));
	printf("domain %u destroyed\n", req.domid);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;

	sock_path = getenv("HVSTUB_SOCKET");
	if (argc > 2 && !strcmp(argv[1], "-s")) {
		sock_path = argv[2];
		i = 3;
	}
	if (!sock_path || !*sock_path)
		sock_path = SDRV_HVSTUB_SOCKET_DEFAULT;
	if (i >= argc) {
		fprintf(stderr, "usage: hvctl [-s SOCKET] create NAME --id N [--mem SIZE] [--privileged]\n"
				"                [--owner UID] [--max-ports N] [--on-crash destroy|preserve]\n"
				"       hvctl [-s SOCKET] list | destroy ID | show ID\n");
		return 1;
	}
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
	die("unknown command '%s' (create, list, destroy, show)", argv[0]);
}
