/* SPDX-License-Identifier: MIT */
/*
 * hv-stub/core/domain.c - the domain table and domain memory.
 */
#define _GNU_SOURCE
#include "hv.h"
#include "hv_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

int hv_init(struct hv *hv)
{
	memset(hv, 0, sizeof(*hv));
	pthread_rwlock_init(&hv->kick_lock, NULL);
	return -pthread_mutex_init(&hv->lock, NULL);
}

void hv_fini(struct hv *hv)
{
	for (unsigned id = 0; id < HV_MAX_DOMAINS; id++)
		if (hv->domains[id])
			hv_domain_destroy(hv, (sdrv_domid_t)id);
	/* Domains others still had pinned were kept as zombies; with every
	 * domain gone no pins remain, so none is left. */
	pthread_mutex_destroy(&hv->lock);
	pthread_rwlock_destroy(&hv->kick_lock);
}

static size_t active_bytes(const struct hv_domain *d)
{
	return sizeof(struct sdrv_gnt_shared) +
	       (size_t)hv_nr_grant_entries(d) * sizeof(struct sdrv_gnt_active);
}

/* Memory shared with other processes: a memfd of @bytes, mapped here. */
static void *shared_alloc(const char *name, size_t bytes, int *fd)
{
	void *mem;

	*fd = memfd_create(name, MFD_CLOEXEC);
	if (*fd < 0 || ftruncate(*fd, (off_t)bytes) < 0)
		return NULL;
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	return mem == MAP_FAILED ? NULL : mem;
}

/* Frees @d; closing its upcall fd waits for sends kicking it. */
static void domain_free(struct hv *hv, struct hv_domain *d)
{
	if (d->mem)
		munmap(d->mem, (size_t)d->nr_frames * SDRV_PAGE_SIZE);
	if (d->mem_fd >= 0)
		close(d->mem_fd);
	if (d->upcall_fd >= 0) {
		/* not while a send kicks it outside the lock */
		pthread_rwlock_wrlock(&hv->kick_lock);
		close(d->upcall_fd);
		pthread_rwlock_unlock(&hv->kick_lock);
	}
	if (d->gnt_shared)
		munmap(d->gnt_shared, active_bytes(d));
	if (d->active_fd >= 0)
		close(d->active_fd);
	for (uint32_t p = 0; d->ports && p < SDRV_EVTCHN_2L_NR_PORTS; p++)
		if (d->ports[p].doorbell >= 0)
			close(d->ports[p].doorbell); /* the kept XenStore port */
	free(d->ports);
	free(d->maptrack);
	free(d);
}

int hv_domain_create(struct hv *hv, sdrv_domid_t id, const char *name,
		     uint32_t nr_frames, bool privileged)
{
	struct hv_domain *d;
	size_t bytes = (size_t)nr_frames * SDRV_PAGE_SIZE;
	int err = 0;

	if (id >= HV_MAX_DOMAINS || !name || !*name ||
	    strlen(name) >= HV_NAME_MAX || nr_frames <= HV_RESERVED_FRAMES ||
	    nr_frames > HV_MAX_FRAMES)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->mem_fd = d->active_fd = d->upcall_fd = -1;
	d->id = id;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->privileged = privileged;
	d->nr_frames = nr_frames;
	d->gnttab_frames = HV_GNTTAB_FRAMES;
	d->max_ports = HV_EVTCHN_DEFAULT_MAX;
	d->mem_fd = memfd_create(d->name, MFD_CLOEXEC);
	/* Blocking, so a waiter can sleep in read() alone; a write never
	 * blocks in practice: one per upcall, the counter cannot fill. */
	d->upcall_fd = eventfd(0, EFD_CLOEXEC);
	d->gnt_shared = shared_alloc("grant-active", active_bytes(d),
				     &d->active_fd);
	if (d->gnt_shared) {
		d->gnt_shared->nr_entries = hv_nr_grant_entries(d);
		d->active = d->gnt_shared->active;
	}
	d->maptrack = calloc(HV_MAPTRACK_MAX, sizeof(*d->maptrack));
	d->ports = calloc(SDRV_EVTCHN_2L_NR_PORTS, sizeof(*d->ports));
	if (d->mem_fd < 0 || d->upcall_fd < 0 ||
	    ftruncate(d->mem_fd, (off_t)bytes) < 0) {
		err = -errno;
	} else {
		d->mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
			      d->mem_fd, 0);
		if (d->mem == MAP_FAILED) {
			d->mem = NULL;
			err = -errno;
		}
	}
	if (!err && (!d->active || !d->maptrack || !d->ports))
		err = -ENOMEM;
	for (uint32_t p = 0; d->ports && p < SDRV_EVTCHN_2L_NR_PORTS; p++)
		d->ports[p].doorbell = -1;
	for (uint32_t h = 0; d->maptrack && h < HV_MAPTRACK_MAX; h++)
		d->maptrack[h].next_free = h + 1; /* the last: none */
	if (err) {
		domain_free(hv, d);
		return err;
	}
	pthread_mutex_lock(&hv->lock);
	if (hv->domains[id]) {
		err = -EEXIST;
	} else {
		d->generation = ++hv->generations;
		d->gnt_shared->generation = d->generation;
		hv->domains[id] = d;
	}
	pthread_mutex_unlock(&hv->lock);
	if (err)
		domain_free(hv, d);
	return err;
}

void hv_zombie_check(struct hv *hv, struct hv_domain *d)
{
	if (d->dying && d->hv_pins == 0 && d->frame_copies == 0) {
		hv->domains[d->id] = NULL;
		domain_free(hv, d);
	}
}

/* Close @d's channels but @keep and revoke its mappings of others' grants;
 * lock held. */
static void release_domain_resources(struct hv *hv, struct hv_domain *d,
				     sdrv_evtchn_port_t keep)
{
	/* Peers see its channels close while it is still a domain. */
	hv_evtchn_close_all(hv, d, keep);
	for (uint32_t h = 0; h < HV_MAPTRACK_MAX; h++)
		if (d->maptrack[h].in_use)
			hv_unmap_locked(hv, d, h);
}

int hv_domain_reset(struct hv *hv, sdrv_domid_t id)
{
	struct hv_domain *d;

	pthread_mutex_lock(&hv->lock);
	d = hv_live_domain(hv, id);
	if (d) /* the toolstack's XenStore channel is the domain's, not its
		* process's: the next process uses it */
		release_domain_resources(hv, d, d->xs_port);
	pthread_mutex_unlock(&hv->lock);
	return d ? 0 : -ENOENT;
}

int hv_domain_destroy(struct hv *hv, sdrv_domid_t id)
{
	struct hv_domain *d;

	pthread_mutex_lock(&hv->lock);
	d = hv_live_domain(hv, id);
	if (!d) {
		pthread_mutex_unlock(&hv->lock);
		return -ENOENT;
	}
	/* Backends pinning on their own see it at their next pin (pairs
	 * with the acquire in sdrv_gnt_pin_take()). */
	__atomic_store_n(&d->gnt_shared->dead, 1, __ATOMIC_RELEASE);
	release_domain_resources(hv, d, 0);
	d->dying = true;
	/* Its own memory goes once nobody maps its grants any more. */
	hv_zombie_check(hv, d);
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

unsigned char *hv_domain_memory(struct hv *hv, sdrv_domid_t id,
				uint32_t *nr_frames)
{
	struct hv_domain *d;
	unsigned char *mem = NULL;

	pthread_mutex_lock(&hv->lock);
	d = hv_live_domain(hv, id);
	if (d) {
		mem = d->mem;
		if (nr_frames)
			*nr_frames = d->nr_frames;
	}
	pthread_mutex_unlock(&hv->lock);
	return mem;
}

uint32_t hv_domain_nr_maps(struct hv *hv, sdrv_domid_t id)
{
	struct hv_domain *d;
	uint32_t n = 0;

	pthread_mutex_lock(&hv->lock);
	d = hv_live_domain(hv, id);
	if (d)
		n = d->nr_maps;
	pthread_mutex_unlock(&hv->lock);
	return n;
}

int hv_domain_info(struct hv *hv, sdrv_domid_t id, struct hv_domain *out)
{
	struct hv_domain *d;

	pthread_mutex_lock(&hv->lock);
	d = hv_live_domain(hv, id);
	if (d)
		*out = *d;
	pthread_mutex_unlock(&hv->lock);
	return d ? 0 : -ENOENT;
}

int hv_domain_set_max_ports(struct hv *hv, sdrv_domid_t id, uint32_t max)
{
	struct hv_domain *d;
	int err = 0;

	if (max < 2 || max > SDRV_EVTCHN_2L_NR_PORTS)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	d = hv_live_domain(hv, id);
	if (d)
		d->max_ports = max;
	else
		err = -ENOENT;
	pthread_mutex_unlock(&hv->lock);
	return err;
}

int hv_domain_set_xenstore_port(struct hv *hv, sdrv_domid_t id,
				sdrv_evtchn_port_t port)
{
	struct hv_domain *d;
	int err = 0;

	pthread_mutex_lock(&hv->lock);
	d = hv_live_domain(hv, id);
	if (!d)
		err = -ENOENT;
	else if (d->xs_port)
		err = -EEXIST;
	else
		d->xs_port = port;
	pthread_mutex_unlock(&hv->lock);
	return err;
}
