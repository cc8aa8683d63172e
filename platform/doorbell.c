/* SPDX-License-Identifier: MIT */
/* platform/doorbell.c - event channel doorbells (see doorbell.h). */
#define _GNU_SOURCE
#include "doorbell.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* epoll data of the upcall eventfd; doorbells carry their port. */
#define UPCALL_KEY UINT32_MAX
#define EVENTS_PER_WAIT 64

int doorbells_init(struct doorbells *db, int upcall_fd,
		   struct sdrv_shared_info *shinfo)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UPCALL_KEY };
	int flags = fcntl(upcall_fd, F_GETFL);

	memset(db, 0, sizeof(*db));
	for (unsigned p = 0; p < SDRV_EVTCHN_2L_NR_PORTS; p++)
		db->port[p] = (struct doorbell){ .mine = -1, .peer = -1 };
	db->upcall_fd = upcall_fd;
	db->shinfo = shinfo;
	db->epoch = (const uint64_t *)(const void *)((unsigned char *)shinfo +
						     SDRV_SHINFO_BINDING_EPOCH_OFFSET);
	/* Drained after epoll says so; never block on it. */
	if (flags < 0 || fcntl(upcall_fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	db->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (db->epfd < 0)
		return -errno;
	if (epoll_ctl(db->epfd, EPOLL_CTL_ADD, upcall_fd, &ev) < 0) {
		int err = -errno;

		close(db->epfd);
		db->epfd = -1;
		return err;
	}
	return 0;
}

void doorbells_forget(struct doorbells *db, sdrv_evtchn_port_t port)
{
	struct doorbell *b;

	if (port >= SDRV_EVTCHN_2L_NR_PORTS)
		return;
	b = &db->port[port];
	if (b->mine >= 0) {
		epoll_ctl(db->epfd, EPOLL_CTL_DEL, b->mine, NULL);
		close(b->mine);
	}
	if (b->peer >= 0)
		close(b->peer);
	*b = (struct doorbell){ .mine = -1, .peer = -1 };
}

void doorbells_fini(struct doorbells *db)
{
	for (unsigned p = 0; p < SDRV_EVTCHN_2L_NR_PORTS; p++)
		doorbells_forget(db, (sdrv_evtchn_port_t)p);
	if (db->epfd >= 0)
		close(db->epfd);
	db->epfd = -1;
}

int doorbells_take(struct doorbells *db, sdrv_evtchn_port_t port, int mine,
		   int peer, uint64_t epoch)
{
	struct doorbell *b;

	if (port >= SDRV_EVTCHN_2L_NR_PORTS || port == 0) {
		if (mine >= 0)
			close(mine);
		if (peer >= 0)
			close(peer);
		return -EINVAL;
	}
	b = &db->port[port];
	if (b->mine < 0 && mine >= 0) {
		/* Edge-triggered and never read: each ring is an edge, and
		 * a ring before this point is seen at once (a non-zero
		 * count is ready when added). */
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET,
					  .data.u32 = port };

		if (epoll_ctl(db->epfd, EPOLL_CTL_ADD, mine, &ev) < 0) {
			int err = -errno;

			close(mine);
			if (peer >= 0)
				close(peer);
			return err;
		}
		b->mine = mine;
	} else if (mine >= 0) {
		close(mine); /* the same doorbell: the port's for its life */
	}
	if (b->peer >= 0)
		close(b->peer);
	b->peer = peer;
	b->epoch = epoch;
	b->known = true;
	return 0;
}

int doorbells_ring(struct doorbells *db, sdrv_evtchn_port_t port)
{
	struct doorbell *b = &db->port[port];
	uint64_t one = 1;

	/* pairs with the release in hv-stub's bump_epoch() */
	if (!b->known || b->epoch != __atomic_load_n(db->epoch, __ATOMIC_ACQUIRE))
		return -ESTALE;
	if (b->peer < 0)
		return 0;
	/* A full counter (a peer that wrote the maximum into its own
	 * doorbell) is the peer's loss alone: it is not woken. */
	if (write(b->peer, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 1;
}

void doorbells_hold(struct doorbells *db, sdrv_evtchn_port_t port, bool hold)
{
	struct epoll_event ev = { .events = hold ? 0 : EPOLLIN | EPOLLET,
				  .data.u32 = port };

	if (port < SDRV_EVTCHN_2L_NR_PORTS && db->port[port].mine >= 0)
		epoll_ctl(db->epfd, EPOLL_CTL_MOD, db->port[port].mine, &ev);
}

int doorbells_wait(struct doorbells *db, int timeout_ms)
{
	struct epoll_event evs[EVENTS_PER_WAIT];
	int n = epoll_wait(db->epfd, evs, EVENTS_PER_WAIT, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		uint32_t key = evs[i].data.u32;
		uint64_t count;

		if (key == UPCALL_KEY) {
			/* hv-stub marked the bits itself */
			if (read(db->upcall_fd, &count, sizeof(count)) < 0 &&
			    errno != EAGAIN)
				return -errno;
		} else {
			sdrv_evtchn_2l_set_pending(db->shinfo,
						   (sdrv_evtchn_port_t)key);
		}
	}
	return n;
}
