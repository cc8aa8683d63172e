/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/xenbus.h - how a frontend and a backend meet in XenStore.
 *
 * Keys (Xen's, docs/misc/xenstore-paths):
 *   frontend: /local/domain/<F>/device/<type>/<id>/
 *               backend      path of the backend directory
 *               backend-id   <B>
 *               state        enum sdrv_xenbus_state
 *               <feature keys and ring refs the frontend publishes>
 *   backend:  /local/domain/<B>/backend/<type>/<F>/<id>/
 *               frontend     path of the frontend directory
 *               frontend-id  <F>
 *               online       1
 *               state        enum sdrv_xenbus_state
 *               feature-*    what the backend offers ("1" = yes)
 *
 * State machine (each side writes its own "state", watches the peer's):
 *
 *   Initialising -> InitWait        backend: features published
 *   Initialising -> Initialised     frontend: rings granted, keys written
 *   InitWait/Initialised -> Connected   once the peer's keys are read
 *   Connected -> Closing -> Closed  either side tears down
 *
 * Freestanding: only the XenStore client (xs.h).
 */
#ifndef SPLITDRV_XENBUS_H
#define SPLITDRV_XENBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitdrv/common.h>
#include <splitdrv/xs.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sdrv_xenbus_state {
	SDRV_XENBUS_UNKNOWN = 0,
	SDRV_XENBUS_INITIALISING = 1,
	SDRV_XENBUS_INIT_WAIT = 2,
	SDRV_XENBUS_INITIALISED = 3,
	SDRV_XENBUS_CONNECTED = 4,
	SDRV_XENBUS_CLOSING = 5,
	SDRV_XENBUS_CLOSED = 6,
	SDRV_XENBUS_RECONFIGURING = 7,
	SDRV_XENBUS_RECONFIGURED = 8,
};

/* "Connected" for a state, "invalid" for anything else. */
SDRV_PUBLIC const char *sdrv_xenbus_state_name(int state);

#define SDRV_XENBUS_PATH_MAX 128

/* One side of one device. */
struct sdrv_xenbus_dev {
	struct sdrv_xs *xs;
	bool backend; /* which side we are */
	char type[16]; /* "vif", "vbd" */
	uint32_t devid;
	sdrv_domid_t frontend_domid, backend_domid;
	char own[SDRV_XENBUS_PATH_MAX]; /* our directory */
	char peer[SDRV_XENBUS_PATH_MAX]; /* the other side's */
	char watch_token[32];
};

/* The two directories of a device, as the toolstack lays them out.
 * Return: the length, or -SDRV_ERANGE. */
SDRV_PUBLIC int sdrv_xenbus_frontend_path(char *buf, size_t len,
					  sdrv_domid_t frontend,
					  const char *type, uint32_t devid);
SDRV_PUBLIC int sdrv_xenbus_backend_path(char *buf, size_t len,
					 sdrv_domid_t backend,
					 sdrv_domid_t frontend,
					 const char *type, uint32_t devid);

/**
 * sdrv_xenbus_device_create() - the toolstack's part: write both
 * directories (frontend owned by the frontend domain and readable by the
 * backend, backend the other way round), both states Initialising, in one
 * transaction.  Return: 0 or -errno.
 */
SDRV_PUBLIC int sdrv_xenbus_device_create(struct sdrv_xs *xs,
					  sdrv_domid_t backend,
					  sdrv_domid_t frontend,
					  const char *type, uint32_t devid);
/* The same, with the device's own keys written in the same transaction
 * (so that a driver probing it sees them all): NULL-terminated lists of
 * key, value pairs for each side; either list may be NULL. */
SDRV_PUBLIC int sdrv_xenbus_device_create_with(
	struct sdrv_xs *xs, sdrv_domid_t backend, sdrv_domid_t frontend,
	const char *type, uint32_t devid, const char *const *front_keys,
	const char *const *back_keys);
/* Remove both directories. */
SDRV_PUBLIC int sdrv_xenbus_device_destroy(struct sdrv_xs *xs,
					   sdrv_domid_t backend,
					   sdrv_domid_t frontend,
					   const char *type, uint32_t devid);

/**
 * sdrv_xenbus_attach() - become one side of a device: find our directory,
 * read the peer's path and id from it (a frontend trusts only what its own
 * directory says), and watch the peer's state.
 * @peer_domid: for a backend, the frontend's domid; ignored for a frontend.
 * Return: 0, -SDRV_ENOENT (no such device), -SDRV_EINVAL (bad keys).
 */
SDRV_PUBLIC int sdrv_xenbus_attach(struct sdrv_xenbus_dev *dev,
				   struct sdrv_xs *xs, bool backend,
				   sdrv_domid_t self, sdrv_domid_t peer_domid,
				   const char *type, uint32_t devid);
SDRV_PUBLIC void sdrv_xenbus_detach(struct sdrv_xenbus_dev *dev);

/* Write our state.  Return: 0 or -errno. */
SDRV_PUBLIC int sdrv_xenbus_switch_state(struct sdrv_xenbus_dev *dev,
					 enum sdrv_xenbus_state state);
/* Read a side's state (UNKNOWN when missing or garbage: the peer may
 * write anything). */
SDRV_PUBLIC int sdrv_xenbus_read_state(struct sdrv_xenbus_dev *dev,
				       bool peer);
/**
 * sdrv_xenbus_wait_peer_state() - wait until the peer's state is one of
 * @mask (bit 1 << state), up to @timeout_ms (-1: forever).
 * Return: the state, -SDRV_ETIMEDOUT, or -errno.
 */
SDRV_PUBLIC int sdrv_xenbus_wait_peer_state(struct sdrv_xenbus_dev *dev,
					    uint32_t mask, int timeout_ms);

/* Keys relative to our or the peer's directory. */
SDRV_PUBLIC int sdrv_xenbus_write_uint(struct sdrv_xenbus_dev *dev,
				       uint32_t tx, const char *key,
				       uint64_t value);
SDRV_PUBLIC int sdrv_xenbus_read_uint(struct sdrv_xenbus_dev *dev, bool peer,
				      const char *key, uint64_t *value);
/* A feature flag: 1 when the key reads "1", 0 when missing or "0",
 * -SDRV_EINVAL for anything else. */
SDRV_PUBLIC int sdrv_xenbus_read_feature(struct sdrv_xenbus_dev *dev,
					 bool peer, const char *feature);
SDRV_PUBLIC int sdrv_xenbus_write_feature(struct sdrv_xenbus_dev *dev,
					  const char *feature, bool on);

/* ---- keys read with bounds -------------------------------------------- */

/**
 * sdrv_xenbus_read_bounded() - a number the peer (or our own directory)
 * holds, refused unless it lies in [@min, @max]; missing: @dflt, or
 * -SDRV_ENOENT when @dflt is SDRV_XENBUS_REQUIRED.
 * Return: 0 and *@value, -SDRV_ERANGE (out of bounds), -SDRV_EINVAL
 * (not a number), -errno.
 */
#define SDRV_XENBUS_REQUIRED UINT64_MAX
SDRV_PUBLIC int sdrv_xenbus_read_bounded(struct sdrv_xenbus_dev *dev,
					 bool peer, const char *key,
					 uint64_t min, uint64_t max,
					 uint64_t dflt, uint64_t *value);

/* A string key of ours or the peer's into @buf (NUL-terminated).
 * Return: its length, -SDRV_ERANGE when it does not fit, -errno. */
SDRV_PUBLIC int sdrv_xenbus_read_str(struct sdrv_xenbus_dev *dev, bool peer,
				     const char *key, char *buf, size_t len);
/* Remove one of our keys (and what is below it); missing is fine. */
SDRV_PUBLIC int sdrv_xenbus_remove_key(struct sdrv_xenbus_dev *dev,
				       uint32_t tx, const char *key);
SDRV_PUBLIC int sdrv_xenbus_write_str(struct sdrv_xenbus_dev *dev,
				      uint32_t tx, const char *key,
				      const char *value);

#ifdef __cplusplus
}
#endif

#endif
