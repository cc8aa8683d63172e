/* SPDX-License-Identifier: MIT */
/*
 * splitdrv/grant.h - grant tables, v1: the wire layout and the granting side.
 *
 * A domain shares one of its pages by writing a grant entry (which domain may
 * use it, which frame, read-only or not) into its grant table, a run of frames
 * of its own memory that the hypervisor also reads.  The entry's index, the
 * grant reference, travels to the peer (in XenStore or in a request); the peer
 * asks the hypervisor to map or copy the page, and the hypervisor checks the
 * entry every time.  While a grant is in use the hypervisor sets GTF_reading
 * (and GTF_writing) in the entry; the granter may end access only while both
 * are clear, and does so with a compare-and-swap so a map racing with the end
 * either wins (the end fails with -SDRV_EBUSY) or sees the entry gone.
 *
 * Layout, flag and status values are Xen's (xen/grant_table.h), proven equal
 * in tests/grant/test-abi-grant.c.  Freestanding: the granting side is what a
 * guest kernel links.
 */
#ifndef SPLITDRV_GRANT_H
#define SPLITDRV_GRANT_H

#include <stdbool.h>
#include <stdint.h>

#include <splitdrv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint16_t sdrv_domid_t;
typedef uint32_t sdrv_grant_ref_t;
typedef uint32_t sdrv_grant_handle_t;

/* A caller naming itself (Xen's DOMID_SELF); ids at or above
 * SDRV_DOMID_FIRST_RESERVED are never real domains. */
#define SDRV_DOMID_SELF ((sdrv_domid_t)0x7FF0)
#define SDRV_DOMID_FIRST_RESERVED ((sdrv_domid_t)0x7FF0)

/* One v1 grant entry: 8 bytes, 512 to a page. */
struct sdrv_grant_entry_v1 {
	uint16_t flags; /* SDRV_GTF_*; written last by the granter */
	sdrv_domid_t domid; /* the domain allowed to use the grant */
	uint32_t frame; /* the granted frame, in the granter's memory */
};

#define SDRV_GRANT_ENTRIES_PER_FRAME                                          \
	(SDRV_PAGE_SIZE / sizeof(struct sdrv_grant_entry_v1))

/* Refs 0-7 are reserved (Xen's GNTTAB_NR_RESERVED_ENTRIES: the toolstack
 * uses them for the console and XenStore pages). */
#define SDRV_GRANT_NR_RESERVED 8u

/* Entry flags. */
#define SDRV_GTF_invalid 0x0000u
#define SDRV_GTF_permit_access 0x0001u
#define SDRV_GTF_type_mask 0x0003u
#define SDRV_GTF_readonly 0x0004u /* the grantee may only read */
#define SDRV_GTF_reading 0x0008u /* set by the hypervisor while in use */
#define SDRV_GTF_writing 0x0010u /* ... and while in use for writing */

/* Status of a grant operation (Xen's GNTST_*): 0 or negative. */
#define SDRV_GNTST_okay 0
#define SDRV_GNTST_general_error (-1)
#define SDRV_GNTST_bad_domain (-2)
#define SDRV_GNTST_bad_gntref (-3)
#define SDRV_GNTST_bad_handle (-4)
#define SDRV_GNTST_permission_denied (-8)
#define SDRV_GNTST_bad_page (-9)
#define SDRV_GNTST_bad_copy_arg (-10)
#define SDRV_GNTST_eagain (-12)
#define SDRV_GNTST_no_space (-13)

/* Name of a status, for one-line errors ("bad grant reference"). */
SDRV_PUBLIC const char *sdrv_gntst_name(int status);

/* One side of a grant copy: a grant ref of @domid, or (flag clear) a frame
 * of the caller's own memory. */
struct sdrv_gnttab_copy_ptr {
	union {
		sdrv_grant_ref_t ref;
		uint64_t gmfn; /* Xen's xen_pfn_t: 64 bits on x86-64 */
	} u;
	sdrv_domid_t domid;
	uint16_t offset;
};

#define SDRV_GNTCOPY_source_gref 0x1u
#define SDRV_GNTCOPY_dest_gref 0x2u

/* One segment of a batched grant copy (Xen's struct gnttab_copy).  A segment
 * never crosses a page: offset + len <= SDRV_PAGE_SIZE on both sides. */
struct sdrv_gnttab_copy {
	struct sdrv_gnttab_copy_ptr source, dest;
	uint16_t len;
	uint16_t flags; /* SDRV_GNTCOPY_* */
	int16_t status; /* out: SDRV_GNTST_* */
};

/* ------------------------------------------------------------------ */
/* The granting side: a domain's view of its own grant table            */

/*
 * The granter's bookkeeping: which refs are free.  It lives in the
 * granter's private memory (the hypervisor never reads it); @next has one
 * slot per entry, provided by the caller, so nothing here allocates.
 */
struct sdrv_gnttab {
	struct sdrv_grant_entry_v1 *entries; /* the shared table */
	uint32_t *next; /* free list links, nr_entries of them */
	uint32_t nr_entries;
	uint32_t free_head; /* SDRV_GNTTAB_NONE when none is free */
	uint32_t nr_free;
};

#define SDRV_GNTTAB_NONE UINT32_MAX

/**
 * sdrv_gnttab_init() - take over a grant table: all entries invalid, refs
 * from SDRV_GRANT_NR_RESERVED up free.
 * @entries: the table (the frames the hypervisor reads), @nr_entries long.
 * @next: @nr_entries private words for the free list.
 * Return: 0, or -SDRV_EINVAL if the table has no room beyond the reserved
 * refs.
 */
SDRV_PUBLIC int sdrv_gnttab_init(struct sdrv_gnttab *gt,
				 struct sdrv_grant_entry_v1 *entries,
				 uint32_t *next, uint32_t nr_entries);

/**
 * sdrv_gnttab_grant_access() - let @domid map or copy @frame of our memory.
 * Fills the entry, then publishes its flags with a release store, so the
 * hypervisor never sees the flags before the frame and domain.
 * Return: the ref (>= 0), or -SDRV_ENOSPC if the table is full.
 */
SDRV_PUBLIC int64_t sdrv_gnttab_grant_access(struct sdrv_gnttab *gt,
					     sdrv_domid_t domid, uint32_t frame,
					     bool readonly);

/**
 * sdrv_gnttab_end_access() - withdraw @ref and free it for reuse.
 * Return: 0; -SDRV_EBUSY if the grantee still has it mapped or is copying
 * (the entry is left as it was: try again after the peer unmapped);
 * -SDRV_EINVAL for a ref outside the table, reserved, or not granted.
 */
SDRV_PUBLIC int sdrv_gnttab_end_access(struct sdrv_gnttab *gt,
				       sdrv_grant_ref_t ref);

/** sdrv_gnttab_in_use() - whether the hypervisor marks @ref mapped now. */
SDRV_PUBLIC bool sdrv_gnttab_in_use(const struct sdrv_gnttab *gt,
				    sdrv_grant_ref_t ref);

#ifdef __cplusplus
}
#endif

#endif /* SPLITDRV_GRANT_H */
