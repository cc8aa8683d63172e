/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/blkfront.h - a guest's virtual block device: the blkif frontend.
 *
 * sdrv_blkfront_open() does the XenBus handshake with the backend named
 * in the device's XenStore directory and negotiates down to what both
 * offer: multi-page rings, multi-queue and indirect segments when the
 * backend offers them, else plain 11-segment requests on a one-page ring
 * (as older Xen backends).  Then the caller submits requests on buffers of
 * its own domain memory (sdrv_page_alloc()/sdrv_pages_alloc()), each
 * 512-byte aligned; every page of a buffer is granted to the backend for
 * the life of its request, read-only for writes.
 *
 * The backend may die and be restarted: when it leaves Connected (a new
 * backend process waits in InitWait; a closing one says Closing), the
 * device connects again on new rings and sends every request that was not
 * answered once more, with its pages still granted.  No answered request
 * is sent twice; the caller sees nothing but the wait.  This happens in
 * sdrv_blkfront_complete(); sdrv_blkfront_wait() notices it, asking
 * XenStore at most every 100 ms while requests wait.
 *
 * The backend is hostile: a response with an id not in flight, one
 * answered twice, or ring indices that lie break the device
 * (sdrv_blkfront_broken() says why); requests in flight then complete
 * with -SDRV_EIO, none twice.  Other devices are untouched.
 *
 * Freestanding: memory from the platform, no libc.  One thread drives a
 * device.
 */
#ifndef SPLITDRV_BLKFRONT_H
#define SPLITDRV_BLKFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitdrv/blkif.h>
#include <splitdrv/common.h>
#include <splitdrv/xs.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sdrv_platform;
struct sdrv_blkfront;

/* What we ask for; the backend's offer caps each.  Zeroes: defaults. */
struct sdrv_blkfront_config {
	unsigned ring_order; /* 2^order ring pages (default: the most offered, up to 3) */
	unsigned nr_queues; /* default 1 */
	unsigned max_indirect; /* segments per indirect request (default 32; 0 is off) */
	bool no_features; /* ask for none of the optional features */
	int timeout_ms; /* for the handshake (default 10000) */
};

/* What was agreed. */
struct sdrv_blkfront_info {
	uint64_t sectors; /* 512-byte sectors */
	unsigned sector_size; /* logical */
	unsigned physical_sector_size;
	bool readonly;
	bool flush; /* feature-flush-cache */
	bool barrier;
	bool discard;
	unsigned ring_order;
	unsigned nr_queues;
	unsigned max_segments; /* per request: 11, or the indirect maximum */
	unsigned ring_slots; /* per queue */
	uint32_t max_request_bytes; /* max_segments pages, for aligned buffers */
	unsigned reconnects; /* times the backend came back */
	unsigned reissued; /* requests sent again on a new ring */
};

/* One request.  The caller's storage until it completes. */
struct sdrv_blkfront_req {
	uint8_t operation; /* SDRV_BLKIF_OP_READ, _WRITE, _FLUSH_DISKCACHE, _DISCARD */
	uint64_t sector; /* 512-byte units */
	void *buf; /* our domain's memory, 512-aligned; NULL for flush */
	uint32_t len; /* bytes, a multiple of 512 (discard: the extent) */
	void *cookie; /* the caller's */
	int status; /* out: 0, -SDRV_EIO (backend said error or broke),
		     * -SDRV_EOPNOTSUPP */
};

/**
 * sdrv_blkfront_open() - connect vbd @devid of this domain.
 * Return: 0 and *@out; -SDRV_ENOENT (no such device), -SDRV_ETIMEDOUT
 * (the backend did not answer), -SDRV_EPROTO (its keys are garbage: the
 * reason is in our "error" key), -SDRV_ENOMEM.
 */
SDRV_PUBLIC int sdrv_blkfront_open(struct sdrv_platform *p, struct sdrv_xs *xs,
				   uint32_t devid,
				   const struct sdrv_blkfront_config *cfg,
				   struct sdrv_blkfront **out);

/* Close: Closing, wait for the backend to let go (bounded), Closed, end
 * every grant.  Requests in flight complete -SDRV_EIO first (poll them
 * before closing to have them).  Accepts NULL. */
SDRV_PUBLIC void sdrv_blkfront_close(struct sdrv_blkfront *bf);

SDRV_PUBLIC const struct sdrv_blkfront_info *
sdrv_blkfront_info(const struct sdrv_blkfront *bf);

/**
 * sdrv_blkfront_submit() - queue @req (not yet visible to the backend:
 * sdrv_blkfront_kick() publishes a batch).
 * Return: 0; -SDRV_EAGAIN (ring full: complete some first); -SDRV_EINVAL
 * (bad alignment, length, or not our memory); -SDRV_E2BIG (more than
 * max_request_bytes); -SDRV_EROFS; -SDRV_EOPNOTSUPP (not offered);
 * -SDRV_EIO (broken).
 */
SDRV_PUBLIC int sdrv_blkfront_submit(struct sdrv_blkfront *bf,
				     struct sdrv_blkfront_req *req);

/* Publish what was submitted and notify the backend if it asked. */
SDRV_PUBLIC void sdrv_blkfront_kick(struct sdrv_blkfront *bf);

/**
 * sdrv_blkfront_complete() - take up to @max completed requests (their
 * status set) without waiting.  Return: how many.
 */
SDRV_PUBLIC unsigned sdrv_blkfront_complete(struct sdrv_blkfront *bf,
					    struct sdrv_blkfront_req **done,
					    unsigned max);

/**
 * sdrv_blkfront_wait() - sleep until the backend signals (or @timeout_ms,
 * -1 forever).  Return: 1 signalled or the backend left (call
 * sdrv_blkfront_complete(), which reconnects), 0 timeout, -errno.
 */
SDRV_PUBLIC int sdrv_blkfront_wait(struct sdrv_blkfront *bf, int timeout_ms);

/* Requests submitted and not yet completed. */
SDRV_PUBLIC unsigned sdrv_blkfront_in_flight(const struct sdrv_blkfront *bf);

/* Why the device broke, or NULL while it works. */
SDRV_PUBLIC const char *sdrv_blkfront_broken(const struct sdrv_blkfront *bf);

#ifdef __cplusplus
}
#endif

#endif /* SPLITDRV_BLKFRONT_H */
