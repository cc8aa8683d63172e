/* SPDX-License-Identifier: MIT */
/*
 * xs-guest: be domain N for a moment and use XenStore the way a guest
 * kernel does, over the domain's ring page and event channel (not the
 * socket).  For demos and for poking at a running hv-stub by hand.
 *
 *   xs-guest [-s HVSTUB_SOCKET] [-t SECONDS] [--shutdown] ID COMMAND...
 *
 * COMMANDs run in order, stopping at the first that fails:
 *   read PATH | write PATH VALUE | rm PATH | ls PATH | watch PATH COUNT
 * PATH may be relative to the domain's home (/local/domain/ID).  The domain
 * must exist (hvctl create) and hv-stub must run XenStore (--xenstored or
 * --xenstore).  On exit the process lets go of the domain, which lives on
 * for the next one (Xen's model); --shutdown ends it instead, as a guest
 * that powers off.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitdrv/platform.h>
#include <splitdrv/xs.h>

#include "cli.h"
#include "cli_domain.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xs-guest [OPTION]... ID COMMAND...\n"
		"Be domain ID of a running hv-stub for a moment and use XenStore over\n"
		"the domain's ring page and event channel, as a guest kernel does.\n"
		"\n"
		"Commands, run in order until one fails (PATH may be relative to\n"
		"/local/domain/ID):\n"
		"  read PATH            print the value\n"
		"  write PATH VALUE     set it\n"
		"  rm PATH              remove it and what is below\n"
		"  ls PATH              print its children\n"
		"  watch PATH COUNT     print the paths of COUNT changes (1 to 1000000),\n"
		"                       the first being the watch's own first event\n"
		"\n"
		"  -s, --socket PATH    hv-stub's control socket (default: $HVSTUB_SOCKET\n"
		"                       or %s)\n"
		"  -t, --timeout SECS   give up on a XenStore reply, or on a watch's next\n"
		"                       event, after SECS seconds, 1 to 86400 (default 30)\n"
		"      --shutdown       shut the domain down at the end (it is destroyed);\n"
		"                       without it the domain lives on for the next process\n"
		"  -h, --help           show this help and exit\n"
		"      --version        show the version and exit\n"
		"\n"
		"ID is 1 to %u: a domain created with hvctl create, with XenStore set up\n"
		"by hv-stub (--xenstored or --xenstore).  Exit status: 0 every command\n"
		"done, 1 a command or the connection failed, 2 a wrong command line.\n",
		SDRV_HVSTUB_SOCKET_DEFAULT, SDRV_DOMID_FIRST_RESERVED - 1);
}

/* Commands and how many arguments each takes. */
static const struct {
	const char *name;
	int args;
} commands[] = { { "read", 1 }, { "write", 2 }, { "rm", 1 }, { "ls", 1 },
		 { "watch", 2 } };

static bool command_known(const char *word)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(word, commands[i].name))
			return true;
	return false;
}

/* How many words the command at @argv takes, or 0 if it is not one or
 * lacks its words. */
static int command_words(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].args < argc ? commands[i].args + 1 : 0;
	return 0;
}

static int run(struct sdrv_xs *xs, char **argv, int timeout_ms)
{
	static char buf[SDRV_XS_PAYLOAD_MAX + 1];
	const char *cmd = argv[0], *path = argv[1];
	struct sdrv_xs_event ev;
	int n;

	if (!strcmp(cmd, "read")) {
		n = sdrv_xs_read(xs, 0, path, buf, sizeof(buf));
		if (n >= 0)
			printf("%s\n", buf);
	} else if (!strcmp(cmd, "write")) {
		n = sdrv_xs_write_str(xs, 0, path, argv[2]);
	} else if (!strcmp(cmd, "rm")) {
		n = sdrv_xs_rm(xs, 0, path);
	} else if (!strcmp(cmd, "ls")) {
		n = sdrv_xs_directory(xs, 0, path, buf, sizeof(buf));
		for (int i = 0, at = 0; n > 0 && i < n; i++) {
			printf("%s\n", buf + at);
			at += (int)strlen(buf + at) + 1;
		}
	} else {
		uint64_t count = cli_number("watch COUNT", argv[2], 1, 1000000);

		n = sdrv_xs_watch(xs, path, "xs-guest", NULL, NULL);
		for (uint64_t i = 0; n >= 0 && i < count; i++) {
			n = sdrv_xs_next_event(xs, &ev, timeout_ms);
			if (n > 0)
				printf("%s\n", ev.path);
			if (n == 0)
				n = -SDRV_ETIMEDOUT;
		}
		if (n >= 0)
			n = sdrv_xs_unwatch(xs, path, "xs-guest");
	}
	fflush(stdout);
	return n < 0 ? n : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "shutdown", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *hvstub = NULL;
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	bool shutdown = false;
	int timeout_ms = 30000, opt, err = 0, at;
	unsigned long id;

	cli_init(argv[0]);
	opterr = 0;
	/* "+": options end at ID; what follows are commands and their words */
	while ((opt = getopt_long(argc, argv, "+:s:t:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			hvstub = optarg;
			break;
		case 't':
			timeout_ms = (int)cli_number("--timeout", optarg, 1,
						     86400) * 1000;
			break;
		case 'S':
			shutdown = true;
			break;
		default:
			cli_getopt_other(opt, argv, usage);
		}
	}
	if (optind >= argc)
		cli_usage_error("expected a domain ID and commands");
	id = (unsigned long)cli_number("domain ID", argv[optind], 1,
				       SDRV_DOMID_FIRST_RESERVED - 1);
	at = optind + 1;
	if (at >= argc)
		cli_usage_error("domain %lu: expected a command (read, write, rm, ls, watch)",
				id);
	for (int n; at < argc; at += n) {
		n = command_words(argc - at, argv + at);
		if (!n && !command_known(argv[at]))
			cli_usage_error("unknown command '%s' (read, write, rm, ls, watch)",
					argv[at]);
		if (!n)
			cli_usage_error("%s: missing its PATH or VALUE", argv[at]);
		if (!strcmp(argv[at], "watch"))
			cli_number("watch COUNT", argv[at + 2], 1, 1000000);
	}
	p = cli_attach_domain(hvstub, id);
	xs = cli_open_xs_ring(p, id);
	sdrv_xs_set_timeout(xs, timeout_ms);
	for (at = optind + 1; !err && at < argc;
	     at += command_words(argc - at, argv + at)) {
		err = run(xs, argv + at, timeout_ms);
		if (err == -SDRV_ETIMEDOUT)
			cli_error("domain %lu: %s %s: no answer from XenStore within %d s",
				  id, argv[at], argv[at + 1], timeout_ms / 1000);
		else if (err)
			cli_error("domain %lu: %s %s: %s", id, argv[at],
				  argv[at + 1], strerror(-err));
	}
	sdrv_xs_close(xs);
	if (shutdown)
		sdrv_platform_shutdown(p);
	else
		sdrv_platform_detach(p);
	return err ? 1 : 0;
}
