/* SPDX-License-Identifier: MIT */
/*
 * xs-watch: watch a XenStore path, change it, and see the event, as a
 * toolstack or a backend does while it waits for a device to appear.
 * Talks to any XenStore daemon on its Unix socket (sdrv-xenstored, or
 * Xen's own xenstored).
 *
 *   sdrv-xenstored --socket /tmp/xs.sock &
 *   xs-watch /tmp/xs.sock /example/state
 */
#include <stdio.h>
#include <string.h>

#include <splitdrv/xs.h>

int main(int argc, char **argv)
{
	struct sdrv_xs *xs;
	struct sdrv_xs_event ev;
	char value[64];
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: xs-watch XENSTORED_SOCKET PATH\n");
		return 2;
	}
	err = sdrv_xs_open_socket(argv[1], &xs);
	if (err) {
		fprintf(stderr, "xs-watch: %s: %s\n", argv[1],
			sdrv_xs_errname(err));
		return 1;
	}
	/* A new watch fires once at once; a change fires it again. */
	err = sdrv_xs_watch(xs, argv[2], "example", NULL, NULL);
	if (!err && sdrv_xs_next_event(xs, &ev, 5000) != 1)
		err = -1;
	if (!err)
		err = sdrv_xs_write_str(xs, 0, argv[2], "connected");
	if (!err && sdrv_xs_next_event(xs, &ev, 5000) != 1)
		err = -1;
	if (!err)
		err = sdrv_xs_read(xs, 0, argv[2], value, sizeof(value)) < 0;
	if (err) {
		fprintf(stderr, "xs-watch: %s: no event or request failed\n",
			argv[2]);
		sdrv_xs_close(xs);
		return 1;
	}
	printf("watch \"%s\" fired for %s, which now reads \"%s\"\n", ev.token,
	       ev.path, value);
	sdrv_xs_close(xs);
	return 0;
}
