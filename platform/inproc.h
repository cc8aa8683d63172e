/* SPDX-License-Identifier: MIT */
/*
 * platform/inproc.h - the in-process environment: hv-stub's core runs in
 * this process and domains are whatever threads use their handle.
 *
 * For tests and benchmarks only.  It lives in its own static library
 * (sdrv-inproc, with hv-stub's core) so that libsplitdrv, which guests and
 * backends link, never carries the hypervisor.  The handles it returns are
 * ordinary struct sdrv_platform handles: every call of
 * <splitdrv/platform.h> works on them.
 */
#ifndef SDRV_PLATFORM_INPROC_H
#define SDRV_PLATFORM_INPROC_H

#include <splitdrv/platform.h>

/* In-process environment: a hypervisor in this process; domains are
 * whatever threads use their handle. */
struct sdrv_inproc_hv;
int sdrv_inproc_hv_create(struct sdrv_inproc_hv **out);
/* Destroys every domain; detach the handles first. */
void sdrv_inproc_hv_destroy(struct sdrv_inproc_hv *hv);
int sdrv_inproc_domain_create(struct sdrv_inproc_hv *hv, sdrv_domid_t domid,
			      const char *name, uint32_t nr_frames,
			      bool privileged);
int sdrv_inproc_domain_destroy(struct sdrv_inproc_hv *hv, sdrv_domid_t domid);
int sdrv_inproc_attach(struct sdrv_inproc_hv *hv, sdrv_domid_t domid,
		       struct sdrv_platform **out);

/**
 * sdrv_inproc_domain_xenstore() - the toolstack's step for XenStore in the
 * in-process environment: offer domain @domid's ring page to @xs_domid
 * (the daemon's domain) and allocate the port it binds.
 * Return: the port, or -ENOENT, -EEXIST, -ENOSPC.
 */
int sdrv_inproc_domain_xenstore(struct sdrv_inproc_hv *hv, sdrv_domid_t domid,
				sdrv_domid_t xs_domid);

#endif /* SDRV_PLATFORM_INPROC_H */
