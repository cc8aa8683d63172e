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
	/* Bytes a send can take now without waiting for the daemon, or
	 * NULL: as many as a request needs (a socket's buffer). */
	size_t (*room)(struct sdrv_xs *xs);
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

	/* Asynchronous requests (NULL until the first): their slots, the
	 * replies waiting for their callbacks (records of struct
	 * xs_async_reply, then the payload), and the payload handed out. */
	struct xs_async *async;
	struct xs_evq aq;
	char *async_rx; /* SDRV_XS_ASYNC_REPLY_MAX bytes */
	unsigned nr_async; /* slots in use */
};

/* One asynchronous request waiting for its reply. */
struct xs_async {
	uint32_t req_id; /* 0: free */
	uint32_t type;
	uint64_t deadline_ms; /* on t->now_ms(); 0: none */
	sdrv_xs_reply_fn done; /* NULL: forgotten or timed out: drop */
	void *arg;
};

/* A reply queued in aq for its callback. */
struct xs_async_reply {
	uint32_t slot;
	int32_t err; /* 0, or the error to deliver */
	uint32_t len; /* payload bytes that follow */
};

/* The connection breaks: @err is returned for chaining. */
int xs_fail(struct sdrv_xs *xs, int err);

/* Send a request (header and payload) without waiting; its id in
 * *@req_id.  Return: 0, or -errno (the connection broke). */
int xs_send(struct sdrv_xs *xs, uint32_t type, uint32_t tx,
	    const void *payload, size_t len, uint32_t *req_id);

/* Receive and handle one message if one arrives within @timeout_ms
 * (replies to asynchronous requests and watch events are queued).
 * Return: 1, 0 (nothing came), -errno. */
int xs_pump(struct sdrv_xs *xs, int timeout_ms);

/* Byte queues (events, replies): XS_EVQ_SIZE bytes, free-running
 * indices. */
uint32_t xs_evq_used(const struct xs_evq *q);
void xs_evq_put(struct xs_evq *q, const void *src, uint32_t len);
void xs_evq_get(struct xs_evq *q, void *dst, uint32_t len);

/* async.c.  rx holds a reply: if it answers an asynchronous request,
 * queue it for its callback.  Return: 1 taken, 0 not one of ours,
 * -errno (the connection broke). */
int xs_async_take_reply(struct sdrv_xs *xs);
/* Run one callback: a queued reply, a passed deadline, or (the connection
 * broken) a request that will never be answered.  Return: whether one
 * ran.  Only from the client's callback loop. */
bool xs_async_run(struct sdrv_xs *xs);
void xs_async_free(struct sdrv_xs *xs);

/* What is left of the request in flight's time: -1 without a bound, else
 * milliseconds (0: none left).  Transports wait no longer than this. */
int xs_time_left(struct sdrv_xs *xs);

/* Set up the parts every transport shares: @rx for replies, @evq and
 * @cbq (XS_EVQ_SIZE bytes each) for the two event queues. */
void xs_client_init(struct sdrv_xs *xs, const struct xs_transport *t,
		    char *rx, char *evq, char *cbq);

#endif
