/* SPDX-License-Identifier: MIT */
/*
 * blkback's checks of a request a hostile frontend wrote (blkback/request.c):
 * each malformed field is refused with the status Linux's blkback gives,
 * and the good requests around them pass.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "blkback.h"

static const struct bb_limits rw = {
	.sectors = 1000, .discard = true, .max_indirect = 32,
};
static const struct bb_limits ro = { .sectors = 1000, .readonly = true };

static struct sdrv_blkif_request rw_req(uint8_t op, uint64_t sector,
					 unsigned nseg)
{
	struct sdrv_blkif_request r;

	memset(&r, 0, sizeof(r));
	r.operation = op;
	r.id = 0x1234;
	r.sector_number = sector;
	r.nr_segments = (uint8_t)nseg;
	for (unsigned i = 0; i < nseg && i < SDRV_BLKIF_MAX_SEGMENTS; i++) {
		r.seg[i].gref = 10 + i;
		r.seg[i].first_sect = 0;
		r.seg[i].last_sect = 7;
	}
	return r;
}

static int plan(const struct sdrv_blkif_request *r,
		const struct bb_limits *lim, struct bb_plan *p)
{
	const char *why;
	int st = bb_plan_request(r, lim, p, &why);

	cr_assert(st == SDRV_BLKIF_RSP_OKAY || why != NULL,
		  "a refusal names its reason");
	return st;
}

Test(blkback_request, a_good_read_and_write_pass_with_their_size)
{
	struct sdrv_blkif_request r = rw_req(SDRV_BLKIF_OP_WRITE, 8, 11);
	struct bb_plan p;

	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_OKAY);
	cr_assert_eq(p.kind, BB_WRITE);
	cr_assert_eq(p.nr_sectors, 88);
	cr_assert_eq(p.id, 0x1234);
	r.operation = SDRV_BLKIF_OP_READ;
	cr_assert_eq(plan(&r, &ro, &p), SDRV_BLKIF_RSP_OKAY);
	cr_assert_eq(p.kind, BB_READ);
}

Test(blkback_request, segment_counts_of_zero_or_beyond_eleven_are_refused)
{
	struct sdrv_blkif_request r = rw_req(SDRV_BLKIF_OP_READ, 0, 0);
	struct bb_plan p;

	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_ERROR);
	r.nr_segments = 12;
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_ERROR);
	r.nr_segments = 255;
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_ERROR);
}

Test(blkback_request, sectors_outside_a_page_are_refused)
{
	struct sdrv_blkif_request r = rw_req(SDRV_BLKIF_OP_READ, 0, 2);
	struct bb_plan p;

	r.seg[1].first_sect = 5;
	r.seg[1].last_sect = 4;
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_ERROR, "first > last");
	r.seg[1].first_sect = 0;
	r.seg[1].last_sect = 8;
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_ERROR, "last > 7");
}

Test(blkback_request, sectors_past_the_end_or_wrapping_are_refused)
{
	struct sdrv_blkif_request r = rw_req(SDRV_BLKIF_OP_READ, 1000 - 8, 1);
	struct bb_plan p;

	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_OKAY, "the last page");
	r.sector_number = 1000 - 7;
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_ERROR);
	r.sector_number = UINT64_MAX - 3;
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_ERROR, "wraps");
}

Test(blkback_request, unknown_operations_get_eopnotsupp)
{
	struct sdrv_blkif_request r = rw_req(4, 0, 1); /* op 4: unused */
	struct bb_plan p;

	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_EOPNOTSUPP);
	r.operation = 0xff;
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_EOPNOTSUPP);
}

Test(blkback_request, a_read_only_device_refuses_writes_and_discards)
{
	struct sdrv_blkif_request r = rw_req(SDRV_BLKIF_OP_WRITE, 0, 1);
	struct sdrv_blkif_request_discard d = { 0 };
	struct bb_plan p;

	cr_assert_eq(plan(&r, &ro, &p), SDRV_BLKIF_RSP_ERROR);
	r.operation = SDRV_BLKIF_OP_WRITE_BARRIER;
	cr_assert_eq(plan(&r, &ro, &p), SDRV_BLKIF_RSP_ERROR);
	d.operation = SDRV_BLKIF_OP_DISCARD;
	d.nr_sectors = 8;
	memcpy(&r, &d, sizeof(d));
	cr_assert_neq(plan(&r, &ro, &p), SDRV_BLKIF_RSP_OKAY);
	/* A flush carries no data: a read-only device may take it. */
	r = rw_req(SDRV_BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	cr_assert_eq(plan(&r, &ro, &p), SDRV_BLKIF_RSP_OKAY);
}

Test(blkback_request, discards_are_bounded_and_only_where_offered)
{
	struct sdrv_blkif_request r;
	struct sdrv_blkif_request_discard d = { 0 };
	struct bb_limits no_discard = rw;
	struct bb_plan p;

	d.operation = SDRV_BLKIF_OP_DISCARD;
	d.sector_number = 992;
	d.nr_sectors = 8;
	memset(&r, 0, sizeof(r));
	memcpy(&r, &d, sizeof(d));
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_OKAY);
	cr_assert_eq(p.kind, BB_DISCARD);
	d.nr_sectors = UINT64_MAX;
	memcpy(&r, &d, sizeof(d));
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_ERROR);
	d.nr_sectors = 8;
	d.flag = 1; /* secure: not offered for a file */
	memcpy(&r, &d, sizeof(d));
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_EOPNOTSUPP);
	no_discard.discard = false;
	d.flag = 0;
	memcpy(&r, &d, sizeof(d));
	cr_assert_eq(plan(&r, &no_discard, &p), SDRV_BLKIF_RSP_EOPNOTSUPP);
}

Test(blkback_request, indirect_requests_are_bounded_and_their_pages_checked)
{
	struct sdrv_blkif_request r;
	struct sdrv_blkif_request_indirect ind = { 0 };
	struct sdrv_blkif_segment segs[32];
	struct bb_limits no_indirect = rw;
	struct bb_plan p;
	const char *why;

	ind.operation = SDRV_BLKIF_OP_INDIRECT;
	ind.indirect_op = SDRV_BLKIF_OP_READ;
	ind.nr_segments = 32;
	ind.indirect_grefs[0] = 99;
	memset(&r, 0, sizeof(r));
	memcpy(&r, &ind, sizeof(ind));
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_OKAY);
	cr_assert(p.indirect);
	cr_assert_eq(p.nr_indirect_pages, 1);
	/* The segments, from our copy of the indirect page: garbage in
	 * one of them fails the whole request. */
	for (unsigned i = 0; i < 32; i++)
		segs[i] = (struct sdrv_blkif_segment){ 1000 + i, 0, 7 };
	cr_assert_eq(bb_plan_segments(&p, segs, &rw, &why), SDRV_BLKIF_RSP_OKAY);
	cr_assert_eq(p.nr_sectors, 256);
	plan(&r, &rw, &p);
	segs[31].last_sect = 9;
	cr_assert_eq(bb_plan_segments(&p, segs, &rw, &why), SDRV_BLKIF_RSP_ERROR);
	/* Counts beyond the offer, zero, or not offered at all. */
	ind.nr_segments = 33;
	memcpy(&r, &ind, sizeof(ind));
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_ERROR);
	ind.nr_segments = 0;
	memcpy(&r, &ind, sizeof(ind));
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_ERROR);
	ind.nr_segments = 8;
	ind.indirect_op = SDRV_BLKIF_OP_DISCARD;
	memcpy(&r, &ind, sizeof(ind));
	cr_assert_eq(plan(&r, &rw, &p), SDRV_BLKIF_RSP_ERROR);
	ind.indirect_op = SDRV_BLKIF_OP_READ;
	no_indirect.max_indirect = 0;
	memcpy(&r, &ind, sizeof(ind));
	cr_assert_eq(plan(&r, &no_indirect, &p), SDRV_BLKIF_RSP_EOPNOTSUPP);
}
