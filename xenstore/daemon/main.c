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

#include "cli.h"
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
	Q("memory", memory)
	Q("transaction-nodes", tx_nodes)
	Q("path-length", path_max)
	Q("write-rate", write_rate)
	Q("write-burst", write_burst)
	Q("watches", watches)
	Q("transactions", transactions)
	Q("outstanding", outstanding)
	Q("perms", perms)
	Q("output-bytes", output_bytes)
	Q("transaction-bytes", tx_bytes)
#undef Q
	return -1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sdrv-xenstored [OPTION]...\n"
		"splitdrv's XenStore daemon: dom0 tools (xenstore-*, libxenstore) connect\n"
		"to its Unix socket; guests of hv-stub talk to it over their ring pages.\n"
		"\n"
		"  --socket PATH       where dom0 tools connect (default: $XENSTORED_PATH\n"
		"                      or %s); refused if a live\n"
		"                      daemon serves it\n"
		"  --hv-stub SOCKET    serve guests: attach to the hv-stub at SOCKET as\n"
		"                      privileged domain N (needs --domid)\n"
		"  --domid N           the domain to attach as, 1 to %u\n"
		"  --quota NAME=VALUE  a limit, repeatable; each 0 to 4294967295.\n"
		"                      Per unprivileged domain (dom0 is exempt):\n"
		"                        nodes (1000), node-size (2048 bytes),\n"
		"                        memory (2621440 bytes: nodes, watches and\n"
		"                        transactions), watches (128), transactions\n"
		"                        (10), perms (5), write-rate (500 writes/s\n"
		"                        after a write-burst of 100)\n"
		"                      Per connection: outstanding (20 replies),\n"
		"                        output-bytes (262144), transaction-nodes\n"
		"                        (1024), transaction-bytes (4194304)\n"
		"                      Every path: path-length (2048 bytes past\n"
		"                        /local/domain/<id>/, or in all)\n"
		"  --state FILE        restore from FILE if it exists; save to it on\n"
		"                      SIGTERM or SIGINT\n"
		"  --ready-fd N        write \"ready\\n\" to fd N once listening\n"
		"  -v, --verbose       log every connection and error\n"
		"  -h, --help          show this help and exit\n"
		"      --version       show the version and exit\n",
		SDRV_XS_SOCKET_DEFAULT, SDRV_DOMID_FIRST_RESERVED - 1);
}

/* Why a socket cannot be served, in words a user can act on. */
static void socket_error(const char *path, int err)
{
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path) : 1;

	if (err == -EADDRINUSE)
		cli_error("socket %s: another XenStore daemon is serving it", path);
	else if (err == -ENOENT)
		cli_error("socket %s: directory %.*s does not exist", path,
			  dir_len, slash ? path : ".");
	else
		cli_error("socket %s: %s", path, strerror(-err));
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
		{ "version", no_argument, NULL, 'V' },
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

	cli_init(argv[0]);
	cli_raise_fd_limit();
	xsd_config_defaults(&cfg);
	if (!socket_path || !*socket_path)
		socket_path = SDRV_XS_SOCKET_DEFAULT;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			socket_path = optarg;
			break;
		case 'H':
			hvstub = optarg;
			break;
		case 'd':
			domid = (long)cli_number("--domid", optarg, 1,
						 SDRV_DOMID_FIRST_RESERVED - 1);
			break;
		case 'q':
			if (parse_quota(&cfg.quota, optarg))
				cli_usage_error("--quota %s: expected NAME=NUMBER "
						"with NAME one of nodes, node-size, "
						"memory, watches, transactions, "
						"transaction-nodes, path-length, "
						"outstanding, perms, write-rate, "
						"write-burst, output-bytes, "
						"transaction-bytes",
						optarg);
			break;
		case 'S':
			state = optarg;
			break;
		case 'r':
			ready_fd = (int)cli_number("--ready-fd", optarg, 0,
						   INT32_MAX);
			break;
		case 'v':
			cfg.verbose = true;
			break;
		default:
			cli_getopt_other(opt, argv, usage);
		}
	}
	cli_no_operands(argc, argv, optind);
	if (hvstub && domid < 0)
		cli_usage_error("--hv-stub needs --domid N (the privileged "
				"domain to attach as)");
	if (!hvstub && domid >= 0)
		cli_usage_error("--domid %ld needs --hv-stub SOCKET", domid);
	if (hvstub) {
		err = sdrv_hvstub_attach(hvstub, (sdrv_domid_t)domid, &plat);
		if (err) {
			cli_error("hv-stub %s: cannot attach as domain %ld: %s",
				  hvstub, domid, strerror(-err));
			return 1;
		}
		cfg.platform = plat;
	}
	err = xsd_new(&cfg, &the_daemon);
	if (err) {
		cli_error("cannot start: %s", strerror(-err));
		sdrv_platform_detach(plat);
		return 1;
	}
	if (state && access(state, F_OK) == 0) {
		err = xsd_restore(the_daemon, state);
		if (err) {
			cli_error("state %s: cannot restore: %s", state,
				  strerror(-err));
			status = 1;
			goto out;
		}
	}
	err = xsd_listen(the_daemon, socket_path);
	if (err) {
		socket_error(socket_path, err);
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
		cli_error("event loop: %s", strerror(-err));
		status = 1;
	}
	if (state) {
		err = xsd_save(the_daemon, state);
		if (err) {
			cli_error("state %s: cannot save: %s", state,
				  strerror(-err));
			status = 1;
		}
	}
out:
	xsd_free(the_daemon);
	sdrv_platform_detach(plat);
	return status;
}
