/* SPDX-License-Identifier: MIT */
/*
 * The daemon's internal objects: connections, their watches and
 * transactions, introduced domains.  Owned by the loop thread.
 */
#ifndef XSD_INTERNAL_H
#define XSD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitdrv/platform.h>
#include <splitdrv/xs.h>

#include "store.h"
#include "xsd.h"

#define XSD_DOMID_MAX 0x7FEF /* below Xen's DOMID_FIRST_RESERVED */

struct watch {
	struct watch *next;
	size_t path_len;
	size_t rel_off; /* bytes to strip for a relative watch, else 0 */
	char *path; /* canonical: "/..." or "@..." */
	char *token;
};

struct txn {
	struct txn *next;
	uint32_t id;
	bool overflow; /* outgrew quota.tx_bytes: every use fails */
	struct xs_tx *tx; /* NULL once overflowed */
};

/* One queued message to send. */
struct outmsg {
	struct outmsg *next;
	size_t len; /* header + payload */
	bool reply; /* counts as an outstanding reply */
	unsigned char data[];
};

struct domain;

struct conn {
	struct conn *next, *prev; /* every connection (O(1) unlink) */
	struct conn *dirty_next; /* touched this turn: settle() visits it */
	bool dirty;
	struct xsd *d;
	int fd; /* socket, or -1 for a guest's ring */
	struct domain *domain; /* ring connections */
	uint16_t domid;
	bool privileged;
	bool dead; /* to be freed by the loop */
	uint16_t target; /* SET_TARGET: acts for this domain too */
	bool has_target;

	/* Input: the header, then the payload. */
	struct sdrv_xs_msg in_hdr;
	size_t in_got;
	char in_buf[SDRV_XS_PAYLOAD_MAX + 1];
	/* Socket bytes read but not yet taken (the connection hit its output
	 * bound mid-batch): fed before anything new is read. */
	char *stash;
	size_t stash_len, stash_off;

	/* Output queue. */
	struct outmsg *out_head, **out_tail;
	size_t out_off; /* bytes of the head already sent */
	size_t out_bytes;
	uint32_t out_replies;
	bool events_lost; /* resend each watch once the queue drains */
	uint32_t epoll_events; /* what epoll watches for (sockets); 0: not
				* in epoll yet */

	/* A whole request held back by the write rate limit (guests): it
	 * is handled first once the connection has credit again. */
	bool in_ready;
	uint64_t write_credit; /* milli-writes (1000 per write) */
	uint64_t credit_ms; /* when write_credit was last topped up */
	bool throttled; /* a write waits for credit: the ring is not read */
	uint32_t feed_budget; /* requests it may still handle this turn */

	struct watch *watches;
	uint32_t nr_watches;
	struct txn *txns;
	uint32_t nr_txns;
	uint32_t next_tx_id;
};

/* A domain introduced over its ring page. */
struct domain {
	struct domain *next;
	uint16_t domid;
	uint64_t frame; /* as INTRODUCE named it */
	sdrv_evtchn_port_t remote_port, local_port;
	struct sdrv_grant_map map;
	struct sdrv_xs_ring_page *page;
	struct conn *conn;
	/* Our own copies of the indices we produce and consume: the guest
	 * can scribble on the page's, never on these. */
	uint32_t req_cons, rsp_prod;
	bool took; /* domain_poll_all(): it sent something this time */
};

struct xsd {
	struct xsd_config cfg;
	struct xs_store store;
	struct conn *conns;
	struct conn *dirty; /* connections touched since the last settle() */
	uint32_t freed_since_trim; /* connections freed: give memory back */
	struct domain *domains;
	struct domain *poll_start; /* round-robin: whom domain_poll_all()
				    * serves first */
	int epfd, listen_fd, stop_fd, evtchn_fd;
	char *socket_path;
	struct xsd_stats stats;
	char rx[16384]; /* socket reads land here (conn_socket_in) */
};

/* Queued messages one sendmsg() takes at most. */
#define XSD_OUT_BATCH 64
/* Connections accepted per wake-up: a burst of clients waits its turn
 * behind those already served. */
#define XSD_ACCEPT_BATCH 16
/* Events one turn of the loop takes: what a request waits behind at
 * worst (a turn is then bookkept: output sent, the dead freed). */
#define XSD_EVENTS_PER_TURN 16

/* Milliseconds on the monotonic clock. */
uint64_t xsd_now_ms(void);

/* ---- conn.c: connections and their bytes ---- */
struct conn *conn_new(struct xsd *d, int fd, uint16_t domid, bool privileged);
/* Tear down now: watches, transactions, queue.  Unlinks and frees.  Only
 * for a connection in no dirty list (settle() and xsd_free() use it);
 * everyone else kills. */
void conn_free(struct conn *c);
/* Mark for teardown (with a reason for the log); settle() frees it. */
void conn_kill(struct conn *c, const char *why);
/* Bytes @c's domain holds against its memory quota: the nodes it owns,
 * the connection's watches and open transactions.  The quota applies to
 * guests, whose one connection is their ring: nothing else to count. */
size_t conn_memory(const struct conn *c);
/* Put @c on the list settle() visits after this turn. */
void conn_mark_dirty(struct conn *c);
/* Milliseconds until a throttled connection may go on (0: it may now,
 * or it is not throttled).  Tops up its write credit. */
uint64_t conn_throttle_left(struct conn *c, uint64_t now_ms);
/* Queue a message.  Return: 0 or -ENOMEM. */
int conn_send(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
	      const void *payload, size_t len, bool reply);
/* Whether the connection may take another request now. */
bool conn_can_read(const struct conn *c);
/* Feed received bytes: complete messages are handled.  Return: bytes
 * consumed (stops early when the connection may not read more). */
size_t conn_feed(struct conn *c, const char *buf, size_t len);
/* @n more bytes of the head message went out; a finished one is freed. */
void conn_sent(struct conn *c, size_t n);
/* Socket I/O when epoll says so. */
void conn_socket_in(struct conn *c);
/* Feed bytes stashed by an earlier read, if the connection may take them
 * now (after its output drained: epoll will not say so again).  Return:
 * whether nothing is left stashed. */
bool conn_feed_stash(struct conn *c);
void conn_socket_out(struct conn *c);
/* After the queue drained: resend lost watch events. */
void conn_output_drained(struct conn *c);
/* Match epoll's interest to what the connection can do now. */
void conn_update_epoll(struct conn *c);

/* ---- ops.c: one request ---- */
void ops_handle(struct conn *c, const struct sdrv_xs_msg *hdr, char *payload);

/* ---- watch.c ---- */
int watch_add(struct conn *c, const char *path, const char *token,
	      size_t rel_off);
int watch_remove(struct conn *c, const char *path, const char *token);
void watch_remove_all(struct conn *c);
/*
 * A change at @path fires the watches on it and above it, once each, with
 * @path.  For a removal, @removed lists every path removed ("a\0b\0",
 * @path among them): a watch below @path fires too, with its own path, if
 * its node was one of them (as Xen's daemon does; a watch on a path that
 * never existed stays quiet).  @perms: the node's (before a removal), for
 * who may see the event.
 */
void watch_fire(struct xsd *d, const char *path,
		const struct sdrv_xs_perm *perms, size_t nr_perms,
		const char *removed, size_t removed_len);
/* Send one watch event to @c (dropping it if @c is over its bound). */
void watch_send(struct conn *c, const struct watch *w, const char *path);

/* ---- perms.c: paths and permissions ---- */
/* Canonical absolute path of @in (relative ones under the domain's home)
 * into @out (SDRV_XS_ABS_PATH_MAX + 1 bytes).  @special: "@..." allowed.
 * Return: its length, or -EINVAL.  *@rel_off: the prefix a relative
 * path gained. */
int path_canonical(const struct conn *c, const char *in, bool special,
		   char *out, size_t *rel_off);
/* The parent of @path: its length ("/" for a top-level node). */
size_t path_parent_len(const char *path, size_t len);
/* What @c may do with a node of these permissions. */
unsigned perm_for(const struct conn *c, const struct sdrv_xs_perm *perms,
		  size_t nr);
bool perm_is_owner(const struct conn *c, const struct sdrv_xs_perm *perms,
		   size_t nr);

/* ---- domain.c: guests over their ring pages ---- */
int domain_introduce(struct xsd *d, uint16_t domid, uint64_t frame,
		     uint32_t port);
struct domain *domain_find(struct xsd *d, uint16_t domid);
/* Drop the connection; the domain's nodes pass to domain 0 and entries
 * granting it access go (xs_store_disown()); fires @releaseDomain. */
void domain_release(struct xsd *d, struct domain *dom);

/* Drain every introduced ring (called on an event channel upcall, and when
 * a throttled guest may go on), one request per guest in turn, for a
 * bounded number of rounds.  Return: whether rings may hold more (call
 * again soon: no event will say so). */
bool domain_poll_all(struct xsd *d);
/* Milliseconds until the first throttled guest may go on, or -1. */
int domain_next_wakeup_ms(struct xsd *d);
/* Push queued output of a ring connection into its page. */
void domain_flush(struct domain *dom);

#define XSD_LOG(d, ...)                                                        \
	do {                                                                   \
		if ((d)->cfg.verbose)                                          \
			xsd_log(__VA_ARGS__);                                  \
	} while (0)
void xsd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
