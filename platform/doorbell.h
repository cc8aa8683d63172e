/* SPDX-License-Identifier: MIT */
/*
 * platform/doorbell.h - event channel doorbells of a process domain.
 *
 * hv-stub gives every open port an eventfd, its doorbell; the peer of a
 * bound channel rings it to wake the port's owner directly: a notify is
 * one write(2) by the sender and the receiver's own pending bit, instead
 * of a message to hv-stub and an upcall back.  Xen's 2-level semantics are
 * kept on the receiver's side: a doorbell is turned into the port's
 * pending bit (sdrv_evtchn_2l_set_pending()) before the scan, so a masked
 * port stays silent and a flood costs one wake-up.
 *
 * The receiver sleeps on one epoll fd holding hv-stub's upcall eventfd
 * (events hv-stub raised itself: binds, closes, sends from domains without
 * doorbells) and every doorbell of its ports, edge-triggered so that a
 * doorbell is never read: each ring is a fresh edge.
 *
 * Whom a port's peer doorbell reaches changes with the binding; hv-stub
 * bumps the domain's binding epoch (in its shared-info page) first, and a
 * ring with a stale epoch asks again.
 *
 * Not thread-safe: the caller keeps changes (take, forget) apart from
 * everything else; rings and holds may run together, and waiting beside
 * all of them (hvstub.c's bells_lock).
 */
#ifndef SDRV_PLATFORM_DOORBELL_H
#define SDRV_PLATFORM_DOORBELL_H

#include <stdbool.h>
#include <stdint.h>

#include <splitdrv/evtchn.h>

struct doorbell {
	int mine; /* rung by the peer; in the epoll set; -1: none */
	int peer; /* rung by us; -1: unbound or not known */
	uint64_t epoch; /* binding epoch @peer is good for */
	bool known; /* fetched at least once */
};

struct doorbells {
	int epfd;
	int upcall_fd;
	const uint64_t *epoch; /* the domain's binding epoch */
	struct sdrv_shared_info *shinfo;
	struct doorbell port[SDRV_EVTCHN_2L_NR_PORTS];
};

/* Set up around hv-stub's @upcall_fd (made non-blocking, owned by the
 * caller) and the domain's @shinfo page.  Return: 0 or -errno. */
int doorbells_init(struct doorbells *db, int upcall_fd,
		   struct sdrv_shared_info *shinfo);
/* Close every doorbell and the epoll fd. */
void doorbells_fini(struct doorbells *db);

/**
 * doorbells_take() - what hv-stub said of @port's doorbells at @epoch:
 * @mine (kept only the first time: it lasts as long as the port) and
 * @peer (-1: unbound).  Takes ownership of both fds.
 * Return: 0 or -errno (fds closed).
 */
int doorbells_take(struct doorbells *db, sdrv_evtchn_port_t port, int mine,
		   int peer, uint64_t epoch);

/* @port closed: its doorbells go. */
void doorbells_forget(struct doorbells *db, sdrv_evtchn_port_t port);

/**
 * doorbells_ring() - wake @port's peer.
 * Return: 1 rung; 0 unbound (the event is dropped, as Xen drops a send on
 * an unbound port); -ESTALE when hv-stub must be asked first (never asked,
 * or the binding epoch moved); -errno if the write failed.
 */
int doorbells_ring(struct doorbells *db, sdrv_evtchn_port_t port);

/* Stop (@hold) or resume waking for @port's doorbell: a masked or held
 * back port must not cost a wake-up per ring.  A ring while held is seen
 * when resumed (the count stays non-zero). */
void doorbells_hold(struct doorbells *db, sdrv_evtchn_port_t port, bool hold);

/* Sleep until an upcall or a doorbell, @timeout_ms at most (-1: no limit),
 * marking rung ports pending.  Return: > 0 woken, 0 none, or -errno. */
int doorbells_wait(struct doorbells *db, int timeout_ms);

#endif
