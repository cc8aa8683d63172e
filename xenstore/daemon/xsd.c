/* SPDX-License-Identifier: MIT */
/*
 * The daemon's life: the initial tree, the listening socket, the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xsd_internal.h"

void xsd_config_defaults(struct xsd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	/* Xen's C daemon (4.17): 1000 nodes, 2048-byte entries, 128
	 * watches, 10 transactions, 20 outstanding requests, 5
	 * permissions, 2.5 MB of memory per domain, 1024 nodes per
	 * transaction, 2048-byte paths past a domain's home. */
	cfg->quota.nodes = 1000;
	cfg->quota.node_size = 2048;
	cfg->quota.memory = 2560 * 1024;
	cfg->quota.tx_nodes = 1024;
	cfg->quota.path_max = SDRV_XS_REL_PATH_MAX;
	/* A guest may write in bursts of 100, then 500 a second: far above
	 * what a driver's handshake needs, far below what would slow the
	 * toolstack down (Xen's daemon limits guests' writes too). */
	cfg->quota.write_rate = 500;
	cfg->quota.write_burst = 100;
	cfg->quota.watches = 128;
	cfg->quota.transactions = 10;
	cfg->quota.outstanding = 20;
	cfg->quota.perms = 5;
	cfg->quota.output_bytes = 256 * 1024;
	cfg->quota.tx_bytes = 4 * 1024 * 1024;
}

static int add_node(struct xsd *d, const char *path, const char *perm)
{
	struct sdrv_xs_perm p;
	struct xs_node *n;

	if (sdrv_xs_perm_parse(perm, strlen(perm), &p))
		return -EINVAL;
	n = xs_node_build(path, strlen(path), NULL, 0, &p, 1, NULL, 0);
	if (!n)
		return -ENOMEM;
	return xs_put((struct xs_view){ &d->store, NULL }, n);
}

static int add_child(struct xsd *d, const char *parent, const char *name)
{
	struct xs_view v = { &d->store, NULL };
	const struct xs_node *pn = xs_get(v, parent, strlen(parent));
	struct xs_node *p2;

	if (!pn)
		return -ENOENT;
	p2 = xs_node_with_child(pn, name, strlen(name));
	return p2 ? xs_put(v, p2) : -ENOMEM;
}

/* What Xen's daemon starts with: "/", "/local/domain/0" and "/tool", all
 * dom0's; and the two special nodes whose permissions govern who sees
 * their events. */
static int initial_tree(struct xsd *d)
{
	static const char *const nodes[] = { "/", "/local", "/local/domain",
					     "/local/domain/0", "/tool",
					     "@introduceDomain",
					     "@releaseDomain" };
	static const char *const links[][2] = { { "/", "tool" },
						{ "/", "local" },
						{ "/local", "domain" },
						{ "/local/domain", "0" } };
	int err = 0;

	for (size_t i = 0; !err && i < sizeof(nodes) / sizeof(nodes[0]); i++)
		err = add_node(d, nodes[i], "n0");
	for (size_t i = 0; !err && i < sizeof(links) / sizeof(links[0]); i++)
		err = add_child(d, links[i][0], links[i][1]);
	return err;
}

int xsd_new(const struct xsd_config *cfg, struct xsd **out)
{
	struct xsd *d = calloc(1, sizeof(*d));
	struct epoll_event ev = { .events = EPOLLIN };
	int err;

	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	d->listen_fd = d->stop_fd = d->evtchn_fd = -1;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->epfd < 0 || d->stop_fd < 0) {
		err = -errno;
		goto fail;
	}
	ev.data.ptr = &d->stop_fd;
	epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->stop_fd, &ev);
	if (cfg->platform) {
		d->evtchn_fd = sdrv_evtchn_fd(cfg->platform);
		ev.data.ptr = &d->evtchn_fd;
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->evtchn_fd, &ev)) {
			err = -errno;
			goto fail;
		}
	}
	err = xs_store_init(&d->store);
	if (!err)
		err = initial_tree(d);
	if (err)
		goto fail;
	*out = d;
	return 0;
fail:
	xsd_free(d);
	return err;
}

void xsd_free(struct xsd *d)
{
	if (!d)
		return;
	while (d->domains)
		domain_release(d, d->domains);
	while (d->conns)
		conn_free(d->conns);
	xs_store_fini(&d->store);
	if (d->listen_fd >= 0)
		close(d->listen_fd);
	if (d->socket_path)
		unlink(d->socket_path);
	free(d->socket_path);
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	if (d->epfd >= 0)
		close(d->epfd);
	free(d);
}

int xsd_listen_fd(struct xsd *d, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &d->listen_fd };

	d->listen_fd = fd;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return 0;
}

int xsd_listen(struct xsd *d, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A socket file a dead daemon left is ours to replace; a live
	 * daemon's is not (a blocking connect on a nonblocking socket to a
	 * listening Unix socket succeeds at once or fails at once). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
	    errno == EAGAIN) {
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	/* Only our uid (and root) may connect: every socket client is
	 * privileged, as on Xen. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, 0600) || listen(fd, 128)) {
		err = -errno;
		close(fd);
		return err;
	}
	d->socket_path = strdup(path);
	err = xsd_listen_fd(d, fd);
	if (err) {
		close(fd);
		d->listen_fd = -1;
	}
	return err;
}

void xsd_stop(struct xsd *d)
{
	uint64_t one = 1;

	/* async-signal-safe */
	if (write(d->stop_fd, &one, sizeof(one)) < 0)
		return;
}

/*
 * Up to XSD_ACCEPT_BATCH new connections; the listening socket stays
 * readable for the rest (level-triggered), served next turn.  A new
 * client's first request is usually there already: it is read at once,
 * and the connection joins epoll only in settle(), if it is still alive
 * then, so one that sent, closed and left costs no epoll registration.
 */
static void accept_some(struct xsd *d)
{
	for (unsigned i = 0; i < XSD_ACCEPT_BATCH; i++) {
		int fd = accept4(d->listen_fd, NULL, NULL,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct conn *c;

		if (fd < 0)
			return;
		c = conn_new(d, fd, 0, true);
		if (!c) {
			close(fd);
			return;
		}
		conn_mark_dirty(c);
		conn_socket_in(c);
	}
}

/* After every turn, for each connection the turn touched: push queued
 * output, re-arm, reap the dead.  Connections touched meanwhile (events
 * to other watchers) join the list and are visited too. */
static void settle(struct xsd *d)
{
	struct conn *c;

	while ((c = d->dirty)) {
		/* Off the list, but still marked while it is handled: a
		 * kill or a reply now does not put it back. */
		d->dirty = c->dirty_next;
		c->dirty_next = NULL;
		/* Bytes stashed at the output bound are fed as the output
		 * drains, until none are left or the socket is full (then
		 * EPOLLOUT brings us back): no read will announce them. */
		while (!c->dead && c->stash) {
			if (c->out_head)
				conn_socket_out(c);
			if (c->dead || !conn_can_read(c))
				break;
			conn_feed_stash(c);
		}
		if (!c->dead) {
			if (c->fd >= 0 && c->out_head)
				conn_socket_out(c);
			else if (c->domain)
				domain_flush(c->domain);
		}
		if (c->dead) {
			conn_free(c);
			d->freed_since_trim++;
		} else {
			c->dirty = false;
			conn_update_epoll(c);
		}
	}
}

/* Idle: give the memory of freed connections back to the system, once
 * enough went (a trim walks the heap: never on a busy turn). */
#define TRIM_AFTER_FREED 64
#define TRIM_IDLE_MS 100

static void trim_if_idle(struct xsd *d, int events)
{
	if (events == 0 && d->freed_since_trim >= TRIM_AFTER_FREED) {
		malloc_trim(0);
		d->freed_since_trim = 0;
	}
}

int xsd_run(struct xsd *d)
{
	struct epoll_event evs[XSD_EVENTS_PER_TURN];
	bool rings_busy = false;

	for (;;) {
		/* Guests whose rings still hold requests, or who wait for
		 * write credit, bring us back without an event. */
		int wake = rings_busy ? 0 : domain_next_wakeup_ms(d);
		int timeout = wake;
		int n;

		if (d->freed_since_trim >= TRIM_AFTER_FREED &&
		    (timeout < 0 || timeout > TRIM_IDLE_MS))
			timeout = TRIM_IDLE_MS;
		n = epoll_wait(d->epfd, evs, XSD_EVENTS_PER_TURN, timeout);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;

			if (tag == &d->stop_fd) {
				uint64_t v;

				if (read(d->stop_fd, &v, sizeof(v)) < 0)
					v = 0;
				settle(d);
				return 0;
			} else if (tag == &d->listen_fd) {
				accept_some(d);
			} else if (tag == &d->evtchn_fd) {
				sdrv_evtchn_port_t ports[64];

				/* Clears the pending bits; the rings are
				 * then read whole. */
				while (sdrv_evtchn_wait(d->cfg.platform, ports,
							64, 0) == 64)
					;
				rings_busy = true;
			} else {
				struct conn *c = tag;

				if (c->dead)
					continue;
				conn_mark_dirty(c);
				if (evs[i].events & EPOLLIN)
					conn_socket_in(c);
				if (!c->dead && (evs[i].events & EPOLLOUT))
					conn_socket_out(c);
				if (!c->dead &&
				    (evs[i].events & (EPOLLHUP | EPOLLERR)))
					conn_kill(c, "hung up");
				else if (!c->dead &&
					 (evs[i].events & EPOLLRDHUP) &&
					 !conn_can_read(c))
					conn_kill(c, "hung up with replies unread");
			}
		}
		/* Rings with more to read, or a guest held by its write
		 * rate whose time came (or may have): look at them. */
		if (rings_busy || wake >= 0)
			rings_busy = domain_poll_all(d);
		settle(d);
		trim_if_idle(d, n);
	}
}

void xsd_stats(struct xsd *d, struct xsd_stats *st)
{
	*st = d->stats;
	st->nodes = d->store.nodes.nr;
}
