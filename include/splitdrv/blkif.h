/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/blkif.h - the Xen block device protocol (blkif): wire structures
 * and the typed ring.  Layouts equal Xen's <xen/io/blkif.h>, proven in
 * tests/ring/test-abi-xen.c.
 *
 * XenStore (blkfront and blkback issues build on these):
 *   frontend /local/domain/<D>/device/vbd/<id>/
 *     ring-ref | ring-ref<N> (with ring-page-order), event-channel,
 *     protocol ("x86_64-abi"), state, feature-persistent
 *   backend  /local/domain/0/backend/vbd/<D>/<id>/
 *     sectors, sector-size, info, state, max-ring-page-order,
 *     feature-flush-cache, feature-discard, feature-max-indirect-segments
 *
 * XenBus states: Initialising -> InitWait (back) -> Initialised (front) ->
 * Connected -> Closing -> Closed.
 *
 * A request's slot holds one of: sdrv_blkif_request (read, write, flush),
 * sdrv_blkif_request_discard, sdrv_blkif_request_indirect.
 */
#ifndef SPLITDRV_BLKIF_H
#define SPLITDRV_BLKIF_H

#include <splitdrv/common.h>
#include <splitdrv/ring.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SDRV_BLKIF_OP_READ 0
#define SDRV_BLKIF_OP_WRITE 1
#define SDRV_BLKIF_OP_WRITE_BARRIER 2
#define SDRV_BLKIF_OP_FLUSH_DISKCACHE 3
#define SDRV_BLKIF_OP_DISCARD 5
#define SDRV_BLKIF_OP_INDIRECT 6

#define SDRV_BLKIF_RSP_EOPNOTSUPP (-2)
#define SDRV_BLKIF_RSP_ERROR (-1)
#define SDRV_BLKIF_RSP_OKAY 0

/* Segments in a direct request: what fits 32 requests in one page. */
#define SDRV_BLKIF_MAX_SEGMENTS 11
#define SDRV_BLKIF_MAX_INDIRECT_PAGES 8
#define SDRV_BLKIF_SECTOR_SIZE 512u

/* One granted page and the sectors [first_sect, last_sect] used in it. */
struct sdrv_blkif_segment {
	uint32_t gref;
	uint8_t first_sect;
	uint8_t last_sect;
};

struct sdrv_blkif_request {
	uint8_t operation;
	uint8_t nr_segments;
	uint16_t handle; /* virtual device */
	uint64_t id; /* the front's cookie, echoed in the response */
	uint64_t sector_number;
	struct sdrv_blkif_segment seg[SDRV_BLKIF_MAX_SEGMENTS];
};

struct sdrv_blkif_request_discard {
	uint8_t operation;
	uint8_t flag; /* bit 0: secure discard */
	uint16_t handle;
	uint64_t id;
	uint64_t sector_number;
	uint64_t nr_sectors;
};

struct sdrv_blkif_request_indirect {
	uint8_t operation; /* SDRV_BLKIF_OP_INDIRECT */
	uint8_t indirect_op; /* read or write */
	uint16_t nr_segments;
	uint64_t id;
	uint64_t sector_number;
	uint16_t handle;
	uint32_t indirect_grefs[SDRV_BLKIF_MAX_INDIRECT_PAGES];
};

struct sdrv_blkif_response {
	uint64_t id;
	uint8_t operation;
	int16_t status; /* SDRV_BLKIF_RSP_* */
};

SDRV_STATIC_ASSERT(sizeof(struct sdrv_blkif_segment) == 8, "blkif segment");
SDRV_STATIC_ASSERT(sizeof(struct sdrv_blkif_request) == 112, "blkif request");
SDRV_STATIC_ASSERT(sizeof(struct sdrv_blkif_response) == 16, "blkif response");

SDRV_RING_DEFINE(sdrv_blkif, struct sdrv_blkif_request,
		 struct sdrv_blkif_response);

#ifdef __cplusplus
}
#endif

#endif /* SPLITDRV_BLKIF_H */
