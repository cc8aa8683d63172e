/* SPDX-License-Identifier: MIT */
/*
 * hv-stub/core/grant.c - grant map, unmap and copy, checked every time.
 *
 * The entry lives in the granter's memory and the granter may rewrite it at
 * any moment.  Pinning therefore reads flags and domid as one 32-bit word,
 * checks that copy, and sets GTF_reading/GTF_writing with a compare-and-swap
 * against exactly the word it checked: if the granter changed anything in
 * between, the swap fails and the checks run again on the new value.
 */
#define _GNU_SOURCE
#include "hv.h"
#include "hv_internal.h"

#include <errno.h>
#include <string.h>

/* The lock token of pins hv-stub's core makes itself (backends that pin
 * on their own are given others, see hv_domain_pin_token()). */
#define HV_PIN_TOKEN HV_PIN_TOKEN_CORE

struct pin {
	struct hv_domain *granter;
	struct sdrv_gnt_pin gp;
};

static void unpin(struct pin *p)
{
	struct sdrv_gnt_granter g = hv_granter(p->granter);

	sdrv_gnt_pin_drop(&g, HV_PIN_TOKEN, &p->gp);
	p->granter->hv_pins--;
}

/* Pin @p->gp.ref of @p->granter for @caller; fills p->gp.frame.  Lock
 * held. */
static int pin(struct hv_domain *caller, struct pin *p)
{
	struct sdrv_gnt_granter g = hv_granter(p->granter);
	int st = sdrv_gnt_pin_take(&g, caller->id, HV_PIN_TOKEN, &p->gp);

	if (st == SDRV_GNTST_okay)
		p->granter->hv_pins++;
	return st;
}

int hv_grant_map(struct hv *hv, sdrv_domid_t caller, sdrv_domid_t granter,
		 sdrv_grant_ref_t ref, bool readonly,
		 sdrv_grant_handle_t *handle, uint32_t *frame)
{
	struct hv_domain *c, *g;
	struct pin p = { .gp = { .ref = ref, .readonly = readonly } };
	int st = SDRV_GNTST_okay;
	uint32_t h;

	pthread_mutex_lock(&hv->lock);
	c = hv_live_domain(hv, caller);
	g = hv_live_domain(hv, granter);
	if (!c || !g) {
		st = SDRV_GNTST_bad_domain;
		goto out;
	}
	h = c->maptrack_free; /* a free list, as Xen's maptrack */
	if (h >= HV_MAPTRACK_MAX) {
		st = SDRV_GNTST_no_space;
		goto out;
	}
	p.granter = g;
	st = pin(c, &p);
	if (st != SDRV_GNTST_okay)
		goto out;
	c->maptrack_free = c->maptrack[h].next_free;
	c->maptrack[h] = (struct hv_maptrack){ .in_use = true,
					       .readonly = readonly,
					       .granter = granter,
					       .ref = ref };
	c->nr_maps++;
	*handle = h;
	*frame = p.gp.frame;
out:
	pthread_mutex_unlock(&hv->lock);
	return st;
}

void hv_unmap_locked(struct hv *hv, struct hv_domain *d, uint32_t h)
{
	struct hv_maptrack *m = &d->maptrack[h];
	/* The granter may be dying (a zombie): it stays in the table until
	 * its last pin goes, which may be this one. */
	struct pin p = { .granter = hv->domains[m->granter],
			 .gp = { .ref = m->ref, .readonly = m->readonly } };

	if (p.granter) /* kept as a zombie while this pin lasts */
		unpin(&p);
	m->in_use = false;
	m->next_free = d->maptrack_free;
	d->maptrack_free = h;
	d->nr_maps--;
	hv_zombie_check(hv, p.granter);
}

int hv_grant_unmap(struct hv *hv, sdrv_domid_t caller,
		   sdrv_grant_handle_t handle)
{
	struct hv_domain *c;
	int st = SDRV_GNTST_okay;

	pthread_mutex_lock(&hv->lock);
	c = hv_live_domain(hv, caller);
	if (!c)
		st = SDRV_GNTST_bad_domain;
	else if (handle >= HV_MAPTRACK_MAX || !c->maptrack[handle].in_use)
		st = SDRV_GNTST_bad_handle;
	else
		hv_unmap_locked(hv, c, handle);
	pthread_mutex_unlock(&hv->lock);
	return st;
}

/* ---- copy ---------------------------------------------------------- */

/* One side of a segment, resolved: where to copy, and what keeps the page
 * there while the copy runs outside the lock: a pin of the grant, or a
 * hold on the domain whose frame is named directly. */
struct side {
	unsigned char *page;
	struct pin pin;
	bool pinned;
	struct hv_domain *held; /* frame_copies taken, or NULL */
};

static int resolve(struct hv *hv, struct hv_domain *c,
		   const struct sdrv_gnttab_copy_ptr *ptr, bool is_gref,
		   bool readonly, struct side *s)
{
	struct hv_domain *d;
	uint64_t frame;

	s->pinned = false;
	s->held = NULL;
	if (is_gref) {
		d = hv_live_domain(hv, ptr->domid);
		if (!d)
			return SDRV_GNTST_bad_domain;
		s->pin = (struct pin){ .granter = d,
				       .gp = { .ref = ptr->u.ref,
					       .readonly = readonly } };
		int st = pin(c, &s->pin);

		if (st != SDRV_GNTST_okay)
			return st;
		s->pinned = true;
		frame = s->pin.gp.frame;
	} else {
		/* A frame of one's own memory; only dom0 names another's. */
		sdrv_domid_t id = ptr->domid == SDRV_DOMID_SELF ? c->id
							      : ptr->domid;

		if (id != c->id && !c->privileged)
			return SDRV_GNTST_permission_denied;
		d = hv_live_domain(hv, id);
		if (!d)
			return SDRV_GNTST_bad_domain;
		frame = ptr->u.gmfn;
		if (frame >= d->nr_frames)
			return SDRV_GNTST_bad_page;
		/* A destroy meanwhile must not free these pages under the
		 * copy: the domain is held until release_side(). */
		d->frame_copies++;
		s->held = d;
	}
	s->page = d->mem + frame * SDRV_PAGE_SIZE;
	return SDRV_GNTST_okay;
}

/* Drop what resolve() took; a dying domain whose last user this was goes
 * now.  Lock held. */
static void release_side(struct hv *hv, struct side *s)
{
	struct hv_domain *d = NULL;

	if (s->pinned) {
		unpin(&s->pin);
		d = s->pin.granter;
	} else if (s->held) {
		s->held->frame_copies--;
		d = s->held;
	}
	s->pinned = false;
	s->held = NULL;
	if (d)
		hv_zombie_check(hv, d);
}

#define COPY_CHUNK 64u

unsigned hv_grant_copy(struct hv *hv, sdrv_domid_t caller,
		       struct sdrv_gnttab_copy *segs, unsigned n)
{
	struct side src[COPY_CHUNK], dst[COPY_CHUNK];
	unsigned failed = 0;

	for (unsigned base = 0; base < n; base += COPY_CHUNK) {
		unsigned k = n - base < COPY_CHUNK ? n - base : COPY_CHUNK;
		struct hv_domain *c;

		/* Check and pin the chunk under the lock, copy without it
		 * (pins keep the pages), unpin under the lock. */
		pthread_mutex_lock(&hv->lock);
		c = hv_live_domain(hv, caller);
		for (unsigned i = 0; i < k; i++) {
			struct sdrv_gnttab_copy *sg = &segs[base + i];
			int st = SDRV_GNTST_okay;

			src[i] = (struct side){ 0 };
			dst[i] = (struct side){ 0 };
			if (sg->len == 0) {
				/* Nothing to copy: nothing is checked or
				 * touched, whatever it names (Xen, since
				 * XSA-448). */
				sg->status = SDRV_GNTST_okay;
				continue;
			}
			if (!c)
				st = SDRV_GNTST_bad_domain;
			else if ((uint32_t)sg->source.offset + sg->len > SDRV_PAGE_SIZE ||
				 (uint32_t)sg->dest.offset + sg->len > SDRV_PAGE_SIZE)
				st = SDRV_GNTST_bad_copy_arg;
			if (st == SDRV_GNTST_okay)
				st = resolve(hv, c, &sg->source,
					     sg->flags & SDRV_GNTCOPY_source_gref,
					     true, &src[i]);
			if (st == SDRV_GNTST_okay)
				st = resolve(hv, c, &sg->dest,
					     sg->flags & SDRV_GNTCOPY_dest_gref,
					     false, &dst[i]);
			if (st != SDRV_GNTST_okay) {
				release_side(hv, &src[i]);
				release_side(hv, &dst[i]);
				src[i].page = NULL;
				failed++;
			}
			sg->status = (int16_t)st;
		}
		pthread_mutex_unlock(&hv->lock);
		for (unsigned i = 0; i < k; i++) {
			struct sdrv_gnttab_copy *sg = &segs[base + i];

			if (src[i].page)
				memmove(dst[i].page + sg->dest.offset,
					src[i].page + sg->source.offset, sg->len);
		}
		pthread_mutex_lock(&hv->lock);
		for (unsigned i = 0; i < k; i++) {
			release_side(hv, &src[i]);
			release_side(hv, &dst[i]);
		}
		pthread_mutex_unlock(&hv->lock);
	}
	return failed;
}

unsigned char *hv_grant_page(struct hv *hv, sdrv_domid_t caller,
			     sdrv_grant_handle_t handle)
{
	struct hv_domain *c, *g;
	unsigned char *page = NULL;

	pthread_mutex_lock(&hv->lock);
	c = hv_live_domain(hv, caller);
	if (c && handle < HV_MAPTRACK_MAX && c->maptrack[handle].in_use) {
		/* live, or a zombie kept for this very pin */
		g = hv->domains[c->maptrack[handle].granter];
		page = g->mem + (size_t)g->active[c->maptrack[handle].ref].frame *
					SDRV_PAGE_SIZE;
	}
	pthread_mutex_unlock(&hv->lock);
	return page;
}

int hv_grant_view(struct hv *hv, sdrv_domid_t caller, sdrv_domid_t granter,
		  struct hv_grant_view *out)
{
	struct hv_domain *c, *g;
	int err = 0;

	pthread_mutex_lock(&hv->lock);
	c = hv_live_domain(hv, caller);
	g = hv_live_domain(hv, granter);
	if (!c || !g)
		err = -ESRCH;
	else if (!c->privileged)
		err = -EPERM;
	else
		*out = (struct hv_grant_view){
			.mem_fd = g->mem_fd, .active_fd = g->active_fd,
			.nr_frames = g->nr_frames,
			.nr_entries = hv_nr_grant_entries(g),
			.first_frame = HV_RESERVED_FRAMES,
			.generation = g->generation };
	pthread_mutex_unlock(&hv->lock);
	return err;
}

unsigned hv_pin_recover(struct hv *hv, uint32_t token, struct sdrv_gnt_pin *log,
			unsigned n)
{
	unsigned undone = 0;

	if (token == HV_PIN_TOKEN)
		return 0; /* never a backend's */
	pthread_mutex_lock(&hv->lock);
	for (unsigned id = 0; id < HV_MAX_DOMAINS; id++) {
		struct hv_domain *d = hv->domains[id];

		if (d) { /* live or a zombie: its table is still here */
			struct sdrv_gnt_granter g = hv_granter(d);

			undone += sdrv_gnt_pin_recover(&g, d->id, d->generation,
						       token, log, n);
		}
	}
	pthread_mutex_unlock(&hv->lock);
	return undone;
}
