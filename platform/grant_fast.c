/* SPDX-License-Identifier: MIT */
/*
 * platform/grant_fast.c - grant copy in a privileged domain's own process
 * (see grant_fast.h).
 */
#define _GNU_SOURCE
#include "grant_fast.h"

#include <errno.h>
#include <stddef.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* One granter incarnation as this process sees it. */
struct grant_view {
	uint64_t generation;
	unsigned char *mem;
	size_t mem_bytes;
	struct sdrv_gnt_shared *shared;
	size_t shared_bytes;
	struct sdrv_gnt_granter g;
	bool dead; /* a pin found it destroyed: fetch anew */
	/* Mappings handed out of it (grant_fast_map_page()); a dead view
	 * with mappings leaves its slot and goes with the last of them. */
	uint32_t maps;
	bool detached;
	unsigned char *mem_ro; /* a read-only mapping, for read-only maps */
	int mem_fd;
};

/* Views are indexed by domid below this. */
#define NR_VIEW_SLOTS SDRV_DOMID_FIRST_RESERVED

/* Granter @d's view, or NULL (none yet, or no domain's id). */
static struct grant_view *view_of(const struct grant_fast *gf, sdrv_domid_t d)
{
	return d < NR_VIEW_SLOTS ? gf->views[d] : NULL;
}

int grant_fast_init(struct grant_fast *gf, void *ctx, grant_fast_call_fn call,
		    sdrv_domid_t self, unsigned char *self_mem,
		    uint32_t self_frames)
{
	struct hvp_fastpath rep;
	int fd = -1, err;
	void *log;

	memset(gf, 0, sizeof(*gf));
	gf->ctx = ctx;
	gf->call = call;
	gf->self = self;
	gf->self_mem = self_mem;
	gf->self_frames = self_frames;
	err = call(ctx, HVP_GRANT_FASTPATH, NULL, 0, &rep, sizeof(rep), &fd, 1);
	if (err)
		return err;
	if (rep.nr_log != HVP_PIN_LOG_RECORDS || rep.token == 0) {
		close(fd);
		return -EPROTO;
	}
	log = mmap(NULL, HVP_PIN_LOG_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (log == MAP_FAILED)
		return -errno;
	gf->views = calloc(NR_VIEW_SLOTS, sizeof(*gf->views));
	if (!gf->views) {
		munmap(log, HVP_PIN_LOG_BYTES);
		return -ENOMEM;
	}
	gf->holds_free = malloc(GRANT_FAST_HOLDS * sizeof(*gf->holds_free));
	if (!gf->holds_free) {
		free(gf->views);
		munmap(log, HVP_PIN_LOG_BYTES);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < GRANT_FAST_HOLDS; i++)
		gf->holds_free[i] = HVP_PIN_LOG_RECORDS - 1 - i;
	gf->nr_holds_free = GRANT_FAST_HOLDS;
	gf->log_hdr = log;
	gf->log = (struct sdrv_gnt_pin *)(void *)(gf->log_hdr + 1);
	gf->token = rep.token;
	pthread_mutex_init(&gf->views_lock, NULL);
	pthread_mutex_init(&gf->holds_lock, NULL);
	return 0;
}

static void view_free(struct grant_view *v)
{
	if (!v)
		return;
	if (v->mem)
		munmap(v->mem, v->mem_bytes);
	if (v->mem_ro)
		munmap(v->mem_ro, v->mem_bytes);
	if (v->mem_fd >= 0)
		close(v->mem_fd);
	if (v->shared)
		munmap(v->shared, v->shared_bytes);
	free(v);
}

void grant_fast_fini(struct grant_fast *gf)
{
	if (!gf->log)
		return;
	for (unsigned d = 0; d < NR_VIEW_SLOTS; d++)
		view_free(gf->views[d]);
	free(gf->views);
	free(gf->holds_free);
	munmap(gf->log_hdr, HVP_PIN_LOG_BYTES);
	pthread_mutex_destroy(&gf->views_lock);
	pthread_mutex_destroy(&gf->holds_lock);
	gf->log = NULL;
}

/* Take the view in *@slot out of use: freed now, or by the last unmap of
 * a page in it.  Views held exclusively. */
static void view_retire(struct grant_view **slot)
{
	struct grant_view *v = *slot;

	*slot = NULL;
	if (!v)
		return;
	if (v->maps)
		v->detached = true;
	else
		view_free(v);
}

/* Fetch granter @domid's view from hv-stub; views lock held for writing.
 * Return: the view, or NULL (no such domain, or not for us). */
static struct grant_view *view_fetch(struct grant_fast *gf, sdrv_domid_t domid)
{
	struct hvp_domid req = { .domid = domid };
	struct hvp_grant_view rep;
	struct grant_view *v;
	int fds[2] = { -1, -1 };

	if (gf->call(gf->ctx, HVP_GRANT_VIEW, &req, sizeof(req), &rep,
		     sizeof(rep), fds, 2))
		return NULL;
	v = calloc(1, sizeof(*v));
	if (v)
		v->mem_fd = -1;
	/* hv-stub is trusted, but a view that does not add up is not used */
	if (!v || rep.domid != domid || rep.nr_entries == 0 ||
	    (uint64_t)rep.nr_entries * sizeof(struct sdrv_grant_entry_v1) >
		    (uint64_t)rep.first_frame * SDRV_PAGE_SIZE ||
	    rep.first_frame >= rep.nr_frames)
		goto fail;
	v->generation = rep.generation;
	v->mem_bytes = (size_t)rep.nr_frames * SDRV_PAGE_SIZE;
	v->shared_bytes = sizeof(struct sdrv_gnt_shared) +
			  (size_t)rep.nr_entries * sizeof(struct sdrv_gnt_active);
	v->mem = mmap(NULL, v->mem_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fds[0], 0);
	v->mem_fd = fds[0]; /* kept for a read-only mapping */
	fds[0] = -1;
	v->shared = mmap(NULL, v->shared_bytes, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fds[1], 0);
	if (v->mem == MAP_FAILED)
		v->mem = NULL;
	if (v->shared == MAP_FAILED)
		v->shared = NULL;
	if (!v->mem || !v->shared || v->shared->nr_entries != rep.nr_entries)
		goto fail;
	v->g = (struct sdrv_gnt_granter){
		.entries = (struct sdrv_grant_entry_v1 *)(void *)v->mem,
		.active = v->shared->active,
		.shared = v->shared,
		.nr_entries = rep.nr_entries,
		.first_frame = rep.first_frame,
		.nr_frames = rep.nr_frames,
	};
	close(fds[1]);
	return v;
fail:
	if (fds[0] >= 0)
		close(fds[0]);
	close(fds[1]);
	view_free(v);
	return NULL;
}

/* The granter side @side (0 source, 1 dest) of @sg names by grant ref,
 * if it names one a view can be had of: true with *@domid set. */
static bool side_granter(const struct sdrv_gnttab_copy *sg, int side,
			 sdrv_domid_t *domid)
{
	unsigned flag = side ? SDRV_GNTCOPY_dest_gref : SDRV_GNTCOPY_source_gref;

	*domid = side ? sg->dest.domid : sg->source.domid;
	return sg->len && (sg->flags & flag) && *domid < NR_VIEW_SLOTS;
}

/* Whether every granter the segments name by grant ref has a live view. */
static bool views_ready(struct grant_fast *gf, const struct sdrv_gnttab_copy *segs,
			unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (int side = 0; side < 2; side++) {
			const struct grant_view *v;
			sdrv_domid_t d;

			if (side_granter(&segs[i], side, &d) &&
			    (!(v = gf->views[d]) || v->dead))
				return false;
		}
	return true;
}

/* Views held exclusively: (re)fetch each missing or dead view. */
static void views_refresh(struct grant_fast *gf, const struct sdrv_gnttab_copy *segs,
			  unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (int side = 0; side < 2; side++) {
			struct grant_view **slot;
			sdrv_domid_t d;

			if (!side_granter(&segs[i], side, &d))
				continue;
			slot = &gf->views[d];
			if (*slot && !(*slot)->dead)
				continue;
			view_retire(slot);
			*slot = view_fetch(gf, d);
		}
}

/*
 * Lanes double as the readers of the views: a copier holds a lane (its own
 * records of the pin log) while it uses views, and whoever changes the
 * views first raises VIEWS_WRITER, then waits for every lane to come back.
 * One locked instruction each way per call, where a read-write lock and a
 * lane took two.
 */
#define VIEWS_WRITER (1ull << 63)
#define LANES_ALL ((1ull << GRANT_FAST_LANES) - 1)

static unsigned lane_get(struct grant_fast *gf)
{
	for (;;) {
		uint64_t busy = __atomic_load_n(&gf->lanes_busy, __ATOMIC_RELAXED);
		unsigned lane;

		if ((busy & VIEWS_WRITER) || (busy & LANES_ALL) == LANES_ALL) {
			sched_yield();
			continue;
		}
		lane = (unsigned)__builtin_ctzll(~busy);
		/* pairs with the release in lane_put() and views_end() */
		if (__atomic_compare_exchange_n(&gf->lanes_busy, &busy,
						busy | (1ull << lane), false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return lane;
	}
}

static void lane_put(struct grant_fast *gf, unsigned lane)
{
	/* pairs with the acquire in views_begin() */
	__atomic_fetch_and(&gf->lanes_busy, ~(1ull << lane), __ATOMIC_RELEASE);
}

/* Exclusive use of the views: no copier holds a lane until views_end(). */
static void views_begin(struct grant_fast *gf)
{
	pthread_mutex_lock(&gf->views_lock);
	__atomic_fetch_or(&gf->lanes_busy, VIEWS_WRITER, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&gf->lanes_busy, __ATOMIC_ACQUIRE) & LANES_ALL)
		sched_yield();
}

static void views_end(struct grant_fast *gf)
{
	__atomic_fetch_and(&gf->lanes_busy, ~VIEWS_WRITER, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&gf->views_lock);
}

/* One side of a segment, resolved. */
struct side {
	unsigned char *page;
	struct grant_view *view; /* pinned in it, or NULL */
	struct sdrv_gnt_pin *pin;
};

/* The granter whose lock this copier holds: taken when a pin or drop
 * needs another's, so a batch pays one locked instruction per run of
 * segments of one granter, and never holds two (no lock order). */
struct held_lock {
	struct grant_view *view;
	uint32_t token;
};

static void hold(struct held_lock *h, struct grant_view *v)
{
	if (h->view == v)
		return;
	if (h->view)
		sdrv_gnt_unlock(&h->view->g);
	sdrv_gnt_lock(&v->g, h->token);
	h->view = v;
}

static void let_go(struct held_lock *h)
{
	if (h->view)
		sdrv_gnt_unlock(&h->view->g);
	h->view = NULL;
}

/* Resolve one side; @pin is its log record.  Return: a SDRV_GNTST_*, or 1
 * for "a frame of another domain: hv-stub's to do". */
static int resolve(struct grant_fast *gf, struct held_lock *h,
		   const struct sdrv_gnttab_copy_ptr *ptr, bool is_gref,
		   bool readonly, struct sdrv_gnt_pin *pin, struct side *s)
{
	s->view = NULL;
	if (is_gref) {
		struct grant_view *v = view_of(gf, ptr->domid);
		int st;

		if (!v || v->dead)
			return SDRV_GNTST_bad_domain;
		*pin = (struct sdrv_gnt_pin){ .ref = ptr->u.ref,
					      .granter = ptr->domid,
					      .readonly = readonly,
					      .generation = v->generation };
		hold(h, v);
		st = sdrv_gnt_pin_take_locked(&v->g, gf->self, pin);
		if (st == SDRV_GNTST_bad_domain)
			v->dead = true; /* destroyed: fetched anew next time */
		if (st != SDRV_GNTST_okay)
			return st;
		s->view = v;
		s->pin = pin;
		s->page = v->mem + (size_t)pin->frame * SDRV_PAGE_SIZE;
		return SDRV_GNTST_okay;
	}
	if (ptr->domid != SDRV_DOMID_SELF && ptr->domid != gf->self)
		return 1;
	if (ptr->u.gmfn >= gf->self_frames)
		return SDRV_GNTST_bad_page;
	s->page = gf->self_mem + (size_t)ptr->u.gmfn * SDRV_PAGE_SIZE;
	return SDRV_GNTST_okay;
}

static void release(struct held_lock *h, struct side *s)
{
	if (s->view) {
		hold(h, s->view);
		sdrv_gnt_pin_drop_locked(&s->view->g, s->pin);
	}
	s->view = NULL;
}

/* hv-stub destroyed domains since the last sweep: unmap the views it
 * marked dead, whether or not a copy names them again.  Views lock held
 * for writing. */
static void views_sweep(struct grant_fast *gf, uint64_t deaths)
{
	for (unsigned d = 0; d < NR_VIEW_SLOTS; d++) {
		struct grant_view *v = gf->views[d];

		if (v && __atomic_load_n(&v->shared->dead, __ATOMIC_ACQUIRE))
			view_retire(&gf->views[d]);
	}
	__atomic_store_n(&gf->deaths_seen, deaths, __ATOMIC_RELAXED);
}

/* Check and pin up to GRANT_FAST_CHUNK segments, copy them all, then drop
 * every pin: the first locked instruction after a copy waits for its
 * stores to drain, so unpinning after each copy would pay that once per
 * segment (measured: most of the overhead of a 4 KiB copy). */
static unsigned copy_chunk(struct grant_fast *gf, struct sdrv_gnttab_copy *segs,
			   unsigned k, struct sdrv_gnt_pin *pins,
			   unsigned *left_over)
{
	struct side src[GRANT_FAST_CHUNK], dst[GRANT_FAST_CHUNK];
	struct held_lock h = { .token = gf->token };
	unsigned failed = 0;

	for (unsigned i = 0; i < k; i++) {
		struct sdrv_gnttab_copy *sg = &segs[i];
		int st;

		src[i].view = dst[i].view = NULL;
		src[i].page = NULL;
		if (sg->len == 0) {
			/* nothing is checked or touched (Xen, since XSA-448) */
			sg->status = SDRV_GNTST_okay;
			continue;
		}
		if ((uint32_t)sg->source.offset + sg->len > SDRV_PAGE_SIZE ||
		    (uint32_t)sg->dest.offset + sg->len > SDRV_PAGE_SIZE) {
			st = SDRV_GNTST_bad_copy_arg;
		} else {
			st = resolve(gf, &h, &sg->source,
				     sg->flags & SDRV_GNTCOPY_source_gref, true,
				     &pins[2 * i], &src[i]);
			if (st == SDRV_GNTST_okay)
				st = resolve(gf, &h, &sg->dest,
					     sg->flags & SDRV_GNTCOPY_dest_gref,
					     false, &pins[2 * i + 1], &dst[i]);
		}
		if (st != SDRV_GNTST_okay) {
			release(&h, &src[i]);
			release(&h, &dst[i]);
			src[i].page = NULL;
			if (st == 1)
				(*left_over)++;
			else
				failed++;
		}
		sg->status = (int16_t)st;
	}
	/* The pins keep the pages: a batch copies without the lock, but one
	 * or two segments keep it rather than pay for it twice. */
	if (k > 2)
		let_go(&h);
	for (unsigned i = 0; i < k; i++) {
		unsigned char *to, *from;

		if (!src[i].page)
			continue;
		to = dst[i].page + segs[i].dest.offset;
		from = src[i].page + segs[i].source.offset;
		/* A packet's piece: moves in line (a call and glibc's size
		 * dispatch cost as much as the bytes); the same page may
		 * overlap itself, so memmove then. */
		if (segs[i].len <= 128 && src[i].page != dst[i].page)
			sdrv_copy(to, from, segs[i].len);
		else
			memmove(to, from, segs[i].len);
	}
	for (unsigned i = 0; i < k; i++) {
		release(&h, &src[i]);
		release(&h, &dst[i]);
	}
	let_go(&h);
	return failed;
}

unsigned grant_fast_copy(struct grant_fast *gf, struct sdrv_gnttab_copy *segs,
			 unsigned n, unsigned *left_over)
{
	unsigned failed = 0, lane;

	*left_over = 0;
	grant_fast_reap(gf);
	lane = lane_get(gf);
	if (!views_ready(gf, segs, n)) {
		lane_put(gf, lane);
		views_begin(gf);
		views_refresh(gf, segs, n);
		views_end(gf);
		/* a view still missing fails its segments (bad_domain) */
		lane = lane_get(gf);
	}
	for (unsigned base = 0; base < n; base += GRANT_FAST_CHUNK) {
		unsigned k = n - base < GRANT_FAST_CHUNK ? n - base
							 : GRANT_FAST_CHUNK;

		failed += copy_chunk(gf, segs + base, k,
				     &gf->log[lane * 2 * GRANT_FAST_CHUNK],
				     left_over);
	}
	lane_put(gf, lane);
	return failed;
}

void grant_fast_reap(struct grant_fast *gf)
{
	/* pairs with the release in hv-stub's hvd_domain_destroy() */
	uint64_t deaths = __atomic_load_n(&gf->log_hdr->deaths, __ATOMIC_ACQUIRE);

	if (deaths == __atomic_load_n(&gf->deaths_seen, __ATOMIC_RELAXED))
		return;
	views_begin(gf);
	if (deaths != gf->deaths_seen)
		views_sweep(gf, deaths);
	views_end(gf);
}

void *grant_fast_map_page(struct grant_fast *gf, sdrv_domid_t domid,
			  uint64_t generation, uint32_t frame, bool readonly,
			  struct grant_view **ref)
{
	struct grant_view *v, **slot;
	unsigned char *page = NULL;

	if (domid >= NR_VIEW_SLOTS)
		return NULL;
	views_begin(gf);
	slot = &gf->views[domid];
	if (!*slot || (*slot)->dead || (*slot)->generation != generation) {
		view_retire(slot);
		*slot = view_fetch(gf, domid);
	}
	v = *slot;
	if (v && v->generation == generation && frame >= v->g.first_frame &&
	    frame < v->g.nr_frames) {
		if (readonly && !v->mem_ro) {
			v->mem_ro = mmap(NULL, v->mem_bytes, PROT_READ, MAP_SHARED,
					 v->mem_fd, 0);
			if (v->mem_ro == MAP_FAILED)
				v->mem_ro = NULL;
		}
		page = readonly ? v->mem_ro : v->mem;
		if (page) {
			page += (size_t)frame * SDRV_PAGE_SIZE;
			v->maps++;
			*ref = v;
		}
	}
	views_end(gf);
	return page;
}

void grant_fast_unmap_page(struct grant_fast *gf, struct grant_view *v)
{
	views_begin(gf);
	if (v->maps)
		v->maps--;
	if (!v->maps && v->detached)
		view_free(v);
	views_end(gf);
}

/* ---- grants held across an I/O ------------------------------------------ */

/* Holds and reads both start with their granter: the views they need are
 * found the same way, @stride bytes apart. */
SDRV_STATIC_ASSERT(offsetof(struct sdrv_grant_hold, granter) == 0, "granter first");
SDRV_STATIC_ASSERT(offsetof(struct sdrv_grant_read, granter) == 0, "granter first");

static sdrv_domid_t granter_of(const void *items, size_t stride, unsigned i)
{
	sdrv_domid_t d;

	memcpy(&d, (const unsigned char *)items + (size_t)i * stride, sizeof(d));
	return d;
}

/* Whether each granter of @items (@n, @stride apart) has a live view. */
static bool granters_ready(struct grant_fast *gf, const void *items,
			   size_t stride, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		sdrv_domid_t d = granter_of(items, stride, i);
		const struct grant_view *v = view_of(gf, d);

		if (d < NR_VIEW_SLOTS && (!v || v->dead))
			return false;
	}
	return true;
}

/* Views held exclusively: (re)fetch each missing or dead one of @items. */
static void granters_refresh(struct grant_fast *gf, const void *items,
			     size_t stride, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		sdrv_domid_t d = granter_of(items, stride, i);
		struct grant_view **slot;

		if (d >= NR_VIEW_SLOTS)
			continue;
		slot = &gf->views[d];
		if (*slot && !(*slot)->dead)
			continue;
		view_retire(slot);
		*slot = view_fetch(gf, d);
	}
}

/* A lane, with a live view of each granter of @items where there is one. */
static unsigned lane_with_views(struct grant_fast *gf, const void *items,
				size_t stride, unsigned n)
{
	unsigned lane = lane_get(gf); /* a reader of the views */

	if (granters_ready(gf, items, stride, n))
		return lane;
	lane_put(gf, lane);
	views_begin(gf);
	granters_refresh(gf, items, stride, n);
	views_end(gf);
	return lane_get(gf);
}

static bool records_take(struct grant_fast *gf, struct sdrv_grant_hold *h,
			 unsigned n)
{
	bool ok;

	pthread_mutex_lock(&gf->holds_lock);
	ok = gf->nr_holds_free >= n;
	for (unsigned i = 0; ok && i < n; i++)
		h[i].slot = gf->holds_free[--gf->nr_holds_free];
	pthread_mutex_unlock(&gf->holds_lock);
	return ok;
}

static void records_put(struct grant_fast *gf, const uint32_t *slots,
			unsigned n)
{
	pthread_mutex_lock(&gf->holds_lock);
	for (unsigned i = 0; i < n; i++)
		gf->holds_free[gf->nr_holds_free++] = slots[i];
	pthread_mutex_unlock(&gf->holds_lock);
}

static void record_put(struct grant_fast *gf, uint32_t slot)
{
	records_put(gf, &slot, 1);
}

/* A run of holds in one view: its count of pages out goes up once per
 * run, not once per page (a locked instruction each, which waits for the
 * pin records' stores to drain: most of a hold's cost). */
struct maps_run {
	struct grant_view *view;
	uint32_t n;
};

static void maps_add(struct maps_run *r, struct grant_view *v)
{
	if (r->view != v) {
		if (r->n)
			__atomic_fetch_add(&r->view->maps, r->n, __ATOMIC_RELAXED);
		r->view = v;
		r->n = 0;
	}
	r->n++;
}

/* The same going down (@v NULL ends the last run).  Return: a view its
 * domain's death detached whose last page this run let go (it goes, once
 * no copier uses the views), or NULL. */
static struct grant_view *maps_sub(struct maps_run *r, struct grant_view *v)
{
	struct grant_view *gone = NULL;

	if (r->view != v) {
		if (r->n && __atomic_sub_fetch(&r->view->maps, r->n, __ATOMIC_ACQ_REL) == 0 &&
		    r->view->detached)
			gone = r->view;
		r->view = v;
		r->n = 0;
	}
	r->n++;
	return gone;
}

int grant_fast_hold(struct grant_fast *gf, struct sdrv_grant_hold *h,
		    unsigned n)
{
	struct held_lock lk = { .token = gf->token };
	struct maps_run run = { 0 };
	unsigned failed = 0, lane;

	if (!records_take(gf, h, n))
		return -ENOSPC;
	grant_fast_reap(gf);
	lane = lane_with_views(gf, h, sizeof(*h), n);
	for (unsigned i = 0; i < n; i++) {
		struct sdrv_gnt_pin *pin = &gf->log[h[i].slot];
		struct grant_view *v = view_of(gf, h[i].granter);
		int st = SDRV_GNTST_bad_domain;

		h[i].view = NULL;
		h[i].page = NULL;
		if (v && !v->dead) {
			*pin = (struct sdrv_gnt_pin){ .ref = h[i].ref,
						      .granter = h[i].granter,
						      .readonly = h[i].readonly,
						      .generation = v->generation };
			hold(&lk, v);
			st = sdrv_gnt_pin_take_locked(&v->g, gf->self, pin);
			if (st == SDRV_GNTST_bad_domain)
				v->dead = true;
		}
		h[i].status = (int16_t)st;
		if (st != SDRV_GNTST_okay) {
			record_put(gf, h[i].slot);
			failed++;
			continue;
		}
		/* The view stays mapped while this page is held (counted
		 * before the lane goes: no one retires a view meanwhile). */
		maps_add(&run, v);
		h[i].view = v;
		h[i].page = v->mem + (size_t)pin->frame * SDRV_PAGE_SIZE;
	}
	maps_add(&run, NULL);
	let_go(&lk);
	lane_put(gf, lane);
	return (int)failed;
}

void grant_fast_release(struct grant_fast *gf, struct sdrv_grant_hold *h,
			unsigned n)
{
	struct held_lock lk = { .token = gf->token };
	struct grant_view *last[GRANT_FAST_CHUNK];
	uint32_t freed[64]; /* records to give back, under one lock */
	unsigned nr_last = 0, nr_freed = 0, lane;
	struct maps_run run = { 0 };
	struct grant_view *gone;

	if (!n)
		return; /* a round with nothing to give back: no lane, no lock */
	lane = lane_get(gf);
	for (unsigned i = 0; i < n; i++) {
		struct grant_view *v = h[i].view;

		if (!v)
			continue;
		if ((gone = maps_sub(&run, v)) != NULL && nr_last < GRANT_FAST_CHUNK)
			last[nr_last++] = gone;
		hold(&lk, v);
		sdrv_gnt_pin_drop_locked(&v->g, &gf->log[h[i].slot]);
		if (nr_freed == sizeof(freed) / sizeof(freed[0])) {
			records_put(gf, freed, nr_freed);
			nr_freed = 0;
		}
		freed[nr_freed++] = h[i].slot;
		h[i].view = NULL;
		h[i].page = NULL;
	}
	if ((gone = maps_sub(&run, NULL)) != NULL && nr_last < GRANT_FAST_CHUNK)
		last[nr_last++] = gone;
	let_go(&lk);
	records_put(gf, freed, nr_freed);
	lane_put(gf, lane);
	if (!nr_last)
		return;
	views_begin(gf);
	for (unsigned i = 0; i < nr_last; i++)
		view_free(last[i]);
	views_end(gf);
}

/* Granter @d's view if it is alive; a view found destroyed is marked so
 * (fetched anew next time).  Lane held. */
static struct grant_view *live_view(struct grant_fast *gf, sdrv_domid_t d)
{
	struct grant_view *v = view_of(gf, d);

	if (v && !v->dead && sdrv_gnt_dead(&v->g))
		v->dead = true;
	return v && !v->dead ? v : NULL;
}

void grant_fast_prefetch(struct grant_fast *gf, sdrv_domid_t granter,
			 const struct sdrv_grant_touch *t, unsigned n)
{
	const struct grant_view *v;
	unsigned lane;

	if (!view_of(gf, granter))
		return;
	lane = lane_get(gf); /* the view stays mapped meanwhile */
	v = live_view(gf, granter); /* asked once for the batch */
	for (unsigned i = 0; v && i < n; i++) {
		uint32_t frame;
		uint64_t seen;

		/* A read's own checks, so that only a page granted to us is
		 * touched; the granter may be rewriting it: a hint either way. */
		if (sdrv_gnt_peek_entry(&v->g, gf->self, t[i].ref, &seen, &frame) ==
		    SDRV_GNTST_okay) {
			const unsigned char *at = v->mem + (size_t)frame * SDRV_PAGE_SIZE +
						  (t[i].offset & (SDRV_PAGE_SIZE - 1));

			if (t[i].write)
				__builtin_prefetch(at, 1, 3);
			else
				__builtin_prefetch(at, 0, 3);
		}
	}
	lane_put(gf, lane);
}

/* ---- reads without a pin ------------------------------------------------ */

/* Up to GRANT_FAST_CHUNK reads: every entry looked at, every copy made,
 * every entry looked at again (grant_pin.h, sdrv_gnt_peek()).  A batch's
 * reads are mostly of one granter: whether it is alive is asked once for
 * each run of reads from it (asked for each read, it was 8 of about 90
 * instructions a read), before the first looks and again after the
 * copies, where a granter destroyed meanwhile fails the run.  Lane held. */
static unsigned read_chunk(struct grant_fast *gf, struct sdrv_grant_read *r,
			   unsigned n)
{
	const unsigned char *src[GRANT_FAST_CHUNK];
	uint64_t seen[GRANT_FAST_CHUNK];
	struct grant_view *v = NULL;
	int32_t at = -1; /* the granter whose view v is: none yet */
	bool gone = true;
	unsigned failed = 0;

	for (unsigned i = 0; i < n; i++) {
		uint32_t frame = 0;
		int st = SDRV_GNTST_bad_domain;

		if (r[i].granter != at)
			v = live_view(gf, (sdrv_domid_t)(at = r[i].granter));
		src[i] = NULL;
		if ((uint32_t)r[i].offset + r[i].len > SDRV_PAGE_SIZE)
			st = SDRV_GNTST_bad_copy_arg;
		else if (v)
			st = sdrv_gnt_peek_entry(&v->g, gf->self, r[i].ref, &seen[i], &frame);
		if (st == SDRV_GNTST_okay) {
			src[i] = v->mem + (size_t)frame * SDRV_PAGE_SIZE + r[i].offset;
			__builtin_prefetch(src[i], 0, 3);
		}
		r[i].status = (int16_t)st;
	}
	for (unsigned i = 0; i < n; i++)
		if (src[i])
			memcpy(r[i].dst, src[i], r[i].len);
	sdrv_gnt_copies_done();
	at = -1;
	for (unsigned i = 0; i < n; i++) {
		if (r[i].granter != at) {
			v = view_of(gf, (sdrv_domid_t)(at = r[i].granter));
			gone = !v || sdrv_gnt_dead(&v->g);
		}
		if (src[i] && gone)
			r[i].status = SDRV_GNTST_bad_domain; /* destroyed meanwhile */
		else if (src[i] && !sdrv_gnt_peek_still(&v->g, r[i].ref, seen[i]))
			r[i].status = SDRV_GNTST_general_error; /* it changed */
		failed += r[i].status != SDRV_GNTST_okay;
	}
	return failed;
}

int grant_fast_read(struct grant_fast *gf, struct sdrv_grant_read *r, unsigned n)
{
	unsigned lane, failed = 0;

	if (!n)
		return 0;
	grant_fast_reap(gf);
	lane = lane_with_views(gf, r, sizeof(*r), n);
	for (unsigned at = 0; at < n; at += GRANT_FAST_CHUNK)
		failed += read_chunk(gf, r + at, n - at < GRANT_FAST_CHUNK ? n - at
									 : GRANT_FAST_CHUNK);
	lane_put(gf, lane);
	return (int)failed;
}
