/* SPDX-License-Identifier: MIT */
/*
 * hv-stub/core/hv.h - the reference hypervisor's core: the domain table,
 * domain memory, and the grant table operations with Xen's checks.
 *
 * The core knows nothing of sockets or processes.  The hv-stub daemon calls
 * it on behalf of process domains; the in-process platform calls it directly
 * for domains that are threads.  Either way every argument comes from a
 * domain and is untrusted, and every check is made here, every time.
 *
 * Thread-safe: one lock per hypervisor guards the domain table and the
 * bookkeeping (pins, map handles).  Grant entries live in the granting
 * domain's memory and change under us: they are read and updated only with
 * atomics, and a value is used only after it was checked.
 */
#ifndef HV_CORE_HV_H
#define HV_CORE_HV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitdrv/grant.h>

#define HV_MAX_DOMAINS 64u
#define HV_NAME_MAX 32u
/* Grant table frames at the start of every domain's memory (Xen's default
 * for a guest is 32 frames; 4 frames hold 2048 refs). */
#define HV_GNTTAB_FRAMES 4u
/* Mappings one domain may hold at once (Xen's maptrack). */
#define HV_MAPTRACK_MAX 4096u
/* Attempts at pinning an entry the granter keeps rewriting (Xen: 4). */
#define HV_PIN_RETRIES 4u

/* One pin of a grant by one mapping domain, in the hypervisor's memory. */
struct hv_maptrack {
	bool in_use;
	bool readonly;
	sdrv_domid_t granter;
	sdrv_grant_ref_t ref;
};

/* Per (granter, ref): how many mappings use it, and the frame they pinned
 * (the granter may rewrite the entry's frame; mappings keep the old one). */
struct hv_active {
	uint16_t readers, writers;
	sdrv_domid_t mapper;
	uint32_t frame;
};

struct hv_domain {
	sdrv_domid_t id;
	char name[HV_NAME_MAX];
	bool privileged; /* dom0 */
	bool dying; /* being destroyed: no new operations */
	int mem_fd; /* memfd backing the memory */
	unsigned char *mem; /* the memory, mapped in the hypervisor */
	uint32_t nr_frames;
	uint32_t gnttab_frames; /* frames 0 .. gnttab_frames-1 */
	struct hv_active *active; /* one per grant entry */
	struct hv_maptrack *maptrack; /* HV_MAPTRACK_MAX handles */
	uint32_t nr_maps; /* maptrack entries in use */
};

struct hv {
	pthread_mutex_t lock;
	struct hv_domain *domains[HV_MAX_DOMAINS]; /* indexed by id */
};

/* ---- domains ----------------------------------------------------- */

int hv_init(struct hv *hv);
/* Destroys every domain. */
void hv_fini(struct hv *hv);

/**
 * hv_domain_create() - a domain with @nr_frames of zeroed memory (memfd),
 * the first HV_GNTTAB_FRAMES of which hold its grant table.
 * Return: 0, -EEXIST (id taken), -EINVAL (id, name or size), -ENOMEM.
 */
int hv_domain_create(struct hv *hv, sdrv_domid_t id, const char *name,
		     uint32_t nr_frames, bool privileged);

/**
 * hv_domain_destroy() - revoke the domain's mappings of others' grants,
 * forget others' pins of its grants (their pages stay valid until they
 * unmap: the memory is freed with the last user), free its memory.
 * Return: 0, or -ENOENT.
 */
int hv_domain_destroy(struct hv *hv, sdrv_domid_t id);

/* The domain's memory as the hypervisor sees it (tests, in-process). */
unsigned char *hv_domain_memory(struct hv *hv, sdrv_domid_t id,
				uint32_t *nr_frames);
/* Maps the domain holds now (leak checks). */
uint32_t hv_domain_nr_maps(struct hv *hv, sdrv_domid_t id);

/* ---- grant operations, made by domain @caller ---------------------- */

/**
 * hv_grant_map() - pin grant @ref of @granter for @caller.
 * Checks: @granter exists and is not @caller's alias for itself; @ref lies in
 * its table; the entry permits access to @caller; not read-only if
 * !@readonly; its frame lies in @granter's memory outside the grant table.
 * Sets GTF_reading (and GTF_writing) in the entry with a compare-and-swap,
 * so a granter rewriting the entry meanwhile is either seen or refused.
 * @handle: out, for hv_grant_unmap(); @frame: out, the pinned frame.
 * Return: SDRV_GNTST_okay or a SDRV_GNTST_* error.
 */
int hv_grant_map(struct hv *hv, sdrv_domid_t caller, sdrv_domid_t granter,
		 sdrv_grant_ref_t ref, bool readonly,
		 sdrv_grant_handle_t *handle, uint32_t *frame);

/** hv_grant_unmap() - drop a pin; clears GTF_reading/writing with the last.
 * Return: SDRV_GNTST_okay or SDRV_GNTST_bad_handle. */
int hv_grant_unmap(struct hv *hv, sdrv_domid_t caller,
		   sdrv_grant_handle_t handle);

/**
 * hv_grant_copy() - do @n copy segments for @caller, each checked on its
 * own: a failed segment gets its status and the others go on.
 * Return: the number of failed segments.
 */
unsigned hv_grant_copy(struct hv *hv, sdrv_domid_t caller,
		       struct sdrv_gnttab_copy *segs, unsigned n);

#endif /* HV_CORE_HV_H */
