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

		cs->src[i] = sdrv_page_alloc(e->copier);
		cs->dst[i] = sdrv_page_alloc(e->domu);
		if (!cs->src[i] || !cs->dst[i])
			return -1;
		memset(cs->src[i], (int)i, SDRV_PAGE_SIZE);
		memset(cs->dst[i], (int)~i, SDRV_PAGE_SIZE);
		ref = sdrv_grant_access(e->domu, e->copier_id, cs->dst[i], false);
		if (ref < 0)
			return -1;
		cs->ref[i] = (sdrv_grant_ref_t)ref;
	}
	/* The guest's memory for the vhost-user peer: from its first page on
	 * (grants and pages are its own frames) */
	cs->guest_mem = cs->dst[0] - (size_t)sdrv_page_frame(e->domu, cs->dst[0]) *
					     SDRV_PAGE_SIZE;
	cs->guest_frames = 4096;
	return 0;
}

double grant_copy_gbps(struct hvperf_env *e, struct copy_set *cs,
		       unsigned batch, uint64_t bytes)
{
	struct sdrv_gnttab_copy segs[HVPERF_PAGES];
	uint64_t calls = bytes / ((uint64_t)batch * SDRV_PAGE_SIZE), t0;

	for (unsigned i = 0; i < batch; i++)
		segs[i] = (struct sdrv_gnttab_copy){
			.source = { .u.gmfn = (uint32_t)sdrv_page_frame(e->copier, cs->src[i]),
				    .domid = SDRV_DOMID_SELF },
			.dest = { .u.ref = cs->ref[i], .domid = 1 },
			.len = SDRV_PAGE_SIZE,
			.flags = SDRV_GNTCOPY_dest_gref,
		};
	t0 = now_ns();
	for (uint64_t c = 0; c < calls; c++)
		if (sdrv_grant_copy(e->copier, segs, batch)) {
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

/* Piece @k of a batch: which page, and where in it (a packet's place). */
static uint16_t piece_offset(unsigned k)
{
	return (uint16_t)((k * 192u) % (SDRV_PAGE_SIZE - 64u));
}

double grant_pieces_ns(struct hvperf_env *e, struct copy_set *cs, uint64_t n)
{
	struct sdrv_gnttab_copy segs[HVPERF_PIECES];
	uint64_t calls = n / HVPERF_PIECES, t0;

	for (unsigned k = 0; k < HVPERF_PIECES; k++)
		segs[k] = (struct sdrv_gnttab_copy){
			.source = { .u.ref = cs->ref[k], .domid = 1,
				    .offset = piece_offset(k) },
			.dest = { .u.gmfn = (uint32_t)sdrv_page_frame(e->copier,
								     cs->src[k % 8]),
				  .domid = SDRV_DOMID_SELF,
				  .offset = (uint16_t)((k / 8) * 64) },
			.len = 64,
			.flags = SDRV_GNTCOPY_source_gref,
		};
	t0 = now_ns();
	for (uint64_t c = 0; c < calls; c++)
		if (sdrv_grant_copy(e->copier, segs, HVPERF_PIECES)) {
			fprintf(stderr, "hvperf: piece copy failed: status %d\n",
				segs[0].status);
			return 0;
		}
	return (double)(now_ns() - t0) / (double)(calls * HVPERF_PIECES);
}

/* vhost-user's memory table: a few regions of guest-physical memory, each
 * mapped somewhere in the back end (here: the guest's memory in four). */
struct mem_region {
	uint64_t gpa, size;
	unsigned char *hva;
};
#define NR_REGIONS 4u

static unsigned char *gpa_to_hva(const struct mem_region *r, uint64_t gpa,
				 uint64_t len)
{
	for (unsigned i = 0; i < NR_REGIONS; i++)
		if (gpa >= r[i].gpa && gpa - r[i].gpa + len <= r[i].size)
			return r[i].hva + (gpa - r[i].gpa);
	return NULL;
}

double vhost_pieces_ns(struct copy_set *cs, uint64_t n)
{
	struct mem_region regions[NR_REGIONS];
	uint64_t gpas[HVPERF_PIECES], calls = n / HVPERF_PIECES, t0;
	uint64_t quarter = (uint64_t)cs->guest_frames * SDRV_PAGE_SIZE / NR_REGIONS;
	unsigned char *dst[HVPERF_PIECES];

	for (unsigned i = 0; i < NR_REGIONS; i++)
		regions[i] = (struct mem_region){ .gpa = i * quarter,
						  .size = quarter,
						  .hva = cs->guest_mem + i * quarter };
	for (unsigned k = 0; k < HVPERF_PIECES; k++) {
		gpas[k] = (uint64_t)(cs->dst[k] - cs->guest_mem) + piece_offset(k);
		dst[k] = cs->src[k % 8] + (k / 8) * 64;
	}
	t0 = now_ns();
	for (uint64_t c = 0; c < calls; c++)
		for (unsigned k = 0; k < HVPERF_PIECES; k++) {
			/* the descriptor's address is read each time, as a
			 * back end reads it from the ring */
			uint64_t gpa = gpas[k];
			unsigned char *src;

			__asm__ volatile("" : "+r"(gpa));
			src = gpa_to_hva(regions, gpa, 64);
			if (!src)
				return 0;
			memcpy(dst[k], src, 64);
			__asm__ volatile("" ::"r"(dst[k]) : "memory");
		}
	return (double)(now_ns() - t0) / (double)(calls * HVPERF_PIECES);
}
