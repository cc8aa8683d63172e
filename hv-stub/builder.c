/* SPDX-License-Identifier: MIT */
/* hv-stub/builder.c - the toolstack's part of building a domain. */
#define _GNU_SOURCE
#include "builder.h"

#include <errno.h>

#include <splitdrv/xs.h>

int hvb_xenstore_setup(struct hv *hv, sdrv_domid_t id, sdrv_domid_t xs_domid)
{
	struct sdrv_grant_entry_v1 *e;
	sdrv_evtchn_port_t port;
	unsigned char *mem;
	uint32_t frames;
	int err;

	/* A port of the domain's own, made on its behalf before it runs. */
	err = hv_evtchn_alloc_unbound(hv, id, id, xs_domid, &port);
	if (err)
		return err == -ESRCH ? -ENOENT : err;
	err = hv_domain_set_xenstore_port(hv, id, port);
	mem = err ? NULL : hv_domain_memory(hv, id, &frames);
	if (!mem) {
		hv_evtchn_close(hv, id, port);
		return err ? err : -ENOENT;
	}
	/* The toolstack's entry: refs below SDRV_GRANT_NR_RESERVED are never
	 * handed out by the domain's own allocator. */
	e = (struct sdrv_grant_entry_v1 *)(void *)mem + SDRV_XS_RESERVED_GREF;
	e->domid = xs_domid;
	e->frame = SDRV_PLATFORM_XENSTORE_FRAME;
	__atomic_store_n(&e->flags, (uint16_t)SDRV_GTF_permit_access,
			 __ATOMIC_RELEASE);
	return (int)port;
}
