/* SPDX-License-Identifier: MIT */
/* bench/xsperf/raw.c - see raw.h. */
#include "raw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const struct raw *r, const char *what)
{
	fprintf(stderr, "xsperf: %s: %s\n", r->name, what);
	exit(1);
}

void raw_open(struct raw *r, const char *name, const char *socket_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(r, 0, sizeof(*r));
	r->name = name;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->fd < 0 || connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)))
		die(r, strerror(errno));
}

void raw_close(struct raw *r)
{
	close(r->fd);
	r->fd = -1;
}

void raw_put(struct raw *r, uint32_t type, uint32_t tx, const char *a,
	     const void *b, size_t blen)
{
	size_t alen = strlen(a) + 1;
	struct sdrv_xs_msg h = { .type = type, .req_id = r->next_id++,
				 .tx_id = tx, .len = (uint32_t)(alen + blen) };

	if (r->out_len + sizeof(h) + h.len > sizeof(r->out))
		raw_flush(r);
	memcpy(r->out + r->out_len, &h, sizeof(h));
	memcpy(r->out + r->out_len + sizeof(h), a, alen);
	if (blen)
		memcpy(r->out + r->out_len + sizeof(h) + alen, b, blen);
	r->out_len += sizeof(h) + h.len;
}

void raw_flush(struct raw *r)
{
	for (size_t at = 0; at < r->out_len;) {
		ssize_t n = write(r->fd, r->out + at, r->out_len - at);

		if (n <= 0)
			die(r, n < 0 ? strerror(errno) : "short write");
		at += (size_t)n;
	}
	r->out_len = 0;
}

/* Make @want bytes available from in_off, reading more as needed. */
static void fill(struct raw *r, size_t want)
{
	if (r->in_off + want > sizeof(r->in)) {
		memmove(r->in, r->in + r->in_off, r->in_len - r->in_off);
		r->in_len -= r->in_off;
		r->in_off = 0;
	}
	while (r->in_len - r->in_off < want) {
		ssize_t n = read(r->fd, r->in + r->in_len,
				 sizeof(r->in) - r->in_len);

		if (n <= 0)
			die(r, n < 0 ? strerror(errno) : "daemon hung up");
		r->in_len += (size_t)n;
	}
}

void raw_next(struct raw *r, struct sdrv_xs_msg *h, const char **payload)
{
	fill(r, sizeof(*h));
	memcpy(h, r->in + r->in_off, sizeof(*h));
	if (h->len > SDRV_XS_PAYLOAD_MAX)
		die(r, "oversized message");
	fill(r, sizeof(*h) + h->len);
	*payload = r->in + r->in_off + sizeof(*h);
	r->in_off += sizeof(*h) + h->len;
	if (r->in_off == r->in_len)
		r->in_off = r->in_len = 0;
}

void raw_expect(struct raw *r, uint32_t type, const char **payload)
{
	struct sdrv_xs_msg h;
	char what[96];

	do
		raw_next(r, &h, payload);
	while (h.type == SDRV_XS_WATCH_EVENT && type != SDRV_XS_WATCH_EVENT);
	if (h.type != type) {
		snprintf(what, sizeof(what), "reply type %u to a request of type %u%s%.*s",
			 h.type, type, h.type == SDRV_XS_ERROR ? ": " : "",
			 h.type == SDRV_XS_ERROR ? (int)h.len : 0, *payload);
		die(r, what);
	}
}
