/* SPDX-License-Identifier: MIT */
/*
 * Connections: framing the byte stream into messages (both transports),
 * the output queue with its bounds, and the socket's reads and writes.
 *
 * Bounds: a connection with quota.outstanding replies or
 * quota.output_bytes queued is not read from until its client catches up,
 * so a client that never reads costs at most one more reply plus the watch
 * events up to twice the byte bound; events beyond that are dropped and
 * replaced by one event per watch once the queue drains (the protocol
 * allows spurious events, not lost ones).  Bytes a socket read brought
 * past that point wait in the connection's stash: at most one read's
 * worth (16 KiB), the kernel buffer holds the rest.
 *
 * Cost: one recv() per wake-up however many requests it brings, one
 * sendmsg() per batch of replies; the loop's bookkeeping after a turn
 * visits only the connections the turn touched (the dirty list), so a
 * crowd of idle or dead connections costs nothing per request.
 *
 * Guests' writes are rate-limited, as Xen's daemon does: a guest has a
 * credit of quota.write_burst writes, refilled at quota.write_rate a
 * second; a write that finds no credit is held (not refused) and the
 * guest's ring is not read until the credit is back.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "xsd_internal.h"

void xsd_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("sdrv-xenstored: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

uint64_t xsd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct conn *conn_new(struct xsd *d, int fd, uint16_t domid, bool privileged)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->d = d;
	c->fd = fd;
	c->domid = domid;
	c->privileged = privileged;
	c->out_tail = &c->out_head;
	c->feed_budget = UINT32_MAX;
	c->write_credit = (uint64_t)d->cfg.quota.write_burst * 1000u;
	c->credit_ms = xsd_now_ms();
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
	d->stats.connections++;
	return c;
}

size_t conn_memory(const struct conn *c)
{
	size_t bytes = xs_store_owned_bytes(&c->d->store, c->domid);

	for (const struct watch *w = c->watches; w; w = w->next)
		bytes += sizeof(*w) + w->path_len + strlen(w->token) + 2;
	for (const struct txn *t = c->txns; t; t = t->next)
		bytes += sizeof(*t) + (t->tx ? xs_tx_bytes(t->tx) : 0);
	return bytes;
}

void conn_mark_dirty(struct conn *c)
{
	if (c->dirty)
		return;
	c->dirty = true;
	c->dirty_next = c->d->dirty;
	c->d->dirty = c;
}

static void drop_output(struct conn *c)
{
	while (c->out_head) {
		struct outmsg *m = c->out_head;

		c->out_head = m->next;
		free(m);
	}
	c->out_tail = &c->out_head;
	c->out_bytes = 0;
	c->out_off = 0;
	c->out_replies = 0;
}

void conn_free(struct conn *c)
{
	struct xsd *d = c->d;

	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	watch_remove_all(c);
	while (c->txns) {
		struct txn *t = c->txns;

		c->txns = t->next;
		xs_tx_free(t->tx);
		free(t);
		d->stats.transactions--;
	}
	drop_output(c);
	free(c->stash);
	if (c->fd >= 0) /* its only descriptor: closing leaves epoll too */
		close(c->fd);
	if (c->domain)
		c->domain->conn = NULL;
	d->stats.connections--;
	free(c);
}

void conn_kill(struct conn *c, const char *why)
{
	if (c->dead)
		return;
	if (c->fd >= 0 || c->d->cfg.verbose)
		XSD_LOG(c->d, "connection of domain %u (fd %d) closed: %s",
			c->domid, c->fd, why);
	c->dead = true;
	c->d->stats.conns_killed++;
	conn_mark_dirty(c);
}

int conn_send(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
	      const void *payload, size_t len, bool reply)
{
	struct outmsg *m;
	struct sdrv_xs_msg h = { .type = type, .req_id = req_id,
				 .tx_id = tx_id, .len = (uint32_t)len };

	if (c->dead)
		return 0;
	m = malloc(sizeof(*m) + sizeof(h) + len);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->len = sizeof(h) + len;
	m->reply = reply;
	memcpy(m->data, &h, sizeof(h));
	if (len)
		memcpy(m->data + sizeof(h), payload, len);
	*c->out_tail = m;
	c->out_tail = &m->next;
	c->out_bytes += m->len;
	c->out_replies += reply;
	c->d->stats.output_bytes += m->len;
	conn_mark_dirty(c);
	return 0;
}

/* Requests that change the store: what a guest's write rate limits. */
static bool is_write(uint32_t type)
{
	return type == SDRV_XS_WRITE || type == SDRV_XS_MKDIR ||
	       type == SDRV_XS_RM || type == SDRV_XS_SET_PERMS;
}

uint64_t conn_throttle_left(struct conn *c, uint64_t now_ms)
{
	const struct xsd_quota *q = &c->d->cfg.quota;
	uint64_t cap = (uint64_t)q->write_burst * 1000u;

	if (now_ms > c->credit_ms) {
		c->write_credit += (now_ms - c->credit_ms) * q->write_rate;
		if (c->write_credit > cap)
			c->write_credit = cap;
		c->credit_ms = now_ms;
	}
	if (!c->throttled)
		return 0;
	if (c->write_credit >= 1000 || !q->write_rate) {
		c->throttled = false;
		return 0;
	}
	return (1000 - c->write_credit + q->write_rate - 1) / q->write_rate;
}

/* Whether the complete request in c->in_buf may be handled now; if not,
 * the connection is throttled until its credit allows one more write. */
static bool may_handle(struct conn *c)
{
	if (c->privileged || !c->domain || !is_write(c->in_hdr.type) ||
	    !c->d->cfg.quota.write_rate)
		return true;
	conn_throttle_left(c, xsd_now_ms());
	if (c->write_credit >= 1000) {
		c->write_credit -= 1000;
		return true;
	}
	c->throttled = true; /* the loop wakes when credit is back */
	return false;
}

/* Handle the complete request held in c->in_buf, if the rate allows. */
static bool handle_ready(struct conn *c)
{
	if (!may_handle(c)) {
		c->in_ready = true;
		return false;
	}
	c->in_ready = false;
	c->in_buf[c->in_hdr.len] = '\0';
	if (c->feed_budget != UINT32_MAX)
		c->feed_budget--;
	ops_handle(c, &c->in_hdr, c->in_buf);
	return true;
}

bool conn_can_read(const struct conn *c)
{
	return !c->dead && !c->throttled && c->feed_budget &&
	       c->out_replies < c->d->cfg.quota.outstanding &&
	       c->out_bytes < c->d->cfg.quota.output_bytes;
}

size_t conn_feed(struct conn *c, const char *buf, size_t len)
{
	size_t used = 0;

	/* A request held back by the rate limit goes first. */
	if (c->in_ready && (!conn_can_read(c) || !handle_ready(c)))
		return 0;
	while (used < len && conn_can_read(c)) {
		size_t want, n;

		if (c->in_got < sizeof(c->in_hdr)) {
			want = sizeof(c->in_hdr) - c->in_got;
			n = len - used < want ? len - used : want;
			memcpy((char *)&c->in_hdr + c->in_got, buf + used, n);
			c->in_got += n;
			used += n;
			if (c->in_got < sizeof(c->in_hdr))
				break;
			/* The protocol: a client exceeding the payload
			 * limit is disconnected. */
			if (c->in_hdr.len > SDRV_XS_PAYLOAD_MAX) {
				conn_kill(c, "payload over 4096 bytes");
				return used;
			}
		}
		want = sizeof(c->in_hdr) + c->in_hdr.len - c->in_got;
		n = len - used < want ? len - used : want;
		memcpy(c->in_buf + (c->in_got - sizeof(c->in_hdr)), buf + used,
		       n);
		c->in_got += n;
		used += n;
		if (c->in_got < sizeof(c->in_hdr) + c->in_hdr.len)
			break;
		c->in_got = 0;
		if (!handle_ready(c))
			break;
	}
	return used;
}

void conn_update_epoll(struct conn *c)
{
	/* Level-triggered: ask for input only while we would take it. */
	uint32_t events = (conn_can_read(c) ? EPOLLIN : 0) |
			  (c->out_head ? EPOLLOUT : 0) | EPOLLRDHUP;
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->fd < 0 || c->dead || c->epoll_events == events)
		return;
	/* A new connection joins here (see accept_some()). */
	if (epoll_ctl(c->d->epfd, c->epoll_events ? EPOLL_CTL_MOD
						  : EPOLL_CTL_ADD,
		      c->fd, &ev)) {
		conn_kill(c, "cannot be watched (epoll)");
		return;
	}
	c->epoll_events = events;
}

bool conn_feed_stash(struct conn *c)
{
	if (!c->stash)
		return true;
	if (!conn_can_read(c))
		return false;
	c->stash_off += conn_feed(c, c->stash + c->stash_off,
				  c->stash_len - c->stash_off);
	if (c->stash_off < c->stash_len)
		return false;
	free(c->stash);
	c->stash = NULL;
	return true;
}

/* One recv() into the shared buffer, fed; the rest of a batch the
 * connection may not take yet goes to its stash. */
static void read_and_feed(struct conn *c)
{
	char *buf = c->d->rx;
	ssize_t n = recv(c->fd, buf, sizeof(c->d->rx), MSG_DONTWAIT);
	size_t used;

	if (n == 0) {
		conn_kill(c, "hung up");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_kill(c, "read error");
		return;
	}
	used = conn_feed(c, buf, (size_t)n);
	if (used == (size_t)n || c->dead)
		return;
	c->stash = malloc((size_t)n - used);
	if (!c->stash) {
		conn_kill(c, "out of memory");
		return;
	}
	memcpy(c->stash, buf + used, (size_t)n - used);
	c->stash_len = (size_t)n - used;
	c->stash_off = 0;
}

void conn_socket_in(struct conn *c)
{
	/* One read per wake-up, into a buffer shared by all connections;
	 * whatever the connection cannot take yet (its output is at the
	 * bound) is kept in its stash, at most one buffer's worth, and the
	 * kernel holds the rest. */
	if (conn_can_read(c) && conn_feed_stash(c) && conn_can_read(c))
		read_and_feed(c);
}

void conn_sent(struct conn *c, size_t n)
{
	struct outmsg *m = c->out_head;

	c->out_off += n;
	if (c->out_off < m->len)
		return;
	c->out_off = 0;
	c->out_head = m->next;
	if (!c->out_head)
		c->out_tail = &c->out_head;
	c->out_bytes -= m->len;
	c->out_replies -= m->reply;
	c->d->stats.output_bytes -= m->len;
	free(m);
}

void conn_socket_out(struct conn *c)
{
	while (c->out_head) {
		/* One system call for up to a batch of queued messages. */
		struct iovec iov[XSD_OUT_BATCH];
		struct msghdr mh = { .msg_iov = iov };
		size_t off = c->out_off;
		ssize_t n;

		for (struct outmsg *m = c->out_head;
		     m && mh.msg_iovlen < XSD_OUT_BATCH; m = m->next) {
			iov[mh.msg_iovlen].iov_base = m->data + off;
			iov[mh.msg_iovlen++].iov_len = m->len - off;
			off = 0;
		}
		n = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_kill(c, "write error");
			return;
		}
		/* Pop what went, message by message. */
		while (n > 0) {
			size_t left = c->out_head->len - c->out_off;
			size_t take = (size_t)n < left ? (size_t)n : left;

			conn_sent(c, take);
			n -= (ssize_t)take;
		}
		if (c->out_head && c->out_off)
			break; /* the socket is full */
	}
	if (!c->out_head)
		conn_output_drained(c);
}

void conn_output_drained(struct conn *c)
{
	if (!c->events_lost || c->out_bytes > c->d->cfg.quota.output_bytes / 2)
		return;
	c->events_lost = false;
	for (struct watch *w = c->watches; w; w = w->next)
		watch_send(c, w, w->path);
}
