/* SPDX-License-Identifier: MIT */
/*
 * XenBus helpers: device paths, the toolstack's device directories, the
 * state machine, feature keys.  Freestanding.
 *
 * Everything the peer wrote is checked: its state must be a number in
 * range, its paths must fit, its feature flags must be "0" or "1".
 */
#include <splitdrv/xenbus.h>

#include "wire.h"
#include "xenbus_internal.h"

SDRV_PUBLIC const char *sdrv_xenbus_state_name(int state)
{
	static const char *const names[] = {
		"Unknown",    "Initialising", "InitWait",
		"Initialised", "Connected",   "Closing",
		"Closed",     "Reconfiguring", "Reconfigured",
	};

	if (state < 0 || state >= (int)(sizeof(names) / sizeof(names[0])))
		return "invalid";
	return names[state];
}

SDRV_PUBLIC int sdrv_xenbus_frontend_path(char *buf, size_t len,
					  sdrv_domid_t frontend,
					  const char *type, uint32_t devid)
{
	struct strbuf b = strbuf_at(buf, len);

	put_str(&b, "/local/domain/");
	put_uint(&b, frontend);
	put_str(&b, "/device/");
	put_str(&b, type);
	put_str(&b, "/");
	put_uint(&b, devid);
	return strbuf_done(&b);
}

SDRV_PUBLIC int sdrv_xenbus_backend_path(char *buf, size_t len,
					 sdrv_domid_t backend,
					 sdrv_domid_t frontend,
					 const char *type, uint32_t devid)
{
	struct strbuf b = strbuf_at(buf, len);

	put_str(&b, "/local/domain/");
	put_uint(&b, backend);
	put_str(&b, "/backend/");
	put_str(&b, type);
	put_str(&b, "/");
	put_uint(&b, frontend);
	put_str(&b, "/");
	put_uint(&b, devid);
	return strbuf_done(&b);
}

/* Both directories of a device (SDRV_XENBUS_PATH_MAX bytes each). */
static int device_paths(char *front, char *back, sdrv_domid_t backend,
			sdrv_domid_t frontend, const char *type,
			uint32_t devid)
{
	int err = sdrv_xenbus_frontend_path(front, SDRV_XENBUS_PATH_MAX,
					    frontend, type, devid);

	if (err >= 0)
		err = sdrv_xenbus_backend_path(back, SDRV_XENBUS_PATH_MAX,
					       backend, frontend, type, devid);
	return err < 0 ? err : 0;
}

struct create_args {
	const char *front, *back;
	sdrv_domid_t backend, frontend;
	const char *const *front_keys, *const *back_keys;
};

static int write_key(struct sdrv_xs *xs, uint32_t tx, const char *dir,
		     const char *key, const char *value)
{
	char path[SDRV_XENBUS_PATH_MAX + 32];
	int err = key_path(path, sizeof(path), dir, key);

	return err ? err : sdrv_xs_write_str(xs, tx, path, value);
}

static int write_key_uint(struct sdrv_xs *xs, uint32_t tx, const char *dir,
			  const char *key, uint64_t value)
{
	char num[24];

	xs_format_uint(value, num);
	return write_key(xs, tx, dir, key, num);
}

/* Hand the @levels directories above @dir (which exists) to @owner: a
 * domain's "device" and "backend" trees are its own. */
static int own_parents(struct sdrv_xs *xs, uint32_t tx, const char *dir,
		       unsigned levels, sdrv_domid_t owner)
{
	char path[SDRV_XENBUS_PATH_MAX];
	struct sdrv_xs_perm perm = { owner, SDRV_XS_PERM_NONE };
	size_t len = xs_strnlen(dir, sizeof(path));
	int err = 0;

	if (len >= sizeof(path))
		return -SDRV_ERANGE;
	sdrv_copy(path, dir, len + 1);
	while (levels-- && !err) {
		while (len && path[len] != '/')
			len--;
		path[len] = '\0';
		err = sdrv_xs_set_perms(xs, tx, path, &perm, 1);
	}
	return err;
}

static int create_body(struct sdrv_xs *xs, uint32_t tx, void *arg)
{
	const struct create_args *a = arg;
	/* Each side owns its directory; the other may read it. */
	struct sdrv_xs_perm front_perms[2] = {
		{ a->frontend, SDRV_XS_PERM_NONE },
		{ a->backend, SDRV_XS_PERM_READ },
	};
	struct sdrv_xs_perm back_perms[2] = {
		{ a->backend, SDRV_XS_PERM_NONE },
		{ a->frontend, SDRV_XS_PERM_READ },
	};
	int err;

	err = sdrv_xs_mkdir(xs, tx, a->front);
	if (!err) /* .../device/<type> and .../device */
		err = own_parents(xs, tx, a->front, 2, a->frontend);
	if (!err)
		err = sdrv_xs_set_perms(xs, tx, a->front, front_perms, 2);
	if (!err)
		err = sdrv_xs_mkdir(xs, tx, a->back);
	if (!err) /* .../backend/<type>/<F>, .../backend/<type>, .../backend */
		err = own_parents(xs, tx, a->back, 3, a->backend);
	if (!err)
		err = sdrv_xs_set_perms(xs, tx, a->back, back_perms, 2);
	if (!err)
		err = write_key(xs, tx, a->front, "backend", a->back);
	if (!err)
		err = write_key_uint(xs, tx, a->front, "backend-id", a->backend);
	if (!err)
		err = write_key_uint(xs, tx, a->front, "state",
				     SDRV_XENBUS_INITIALISING);
	if (!err)
		err = write_key(xs, tx, a->back, "frontend", a->front);
	if (!err)
		err = write_key_uint(xs, tx, a->back, "frontend-id", a->frontend);
	if (!err)
		err = write_key(xs, tx, a->back, "online", "1");
	if (!err)
		err = write_key_uint(xs, tx, a->back, "state",
				     SDRV_XENBUS_INITIALISING);
	for (const char *const *k = a->front_keys; !err && k && k[0]; k += 2)
		err = write_key(xs, tx, a->front, k[0], k[1]);
	for (const char *const *k = a->back_keys; !err && k && k[0]; k += 2)
		err = write_key(xs, tx, a->back, k[0], k[1]);
	return err;
}

SDRV_PUBLIC int sdrv_xenbus_device_create(struct sdrv_xs *xs,
					  sdrv_domid_t backend,
					  sdrv_domid_t frontend,
					  const char *type, uint32_t devid)
{
	return sdrv_xenbus_device_create_with(xs, backend, frontend, type,
					      devid, NULL, NULL);
}

SDRV_PUBLIC int sdrv_xenbus_device_create_with(
	struct sdrv_xs *xs, sdrv_domid_t backend, sdrv_domid_t frontend,
	const char *type, uint32_t devid, const char *const *front_keys,
	const char *const *back_keys)
{
	char front[SDRV_XENBUS_PATH_MAX], back[SDRV_XENBUS_PATH_MAX];
	struct create_args a = { front, back, backend, frontend, front_keys,
				 back_keys };
	int err = device_paths(front, back, backend, frontend, type, devid);

	if (err)
		return err;
	err = sdrv_xs_transaction_run(xs, create_body, &a, 16);
	return err < 0 ? err : 0;
}

SDRV_PUBLIC int sdrv_xenbus_device_destroy(struct sdrv_xs *xs,
					   sdrv_domid_t backend,
					   sdrv_domid_t frontend,
					   const char *type, uint32_t devid)
{
	char front[SDRV_XENBUS_PATH_MAX], back[SDRV_XENBUS_PATH_MAX];
	int err = device_paths(front, back, backend, frontend, type, devid);

	if (err)
		return err;
	err = sdrv_xs_rm(xs, 0, front);
	if (!err || err == -SDRV_ENOENT)
		err = sdrv_xs_rm(xs, 0, back);
	return err == -SDRV_ENOENT ? 0 : err;
}

SDRV_PUBLIC int sdrv_xenbus_attach(struct sdrv_xenbus_dev *dev,
				   struct sdrv_xs *xs, bool backend,
				   sdrv_domid_t self, sdrv_domid_t peer_domid,
				   const char *type, uint32_t devid)
{
	return xenbus_attach_watch(dev, xs, backend, self, peer_domid, type,
				   devid, NULL, NULL);
}

int xenbus_attach_watch(struct sdrv_xenbus_dev *dev, struct sdrv_xs *xs,
			bool backend, sdrv_domid_t self,
			sdrv_domid_t peer_domid, const char *type,
			uint32_t devid, sdrv_xs_watch_fn fn, void *arg)
{
	char key[SDRV_XENBUS_PATH_MAX + 32];
	uint64_t id;
	size_t tlen = xs_strnlen(type, sizeof(dev->type));
	int r;

	if (tlen == 0 || tlen >= sizeof(dev->type))
		return -SDRV_EINVAL;
	/* Field by field: a struct assignment may become a memset call,
	 * which a freestanding guest need not have. */
	dev->xs = xs;
	dev->backend = backend;
	dev->devid = devid;
	dev->own[0] = dev->peer[0] = dev->watch_token[0] = '\0';
	sdrv_copy(dev->type, type, tlen + 1);
	if (backend) {
		dev->backend_domid = self;
		dev->frontend_domid = peer_domid;
		r = sdrv_xenbus_backend_path(dev->own, sizeof(dev->own), self,
					     peer_domid, type, devid);
	} else {
		dev->frontend_domid = self;
		r = sdrv_xenbus_frontend_path(dev->own, sizeof(dev->own), self,
					      type, devid);
	}
	if (r < 0)
		return r;
	/* The peer's path and id, from our own directory. */
	r = key_path(key, sizeof(key), dev->own,
		     backend ? "frontend" : "backend");
	if (!r)
		r = sdrv_xs_read(xs, 0, key, dev->peer, sizeof(dev->peer));
	if (r < 0)
		return r;
	if ((size_t)r >= sizeof(dev->peer) || r == 0 || dev->peer[0] != '/')
		return -SDRV_EINVAL;
	r = key_path(key, sizeof(key), dev->own,
		     backend ? "frontend-id" : "backend-id");
	if (!r)
		r = sdrv_xs_read_uint(xs, 0, key, &id);
	if (r < 0)
		return r;
	if (id >= SDRV_DOMID_FIRST_RESERVED ||
	    (backend && id != peer_domid))
		return -SDRV_EINVAL;
	if (!backend)
		dev->backend_domid = (sdrv_domid_t)id;
	/* Watch the peer's state; the token names the device. */
	{
		struct strbuf b = strbuf_at(dev->watch_token,
					    sizeof(dev->watch_token));

		put_str(&b, backend ? "xb-back-" : "xb-front-");
		put_str(&b, type);
		put_str(&b, "-");
		if (backend) {
			put_uint(&b, peer_domid);
			put_str(&b, "-");
		}
		put_uint(&b, devid);
		if (b.err)
			return b.err;
	}
	r = key_path(key, sizeof(key), dev->peer, "state");
	if (!r)
		r = sdrv_xs_watch(xs, key, dev->watch_token, fn, arg);
	return r;
}

SDRV_PUBLIC void sdrv_xenbus_detach(struct sdrv_xenbus_dev *dev)
{
	char key[SDRV_XENBUS_PATH_MAX + 32];

	if (!dev->xs)
		return;
	if (!key_path(key, sizeof(key), dev->peer, "state"))
		sdrv_xs_unwatch(dev->xs, key, dev->watch_token);
	dev->xs = NULL;
}

SDRV_PUBLIC int sdrv_xenbus_switch_state(struct sdrv_xenbus_dev *dev,
					 enum sdrv_xenbus_state state)
{
	return write_key_uint(dev->xs, 0, dev->own, "state", (uint64_t)state);
}

SDRV_PUBLIC int sdrv_xenbus_read_state(struct sdrv_xenbus_dev *dev, bool peer)
{
	uint64_t v;

	if (sdrv_xenbus_read_uint(dev, peer, "state", &v) ||
	    v > SDRV_XENBUS_RECONFIGURED)
		return SDRV_XENBUS_UNKNOWN;
	return (int)v;
}

SDRV_PUBLIC int sdrv_xenbus_wait_peer_state(struct sdrv_xenbus_dev *dev,
					    uint32_t mask, int timeout_ms)
{
	for (;;) {
		struct sdrv_xs_event ev;
		int state = sdrv_xenbus_read_state(dev, true), r;

		if (mask & (1u << state))
			return state;
		/* Our watch fires on every change of the peer's state;
		 * the timeout restarts with each event (a bound, not a
		 * deadline, without a clock in freestanding code). */
		r = sdrv_xs_next_event(dev->xs, &ev, timeout_ms);
		if (r < 0)
			return r;
		if (r == 0)
			return -SDRV_ETIMEDOUT;
	}
}

SDRV_PUBLIC int sdrv_xenbus_write_uint(struct sdrv_xenbus_dev *dev,
				       uint32_t tx, const char *key,
				       uint64_t value)
{
	return write_key_uint(dev->xs, tx, dev->own, key, value);
}

SDRV_PUBLIC int sdrv_xenbus_read_uint(struct sdrv_xenbus_dev *dev, bool peer,
				      const char *key, uint64_t *value)
{
	char path[SDRV_XENBUS_PATH_MAX + 64];
	int err = key_path(path, sizeof(path), peer ? dev->peer : dev->own,
			   key);

	return err ? err : sdrv_xs_read_uint(dev->xs, 0, path, value);
}

SDRV_PUBLIC int sdrv_xenbus_read_feature(struct sdrv_xenbus_dev *dev,
					 bool peer, const char *feature)
{
	uint64_t v;
	int err = sdrv_xenbus_read_uint(dev, peer, feature, &v);

	if (err == -SDRV_ENOENT)
		return 0;
	if (err)
		return err;
	return v <= 1 ? (int)v : -SDRV_EINVAL;
}

SDRV_PUBLIC int sdrv_xenbus_write_feature(struct sdrv_xenbus_dev *dev,
					  const char *feature, bool on)
{
	return write_key(dev->xs, 0, dev->own, feature, on ? "1" : "0");
}

SDRV_PUBLIC int sdrv_xenbus_read_str(struct sdrv_xenbus_dev *dev, bool peer,
				     const char *key, char *buf, size_t len)
{
	char path[SDRV_XENBUS_PATH_MAX + 64];
	int n = key_path(path, sizeof(path), peer ? dev->peer : dev->own, key);

	if (n)
		return n;
	n = sdrv_xs_read(dev->xs, 0, path, buf, len);
	if (n >= 0 && (size_t)n >= len)
		return -SDRV_ERANGE;
	return n;
}

SDRV_PUBLIC int sdrv_xenbus_write_str(struct sdrv_xenbus_dev *dev,
				      uint32_t tx, const char *key,
				      const char *value)
{
	return write_key(dev->xs, tx, dev->own, key, value);
}

SDRV_PUBLIC int sdrv_xenbus_read_bounded(struct sdrv_xenbus_dev *dev,
					 bool peer, const char *key,
					 uint64_t min, uint64_t max,
					 uint64_t dflt, uint64_t *value)
{
	uint64_t v;
	int err = sdrv_xenbus_read_uint(dev, peer, key, &v);

	if (err == -SDRV_ENOENT && dflt != SDRV_XENBUS_REQUIRED) {
		*value = dflt;
		return 0;
	}
	if (err)
		return err;
	if (v < min || v > max)
		return -SDRV_ERANGE;
	*value = v;
	return 0;
}

SDRV_PUBLIC int sdrv_xenbus_remove_key(struct sdrv_xenbus_dev *dev,
				       uint32_t tx, const char *key)
{
	char path[SDRV_XENBUS_PATH_MAX + 64];
	int err = key_path(path, sizeof(path), dev->own, key);

	if (!err)
		err = sdrv_xs_rm(dev->xs, tx, path);
	return err == -SDRV_ENOENT ? 0 : err;
}
