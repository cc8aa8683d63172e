/* SPDX-License-Identifier: MIT */
/*
 * grant/grant_access.c - the granting side of a grant table: hand out refs,
 * fill entries, end access with the compare-and-swap protocol the hypervisor
 * side (hv-stub/core/grant.c) relies on.  Freestanding: no libc.
 */
#include <splitdrv/errno.h>
#include <splitdrv/grant.h>

/* The flags word is shared with the hypervisor, which sets and clears
 * GTF_reading/GTF_writing in it at any time: every access is atomic. */
static uint16_t load_flags(const struct sdrv_grant_entry_v1 *e)
{
	/* pairs with the hypervisor's release when it clears GTF_reading */
	return __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
}

SDRV_PUBLIC int sdrv_gnttab_init(struct sdrv_gnttab *gt,
				 struct sdrv_grant_entry_v1 *entries,
				 uint32_t *next, uint32_t nr_entries)
{
	if (!gt || !entries || !next || nr_entries <= SDRV_GRANT_NR_RESERVED)
		return -SDRV_EINVAL;
	gt->entries = entries;
	gt->next = next;
	gt->nr_entries = nr_entries;
	gt->nr_free = 0;
	gt->free_head = SDRV_GNTTAB_NONE;
	/* Lowest refs first out: push in reverse. */
	for (uint32_t ref = nr_entries; ref-- > SDRV_GRANT_NR_RESERVED;) {
		/* The reserved entries are the toolstack's (the XenStore
		 * and console pages): left as they are. */
		__atomic_store_n(&entries[ref].flags, 0, __ATOMIC_RELAXED);
		entries[ref].domid = 0;
		entries[ref].frame = 0;
		next[ref] = gt->free_head;
		gt->free_head = ref;
		gt->nr_free++;
	}
	return 0;
}

SDRV_PUBLIC int64_t sdrv_gnttab_grant_access(struct sdrv_gnttab *gt,
					     sdrv_domid_t domid, uint32_t frame,
					     bool readonly)
{
	uint32_t ref = gt->free_head;
	struct sdrv_grant_entry_v1 *e;

	if (ref == SDRV_GNTTAB_NONE)
		return -SDRV_ENOSPC;
	gt->free_head = gt->next[ref];
	gt->nr_free--;
	e = &gt->entries[ref];
	e->domid = domid;
	e->frame = frame;
	/* The hypervisor checks flags first and then reads domid and frame:
	 * publish the flags last.  Pairs with the acquire in the map path. */
	__atomic_store_n(&e->flags,
			 (uint16_t)(SDRV_GTF_permit_access |
				    (readonly ? SDRV_GTF_readonly : 0)),
			 __ATOMIC_RELEASE);
	return ref;
}

SDRV_PUBLIC int sdrv_gnttab_end_access(struct sdrv_gnttab *gt,
				       sdrv_grant_ref_t ref)
{
	struct sdrv_grant_entry_v1 *e;
	uint16_t flags;

	if (ref < SDRV_GRANT_NR_RESERVED || ref >= gt->nr_entries)
		return -SDRV_EINVAL;
	e = &gt->entries[ref];
	flags = load_flags(e);
	do {
		if ((flags & SDRV_GTF_type_mask) != SDRV_GTF_permit_access)
			return -SDRV_EINVAL;
		if (flags & (SDRV_GTF_reading | SDRV_GTF_writing))
			return -SDRV_EBUSY;
		/* Fails, and reloads @flags, if the hypervisor pinned the
		 * entry since we looked: then it is in use after all. */
	} while (!__atomic_compare_exchange_n(&e->flags, &flags, 0, false,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	gt->next[ref] = gt->free_head;
	gt->free_head = ref;
	gt->nr_free++;
	return 0;
}

SDRV_PUBLIC bool sdrv_gnttab_in_use(const struct sdrv_gnttab *gt,
				    sdrv_grant_ref_t ref)
{
	if (ref >= gt->nr_entries)
		return false;
	return load_flags(&gt->entries[ref]) &
	       (SDRV_GTF_reading | SDRV_GTF_writing);
}

SDRV_PUBLIC const char *sdrv_gntst_name(int status)
{
	switch (status) {
	case SDRV_GNTST_okay: return "ok";
	case SDRV_GNTST_general_error: return "grant entry does not permit it";
	case SDRV_GNTST_bad_domain: return "no such domain";
	case SDRV_GNTST_bad_gntref: return "bad grant reference";
	case SDRV_GNTST_bad_handle: return "bad map handle";
	case SDRV_GNTST_permission_denied: return "permission denied";
	case SDRV_GNTST_bad_page: return "frame outside the granter's memory";
	case SDRV_GNTST_bad_copy_arg: return "copy crosses a page boundary";
	case SDRV_GNTST_eagain: return "grant entry unstable, try again";
	case SDRV_GNTST_no_space: return "no room for another mapping";
	default: return "unknown grant status";
	}
}
