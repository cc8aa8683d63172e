/* SPDX-License-Identifier: MIT */
/*
 * Checking a request a frontend wrote.  The input is our own copy of the
 * slot (taken once); nothing here reads shared memory.  The rules are
 * Linux blkback's: a segment is sectors [first_sect, last_sect] of one
 * page (last_sect <= 7), a read or write has 1..11 segments (indirect: up
 * to what we offered), every sector lies inside the device (with overflow
 * checked), writes and discards to a read-only device fail, unknown
 * operations get EOPNOTSUPP.
 */
#include "blkback.h"

#include <string.h>

#define SECTORS_PER_PAGE (SDRV_PAGE_SIZE / SDRV_BLKIF_SECTOR_SIZE)

static int refuse(const char **why, const char *what, int status)
{
	*why = what;
	return status;
}

/* The device holds [sector, sector + n). */
static bool inside(const struct bb_limits *lim, uint64_t sector, uint64_t n)
{
	return sector <= lim->sectors && n <= lim->sectors - sector;
}

static int check_segments(struct bb_plan *plan, const struct bb_limits *lim,
			  const char **why)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < plan->nr_segs; i++) {
		const struct sdrv_blkif_segment *s = &plan->seg[i];

		if (s->first_sect > s->last_sect ||
		    s->last_sect >= SECTORS_PER_PAGE)
			return refuse(why, "segment sectors out of the page",
				      SDRV_BLKIF_RSP_ERROR);
		n += (uint64_t)(s->last_sect - s->first_sect) + 1;
	}
	if (!inside(lim, plan->sector, n))
		return refuse(why, "sectors beyond the end of the device",
			      SDRV_BLKIF_RSP_ERROR);
	plan->nr_sectors = n;
	return SDRV_BLKIF_RSP_OKAY;
}

static int plan_rw(const struct sdrv_blkif_request *r,
		   const struct bb_limits *lim, struct bb_plan *plan,
		   const char **why)
{
	plan->kind = r->operation == SDRV_BLKIF_OP_READ ? BB_READ : BB_WRITE;
	plan->barrier = r->operation == SDRV_BLKIF_OP_WRITE_BARRIER;
	plan->sector = r->sector_number;
	if (plan->kind == BB_WRITE && lim->readonly)
		return refuse(why, "write to a read-only device",
			      SDRV_BLKIF_RSP_ERROR);
	if (r->nr_segments == 0) {
		/* A barrier with no data is a flush, as in Linux. */
		if (plan->barrier) {
			plan->kind = BB_FLUSH;
			return SDRV_BLKIF_RSP_OKAY;
		}
		return refuse(why, "no segments", SDRV_BLKIF_RSP_ERROR);
	}
	if (r->nr_segments > SDRV_BLKIF_MAX_SEGMENTS)
		return refuse(why, "more than 11 segments",
			      SDRV_BLKIF_RSP_ERROR);
	plan->nr_segs = r->nr_segments;
	memcpy(plan->seg, r->seg, sizeof(r->seg[0]) * r->nr_segments);
	return check_segments(plan, lim, why);
}

static int plan_discard(const struct sdrv_blkif_request *r,
			const struct bb_limits *lim, struct bb_plan *plan,
			const char **why)
{
	struct sdrv_blkif_request_discard d;

	memcpy(&d, r, sizeof(d));
	if (!lim->discard)
		return refuse(why, "discard not offered",
			      SDRV_BLKIF_RSP_EOPNOTSUPP);
	if (lim->readonly)
		return refuse(why, "discard on a read-only device",
			      SDRV_BLKIF_RSP_ERROR);
	plan->secure = d.flag & 1;
	if (plan->secure && !lim->discard_secure)
		return refuse(why, "secure discard not offered",
			      SDRV_BLKIF_RSP_EOPNOTSUPP);
	if (!inside(lim, d.sector_number, d.nr_sectors))
		return refuse(why, "discard beyond the end of the device",
			      SDRV_BLKIF_RSP_ERROR);
	plan->kind = BB_DISCARD;
	plan->sector = d.sector_number;
	plan->nr_sectors = d.nr_sectors;
	return SDRV_BLKIF_RSP_OKAY;
}

static int plan_indirect(const struct sdrv_blkif_request *r,
			 const struct bb_limits *lim, struct bb_plan *plan,
			 const char **why)
{
	struct sdrv_blkif_request_indirect ind;

	memcpy(&ind, r, sizeof(ind));
	if (!lim->max_indirect)
		return refuse(why, "indirect requests not offered",
			      SDRV_BLKIF_RSP_EOPNOTSUPP);
	if (ind.indirect_op != SDRV_BLKIF_OP_READ &&
	    ind.indirect_op != SDRV_BLKIF_OP_WRITE)
		return refuse(why, "indirect operation neither read nor write",
			      SDRV_BLKIF_RSP_ERROR);
	plan->kind = ind.indirect_op == SDRV_BLKIF_OP_READ ? BB_READ
							    : BB_WRITE;
	if (plan->kind == BB_WRITE && lim->readonly)
		return refuse(why, "write to a read-only device",
			      SDRV_BLKIF_RSP_ERROR);
	if (ind.nr_segments == 0 || ind.nr_segments > lim->max_indirect ||
	    ind.nr_segments > BB_MAX_SEGMENTS)
		return refuse(why, "indirect segment count out of range",
			      SDRV_BLKIF_RSP_ERROR);
	plan->indirect = true;
	plan->sector = ind.sector_number;
	plan->nr_segs = ind.nr_segments;
	plan->nr_indirect_pages =
		(ind.nr_segments + BB_SEGS_PER_INDIRECT_PAGE - 1) /
		BB_SEGS_PER_INDIRECT_PAGE;
	memcpy(plan->indirect_grefs, ind.indirect_grefs,
	       sizeof(ind.indirect_grefs[0]) * plan->nr_indirect_pages);
	return SDRV_BLKIF_RSP_OKAY;
}

int bb_plan_request(const struct sdrv_blkif_request *copy,
		    const struct bb_limits *lim, struct bb_plan *plan,
		    const char **why)
{
	plan->id = copy->id;
	plan->operation = copy->operation;
	plan->barrier = plan->indirect = plan->secure = false;
	plan->nr_segs = plan->nr_indirect_pages = 0;
	plan->sector = plan->nr_sectors = 0;
	*why = NULL;
	switch (copy->operation) {
	case SDRV_BLKIF_OP_READ:
	case SDRV_BLKIF_OP_WRITE:
	case SDRV_BLKIF_OP_WRITE_BARRIER:
		return plan_rw(copy, lim, plan, why);
	case SDRV_BLKIF_OP_FLUSH_DISKCACHE:
		/* Linux's blkfront sends flushes with no segments; any it
		 * carries are ignored, as Linux's blkback does. */
		plan->kind = BB_FLUSH;
		return SDRV_BLKIF_RSP_OKAY;
	case SDRV_BLKIF_OP_DISCARD:
		return plan_discard(copy, lim, plan, why);
	case SDRV_BLKIF_OP_INDIRECT:
		return plan_indirect(copy, lim, plan, why);
	default:
		return refuse(why, "unknown operation",
			      SDRV_BLKIF_RSP_EOPNOTSUPP);
	}
}

int bb_plan_segments(struct bb_plan *plan,
		     const struct sdrv_blkif_segment *segs,
		     const struct bb_limits *lim, const char **why)
{
	memcpy(plan->seg, segs, sizeof(segs[0]) * plan->nr_segs);
	plan->indirect = false;
	return check_segments(plan, lim, why);
}
