/* SPDX-License-Identifier: MIT */
/* platform/platform_internal.h - what the environments share with the common
 * code: the handle, filled by each environment's attach. */
#ifndef SDRV_PLATFORM_INTERNAL_H
#define SDRV_PLATFORM_INTERNAL_H

#include <pthread.h>

#include <splitdrv/platform.h>

struct sdrv_platform {
	const struct sdrv_platform_ops *ops;
	sdrv_domid_t domid;
	unsigned char *mem; /* our memory, nr_frames pages */
	uint32_t nr_frames;
	int upcall_fd; /* eventfd the hypervisor writes for an upcall */
	/* With ops->wait_events: what sdrv_evtchn_fd() hands out (readable
	 * when an upcall or a doorbell is due). */
	int wait_fd;
	void *xenstore; /* slot for the XenStore connection */
	sdrv_evtchn_port_t xs_port; /* 0: no XenStore */

	pthread_mutex_t lock; /* the grant free list and the page allocator */
	struct sdrv_gnttab gnttab;
	uint32_t *gnttab_next;
	uint64_t *free_pages; /* bit set: frame free */
	uint32_t page_hint; /* where the next search starts (a word index) */

	struct sdrv_shared_info *shinfo;
	struct sdrv_evtchn_scanner scanner;

	/* Late EOI (sdrv_evtchn_lateeoi()), by port; NULL until first used. */
	struct lateeoi {
		uint16_t spurious; /* in a row */
		uint16_t delay_ms; /* of the current hold; 0: not held */
		uint64_t until_ms; /* the hold ends */
	} *eoi;
	unsigned nr_held;
	uint64_t next_release_ms; /* the earliest held port's until_ms */
};

/**
 * sdrv_platform_init_common() - set up the parts every environment shares
 * once @p->ops, domid, mem, nr_frames and upcall_fd are filled: the grant
 * table, the shared-info page and the page allocator.  The memory must be
 * fresh (the grant table is reset).  Return: 0 or -errno.
 */
int sdrv_platform_init_common(struct sdrv_platform *p);
/* Undo sdrv_platform_init_common(). */
void sdrv_platform_fini_common(struct sdrv_platform *p);

#endif
