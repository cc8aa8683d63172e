/* SPDX-License-Identifier: MIT */
/*
 * bench/xsperf/raw.h - a bare XenStore wire client for measuring daemons:
 * requests are built into one buffer and sent with one write, replies read
 * in bulk and walked in place.  No threads, no copies beyond the socket's,
 * so the daemon's cost is what a run shows.  Not a general client (that is
 * splitdrv/xs.h): it trusts the daemon under test and exits on surprises.
 */
#ifndef XSPERF_RAW_H
#define XSPERF_RAW_H

#include <stddef.h>
#include <stdint.h>

#include <splitdrv/xs.h>

struct raw {
	int fd;
	const char *name; /* the daemon, for errors */
	uint32_t next_id;
	char out[64 * 1024];
	size_t out_len;
	char in[64 * 1024];
	size_t in_len, in_off;
};

/* Connect to @socket (exits with a message on failure). */
void raw_open(struct raw *r, const char *name, const char *socket);
void raw_close(struct raw *r);

/* Queue a request: @a (with its NUL), then @b (@blen bytes, no NUL added;
 * NULL for none). */
void raw_put(struct raw *r, uint32_t type, uint32_t tx, const char *a,
	     const void *b, size_t blen);
/* Send everything queued. */
void raw_flush(struct raw *r);

/* The next message from the daemon (a reply or a watch event): its header,
 * and its payload in *@payload (valid until the next call). */
void raw_next(struct raw *r, struct sdrv_xs_msg *h, const char **payload);
/* The next reply, which must be of @type (exits on an ERROR reply). */
void raw_expect(struct raw *r, uint32_t type, const char **payload);

#endif
