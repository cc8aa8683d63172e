/* SPDX-License-Identifier: MIT */
/*
 * Our grant table definitions equal Xen's (invariant 1), asserted at compile
 * time against the system's xen/grant_table.h (libxen-dev).
 */
#include <stddef.h>
#include <stdint.h>

#include <criterion/criterion.h>
#include <splitdrv/grant.h>
#include <xen/xen.h>
#include <xen/grant_table.h>

#include "abi_assert.h"

SAME_SIZE(struct sdrv_grant_entry_v1, struct grant_entry_v1);
SAME_FIELD(struct sdrv_grant_entry_v1, struct grant_entry_v1, flags, flags);
SAME_FIELD(struct sdrv_grant_entry_v1, struct grant_entry_v1, domid, domid);
SAME_FIELD(struct sdrv_grant_entry_v1, struct grant_entry_v1, frame, frame);

SAME_SIZE(struct sdrv_gnttab_copy, struct gnttab_copy);
SAME_FIELD(struct sdrv_gnttab_copy, struct gnttab_copy, source, source);
SAME_FIELD(struct sdrv_gnttab_copy, struct gnttab_copy, dest, dest);
SAME_FIELD(struct sdrv_gnttab_copy, struct gnttab_copy, len, len);
SAME_FIELD(struct sdrv_gnttab_copy, struct gnttab_copy, flags, flags);
SAME_FIELD(struct sdrv_gnttab_copy, struct gnttab_copy, status, status);
SAME_SIZE(struct sdrv_gnttab_copy_ptr, struct gnttab_copy_ptr);
SAME_FIELD(struct sdrv_gnttab_copy_ptr, struct gnttab_copy_ptr, u, u);
SAME_FIELD(struct sdrv_gnttab_copy_ptr, struct gnttab_copy_ptr, domid, domid);
SAME_FIELD(struct sdrv_gnttab_copy_ptr, struct gnttab_copy_ptr, offset, offset);

SAME_VALUE(SDRV_GTF_permit_access, GTF_permit_access);
SAME_VALUE(SDRV_GTF_type_mask, GTF_type_mask);
SAME_VALUE(SDRV_GTF_readonly, GTF_readonly);
SAME_VALUE(SDRV_GTF_reading, GTF_reading);
SAME_VALUE(SDRV_GTF_writing, GTF_writing);
SAME_VALUE(SDRV_GNTCOPY_source_gref, GNTCOPY_source_gref);
SAME_VALUE(SDRV_GNTCOPY_dest_gref, GNTCOPY_dest_gref);
SAME_VALUE(SDRV_GNTST_okay, GNTST_okay);
SAME_VALUE(SDRV_GNTST_general_error, GNTST_general_error);
SAME_VALUE(SDRV_GNTST_bad_domain, GNTST_bad_domain);
SAME_VALUE(SDRV_GNTST_bad_gntref, GNTST_bad_gntref);
SAME_VALUE(SDRV_GNTST_bad_handle, GNTST_bad_handle);
SAME_VALUE(SDRV_GNTST_permission_denied, GNTST_permission_denied);
SAME_VALUE(SDRV_GNTST_bad_page, GNTST_bad_page);
SAME_VALUE(SDRV_GNTST_bad_copy_arg, GNTST_bad_copy_arg);
SAME_VALUE(SDRV_GNTST_eagain, GNTST_eagain);
SAME_VALUE(SDRV_GNTST_no_space, GNTST_no_space);
SAME_VALUE(SDRV_DOMID_SELF, DOMID_SELF);
SAME_VALUE(SDRV_GRANT_ENTRIES_PER_FRAME,
	   4096 / sizeof(struct grant_entry_v1));

/* The same facts at run time, so the suite reports them. */
Test(abi_grant, entry_and_copy_layouts_equal_xen)
{
	cr_assert_eq(sizeof(struct sdrv_grant_entry_v1), sizeof(grant_entry_v1_t));
	cr_assert_eq(offsetof(struct sdrv_gnttab_copy, status),
		     offsetof(gnttab_copy_t, status));
	cr_assert_eq(SDRV_GTF_writing, GTF_writing);
}
