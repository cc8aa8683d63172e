/* SPDX-License-Identifier: MIT */
/*
 * hv-stub/core/hv.h - the reference hypervisor's core: the domain table,
 * domain memory, and the grant table and event channel operations with
 * Xen's checks.
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
#include <stdio.h>
#include <stdint.h>

#include <splitdrv/evtchn.h>
#include <splitdrv/grant.h>
#include <splitdrv/platform.h>

#include "../../grant/grant_pin.h"

/* Domain ids 0 .. HV_MAX_DOMAINS-1: Xen's range, below DOMID_FIRST_RESERVED. */
#define HV_MAX_DOMAINS ((unsigned)SDRV_DOMID_FIRST_RESERVED)
#define HV_NAME_MAX 32u
/* Grant table frames at the start of every domain's memory (Xen's default
 * for a guest is 32 frames; 4 frames hold 2048 refs). */
#define HV_GNTTAB_FRAMES SDRV_PLATFORM_GNTTAB_FRAMES
/* The shared-info page (event bitmaps) follows the grant table. */
#define HV_SHINFO_FRAME SDRV_PLATFORM_SHINFO_FRAME
/* Frames the hypervisor owns the meaning of (grant table, shared info):
 * never granted.  The XenStore ring page after them is a domain page like
 * any other, offered by the toolstack's grant. */
#define HV_RESERVED_FRAMES SDRV_PLATFORM_XENSTORE_FRAME
/* Event channel ports a domain may hold by default (Xen's default for a
 * guest is 1023 usable); hv_domain_set_max_ports() changes it. */
#define HV_EVTCHN_DEFAULT_MAX 1024u
/* The active-record lock token of pins the core makes itself; backends
 * that pin on their own are given tokens above it. */
#define HV_PIN_TOKEN_CORE 1u
/* Mappings one domain may hold at once (Xen's maptrack). */
#define HV_MAPTRACK_MAX 4096u

/* One pin of a grant by one mapping domain, in the hypervisor's memory. */
struct hv_maptrack {
	bool in_use;
	bool readonly;
	sdrv_domid_t granter;
	sdrv_grant_ref_t ref;
	uint32_t next_free; /* free list link while not in use */
};


/* One event channel port of a domain. */
struct hv_port {
	uint8_t state; /* SDRV_EVTCHNSTAT_* */
	sdrv_domid_t remote_dom; /* unbound: who may bind; interdomain: peer */
	sdrv_evtchn_port_t remote_port; /* interdomain only */
	/* eventfd the peer writes to wake this port's owner directly (a
	 * process domain's doorbell), or -1 */
	int doorbell;
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
	/* One pin record per grant entry (grant/grant_pin.h), in a memfd
	 * that privileged domains pinning on their own map too. */
	int active_fd;
	struct sdrv_gnt_shared *gnt_shared;
	struct sdrv_gnt_active *active; /* gnt_shared->active */
	/* Pins hv-stub's core holds (maps, copies in progress): a destroyed
	 * domain's memory stays while any remain. */
	uint64_t hv_pins;
	struct hv_maptrack *maptrack; /* HV_MAPTRACK_MAX handles */
	uint32_t nr_maps; /* maptrack entries in use */
	uint32_t maptrack_free; /* first free handle; HV_MAPTRACK_MAX: none */
	uint64_t generation; /* unique per creation: ids are reused */
	/* Grant copies naming one of its frames directly (no grant, so no
	 * pin) that run now, outside the lock: its memory stays until
	 * they end. */
	uint32_t frame_copies;
	struct hv_port *ports; /* SDRV_EVTCHN_2L_NR_PORTS of them */
	uint32_t max_ports; /* ports 1 .. max_ports-1 may be allocated */
	uint32_t nr_ports; /* in use */
	int upcall_fd; /* eventfd: written when an upcall becomes due */
	uint64_t events, upcalls; /* sends delivered, eventfd writes */
	/* XenStore: the port of the domain's ring (0: none); the ring page is
	 * frame SDRV_PLATFORM_XENSTORE_FRAME, offered at grant
	 * SDRV_XS_RESERVED_GREF. */
	sdrv_evtchn_port_t xs_port;
};

struct hv {
	pthread_mutex_t lock;
	/* Read-held by a send while it kicks an upcall eventfd after
	 * dropping the lock; write-held to close one. */
	pthread_rwlock_t kick_lock;
	uint64_t generations;
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

/**
 * hv_domain_reset() - the domain stays but its user went away (a process
 * detached, dom0's backend restarting): revoke its mappings of others'
 * grants and close its event channels (peers see it), all but the
 * toolstack's XenStore channel, which belongs to the domain.
 * Return: 0 or -ENOENT.
 */
int hv_domain_reset(struct hv *hv, sdrv_domid_t id);

/* The domain's memory as the hypervisor sees it (tests, in-process). */
unsigned char *hv_domain_memory(struct hv *hv, sdrv_domid_t id,
				uint32_t *nr_frames);
/* Maps the domain holds now (leak checks). */
uint32_t hv_domain_nr_maps(struct hv *hv, sdrv_domid_t id);

/* A copy of the domain's record as it is now.  Its memory (mem, mem_fd) and
 * upcall_fd stay for the domain's life (dup the fds to keep them); the
 * bookkeeping pointers may move.  Return: 0 or -ENOENT. */
int hv_domain_info(struct hv *hv, sdrv_domid_t id, struct hv_domain *out);

/* Record @port as the domain's XenStore channel (Xen keeps it as a
 * domain parameter): kept when its process lets go, handed to the next
 * at attach.  The toolstack sets it up (hv-stub/builder.h).
 * Return: 0, -ENOENT or -EEXIST (set before). */
int hv_domain_set_xenstore_port(struct hv *hv, sdrv_domid_t id,
				sdrv_evtchn_port_t port);

/* Change the port limit (1 < @max <= SDRV_EVTCHN_2L_NR_PORTS); ports at or
 * above it that are in use stay.  Return: 0, -ENOENT or -EINVAL. */
int hv_domain_set_max_ports(struct hv *hv, sdrv_domid_t id, uint32_t max);

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

/* The page handle @handle of @caller maps, as the hypervisor sees it (valid
 * until unmapped: a destroyed granter's memory stays while pinned), or NULL.
 * For callers sharing the hypervisor's address space (in-process). */
unsigned char *hv_grant_page(struct hv *hv, sdrv_domid_t caller,
			     sdrv_grant_handle_t handle);

/* What a privileged backend needs to pin and copy a granter's grants in
 * its own process (grant/grant_pin.h): the granter's memory and its shared
 * pin table, as fds (hv-stub's own: dup them to keep them). */
struct hv_grant_view {
	int mem_fd, active_fd;
	uint32_t nr_frames, nr_entries, first_frame;
	uint64_t generation;
};

/* The view of @granter for privileged @caller.
 * Return: 0, -EPERM (caller not privileged) or -ESRCH. */
int hv_grant_view(struct hv *hv, sdrv_domid_t caller, sdrv_domid_t granter,
		  struct hv_grant_view *out);

/* A backend that pinned on its own with @token went away: undo its locks
 * and the held pins of its @log (@n records) in every domain.
 * Return: how many pins and locks were undone. */
unsigned hv_pin_recover(struct hv *hv, uint32_t token, struct sdrv_gnt_pin *log,
			unsigned n);

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

/* ---- words for hvctl ------------------------------------------------- */

/* Column titles for hv_domain_list_row(). */
void hv_list_header(FILE *f);
/* One line (no newline) about domain @id.  Return: 0 or -ENOENT. */
int hv_domain_list_row(struct hv *hv, sdrv_domid_t id, FILE *f);
/* The domain's grants (offered and mapped) and event channels.
 * Return: 0 or -ENOENT. */
int hv_domain_describe(struct hv *hv, sdrv_domid_t id, FILE *f);

/* ---- event channel operations, made by domain @caller -------------- */

/**
 * hv_evtchn_alloc_unbound() - a fresh port of @dom that @remote_dom may bind.
 * @dom must be @caller (or SDRV_DOMID_SELF) unless @caller is privileged.
 * Return: 0 with *@port set; -ESRCH (no such domain), -EPERM, -ENOSPC (the
 * domain's port limit).
 */
int hv_evtchn_alloc_unbound(struct hv *hv, sdrv_domid_t caller,
			    sdrv_domid_t dom, sdrv_domid_t remote_dom,
			    sdrv_evtchn_port_t *port);

/**
 * hv_evtchn_bind_interdomain() - connect a fresh port of @caller to
 * @remote_port of @remote_dom, which must be unbound and offered to @caller.
 * The new local port is marked pending (as Xen does), so the caller checks
 * its peer's state once.
 * Return: 0 with *@local_port set; -ESRCH, -EINVAL (port not offered to the
 * caller), -ENOSPC.
 */
int hv_evtchn_bind_interdomain(struct hv *hv, sdrv_domid_t caller,
			       sdrv_domid_t remote_dom,
			       sdrv_evtchn_port_t remote_port,
			       sdrv_evtchn_port_t *local_port);

/**
 * hv_evtchn_send() - mark the peer's port pending and wake the peer if an
 * upcall became due.  Sending on an unbound port is dropped, as in Xen.
 * Return: 0, or -EINVAL (not @caller's port, or closed).
 */
int hv_evtchn_send(struct hv *hv, sdrv_domid_t caller, sdrv_evtchn_port_t port);

/**
 * hv_evtchn_close() - free @caller's @port.  An interdomain peer's port goes
 * back to unbound (offered to @caller again) and is marked pending, so the
 * peer sees the close.  Return: 0 or -EINVAL.
 */
int hv_evtchn_close(struct hv *hv, sdrv_domid_t caller, sdrv_evtchn_port_t port);

/**
 * hv_evtchn_doorbells() - the doorbells of @caller's open @port: the one
 * its peer rings to wake @caller (*@ring_mine, the port's own) and, if the
 * port is bound, the one @caller rings to wake the peer (*@ring_peer, -1
 * while unbound).  The fds stay the hypervisor's: pass or dup them.  Whom
 * *@ring_peer reaches changes with the binding: the domain's binding epoch
 * (SDRV_SHINFO_BINDING_EPOCH_OFFSET) moves first.
 * Return: 0, or -EINVAL (not an open port of @caller).
 */
int hv_evtchn_doorbells(struct hv *hv, sdrv_domid_t caller,
			sdrv_evtchn_port_t port, int *ring_mine,
			int *ring_peer);

/* State of @st->port of @st->dom (the caller's own, or any if privileged).
 * Return: 0, -ESRCH, -EPERM or -EINVAL. */
int hv_evtchn_status(struct hv *hv, sdrv_domid_t caller,
		     struct sdrv_evtchn_status *st);

#endif /* HV_CORE_HV_H */
