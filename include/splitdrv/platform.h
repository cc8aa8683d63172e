/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/platform.h - one domain's view of its hypervisor.
 *
 * A driver needs a handful of things from the hypervisor: sharing pages
 * (grant access, map, unmap, copy), waking its peer (event channels), memory
 * it can share, and later a XenStore connection.  struct sdrv_platform is
 * that seam.  Everything a domain can do by itself on its own memory (the
 * granting side of the grant table, masking and scanning event bits, page
 * allocation) is common code here; only the hypercalls go through the
 * environment's table of operations, one source file per environment:
 *
 *   platform/hvstub.c   the process is domain N of a running hv-stub daemon;
 *                       hypercalls are messages on its socket.
 *   platform/inproc.c   domains are threads of one process; hypercalls are
 *                       calls into hv-stub's core, with all its checks.
 *                       Not in libsplitdrv (a guest or backend must not
 *                       carry the hypervisor): the tests' and benchmarks'
 *                       library sdrv-inproc, declared in platform/inproc.h.
 *
 * Memory layout of every domain (frames of 4 KiB):
 *   0 .. 3   the grant table (v1 entries), read by the hypervisor
 *   4        the shared-info page (event bitmaps, Xen's layout)
 *   5        the XenStore ring page (struct sdrv_xs_ring_page), offered
 *            to the XenStore daemon's domain at grant 1 by the toolstack
 *   6 ..     free pages, handed out by sdrv_page_alloc()
 *
 * Thread safety: every call may be made from any thread, except that one
 * thread at a time waits for events (sdrv_evtchn_wait()).
 * Errors are negative errno values; grant operations report SDRV_GNTST_*
 * per operation, as Xen's do.
 */
#ifndef SPLITDRV_PLATFORM_H
#define SPLITDRV_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include <splitdrv/common.h>
#include <splitdrv/evtchn.h>
#include <splitdrv/grant.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SDRV_PLATFORM_GNTTAB_FRAMES 4u
#define SDRV_PLATFORM_SHINFO_FRAME 4u
#define SDRV_PLATFORM_XENSTORE_FRAME 5u
#define SDRV_PLATFORM_FIRST_FREE_FRAME 6u

/* Event channel hypercall numbers (Xen's EVTCHNOP_*). */
#define SDRV_EVTCHNOP_bind_interdomain 0
#define SDRV_EVTCHNOP_close 3
#define SDRV_EVTCHNOP_send 4
#define SDRV_EVTCHNOP_status 5
#define SDRV_EVTCHNOP_alloc_unbound 6

struct sdrv_platform;

/* One grant map (or unmap) operation of a batch. */
struct sdrv_grant_map {
	sdrv_domid_t granter; /* IN */
	sdrv_grant_ref_t ref; /* IN */
	bool readonly; /* IN */
	int16_t status; /* OUT: SDRV_GNTST_* */
	sdrv_grant_handle_t handle; /* OUT of map, IN to unmap */
	void *addr; /* OUT of map: the page; IN to unmap */
};

/*
 * A grant held for the life of an I/O: the page pinned in place (its
 * granter cannot end access) and reachable at @page, so a privileged
 * backend reads or writes it where it is (io_uring straight into the
 * guest's page) instead of copying through a page of its own.  Each hold
 * is checked as a copy's segment is: the entry must grant @ref to us, and
 * be writable unless @readonly.
 */
struct sdrv_grant_hold {
	sdrv_domid_t granter; /* IN */
	sdrv_grant_ref_t ref; /* IN */
	bool readonly; /* IN: we only read the page */
	int16_t status; /* OUT: SDRV_GNTST_* */
	void *page; /* OUT: the page, while held */
	/* The environment's. */
	void *view;
	uint32_t slot;
};

/*
 * One read of a granted page into memory of our own, done at once
 * (sdrv_grant_read()): @len bytes at @offset of the page @granter's entry
 * @ref names, to @dst.
 */
struct sdrv_grant_read {
	sdrv_domid_t granter; /* IN */
	sdrv_grant_ref_t ref; /* IN */
	uint16_t offset, len; /* IN: inside the page */
	void *dst; /* IN */
	int16_t status; /* OUT: SDRV_GNTST_* */
};

/* A place in a granted page about to be read, or written
 * (sdrv_grant_prefetch()). */
struct sdrv_grant_touch {
	sdrv_grant_ref_t ref;
	uint16_t offset;
	bool write; /* fetched to be written: the line comes owned */
};

/* What an environment provides: the hypercalls.  Each gets untrusted-input
 * checking on the hypervisor's side; the environment only carries them. */
struct sdrv_platform_ops {
	const char *name;
	/* Map @n grants; each op gets its status.  Return: failed ops. */
	unsigned (*grant_map)(struct sdrv_platform *p, struct sdrv_grant_map *ops,
			      unsigned n);
	/* Unmap; each op gets its status.  Return: failed ops. */
	unsigned (*grant_unmap)(struct sdrv_platform *p,
				struct sdrv_grant_map *ops, unsigned n);
	/* Copy segments; each gets its status.  Return: failed segments. */
	unsigned (*grant_copy)(struct sdrv_platform *p,
			       struct sdrv_gnttab_copy *segs, unsigned n);
	/* SDRV_EVTCHNOP_* with its Xen struct.  Return: 0 or -errno. */
	int (*evtchn_op)(struct sdrv_platform *p, int cmd, void *arg);
	/* Release the environment's resources and free @p; the domain lives
	 * on, or with @shutdown ends (sdrv_platform_shutdown()). */
	void (*detach)(struct sdrv_platform *p, bool shutdown);
	/* Optional: sleep until an event is due, @timeout_ms at most (-1:
	 * no limit, 0: do not sleep), marking pending what arrived on the
	 * environment's own wake-ups (doorbells).  Return: > 0 something
	 * came, 0 nothing, or -errno.  Without it the common code sleeps on
	 * the upcall eventfd the hypervisor writes. */
	int (*wait_events)(struct sdrv_platform *p, int timeout_ms);
	/* Optional, with wait_events: stop (@hold) or resume waking for
	 * @port's own wake-ups (a port held back by late EOI). */
	void (*hold_port)(struct sdrv_platform *p, sdrv_evtchn_port_t port,
			  bool hold);
	/* Optional: hold and let go of grants (sdrv_grant_hold()). */
	int (*grant_hold)(struct sdrv_platform *p, struct sdrv_grant_hold *h,
			  unsigned n);
	void (*grant_release)(struct sdrv_platform *p,
			      struct sdrv_grant_hold *h, unsigned n);
	/* Optional: reads without a hold (sdrv_grant_read()). */
	int (*grant_read)(struct sdrv_platform *p, struct sdrv_grant_read *r,
			  unsigned n);
	/* Optional: a hint (sdrv_grant_prefetch()). */
	void (*grant_prefetch)(struct sdrv_platform *p, sdrv_domid_t granter,
			       const struct sdrv_grant_touch *t, unsigned n);
};

/* ---- attaching ------------------------------------------------------- */

/**
 * sdrv_hvstub_attach() - become domain @domid of the hv-stub daemon listening
 * on @socket_path (NULL: $HVSTUB_SOCKET, else SDRV_HVSTUB_SOCKET_DEFAULT).
 * hv-stub checks that this process may (the domain's owner uid, and no other
 * process attached) and passes the domain's memory and upcall eventfd.
 * Return: 0 or -errno (-ENOENT no such domain, -EACCES not allowed,
 * -EBUSY attached elsewhere, -ECONNREFUSED no daemon).
 */
#define SDRV_HVSTUB_SOCKET_DEFAULT "/run/hv-stub/hv-stub.sock"
SDRV_PUBLIC int sdrv_hvstub_attach(const char *socket_path, sdrv_domid_t domid,
				   struct sdrv_platform **out);

/*
 * A domain's life is Xen's: it lives until it is destroyed (hvctl destroy)
 * or shuts down on purpose, not as long as a process holds it.
 *
 * sdrv_platform_detach() - let go of the domain, which lives on: what this
 * handle maps is unmapped, its event channels are closed (all but the
 * toolstack's XenStore channel), its grants are left for the next process
 * to reset, and another process may attach.  Frees @p; NULL is a no-op.
 */
SDRV_PUBLIC void sdrv_platform_detach(struct sdrv_platform *p);

/*
 * sdrv_platform_shutdown() - the domain ends on purpose (Xen's
 * SCHEDOP_shutdown, poweroff): it is destroyed, every peer's mapping of its
 * grants revoked, XenStore told.  Frees @p; NULL is a no-op.  A process
 * that exits without either is a crash: the domain is destroyed or kept
 * as crashed, per its on-crash setting (hvctl create --on-crash).
 */
SDRV_PUBLIC void sdrv_platform_shutdown(struct sdrv_platform *p);

SDRV_PUBLIC sdrv_domid_t sdrv_platform_domid(const struct sdrv_platform *p);
SDRV_PUBLIC const char *sdrv_platform_name(const struct sdrv_platform *p);

/* The XenStore connection of this domain, kept here for the drivers. */
SDRV_PUBLIC void **sdrv_platform_xenstore_slot(struct sdrv_platform *p);

/**
 * sdrv_platform_xenstore() - this domain's XenStore ring page and the event
 * channel to the daemon, as the toolstack set them up (Xen's store_mfn and
 * store_evtchn).  Return: 0, or -ENOENT when the domain has no XenStore.
 */
SDRV_PUBLIC int sdrv_platform_xenstore(struct sdrv_platform *p, void **page,
				       sdrv_evtchn_port_t *port);

/* ---- memory ---------------------------------------------------------- */

/* A zeroed page of this domain's memory, or NULL when none is free. */
SDRV_PUBLIC void *sdrv_page_alloc(struct sdrv_platform *p);
SDRV_PUBLIC void sdrv_page_free(struct sdrv_platform *p, void *page);
/* @n contiguous zeroed pages (a multi-page ring), or NULL; and back. */
SDRV_PUBLIC void *sdrv_pages_alloc(struct sdrv_platform *p, unsigned n);
SDRV_PUBLIC void sdrv_pages_free(struct sdrv_platform *p, void *pages,
				 unsigned n);
/* The frame number of @page of our memory, or -SDRV_EINVAL. */
SDRV_PUBLIC int64_t sdrv_page_frame(const struct sdrv_platform *p,
				    const void *page);
/* Our own page @frame (as a peer's grant copy names it), or NULL. */
SDRV_PUBLIC void *sdrv_frame_page(const struct sdrv_platform *p, uint32_t frame);

/* ---- grants ---------------------------------------------------------- */

/* Let @domid map or copy @page (ours).  Return: the ref or -errno. */
SDRV_PUBLIC int64_t sdrv_grant_access(struct sdrv_platform *p,
				      sdrv_domid_t domid, const void *page,
				      bool readonly);
/* Withdraw @ref.  Return: 0, -EBUSY while mapped, -EINVAL. */
SDRV_PUBLIC int sdrv_grant_end_access(struct sdrv_platform *p,
				      sdrv_grant_ref_t ref);
SDRV_PUBLIC unsigned sdrv_grant_map(struct sdrv_platform *p,
				    struct sdrv_grant_map *ops, unsigned n);
SDRV_PUBLIC unsigned sdrv_grant_unmap(struct sdrv_platform *p,
				      struct sdrv_grant_map *ops, unsigned n);
SDRV_PUBLIC unsigned sdrv_grant_copy(struct sdrv_platform *p,
				     struct sdrv_gnttab_copy *segs, unsigned n);

/**
 * sdrv_grant_hold() - hold @n grants (see struct sdrv_grant_hold) until
 * sdrv_grant_release().  Only a privileged domain with hv-stub's fast path
 * holds; hv-stub lets go of what a backend held if it dies.
 * Return: the number that failed (each with its status; those hold
 * nothing); -SDRV_EOPNOTSUPP where this environment cannot hold (copy
 * instead); -SDRV_ENOSPC when SDRV_GRANT_HOLD_MAX are held already (copy,
 * or wait for some to be let go).
 */
#define SDRV_GRANT_HOLD_MAX 16384u
SDRV_PUBLIC int sdrv_grant_hold(struct sdrv_platform *p,
				struct sdrv_grant_hold *h, unsigned n);
/* Let go of what sdrv_grant_hold() held (entries that failed are
 * skipped). */
SDRV_PUBLIC void sdrv_grant_release(struct sdrv_platform *p,
				    struct sdrv_grant_hold *h, unsigned n);
/*
 * sdrv_grant_read() - copy @n places of granted pages into our memory now
 * (see struct sdrv_grant_read), each checked as a copy's segment is: the
 * entry must grant its ref to us, and the place lie inside the page.
 * Where the environment reaches the granter's memory itself (hv-stub's
 * fast path) nothing is pinned: each entry is read before the copy and
 * again after it, and a read whose entry changed meanwhile (the granter
 * ended access, or named another frame) fails and its bytes are not to be
 * used.  The granter may thus end access while its page is read, which a
 * pin would refuse; what was read of its page is then thrown away, never
 * what anyone else's.
 * Return: the number that failed (each with its status; its @dst holds
 * garbage), or -SDRV_EOPNOTSUPP where this environment cannot read so
 * (copy instead, sdrv_grant_copy()).
 */
SDRV_PUBLIC int sdrv_grant_read(struct sdrv_platform *p,
				struct sdrv_grant_read *r, unsigned n);
/*
 * sdrv_grant_prefetch() - a hint: the lines at @t (@n places in pages
 * @granter grants us) will be read, or written, soon, by a copy or a
 * hold.  Where the environment can reach the granter's memory itself
 * (hv-stub's fast path) it starts fetching them, so that a backend asking
 * for its next batch's data while it finishes this one finds it there;
 * elsewhere nothing.  Nothing is held or reported: a ref the granter does
 * not grant us now fetches nothing.
 */
SDRV_PUBLIC void sdrv_grant_prefetch(struct sdrv_platform *p,
				     sdrv_domid_t granter,
				     const struct sdrv_grant_touch *t,
				     unsigned n);

/* ---- event channels -------------------------------------------------- */

SDRV_PUBLIC int sdrv_evtchn_alloc_unbound(struct sdrv_platform *p,
					  sdrv_domid_t remote,
					  sdrv_evtchn_port_t *port);
SDRV_PUBLIC int sdrv_evtchn_bind_interdomain(struct sdrv_platform *p,
					     sdrv_domid_t remote,
					     sdrv_evtchn_port_t remote_port,
					     sdrv_evtchn_port_t *local_port);
/* Wake the peer of @port.  Return: 0 or -EINVAL (not our open port). */
SDRV_PUBLIC int sdrv_evtchn_notify(struct sdrv_platform *p,
				   sdrv_evtchn_port_t port);
SDRV_PUBLIC int sdrv_evtchn_close(struct sdrv_platform *p,
				  sdrv_evtchn_port_t port);
/* @st->port of this domain (st->dom ignored).  Return: 0 or -errno. */
SDRV_PUBLIC int sdrv_evtchn_status(struct sdrv_platform *p,
				   struct sdrv_evtchn_status *st);
SDRV_PUBLIC void sdrv_evtchn_mask(struct sdrv_platform *p,
				  sdrv_evtchn_port_t port);
SDRV_PUBLIC void sdrv_evtchn_unmask(struct sdrv_platform *p,
				    sdrv_evtchn_port_t port);
/* Milliseconds on the platform's monotonic clock (deadlines). */
SDRV_PUBLIC uint64_t sdrv_platform_clock_ms(const struct sdrv_platform *p);
/* Copy @n bytes of a frame's or a block's data (no overlap): the
 * platform's fastest copy for large sizes, which the freestanding
 * frontends cannot name themselves (libsplitdrv's platforms: libc's
 * memcpy, with the CPU's widest moves; a guest kernel supplies its own).
 * Small copies stay inline (sdrv_copy()). */
SDRV_PUBLIC void sdrv_platform_copy(void *dst, const void *src, size_t n);

/**
 * sdrv_evtchn_lateeoi() - done with the event @port delivered (Linux's
 * xen_irq_lateeoi()); @spurious: it found nothing to do.  A port that
 * keeps firing with nothing to do is held back as Xen's late EOI does:
 * after SDRV_EVTCHN_SPURIOUS_THRESHOLD spurious events in a row it is
 * masked for a delay that starts at 1 ms and doubles with each further
 * one up to SDRV_EVTCHN_SPURIOUS_MAX_MS; events meanwhile stay pending and
 * come as one when the delay ends.  A useful event ends the backoff.
 * Calling it is optional: ports nobody reports on are never held back.
 * Same thread as sdrv_evtchn_wait().
 */
#define SDRV_EVTCHN_SPURIOUS_THRESHOLD 2u
#define SDRV_EVTCHN_SPURIOUS_MAX_MS 1000u
SDRV_PUBLIC void sdrv_evtchn_lateeoi(struct sdrv_platform *p,
				     sdrv_evtchn_port_t port, bool spurious);

/**
 * sdrv_evtchn_timeout_ms() - for an event loop that polls sdrv_evtchn_fd()
 * itself: releases the ports whose late-EOI hold has ended (their events
 * come now: the fd turns readable) and returns the milliseconds until the
 * next one ends, -1 when none is held.  Use it as the poll's timeout, or
 * a held-back port is never let go.  Same thread as sdrv_evtchn_wait().
 */
SDRV_PUBLIC int sdrv_evtchn_timeout_ms(struct sdrv_platform *p);

/* The upcall eventfd: readable when sdrv_evtchn_wait() has ports for us. */
SDRV_PUBLIC int sdrv_evtchn_fd(const struct sdrv_platform *p);

/**
 * sdrv_evtchn_wait() - collect up to @max ports with events, waiting up to
 * @timeout_ms (0: do not wait, -1: forever) for the first.  Their pending
 * bits are cleared; an event arriving later marks them again.  The
 * timeout is a deadline: wake-ups with nothing for us do not restart it.
 * Return: the number of ports (0 on timeout) or -errno.
 */
SDRV_PUBLIC int sdrv_evtchn_wait(struct sdrv_platform *p,
				 sdrv_evtchn_port_t *ports, unsigned max,
				 int timeout_ms);

/**
 * sdrv_evtchn_wait_port() - wait up to @timeout_ms (-1: forever) for an
 * event on @port alone, clearing only its pending bit: other ports' events
 * stay for the next sdrv_evtchn_wait().  For a library (the XenStore
 * client) blocking inside a call.  Same one-waiter rule; the timeout is a
 * deadline, as for sdrv_evtchn_wait().
 * Return: 1, 0 on timeout, or -errno.
 */
SDRV_PUBLIC int sdrv_evtchn_wait_port(struct sdrv_platform *p,
				      sdrv_evtchn_port_t port, int timeout_ms);

/**
 * sdrv_evtchn_wait_ports() - sdrv_evtchn_wait_port() for any of @n ports
 * (1 to SDRV_EVTCHN_WAIT_PORTS_MAX): a device with one channel per
 * direction waits on both, clearing only theirs.
 * Return: how many of them had events, 0 on timeout, or -errno.
 */
#define SDRV_EVTCHN_WAIT_PORTS_MAX 64u
SDRV_PUBLIC int sdrv_evtchn_wait_ports(struct sdrv_platform *p,
				       const sdrv_evtchn_port_t *ports,
				       unsigned n, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* SPLITDRV_PLATFORM_H */
