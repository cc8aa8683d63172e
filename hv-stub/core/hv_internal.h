/* SPDX-License-Identifier: MIT */
/* hv-stub/core/hv_internal.h - shared between the core's source files. */
#ifndef HV_CORE_INTERNAL_H
#define HV_CORE_INTERNAL_H

#include "hv.h"

/* 1 GiB of memory at most per domain. */
#define HV_MAX_FRAMES (1u << 18)

static inline uint32_t hv_nr_grant_entries(const struct hv_domain *d)
{
	return d->gnttab_frames * (uint32_t)SDRV_GRANT_ENTRIES_PER_FRAME;
}

/* The domain @id if it exists and is not being destroyed; lock held. */
static inline struct hv_domain *hv_live_domain(struct hv *hv, sdrv_domid_t id)
{
	if (id >= HV_MAX_DOMAINS || !hv->domains[id] || hv->domains[id]->dying)
		return NULL;
	return hv->domains[id];
}

/* @d's grant table as a pinner sees it. */
static inline struct sdrv_gnt_granter hv_granter(struct hv_domain *d)
{
	return (struct sdrv_gnt_granter){
		.entries = (struct sdrv_grant_entry_v1 *)(void *)d->mem,
		.active = d->active,
		.shared = d->gnt_shared,
		.nr_entries = hv_nr_grant_entries(d),
		.first_frame = HV_RESERVED_FRAMES,
		.nr_frames = d->nr_frames,
	};
}

static inline struct sdrv_shared_info *hv_shinfo(struct hv_domain *d)
{
	return (struct sdrv_shared_info *)(void *)(d->mem + (size_t)HV_SHINFO_FRAME *
						    SDRV_PAGE_SIZE);
}

/* Close all of @d's ports but @keep (0: all; peers see it); lock held. */
void hv_evtchn_close_all(struct hv *hv, struct hv_domain *d,
			 sdrv_evtchn_port_t keep);

/* Drop @d's map handle @h (in use); lock held. */
void hv_unmap_locked(struct hv *hv, struct hv_domain *d, uint32_t h);
/* Free @d if it is dying and nobody pins its grants any more; lock held. */
void hv_zombie_check(struct hv *hv, struct hv_domain *d);

#endif
