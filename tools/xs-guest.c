/* SPDX-License-Identifier: MIT */
/*
 * xs-guest: be domain N for a moment and use XenStore the way a guest
 * kernel does, over the domain's ring page and event channel (not the
 * socket).  For demos and for poking at a running hv-stub by hand.
 *
 *   xs-guest [-s HVSTUB_SOCKET] ID COMMAND...
 *
 * COMMANDs run in order, stopping at the first that fails:
 *   read PATH | write PATH VALUE | rm PATH | ls PATH | watch PATH COUNT
 * PATH may be relative to the domain's home (/local/domain/ID).  The domain
 * must exist (hvctl create) and hv-stub must run XenStore (--xenstored or
 * --xenstore).  The process shuts the domain down as it exits, as a guest
 * that powers off does: give it every command at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <splitdrv/platform.h>
#include <splitdrv/xs.h>

static int usage(void)
{
	fputs("usage: xs-guest [-s HVSTUB_SOCKET] ID COMMAND...\n"
	      "  COMMAND: read PATH | write PATH VALUE | rm PATH | ls PATH |"
	      " watch PATH COUNT\n", stderr);
	return 2;
}

/* Commands and how many arguments each takes. */
static const struct {
	const char *name;
	int args;
} commands[] = { { "read", 1 }, { "write", 2 }, { "rm", 1 }, { "ls", 1 },
		 { "watch", 2 } };

/* How many words the command at @argv takes, or 0 if it is not one. */
static int command_words(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].args < argc ? commands[i].args + 1 : 0;
	return 0;
}

static int run(struct sdrv_xs *xs, char **argv)
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
		long count = strtol(argv[2], NULL, 10);

		n = sdrv_xs_watch(xs, path, "xs-guest", NULL, NULL);
		for (long i = 0; n >= 0 && i < count; i++) {
			n = sdrv_xs_next_event(xs, &ev, -1);
			if (n > 0)
				printf("%s\n", ev.path);
		}
		if (n >= 0)
			n = sdrv_xs_unwatch(xs, path, "xs-guest");
	}
	fflush(stdout);
	return n < 0 ? n : 0;
}

int main(int argc, char **argv)
{
	const char *hvstub = NULL;
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	char *end;
	long id;
	int err;

	if (argc > 2 && !strcmp(argv[1], "-s")) {
		hvstub = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 4)
		return usage();
	id = strtol(argv[1], &end, 10);
	if (*end || id <= 0 || id >= SDRV_DOMID_FIRST_RESERVED)
		return usage();
	for (int at = 2, n; at < argc; at += n)
		if (!(n = command_words(argc - at, argv + at)))
			return usage();
	err = sdrv_hvstub_attach(hvstub, (sdrv_domid_t)id, &p);
	if (err) {
		fprintf(stderr, "xs-guest: domain %ld: cannot attach to hv-stub: %s\n",
			id, strerror(-err));
		return 1;
	}
	err = sdrv_xs_open_ring(p, &xs);
	if (err) {
		fprintf(stderr, "xs-guest: domain %ld: no XenStore ring (%s): is hv-stub running XenStore?\n",
			id, strerror(-err));
		sdrv_platform_detach(p);
		return 1;
	}
	for (int at = 2; !err && at < argc; at += command_words(argc - at, argv + at)) {
		err = run(xs, argv + at);
		if (err)
			fprintf(stderr, "xs-guest: domain %ld: %s %s: %s\n", id,
				argv[at], argv[at + 1], strerror(-err));
	}
	sdrv_xs_close(xs);
	sdrv_platform_detach(p);
	return err ? 1 : 0;
}
