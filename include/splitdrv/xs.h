/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/xs.h - XenStore: the wire format and the client.
 *
 * XenStore is a tree of /-separated paths holding small values, with
 * per-node permissions, watches and transactions.  Frontends and backends
 * find each other and negotiate there (see xenbus.h).
 *
 * Wire (Xen's io/xs_wire.h, proven equal in tests/xenstore/test-abi-xs.c):
 * every message in either direction is a struct sdrv_xs_msg header and
 * @len <= SDRV_XS_PAYLOAD_MAX bytes of payload, mostly NUL-terminated
 * strings.  A reply has the request's type, req_id and tx_id, or type
 * SDRV_XS_ERROR with the errno's *name* ("ENOENT") as payload.  Watch events
 * arrive unsolicited as SDRV_XS_WATCH_EVENT "<path>\0<token>\0".
 *
 * Transports: a Unix stream socket (dom0 tools; $XENSTORED_PATH or
 * /run/xenstored/socket), or, for a guest, one shared page
 * (struct sdrv_xs_ring_page: two 1 KiB byte rings) plus an event channel.
 *
 * The client (struct sdrv_xs) is one connection used by one thread at a
 * time.  It sends one request and waits for its reply; watch events that
 * arrive meanwhile are queued (bounded: on overflow each watch gets one
 * event on its own path, which the protocol allows as a spurious event).
 * The ring transport and everything here except sdrv_xs_open_socket() are
 * freestanding: they use only the platform (platform.h).
 *
 * Errors: 0 or a count on success, -SDRV_E* on failure; the daemon's error
 * names map to the same numbers (-SDRV_ENOENT for "ENOENT").  -SDRV_EPROTO:
 * the daemon sent something malformed; the connection is then broken and
 * every later call returns -SDRV_ESHUTDOWN.
 */
#ifndef SPLITDRV_XS_H
#define SPLITDRV_XS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitdrv/common.h>
#include <splitdrv/errno.h>
#include <splitdrv/evtchn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- wire ---------------------------------------------------------------- */

enum sdrv_xs_type {
	SDRV_XS_CONTROL = 0,
	SDRV_XS_DIRECTORY = 1,
	SDRV_XS_READ = 2,
	SDRV_XS_GET_PERMS = 3,
	SDRV_XS_WATCH = 4,
	SDRV_XS_UNWATCH = 5,
	SDRV_XS_TRANSACTION_START = 6,
	SDRV_XS_TRANSACTION_END = 7,
	SDRV_XS_INTRODUCE = 8,
	SDRV_XS_RELEASE = 9,
	SDRV_XS_GET_DOMAIN_PATH = 10,
	SDRV_XS_WRITE = 11,
	SDRV_XS_MKDIR = 12,
	SDRV_XS_RM = 13,
	SDRV_XS_SET_PERMS = 14,
	SDRV_XS_WATCH_EVENT = 15,
	SDRV_XS_ERROR = 16,
	SDRV_XS_IS_DOMAIN_INTRODUCED = 17,
	SDRV_XS_RESUME = 18,
	SDRV_XS_SET_TARGET = 19,
	/* 20 was XS_RESTRICT, removed from Xen. */
	SDRV_XS_RESET_WATCHES = 21,
	SDRV_XS_DIRECTORY_PART = 22,
	SDRV_XS_TYPE_COUNT = 23,
	SDRV_XS_INVALID = 0xffff,
};

struct sdrv_xs_msg {
	uint32_t type; /* enum sdrv_xs_type */
	uint32_t req_id; /* echoed in the reply */
	uint32_t tx_id; /* transaction, 0 for none */
	uint32_t len; /* payload bytes that follow */
};
SDRV_STATIC_ASSERT(sizeof(struct sdrv_xs_msg) == 16, "xsd_sockmsg");

#define SDRV_XS_PAYLOAD_MAX 4096u
#define SDRV_XS_ABS_PATH_MAX 3072u
#define SDRV_XS_REL_PATH_MAX 2048u

/* The guest's ring page. */
#define SDRV_XS_RING_SIZE 1024u
#define SDRV_XS_RING_MASK(idx) ((idx) & (SDRV_XS_RING_SIZE - 1))
struct sdrv_xs_ring_page {
	char req[SDRV_XS_RING_SIZE]; /* guest -> daemon */
	char rsp[SDRV_XS_RING_SIZE]; /* daemon -> guest: replies, events */
	uint32_t req_cons, req_prod;
	uint32_t rsp_cons, rsp_prod;
	uint32_t server_features; /* SDRV_XS_SERVER_FEATURE_* */
	uint32_t connection; /* SDRV_XS_CONNECTED or _RECONNECT */
	uint32_t error; /* SDRV_XS_ERROR_*: why the daemon gave up on us */
};
SDRV_STATIC_ASSERT(sizeof(struct sdrv_xs_ring_page) == 2076, "ring page");

#define SDRV_XS_SERVER_FEATURE_RECONNECTION 1u
#define SDRV_XS_SERVER_FEATURE_ERROR 2u
#define SDRV_XS_CONNECTED 0u
#define SDRV_XS_RECONNECT 1u
#define SDRV_XS_ERROR_NONE 0u
#define SDRV_XS_ERROR_COMM 1u
#define SDRV_XS_ERROR_RINGIDX 2u
#define SDRV_XS_ERROR_PROTO 3u

/* The grant reference a domain's ring page is offered to the daemon under
 * (Xen's GNTTAB_RESERVED_XENSTORE). */
#define SDRV_XS_RESERVED_GREF 1u

/* WRITE's flag words, kept for old clients. */
#define SDRV_XS_WATCH_PATH 0u
#define SDRV_XS_WATCH_TOKEN 1u

/*
 * The error names of the wire, in Xen's table order.  sdrv_xs_errno()
 * maps a name to -SDRV_E*, sdrv_xs_errname() the other way; either falls back
 * to EINVAL for what the wire cannot name, as Xen's two sides do.
 */
SDRV_PUBLIC int sdrv_xs_errno(const char *name, size_t len);
SDRV_PUBLIC const char *sdrv_xs_errname(int negative_errno);

/* ---- permissions --------------------------------------------------------- */

/* One entry of a node's permission list.  The first entry names the owner
 * (who may do anything) and what everyone not listed may do. */
enum sdrv_xs_perm_bits {
	SDRV_XS_PERM_NONE = 0,
	SDRV_XS_PERM_READ = 1,
	SDRV_XS_PERM_WRITE = 2,
	SDRV_XS_PERM_BOTH = 3,
};
struct sdrv_xs_perm {
	uint16_t domid;
	uint8_t perm; /* enum sdrv_xs_perm_bits */
};

/**
 * sdrv_xs_perm_parse() - parse one "<n|r|w|b><domid>" string of @len bytes.
 * Return: 0, or -SDRV_EINVAL for a bad letter or domid.
 */
SDRV_PUBLIC int sdrv_xs_perm_parse(const char *s, size_t len,
				   struct sdrv_xs_perm *out);
/* Write @p as "b12" plus NUL into @buf (>= 8 bytes).  Return: length. */
SDRV_PUBLIC size_t sdrv_xs_perm_format(struct sdrv_xs_perm p, char *buf);

/* ---- the client ---------------------------------------------------------- */

struct sdrv_xs;
struct sdrv_platform;

/* A watch event as the daemon sent it. */
struct sdrv_xs_event {
	const char *path; /* NUL-terminated; valid until the next call */
	const char *token;
};
typedef void (*sdrv_xs_watch_fn)(void *arg, const char *path,
				 const char *token);

/**
 * sdrv_xs_open_socket() - connect to a daemon's Unix socket (hosted only).
 * @path: NULL for $XENSTORED_PATH, else /run/xenstored/socket.
 * Return: 0 and *@out, or -errno of connect (-ENOENT, -ECONNREFUSED ...).
 */
#define SDRV_XS_SOCKET_DEFAULT "/run/xenstored/socket"
SDRV_PUBLIC int sdrv_xs_open_socket(const char *path, struct sdrv_xs **out);

/**
 * sdrv_xs_open_ring() - talk to the daemon over this domain's ring page and
 * event channel (as hv-stub set them up; see sdrv_platform_xenstore()).
 * Freestanding: memory comes from sdrv_page_alloc().
 * Return: 0 and *@out; -SDRV_ENOENT (no XenStore for this domain),
 * -SDRV_ENOMEM.
 */
SDRV_PUBLIC int sdrv_xs_open_ring(struct sdrv_platform *p,
				  struct sdrv_xs **out);

/* Close the connection; the daemon drops its watches and transactions.
 * Accepts NULL. */
SDRV_PUBLIC void sdrv_xs_close(struct sdrv_xs *xs);

/**
 * sdrv_xs_set_timeout() - how long a request may wait for its reply (and
 * for room to send), in milliseconds; -1: as long as it takes.  Default
 * SDRV_XS_TIMEOUT_DEFAULT_MS.  A request that runs out of time returns
 * -SDRV_ETIMEDOUT and breaks the connection: a reply still on its way
 * would be taken for the next request's.  Watch waits
 * (sdrv_xs_next_event()) take their own timeout.
 */
#define SDRV_XS_TIMEOUT_DEFAULT_MS 30000
SDRV_PUBLIC void sdrv_xs_set_timeout(struct sdrv_xs *xs, int timeout_ms);

/* A descriptor that becomes readable when something arrives (the socket or
 * the event channel's fd); then call sdrv_xs_dispatch().  -SDRV_ENOSYS
 * where the environment has no descriptors. */
SDRV_PUBLIC int sdrv_xs_fd(struct sdrv_xs *xs);

/* Whether the connection is broken (peer misbehaved or went away). */
SDRV_PUBLIC bool sdrv_xs_broken(const struct sdrv_xs *xs);

/*
 * Requests.  @tx is 0 or a transaction from sdrv_xs_transaction_start().
 * Paths may be relative (to /local/domain/<our id>) on the ring transport.
 */

/* Read @path's value into @buf (NUL-terminated when it fits).
 * Return: the value's length (may exceed @len: truncated), -SDRV_ENOENT,
 * -SDRV_EACCES, ... */
SDRV_PUBLIC int sdrv_xs_read(struct sdrv_xs *xs, uint32_t tx, const char *path,
			     char *buf, size_t len);
/* Write @len bytes of @value at @path, creating missing parents. */
SDRV_PUBLIC int sdrv_xs_write(struct sdrv_xs *xs, uint32_t tx,
			      const char *path, const void *value, size_t len);
/* The same with a NUL-terminated string. */
SDRV_PUBLIC int sdrv_xs_write_str(struct sdrv_xs *xs, uint32_t tx,
				  const char *path, const char *value);
SDRV_PUBLIC int sdrv_xs_mkdir(struct sdrv_xs *xs, uint32_t tx,
			      const char *path);
/* Remove @path and everything below it.  Missing @path is not an error;
 * a missing parent is (-SDRV_ENOENT). */
SDRV_PUBLIC int sdrv_xs_rm(struct sdrv_xs *xs, uint32_t tx, const char *path);
/* The children of @path as consecutive NUL-terminated names in @buf.
 * Uses DIRECTORY_PART when the list exceeds one message.
 * Return: the number of children, -SDRV_ERANGE if @buf is too small,
 * -SDRV_EAGAIN if the list kept changing between its parts. */
SDRV_PUBLIC int sdrv_xs_directory(struct sdrv_xs *xs, uint32_t tx,
				  const char *path, char *buf, size_t len);
/* Return: the number of entries (may exceed @max: truncated). */
SDRV_PUBLIC int sdrv_xs_get_perms(struct sdrv_xs *xs, uint32_t tx,
				  const char *path, struct sdrv_xs_perm *perms,
				  unsigned max);
SDRV_PUBLIC int sdrv_xs_set_perms(struct sdrv_xs *xs, uint32_t tx,
				  const char *path,
				  const struct sdrv_xs_perm *perms,
				  unsigned nr_perms);

/* Unsigned decimal values, as XenBus keys hold them. */
SDRV_PUBLIC int sdrv_xs_read_uint(struct sdrv_xs *xs, uint32_t tx,
				  const char *path, uint64_t *value);
SDRV_PUBLIC int sdrv_xs_write_uint(struct sdrv_xs *xs, uint32_t tx,
				   const char *path, uint64_t value);

/*
 * Watches.  The daemon fires each watch once on registration.  Events of
 * a watch with a callback @fn are queued as they are read and @fn runs
 * after the call that read them returns to its caller's level: at the end
 * of a request, in sdrv_xs_dispatch() and in sdrv_xs_next_event(), never
 * while a request waits for its reply.  So @fn may call the client
 * (requests of its own included).  Events of a watch without @fn are
 * queued for sdrv_xs_next_event().  @token must be unique per connection
 * (the daemon refuses a duplicate path+token with -SDRV_EEXIST).
 */
#define SDRV_XS_TOKEN_MAX 64 /* bytes of a token, NUL included */
SDRV_PUBLIC int sdrv_xs_watch(struct sdrv_xs *xs, const char *path,
			      const char *token, sdrv_xs_watch_fn fn,
			      void *arg);
SDRV_PUBLIC int sdrv_xs_unwatch(struct sdrv_xs *xs, const char *path,
				const char *token);
/* Read whatever has arrived without blocking; run callbacks.
 * Return: events handled (called back or queued), or -errno. */
SDRV_PUBLIC int sdrv_xs_dispatch(struct sdrv_xs *xs);
/* Take one queued event of a callback-less watch, waiting up to
 * @timeout_ms (0: don't wait, -1: forever).
 * Return: 1 and *@ev, 0 on timeout, -errno. */
SDRV_PUBLIC int sdrv_xs_next_event(struct sdrv_xs *xs,
				   struct sdrv_xs_event *ev, int timeout_ms);

/*
 * Asynchronous requests, for an event loop that must never wait for the
 * daemon (a backend serving many devices).  sdrv_xs_request_async() sends
 * the request and returns; its reply is handed to @done from the loop's
 * sdrv_xs_dispatch() (or after whichever call reads it, like a watch
 * callback: never while a request waits for its reply), so @done may make
 * requests of its own.  @payload (its @len bytes) is valid only during the
 * call.  @err is 0 with the reply, or -errno: the daemon's ERROR,
 * -SDRV_ETIMEDOUT when @timeout_ms passed first (-1: no deadline; the
 * late reply is dropped), -SDRV_E2BIG for a reply longer than
 * SDRV_XS_ASYNC_REPLY_MAX (use the blocking call), -SDRV_ESHUTDOWN when the
 * connection broke.  Each request's @done runs exactly once, unless
 * sdrv_xs_async_forget() forgot it first.
 *
 * Up to SDRV_XS_ASYNC_MAX requests wait at a time (-SDRV_EBUSY beyond).
 * The loop polls sdrv_xs_fd() with sdrv_xs_timeout_ms() as its timeout and
 * calls sdrv_xs_dispatch() when either ends: that is what runs deadlines.
 */
#define SDRV_XS_ASYNC_MAX 64
#define SDRV_XS_ASYNC_REPLY_MAX 2048
typedef void (*sdrv_xs_reply_fn)(void *arg, int err, const char *payload,
				 size_t len);
SDRV_PUBLIC int sdrv_xs_request_async(struct sdrv_xs *xs, uint32_t type,
				      uint32_t tx, const void *payload,
				      size_t len, int timeout_ms,
				      sdrv_xs_reply_fn done, void *arg);
/* READ of @path: the value in @payload (not NUL-terminated). */
SDRV_PUBLIC int sdrv_xs_read_async(struct sdrv_xs *xs, uint32_t tx,
				   const char *path, int timeout_ms,
				   sdrv_xs_reply_fn done, void *arg);
/* WRITE of @value (a string) at @path. */
SDRV_PUBLIC int sdrv_xs_write_async(struct sdrv_xs *xs, uint32_t tx,
				    const char *path, const char *value,
				    int timeout_ms, sdrv_xs_reply_fn done,
				    void *arg);
/* Forget every waiting request whose callback argument is @arg (an object
 * going away): their replies are dropped, @done is not called.
 * Return: how many. */
SDRV_PUBLIC unsigned sdrv_xs_async_forget(struct sdrv_xs *xs, const void *arg);
/* Milliseconds until the earliest deadline of a waiting request (0: one
 * has passed, call sdrv_xs_dispatch()), or -1 when none has one. */
SDRV_PUBLIC int sdrv_xs_timeout_ms(struct sdrv_xs *xs);
/* Requests sent and not yet answered (forgotten ones included). */
SDRV_PUBLIC unsigned sdrv_xs_async_pending(const struct sdrv_xs *xs);

/* Transactions.  Every request in one sees a consistent snapshot; _end
 * commits (or with @abort discards) and returns -SDRV_EAGAIN when another
 * change conflicted: the caller retries from the start. */
SDRV_PUBLIC int sdrv_xs_transaction_start(struct sdrv_xs *xs, uint32_t *tx);
SDRV_PUBLIC int sdrv_xs_transaction_end(struct sdrv_xs *xs, uint32_t tx,
					bool abort);
/**
 * sdrv_xs_transaction_run() - run @body in a transaction and commit,
 * retrying from the start on -SDRV_EAGAIN, up to @max_tries times.  A
 * negative return of @body aborts the transaction and is returned.
 * Return: @body's non-negative result, -SDRV_EAGAIN after @max_tries, or
 * -errno.
 */
typedef int (*sdrv_xs_tx_fn)(struct sdrv_xs *xs, uint32_t tx, void *arg);
SDRV_PUBLIC int sdrv_xs_transaction_run(struct sdrv_xs *xs, sdrv_xs_tx_fn body,
					void *arg, unsigned max_tries);

/* Toolstack requests (privileged connections only; else -SDRV_EACCES). */
SDRV_PUBLIC int sdrv_xs_introduce(struct sdrv_xs *xs, sdrv_domid_t domid,
				  uint64_t frame, sdrv_evtchn_port_t port);
SDRV_PUBLIC int sdrv_xs_release(struct sdrv_xs *xs, sdrv_domid_t domid);
/* Return: 1 introduced, 0 not, -errno. */
SDRV_PUBLIC int sdrv_xs_is_domain_introduced(struct sdrv_xs *xs,
					     sdrv_domid_t domid);
SDRV_PUBLIC int sdrv_xs_get_domain_path(struct sdrv_xs *xs,
					sdrv_domid_t domid, char *buf,
					size_t len);
SDRV_PUBLIC int sdrv_xs_reset_watches(struct sdrv_xs *xs);
/* CONTROL: @argv (@argc strings) sent NUL-separated; the reply's payload
 * goes into @buf.  Return: the reply's length or -errno. */
SDRV_PUBLIC int sdrv_xs_control(struct sdrv_xs *xs, const char *const *argv,
				unsigned argc, char *buf, size_t len);

/**
 * sdrv_xs_request() - send any request and wait for its reply (used by the
 * calls above and by tools that speak the raw protocol).  Watch events that
 * arrive before the reply are queued or delivered.
 * Return: the reply's payload length (copied into @reply up to @reply_len)
 * or -errno (from an ERROR reply or the transport).
 */
SDRV_PUBLIC int sdrv_xs_request(struct sdrv_xs *xs, uint32_t type, uint32_t tx,
				const void *payload, size_t len, void *reply,
				size_t reply_len);

#ifdef __cplusplus
}
#endif

#endif /* SPLITDRV_XS_H */
