/* SPDX-License-Identifier: MIT */
/*
 * XenBus drivers: a bus watches the device directories of its side, probes
 * the devices that appear there, follows each peer's state and removes the
 * devices the toolstack removes.  Freestanding.
 *
 * One watch per driver on its type's directory, one per device on the
 * peer's state.  An event on the type's directory names the node that
 * changed: a device directory (created or removed) is looked at alone; a
 * key deeper inside a known device (our own writes among them) costs
 * nothing; the directory itself (the watch's first event) is rescanned.
 */
#include <splitdrv/platform.h>
#include <splitdrv/xenbus_driver.h>

#include "xenbus_internal.h"

struct bus_driver {
	struct sdrv_xenbus_bus *bus;
	const struct sdrv_xenbus_driver *drv;
	char dir[SDRV_XENBUS_PATH_MAX]; /* .../backend/<type> or .../device/<type> */
	char token[32];
};

struct sdrv_xenbus_bus {
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	sdrv_domid_t self;
	bool backend;
	unsigned nr_drivers;
	struct bus_driver drivers[SDRV_XENBUS_MAX_DRIVERS];
	struct sdrv_xenbus_device *devices;
	char *scratch; /* a page: directory listings */
};
SDRV_STATIC_ASSERT(sizeof(struct sdrv_xenbus_bus) <= SDRV_PAGE_SIZE,
		   "the bus fits its page");
SDRV_STATIC_ASSERT(sizeof(struct sdrv_xenbus_device) <= SDRV_PAGE_SIZE,
		   "a device fits its page");

/* Directory listings are split in two halves: the outer level's names and
 * the inner level's (a backend's <frontend-id>/<devid>). */
#define SCRATCH_HALF (SDRV_PAGE_SIZE / 2)

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* A decimal component of @s up to '/' or the end: its value, and @s moved
 * past it.  Return: false when it is not a number below @max. */
static bool take_uint(const char **s, uint64_t max, uint64_t *out)
{
	const char *e = *s;

	while (*e && *e != '/')
		e++;
	if (xs_parse_uint(*s, (size_t)(e - *s), max, out))
		return false;
	*s = *e ? e + 1 : e;
	return true;
}

static struct sdrv_xenbus_device *find(struct bus_driver *bd,
				       sdrv_domid_t front, uint32_t devid)
{
	for (struct sdrv_xenbus_device *d = bd->bus->devices; d; d = d->next)
		if (d->driver == bd->drv && d->xb.devid == devid &&
		    d->xb.frontend_domid == front)
			return d;
	return NULL;
}

/* The peer wrote @state (read now, or answered later). */
static void peer_state_is(struct sdrv_xenbus_device *dev, int state)
{
	if (!dev->probed || state == dev->peer_state)
		return;
	dev->peer_state = state;
	if (dev->driver->otherend_changed)
		dev->driver->otherend_changed(dev, state);
}

/* The answer to the state read on_peer_state() sent: parsed as
 * sdrv_xenbus_read_state() does (garbage, or no key: Unknown). */
static void on_peer_state_read(void *arg, int err, const char *value,
			       size_t len)
{
	uint64_t v;

	if (err == -SDRV_ETIMEDOUT || err == -SDRV_ESHUTDOWN)
		return; /* no news; the connection's own error shows */
	if (err || xs_parse_uint(value, len, SDRV_XENBUS_RECONFIGURED, &v))
		v = SDRV_XENBUS_UNKNOWN;
	peer_state_is(arg, (int)v);
}

/*
 * The peer's state changed: read it without waiting for the daemon (the
 * loop serves other devices meanwhile), or, with every asynchronous slot
 * taken, with a blocking read.
 */
static void on_peer_state(void *arg, const char *path, const char *token)
{
	struct sdrv_xenbus_device *dev = arg;
	char key[SDRV_XENBUS_PATH_MAX + 8];

	(void)path;
	(void)token;
	if (!dev->probed)
		return;
	if (!key_path(key, sizeof(key), dev->xb.peer, "state") &&
	    !sdrv_xs_read_async(dev->xb.xs, 0, key,
					  SDRV_XS_TIMEOUT_DEFAULT_MS,
					  on_peer_state_read, dev))
		return;
	peer_state_is(dev, sdrv_xenbus_read_state(&dev->xb, true));
}

static void unlink_device(struct sdrv_xenbus_bus *bus,
			  struct sdrv_xenbus_device *dev)
{
	for (struct sdrv_xenbus_device **pp = &bus->devices; *pp;
	     pp = &(*pp)->next) {
		if (*pp == dev) {
			*pp = dev->next;
			return;
		}
	}
}

static void remove_device(struct sdrv_xenbus_bus *bus,
			  struct sdrv_xenbus_device *dev)
{
	unlink_device(bus, dev);
	/* Unwatch first: an event already read for this device's token
	 * then finds no watch and calls nobody; a state read on its way is
	 * forgotten. */
	sdrv_xenbus_detach(&dev->xb);
	sdrv_xs_async_forget(bus->xs, dev);
	if (dev->probed && dev->driver->remove)
		dev->driver->remove(dev);
	sdrv_page_free(bus->p, dev);
}

/* A device directory appeared (or may have): attach and probe it.  A
 * directory still being written (no peer keys yet) is left for its next
 * event. */
static void add_device(struct bus_driver *bd, sdrv_domid_t front,
		       uint32_t devid)
{
	struct sdrv_xenbus_bus *bus = bd->bus;
	struct sdrv_xenbus_device *dev = sdrv_page_alloc(bus->p);
	int err;

	if (!dev)
		return;
	dev->bus = bus;
	dev->platform = bus->p;
	dev->driver = bd->drv;
	dev->peer_state = -1;
	err = xenbus_attach_watch(&dev->xb, bus->xs, bus->backend, bus->self,
				  front, bd->drv->type, devid, on_peer_state,
				  dev);
	if (err) {
		if (dev->xb.xs)
			sdrv_xenbus_detach(&dev->xb);
		sdrv_page_free(bus->p, dev);
		return;
	}
	dev->next = bus->devices;
	bus->devices = dev;
	err = bd->drv->probe(dev);
	if (err) {
		/* Kept, so that it is not probed again on its next event;
		 * the toolstack removes it. */
		sdrv_xenbus_device_fail(dev, err, "probe failed");
		return;
	}
	dev->probed = true;
	/* The peer-state watch's first event (queued) reports the state. */
}

/* Whether a known device's directory is still there. */
static bool still_there(struct sdrv_xenbus_device *dev)
{
	char buf[8];
	int r = sdrv_xenbus_read_str(&dev->xb, false,
				     dev->xb.backend ? "frontend-id"
						     : "backend-id",
				     buf, sizeof(buf));

	return r != -SDRV_ENOENT;
}

/* Compare one device directory with what the bus knows. */
static void look_at(struct bus_driver *bd, sdrv_domid_t front,
		    uint32_t devid)
{
	struct sdrv_xenbus_device *dev = find(bd, front, devid);

	if (!dev)
		add_device(bd, front, devid);
	else if (!still_there(dev))
		remove_device(bd->bus, dev);
}

/* The ids listed in @names (@n NUL-separated). */
static void for_each_name(const char *names, int n, uint64_t max,
			  void (*fn)(struct bus_driver *, uint64_t, void *),
			  struct bus_driver *bd, void *arg)
{
	for (int i = 0; i < n; i++) {
		const char *s = names;
		uint64_t v;

		if (take_uint(&s, max, &v) && !*s)
			fn(bd, v, arg);
		names += xs_strnlen(names, SDRV_XS_PAYLOAD_MAX) + 1;
	}
}

static void list_one(struct bus_driver *bd, uint64_t devid, void *arg)
{
	look_at(bd, (sdrv_domid_t)(uintptr_t)arg, (uint32_t)devid);
}

/* Every device of one frontend domain (backend) under @dir. */
static void scan_frontend(struct bus_driver *bd, uint64_t front, void *arg)
{
	char dir[SDRV_XENBUS_PATH_MAX];
	struct strbuf b = strbuf_at(dir, sizeof(dir));
	char *names = bd->bus->scratch + SCRATCH_HALF;
	int n;

	(void)arg;
	put_str(&b, bd->dir);
	put_str(&b, "/");
	put_uint(&b, front);
	if (b.err)
		return;
	n = sdrv_xs_directory(bd->bus->xs, 0, dir, names, SCRATCH_HALF);
	if (n > 0)
		for_each_name(names, n, UINT32_MAX, list_one, bd,
			      (void *)(uintptr_t)front);
}

/* Remove the driver's devices (of frontend *@front, or all) whose
 * directory went. */
static void remove_gone(struct bus_driver *bd, const sdrv_domid_t *front)
{
	struct sdrv_xenbus_device *dev, *next;

	for (dev = bd->bus->devices; dev; dev = next) {
		next = dev->next;
		if (dev->driver == bd->drv &&
		    (!front || dev->xb.frontend_domid == *front) &&
		    !still_there(dev))
			remove_device(bd->bus, dev);
	}
}

static void rescan(struct bus_driver *bd)
{
	struct sdrv_xenbus_bus *bus = bd->bus;
	int n = sdrv_xs_directory(bus->xs, 0, bd->dir, bus->scratch,
				  SCRATCH_HALF);

	if (n > 0) {
		if (bus->backend)
			for_each_name(bus->scratch, n,
				      SDRV_DOMID_FIRST_RESERVED - 1,
				      scan_frontend, bd, NULL);
		else
			for_each_name(bus->scratch, n, UINT32_MAX, list_one,
				      bd, (void *)(uintptr_t)bus->self);
	}
	remove_gone(bd, NULL);
}

static void on_dir_event(void *arg, const char *path, const char *token)
{
	struct bus_driver *bd = arg;
	const char *rel = path, *d = bd->dir;
	uint64_t front, devid;

	(void)token;
	while (*d && *rel == *d) {
		d++;
		rel++;
	}
	if (*d || (*rel && *rel != '/'))
		return; /* not under our directory */
	if (*rel == '/')
		rel++;
	if (!*rel) {
		rescan(bd);
		return;
	}
	if (bd->bus->backend) {
		if (!take_uint(&rel, SDRV_DOMID_FIRST_RESERVED - 1, &front))
			return;
		if (!*rel) { /* a frontend's whole directory */
			sdrv_domid_t f = (sdrv_domid_t)front;

			scan_frontend(bd, front, NULL);
			remove_gone(bd, &f);
			return;
		}
	} else {
		front = bd->bus->self;
	}
	if (!take_uint(&rel, UINT32_MAX, &devid))
		return;
	/* A key inside a known device is the driver's business (or our
	 * own write); the directory itself, or any key of a device not
	 * yet known, may mean it came or went. */
	if (*rel && find(bd, (sdrv_domid_t)front, (uint32_t)devid))
		return;
	look_at(bd, (sdrv_domid_t)front, (uint32_t)devid);
}

SDRV_PUBLIC int sdrv_xenbus_bus_open(struct sdrv_platform *p,
				     struct sdrv_xs *xs, sdrv_domid_t self,
				     bool backend,
				     struct sdrv_xenbus_bus **out)
{
	struct sdrv_xenbus_bus *bus = sdrv_page_alloc(p);

	if (!bus)
		return -SDRV_ENOMEM;
	bus->scratch = sdrv_page_alloc(p);
	if (!bus->scratch) {
		sdrv_page_free(p, bus);
		return -SDRV_ENOMEM;
	}
	bus->p = p;
	bus->xs = xs;
	bus->self = self;
	bus->backend = backend;
	*out = bus;
	return 0;
}

SDRV_PUBLIC int sdrv_xenbus_bus_register(struct sdrv_xenbus_bus *bus,
					 const struct sdrv_xenbus_driver *drv)
{
	struct bus_driver *bd;
	struct strbuf b;
	int err;

	for (unsigned i = 0; i < bus->nr_drivers; i++)
		if (str_eq(bus->drivers[i].drv->type, drv->type))
			return -SDRV_EEXIST;
	if (bus->nr_drivers == SDRV_XENBUS_MAX_DRIVERS)
		return -SDRV_ENOSPC;
	if (!drv->probe || xs_strnlen(drv->type, 16) >= 16)
		return -SDRV_EINVAL;
	bd = &bus->drivers[bus->nr_drivers];
	bd->bus = bus;
	bd->drv = drv;
	b = strbuf_at(bd->dir, sizeof(bd->dir));
	put_str(&b, "/local/domain/");
	put_uint(&b, bus->self);
	put_str(&b, bus->backend ? "/backend/" : "/device/");
	put_str(&b, drv->type);
	if (b.err)
		return b.err;
	b = strbuf_at(bd->token, sizeof(bd->token));
	put_str(&b, "xb-bus-");
	put_str(&b, drv->type);
	if (b.err)
		return b.err;
	/* The watch fires once at once: that first event scans. */
	err = sdrv_xs_watch(bus->xs, bd->dir, bd->token, on_dir_event, bd);
	if (err)
		return err;
	bus->nr_drivers++;
	return 0;
}

SDRV_PUBLIC int sdrv_xenbus_bus_fd(struct sdrv_xenbus_bus *bus)
{
	return sdrv_xs_fd(bus->xs);
}

SDRV_PUBLIC int sdrv_xenbus_bus_timeout_ms(struct sdrv_xenbus_bus *bus)
{
	return sdrv_xs_timeout_ms(bus->xs);
}

SDRV_PUBLIC int sdrv_xenbus_bus_dispatch(struct sdrv_xenbus_bus *bus)
{
	return sdrv_xs_dispatch(bus->xs);
}

SDRV_PUBLIC struct sdrv_xenbus_device *
sdrv_xenbus_bus_devices(struct sdrv_xenbus_bus *bus)
{
	return bus->devices;
}

SDRV_PUBLIC void sdrv_xenbus_bus_close(struct sdrv_xenbus_bus *bus)
{
	if (!bus)
		return;
	for (unsigned i = 0; i < bus->nr_drivers; i++)
		sdrv_xs_unwatch(bus->xs, bus->drivers[i].dir,
				bus->drivers[i].token);
	while (bus->devices)
		remove_device(bus, bus->devices);
	sdrv_page_free(bus->p, bus->scratch);
	sdrv_page_free(bus->p, bus);
}

SDRV_PUBLIC int sdrv_xenbus_device_fail(struct sdrv_xenbus_device *dev,
					int err, const char *why)
{
	char msg[160];
	struct strbuf b = strbuf_at(msg, sizeof(msg));

	put_str(&b, sdrv_xs_errname(err));
	put_str(&b, " ");
	put_str(&b, why);
	if (b.err) /* too long: the reason alone, cut */
		msg[sizeof(msg) - 1] = '\0';
	sdrv_xenbus_write_str(&dev->xb, 0, "error", msg);
	sdrv_xenbus_switch_state(&dev->xb, SDRV_XENBUS_CLOSING);
	return err;
}

SDRV_PUBLIC bool sdrv_xenbus_backend_probe_stale(struct sdrv_xenbus_device *dev)
{
	int ours = sdrv_xenbus_read_state(&dev->xb, false);

	return ours == SDRV_XENBUS_CONNECTED || ours == SDRV_XENBUS_CLOSING;
}

SDRV_PUBLIC void sdrv_xenbus_backend_follow(
	struct sdrv_xenbus_device *dev, int state, bool *stale,
	const struct sdrv_xenbus_backend_ops *ops)
{
	int ours = sdrv_xenbus_read_state(&dev->xb, false);

	if (state != SDRV_XENBUS_CONNECTED)
		*stale = false;
	switch (state) {
	case SDRV_XENBUS_INITIALISING:
		/* A frontend coming back after it closed, or after we closed
		 * on it: its Closed may never be seen, when it comes back at
		 * once (a watch reads the state as it is by then), and one
		 * that skips it is starting over all the same.  Whatever it
		 * left is let go of first. */
		if (ours == SDRV_XENBUS_CLOSING) {
			ops->disconnect(dev);
			ours = SDRV_XENBUS_CLOSED;
		}
		if (ours == SDRV_XENBUS_CLOSED)
			sdrv_xenbus_switch_state(&dev->xb, SDRV_XENBUS_INIT_WAIT);
		break;
	case SDRV_XENBUS_INITIALISED:
	case SDRV_XENBUS_CONNECTED:
		if (ours == SDRV_XENBUS_CONNECTED || ops->connected(dev) || *stale)
			break;
		if (ours == SDRV_XENBUS_CLOSED)
			sdrv_xenbus_switch_state(&dev->xb, SDRV_XENBUS_INIT_WAIT);
		ops->connect(dev);
		break;
	case SDRV_XENBUS_CLOSING:
		ops->disconnect(dev);
		sdrv_xenbus_switch_state(&dev->xb, SDRV_XENBUS_CLOSING);
		break;
	default:
		/* Gone, or garbage in its state: let go of its rings. */
		ops->disconnect(dev);
		sdrv_xenbus_switch_state(&dev->xb, SDRV_XENBUS_CLOSED);
		break;
	}
}
