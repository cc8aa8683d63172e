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
 * a message that is no message (short, or the wrong magic) -EPROTO; a
 * well-framed one that did not fit @cap -EMSGSIZE, or whose header lies
 * about its length -EBADMSG (the header, with its type and seq, is then in
 * @buf: the sender can be answered, the packet boundaries are intact);
 * else -errno.
 */
long hvp_recv(int sock, void *buf, size_t cap, int *fds, unsigned *nfds,
	      int flags);

/* A blocking connection to hv-stub's socket at @path, or -errno. */
int hvp_connect(const char *path);

/**
 * hvp_request_once() - one request (@type, @payload) on a fresh connection
 * to @path, for toolstack requests that need no attached domain.  The reply,
 * header first, lands in @buf (@cap bytes).
 * Return: the reply's payload length, or -errno if the exchange failed.
 */
long hvp_request_once(const char *path, uint16_t type, const void *payload,
		      size_t len, void *buf, size_t cap);

/* Close every fd in @fds[0..n). */
void hvp_close_fds(int *fds, unsigned n);

/* "destroy" or "preserve" (--on-crash) as HVP_ON_CRASH_*, or 0 when @word
 * is neither. */
uint32_t hvp_on_crash_parse(const char *word);

#endif
