/* SPDX-License-Identifier: MIT */
/*
 * blkback: the dom0 block backend.  One process serves every vbd of every
 * guest: it registers a XenBus driver for "vbd", opens each device's
 * "params" file, and moves each queue's requests to io_uring.
 *
 *   request.c  a request copied out of the ring -> a checked plan
 *              (struct bb_plan), or the status to answer it with
 *   queue.c    one queue: its ring, event channel, io_uring, bounce pages,
 *              the requests in flight
 *   vbd.c      the XenBus driver: probe, handshake, connect, disconnect
 *   main.c     the program: command line, the event loop, counters
 *
 * Data path: the backend grant-copies a write's segments out of the
 * guest's pages into its own bounce pages, then writes them with io_uring;
 * a read goes into bounce pages and is grant-copied into the guest's pages
 * when it completes.  Copies are batched per ring pass (writes) or per
 * completion pass (reads): on the backend fast path a batch is no message
 * to hv-stub at all.  A grant the guest did not give, gave read-only for a
 * read, or gave to someone else fails its copy, and the request is
 * answered BLKIF_RSP_ERROR.
 */
#ifndef BLKBACK_H
#define BLKBACK_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#include <splitdrv/blkif.h>
#include <splitdrv/platform.h>
#include <splitdrv/xenbus_driver.h>

/* What we offer.  Indirect: 32 segments (Linux's default), one page of
 * segments; rings up to 2^3 pages (256 requests); up to 4 queues. */
#define BB_MAX_INDIRECT_SEGMENTS 32u
#define BB_MAX_SEGMENTS BB_MAX_INDIRECT_SEGMENTS
#define BB_MAX_RING_ORDER 3u
#define BB_MAX_QUEUES 4u
#define BB_SEGS_PER_INDIRECT_PAGE (SDRV_PAGE_SIZE / sizeof(struct sdrv_blkif_segment))

/* ---- request.c --------------------------------------------------------- */

/* The device as the checks see it. */
struct bb_limits {
	uint64_t sectors; /* size in 512-byte sectors */
	bool readonly;
	bool discard; /* feature-discard offered */
	bool discard_secure;
	uint32_t max_indirect; /* 0: indirect not offered */
};

enum bb_kind {
	BB_READ,
	BB_WRITE,
	BB_FLUSH, /* also a barrier without data */
	BB_DISCARD,
};

/* A checked request: what to do, and each segment's grant and bytes. */
struct bb_plan {
	uint64_t id;
	uint8_t operation; /* echoed in the response */
	enum bb_kind kind;
	bool barrier; /* WRITE_BARRIER: after all before, durable before after */
	bool indirect; /* segments still to be fetched (indirect_grefs) */
	bool secure; /* secure discard */
	uint64_t sector; /* 512-byte sectors */
	uint64_t nr_sectors;
	uint32_t nr_segs;
	uint32_t nr_indirect_pages;
	sdrv_grant_ref_t indirect_grefs[SDRV_BLKIF_MAX_INDIRECT_PAGES];
	struct sdrv_blkif_segment seg[BB_MAX_SEGMENTS];
};

/**
 * bb_plan_request() - check one request copied out of the ring.
 * Return: SDRV_BLKIF_RSP_OKAY and *@plan filled (an indirect request's
 * segments come later, through bb_plan_segments()), or the status to
 * answer with: SDRV_BLKIF_RSP_EOPNOTSUPP for an operation not offered,
 * SDRV_BLKIF_RSP_ERROR for anything malformed.  @why names the fault.
 */
int bb_plan_request(const struct sdrv_blkif_request *copy,
		    const struct bb_limits *lim, struct bb_plan *plan,
		    const char **why);

/**
 * bb_plan_segments() - check an indirect request's segments, read from
 * our own copy of its indirect pages (@segs, @plan->nr_segs of them).
 * Return: as bb_plan_request().
 */
int bb_plan_segments(struct bb_plan *plan,
		     const struct sdrv_blkif_segment *segs,
		     const struct bb_limits *lim, const char **why);

/* ---- queue.c ----------------------------------------------------------- */

struct bb_vbd;

/* Counters of one device (all queues). */
struct bb_stats {
	uint64_t rd_req, wr_req, flush_req, discard_req;
	uint64_t rd_sect, wr_sect;
	uint64_t bad_req; /* answered ERROR/EOPNOTSUPP before any I/O */
	uint64_t io_err; /* the file said no */
	uint64_t copy_err; /* a grant copy (or hold) failed */
	uint64_t zero_copy; /* reads and writes done in the guest's pages */
};

struct bb_io; /* a request in flight (queue.c) */

struct bb_queue {
	struct bb_vbd *vbd;
	unsigned index;
	struct sdrv_xenbus_ring ring;
	struct sdrv_ring_back back;
	sdrv_evtchn_port_t port;
	struct io_uring uring;
	int uring_fd; /* eventfd io_uring signals; -1 until set up */
	bool connected;
	bool broken; /* an impossible ring state: this device stops */
	/* Requests in flight, by tag. */
	struct bb_io *ios;
	uint32_t *free_tags;
	uint32_t nr_tags, nr_free_tags;
	/* Bounce pages (our own memory, so that grant copies can name
	 * them): a pool and a stack of free ones. */
	void *pool;
	uint32_t pool_pages;
	uint32_t *free_pages;
	uint32_t nr_free_pages;
	uint32_t inflight; /* I/Os submitted, not reaped */
	/* Requests were taken since the port last fired: a notify whose
	 * requests a completion pass picked up first was not spurious. */
	bool took_since_event;
	/* The I/O goes straight to the guest's held pages (off when the
	 * environment cannot hold grants, or --copy). */
	bool zero_copy;
	/* A request taken but not started for lack of tags or pages. */
	bool have_stalled;
	struct sdrv_blkif_request stalled;
};

/* The queue a port of ours belongs to, or NULL. */
struct bb_queue *bb_queue_of_port(sdrv_evtchn_port_t port);

/* Set up the queue on the ring the frontend granted: map, bind, io_uring.
 * Return: 0 or -errno with the device failed (a one-line reason). */
int bb_queue_connect(struct bb_queue *q, const char *prefix,
		     unsigned max_order);
/* Stop: wait for (or cancel) every I/O in flight, answer nothing more,
 * unmap, unbind.  Idempotent. */
void bb_queue_disconnect(struct bb_queue *q);
/* Take what the ring holds, start it; answer what completed.  Called when
 * the queue's port or io_uring fired.  Return: requests handled. */
unsigned bb_queue_run(struct bb_queue *q);
/* For late EOI when the port fired: whether the event found nothing to
 * do (no request taken since the last time it fired).  Clears the mark. */
bool bb_queue_event_spurious(struct bb_queue *q);

/* ---- vbd.c ------------------------------------------------------------- */

struct bb_options {
	bool buffered; /* no O_DIRECT */
	unsigned max_queues;
	unsigned max_ring_order;
	unsigned pool_pages; /* bounce pages per queue */
	bool copy; /* always copy through bounce pages (no zero copy) */
	int epoll_fd; /* where queues put their descriptors */
	bool verbose;
};

struct bb_vbd {
	struct sdrv_xenbus_device *dev;
	const struct bb_options *opt;
	char name[48]; /* "vbd 1/51712", for messages */
	char params[256];
	int fd;
	bool is_blkdev;
	unsigned sector_size, physical_sector_size;
	struct bb_limits lim;
	unsigned nr_queues;
	/* The frontend says Connected to a backend that died before us: its
	 * rings carry that backend's indices.  We wait for it to see our
	 * InitWait and connect afresh. */
	bool front_stale;
	struct bb_queue queues[BB_MAX_QUEUES];
	struct bb_stats stats;
	struct bb_vbd *next_closed; /* stats of devices gone, kept for exit */
};

/* The "vbd" driver; @opt must outlive the bus. */
void bb_driver_init(const struct bb_options *opt);
extern const struct sdrv_xenbus_driver bb_driver;

/* Every device served now or before, for counters. */
typedef void (*bb_vbd_fn)(const struct bb_vbd *vbd, bool gone, void *arg);
void bb_for_each_vbd(struct sdrv_xenbus_bus *bus, bb_vbd_fn fn, void *arg);
void bb_forget_gone(void);

/* epoll data of a queue's descriptors: the queue, tagged in its low bit
 * as the io_uring (1) or nothing else (the ports come through the
 * platform's own descriptor). */
#define BB_EPOLL_URING 1u

#endif /* BLKBACK_H */
