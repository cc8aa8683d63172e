/* SPDX-License-Identifier: MIT */
/* hv-stub/msg.h - sending and receiving one proto.h message with its fds. */
#ifndef HV_STUB_MSG_H
#define HV_STUB_MSG_H

#include <stddef.h>

#include "proto.h"

/* Send @hdr (its len set from @len) + @payload, passing @fds.
 * Return: 0 or -errno. */
int hvp_send(int sock, struct hvp_hdr *hdr, const void *payload, size_t len,
	     const int *fds, unsigned nfds);

/**
 * hvp_recv() - receive one message into @buf (@cap bytes, at least a
 * header).  Received fds go to @fds (*@nfds in: room; out: count); any
 * beyond the room, or when @fds is NULL, are closed.  The header is checked:
 * magic, length equal to what arrived, nothing truncated.
 * Return: payload length (>= 0); 0 bytes read at all gives -ECONNRESET;
 * a malformed message -EPROTO; else -errno.
 */
long hvp_recv(int sock, void *buf, size_t cap, int *fds, unsigned *nfds,
	      int flags);

/* Close every fd in @fds[0..n). */
void hvp_close_fds(int *fds, unsigned n);

#endif
