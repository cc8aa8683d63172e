/* SPDX-License-Identifier: MIT */
/*
 * platform/platform.c - what a domain does on its own memory, the same in
 * every environment: the granting side of its grant table, its event
 * bitmaps, page allocation; and the thin wrappers over the hypercalls.
 */
#define _GNU_SOURCE
#include "platform_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NR_GNTTAB_ENTRIES \
	(SDRV_PLATFORM_GNTTAB_FRAMES * SDRV_GRANT_ENTRIES_PER_FRAME)

int sdrv_platform_init_common(struct sdrv_platform *p)
{
	uint32_t words = (p->nr_frames + 63) / 64;
	int err;

	if (p->nr_frames <= SDRV_PLATFORM_FIRST_FREE_FRAME)
		return -EINVAL;
	pthread_mutex_init(&p->lock, NULL);
	p->gnttab_next = calloc(NR_GNTTAB_ENTRIES, sizeof(*p->gnttab_next));
	p->free_pages = calloc(words, sizeof(*p->free_pages));
	if (!p->gnttab_next || !p->free_pages) {
		sdrv_platform_fini_common(p);
		return -ENOMEM;
	}
	err = sdrv_gnttab_init(&p->gnttab,
			       (struct sdrv_grant_entry_v1 *)(void *)p->mem,
			       p->gnttab_next, NR_GNTTAB_ENTRIES);
	if (err) {
		sdrv_platform_fini_common(p);
		return err;
	}
	for (uint32_t f = SDRV_PLATFORM_FIRST_FREE_FRAME; f < p->nr_frames; f++)
		p->free_pages[f / 64] |= 1ull << (f % 64);
	p->shinfo = (struct sdrv_shared_info *)(void *)(p->mem +
		(size_t)SDRV_PLATFORM_SHINFO_FRAME * SDRV_PAGE_SIZE);
	sdrv_evtchn_scanner_init(&p->scanner, p->shinfo);
	return 0;
}

void sdrv_platform_fini_common(struct sdrv_platform *p)
{
	free(p->eoi);
	p->eoi = NULL;
	if (p->gnttab_next || p->free_pages)
		pthread_mutex_destroy(&p->lock);
	free(p->gnttab_next);
	free(p->free_pages);
	p->gnttab_next = NULL;
	p->free_pages = NULL;
}

SDRV_PUBLIC void sdrv_platform_detach(struct sdrv_platform *p)
{
	if (!p)
		return;
	/* The environment unmaps, closes and frees, common parts included. */
	p->ops->detach(p, false);
}

SDRV_PUBLIC void sdrv_platform_shutdown(struct sdrv_platform *p)
{
	if (!p)
		return;
	p->ops->detach(p, true);
}

SDRV_PUBLIC sdrv_domid_t sdrv_platform_domid(const struct sdrv_platform *p)
{
	return p->domid;
}

SDRV_PUBLIC const char *sdrv_platform_name(const struct sdrv_platform *p)
{
	return p->ops->name;
}

SDRV_PUBLIC void **sdrv_platform_xenstore_slot(struct sdrv_platform *p)
{
	return &p->xenstore;
}

SDRV_PUBLIC int sdrv_platform_xenstore(struct sdrv_platform *p, void **page,
				       sdrv_evtchn_port_t *port)
{
	if (!p->xs_port)
		return -ENOENT;
	*page = p->mem + (size_t)SDRV_PLATFORM_XENSTORE_FRAME * SDRV_PAGE_SIZE;
	*port = p->xs_port;
	return 0;
}

/* ---- memory ---------------------------------------------------------- */

SDRV_PUBLIC void *sdrv_page_alloc(struct sdrv_platform *p)
{
	uint32_t words = (p->nr_frames + 63) / 64;
	void *page = NULL;

	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; i < words; i++) {
		uint32_t w = (p->page_hint + i) % words;

		if (p->free_pages[w]) {
			uint32_t b = (uint32_t)__builtin_ctzll(p->free_pages[w]);

			p->free_pages[w] &= p->free_pages[w] - 1;
			p->page_hint = w;
			page = p->mem + ((size_t)w * 64 + b) * SDRV_PAGE_SIZE;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (page)
		memset(page, 0, SDRV_PAGE_SIZE);
	return page;
}

/* Whether frames [f, f + n) are all free (caller holds p->lock). */
static bool frames_free(const struct sdrv_platform *p, uint32_t f, unsigned n)
{
	for (unsigned i = 0; i < n; i++, f++)
		if (!(p->free_pages[f / 64] >> (f % 64) & 1))
			return false;
	return true;
}

SDRV_PUBLIC void *sdrv_pages_alloc(struct sdrv_platform *p, unsigned n)
{
	void *pages = NULL;

	if (n == 0 || n > p->nr_frames)
		return NULL;
	if (n == 1)
		return sdrv_page_alloc(p);
	pthread_mutex_lock(&p->lock);
	for (uint32_t f = SDRV_PLATFORM_FIRST_FREE_FRAME;
	     f + n <= p->nr_frames; f++) {
		if (!frames_free(p, f, n))
			continue;
		for (unsigned i = 0; i < n; i++)
			p->free_pages[(f + i) / 64] &= ~(1ull << ((f + i) % 64));
		pages = p->mem + (size_t)f * SDRV_PAGE_SIZE;
		break;
	}
	pthread_mutex_unlock(&p->lock);
	if (pages)
		memset(pages, 0, (size_t)n * SDRV_PAGE_SIZE);
	return pages;
}

SDRV_PUBLIC void sdrv_pages_free(struct sdrv_platform *p, void *pages,
				 unsigned n)
{
	for (unsigned i = 0; pages && i < n; i++)
		sdrv_page_free(p, (char *)pages + (size_t)i * SDRV_PAGE_SIZE);
}

SDRV_PUBLIC int64_t sdrv_page_frame(const struct sdrv_platform *p,
				    const void *page)
{
	uintptr_t off = (uintptr_t)page - (uintptr_t)p->mem;

	if ((uintptr_t)page < (uintptr_t)p->mem || off % SDRV_PAGE_SIZE ||
	    off / SDRV_PAGE_SIZE >= p->nr_frames)
		return -EINVAL;
	return (int64_t)(off / SDRV_PAGE_SIZE);
}

SDRV_PUBLIC void *sdrv_frame_page(const struct sdrv_platform *p, uint32_t frame)
{
	if (frame < SDRV_PLATFORM_FIRST_FREE_FRAME || frame >= p->nr_frames)
		return NULL;
	return p->mem + (size_t)frame * SDRV_PAGE_SIZE;
}

SDRV_PUBLIC void sdrv_page_free(struct sdrv_platform *p, void *page)
{
	int64_t f = sdrv_page_frame(p, page);

	if (f < SDRV_PLATFORM_FIRST_FREE_FRAME)
		return; /* not a page sdrv_page_alloc() gave out */
	pthread_mutex_lock(&p->lock);
	p->free_pages[f / 64] |= 1ull << (f % 64);
	pthread_mutex_unlock(&p->lock);
}

/* ---- grants ---------------------------------------------------------- */

SDRV_PUBLIC int64_t sdrv_grant_access(struct sdrv_platform *p,
				      sdrv_domid_t domid, const void *page,
				      bool readonly)
{
	int64_t frame = sdrv_page_frame(p, page), ref;

	if (frame < SDRV_PLATFORM_FIRST_FREE_FRAME)
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	ref = sdrv_gnttab_grant_access(&p->gnttab, domid, (uint32_t)frame,
				       readonly);
	pthread_mutex_unlock(&p->lock);
	return ref;
}

SDRV_PUBLIC int sdrv_grant_end_access(struct sdrv_platform *p,
				      sdrv_grant_ref_t ref)
{
	int err;

	pthread_mutex_lock(&p->lock);
	err = sdrv_gnttab_end_access(&p->gnttab, ref);
	pthread_mutex_unlock(&p->lock);
	return err;
}

SDRV_PUBLIC unsigned sdrv_grant_map(struct sdrv_platform *p,
				    struct sdrv_grant_map *ops, unsigned n)
{
	return p->ops->grant_map(p, ops, n);
}

SDRV_PUBLIC unsigned sdrv_grant_unmap(struct sdrv_platform *p,
				      struct sdrv_grant_map *ops, unsigned n)
{
	return p->ops->grant_unmap(p, ops, n);
}

SDRV_PUBLIC unsigned sdrv_grant_copy(struct sdrv_platform *p,
				     struct sdrv_gnttab_copy *segs, unsigned n)
{
	return p->ops->grant_copy(p, segs, n);
}

SDRV_PUBLIC int sdrv_grant_hold(struct sdrv_platform *p,
				struct sdrv_grant_hold *h, unsigned n)
{
	if (!p->ops->grant_hold)
		return -EOPNOTSUPP;
	return p->ops->grant_hold(p, h, n);
}

SDRV_PUBLIC void sdrv_grant_release(struct sdrv_platform *p,
				    struct sdrv_grant_hold *h, unsigned n)
{
	if (p->ops->grant_release)
		p->ops->grant_release(p, h, n);
}

SDRV_PUBLIC int sdrv_grant_read(struct sdrv_platform *p,
				struct sdrv_grant_read *r, unsigned n)
{
	if (!n)
		return 0;
	if (!p->ops->grant_read)
		return -EOPNOTSUPP;
	return p->ops->grant_read(p, r, n);
}

SDRV_PUBLIC void sdrv_platform_copy(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}

SDRV_PUBLIC void sdrv_grant_prefetch(struct sdrv_platform *p,
				     sdrv_domid_t granter,
				     const struct sdrv_grant_touch *t,
				     unsigned n)
{
	if (p->ops->grant_prefetch && n)
		p->ops->grant_prefetch(p, granter, t, n);
}

/* ---- event channels -------------------------------------------------- */

SDRV_PUBLIC int sdrv_evtchn_alloc_unbound(struct sdrv_platform *p,
					  sdrv_domid_t remote,
					  sdrv_evtchn_port_t *port)
{
	struct sdrv_evtchn_alloc_unbound op = { .dom = SDRV_DOMID_SELF,
						.remote_dom = remote };
	int err = p->ops->evtchn_op(p, SDRV_EVTCHNOP_alloc_unbound, &op);

	if (!err)
		*port = op.port;
	return err;
}

SDRV_PUBLIC int sdrv_evtchn_bind_interdomain(struct sdrv_platform *p,
					     sdrv_domid_t remote,
					     sdrv_evtchn_port_t remote_port,
					     sdrv_evtchn_port_t *local_port)
{
	struct sdrv_evtchn_bind_interdomain op = { .remote_dom = remote,
						   .remote_port = remote_port };
	int err = p->ops->evtchn_op(p, SDRV_EVTCHNOP_bind_interdomain, &op);

	if (!err)
		*local_port = op.local_port;
	return err;
}

SDRV_PUBLIC int sdrv_evtchn_notify(struct sdrv_platform *p,
				   sdrv_evtchn_port_t port)
{
	struct sdrv_evtchn_send op = { .port = port };

	return p->ops->evtchn_op(p, SDRV_EVTCHNOP_send, &op);
}

static void lateeoi_forget(struct sdrv_platform *p, sdrv_evtchn_port_t port);

SDRV_PUBLIC int sdrv_evtchn_close(struct sdrv_platform *p,
				  sdrv_evtchn_port_t port)
{
	struct sdrv_evtchn_close op = { .port = port };
	int err = p->ops->evtchn_op(p, SDRV_EVTCHNOP_close, &op);

	/* A late-EOI hold belongs to the binding, not to the port number:
	 * the next channel bound at this port starts afresh. */
	if (!err)
		lateeoi_forget(p, port);
	return err;
}

SDRV_PUBLIC int sdrv_evtchn_status(struct sdrv_platform *p,
				   struct sdrv_evtchn_status *st)
{
	st->dom = SDRV_DOMID_SELF;
	return p->ops->evtchn_op(p, SDRV_EVTCHNOP_status, st);
}

SDRV_PUBLIC void sdrv_evtchn_mask(struct sdrv_platform *p,
				  sdrv_evtchn_port_t port)
{
	sdrv_evtchn_2l_mask(p->shinfo, port);
	/* silent: its own wake-ups (doorbells) stop too */
	if (p->ops->hold_port)
		p->ops->hold_port(p, port, true);
}

/* Raise our own upcall, as the hypervisor would have. */
static void self_kick(struct sdrv_platform *p)
{
	uint64_t one = 1;

	if (write(p->upcall_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;
}

SDRV_PUBLIC void sdrv_evtchn_unmask(struct sdrv_platform *p,
				    sdrv_evtchn_port_t port)
{
	if (p->ops->hold_port)
		p->ops->hold_port(p, port, false);
	if (sdrv_evtchn_2l_unmask(p->shinfo, port))
		self_kick(p);
}

/* ---- late EOI -------------------------------------------------------- */

SDRV_PUBLIC void sdrv_evtchn_lateeoi(struct sdrv_platform *p,
				     sdrv_evtchn_port_t port, bool spurious)
{
	struct lateeoi *e;

	if (port == 0 || port >= SDRV_EVTCHN_2L_NR_PORTS)
		return;
	if (!p->eoi) {
		if (!spurious)
			return;
		p->eoi = calloc(SDRV_EVTCHN_2L_NR_PORTS, sizeof(*p->eoi));
		if (!p->eoi)
			return; /* no backoff: events still work */
	}
	e = &p->eoi[port];
	if (!spurious) {
		e->spurious = 0;
		return;
	}
	if (e->delay_ms || ++e->spurious < SDRV_EVTCHN_SPURIOUS_THRESHOLD)
		return;
	/* Hold it back: masked, so neither the hypervisor nor a doorbell
	 * wakes us for it; the longer, the more it keeps firing. */
	e->delay_ms = (uint16_t)(e->spurious - SDRV_EVTCHN_SPURIOUS_THRESHOLD >= 10
					 ? SDRV_EVTCHN_SPURIOUS_MAX_MS
					 : 1u << (e->spurious -
						  SDRV_EVTCHN_SPURIOUS_THRESHOLD));
	if (e->delay_ms > SDRV_EVTCHN_SPURIOUS_MAX_MS)
		e->delay_ms = SDRV_EVTCHN_SPURIOUS_MAX_MS;
	e->until_ms = sdrv_platform_clock_ms(p) + e->delay_ms;
	if (!p->nr_held++ || e->until_ms < p->next_release_ms)
		p->next_release_ms = e->until_ms;
	sdrv_evtchn_mask(p, port);
}

static void lateeoi_forget(struct sdrv_platform *p, sdrv_evtchn_port_t port)
{
	struct lateeoi *e;

	if (!p->eoi || port == 0 || port >= SDRV_EVTCHN_2L_NR_PORTS)
		return;
	e = &p->eoi[port];
	e->spurious = 0;
	if (!e->delay_ms)
		return;
	/* Undo the hold's own mask. */
	e->delay_ms = 0;
	p->nr_held--;
	sdrv_evtchn_unmask(p, port);
}

/* Let go of the held ports whose delay ended; what arrived meanwhile
 * comes now.  Return: ms until the next hold ends, or -1 if none is held. */
static int release_held(struct sdrv_platform *p)
{
	uint64_t now, next = UINT64_MAX;

	if (!p->nr_held)
		return -1;
	now = sdrv_platform_clock_ms(p);
	/* Each wait comes here: look through the ports only when one is due. */
	if (now < p->next_release_ms)
		return (int)(p->next_release_ms - now);
	for (sdrv_evtchn_port_t port = 1; port < SDRV_EVTCHN_2L_NR_PORTS;
	     port++) {
		struct lateeoi *e = &p->eoi[port];

		if (!e->delay_ms)
			continue;
		if (e->until_ms > now) {
			if (e->until_ms < next)
				next = e->until_ms;
			continue;
		}
		e->delay_ms = 0;
		p->nr_held--;
		sdrv_evtchn_unmask(p, port);
	}
	p->next_release_ms = next;
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

SDRV_PUBLIC int sdrv_evtchn_timeout_ms(struct sdrv_platform *p)
{
	return release_held(p);
}

SDRV_PUBLIC int sdrv_evtchn_fd(const struct sdrv_platform *p)
{
	return p->ops->wait_events ? p->wait_fd : p->upcall_fd;
}

SDRV_PUBLIC uint64_t sdrv_platform_clock_ms(const struct sdrv_platform *p)
{
	struct timespec ts;

	(void)p;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A timeout is a deadline: what is left of @timeout_ms (-1: forever) that
 * started at @start_ms. */
static int time_left(const struct sdrv_platform *p, uint64_t start_ms,
		     int timeout_ms)
{
	uint64_t spent;

	if (timeout_ms < 0)
		return -1;
	spent = sdrv_platform_clock_ms(p) - start_ms;
	return spent >= (uint64_t)timeout_ms ? 0 : timeout_ms - (int)spent;
}

/*
 * Sleep until an upcall or a doorbell, @left_ms at most (-1: no limit, 0:
 * do not sleep), and turn what came into pending bits.
 * Return: > 0 something came, 0 nothing did, or -errno.
 */
static int block(struct sdrv_platform *p, int left_ms)
{
	struct pollfd pfd = { .fd = p->upcall_fd, .events = POLLIN };
	uint64_t count;
	int r = 1;

	if (p->ops->wait_events)
		return p->ops->wait_events(p, left_ms);
	/* The hypervisor marked the bits itself and wrote the eventfd.
	 * With no limit, sleep in read() itself: one system call per
	 * wake-up, as a raw eventfd user would. */
	if (left_ms >= 0) {
		r = poll(&pfd, 1, left_ms);
		if (r < 0)
			return errno == EINTR ? 0 : -errno;
		if (r == 0)
			return 0;
	}
	if (read(p->upcall_fd, &count, sizeof(count)) < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	return 1;
}

SDRV_PUBLIC int sdrv_evtchn_wait(struct sdrv_platform *p,
				 sdrv_evtchn_port_t *ports, unsigned max,
				 int timeout_ms)
{
	uint64_t start = timeout_ms > 0 ? sdrv_platform_clock_ms(p) : 0;

	for (;;) {
		int hold_ms = release_held(p);
		unsigned n = sdrv_evtchn_scan(&p->scanner, ports, max);
		int left, r;

		if (n)
			return (int)n;
		/* The scan cleared upcall_pending: any event from here on
		 * raises a new upcall (or rings a doorbell), so sleeping
		 * loses nothing.  An event for another waiter woke us: the
		 * rest of the time, not all of it again.  A held port's
		 * delay may end first. */
		left = time_left(p, start, timeout_ms);
		if (hold_ms >= 0 && (left < 0 || hold_ms < left))
			left = hold_ms;
		r = block(p, left);
		if (r == 0 && hold_ms >= 0 && left == hold_ms &&
		    time_left(p, start, timeout_ms) != 0)
			continue; /* a hold ended, not the wait */
		if (r < 0)
			return r;
		if (r == 0 && left >= 0 &&
		    time_left(p, start, timeout_ms) == 0)
			return (int)sdrv_evtchn_scan(&p->scanner, ports, max);
	}
}

SDRV_PUBLIC int sdrv_evtchn_wait_ports(struct sdrv_platform *p,
				       const sdrv_evtchn_port_t *ports,
				       unsigned n, int timeout_ms)
{
	struct sdrv_vcpu_info *v = &p->shinfo->vcpu_info[0];
	uint64_t taken_sel = 0;
	uint64_t start = timeout_ms > 0 ? sdrv_platform_clock_ms(p) : 0;
	int r;

	if (!n || n > SDRV_EVTCHN_WAIT_PORTS_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (ports[i] >= SDRV_EVTCHN_2L_NR_PORTS)
			return -EINVAL;
	for (;;) {
		/* Clear the upcall and the word selector as a scan would,
		 * so the next event on any port writes the eventfd again
		 * (the hypervisor only does when both were clear).  The
		 * selector bits are kept aside and put back on the way
		 * out: other ports' events wait for sdrv_evtchn_wait(). */
		__atomic_store_n(&v->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
		taken_sel |= __atomic_exchange_n(&v->evtchn_pending_sel, 0,
						 __ATOMIC_SEQ_CST);
		r = 0;
		for (unsigned i = 0; i < n; i++) {
			uint64_t *word = &p->shinfo->evtchn_pending[ports[i] / 64];
			uint64_t bit = 1ull << (ports[i] % 64);

			if (__atomic_fetch_and(word, ~bit, __ATOMIC_SEQ_CST) & bit)
				r++;
		}
		if (r)
			break;
		r = block(p, time_left(p, start, timeout_ms));
		if (r < 0)
			break;
		if (r == 0 && time_left(p, start, timeout_ms) == 0)
			break;
	}
	if (taken_sel) {
		__atomic_fetch_or(&v->evtchn_pending_sel, taken_sel,
				  __ATOMIC_SEQ_CST);
		__atomic_store_n(&v->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
	}
	return r;
}

SDRV_PUBLIC int sdrv_evtchn_wait_port(struct sdrv_platform *p,
				      sdrv_evtchn_port_t port, int timeout_ms)
{
	return sdrv_evtchn_wait_ports(p, &port, 1, timeout_ms);
}
