/* SPDX-License-Identifier: MIT */
/*
 * sdrv-xenstored: splitdrv's XenStore daemon.
 *
 *   sdrv-xenstored [--socket PATH] [--hv-stub SOCKET --domid N]
 *                  [--quota NAME=VALUE]... [--state FILE] [-v]
 *
 * --socket      where dom0 tools connect (default $XENSTORED_PATH, else
 *               /run/xenstored/socket)
 * --hv-stub     serve guests: attach to hv-stub as privileged domain N,
 *               whose grants and event channels reach the guests' rings
 * --quota       nodes, node-size, watches, transactions, outstanding,
 *               perms, output-bytes, transaction-bytes
 * --state       restore from FILE if it exists; save to it on SIGTERM or
 *               SIGINT (and on CONTROL save).  A restarted daemon resumes
 *               the nodes, permissions and guests with their watches.
 * --ready-fd N  write "ready\n" to fd N once listening, then close it
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <splitdrv/platform.h>

#include "xsd.h"

static struct xsd *the_daemon;

static void on_signal(int sig)
{
	(void)sig;
	if (the_daemon)
		xsd_stop(the_daemon);
}

static int parse_quota(struct xsd_quota *q, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *end;
	unsigned long long v;

	if (!eq)
		return -1;
	errno = 0;
	v = strtoull(eq + 1, &end, 10);
	if (errno || *end || end == eq + 1 || v > UINT32_MAX)
		return -1;
#define Q(name, field)                                                         \
	if ((size_t)(eq - arg) == strlen(name) &&                              \
	    !strncmp(arg, name, strlen(name))) {                               \
		q->field = (__typeof__(q->field))v;                            \
		return 0;                                                      \
	}
	Q("nodes", nodes)
	Q("node-size", node_size)
	Q("watches", watches)
	Q("transactions", transactions)
	Q("outstanding", outstanding)
	Q("perms", perms)
	Q("output-bytes", output_bytes)
	Q("transaction-bytes", tx_bytes)
#undef Q
	return -1;
}

static void usage(FILE *f)
{
	fputs("usage: sdrv-xenstored [--socket PATH] [--hv-stub SOCKET "
	      "--domid N]\n"
	      "                      [--quota NAME=VALUE]... [--state FILE] "
	      "[--ready-fd N] [-v]\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "hv-stub", required_argument, NULL, 'H' },
		{ "domid", required_argument, NULL, 'd' },
		{ "quota", required_argument, NULL, 'q' },
		{ "state", required_argument, NULL, 'S' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *socket_path = getenv("XENSTORED_PATH");
	const char *hvstub = NULL, *state = NULL;
	long domid = -1;
	int ready_fd = -1;
	struct xsd_config cfg;
	struct sdrv_platform *plat = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	int opt, err, status = 0;

	xsd_config_defaults(&cfg);
	if (!socket_path || !*socket_path)
		socket_path = SDRV_XS_SOCKET_DEFAULT;
	while ((opt = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			socket_path = optarg;
			break;
		case 'H':
			hvstub = optarg;
			break;
		case 'd':
			domid = strtol(optarg, NULL, 10);
			break;
		case 'q':
			if (parse_quota(&cfg.quota, optarg)) {
				fprintf(stderr,
					"sdrv-xenstored: --quota %s: expected "
					"NAME=NUMBER with NAME one of nodes, "
					"node-size, watches, transactions, "
					"outstanding, perms, output-bytes, "
					"transaction-bytes\n",
					optarg);
				return 2;
			}
			break;
		case 'S':
			state = optarg;
			break;
		case 'r':
			ready_fd = atoi(optarg);
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (hvstub && (domid < 0 || domid >= SDRV_DOMID_FIRST_RESERVED)) {
		fprintf(stderr, "sdrv-xenstored: --hv-stub needs --domid N "
				"(the privileged domain to attach as)\n");
		return 2;
	}
	if (hvstub) {
		err = sdrv_hvstub_attach(hvstub, (sdrv_domid_t)domid, &plat);
		if (err) {
			fprintf(stderr,
				"sdrv-xenstored: hv-stub %s: cannot attach as "
				"domain %ld: %s\n",
				hvstub, domid, strerror(-err));
			return 1;
		}
		cfg.platform = plat;
	}
	err = xsd_new(&cfg, &the_daemon);
	if (err) {
		fprintf(stderr, "sdrv-xenstored: cannot start: %s\n",
			strerror(-err));
		sdrv_platform_detach(plat);
		return 1;
	}
	if (state && access(state, F_OK) == 0) {
		err = xsd_restore(the_daemon, state);
		if (err) {
			fprintf(stderr,
				"sdrv-xenstored: state %s: cannot restore: "
				"%s\n",
				state, strerror(-err));
			status = 1;
			goto out;
		}
	}
	err = xsd_listen(the_daemon, socket_path);
	if (err) {
		fprintf(stderr, "sdrv-xenstored: socket %s: %s\n", socket_path,
			strerror(-err));
		status = 1;
		goto out;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ready_fd >= 0) {
		if (write(ready_fd, "ready\n", 6) != 6)
			status = 0;
		close(ready_fd);
	}
	err = xsd_run(the_daemon);
	if (err) {
		fprintf(stderr, "sdrv-xenstored: event loop: %s\n",
			strerror(-err));
		status = 1;
	}
	if (state) {
		err = xsd_save(the_daemon, state);
		if (err) {
			fprintf(stderr, "sdrv-xenstored: state %s: cannot save: %s\n",
				state, strerror(-err));
			status = 1;
		}
	}
out:
	xsd_free(the_daemon);
	sdrv_platform_detach(plat);
	return status;
}
