/* SPDX-License-Identifier: MIT */
/*
 * bench/hvperf/grant.c - grant copy against memcpy of the same pages, and
 * grant map+unmap against mmap+munmap of a shared page.
 */
#define _GNU_SOURCE
#include "hvperf.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "timing.h"

int copy_set_init(struct hvperf_env *e, struct copy_set *cs)
{
	for (unsigned i = 0; i < HVPERF_PAGES; i++) {
		int64_t ref;

		cs->src[i] = sdrv_page_alloc(e->dom0);
		cs->dst[i] = sdrv_page_alloc(e->domu);
		if (!cs->src[i] || !cs->dst[i])
			return -1;
		memset(cs->src[i], (int)i, SDRV_PAGE_SIZE);
		ref = sdrv_grant_access(e->domu, 0, cs->dst[i], false);
		if (ref < 0)
			return -1;
		cs->ref[i] = (sdrv_grant_ref_t)ref;
	}
	return 0;
}

double grant_copy_gbps(struct hvperf_env *e, struct copy_set *cs,
		       unsigned batch, uint64_t bytes)
{
	struct sdrv_gnttab_copy segs[HVPERF_PAGES];
	uint64_t calls = bytes / ((uint64_t)batch * SDRV_PAGE_SIZE), t0;

	for (unsigned i = 0; i < batch; i++)
		segs[i] = (struct sdrv_gnttab_copy){
			.source = { .u.gmfn = (uint32_t)sdrv_page_frame(e->dom0, cs->src[i]),
				    .domid = SDRV_DOMID_SELF },
			.dest = { .u.ref = cs->ref[i], .domid = 1 },
			.len = SDRV_PAGE_SIZE,
			.flags = SDRV_GNTCOPY_dest_gref,
		};
	t0 = now_ns();
	for (uint64_t c = 0; c < calls; c++)
		if (sdrv_grant_copy(e->dom0, segs, batch)) {
			fprintf(stderr, "hvperf: grant copy failed: status %d\n",
				segs[0].status);
			return 0;
		}
	return (double)(calls * batch * SDRV_PAGE_SIZE) / (double)(now_ns() - t0);
}

double memcpy_gbps(struct copy_set *cs, uint64_t bytes)
{
	uint64_t pages = bytes / SDRV_PAGE_SIZE, t0 = now_ns();

	for (uint64_t p = 0; p < pages; p++) {
		memcpy(cs->dst[p % HVPERF_PAGES], cs->src[p % HVPERF_PAGES],
		       SDRV_PAGE_SIZE);
		/* keep the copy: the compiler must not drop or merge it */
		__asm__ volatile("" ::"r"(cs->dst[p % HVPERF_PAGES]) : "memory");
	}
	return (double)(pages * SDRV_PAGE_SIZE) / (double)(now_ns() - t0);
}

double grant_map_rate(struct hvperf_env *e, struct copy_set *cs,
		      unsigned batch, uint64_t n)
{
	struct sdrv_grant_map ops[HVPERF_PAGES];
	uint64_t rounds = n / batch, t0 = now_ns();

	for (uint64_t r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < batch; i++)
			ops[i] = (struct sdrv_grant_map){ .granter = 1,
							  .ref = cs->ref[i] };
		if (sdrv_grant_map(e->dom0, ops, batch) ||
		    sdrv_grant_unmap(e->dom0, ops, batch)) {
			fprintf(stderr, "hvperf: grant map failed: status %d\n",
				ops[0].status);
			return 0;
		}
	}
	return (double)(rounds * batch) * 1e9 / (double)(now_ns() - t0);
}

double mmap_rate(uint64_t n)
{
	int fd = memfd_create("hvperf", MFD_CLOEXEC);
	uint64_t t0;

	if (fd < 0 || ftruncate(fd, SDRV_PAGE_SIZE * HVPERF_PAGES) < 0)
		return 0;
	t0 = now_ns();
	for (uint64_t i = 0; i < n; i++) {
		void *p = mmap(NULL, SDRV_PAGE_SIZE, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd,
			       (off_t)(i % HVPERF_PAGES) * SDRV_PAGE_SIZE);

		if (p == MAP_FAILED)
			return 0;
		munmap(p, SDRV_PAGE_SIZE);
	}
	t0 = now_ns() - t0;
	close(fd);
	return (double)n * 1e9 / (double)t0;
}
