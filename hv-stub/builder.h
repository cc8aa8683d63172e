/* SPDX-License-Identifier: MIT */
/*
 * hv-stub/builder.h - the toolstack's part of building a domain, on top of
 * the hypervisor core (as libxenguest is to Xen): what the core does not
 * decide, such as where a domain's XenStore ring lives.  Used by hv-stub's
 * daemon and by the in-process environment.
 */
#ifndef HV_STUB_BUILDER_H
#define HV_STUB_BUILDER_H

#include "hv.h"

/**
 * hvb_xenstore_setup() - what Xen's domain builder does for XenStore:
 * offer domain @id's ring page (frame SDRV_PLATFORM_XENSTORE_FRAME) to
 * @xs_domid at grant SDRV_XS_RESERVED_GREF, allocate an unbound port
 * @xs_domid may bind, and record it as the domain's XenStore channel.  The
 * domain learns the port when it attaches.
 * Return: the port, or -ENOENT, -EEXIST (done before), -ENOSPC.
 */
int hvb_xenstore_setup(struct hv *hv, sdrv_domid_t id, sdrv_domid_t xs_domid);

#endif
