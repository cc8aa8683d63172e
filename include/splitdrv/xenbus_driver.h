/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/xenbus_driver.h - XenBus drivers, in the shape of Linux's
 * struct xenbus_driver: a program registers a driver for a device type
 * ("vbd", "vif") on a bus, and the bus does the XenStore work every driver
 * would otherwise repeat.
 *
 *   backend bus   watches /local/domain/<self>/backend/<type>/ and probes
 *                 each <frontend-id>/<devid> directory the toolstack
 *                 writes there; removes the device when the toolstack
 *                 removes the directory.
 *   frontend bus  the same under /local/domain/<self>/device/<type>/.
 *
 * For each device it watches the peer's "state" and calls the driver's
 * otherend_changed() with each new value (a hostile peer may write
 * anything: garbage reads as SDRV_XENBUS_UNKNOWN).  The driver switches
 * its own state with sdrv_xenbus_switch_state() on &dev->xb.
 *
 * Everything happens in sdrv_xenbus_bus_dispatch(), called when
 * sdrv_xenbus_bus_fd() is readable or sdrv_xenbus_bus_timeout_ms() ran
 * out (or, without descriptors, when the XenStore port fires): one loop
 * serves XenStore and the drivers' own ports.  The peers' states are read
 * asynchronously (sdrv_xs_read_async()): a loop serving many devices does
 * not wait for the daemon to follow them.  Callbacks may make XenStore
 * requests.
 *
 * Freestanding: memory comes from sdrv_page_alloc() (a page per device).
 */
#ifndef SPLITDRV_XENBUS_DRIVER_H
#define SPLITDRV_XENBUS_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include <splitdrv/common.h>
#include <splitdrv/grant.h>
#include <splitdrv/xenbus.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sdrv_platform;
struct sdrv_xenbus_bus;
struct sdrv_xenbus_driver;

/* One device as the bus sees it.  The driver keeps its state in @priv. */
struct sdrv_xenbus_device {
	struct sdrv_xenbus_dev xb; /* paths, ids, the XenStore client */
	struct sdrv_xenbus_bus *bus;
	struct sdrv_platform *platform;
	const struct sdrv_xenbus_driver *driver;
	void *priv;
	int peer_state; /* the last state the peer wrote */
	/* The bus's own. */
	struct sdrv_xenbus_device *next;
	bool probed;
};

struct sdrv_xenbus_driver {
	const char *type; /* "vbd", "vif": at most 15 bytes */
	/* A new device: set up, publish what we offer (a backend then
	 * switches to InitWait).  Return: 0, or -errno: the device is
	 * failed (sdrv_xenbus_device_fail()) and left alone. */
	int (*probe)(struct sdrv_xenbus_device *dev);
	/* The peer wrote @state (also called once after probe with the
	 * state found then). */
	void (*otherend_changed)(struct sdrv_xenbus_device *dev, int state);
	/* The device goes (toolstack removed it, or the bus closes):
	 * release everything it holds.  Optional. */
	void (*remove)(struct sdrv_xenbus_device *dev);
};

/**
 * sdrv_xenbus_bus_open() - a bus of one side (@backend) for domain @self,
 * on the XenStore connection @xs (which stays the caller's).
 * Return: 0 and *@out, -SDRV_ENOMEM.
 */
SDRV_PUBLIC int sdrv_xenbus_bus_open(struct sdrv_platform *p,
				     struct sdrv_xs *xs, sdrv_domid_t self,
				     bool backend,
				     struct sdrv_xenbus_bus **out);

/**
 * sdrv_xenbus_bus_register() - serve devices of @drv->type: watch their
 * directory; devices already there are probed at the next dispatch.
 * @drv must outlive the bus.  Up to SDRV_XENBUS_MAX_DRIVERS per bus.
 * Return: 0, -SDRV_EEXIST (type taken), -SDRV_ENOSPC, or XenStore's error.
 */
#define SDRV_XENBUS_MAX_DRIVERS 8
SDRV_PUBLIC int sdrv_xenbus_bus_register(struct sdrv_xenbus_bus *bus,
					 const struct sdrv_xenbus_driver *drv);

/* The descriptor to poll (the XenStore connection's), or -SDRV_ENOSYS. */
SDRV_PUBLIC int sdrv_xenbus_bus_fd(struct sdrv_xenbus_bus *bus);
/* The poll's timeout: milliseconds until a XenStore request's deadline
 * (then dispatch), or -1. */
SDRV_PUBLIC int sdrv_xenbus_bus_timeout_ms(struct sdrv_xenbus_bus *bus);

/**
 * sdrv_xenbus_bus_dispatch() - read what XenStore sent, without blocking
 * for events, and run the drivers' callbacks.
 * Return: events handled, or -errno (the XenStore connection broke).
 */
SDRV_PUBLIC int sdrv_xenbus_bus_dispatch(struct sdrv_xenbus_bus *bus);

/* The devices of the bus, for iteration: first, then dev->next. */
SDRV_PUBLIC struct sdrv_xenbus_device *
sdrv_xenbus_bus_devices(struct sdrv_xenbus_bus *bus);

/* Remove every device (driver's remove()), unwatch, free the bus.  The
 * XenStore connection stays open.  Accepts NULL. */
SDRV_PUBLIC void sdrv_xenbus_bus_close(struct sdrv_xenbus_bus *bus);

/**
 * sdrv_xenbus_device_fail() - what Linux's xenbus_dev_fatal() does: write
 * "error" = @why in our directory (the toolstack and the peer read it)
 * and switch to Closing.  @err (negative errno) is returned for chaining.
 */
SDRV_PUBLIC int sdrv_xenbus_device_fail(struct sdrv_xenbus_device *dev,
					int err, const char *why);

/* ---- the backend's half of the handshake --------------------------------- */

/*
 * What every backend driver does with its frontend's states (Linux's
 * netback and blkback each spell it out): a frontend that is Initialised
 * or Connected is connected to, once; Closing disconnects and answers
 * Closing; Closed or garbage disconnects and answers Closed; a frontend
 * coming back (Initialising after we closed, or while we are Closing: its
 * Closed may have come and gone unseen) is offered InitWait again.
 *
 * A backend restarted after a crash finds frontends Connected to its dead
 * predecessor, with rings that hold the old indices: it must not attach
 * to them.  sdrv_xenbus_backend_probe_stale(), called in probe before
 * switching to InitWait, says whether our own state key shows such a
 * predecessor; the device then waits for the frontend to connect afresh.
 */
struct sdrv_xenbus_backend_ops {
	/* Map the frontend's rings, bind its ports, switch to Connected.
	 * Return: 0, or -errno with the device failed. */
	int (*connect)(struct sdrv_xenbus_device *dev);
	/* Let go of everything connect() took (idempotent). */
	void (*disconnect)(struct sdrv_xenbus_device *dev);
	/* Whether connect() holds the rings now. */
	bool (*connected)(const struct sdrv_xenbus_device *dev);
};

/* Whether our state key shows a predecessor that died connected. */
SDRV_PUBLIC bool sdrv_xenbus_backend_probe_stale(struct sdrv_xenbus_device *dev);

/* Follow the frontend's @state (from otherend_changed()); *@stale is the
 * probe's answer, cleared once the frontend leaves Connected. */
SDRV_PUBLIC void sdrv_xenbus_backend_follow(
	struct sdrv_xenbus_device *dev, int state, bool *stale,
	const struct sdrv_xenbus_backend_ops *ops);

/* ---- rings ------------------------------------------------------------ */

/* Up to 2^4 pages a ring, as Linux's XENBUS_MAX_RING_GRANT_ORDER. */
#define SDRV_XENBUS_MAX_RING_ORDER 4u
#define SDRV_XENBUS_MAX_RING_PAGES (1u << SDRV_XENBUS_MAX_RING_ORDER)

/* A ring shared by a frontend: its pages (contiguous in the granter's
 * memory) and, on the backend, the map handles. */
struct sdrv_xenbus_ring {
	void *addr;
	unsigned order; /* 2^order pages */
	sdrv_grant_ref_t refs[SDRV_XENBUS_MAX_RING_PAGES];
	sdrv_grant_handle_t handles[SDRV_XENBUS_MAX_RING_PAGES];
	bool mapped; /* backend side */
};

/**
 * sdrv_xenbus_grant_ring() - frontend: allocate 2^@order contiguous
 * zeroed pages, grant them to the backend and write their refs in @tx as
 * "ring-ref" (order 0) or "ring-page-order" and "ring-ref%u", with
 * @prefix before each key name ("" for blkif, "tx-"/"rx-" for netif).
 * Return: 0, -SDRV_ENOMEM, -errno.
 */
SDRV_PUBLIC int sdrv_xenbus_grant_ring(struct sdrv_xenbus_device *dev,
				       uint32_t tx, const char *prefix,
				       unsigned order,
				       struct sdrv_xenbus_ring *ring);
/* Frontend: end access and free the pages (after the backend let go). */
SDRV_PUBLIC void sdrv_xenbus_ungrant_ring(struct sdrv_xenbus_device *dev,
					  struct sdrv_xenbus_ring *ring);

/**
 * sdrv_xenbus_map_ring() - backend: read the frontend's "ring-page-order"
 * (refused above @max_order) and its refs, and map them.  The pages must
 * be contiguous in the frontend's memory (as every frontend allocates
 * them); they are refused otherwise.
 * Return: 0, or -errno with the device failed and a one-line reason.
 */
SDRV_PUBLIC int sdrv_xenbus_map_ring(struct sdrv_xenbus_device *dev,
				     const char *prefix, unsigned max_order,
				     struct sdrv_xenbus_ring *ring);
SDRV_PUBLIC void sdrv_xenbus_unmap_ring(struct sdrv_xenbus_device *dev,
					struct sdrv_xenbus_ring *ring);

/**
 * sdrv_xenbus_queue_prefix() - where queue @queue of @nr_queues keeps its
 * ring and port keys: "" for a single queue (the keys at the top, as
 * before multi-queue), else "queue-<queue>/".
 * Return: the length, or -SDRV_ERANGE.
 */
SDRV_PUBLIC int sdrv_xenbus_queue_prefix(char *buf, size_t len,
					 unsigned nr_queues, unsigned queue);

/**
 * sdrv_xenbus_bind_evtchn() - backend: bind to the frontend's port named
 * by @prefix @key ("event-channel").  Return: 0 and *@port, or -errno
 * with the device failed.
 */
SDRV_PUBLIC int sdrv_xenbus_bind_evtchn(struct sdrv_xenbus_device *dev,
					const char *prefix, const char *key,
					sdrv_evtchn_port_t *port);
/**
 * sdrv_xenbus_alloc_evtchn() - frontend: an unbound port for the backend,
 * written as @prefix @key in @tx.  Return: 0 and *@port, or -errno.
 */
SDRV_PUBLIC int sdrv_xenbus_alloc_evtchn(struct sdrv_xenbus_device *dev,
					 uint32_t tx, const char *prefix,
					 const char *key,
					 sdrv_evtchn_port_t *port);

#ifdef __cplusplus
}
#endif

#endif /* SPLITDRV_XENBUS_DRIVER_H */
