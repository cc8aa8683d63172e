/* SPDX-License-Identifier: MIT */
/*
 * platform/grant_fast.h - grant copy done by a privileged domain's process
 * itself, as Xen's dom0 does the hypervisor's share of the work through
 * privcmd: hv-stub hands it each granter's memory and shared pin table
 * once per granter incarnation (a "view"), and every copy after that pins
 * the entries with Xen's protocol (grant/grant_pin.c, the code hv-stub's
 * core runs), copies and unpins, without a message.
 *
 * The guarantees stay those of the checked path: each segment is checked
 * on its own; the granter cannot end access while its page is being
 * copied (but for grant_fast_read(), which does not pin, and throws away
 * a read its granter changed the entry under); once hv-stub destroys a
 * granter no new pin of it succeeds, and the view (the memory mapping)
 * goes as soon as no copy uses it.  Pins are
 * logged in memory hv-stub reads, so a process killed mid-copy leaves
 * nothing pinned.
 *
 * Thread-safe: copies run in parallel (one log lane each); fetching or
 * dropping a view waits for them and holds them off.
 */
#ifndef SDRV_PLATFORM_GRANT_FAST_H
#define SDRV_PLATFORM_GRANT_FAST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <splitdrv/grant.h>
#include <splitdrv/platform.h>

#include "../grant/grant_pin.h"
#include "proto.h"

/* Segments pinned together, then copied, then unpinned. */
#define GRANT_FAST_CHUNK 32u
/* Concurrent copiers: each holds up to two pins per segment of a chunk in
 * its own lane of the log. */
#define GRANT_FAST_LANES (HVP_PIN_LOG_COPY_RECORDS / (2u * GRANT_FAST_CHUNK))
/* Grants held across an I/O take the records after the lanes', one each. */
#define GRANT_FAST_HOLDS HVP_PIN_LOG_HOLD_RECORDS

struct grant_view;

/* How the fast path reaches hv-stub: one request, its reply into @rep
 * (exactly @rep_len bytes) and @nfds fds into @fds.  Return: 0 or -errno. */
typedef int (*grant_fast_call_fn)(void *ctx, uint16_t type, const void *req,
				  size_t len, void *rep, size_t rep_len,
				  int *fds, unsigned nfds);

struct grant_fast {
	void *ctx;
	grant_fast_call_fn call;
	sdrv_domid_t self;
	unsigned char *self_mem;
	uint32_t self_frames;
	uint32_t token;
	struct hvp_pin_log *log_hdr;
	struct sdrv_gnt_pin *log; /* after the header */
	uint64_t deaths_seen; /* log_hdr->deaths when views were last swept */
	/* bit per lane held by a copier, and VIEWS_WRITER (grant_fast.c) */
	uint64_t lanes_busy;
	pthread_mutex_t views_lock; /* one changer of the views at a time */
	struct grant_view **views; /* by granter domid */
	/* Free hold records (indices past the lanes'), a stack. */
	pthread_mutex_t holds_lock;
	uint32_t *holds_free;
	uint32_t nr_holds_free;
};

/**
 * grant_fast_init() - ask hv-stub for the fast path (HVP_GRANT_FASTPATH).
 * Return: 0; -EPERM for an unprivileged domain (use the messages); -errno.
 */
int grant_fast_init(struct grant_fast *gf, void *ctx, grant_fast_call_fn call,
		    sdrv_domid_t self, unsigned char *self_mem,
		    uint32_t self_frames);

/* Unmap every view and the log.  No copy may run. */
void grant_fast_fini(struct grant_fast *gf);

/**
 * grant_fast_copy() - do the @n segments whose every side this process can
 * reach (grant refs of any domain, frames of its own memory); a segment
 * naming another domain's frame is left with status 1 for the caller to
 * send to hv-stub.
 * Return: the number of failed segments among those done here.
 */
unsigned grant_fast_copy(struct grant_fast *gf, struct sdrv_gnttab_copy *segs,
			 unsigned n, unsigned *left_over);

/**
 * grant_fast_map_page() - the page of a grant hv-stub pinned for us
 * (HVP_GRANT_MAP): frame @frame of granter @domid's incarnation
 * @generation, out of its view (fetched if needed; read-only through a
 * read-only mapping if @readonly).  No mmap per page: the view is mapped
 * once per granter incarnation and kept while any page of it is mapped.
 * @ref: out, for grant_fast_unmap_page().
 * Return: the address, or NULL.
 */
void *grant_fast_map_page(struct grant_fast *gf, sdrv_domid_t domid,
			  uint64_t generation, uint32_t frame, bool readonly,
			  struct grant_view **ref);

/**
 * grant_fast_hold() - pin @n grants for as long as an I/O needs them (see
 * struct sdrv_grant_hold), each in a record of the log's hold region: a
 * backend that dies holding them has them dropped by hv-stub.  The view
 * of each granter stays mapped while any page of it is held.
 * Return: the number that failed (status set, nothing held), or -ENOSPC
 * (fewer than @n records free: nothing held).
 */
int grant_fast_hold(struct grant_fast *gf, struct sdrv_grant_hold *h,
		    unsigned n);
void grant_fast_release(struct grant_fast *gf, struct sdrv_grant_hold *h,
			unsigned n);

/* sdrv_grant_read() without a pin: each entry checked before its copy
 * and again after it (grant_pin.h, sdrv_gnt_peek()).  Return: the number
 * that failed. */
int grant_fast_read(struct grant_fast *gf, struct sdrv_grant_read *r, unsigned n);

/* Start fetching the lines at @t in pages @granter grants (a hint, see
 * sdrv_grant_prefetch()): the frame each entry names now, if the entry
 * grants it to us as a read would check; nothing pinned. */
void grant_fast_prefetch(struct grant_fast *gf, sdrv_domid_t granter,
			 const struct sdrv_grant_touch *t, unsigned n);

/* Drop the views of domains hv-stub destroyed since the last look, now
 * rather than at the next copy (the event loop calls it before sleeping:
 * a guest's death closes its channels and so wakes its backend). */
void grant_fast_reap(struct grant_fast *gf);

/* The page is no longer used (before hv-stub unpins it). */
void grant_fast_unmap_page(struct grant_fast *gf, struct grant_view *v);

#endif
