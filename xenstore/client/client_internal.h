/* SPDX-License-Identifier: MIT */
/*
 * The XenStore client's connection object and what a transport provides.
 * client.c is the protocol (freestanding); ring.c and socket.c are the
 * transports.
 */
#ifndef XS_CLIENT_INTERNAL_H
#define XS_CLIENT_INTERNAL_H

#include <splitdrv/xs.h>

struct xs_transport {
	/* Send all @len bytes (blocking).  Return: 0 or -errno. */
	int (*send)(struct sdrv_xs *xs, const void *buf, size_t len);
	/* Receive up to @len bytes, waiting up to @timeout_ms (-1 forever,
	 * 0 not at all).  Return: bytes, 0 on timeout or when woken for
	 * nothing (callers keep their own deadlines), -errno
	 * (-SDRV_ESHUTDOWN when the daemon went away). */
	int (*recv)(struct sdrv_xs *xs, void *buf, size_t len, int timeout_ms);
	int (*fd)(struct sdrv_xs *xs);
	/* Milliseconds on a monotonic clock, for deadlines. */
	uint64_t (*now_ms)(struct sdrv_xs *xs);
	/* Release the transport and the connection's memory. */
	void (*close)(struct sdrv_xs *xs);
	/* Memory for watches (<= one page). */
	void *(*alloc)(struct sdrv_xs *xs);
	void (*free)(struct sdrv_xs *xs, void *mem);
};

/* Watch slots: one page of pointers, allocated with the first watch. */
#define XS_MAX_WATCHES (SDRV_PAGE_SIZE / sizeof(void *))
#define XS_EVQ_SIZE 4096u

/* Watch events in a byte ring: records of a u16 length, then
 * "path\0token\0".  On overflow the queue says so (lost): each watch
 * then gets one event on its own path, which the protocol allows. */
struct xs_evq {
	char *buf; /* XS_EVQ_SIZE bytes */
	uint32_t head, tail;
	bool lost;
};

struct xs_watch {
	sdrv_xs_watch_fn fn; /* NULL: queue */
	void *arg;
	char token[SDRV_XS_TOKEN_MAX];
	char path[SDRV_XS_ABS_PATH_MAX + 1];
};

/*
 * One connection.  The transports put it (and the two buffers) in memory of
 * their kind: malloc for the socket, platform pages for the ring.
 */
struct sdrv_xs {
	const struct xs_transport *t;
	struct sdrv_platform *plat; /* ring */
	struct sdrv_xs_ring_page *page; /* ring */
	sdrv_evtchn_port_t port; /* ring */
	uint32_t req_prod, rsp_cons; /* ring: ours, published to the page */
	int fd; /* socket */

	bool broken;
	uint32_t next_req_id;
	int timeout_ms; /* a request's bound (-1: none) */
	uint64_t deadline_ms; /* the request in flight's, on t->now_ms() */

	/* The message being received. */
	struct sdrv_xs_msg hdr;
	size_t got;
	char *rx; /* SDRV_XS_PAYLOAD_MAX bytes */
	bool reply_ready; /* rx holds the reply to the request in flight */

	/* Events waiting: for callback-less watches (sdrv_xs_next_event())
	 * and for callbacks, which never run inside a request (a callback
	 * may make requests of its own) but after it, in
	 * sdrv_xs_dispatch() or sdrv_xs_next_event(). */
	struct xs_evq evq, cbq;
	unsigned depth; /* requests in flight (0 or 1: callbacks wait) */
	bool in_callbacks; /* run_callbacks() is running */
	char ev_path[SDRV_XS_ABS_PATH_MAX + 1]; /* the event handed out */
	char ev_token[SDRV_XS_TOKEN_MAX];

	struct xs_watch **watches; /* NULL until the first watch */
};

/* What is left of the request in flight's time: -1 without a bound, else
 * milliseconds (0: none left).  Transports wait no longer than this. */
int xs_time_left(struct sdrv_xs *xs);

/* Set up the parts every transport shares: @rx for replies, @evq and
 * @cbq (XS_EVQ_SIZE bytes each) for the two event queues. */
void xs_client_init(struct sdrv_xs *xs, const struct xs_transport *t,
		    char *rx, char *evq, char *cbq);

#endif
